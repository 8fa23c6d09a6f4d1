//! Whole-clip feature matrices and their files (audio -> **features** -> CSV/NPY for
//! inspection; what `hark features` writes). These are librosa-exact and use `ref = max`,
//! unlike the model windows in [`crate::window`].

use std::io::Write;
use std::path::Path;

use ndarray::{Array2, ArrayViewMut2, Axis, s};

use crate::db::{check_db_params, db_ref_one};
use crate::{DbRef, FeatureConfig, FeatureError, MelFilterbank, Stft};

/// Which matrix [`feature_matrix`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MatrixKind {
    /// `np.abs(librosa.stft(y))`, shape `(1 + n_fft / 2, n_frames)`.
    StftMagnitude,
    /// `librosa.feature.melspectrogram(y, power=cfg.power)`, shape `(n_mels, n_frames)`.
    MelPower,
    /// `librosa.power_to_db(mel, ref=np.max, amin, top_db)`, shape `(n_mels, n_frames)`;
    /// no per-window normalisation. The per-cell log is a vectorised `ln` within 2e-5 dB of
    /// libm's `log10`, so this can differ from [`crate::power_to_db`] of `MelPower` in the
    /// last bits.
    #[default]
    LogMelDb,
}

/// Plans (STFT + filterbank) and buffers for computing whole-clip matrices repeatedly with
/// one config; [`feature_matrix`] is the one-shot wrapper.
#[derive(Debug, Clone)]
pub struct MatrixExtractor {
    cfg: FeatureConfig,
    stft: Stft,
    mel: MelFilterbank,
}

impl MatrixExtractor {
    /// Validate `cfg` and plan the STFT and filterbank.
    pub fn new(cfg: &FeatureConfig) -> Result<Self, FeatureError> {
        Ok(MatrixExtractor {
            cfg: cfg.clone(),
            stft: Stft::from_config(cfg)?,
            mel: MelFilterbank::from_config(cfg)?,
        })
    }

    /// Compute `kind` for mono `y` at `cfg.sr`; see [`MatrixKind`] for shapes.
    pub fn compute(&self, y: &[f32], kind: MatrixKind) -> Result<Array2<f32>, FeatureError> {
        self.compute_parallel(y, kind, 1)
    }

    /// Mel power (or, with `to_db`, `10 log10(max(mel, amin))`) of frames
    /// `first..first + out.ncols()` of `y` into the `(n_mels, frames)` view `out`; returns the
    /// largest value written. Frames are computed into a small frame-major block that stays in
    /// cache, then written out a row segment at a time.
    fn mel_frames(
        &self,
        y: &[f32],
        first: usize,
        mut out: ArrayViewMut2<'_, f32>,
        to_db: bool,
    ) -> f32 {
        const BLOCK: usize = 32;
        let n_mels = self.mel.n_mels();
        let mut scratch = self.stft.make_scratch();
        let mut frame_buf = vec![0.0f32; self.stft.n_fft()];
        let mut spec = vec![0.0f32; self.stft.n_bins()];
        let mut block = vec![0.0f32; BLOCK * n_mels];
        let mut max = f32::NEG_INFINITY;
        let n = out.ncols();
        let mut t0 = 0;
        while t0 < n {
            let len = BLOCK.min(n - t0);
            for (i, col) in block.chunks_exact_mut(n_mels).take(len).enumerate() {
                let frame = self.stft.frame_of(y, first + t0 + i, &mut frame_buf);
                self.stft
                    .power_into(frame, self.cfg.power, &mut spec, &mut scratch);
                self.mel.apply_frame(&spec, col);
                if to_db {
                    db_ref_one(col, self.cfg.amin);
                }
                max = col.iter().copied().fold(max, f32::max);
            }
            let mut seg = out.slice_mut(s![.., t0..t0 + len]);
            for (m, mut row) in seg.rows_mut().into_iter().enumerate() {
                for (j, dst) in row.iter_mut().enumerate() {
                    *dst = block[j * n_mels + m];
                }
            }
            t0 += len;
        }
        max
    }

