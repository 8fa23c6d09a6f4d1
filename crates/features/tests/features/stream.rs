//! Streaming extraction equals batch extraction for any chunking.

use hark_features::{FeatureConfig, PadMode, StreamingExtractor, Window, WindowExtractor};

/// Streaming vs batch values (they share the per-frame code, so in practice bit-identical).
const STREAM_TOL: f32 = 1e-6;

fn stream(
    ex: &mut StreamingExtractor,
    y: &[f32],
    rng: &mut fastrand::Rng,
    max_chunk: usize,
) -> Vec<Window> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < y.len() {
        // Mix tiny chunks (down to 1 sample) with large ones (up to max_chunk).
        let n = if rng.bool() {
            rng.usize(1..=64)
        } else {
            rng.usize(1..=max_chunk)
        };
        let end = (i + n).min(y.len());
        ex.push(&y[i..end], &mut out);
        i = end;
    }
    ex.finish(&mut out);
    out
}

fn assert_same(a: &[Window], b: &[Window], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: window count");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.start_frame, y.start_frame, "{what}");
        assert_eq!(x.silent, y.silent, "{what}");
        assert!(
            (x.energy_dbfs - y.energy_dbfs).abs() <= STREAM_TOL,
            "{what}: energy"
        );
        assert_eq!(x.values.len(), y.values.len());
        for (p, q) in x.values.iter().zip(&y.values) {
            assert!(
                (p - q).abs() <= STREAM_TOL,
                "{what} at frame {}: {p} vs {q}",
                x.start_frame
            );
        }
    }
}

#[test]
fn streaming_equals_batch_for_random_chunks() {
    let mut rng = fastrand::Rng::with_seed(1234);
    let sr = 8000;
    for overlap in [0.0f32, 0.5, 0.9] {
        for (pad_mode, center) in [
            (PadMode::Constant, true),
            (PadMode::Reflect, true),
            (PadMode::Constant, false),
        ] {
            let cfg = FeatureConfig {
                sr,
                n_fft: 256,
                hop_length: 128,
                n_mels: 40,
                window_frames: 12,
                overlap,
                pad_mode,
                center,
                ..Default::default()
            };
            let mut batch = WindowExtractor::new(&cfg).expect("cfg");
            let mut st = StreamingExtractor::new(&cfg).expect("cfg");
            // Lengths: tiny, short clip (padded), around window boundaries, several seconds.
            for n in [1usize, 100, 1120, 1408, 1409, 1536 + 64, 8000 * 3 + 77] {
                let y = crate::common::test_signal(n, sr, n as u64);
                let want = batch.windows(&y);
                for max_chunk in [1usize, 300, 8000 * 4] {
                    let got = stream(&mut st, &y, &mut rng, max_chunk);
                    assert_same(
                        &got,
                        &want,
                        &format!(
                            "overlap {overlap} {pad_mode:?} center {center} n {n} chunk {max_chunk}"
                        ),
                    );
                }
            }
        }
    }
}

#[test]
fn streaming_default_config_and_reset() {
    let cfg = FeatureConfig::default();
    let y = crate::common::test_signal(22050 * 4 + 123, 22050, 5);
    let want = WindowExtractor::new(&cfg).expect("cfg").windows(&y);
    let mut st = StreamingExtractor::new(&cfg).expect("cfg");
    let mut rng = fastrand::Rng::with_seed(77);
    // Half a signal, then reset: the next stream must not see it.
    let mut junk = Vec::new();
    st.push(&y[..5000], &mut junk);
    st.reset();
    let got = stream(&mut st, &y, &mut rng, 22050 * 3);
    assert_same(&got, &want, "default config");
    let mut none = Vec::new();
    st.finish(&mut none);
    assert!(none.is_empty(), "finish without audio emits nothing");
}
