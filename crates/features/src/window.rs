//! Model-input analysis windows (audio -> **features** -> model): log-mel frames with a fixed
//! 0 dB reference, grouped into windows of `window_frames` frames, clipped to `top_db` below
//! each window's maximum, silence-gated and normalised per window.
//!
//! # Window policy
//! A signal of `n` samples gives `F = cfg.n_frames(n)` STFT frames. Full windows start at
//! frames `0, H, 2H, ...` (`H = cfg.hop_frames()`) while `start + W <= F`
//! (`W = cfg.window_frames`). If the frames after the last full window cover at least half a
//! window (`2 * (F - last_end) >= W`), one more window aligned to the end (`start = F - W`) is
//! added. Clips too short for one window are zero-padded to [`FeatureConfig::min_window_samples`]
//! so exactly one window exists; an empty signal gives no windows.
//!
//! # Silence
//! `energy_dbfs` is the mean, over the window's frames, of each frame's Hann-weighted mean
//! square `sum((w x)^2) / sum(w^2)`, in dB relative to a full-scale sine (mean square 0.5).
//! Windows below `cfg.silence_threshold_db` (absolute gate), or more than
//! `cfg.silence_relative_db` below the running peak — the loudest window of the clip or
//! stream so far, this one included (relative gate) — are returned with `silent = true`
//! and all `values` set to 0.0, so noise is never amplified by the normalisation.

use crate::{FeatureConfig, FeatureError, MelFilterbank, Stft, StftScratch, WindowNorm};

/// Mean square treated as 0 dBFS: a full-scale sine.
pub const FULL_SCALE_SINE_MEAN_SQUARE: f64 = 0.5;
/// Mean squares below this are floored before taking dB (about -297 dBFS): digital silence
/// reports a finite level.
pub const ENERGY_FLOOR: f64 = 1e-30;
/// Windows whose dB standard deviation is at or below this are constant: normalised to 0.
pub const STD_FLOOR: f64 = 1e-6;

/// One model-input analysis window.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Index of the window's first STFT frame (time = `start_frame * hop_length / sr` s).
    pub start_frame: usize,
    /// Row-major `n_mels x window_frames` values, normalised per `cfg.normalization`
    /// (all 0.0 when `silent`).
    pub values: Vec<f32>,
    /// Mean energy below `cfg.silence_threshold_db`: callers should skip this window.
    pub silent: bool,
    /// Mean signal energy of the window in dBFS (0 dBFS = full-scale sine).
    pub energy_dbfs: f32,
}

/// Start frames of the analysis windows for a signal of `n_frames` STFT frames
/// (see the module docs for the policy). Empty when `n_frames < window_frames`.
pub fn window_starts(n_frames: usize, cfg: &FeatureConfig) -> Vec<usize> {
    let w = cfg.window_frames;
    let h = cfg.hop_frames();
    if w == 0 || n_frames < w {
        return Vec::new();
    }
    let mut starts: Vec<usize> = (0..)
        .map(|k| k * h)
        .take_while(|s| s + w <= n_frames)
        .collect();
    let last_end = starts.last().map_or(0, |s| s + w);
    if 2 * (n_frames - last_end) >= w && n_frames > last_end {
        starts.push(n_frames - w);
    }
    starts
}

/// Per-frame pipeline shared by batch and streaming extraction, so both give identical bits:
/// `n_fft` samples -> `|X|^power` -> mel -> `10 log10(max(mel, amin))` (ref 1.0).
pub(crate) struct FramePipeline {
    pub(crate) stft: Stft,
    mel: MelFilterbank,
    scratch: StftScratch,
    spec: Vec<f32>,
    power: f32,
    amin: f32,
}

impl FramePipeline {
    pub(crate) fn new(cfg: &FeatureConfig) -> Result<Self, FeatureError> {
        let stft = Stft::from_config(cfg)?;
        let mel = MelFilterbank::from_config(cfg)?;
        Ok(FramePipeline {
            scratch: stft.make_scratch(),
            spec: vec![0.0; stft.n_bins()],
            stft,
            mel,
            power: cfg.power,
            amin: cfg.amin,
        })
    }

    /// Process one frame of raw samples; writes `n_mels` dB values, returns the frame energy.
    pub(crate) fn process(&mut self, frame: &[f32], db_out: &mut [f32]) -> f32 {
        let energy = self
            .stft
            .frame_into(frame, self.power, &mut self.spec, &mut self.scratch);
        self.mel.apply_frame(&self.spec, db_out);
        crate::db::db_ref_one(db_out, self.amin);
        energy
    }
}

