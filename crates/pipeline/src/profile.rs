//! The training clips' input profile (train stage): recording rates, durations and window
//! levels of the clips a model is fitted on, stored in its file so prediction can warn when
//! an input is far from them ([`hark_infer::InputProfile`]).

use std::collections::HashMap;
use std::path::Path;

use hark_data::{Dataset, FeatureSet};
use hark_infer::{InputProfile, Spread};

use crate::evaluate::feature_index;

/// Profile `clips` of `ds`: each file's header is read once (rate, duration; no decoding),
/// levels come from the clips' non-silent windows in `fs`. Files whose header cannot be read
/// are left out of the rates and durations (their decoding errors are reported elsewhere).
pub fn input_profile(ds: &Dataset, fs: &FeatureSet, clips: &[usize]) -> InputProfile {
    let mut headers: HashMap<&Path, Option<(u32, Option<f64>)>> = HashMap::new();
    let mut rates = Vec::new();
    let mut durations = Vec::new();
    for &ci in clips {
        let clip = &ds.clips[ci];
        let header = *headers.entry(clip.path.as_path()).or_insert_with(|| {
            hark_audio::probe(&clip.path)
                .ok()
                .map(|i| (i.sample_rate, i.duration))
        });
        let Some((rate, file_duration)) = header else {
            continue;
        };
        rates.push(rate);
        let start = clip.start.unwrap_or(0.0);
        let end = clip.end.or(file_duration);
        if let Some(end) = end {
            durations.push((end - start) as f32);
        }
    }
    rates.sort_unstable();
    rates.dedup();
    let index = feature_index(fs);
    let levels = clips
        .iter()
        .filter_map(|ci| index.get(ci))
        .flat_map(|&pos| fs.clips[pos].windows.iter())
        .filter(|w| !w.silent)
        .map(|w| w.energy_dbfs);
    InputProfile {
        clips: clips.len(),
        sample_rates: rates,
        duration_s: Spread::of(durations),
        level_dbfs: Spread::of(levels),
    }
}
