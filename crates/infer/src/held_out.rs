//! What a model saw (inference core): a record, carried in the model file, of which clips
//! were trained on, validated on and held out for testing, with a fingerprint of the
//! dataset, so that evaluation can say when it scores clips the model has already seen.
//!
//! Clips are identified by a [`ClipKey`]: a hash of the file name (not its folder, so a
//! moved dataset still matches), its size in bytes and the segment's start and end. That
//! needs only a `stat`, never a read of the audio.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

/// Identity of one clip (file name, size and segment), stable across machines and moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClipKey(pub u64);

impl ClipKey {
    /// Key of the segment `[start, end)` seconds (`None` = whole file) of a file named
    /// `file_name` holding `size` bytes.
    pub fn new(file_name: &str, size: u64, start: Option<f64>, end: Option<f64>) -> ClipKey {
        let mut h = Xxh3::new();
        h.update(file_name.as_bytes());
        h.update(&[0]);
        h.update(&size.to_le_bytes());
        for t in [start, end] {
            h.update(&t.map(f64::to_bits).unwrap_or(u64::MAX).to_le_bytes());
        }
        ClipKey(h.digest())
    }
}

/// Which clips the model was trained on, validated on and held out for testing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HeldOut {
    /// Fingerprint of the whole dataset (every clip's key and label), hex; empty when unknown.
    pub dataset_fingerprint: String,
    /// How the clips were partitioned, in words (e.g. `split column: test held out;
    /// validation: stratified 15% of training clips, seed 42`).
    pub protocol: String,
    /// Fold(s) held out for testing, when folds were used.
    pub test_folds: Vec<u32>,
    /// Fold(s) used for validation, when folds were used.
    pub validation_folds: Vec<u32>,
    /// Keys of the training clips, sorted.
    pub trained: Vec<ClipKey>,
    /// Keys of the validation clips (early stopping, threshold tuning), sorted.
    pub validated: Vec<ClipKey>,
    /// Keys of the clips held out for testing, sorted.
    pub tested: Vec<ClipKey>,
}

/// How many of a set of clips a model has already seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Overlap {
    /// Clips that were in the training set.
    pub trained: usize,
    /// Clips that were in the validation set.
    pub validated: usize,
}

impl Overlap {
    /// True when none of the clips was seen in training or validation.
    pub fn is_clean(&self) -> bool {
        self.trained == 0 && self.validated == 0
    }
}

impl HeldOut {
    /// True when the record holds clip keys (files written before format 2 do not).
    pub fn is_known(&self) -> bool {
        !self.trained.is_empty()
    }

    /// How many of `clips` the model was trained or validated on.
    pub fn overlap(&self, clips: impl IntoIterator<Item = ClipKey>) -> Overlap {
        let mut o = Overlap::default();
        for k in clips {
            if self.trained.binary_search(&k).is_ok() {
                o.trained += 1;
            } else if self.validated.binary_search(&k).is_ok() {
                o.validated += 1;
            }
        }
        o
    }
}

/// Fingerprint of a dataset from its clips' keys and labels, order-independent, as hex.
pub fn dataset_fingerprint<'a>(clips: impl IntoIterator<Item = (ClipKey, &'a str)>) -> String {
    let mut rows: Vec<(ClipKey, &str)> = clips.into_iter().collect();
    rows.sort_unstable();
    let mut h = Xxh3::new();
    for (k, label) in rows {
        h.update(&k.0.to_le_bytes());
        h.update(label.as_bytes());
        h.update(&[0]);
    }
    format!("{:016x}", h.digest())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_files_sizes_and_segments() {
        let a = ClipKey::new("dog.wav", 1000, None, None);
        assert_eq!(a, ClipKey::new("dog.wav", 1000, None, None));
        assert_ne!(a, ClipKey::new("dog.wav", 1001, None, None));
        assert_ne!(a, ClipKey::new("cat.wav", 1000, None, None));
        assert_ne!(a, ClipKey::new("dog.wav", 1000, Some(0.0), Some(1.0)));
        assert_ne!(
            ClipKey::new("dog.wav", 1000, Some(0.0), Some(1.0)),
            ClipKey::new("dog.wav", 1000, Some(1.0), Some(2.0))
        );
    }

    #[test]
    fn overlap_counts_trained_and_validated_clips() {
        let k = |i: u64| ClipKey::new(&format!("{i}.wav"), i, None, None);
        let mut held = HeldOut {
            trained: vec![k(1), k(2), k(3)],
            validated: vec![k(4)],
            tested: vec![k(5), k(6)],
            ..Default::default()
        };
        held.trained.sort();
        assert_eq!(held.overlap([k(5), k(6)]), Overlap::default());
        assert!(held.overlap([k(5), k(6)]).is_clean());
        let o = held.overlap([k(1), k(4), k(5), k(3)]);
        assert_eq!((o.trained, o.validated), (2, 1));
    }

    #[test]
    fn fingerprint_ignores_order_but_not_labels() {
        let (a, b) = (ClipKey(1), ClipKey(2));
        let f = dataset_fingerprint([(a, "dog"), (b, "rain")]);
        assert_eq!(f, dataset_fingerprint([(b, "rain"), (a, "dog")]));
        assert_ne!(f, dataset_fingerprint([(a, "rain"), (b, "dog")]));
        assert_eq!(f.len(), 16);
    }
}
