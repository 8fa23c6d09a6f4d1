//! Features -> training windows (train protocol): the windows of chosen clips, labelled in
//! the model's class order, with silent clips left out and counted.

use hark_data::{Dataset, FeatureSet};
use hark_train::WindowSet;

use crate::PipelineError;

/// Training windows of a set of clips.
#[derive(Debug, Clone)]
pub struct TrainingWindows {
    /// The windows, labels and clip ids.
    pub set: WindowSet,
    /// Clips left out because every window was below the silence gate: a window of zeros
    /// labelled "dog" would teach the model that silence is a dog.
    pub silent_clips: Vec<usize>,
    /// Clips that had no features (failed to decode) or a label not in `classes`.
    pub missing_clips: usize,
}

/// Windows of `clips` with labels mapped through `classes` (model class order). Windows
/// below the silence gate are never used; clips with no other window are listed in
/// [`TrainingWindows::silent_clips`].
pub fn training_windows(
    ds: &Dataset,
    fs: &FeatureSet,
    clips: &[usize],
    classes: &[String],
) -> Result<TrainingWindows, PipelineError> {
    let index = crate::evaluate::feature_index(fs);
    let cfg = &fs.config;
    let mut out = TrainingWindows {
        set: WindowSet::new(cfg.n_mels, cfg.window_frames),
        silent_clips: Vec::new(),
        missing_clips: 0,
    };
    for &ci in clips {
        let (Some(&pos), Some(label)) = (
            index.get(&ci),
            classes.iter().position(|c| *c == ds.clips[ci].label),
        ) else {
            out.missing_clips += 1;
            continue;
        };
        let mut any = false;
        for w in fs.clips[pos].windows.iter().filter(|w| !w.silent) {
            out.set.push(&w.values, label as u32, ci as u32)?;
            any = true;
        }
        if !any {
            out.silent_clips.push(ci);
        }
    }
    Ok(out)
}
