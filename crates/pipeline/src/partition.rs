//! Dataset partitioning (train/eval protocol): which clips train, validate and test a model,
//! and the record of it that goes into the model file.

use hark_data::{Clip, Dataset, Split};
use hark_infer::{ClipKey, HeldOut, dataset_fingerprint};

use crate::PipelineError;

/// Clip indices of a dataset split into train / validation / test, with the protocol in words.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Partition {
    /// Training clips.
    pub train: Vec<usize>,
    /// Validation clips (early stopping, threshold tuning).
    pub val: Vec<usize>,
    /// Test clips: never trained or validated on.
    pub test: Vec<usize>,
    /// How the partition was made, in words (stored in the model file).
    pub protocol: String,
    /// Folds held out for testing.
    pub test_folds: Vec<u32>,
    /// Folds used for validation.
    pub validation_folds: Vec<u32>,
}

/// How [`partition`] holds clips out. `Default` is what `hark train` does without flags.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionOptions {
    /// Validate on this fold (datasets with folds).
    pub val_fold: Option<u32>,
    /// Hold this fold out entirely, for testing later.
    pub test_fold: Option<u32>,
    /// Share of training clips held out for validation when the dataset names no
    /// validation split and no `val_fold` is given. Default 0.15.
    pub validation_fraction: f32,
    /// Seed of the stratified validation split. Default 42.
    pub seed: u64,
}

impl Default for PartitionOptions {
    fn default() -> Self {
        PartitionOptions {
            val_fold: None,
            test_fold: None,
            validation_fraction: 0.15,
            seed: 42,
        }
    }
}

/// Partition for training: test clips (split = test, or `test_fold`) are never trained on;
/// validation is the validation split or `val_fold`, else a stratified
/// `validation_fraction` of the training clips ([`hark_train::stratified_split`]).
///
/// # Errors
/// [`PipelineError::NoSuch`] when a fold is asked for that the dataset does not have.
pub fn partition(ds: &Dataset, opts: &PartitionOptions) -> Result<Partition, PipelineError> {
    for fold in [opts.val_fold, opts.test_fold].into_iter().flatten() {
        check_fold(ds, fold)?;
    }
    if let (Some(v), Some(t)) = (opts.val_fold, opts.test_fold)
        && v == t
    {
        return Err(PipelineError::BadFolds {
            given: format!("--val-fold {v} --test-fold {t}"),
            reason: "a fold cannot both validate and test; pick two different folds".into(),
        });
    }
    let mut p = Partition::default();
    let mut words = Vec::new();
    for (i, c) in ds.clips.iter().enumerate() {
        if c.split == Some(Split::Test) || (opts.test_fold.is_some() && c.fold == opts.test_fold) {
            p.test.push(i);
        } else if c.split == Some(Split::Validation)
            || (opts.val_fold.is_some() && c.fold == opts.val_fold)
        {
            p.val.push(i);
        } else {
            p.train.push(i);
        }
    }
    if let Some(f) = opts.test_fold {
        p.test_folds.push(f);
        words.push(format!("test: fold {f}"));
    } else if !p.test.is_empty() {
        words.push("test: the dataset's test split".to_string());
    }
    if let Some(f) = opts.val_fold {
        p.validation_folds.push(f);
        words.push(format!("validation: fold {f}"));
    } else if !p.val.is_empty() {
        words.push("validation: the dataset's validation split".to_string());
    } else if opts.validation_fraction > 0.0 {
        let (train, val) = split_clips(ds, &p.train, opts.validation_fraction, opts.seed);
        p.train = train;
        p.val = val;
        words.push(format!(
            "validation: stratified {:.0}% of the training clips, seed {}",
            opts.validation_fraction * 100.0,
            opts.seed
        ));
    }
    p.protocol = words.join("; ");
    Ok(p)
}

/// Split `clips` into (rest, held out) by label with [`hark_train::stratified_split`].
pub(crate) fn split_clips(
    ds: &Dataset,
    clips: &[usize],
    fraction: f32,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let labels: Vec<&str> = clips.iter().map(|&i| ds.clips[i].label.as_str()).collect();
    let (rest, held) = hark_train::stratified_split(&labels, fraction, seed);
    (
        rest.into_iter().map(|i| clips[i]).collect(),
        held.into_iter().map(|i| clips[i]).collect(),
    )
}

pub(crate) fn check_fold(ds: &Dataset, fold: u32) -> Result<(), PipelineError> {
    let folds = ds.folds();
    if folds.contains(&fold) {
        return Ok(());
    }
    Err(PipelineError::NoSuch {
        kind: "fold",
        given: fold.to_string(),
        available: list(folds.iter()),
    })
}

