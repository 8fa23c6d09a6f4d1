//! On-disk cache of analysis windows, one small file per clip.
//!
//! Flow: datasets -> audio -> **features (cached here)** -> model -> train/eval.
//!
//! Layout: `<cache_dir>/<config key>/<clip key>.win`, where
//! - `config key` = xxh3-128 of the [`FeatureConfig`] as JSON plus [`KeyInputs::CURRENT`]:
//!   every constant outside the config that changes the cached numbers ([`CACHE_VERSION`], hark's
//!   version, [`hark_features::NUMERICS_VERSION`], [`AUDIO_NUMERICS_VERSION`] and hark-audio's
//!   resampler constants). The folder also holds `config.json` and `key.txt` (the hashed text)
//!   for humans;
//! - `clip key` = xxh3-128 of the clip's canonical absolute path, file size, modification time
//!   (ns) and segment `start`/`end`. The absolute path keeps two datasets sharing one cache folder
//!   apart even when their files have equal relative names, sizes and mtimes (e.g. unpacked from
//!   archives); the price is that a moved dataset is extracted again.
//!
//! Adding or changing a file only adds entries; nothing is ever rewritten in place. Entries are
//! written to a temporary file and renamed, so an interrupted run leaves either a whole entry or
//! none. An entry whose magic, length or checksum is wrong is treated as a miss and recomputed.
//!
//! Entry format (little-endian): magic `HARKWIN1`, `n_mels: u32`, `window_frames: u32`,
//! `count: u32`, then per window `start_frame: u64`, `silent: u8`, `energy_dbfs: f32`,
//! `n_mels * window_frames` × `f32`; then an xxh3-64 checksum of everything before it.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use hark_features::{FeatureConfig, Window};
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

use crate::dataset::Clip;

/// Bumped whenever the entry format or the meaning of cached windows changes (2: key includes
/// [`KeyInputs`]).
pub const CACHE_VERSION: u32 = 2;

/// [`hark_audio::NUMERICS_VERSION`]: hark-audio's numeric behaviour that its public constants
/// do not show (decoder pre-roll, resampler window, PCM scaling, damage handling).
pub const AUDIO_NUMERICS_VERSION: u32 = hark_audio::NUMERICS_VERSION;

/// Everything besides the [`FeatureConfig`] that decides the numbers in a cache entry; all of it
/// goes into the config key, so features computed by other code are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInputs {
    /// [`CACHE_VERSION`]: entry format.
    pub cache_version: u32,
    /// hark's version (`CARGO_PKG_VERSION`; the workspace shares one version).
    pub hark_version: &'static str,
    /// [`hark_features::NUMERICS_VERSION`]: STFT, mel, dB, windows, gating.
    pub features_numerics: u32,
    /// [`AUDIO_NUMERICS_VERSION`]: decoder pre-roll, resampler window, PCM scaling.
    pub audio_numerics: u32,
    /// [`hark_audio::SINC_LEN`].
    pub sinc_len: usize,
    /// [`hark_audio::OVERSAMPLING`].
    pub oversampling: usize,
    /// [`hark_audio::CHUNK_FRAMES`].
    pub chunk_frames: usize,
}

impl KeyInputs {
    /// The values of this build.
    pub const CURRENT: KeyInputs = KeyInputs {
        cache_version: CACHE_VERSION,
        hark_version: env!("CARGO_PKG_VERSION"),
        features_numerics: hark_features::NUMERICS_VERSION,
        audio_numerics: AUDIO_NUMERICS_VERSION,
        sinc_len: hark_audio::SINC_LEN,
        oversampling: hark_audio::OVERSAMPLING,
        chunk_frames: hark_audio::CHUNK_FRAMES,
    };

    /// The text hashed into the config key: these inputs, then the config as JSON.
    pub fn key_text(&self, cfg: &FeatureConfig) -> String {
        let json = serde_json::to_string(cfg).unwrap_or_default();
        format!(
            "hark-cache v{}\nhark {}\nfeatures numerics {}\naudio numerics {}\n\
             resampler sinc_len {} oversampling {} chunk_frames {}\n{json}",
            self.cache_version,
            self.hark_version,
            self.features_numerics,
            self.audio_numerics,
            self.sinc_len,
            self.oversampling,
            self.chunk_frames,
        )
    }

