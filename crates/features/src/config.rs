//! Feature configuration: the contract between training and deployment.
//!
//! Flow: audio -> **features** -> model. A trained model file embeds this struct, so
//! prediction always computes the same numbers the model was trained on. Names and
//! defaults follow librosa (`sr`, `n_fft`, `hop_length`, `win_length`, `n_mels`,
//! `fmin`, `fmax`, `htk`, `norm`, `center`, `pad_mode`, `power`, `amin`, `top_db`).

use serde::{Deserialize, Serialize};

/// Mel frequency scale (librosa `htk=False` is [`MelScale::Slaney`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MelScale {
    /// Slaney / Auditory Toolbox: linear below 1 kHz, logarithmic above (librosa default).
    #[default]
    Slaney,
    /// HTK: `2595 * log10(1 + f / 700)`.
    Htk,
}

/// Mel filter normalisation (librosa `norm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MelNorm {
    /// Divide each triangle by its width in Hz (area normalisation; librosa default).
    #[default]
    Slaney,
    /// Peak-1 triangles.
    None,
}

/// Padding used when `center = true` (librosa `pad_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PadMode {
    /// Zero padding (librosa >= 0.10 default).
    #[default]
    Constant,
    /// Mirror the signal at its edges (librosa < 0.10, torchaudio default).
    Reflect,
}

/// Per-window normalisation applied to each analysis window of log-mel values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WindowNorm {
    /// Leave dB values as they are.
    None,
    /// Subtract the window mean, divide by its standard deviation (population, ddof = 0).
    #[default]
    MeanStd,
    /// Subtract the window maximum, so the loudest cell is 0 dB.
    Max,
}

impl std::fmt::Display for MelScale {
    /// `slaney` or `htk`, the words of `hark info` and `hark` flags.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MelScale::Slaney => "slaney",
            MelScale::Htk => "htk",
        })
    }
}

impl std::fmt::Display for WindowNorm {
    /// `none`, `mean-std` or `max`, as `hark --normalization` spells them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WindowNorm::None => "none",
            WindowNorm::MeanStd => "mean-std",
            WindowNorm::Max => "max",
        })
    }
}

/// Everything needed to turn audio into model input windows.
///
/// Shapes: a clip of `n` samples at `sr` gives a log-mel matrix of `n_mels x (1 + n / hop_length)`
/// (with `center = true`); analysis windows are `n_mels x window_frames`, starting every
/// `hop_frames()` frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeatureConfig {
    /// Sample rate in Hz; audio at another rate is resampled to it. Default 22050.
    pub sr: u32,
    /// FFT size in samples. Default 1024.
    pub n_fft: usize,
    /// Hop between STFT frames in samples. Default 512.
    pub hop_length: usize,
    /// Window length in samples (<= n_fft, window zero-padded to n_fft); `None` = n_fft.
    pub win_length: Option<usize>,
    /// Pad the signal by n_fft/2 on both sides so frame t is centred at t * hop_length. Default true.
    pub center: bool,
    /// Padding mode when `center`. Default zero ("constant").
    pub pad_mode: PadMode,
    /// Exponent of the magnitude spectrogram: 2.0 = power (default), 1.0 = magnitude.
    pub power: f32,
    /// Number of mel bands. Default 60.
    pub n_mels: usize,
    /// Lowest filter edge in Hz. Default 0.
    pub fmin: f32,
    /// Highest filter edge in Hz; `None` = sr / 2.
    pub fmax: Option<f32>,
    /// Mel scale. Default Slaney (librosa `htk=False`).
    pub mel_scale: MelScale,
    /// Filter normalisation. Default Slaney.
    pub mel_norm: MelNorm,
    /// Floor applied before the logarithm (librosa `amin`). Default 1e-10.
    pub amin: f32,
    /// Clip dB values to `max - top_db` (the max of each analysis window, for models). Default 80.
    pub top_db: Option<f32>,
    /// Frames per analysis window (model input width). Default 41 (~0.95 s at 22.05 kHz / hop 512).
    pub window_frames: usize,
    /// Overlap between consecutive windows, 0.0 ..= 0.9. Default 0.5.
    pub overlap: f32,
    /// Per-window normalisation. Default mean/std.
    pub normalization: WindowNorm,
    /// Windows whose mean signal energy is below this level (dBFS, 0 dBFS = full-scale
    /// sine) are marked silent and skipped. `None` disables gating. Default -60.
    pub silence_threshold_db: Option<f32>,
    /// Windows whose mean signal energy is more than this many dB below the loudest window
    /// so far (the running peak of the clip or stream, this window included) are marked
    /// silent too. Suits recordings whose noise floor is far above digital silence (a
    /// field recorder's hiss at -50 dBFS): e.g. 40 keeps only windows within 40 dB of the
    /// loudest event heard. Batch and streaming extraction see windows in the same order,
    /// so they gate alike. The peak is causal and never decays: windows before the first
    /// loud event pass, and in an endless stream one very loud event raises the bar for
    /// the rest of it (restart the stream, or prefer the absolute gate there). `None`
    /// (default) disables it.
    pub silence_relative_db: Option<f32>,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            sr: 22050,
            n_fft: 1024,
            hop_length: 512,
            win_length: None,
            center: true,
            pad_mode: PadMode::Constant,
            power: 2.0,
            n_mels: 60,
            fmin: 0.0,
            fmax: None,
            mel_scale: MelScale::Slaney,
            mel_norm: MelNorm::Slaney,
            amin: 1e-10,
            top_db: Some(80.0),
            window_frames: 41,
            overlap: 0.5,
            normalization: WindowNorm::MeanStd,
            silence_threshold_db: Some(-60.0),
            silence_relative_db: None,
        }
    }
}

