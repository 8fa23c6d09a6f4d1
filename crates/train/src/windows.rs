//! In-memory training windows (train stage input): the output of feature extraction,
//! flattened, with one label and one source-clip id per window.

use crate::TrainError;

/// `N` windows of `n_mels x n_frames` log-mel values each, row-major per window
/// (`data[i * n_mels * n_frames + m * n_frames + t]` is window `i`, mel `m`, frame `t`),
/// one class label and one clip id per window. Windows of one clip share a clip id so
/// splits can keep them together.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WindowSet {
    /// Mel bands per window.
    pub n_mels: usize,
    /// Frames per window.
    pub n_frames: usize,
    /// `len() * n_mels * n_frames` values.
    pub data: Vec<f32>,
    /// Class index per window.
    pub labels: Vec<u32>,
    /// Source clip per window.
    pub clip_ids: Vec<u32>,
}

impl WindowSet {
    /// An empty set of `n_mels x n_frames` windows.
    pub fn new(n_mels: usize, n_frames: usize) -> Self {
        WindowSet {
            n_mels,
            n_frames,
            ..Default::default()
        }
    }

    /// Values per window (`n_mels * n_frames`).
    pub fn window_len(&self) -> usize {
        self.n_mels * self.n_frames
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no windows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Append one window of `n_mels * n_frames` values.
    pub fn push(&mut self, window: &[f32], label: u32, clip_id: u32) -> Result<(), TrainError> {
        if window.len() != self.window_len() {
            return Err(TrainError::InputShape {
                what: format!("one {}x{} window", self.n_mels, self.n_frames),
                expected: self.window_len(),
                actual: window.len(),
            });
        }
        self.data.extend_from_slice(window);
        self.labels.push(label);
        self.clip_ids.push(clip_id);
        Ok(())
    }

    /// Window `i` (`n_mels * n_frames` values). Panics if `i >= len()`.
    pub fn window(&self, i: usize) -> &[f32] {
        let n = self.window_len();
        &self.data[i * n..(i + 1) * n]
    }

    /// A new set with the windows at `indices` (in that order). Out-of-range indices are skipped.
    pub fn subset(&self, indices: &[usize]) -> WindowSet {
        let mut out = WindowSet::new(self.n_mels, self.n_frames);
        out.data.reserve(indices.len() * self.window_len());
        for &i in indices.iter().filter(|&&i| i < self.len()) {
            out.data.extend_from_slice(self.window(i));
            out.labels.push(self.labels[i]);
            out.clip_ids.push(self.clip_ids[i]);
        }
        out
    }

    /// Check sizes agree and labels are below `n_classes`.
    pub fn validate(&self, n_classes: usize) -> Result<(), TrainError> {
        if self.n_mels == 0 || self.n_frames == 0 {
            return Err(TrainError::BadData(format!(
                "window shape {}x{} is empty",
                self.n_mels, self.n_frames
            )));
        }
        if self.data.len() != self.len() * self.window_len() || self.clip_ids.len() != self.len() {
            return Err(TrainError::BadData(format!(
                "{} labels, {} clip ids and {} values do not describe {}x{} windows",
                self.labels.len(),
                self.clip_ids.len(),
                self.data.len(),
                self.n_mels,
                self.n_frames
            )));
        }
        if let Some(&bad) = self.labels.iter().find(|&&l| l as usize >= n_classes) {
            return Err(TrainError::BadData(format!(
                "label {bad} is not below the class count {n_classes}"
            )));
        }
        if let Some(i) = self.data.iter().position(|v| !v.is_finite()) {
            return Err(TrainError::BadData(format!(
                "window {} holds a non-finite value ({})",
                i / self.window_len(),
                self.data[i]
            )));
        }
        Ok(())
    }

    /// Windows per class (`n_classes` counts).
    pub fn class_counts(&self, n_classes: usize) -> Vec<usize> {
        let mut c = vec![0; n_classes];
        for &l in &self.labels {
            if let Some(slot) = c.get_mut(l as usize) {
                *slot += 1;
            }
        }
        c
    }

    /// Split into (train, validation) BY CLIP, stratified by class, with
    /// [`crate::stratified_split`] (the same split `hark train` uses): about `fraction` of each
    /// class's clips go to validation. All windows of a clip stay together. A clip's class is
    /// the label of its first window.
    pub fn split_by_clip(
        &self,
        fraction: f32,
        seed: u64,
    ) -> Result<(WindowSet, WindowSet), TrainError> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(TrainError::setting(
                "validation_fraction",
                format!("must be in [0, 1), got {fraction}"),
            ));
        }
        let mut clips: Vec<u32> = Vec::new(); // first-seen order
        let mut labels: Vec<u32> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (&c, &l) in self.clip_ids.iter().zip(&self.labels) {
            if seen.insert(c) {
                clips.push(c);
                labels.push(l);
            }
        }
        let (_, held) = crate::stratified_split(&labels, fraction, seed);
        let val_clips: std::collections::HashSet<u32> = held.iter().map(|&i| clips[i]).collect();
        let (mut tr, mut va) = (Vec::new(), Vec::new());
        for (i, c) in self.clip_ids.iter().enumerate() {
            if val_clips.contains(c) {
                va.push(i)
            } else {
                tr.push(i)
            }
        }
        Ok((self.subset(&tr), self.subset(&va)))
    }
}
