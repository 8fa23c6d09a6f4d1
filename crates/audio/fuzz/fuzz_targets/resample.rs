//! `hark_audio::resample` with fuzzed rates in 1000..=200000 Hz and a short fuzzed signal:
//! must never panic, must return exactly `ceil(len * to / from)` finite samples, and must
//! reject (not panic on) non-finite input.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    from: u32,
    to: u32,
    /// Raw samples; mapped to [-1, 1] unless `raw_floats` (which may be NaN/inf/huge).
    samples: Vec<i16>,
    raw_floats: Option<Vec<f32>>,
}

const MIN_RATE: u32 = 1000;
const MAX_RATE: u32 = 200_000;
/// Keep signals short: the point is edge cases of length and ratio, not throughput.
const MAX_LEN: usize = 8192;

fuzz_target!(|input: Input| {
    let from = MIN_RATE + input.from % (MAX_RATE - MIN_RATE + 1);
    let to = MIN_RATE + input.to % (MAX_RATE - MIN_RATE + 1);
    let signal: Vec<f32> = match &input.raw_floats {
        Some(raw) => raw.iter().copied().take(MAX_LEN).collect(),
        None => input
            .samples
            .iter()
            .take(MAX_LEN)
            .map(|&s| f32::from(s) / 32768.0)
            .collect(),
    };
    let finite = signal.iter().all(|x| x.is_finite());
    match hark_audio::resample(&signal, from, to) {
        Ok(out) => {
            assert!(finite, "non-finite input accepted");
            let want = (signal.len() as u64 * u64::from(to)).div_ceil(u64::from(from));
            assert_eq!(
                out.len() as u64,
                want,
                "{} samples {from} -> {to} Hz",
                signal.len()
            );
            if let Some(i) = out.iter().position(|x| !x.is_finite()) {
                // Finite but huge inputs (raw_floats up to f32::MAX) can overflow the filter sum.
                let max_in = signal.iter().fold(0.0f32, |m, x| m.max(x.abs()));
                assert!(
                    max_in > 1e30,
                    "non-finite output {} at {i} from input with max |x| = {max_in}",
                    out[i]
                );
            }
        }
        Err(e) => {
            assert!(
                !finite,
                "resample {from} -> {to} of {} finite samples failed: {e}",
                signal.len()
            );
        }
    }
});