    /// The config key: xxh3-128 of [`KeyInputs::key_text`].
    pub fn config_key(&self, cfg: &FeatureConfig) -> u128 {
        xxh3_128(self.key_text(cfg).as_bytes())
    }
}

const MAGIC: &[u8; 8] = b"HARKWIN1";
const HEADER_LEN: usize = 8 + 4 * 3;
const CHECKSUM_LEN: usize = 8;

/// The cache folder for one feature configuration inside `cache_dir`, named by its config key
/// (see [`KeyInputs`]).
pub fn config_dir(cache_dir: &Path, cfg: &FeatureConfig) -> PathBuf {
    let key = KeyInputs::CURRENT.config_key(cfg);
    cache_dir.join(format!("{key:032x}"))
}

/// A per-user default cache folder: `$HARK_CACHE_DIR`, else `$XDG_CACHE_HOME/hark`, else
/// `$HOME/.cache/hark`; `None` when none of these is set. Callers may prefer
/// `<dataset root>/.hark-cache` (hidden, so never mistaken for a class folder).
pub fn default_cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("HARK_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("hark")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("hark")))
}

/// Creates the config folder with its `config.json` and `key.txt` (best effort for those two).
pub(crate) fn prepare_config_dir(dir: &Path, cfg: &FeatureConfig) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json_path = dir.join("config.json");
    if !json_path.exists()
        && let Ok(json) = serde_json::to_vec_pretty(cfg)
    {
        let _ = write_atomic(&json_path, &json);
    }
    let key_path = dir.join("key.txt");
    if !key_path.exists() {
        let _ = write_atomic(&key_path, KeyInputs::CURRENT.key_text(cfg).as_bytes());
    }
    Ok(())
}

/// The entry path for `clip`, or `None` when the file's metadata cannot be read (no caching then).
pub(crate) fn entry_path(dir: &Path, clip: &Clip) -> Option<PathBuf> {
    let meta = std::fs::metadata(&clip.path).ok()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let abs = std::fs::canonicalize(&clip.path).unwrap_or_else(|_| clip.path.clone());
    let ident = format!(
        "{}\n{}\n{}\n{:?}\n{:?}",
        abs.to_string_lossy(),
        meta.len(),
        mtime,
        clip.start.map(f64::to_bits),
        clip.end.map(f64::to_bits),
    );
    Some(dir.join(format!("{:032x}.win", xxh3_128(ident.as_bytes()))))
}

/// Serialises windows into the entry format (see module docs).
pub(crate) fn encode(windows: &[Window], n_mels: usize, window_frames: usize) -> Vec<u8> {
    let cells = n_mels * window_frames;
    let mut buf = Vec::with_capacity(HEADER_LEN + windows.len() * (13 + 4 * cells) + CHECKSUM_LEN);
    buf.extend_from_slice(MAGIC);
    for v in [n_mels, window_frames, windows.len()] {
        buf.extend_from_slice(&(v as u32).to_le_bytes());
    }
    for w in windows {
        buf.extend_from_slice(&(w.start_frame as u64).to_le_bytes());
        buf.push(u8::from(w.silent));
        buf.extend_from_slice(&w.energy_dbfs.to_le_bytes());
        for v in &w.values {
            buf.extend_from_slice(&v.to_le_bytes());
        }
    }
    let sum = xxh3_64(&buf);
    buf.extend_from_slice(&sum.to_le_bytes());
    buf
}

