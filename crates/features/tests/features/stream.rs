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

/// A loud tone burst, then steady hiss far above digital silence.
fn burst_then_hiss(sr: usize, rng: &mut fastrand::Rng) -> Vec<f32> {
    let mut y: Vec<f32> = (0..sr)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / sr as f32).sin())
        .collect();
    // Hiss at about -43 dBFS: above the absolute gate (-60), 40 dB below the burst.
    y.extend((0..3 * sr).map(|_| 0.01 * (rng.f32() * 2.0 - 1.0)));
    y
}

#[test]
fn the_relative_gate_silences_hiss_far_below_the_running_peak_in_batch_and_stream() {
    let mut rng = fastrand::Rng::with_seed(77);
    let sr = 8000;
    let y = burst_then_hiss(sr, &mut rng);
    let absolute = FeatureConfig::speech();
    let relative = FeatureConfig {
        silence_relative_db: Some(30.0),
        ..FeatureConfig::speech()
    };
    let plain = WindowExtractor::new(&absolute).expect("cfg").windows(&y);
    assert!(
        plain.iter().all(|w| !w.silent),
        "hiss passes the absolute gate"
    );
    let gated = WindowExtractor::new(&relative).expect("cfg").windows(&y);
    let hiss_start = (sr / relative.hop_length) as f32;
    let (burst, hiss): (Vec<&Window>, Vec<&Window>) = gated
        .iter()
        .partition(|w| (w.start_frame + relative.window_frames) as f32 <= hiss_start);
    assert!(!burst.is_empty() && !hiss.is_empty());
    assert!(burst.iter().all(|w| !w.silent), "the burst is the peak");
    let late_hiss: Vec<&&Window> = hiss
        .iter()
        .filter(|w| w.start_frame as f32 > hiss_start)
        .collect();
    assert!(!late_hiss.is_empty());
    assert!(
        late_hiss
            .iter()
            .all(|w| w.silent && w.values.iter().all(|&v| v == 0.0)),
        "hiss 40 dB below the burst is gated"
    );
    // Hiss alone: nothing louder has been heard, so the running peak is the hiss itself.
    let alone = WindowExtractor::new(&relative)
        .expect("cfg")
        .windows(&y[sr..]);
    assert!(alone.iter().all(|w| !w.silent));
    // Streaming gates exactly as batch.
    let mut ex = StreamingExtractor::new(&relative).expect("cfg");
    let streamed = stream(&mut ex, &y, &mut rng, 3000);
    assert_same(&gated, &streamed, "relative gate");
}