pub(crate) fn list<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    let v: Vec<String> = items.map(|x| x.to_string()).collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// The [`ClipKey`] of a clip: its folder and file name (`dog/1-100032-A.wav`: datasets
/// with a folder per class reuse file names across classes), size (0 when it cannot be
/// read) and segment. Folders above the file's own are left out, so a moved dataset matches.
pub fn clip_key(clip: &Clip) -> ClipKey {
    let part = |p: Option<&std::path::Path>| {
        p.and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name = format!(
        "{}/{}",
        part(clip.path.parent()),
        part(Some(clip.path.as_path()))
    );
    let size = std::fs::metadata(&clip.path).map(|m| m.len()).unwrap_or(0);
    ClipKey::new(&name, size, clip.start, clip.end)
}

/// The record of `part` that goes into the model file.
pub fn held_out_record(ds: &Dataset, part: &Partition) -> HeldOut {
    let keys: Vec<ClipKey> = ds.clips.iter().map(clip_key).collect();
    let pick = |idx: &[usize]| {
        let mut v: Vec<ClipKey> = idx.iter().map(|&i| keys[i]).collect();
        v.sort_unstable();
        v
    };
    HeldOut {
        dataset_fingerprint: dataset_fingerprint(
            keys.iter()
                .zip(&ds.clips)
                .map(|(k, c)| (*k, c.label.as_str())),
        ),
        protocol: part.protocol.clone(),
        test_folds: part.test_folds.clone(),
        validation_folds: part.validation_folds.clone(),
        trained: pick(&part.train),
        validated: pick(&part.val),
        tested: pick(&part.test),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(clips: Vec<Clip>) -> Dataset {
        let mut classes: Vec<String> = clips.iter().map(|c| c.label.clone()).collect();
        classes.sort();
        classes.dedup();
        Dataset {
            root: ".".into(),
            name: "t".into(),
            format: hark_data::DatasetFormat::Manifest,
            classes,
            clips,
            problems: vec![],
        }
    }

    fn clip(i: usize, label: &str, fold: Option<u32>, split: Option<Split>) -> Clip {
        let mut c = Clip::new(format!("{i}.wav"), label);
        c.fold = fold;
        c.split = split;
        c
    }

    #[test]
    fn test_split_is_never_trained_and_validation_is_stratified() {
        let mut clips = Vec::new();
        for i in 0..40 {
            let split = (i % 10 == 0).then_some(Split::Test);
            clips.push(clip(i, if i % 2 == 0 { "a" } else { "b" }, None, split));
        }
        let d = ds(clips);
        let p = partition(&d, &PartitionOptions::default()).expect("partition");
        assert_eq!(p.test, vec![0, 10, 20, 30]);
        for i in p.train.iter().chain(&p.val) {
            assert!(!p.test.contains(i));
        }
        // The test clips 0, 10, 20, 30 are all "a": 16 "a" and 20 "b" remain, and
        // round(16 * 0.15) = 2, round(20 * 0.15) = 3 of them are held out.
        let count = |v: &[usize], l: &str| v.iter().filter(|&&i| d.clips[i].label == l).count();
        assert_eq!((count(&p.val, "a"), count(&p.val, "b")), (2, 3));
        assert_eq!(p.train.len() + p.val.len() + p.test.len(), 40);
        assert!(p.protocol.contains("test split") && p.protocol.contains("seed 42"));
    }

    #[test]
    fn folds_hold_out_and_validate_and_unknown_folds_are_named() {
        let d = ds((0..12)
            .map(|i| clip(i, "a", Some((i % 3 + 1) as u32), None))
            .collect());
        let opts = PartitionOptions {
            val_fold: Some(2),
            test_fold: Some(3),
            ..Default::default()
        };
        let p = partition(&d, &opts).expect("partition");
        assert!(p.test.iter().all(|&i| d.clips[i].fold == Some(3)));
        assert!(p.val.iter().all(|&i| d.clips[i].fold == Some(2)));
        assert!(p.train.iter().all(|&i| d.clips[i].fold == Some(1)));
        let bad = PartitionOptions {
            test_fold: Some(9),
            ..Default::default()
        };
        let e = partition(&d, &bad).expect_err("no fold 9").to_string();
        assert!(e.contains("fold '9'") && e.contains("1, 2, 3"), "{e}");
        let same = PartitionOptions {
            val_fold: Some(2),
            test_fold: Some(2),
            ..Default::default()
        };
        let e = partition(&d, &same).expect_err("same fold").to_string();
        assert!(e.contains("two different folds"), "{e}");
    }

    #[test]
    fn same_file_names_in_class_folders_are_different_clips() {
        let dir = tempfile::tempdir().expect("tempdir");
        for class in ["yes", "no"] {
            std::fs::create_dir(dir.path().join(class)).expect("mkdir");
            std::fs::write(dir.path().join(class).join("0a7c_nohash_0.wav"), [0u8; 64])
                .expect("write");
        }
        let yes = Clip::new(dir.path().join("yes/0a7c_nohash_0.wav"), "yes");
        let no = Clip::new(dir.path().join("no/0a7c_nohash_0.wav"), "no");
        assert_ne!(
            clip_key(&yes),
            clip_key(&no),
            "same name and size, other class folder"
        );
        // The same file seen through another root (a moved dataset) keeps its key.
        let moved = dir.path().join("moved");
        std::fs::create_dir_all(moved.join("yes")).expect("mkdir");
        std::fs::copy(&yes.path, moved.join("yes/0a7c_nohash_0.wav")).expect("copy");
        let again = Clip::new(moved.join("yes/0a7c_nohash_0.wav"), "yes");
        assert_eq!(clip_key(&yes), clip_key(&again));
    }

    #[test]
    fn the_record_lists_each_side() {
        let d = ds((0..20).map(|i| clip(i, "a", None, None)).collect());
        let p = partition(&d, &PartitionOptions::default()).expect("partition");
        let h = held_out_record(&d, &p);
        assert_eq!(h.trained.len(), p.train.len());
        assert_eq!(h.validated.len(), p.val.len());
        let val_keys: Vec<ClipKey> = p.val.iter().map(|&i| clip_key(&d.clips[i])).collect();
        assert_eq!(h.overlap(val_keys).validated, p.val.len());
        assert_eq!(h.dataset_fingerprint.len(), 16);
    }
}