/// Build a [`Window`] from `window_frames` consecutive frames (`frames_db` frame-major,
/// `window_frames x n_mels`) and their energies. `peak_dbfs` is the running peak of the
/// signal's window energies; it is raised to this window's energy.
pub(crate) fn assemble_window(
    cfg: &FeatureConfig,
    start_frame: usize,
    frames_db: &[f32],
    energies: &[f32],
    peak_dbfs: &mut f32,
) -> Window {
    let w = cfg.window_frames;
    let n_mels = cfg.n_mels;
    let mut values = vec![0.0f32; n_mels * w];
    for (j, frame) in frames_db.chunks_exact(n_mels).take(w).enumerate() {
        for (m, &v) in frame.iter().enumerate() {
            values[m * w + j] = v;
        }
    }
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if let Some(t) = cfg.top_db {
        let floor = max - t;
        values.iter_mut().for_each(|v| *v = v.max(floor));
    }
    let mean_square =
        energies.iter().map(|&e| e as f64).sum::<f64>() / energies.len().max(1) as f64;
    let energy_dbfs =
        (10.0 * (mean_square.max(ENERGY_FLOOR) / FULL_SCALE_SINE_MEAN_SQUARE).log10()) as f32;
    *peak_dbfs = peak_dbfs.max(energy_dbfs);
    let silent = cfg.silence_threshold_db.is_some_and(|t| energy_dbfs < t)
        || cfg
            .silence_relative_db
            .is_some_and(|r| energy_dbfs < *peak_dbfs - r);
    if silent {
        values.fill(0.0);
    } else {
        normalise(&mut values, cfg.normalization, max);
    }
    Window {
        start_frame,
        values,
        silent,
        energy_dbfs,
    }
}

/// Per-window normalisation in place (`max` = the window's maximum before clipping, which
/// clipping does not change).
fn normalise(values: &mut [f32], norm: WindowNorm, max: f32) {
    match norm {
        WindowNorm::None => {}
        WindowNorm::Max => values.iter_mut().for_each(|v| *v -= max),
        WindowNorm::MeanStd => {
            let n = values.len().max(1) as f64;
            let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = values
                .iter()
                .map(|&v| (v as f64 - mean).powi(2))
                .sum::<f64>()
                / n;
            let std = var.sqrt();
            if std <= STD_FLOOR {
                values.fill(0.0);
            } else {
                values
                    .iter_mut()
                    .for_each(|v| *v = ((*v as f64 - mean) / std) as f32);
            }
        }
    }
}

/// Batch extractor of model-input windows, planned once per [`FeatureConfig`]; buffers are
/// reused across calls to [`WindowExtractor::windows`].
pub struct WindowExtractor {
    cfg: FeatureConfig,
    pipeline: FramePipeline,
    frames: Vec<f32>,
    energies: Vec<f32>,
    frame: Vec<f32>,
    padded: Vec<f32>,
}

impl WindowExtractor {
    /// Validate `cfg` and plan the STFT and filterbank.
    pub fn new(cfg: &FeatureConfig) -> Result<Self, FeatureError> {
        Ok(WindowExtractor {
            pipeline: FramePipeline::new(cfg)?,
            cfg: cfg.clone(),
            frames: Vec::new(),
            energies: Vec::new(),
            frame: vec![0.0; cfg.n_fft],
            padded: Vec::new(),
        })
    }

    /// The configuration this extractor was planned for.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// All analysis windows of mono `y` at `cfg.sr` (policy in the module docs). Each window's
    /// `values` are `n_mels x window_frames`, row-major.
    pub fn windows(&mut self, y: &[f32]) -> Vec<Window> {
        if y.is_empty() {
            return Vec::new();
        }
        let min_len = self.cfg.min_window_samples();
        let signal: &[f32] = if y.len() < min_len {
            self.padded.clear();
            self.padded.extend_from_slice(y);
            self.padded.resize(min_len, 0.0);
            &self.padded
        } else {
            y
        };
        let n_frames = self.cfg.n_frames(signal.len());
        let n_mels = self.cfg.n_mels;
        self.frames.resize(n_frames * n_mels, 0.0);
        self.energies.resize(n_frames, 0.0);
        for t in 0..n_frames {
            let f = self.pipeline.stft.frame_of(signal, t, &mut self.frame);
            let e = self
                .pipeline
                .process(f, &mut self.frames[t * n_mels..(t + 1) * n_mels]);
            self.energies[t] = e;
        }
        let w = self.cfg.window_frames;
        let mut peak = f32::NEG_INFINITY;
        window_starts(n_frames, &self.cfg)
            .into_iter()
            .map(|s| {
                assemble_window(
                    &self.cfg,
                    s,
                    &self.frames[s * n_mels..(s + w) * n_mels],
                    &self.energies[s..s + w],
                    &mut peak,
                )
            })
            .collect()
    }
}
