//! hark-features: audio -> **features** -> model.
//!
//! librosa-exact building blocks ([`Stft`], [`MelFilterbank`], [`power_to_db`], [`mfcc`]),
//! whole-clip matrices ([`feature_matrix`], [`write_csv`], [`write_npy`]), model-input
//! analysis windows ([`WindowExtractor`], [`StreamingExtractor`]). Everything is driven by one
//! serde [`FeatureConfig`]. Pictures of these matrices are drawn by `hark-plot`, not here.
//!
//! ```
//! use hark_features::{FeatureConfig, MatrixKind, feature_matrix};
//! let cfg = FeatureConfig { sr: 8000, n_fft: 256, hop_length: 128, n_mels: 40, ..Default::default() };
//! let y: Vec<f32> = (0..8000).map(|n| (n as f32 * 0.3).sin() * 0.5).collect();
//! let db = feature_matrix(&y, &cfg, MatrixKind::LogMelDb)?;
//! assert_eq!(db.dim(), (40, 1 + 8000 / 128));
//! # Ok::<(), hark_features::FeatureError>(())
//! ```

mod config;
mod db;
mod error;
mod matrix;
mod mel;
mod stft;
mod stream;
pub mod window;

pub use config::{FeatureConfig, MelNorm, MelScale, PadMode, WindowNorm};
pub use db::{DbRef, dct_ii_ortho, mfcc, power_to_db, power_to_db_inplace};
pub use error::FeatureError;
pub use matrix::{
    MatrixExtractor, MatrixKind, feature_matrix, write_csv, write_csv_to, write_npy,
    write_npy_header, write_npy_to,
};
pub use mel::{MelFilterbank, fft_frequencies, hz_to_mel, mel_frequencies, mel_to_hz};
pub use stft::{Stft, StftScratch, hann_window};
pub use stream::StreamingExtractor;
pub use window::{Window, WindowExtractor, window_starts};

/// Version of the numbers this crate computes for a given [`FeatureConfig`]. Bump it in the same
/// commit as any change that alters output values beyond float noise: STFT padding and window,
/// the mel filterbank, the dB code ([`power_to_db`] and its fast `log10`), MFCC, window energy,
/// silence gating or normalisation. Caches of computed features (hark-data's feature cache) put
/// it in their key, so features computed by older code are never reused.
pub const NUMERICS_VERSION: u32 = 1;
