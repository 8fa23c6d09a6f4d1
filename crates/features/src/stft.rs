//! Short-time Fourier transform, librosa-exact (audio -> **features**: STFT -> mel -> dB).
//!
//! Periodic Hann window of `win_length` samples centred in `n_fft`, `center = true` pads
//! `n_fft / 2` samples on both sides (zeros or reflection), frame `t` starts at padded sample
//! `t * hop_length`, `n_frames = 1 + len / hop_length`. Output shape `(1 + n_fft / 2, n_frames)`,
//! no normalisation. Like librosa, the windowed frame and its FFT are computed in f64 (with
//! `realfft`, planned once per [`Stft`]) and the spectrum is rounded to f32 (complex64) before
//! `|X|^power` is taken in f32.

use std::sync::Arc;

use ndarray::Array2;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::{FeatureConfig, FeatureError, PadMode};

/// A planned STFT: window, FFT plan and sizes. Cheap to share; per-call buffers live in
/// [`StftScratch`].
#[derive(Clone)]
pub struct Stft {
    n_fft: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
    window: Vec<f64>,
    window_energy: f64,
    fft: Arc<dyn RealToComplex<f64>>,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft")
            .field("n_fft", &self.n_fft)
            .field("hop_length", &self.hop_length)
            .field("center", &self.center)
            .field("pad_mode", &self.pad_mode)
            .finish()
    }
}

/// Reusable buffers for [`Stft`]; make one with [`Stft::make_scratch`].
pub struct StftScratch {
    frame: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    fft_scratch: Vec<Complex<f64>>,
}

/// Periodic Hann window of `win_length`, zero-padded (centred) to `n_fft` samples, as
/// `librosa.filters.get_window('hann', win_length, fftbins=True)` + `pad_center`.
pub fn hann_window(win_length: usize, n_fft: usize) -> Vec<f64> {
    let mut w = vec![0.0f64; n_fft];
    let lpad = (n_fft - win_length.min(n_fft)) / 2;
    for n in 0..win_length.min(n_fft) {
        let v = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / win_length as f64).cos();
        w[lpad + n] = v;
    }
    w
}

/// Index into a signal of `len` samples for a (possibly out-of-range) position `i`, mirrored
/// without repeating the edge sample (numpy `pad(mode='reflect')`). `len` must be > 0.
pub(crate) fn reflect_index(i: isize, len: usize) -> usize {
    if len == 1 {
        return 0;
    }
    let period = 2 * (len as isize - 1);
    let m = i.rem_euclid(period);
    if m < len as isize {
        m as usize
    } else {
        (period - m) as usize
    }
}

