//! Errors of the audio-input stage (audio -> features -> ...): every variant says what went wrong
//! and how to recover.
//!
//! # Convention: the caller names the file
//! An [`AudioError`]'s Display **never contains the file's path**, because every caller already
//! has it and names it once, in front: `eprintln!("error: {}: {e}", path.display())`, anyhow's
//! `.with_context(|| path.display().to_string())`, or a report row with a path column. Messages
//! therefore read as the rest of a sentence about that file ("the file is corrupt: ...; re-export
//! or remove it"). The path is still kept in each file variant for programs:
//! [`AudioError::path`]. [`crate::AudioWarning`] follows the same convention.

use std::path::PathBuf;

/// Everything that can go wrong while probing, decoding or resampling audio.
///
/// Variants are grouped by what the caller should do next: fix the path or permissions
/// (`NotFound`, `Io`), convert or replace the file (`Empty`, `UnrecognizedFormat`, `Unsupported`,
/// `NoAudioTrack`, `InvalidHeader`, `Corrupt`, `Truncated`, `NonFinite`), or fix the arguments
/// (`InvalidParameter`, `OffsetBeyondEnd`). In a folder of files, all of these except
/// `InvalidParameter` mean "report this file and skip it".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// The path does not exist.
    #[error("audio file not found; check the path and the working directory")]
    NotFound {
        /// The missing file.
        path: PathBuf,
    },
    /// The file exists but could not be read (permissions, a directory, a disk error).
    #[error("could not read the file; check permissions and that it is a regular file")]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has zero bytes, or decodes to zero audio frames.
    #[error("the file is empty (no audio frames); re-export or remove it")]
    Empty {
        /// The empty file.
        path: PathBuf,
    },
    /// The bytes are not a container this build recognises (for example a text file named .wav).
    /// The message suggests converting with ffmpeg only when the bytes could be audio: a text
    /// file gets no conversion advice.
    #[error(
        "not a recognised audio file ({hint}); supported: WAV, FLAC, Ogg Vorbis, MP3, AIFF, CAF, MP4/M4A, MKV/WebM{}",
        convert_advice(hint)
    )]
    UnrecognizedFormat {
        /// The file.
        path: PathBuf,
        /// What the first bytes look like, in words.
        hint: String,
    },
    /// The container was recognised but the codec (or a feature of it) is not supported.
    #[error("{what} is not supported; convert it with `ffmpeg -i <file> out.wav`")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The codec/container in plain words, e.g. "AMR-NB speech codec in a 3GP container".
        what: String,
    },
    /// The container holds no audio track.
    #[error("the file contains no audio track; it may be a video-only or metadata-only file")]
    NoAudioTrack {
        /// The file.
        path: PathBuf,
    },
    /// A header field has an impossible value (zero channels, 0 Hz sample rate, ...).
    #[error(
        "header field `{field}` is {value}, which is impossible; the file is damaged, re-export it"
    )]
    InvalidHeader {
        /// The file.
        path: PathBuf,
        /// The header field, e.g. "channels" or "sample_rate".
        field: &'static str,
        /// The value found.
        value: u64,
    },
    /// The data could not be decoded (damaged stream, malformed header).
    #[error("the file is corrupt: {reason}; re-export or remove it")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the decoder reported.
        reason: String,
    },
    /// The file ends before the number of frames its header declares.
    #[error(
        "the file is truncated: the header declares {declared_frames} samples per channel but only {decoded_frames} could be decoded; re-copy or re-export it"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Frames the header promises.
        declared_frames: u64,
        /// Frames actually present.
        decoded_frames: u64,
    },
    /// A float file contains NaN or infinite samples.
    #[error(
        "the file contains a non-finite sample ({value}) at interleaved sample index {index} (frame {frame}, channel {channel}); clean the file (e.g. `sox in.wav out.wav`) or remove it"
    )]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// Index of the first bad sample in the interleaved decoded stream.
        index: u64,
        /// Frame of the first bad sample.
        frame: u64,
        /// Channel of the first bad sample.
        channel: usize,
        /// The bad value (NaN, inf or -inf).
        value: f32,
    },
    /// A caller-supplied parameter is out of range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name in librosa's vocabulary (sr, offset, duration, ...).
        name: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
    /// The resampler failed (a bug in hark or rubato rather than in the input; please report it).
    #[error("resampling {from} Hz -> {to} Hz failed: {reason}; this is a bug, please report it")]
    Resample {
        /// Input rate in Hz.
        from: u32,
        /// Output rate in Hz.
        to: u32,
        /// What rubato reported.
        reason: String,
    },
    /// The requested offset lies at or after the end of the file.
    #[error(
        "offset {offset} s is at or beyond the end of the audio ({duration} s); use a smaller offset"
    )]
    OffsetBeyondEnd {
        /// The file.
        path: PathBuf,
        /// Requested offset in seconds.
        offset: f64,
        /// Length of the file in seconds.
        duration: f64,
    },
}

/// Words of [`crate::sniff::describe`] for a text file.
pub(crate) const LOOKS_LIKE_TEXT: &str = "it looks like a text file";

/// The ffmpeg suggestion for unrecognised bytes, or nothing when they are text.
fn convert_advice(hint: &str) -> &'static str {
    if hint == LOOKS_LIKE_TEXT {
        ""
    } else {
        "; convert it with `ffmpeg -i <file> out.wav`"
    }
}

impl AudioError {
    /// The file the error is about; `None` for [`AudioError::InvalidParameter`] and
    /// [`AudioError::Resample`], which are about arguments, not a file.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            AudioError::NotFound { path }
            | AudioError::Io { path, .. }
            | AudioError::Empty { path }
            | AudioError::UnrecognizedFormat { path, .. }
            | AudioError::Unsupported { path, .. }
            | AudioError::NoAudioTrack { path }
            | AudioError::InvalidHeader { path, .. }
            | AudioError::Corrupt { path, .. }
            | AudioError::Truncated { path, .. }
            | AudioError::NonFinite { path, .. }
            | AudioError::OffsetBeyondEnd { path, .. } => Some(path),
            AudioError::InvalidParameter { .. } | AudioError::Resample { .. } => None,
        }
    }

    /// Map an `std::io::Error` from opening/reading `path`.
    pub(crate) fn from_io(path: &std::path::Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            AudioError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            AudioError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    /// Shorthand for [`AudioError::InvalidParameter`].
    pub(crate) fn param(name: &'static str, value: impl ToString, reason: &'static str) -> Self {
        AudioError::InvalidParameter {
            name,
            value: value.to_string(),
            reason,
        }
    }
}
