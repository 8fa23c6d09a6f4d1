//! Audio-input stage (audio -> features -> ...): open a file, or bytes already in memory
//! (standard input), with symphonia. Cheap checks on the first bytes ([`crate::sniff`]), repair
//! of placeholder WAV size fields ([`crate::wav_sizes`]), the probe, the choice of audio track,
//! and the mapping of symphonia's errors.

use std::fs::File;
use std::io::{Cursor, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_ADPCM_IMA_QT, CODEC_ID_ADPCM_IMA_WAV, CODEC_ID_ADPCM_MS, CODEC_ID_ALAC, CODEC_ID_FLAC,
};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::TimeBase;

use crate::{AudioError, AudioWarning};

/// An opened file: format reader plus the chosen audio track.
pub(crate) struct Opened {
    pub reader: Box<dyn FormatReader>,
    pub track_id: u32,
    pub params: AudioCodecParameters,
    pub time_base: Option<TimeBase>,
    pub declared_frames: Option<u64>,
    pub sample_rate: u32,
    pub channels: usize,
    /// Header problems worked around while opening (placeholder WAV sizes).
    pub warnings: Vec<AudioWarning>,
}

/// Where encoded audio comes from. Every later step (first-bytes checks, WAV size repair, the
/// Ogg page scan, naming an unsupported codec) reads the input through [`Source::reader`], so
/// a file and the same bytes in memory decode alike.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A file on disk; its extension is a hint to the probe.
    File(&'a Path),
    /// Bytes already read (standard input); `name` only labels errors.
    Memory {
        name: &'a Path,
        bytes: &'a Arc<[u8]>,
    },
}

impl Source<'_> {
    /// The path errors carry.
    pub(crate) fn path(&self) -> &Path {
        match self {
            Source::File(p) => p,
            Source::Memory { name, .. } => name,
        }
    }

    /// A fresh reader positioned at the start of the input.
    pub(crate) fn reader(&self) -> Result<Box<dyn MediaSource>, AudioError> {
        match self {
            Source::File(path) => {
                let file = File::open(path).map_err(|e| AudioError::from_io(path, e))?;
                if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                    return Err(AudioError::Io {
                        path: path.to_path_buf(),
                        source: std::io::Error::other("is a directory"),
                    });
                }
                Ok(Box::new(file))
            }
            Source::Memory { bytes, .. } => Ok(Box::new(Cursor::new(Arc::clone(bytes)))),
        }
    }

    /// The input's length in bytes.
    fn len(&self) -> Result<u64, AudioError> {
        match self {
            Source::File(path) => std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(|e| AudioError::from_io(path, e)),
            Source::Memory { bytes, .. } => Ok(bytes.len() as u64),
        }
    }
}

/// Open `src` and choose its audio track.
pub(crate) fn open(src: Source) -> Result<Opened, AudioError> {
    let path = src.path();
    let mut file = src.reader()?;
    let head = crate::sniff::check_head(path, &mut file)?;
    let io = |e| AudioError::from_io(path, e);
    let len = src.len()?;
    let fix = crate::wav_sizes::inspect(&mut file, len).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let source: Box<dyn MediaSource> = if fix.patches.is_empty() {
        file
    } else {
        Box::new(crate::wav_sizes::PatchedFile::new(file, len, fix.patches).map_err(io)?)
    };
    let mut hint = Hint::new();
    if let Source::File(p) = src
        && let Some(ext) = p.extension().and_then(|e| e.to_str())
    {
        hint.with_extension(ext);
    }
    let unrecognized = || AudioError::UnrecognizedFormat {
        path: path.to_path_buf(),
        hint: crate::sniff::describe(&head),
    };
    let mut o = open_media(path, source, &hint, Some(src), unrecognized)?;
    o.warnings = fix.warnings;
    Ok(o)
}