use crate::FeatureError;

impl FeatureConfig {
    /// Settings for short spoken words at telephone rate (the FSDD protocol of the seed
    /// talk, and librosa's golden FSDD values): sr 8000, n_fft 256, hop_length 128,
    /// 40 mels, 32-frame windows (0.512 s); everything else as [`Default`].
    pub fn speech() -> Self {
        FeatureConfig {
            sr: 8000,
            n_fft: 256,
            hop_length: 128,
            n_mels: 40,
            window_frames: 32,
            ..FeatureConfig::default()
        }
    }

    /// Check every parameter; the error names the first bad one and repeats its value.
    ///
    /// Rules: `sr > 0`, `n_fft > 0` and even, `hop_length > 0`, `0 < win_length <= n_fft`,
    /// `power > 0`, `n_mels > 0`, `0 <= fmin < fmax <= sr / 2`, `amin > 0`, `top_db >= 0`,
    /// `window_frames > 0`, `0 <= overlap <= 0.9`, all floats finite.
    pub fn validate(&self) -> Result<(), FeatureError> {
        if self.sr == 0 {
            return Err(FeatureError::invalid(
                "sr",
                self.sr,
                "sample rate must be > 0 Hz",
            ));
        }
        if self.n_fft == 0 || !self.n_fft.is_multiple_of(2) {
            return Err(FeatureError::invalid(
                "n_fft",
                self.n_fft,
                "FFT size must be a positive even number",
            ));
        }
        if self.hop_length == 0 {
            return Err(FeatureError::invalid(
                "hop_length",
                self.hop_length,
                "hop must be > 0 samples",
            ));
        }
        if let Some(w) = self.win_length
            && (w == 0 || w > self.n_fft)
        {
            return Err(FeatureError::invalid(
                "win_length",
                w,
                format!("window length must be in 1..={} (n_fft)", self.n_fft),
            ));
        }
        if !(self.power.is_finite() && self.power > 0.0) {
            return Err(FeatureError::invalid(
                "power",
                self.power,
                "spectrogram exponent must be > 0 (2 = power, 1 = magnitude)",
            ));
        }
        if self.n_mels == 0 {
            return Err(FeatureError::invalid(
                "n_mels",
                self.n_mels,
                "need at least one mel band",
            ));
        }
        let nyquist = self.sr as f32 / 2.0;
        if !(self.fmin.is_finite() && self.fmin >= 0.0) {
            return Err(FeatureError::invalid(
                "fmin",
                self.fmin,
                "lowest frequency must be >= 0 Hz",
            ));
        }
        if let Some(fmax) = self.fmax
            && !(fmax.is_finite() && fmax > 0.0 && fmax <= nyquist)
        {
            return Err(FeatureError::invalid(
                "fmax",
                fmax,
                format!("highest frequency must be in (0, sr/2 = {nyquist}] Hz"),
            ));
        }
        if self.fmin >= self.fmax_hz() {
            return Err(FeatureError::invalid(
                "fmin",
                self.fmin,
                format!(
                    "lowest frequency must be below fmax = {} Hz",
                    self.fmax_hz()
                ),
            ));
        }
        if !(self.amin.is_finite() && self.amin > 0.0) {
            return Err(FeatureError::invalid(
                "amin",
                self.amin,
                "dB floor must be > 0 (e.g. 1e-10)",
            ));
        }
        if let Some(t) = self.top_db
            && !(t.is_finite() && t >= 0.0)
        {
            return Err(FeatureError::invalid(
                "top_db",
                t,
                "dynamic range must be >= 0 dB (e.g. 80)",
            ));
        }
        if self.window_frames == 0 {
            return Err(FeatureError::invalid(
                "window_frames",
                self.window_frames,
                "analysis window needs at least one frame",
            ));
        }
        if !(self.overlap.is_finite() && (0.0..=0.9).contains(&self.overlap)) {
            return Err(FeatureError::invalid(
                "overlap",
                self.overlap,
                "overlap must be in 0.0..=0.9",
            ));
        }
        if let Some(t) = self.silence_threshold_db
            && !t.is_finite()
        {
            return Err(FeatureError::invalid(
                "silence_threshold_db",
                t,
                "threshold must be a finite dBFS level (e.g. -60)",
            ));
        }
        if let Some(r) = self.silence_relative_db
            && !(r.is_finite() && r > 0.0)
        {
            return Err(FeatureError::invalid(
                "silence_relative_db",
                r,
                "must be a positive number of dB below the running peak (e.g. 40)",
            ));
        }
        Ok(())
    }