impl Stft {
    /// Plan an STFT. `win_length = None` means `n_fft`.
    ///
    /// Errors: `n_fft` zero or odd, `hop_length` zero, `win_length` outside `1..=n_fft`.
    pub fn new(
        n_fft: usize,
        hop_length: usize,
        win_length: Option<usize>,
        center: bool,
        pad_mode: PadMode,
    ) -> Result<Self, FeatureError> {
        if n_fft == 0 || !n_fft.is_multiple_of(2) {
            return Err(FeatureError::invalid(
                "n_fft",
                n_fft,
                "FFT size must be a positive even number",
            ));
        }
        if hop_length == 0 {
            return Err(FeatureError::invalid(
                "hop_length",
                hop_length,
                "hop must be > 0 samples",
            ));
        }
        let win = win_length.unwrap_or(n_fft);
        if win == 0 || win > n_fft {
            return Err(FeatureError::invalid(
                "win_length",
                win,
                format!("window length must be in 1..={n_fft} (n_fft)"),
            ));
        }
        let window = hann_window(win, n_fft);
        let window_energy = window.iter().map(|w| w * w).sum();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n_fft);
        Ok(Stft {
            n_fft,
            hop_length,
            center,
            pad_mode,
            window,
            window_energy,
            fft,
        })
    }

    /// Plan the STFT a [`FeatureConfig`] describes (validates the config first).
    pub fn from_config(cfg: &FeatureConfig) -> Result<Self, FeatureError> {
        cfg.validate()?;
        Stft::new(
            cfg.n_fft,
            cfg.hop_length,
            cfg.win_length,
            cfg.center,
            cfg.pad_mode,
        )
    }

    /// FFT size.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Hop between frames in samples.
    pub fn hop_length(&self) -> usize {
        self.hop_length
    }

    /// Frequency bins per frame: `1 + n_fft / 2`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Frames produced for a signal of `n_samples` (see module docs).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        let pad = if self.center { self.n_fft / 2 } else { 0 };
        let padded = n_samples + 2 * pad;
        if padded < self.n_fft {
            0
        } else {
            1 + (padded - self.n_fft) / self.hop_length
        }
    }

    /// Allocate the buffers [`Stft::process_into`] needs; reuse them across calls.
    pub fn make_scratch(&self) -> StftScratch {
        StftScratch {
            frame: self.fft.make_input_vec(),
            spectrum: self.fft.make_output_vec(),
            fft_scratch: self.fft.make_scratch_vec(),
        }
    }

    /// `|X|^power` of one frame of `n_fft` raw (unwindowed) samples into `out`
    /// (`1 + n_fft / 2` bins). Returns the frame's mean signal energy
    /// `sum((w x)^2) / sum(w^2)` (mean square of the samples the window sees).
    ///
    /// # Panics
    /// If `frame.len() != n_fft` or `out.len() != n_bins()` (hot-path buffer misuse).
    pub fn frame_into(
        &self,
        frame: &[f32],
        power: f32,
        out: &mut [f32],
        scratch: &mut StftScratch,
    ) -> f32 {
        assert_eq!(frame.len(), self.n_fft, "frame length must be n_fft");
        assert_eq!(
            out.len(),
            self.n_bins(),
            "output length must be 1 + n_fft/2"
        );
        // Eight partial sums: a single running sum is a serial dependency chain that costs
        // more than the FFT.
        let mut acc = [0.0f64; 8];
        for ((dst, x), w) in scratch
            .frame
            .chunks_exact_mut(8)
            .zip(frame.chunks_exact(8))
            .zip(self.window.chunks_exact(8))
        {
            for i in 0..8 {
                let v = x[i] as f64 * w[i];
                acc[i] += v * v;
                dst[i] = v;
            }
        }
        let tail = self.n_fft - self.n_fft % 8;
        for ((dst, &x), &w) in scratch.frame[tail..]
            .iter_mut()
            .zip(&frame[tail..])
            .zip(&self.window[tail..])
        {
            let v = x as f64 * w;
            acc[0] += v * v;
            *dst = v;
        }
        let energy: f64 = acc.iter().sum();
        // Lengths are fixed by construction (buffers made by make_scratch), so this cannot fail.
        let _ = self.fft.process_with_scratch(
            &mut scratch.frame,
            &mut scratch.spectrum,
            &mut scratch.fft_scratch,
        );
        spectrum_power(&scratch.spectrum, power, out);
        (energy / self.window_energy) as f32
    }

    /// Frame `t` of `y`: a slice of `y` itself when the frame lies inside the signal, else
    /// `buf` (length `n_fft`) filled with the padded samples.
    pub(crate) fn frame_of<'a>(&self, y: &'a [f32], t: usize, buf: &'a mut [f32]) -> &'a [f32] {
        let pad = if self.center { self.n_fft / 2 } else { 0 };
        let start = (t * self.hop_length) as isize - pad as isize;
        if start >= 0 && start as usize + self.n_fft <= y.len() {
            &y[start as usize..start as usize + self.n_fft]
        } else {
            self.gather_frame(y, t, buf);
            buf
        }
    }

    /// Fill `frame` (length `n_fft`) with frame `t` of signal `y`, applying centre padding.
    pub(crate) fn gather_frame(&self, y: &[f32], t: usize, frame: &mut [f32]) {
        let pad = if self.center { self.n_fft / 2 } else { 0 };
        let start = (t * self.hop_length) as isize - pad as isize;
        let len = y.len();
        if start >= 0 && start as usize + self.n_fft <= len {
            frame.copy_from_slice(&y[start as usize..start as usize + self.n_fft]);
            return;
        }
        for (j, dst) in frame.iter_mut().enumerate() {
            let i = start + j as isize;
            *dst = if i >= 0 && (i as usize) < len {
                y[i as usize]
            } else {
                match self.pad_mode {
                    PadMode::Constant => 0.0,
                    PadMode::Reflect if len > 0 => y[reflect_index(i, len)],
                    PadMode::Reflect => 0.0,
                }
            };
        }
    }

    /// STFT of `y` raised to `power` into `out`, row-major `(n_bins, n_frames)`.
    ///
    /// Errors with [`FeatureError::ShapeMismatch`] if `out.len() != n_bins * n_frames(y.len())`.
    pub fn process_into(
        &self,
        y: &[f32],
        power: f32,
        out: &mut [f32],
        scratch: &mut StftScratch,
        frame_buf: &mut Vec<f32>,
    ) -> Result<(), FeatureError> {
        let n_frames = self.n_frames(y.len());
        let n_bins = self.n_bins();
        if out.len() != n_bins * n_frames {
            return Err(FeatureError::ShapeMismatch {
                what: "STFT output",
                expected: format!("{n_bins} x {n_frames}"),
                actual: format!("{} values", out.len()),
            });
        }
        frame_buf.resize(self.n_fft + n_bins, 0.0);
        let (frame, col) = frame_buf.split_at_mut(self.n_fft);
        for t in 0..n_frames {
            let f = self.frame_of(y, t, frame);
            self.frame_into(f, power, col, scratch);
            for (k, &v) in col.iter().enumerate() {
                out[k * n_frames + t] = v;
            }
        }
        Ok(())
    }

    /// Allocating wrapper: `|STFT(y)|^power`, shape `(1 + n_fft / 2, n_frames)`.
    pub fn spectrogram(&self, y: &[f32], power: f32) -> Array2<f32> {
        let n_frames = self.n_frames(y.len());
        let mut out = vec![0.0f32; self.n_bins() * n_frames];
        let mut scratch = self.make_scratch();
        let mut frame_buf = Vec::new();
        // The output length is computed right above, so the shape check cannot fail.
        let _ = self.process_into(y, power, &mut out, &mut scratch, &mut frame_buf);
        Array2::from_shape_vec((self.n_bins(), n_frames), out)
            .unwrap_or_else(|_| Array2::zeros((self.n_bins(), n_frames)))
    }

    /// `np.abs(librosa.stft(y))`, shape `(1 + n_fft / 2, n_frames)`.
    pub fn magnitude(&self, y: &[f32]) -> Array2<f32> {
        self.spectrogram(y, 1.0)
    }
}

/// `|X|^power` per bin: the spectrum rounded to complex64 as librosa stores it, then
/// `re^2 + im^2` in f32 (power 2; within an ulp of librosa's `np.abs(S)**2`), or its square
/// root raised to `power`. `hypot` is avoided: it is several times slower than the FFT.
fn spectrum_power(spec: &[Complex<f64>], power: f32, out: &mut [f32]) {
    let sq = |c: &Complex<f64>| {
        let (re, im) = (c.re as f32, c.im as f32);
        re * re + im * im
    };
    if power == 2.0 {
        for (o, c) in out.iter_mut().zip(spec) {
            *o = sq(c);
        }
    } else if power == 1.0 {
        for (o, c) in out.iter_mut().zip(spec) {
            *o = sq(c).sqrt();
        }
    } else {
        for (o, c) in out.iter_mut().zip(spec) {
            *o = sq(c).sqrt().powf(power);
        }
    }
}