    /// [`MatrixExtractor::compute`] with the frames split over `threads` scoped threads
    /// (`threads <= 1` runs on the calling thread). The result is identical for any count.
    pub fn compute_parallel(
        &self,
        y: &[f32],
        kind: MatrixKind,
        threads: usize,
    ) -> Result<Array2<f32>, FeatureError> {
        if kind == MatrixKind::StftMagnitude {
            return Ok(self.stft.magnitude(y));
        }
        let to_db = kind == MatrixKind::LogMelDb;
        if to_db {
            check_db_params(self.cfg.amin, self.cfg.top_db, DbRef::Max)?;
        }
        let n_frames = self.stft.n_frames(y.len());
        let n_mels = self.mel.n_mels();
        let mut out = Array2::<f32>::zeros((n_mels, n_frames));
        let threads = threads.clamp(1, n_frames.max(1));
        let per = n_frames.div_ceil(threads).max(1);
        let max = if threads <= 1 {
            self.mel_frames(y, 0, out.view_mut(), to_db)
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = out
                    .axis_chunks_iter_mut(Axis(1), per)
                    .enumerate()
                    .map(|(k, view)| s.spawn(move || self.mel_frames(y, k * per, view, to_db)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .fold(f32::NEG_INFINITY, f32::max)
            })
        };
        if to_db {
            // Cells hold 10 log10(max(S, amin)); their maximum is exactly
            // 10 log10(max(max(S), amin)), librosa's `ref=np.max` offset.
            let flat = out.as_slice_mut().unwrap_or_default();
            db_finish(flat, max, self.cfg.top_db, threads);
        }
        Ok(out)
    }
}

/// Second dB pass over cells holding `10 log10(max(S, amin))`: subtract `offset` (the largest
/// cell) and clip at `top_db` below the new maximum, as [`crate::power_to_db_inplace`] does.
fn db_finish(v: &mut [f32], offset: f32, top_db: Option<f32>, threads: usize) {
    // After the subtraction the largest cell is `offset - offset`, exactly 0 dB.
    let floor = top_db.map(|t| -t);
    let run = |chunk: &mut [f32]| match floor {
        Some(f) => chunk.iter_mut().for_each(|x| *x = (*x - offset).max(f)),
        None => chunk.iter_mut().for_each(|x| *x -= offset),
    };
    if threads <= 1 || v.len() < 1 << 16 {
        run(v);
    } else {
        std::thread::scope(|s| {
            for chunk in v.chunks_mut(v.len().div_ceil(threads)) {
                s.spawn(move || run(chunk));
            }
        });
    }
}

/// One-shot feature matrix of mono `y` (at `cfg.sr`); see [`MatrixKind`] for shapes.
pub fn feature_matrix(
    y: &[f32],
    cfg: &FeatureConfig,
    kind: MatrixKind,
) -> Result<Array2<f32>, FeatureError> {
    MatrixExtractor::new(cfg)?.compute(y, kind)
}

/// Write `path` atomically through hark-io (one policy for every output file).
fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FeatureError> {
    hark_io::write_atomic_with(path, fill).map_err(|source| FeatureError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `m` as CSV: one line per row (band), values comma separated, no header, each value
/// in Rust's shortest round-trip form (parses back to the same f32). Atomic.
pub fn write_csv(path: impl AsRef<Path>, m: &Array2<f32>) -> Result<(), FeatureError> {
    write_atomic(path.as_ref(), |w| write_csv_to(w, m))
}

/// [`write_csv`] to any writer (standard output, say).
pub fn write_csv_to(w: &mut dyn Write, m: &Array2<f32>) -> std::io::Result<()> {
    for row in m.rows() {
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                w.write_all(b",")?;
            }
            write!(w, "{v:?}")?;
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Write `m` as a float32 `.npy` (format 1.0, little endian, C order, shape `(rows, cols)`).
/// Atomic.
pub fn write_npy(path: impl AsRef<Path>, m: &Array2<f32>) -> Result<(), FeatureError> {
    write_atomic(path.as_ref(), |w| write_npy_to(w, m))
}

/// The header of a float32 `.npy` of shape `(rows, cols)` (format 1.0, little endian, C
/// order); `rows * cols` little-endian f32 values follow it (`hark embed` streams them).
pub fn write_npy_header(w: &mut dyn Write, rows: usize, cols: usize) -> std::io::Result<()> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // magic (6) + version (2) + header length (2) + header, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    w.write_all(&(header.len() as u16).to_le_bytes())?;
    w.write_all(header.as_bytes())
}

/// [`write_npy`] to any writer (standard output, say).
pub fn write_npy_to(w: &mut dyn Write, m: &Array2<f32>) -> std::io::Result<()> {
    let (r, c) = m.dim();
    write_npy_header(w, r, c)?;
    for v in m.iter() {
        w.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}