    /// Highest mel filter edge in Hz: `fmax`, or `sr / 2` when `None`.
    pub fn fmax_hz(&self) -> f32 {
        self.fmax.unwrap_or(self.sr as f32 / 2.0)
    }

    /// Step between analysis windows in frames: `max(1, round(window_frames * (1 - overlap)))`.
    pub fn hop_frames(&self) -> usize {
        let step = (self.window_frames as f64 * (1.0 - self.overlap as f64)).round();
        (step as usize).max(1)
    }

    /// Duration one analysis window spans, in seconds: `window_frames * hop_length / sr`.
    pub fn window_seconds(&self) -> f64 {
        self.window_frames as f64 * self.hop_length as f64 / self.sr as f64
    }

    /// Start and end in seconds of the analysis window whose first STFT frame is
    /// `start_frame`: `start_frame * hop_length / sr`, plus [`FeatureConfig::window_seconds`].
    pub fn window_span(&self, start_frame: usize) -> (f64, f64) {
        let start = start_frame as f64 * self.hop_length as f64 / f64::from(self.sr);
        (start, start + self.window_seconds())
    }

    /// Padding added on each side of the signal: `n_fft / 2` when `center`, else 0.
    pub fn center_pad(&self) -> usize {
        if self.center { self.n_fft / 2 } else { 0 }
    }

    /// STFT frames for a signal of `n_samples`: `1 + n / hop_length` with `center`,
    /// else `1 + (n - n_fft) / hop_length` (0 when `n < n_fft`).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        let padded = n_samples + 2 * self.center_pad();
        if padded < self.n_fft {
            0
        } else {
            1 + (padded - self.n_fft) / self.hop_length
        }
    }

    /// Shortest signal (samples) that yields one full analysis window; shorter clips are
    /// zero-padded to this length by the window extractors.
    pub fn min_window_samples(&self) -> usize {
        let need = self.window_frames.saturating_sub(1) * self.hop_length + self.n_fft;
        need.saturating_sub(2 * self.center_pad())
    }
}