/// Open a stream that can be read only once, from its start (a pipe): no first-bytes checks,
/// no Ogg page scan; a WAV header's placeholder sizes mean "to the end of the stream"
/// ([`crate::wav_sizes::patch_pipe_head`]).
pub(crate) fn open_pipe(
    path: &Path,
    mut reader: Box<dyn std::io::Read + Send + Sync>,
) -> Result<Opened, AudioError> {
    use std::io::Read;
    let mut head = Vec::with_capacity(crate::wav_sizes::PIPE_HEAD_BYTES);
    (&mut reader)
        .take(crate::wav_sizes::PIPE_HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| AudioError::from_io(path, e))?;
    if head.is_empty() {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    crate::wav_sizes::patch_pipe_head(&mut head);
    let source = symphonia::core::io::ReadOnlySource::new(Cursor::new(head).chain(reader));
    let unrecognized = || AudioError::UnrecognizedFormat {
        path: path.to_path_buf(),
        hint: "the stream's first bytes are no container symphonia knows (WAV, FLAC, Ogg, \
               MP3, ...); for headerless samples give their format (raw PCM)"
            .into(),
    };
    open_media(path, Box::new(source), &Hint::new(), None, unrecognized)
}

/// Probe `source` and choose its audio track. `src`, where the input can be read again,
/// lets an unsupported codec be named from the file's bytes.
fn open_media(
    path: &Path,
    source: Box<dyn MediaSource>,
    hint: &Hint,
    src: Option<Source>,
    unrecognized: impl FnOnce() -> AudioError,
) -> Result<Opened, AudioError> {
    let unsupported_in = |src: Option<Source>| src.and_then(crate::sniff::unsupported_in);
    let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    let reader = symphonia::default::get_probe()
        .probe(
            hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymError::Unsupported(_) => match unsupported_in(src) {
                Some(what) => AudioError::Unsupported {
                    path: path.to_path_buf(),
                    what: what.to_string(),
                },
                None => unrecognized(),
            },
            other => map_sym(path, other),
        })?;

    let Some(track) = reader.default_track(TrackType::Audio) else {
        if let Some(what) = unsupported_in(src) {
            return Err(AudioError::Unsupported {
                path: path.to_path_buf(),
                what: what.to_string(),
            });
        }
        return Err(AudioError::NoAudioTrack {
            path: path.to_path_buf(),
        });
    };
    let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()).cloned() else {
        return Err(AudioError::NoAudioTrack {
            path: path.to_path_buf(),
        });
    };
    let sample_rate = params.sample_rate.unwrap_or(0);
    if sample_rate == 0 {
        return Err(AudioError::InvalidHeader {
            path: path.to_path_buf(),
            field: "sample_rate",
            value: 0,
        });
    }
    let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
    if channels == 0 {
        return Err(AudioError::InvalidHeader {
            path: path.to_path_buf(),
            field: "channels",
            value: 0,
        });
    }
    Ok(Opened {
        track_id: track.id,
        time_base: track.time_base,
        declared_frames: track.num_frames,
        params,
        sample_rate,
        channels,
        reader,
        warnings: Vec::new(),
    })
}

/// Map a symphonia error met while reading `path`.
pub(crate) fn map_sym(path: &Path, e: SymError) -> AudioError {
    let path = path.to_path_buf();
    match e {
        SymError::IoError(source) if source.kind() == std::io::ErrorKind::UnexpectedEof => {
            AudioError::Corrupt {
                path,
                reason: "the file ends in the middle of a header or packet".into(),
            }
        }
        SymError::IoError(source) => AudioError::Io { path, source },
        SymError::Unsupported(what) => AudioError::Unsupported {
            path,
            what: format!("a feature of this file ({what})"),
        },
        SymError::DecodeError(reason) => AudioError::Corrupt {
            path,
            reason: reason.to_string(),
        },
        SymError::LimitError(reason) => AudioError::Corrupt {
            path,
            reason: format!("a size limit was exceeded ({reason})"),
        },
        other => AudioError::Corrupt {
            path,
            reason: other.to_string(),
        },
    }
}

pub(crate) fn codec_name(params: &AudioCodecParameters) -> Option<&'static str> {
    symphonia::default::get_codecs()
        .get_audio_decoder(params.codec)
        .map(|r| r.codec.info.long_name)
}

pub(crate) fn make_decoder(
    path: &Path,
    src: Option<Source>,
    o: &Opened,
) -> Result<Box<dyn AudioDecoder>, AudioError> {
    symphonia::default::get_codecs()
        .make_audio_decoder(&o.params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(_) => AudioError::Unsupported {
                path: path.to_path_buf(),
                what: src
                    .and_then(crate::sniff::unsupported_in)
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        format!(
                            "the audio codec of this file (symphonia codec id {:?})",
                            o.params.codec
                        )
                    }),
            },
            other => map_sym(path, other),
        })
}

/// Lossless codecs whose declared frame count is exact, so a shortfall means truncation.
pub(crate) fn is_exact_length_codec(params: &AudioCodecParameters) -> bool {
    let c = params.codec;
    c == CODEC_ID_FLAC
        || c == CODEC_ID_ALAC
        || c == CODEC_ID_ADPCM_MS
        || c == CODEC_ID_ADPCM_IMA_WAV
        || c == CODEC_ID_ADPCM_IMA_QT
        || codec_name(params).is_some_and(|n| n.starts_with("PCM"))
}

/// Codecs whose packets decode independently, so a seek needs no pre-roll.
pub(crate) fn is_lossless(params: &AudioCodecParameters) -> bool {
    is_exact_length_codec(params)
}
