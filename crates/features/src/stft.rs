//! Short-time Fourier transform, librosa-exact (audio -> **features**: STFT -> mel -> dB).
//!
//! Periodic Hann window of `win_length` samples centred in `n_fft`, `center = true` pads
//! `n_fft / 2` samples on both sides (zeros or reflection), frame `t` starts at padded sample
//! `t * hop_length`, `n_frames = 1 + len / hop_length`. Output shape `(1 + n_fft / 2, n_frames)`,
//! no normalisation. The window is computed in f64 and rounded to f32; the windowed frame and
//! its FFT are f32: the `n_fft` real samples are packed into `n_fft / 2` complex ones, given to
//! `rustfft` (planned once per [`Stft`], AVX/SSE chosen at run time), and the real spectrum is
//! split out of the result in the same pass that takes `|X|^2` (`realfft` does the same split
//! as a separate, scalar pass that cost more than the FFT itself).
//!
//! Accuracy: librosa's FFT runs in f64 and rounds to complex64. An f32 FFT adds round-off of
//! about `1e-7 * |frame|` to every bin (this is f32 arithmetic, not a bug), which shows in mel
//! cells just above the `top_db = 80` floor: 6.4e-4 dB on the golden chirp (tolerance 1e-3).

use std::sync::Arc;

use ndarray::Array2;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::{FeatureConfig, FeatureError, PadMode};

/// A planned STFT: window, FFT plan and sizes. Cheap to share; per-call buffers live in
/// [`StftScratch`].
#[derive(Clone)]
pub struct Stft {
    n_fft: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
    /// The f64 Hann window rounded to f32.
    window: Vec<f32>,
    window_energy: f64,
    /// Complex FFT of `n_fft / 2` points (the packed real frame).
    fft: Arc<dyn Fft<f32>>,
    /// `exp(-2 pi i k / n_fft)` for `k = 0..n_fft / 2`.
    twiddles: Vec<Complex<f32>>,
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
    /// Windowed frame packed as `n_fft / 2` complex values (even samples real, odd imaginary).
    packed: Vec<Complex<f32>>,
    /// FFT of `packed`.
    half: Vec<Complex<f32>>,
    fft_scratch: Vec<Complex<f32>>,
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
        let window64 = hann_window(win, n_fft);
        let window_energy = window64.iter().map(|w| w * w).sum();
        let window = window64.iter().map(|&w| w as f32).collect();
        let half = n_fft / 2;
        let fft = FftPlanner::<f32>::new().plan_fft_forward(half);
        let twiddles = (0..half)
            .map(|k| {
                let a = -2.0 * std::f64::consts::PI * k as f64 / n_fft as f64;
                Complex::new(a.cos() as f32, a.sin() as f32)
            })
            .collect();
        Ok(Stft {
            n_fft,
            hop_length,
            center,
            pad_mode,
            window,
            window_energy,
            fft,
            twiddles,
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
        let zero = Complex::new(0.0, 0.0);
        StftScratch {
            packed: vec![zero; self.n_fft / 2],
            half: vec![zero; self.n_fft / 2],
            fft_scratch: vec![zero; self.fft.get_outofplace_scratch_len()],
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
        self.power_into(frame, power, out, scratch);
        self.frame_energy(frame)
    }

    /// Mean signal energy of one raw frame: `sum((w x)^2) / sum(w^2)`.
    pub(crate) fn frame_energy(&self, frame: &[f32]) -> f32 {
        // Eight partial sums: a single running sum is a serial dependency chain.
        let mut acc = [0.0f32; 8];
        let (xc, wc) = (frame.chunks_exact(8), self.window.chunks_exact(8));
        let (xr, wr) = (xc.remainder(), wc.remainder());
        for (x, w) in xc.zip(wc) {
            for i in 0..8 {
                let v = x[i] * w[i];
                acc[i] += v * v;
            }
        }
        for (i, (x, w)) in xr.iter().zip(wr).enumerate() {
            let v = x * w;
            acc[i] += v * v;
        }
        let energy =
            ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        (energy as f64 / self.window_energy) as f32
    }

    /// `|X|^power` of one raw frame (`n_fft` samples) into `out` (`n_bins` values): window,
    /// pack, FFT, then split the real spectrum out and square it in one pass. Lengths are the
    /// caller's duty (checked by the public wrappers).
    pub(crate) fn power_into(
        &self,
        frame: &[f32],
        power: f32,
        out: &mut [f32],
        scratch: &mut StftScratch,
    ) {
        for ((p, x), w) in scratch
            .packed
            .iter_mut()
            .zip(frame.chunks_exact(2))
            .zip(self.window.chunks_exact(2))
        {
            *p = Complex::new(x[0] * w[0], x[1] * w[1]);
        }
        self.fft.process_outofplace_with_scratch(
            &mut scratch.packed,
            &mut scratch.half,
            &mut scratch.fft_scratch,
        );
        split_power(&scratch.half, &self.twiddles, out);
        if power == 1.0 {
            out.iter_mut().for_each(|v| *v = v.sqrt());
        } else if power != 2.0 {
            out.iter_mut().for_each(|v| *v = v.sqrt().powf(power));
        }
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

/// `|X[k]|^2` for `k = 0..=m` from `z`, the `m`-point FFT of the real frame packed as complex
/// pairs: with `a = z[k]`, `b = conj(z[m - k])`, the even-sample DFT is `(a + b) / 2`, the
/// odd-sample DFT is `-i (a - b) / 2`, and `X[k] = even + W^k odd` (`W = exp(-2 pi i / 2m)`).
/// Each bin is computed on its own (no pairing), so the loop vectorises.
fn split_power(z: &[Complex<f32>], twiddles: &[Complex<f32>], out: &mut [f32]) {
    let m = z.len();
    let (z0, out0) = (z[0], &mut out[..=m]);
    out0[0] = (z0.re + z0.im) * (z0.re + z0.im);
    out0[m] = (z0.re - z0.im) * (z0.re - z0.im);
    for (((o, a), b), w) in out0[1..m]
        .iter_mut()
        .zip(&z[1..])
        .zip(z[1..].iter().rev())
        .zip(&twiddles[1..])
    {
        let (er, ei) = (0.5 * (a.re + b.re), 0.5 * (a.im - b.im));
        // odd = -i * (a - conj(z[m-k])) / 2
        let (or, oi) = (0.5 * (a.im + b.im), -0.5 * (a.re - b.re));
        let xr = er + (w.re * or - w.im * oi);
        let xi = ei + (w.re * oi + w.im * or);
        *o = xr * xr + xi * xi;
    }
}
