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
    };
    for &ci in clips {
        let (Some(&pos), Some(label)) = (
            index.get(&ci),
            classes.iter().position(|c| *c == ds.clips[ci].label),
        ) else {
            continue; // failed to decode (reported by extraction) or not one of `classes`
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

#[cfg(test)]
mod tests {
    use hark_data::{Clip, ClipWindows, Dataset, DatasetFormat, FeatureSet};
    use hark_features::{FeatureConfig, Window};

    use super::*;

    fn window(start_frame: usize, silent: bool, fill: f32) -> Window {
        Window {
            start_frame,
            values: vec![if silent { 0.0 } else { fill }; 2 * 3],
            silent,
            energy_dbfs: if silent { -90.0 } else { -20.0 },
        }
    }

    #[test]
    fn silent_windows_and_all_silent_clips_are_left_out_and_counted() {
        let ds = Dataset {
            root: ".".into(),
            name: "t".into(),
            format: DatasetFormat::Manifest,
            classes: vec!["dog".into(), "rain".into()],
            clips: vec![
                Clip::new("a.wav", "dog"),
                Clip::new("b.wav", "rain"),
                Clip::new("c.wav", "dog"),
                Clip::new("d.wav", "owl"),
            ],
            problems: vec![],
        };
        let cw = |clip, windows| ClipWindows {
            clip,
            windows,
            warnings: vec![],
        };
        let fs = FeatureSet {
            config: FeatureConfig {
                n_mels: 2,
                window_frames: 3,
                ..FeatureConfig::default()
            },
            clips: vec![
                // A mixed clip: only its loud windows train.
                cw(
                    0,
                    vec![
                        window(0, true, 0.0),
                        window(1, false, 1.0),
                        window(2, false, 2.0),
                    ],
                ),
                // Entirely silent (extraction keeps its loudest window, marked silent).
                cw(1, vec![window(0, true, 0.0)]),
                cw(2, vec![window(0, false, 3.0)]),
                cw(3, vec![window(0, false, 4.0)]),
            ],
            failed: vec![],
            stats: Default::default(),
        };
        let t = training_windows(&ds, &fs, &[0, 1, 2, 3], &ds.classes).expect("windows");
        assert_eq!(
            t.silent_clips,
            vec![1],
            "the silent rain clip is not trained as rain"
        );
        assert_eq!(
            t.set.len(),
            3,
            "two loud windows of clip 0, one of clip 2; owl is no class"
        );
        assert_eq!(t.set.labels, vec![0, 0, 0]);
        assert_eq!(t.set.clip_ids, vec![0, 0, 2]);
        assert!(t.set.data.iter().all(|&v| v != 0.0), "no window of zeros");
    }
}