/// Parses an entry; `None` when it is corrupt, truncated or for another window shape.
pub(crate) fn decode(bytes: &[u8], n_mels: usize, window_frames: usize) -> Option<Vec<Window>> {
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN || &bytes[..8] != MAGIC {
        return None;
    }
    let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if xxh3_64(body).to_le_bytes() != sum {
        return None;
    }
    let u32_at = |o: usize| -> Option<usize> {
        Some(u32::from_le_bytes(body.get(o..o + 4)?.try_into().ok()?) as usize)
    };
    if u32_at(8)? != n_mels || u32_at(12)? != window_frames {
        return None;
    }
    let count = u32_at(16)?;
    let cells = n_mels * window_frames;
    let per = 8 + 1 + 4 + 4 * cells;
    if body.len() != HEADER_LEN + count * per {
        return None;
    }
    let mut windows = Vec::with_capacity(count);
    for chunk in body[HEADER_LEN..].chunks_exact(per) {
        let start_frame = u64::from_le_bytes(chunk[..8].try_into().ok()?) as usize;
        let silent = chunk[8] != 0;
        let energy_dbfs = f32::from_le_bytes(chunk[9..13].try_into().ok()?);
        let values = chunk[13..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        windows.push(Window {
            start_frame,
            values,
            silent,
            energy_dbfs,
        });
    }
    Some(windows)
}

/// Writes `bytes` to `path` via a temporary file in the same folder and a rename. No fsync: the
/// rename protects against interruption; the checksum catches the rare power-loss torn write.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    hark_io::write_atomic(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n_mels: usize, frames: usize) -> Vec<Window> {
        (0..3)
            .map(|k| Window {
                start_frame: k * 4,
                values: (0..n_mels * frames)
                    .map(|i| i as f32 * 0.25 - k as f32)
                    .collect(),
                silent: k == 2,
                energy_dbfs: -20.0 - k as f32,
            })
            .collect()
    }

    #[test]
    fn round_trip_is_exact() {
        let w = sample(3, 5);
        let bytes = encode(&w, 3, 5);
        assert_eq!(decode(&bytes, 3, 5), Some(w));
        assert_eq!(decode(&encode(&[], 3, 5), 3, 5), Some(Vec::new()));
    }

    #[test]
    fn damaged_or_mismatched_entries_are_rejected() {
        let bytes = encode(&sample(3, 5), 3, 5);
        for cut in [0, 7, HEADER_LEN, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut], 3, 5), None, "truncated to {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER_LEN + 20] ^= 0x10;
        assert_eq!(decode(&flipped, 3, 5), None, "bit flip caught by checksum");
        assert_eq!(decode(&bytes, 5, 3), None, "other window shape");
    }

    #[test]
    fn config_changes_change_the_folder() {
        let a = FeatureConfig::default();
        let b = FeatureConfig {
            n_mels: a.n_mels + 1,
            ..a.clone()
        };
        let root = Path::new("/c");
        assert_eq!(config_dir(root, &a), config_dir(root, &a.clone()));
        assert_ne!(config_dir(root, &a), config_dir(root, &b));
    }

    #[test]
    fn every_key_input_changes_the_key() {
        let cfg = FeatureConfig::default();
        let base = KeyInputs::CURRENT;
        let changed = [
            KeyInputs {
                cache_version: base.cache_version + 1,
                ..base
            },
            KeyInputs {
                hark_version: "999.0.0",
                ..base
            },
            KeyInputs {
                features_numerics: base.features_numerics + 1,
                ..base
            },
            KeyInputs {
                audio_numerics: base.audio_numerics + 1,
                ..base
            },
            KeyInputs {
                sinc_len: base.sinc_len * 2,
                ..base
            },
            KeyInputs {
                oversampling: base.oversampling * 2,
                ..base
            },
            KeyInputs {
                chunk_frames: base.chunk_frames * 2,
                ..base
            },
        ];
        let key = base.config_key(&cfg);
        assert_eq!(key, KeyInputs::CURRENT.config_key(&cfg.clone()), "stable");
        let mut keys = vec![key];
        for (i, inputs) in changed.iter().enumerate() {
            let k = inputs.config_key(&cfg);
            assert!(
                !keys.contains(&k),
                "input {i} ({inputs:?}) did not change the key"
            );
            keys.push(k);
        }
        // The folder name is this build's key.
        let root = Path::new("/c");
        assert_eq!(config_dir(root, &cfg), root.join(format!("{key:032x}")));
        // Each input appears in the hashed text, under its own name.
        let text = base.key_text(&cfg);
        for needle in [
            format!("hark-cache v{CACHE_VERSION}\n"),
            format!("hark {}\n", env!("CARGO_PKG_VERSION")),
            format!("features numerics {}\n", hark_features::NUMERICS_VERSION),
            format!("audio numerics {AUDIO_NUMERICS_VERSION}\n"),
            format!("sinc_len {} ", hark_audio::SINC_LEN),
        ] {
            assert!(text.contains(&needle), "{needle:?} missing from {text:?}");
        }
    }
}
