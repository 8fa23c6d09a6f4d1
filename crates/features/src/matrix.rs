//! Whole-clip feature matrices and their files (audio -> **features** -> CSV/NPY for
//! inspection; what `hark features` writes). These are librosa-exact and use `ref = max`,
//! unlike the model windows in [`crate::window`].

use std::io::Write;
use std::path::Path;

use ndarray::Array2;

use crate::{DbRef, FeatureConfig, FeatureError, MelFilterbank, Stft, power_to_db_inplace};

/// Which matrix [`feature_matrix`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MatrixKind {
    /// `np.abs(librosa.stft(y))`, shape `(1 + n_fft / 2, n_frames)`.
    StftMagnitude,
    /// `librosa.feature.melspectrogram(y, power=cfg.power)`, shape `(n_mels, n_frames)`.
    MelPower,
    /// `librosa.power_to_db(mel, ref=np.max, amin, top_db)`, shape `(n_mels, n_frames)`;
    /// no per-window normalisation.
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

    /// Mel power of frames `first..first + out.len() / n_mels` of `y`, frame-major into `out`.
    fn mel_frames(&self, y: &[f32], first: usize, out: &mut [f32]) {
        let n_mels = self.mel.n_mels();
        let mut scratch = self.stft.make_scratch();
        let mut frame = vec![0.0f32; self.stft.n_fft()];
        let mut spec = vec![0.0f32; self.stft.n_bins()];
        for (i, col) in out.chunks_exact_mut(n_mels).enumerate() {
            self.stft.gather_frame(y, first + i, &mut frame);
            self.stft
                .frame_into(&frame, self.cfg.power, &mut spec, &mut scratch);
            self.mel.apply_frame(&spec, col);
        }
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
        let n_frames = self.stft.n_frames(y.len());
        let n_mels = self.mel.n_mels();
        let mut frames = vec![0.0f32; n_mels * n_frames];
        let per = n_frames.div_ceil(threads.max(1)).max(1);
        if threads <= 1 || n_frames < 2 {
            self.mel_frames(y, 0, &mut frames);
        } else {
            std::thread::scope(|s| {
                for (k, block) in frames.chunks_mut(per * n_mels).enumerate() {
                    s.spawn(move || self.mel_frames(y, k * per, block));
                }
            });
        }
        // Frame-major -> (n_mels, n_frames).
        let mut out = vec![0.0f32; n_mels * n_frames];
        for (t, col) in frames.chunks_exact(n_mels).enumerate() {
            for (m, &v) in col.iter().enumerate() {
                out[m * n_frames + t] = v;
            }
        }
        if kind == MatrixKind::LogMelDb {
            power_to_db_inplace(&mut out, DbRef::Max, self.cfg.amin, self.cfg.top_db)?;
        }
        Array2::from_shape_vec((n_mels, n_frames), out).map_err(|e| FeatureError::ShapeMismatch {
            what: "feature matrix",
            expected: format!("{n_mels} x {n_frames}"),
            actual: e.to_string(),
        })
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

/// Write `bytes` to `path` atomically: a temp file in the same folder, then rename.
fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FeatureError> {
    let err = |source| FeatureError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        fill(&mut w).map_err(err)?;
        w.flush().map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Write `m` as CSV: one line per row (band), values comma separated, no header, each value
/// in Rust's shortest round-trip form (parses back to the same f32). Atomic.
pub fn write_csv(path: impl AsRef<Path>, m: &Array2<f32>) -> Result<(), FeatureError> {
    write_atomic(path.as_ref(), |w| {
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
    })
}

/// Write `m` as a float32 `.npy` (format 1.0, little endian, C order, shape `(rows, cols)`).
/// Atomic.
pub fn write_npy(path: impl AsRef<Path>, m: &Array2<f32>) -> Result<(), FeatureError> {
    let (r, c) = m.dim();
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({r}, {c}), }}");
    // magic (6) + version (2) + header length (2) + header, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    write_atomic(path.as_ref(), |w| {
        w.write_all(b"\x93NUMPY\x01\x00")?;
        w.write_all(&(header.len() as u16).to_le_bytes())?;
        w.write_all(header.as_bytes())?;
        for v in m.iter() {
            w.write_all(&v.to_le_bytes())?;
        }
        Ok(())
    })
}
