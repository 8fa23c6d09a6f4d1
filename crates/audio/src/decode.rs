//! Audio-input stage (audio -> features -> ...): open a file with symphonia, read header
//! information ([`probe`]) and decode a time range to f32 ([`load`]), downmixing and resampling
//! on the way.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use symphonia::core::codecs::audio::well_known::{
    CODEC_ID_ADPCM_IMA_QT, CODEC_ID_ADPCM_IMA_WAV, CODEC_ID_ADPCM_MS, CODEC_ID_ALAC, CODEC_ID_FLAC,
};
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{TimeBase, Timestamp};

use crate::types::downmix_into;
use crate::{Audio, AudioError, LoadOptions, resample};

/// Header information about an audio file, from [`probe`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct AudioInfo {
    /// The file.
    pub path: PathBuf,
    /// Container, e.g. "wav", "ogg", "flac" (symphonia's short name).
    pub container: String,
    /// Codec in words, e.g. "PCM Signed 16-bit Little-Endian Interleaved", "Vorbis".
    pub codec: String,
    /// Native sample rate in Hz.
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: usize,
    /// Bits per decoded sample, where the codec has one (PCM, FLAC).
    pub bits_per_sample: Option<u32>,
    /// Frames per channel, where the container states it.
    pub frames: Option<u64>,
    /// Length in seconds (`frames / sample_rate`).
    pub duration: Option<f64>,
}

/// Never reserve more than this many samples up front from a header's declared length
/// (a damaged header may claim gigabytes); beyond it the output grows as data arrives.
const MAX_PREALLOC_SAMPLES: u64 = 1 << 22;

/// Frames decoded before the requested offset after a seek, for codecs whose first decoded
/// packet depends on the previous one (Vorbis/MP3/AAC overlap, MP3 bit reservoir).
/// 8192 is Vorbis' largest block.
const LOSSY_PREROLL_FRAMES: u64 = 8192;

/// An opened file: format reader plus the chosen audio track.
struct Opened {
    reader: Box<dyn FormatReader>,
    track_id: u32,
    params: AudioCodecParameters,
    time_base: Option<TimeBase>,
    declared_frames: Option<u64>,
    sample_rate: u32,
    channels: usize,
}

fn open(path: &Path) -> Result<Opened, AudioError> {
    let mut file = File::open(path).map_err(|e| AudioError::from_io(path, e))?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(AudioError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("is a directory"),
        });
    }
    let head = crate::sniff::check_head(path, &mut file)?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| AudioError::from_io(path, e))?;

    let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let reader = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymError::Unsupported(_) => match crate::sniff::unsupported_in_file(path) {
                Some(what) => AudioError::Unsupported {
                    path: path.to_path_buf(),
                    what: what.to_string(),
                },
                None => AudioError::UnrecognizedFormat {
                    path: path.to_path_buf(),
                    hint: crate::sniff::describe(&head),
                },
            },
            other => map_sym(path, other),
        })?;

    let Some(track) = reader.default_track(TrackType::Audio) else {
        if let Some(what) = crate::sniff::unsupported_in_file(path) {
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
    })
}

/// Map a symphonia error met while reading `path`.
fn map_sym(path: &Path, e: SymError) -> AudioError {
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

fn codec_name(params: &AudioCodecParameters) -> Option<&'static str> {
    symphonia::default::get_codecs()
        .get_audio_decoder(params.codec)
        .map(|r| r.codec.info.long_name)
}

fn make_decoder(path: &Path, o: &Opened) -> Result<Box<dyn AudioDecoder>, AudioError> {
    symphonia::default::get_codecs()
        .make_audio_decoder(&o.params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(_) => AudioError::Unsupported {
                path: path.to_path_buf(),
                what: crate::sniff::unsupported_in_file(path)
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
fn is_exact_length_codec(params: &AudioCodecParameters) -> bool {
    let c = params.codec;
    c == CODEC_ID_FLAC
        || c == CODEC_ID_ALAC
        || c == CODEC_ID_ADPCM_MS
        || c == CODEC_ID_ADPCM_IMA_WAV
        || c == CODEC_ID_ADPCM_IMA_QT
        || codec_name(params).is_some_and(|n| n.starts_with("PCM"))
}

/// Codecs whose packets decode independently, so a seek needs no pre-roll.
fn is_lossless(params: &AudioCodecParameters) -> bool {
    is_exact_length_codec(params)
}

/// Read a file's header: format, codec, rate, channels, length. Decodes nothing.
///
/// Errors as [`load`] (except decoding errors, which only `load` can find).
pub fn probe(path: &Path) -> Result<AudioInfo, AudioError> {
    guard(path, || probe_inner(path))
}

fn probe_inner(path: &Path) -> Result<AudioInfo, AudioError> {
    let o = open(path)?;
    let codec = match codec_name(&o.params) {
        Some(name) => name.to_string(),
        None => {
            let what = crate::sniff::unsupported_in_file(path)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    format!(
                        "the audio codec of this file (symphonia codec id {:?})",
                        o.params.codec
                    )
                });
            return Err(AudioError::Unsupported {
                path: path.to_path_buf(),
                what,
            });
        }
    };
    let frames = o.declared_frames;
    Ok(AudioInfo {
        path: path.to_path_buf(),
        container: o.reader.format_info().short_name.to_string(),
        codec,
        sample_rate: o.sample_rate,
        channels: o.channels,
        bits_per_sample: o.params.bits_per_sample.filter(|&b| b > 0),
        frames,
        duration: frames.map(|f| f as f64 / f64::from(o.sample_rate)),
    })
}

/// Load a file as mono at `sr` Hz (`None` = native rate). Shorthand for [`load`].
pub fn load_mono(path: &Path, sr: Option<u32>) -> Result<Audio, AudioError> {
    load(
        path,
        &LoadOptions {
            sr,
            ..LoadOptions::default()
        },
    )
}

/// Decode `path` like `librosa.load(path, sr, mono, offset, duration)`.
///
/// Returns samples in `[-1, 1]`, shape `[frames, channels]` interleaved (`channels == 1` when
/// `opts.mono`). With `offset > 0` the reader seeks (where the format allows) to just before the
/// offset and trims to the exact frame, so the result equals the same slice of a full decode.
/// Resampling, when `opts.sr` differs from the native rate, uses [`resample`] per channel.
///
/// # Errors
/// Every failure names the file: [`AudioError::NotFound`], [`AudioError::Empty`],
/// [`AudioError::UnrecognizedFormat`], [`AudioError::Unsupported`], [`AudioError::InvalidHeader`],
/// [`AudioError::Corrupt`], [`AudioError::Truncated`], [`AudioError::NonFinite`],
/// [`AudioError::OffsetBeyondEnd`], [`AudioError::InvalidParameter`].
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Audio, AudioError> {
    opts.validate()?;
    guard(path, || load_inner(path, opts))
}

/// Run `f`, turning a panic inside a decoder (a bug in symphonia on some damaged file) into
/// [`AudioError::Corrupt`] so that one bad file cannot take down a batch job.
fn guard<T>(path: &Path, f: impl FnOnce() -> Result<T, AudioError>) -> Result<T, AudioError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: "the decoder crashed on this file (a symphonia bug worth reporting)".into(),
        })
    })
}

fn load_inner(path: &Path, opts: &LoadOptions) -> Result<Audio, AudioError> {
    let mut o = open(path)?;
    let mut decoder = make_decoder(path, &o)?;
    let sr = o.sample_rate;
    let channels = o.channels;

    let start = (opts.offset * f64::from(sr)).round() as u64;
    let end = opts
        .duration
        .map(|d| start.saturating_add((d * f64::from(sr)).round() as u64));
    if let Some(total) = o.declared_frames
        && start > 0
        && start >= total
    {
        return Err(AudioError::OffsetBeyondEnd {
            path: path.to_path_buf(),
            offset: opts.offset,
            duration: total as f64 / f64::from(sr),
        });
    }

    // Position bookkeeping: `pos` is the frame index of the next decoded frame. After a seek it
    // comes from packet timestamps; otherwise it counts decoded frames.
    let mut seeked = false;
    if start > 0 {
        let preroll = if is_lossless(&o.params) {
            0
        } else {
            LOSSY_PREROLL_FRAMES
        };
        let target = frames_to_ts(start.saturating_sub(preroll), sr, o.time_base);
        if target.get() > 0 {
            let to = SeekTo::Timestamp {
                ts: target,
                track_id: o.track_id,
            };
            if o.reader.seek(SeekMode::Accurate, to).is_ok() {
                decoder.reset();
                seeked = true;
            }
        }
    }

    let wanted = match (end, o.declared_frames) {
        (Some(e), _) => e - start,
        (None, Some(total)) => total.saturating_sub(start),
        (None, None) => 0,
    };
    let out_channels = if opts.mono { 1 } else { channels };
    let mut out: Vec<f32> = Vec::with_capacity(
        wanted
            .saturating_mul(out_channels as u64)
            .min(MAX_PREALLOC_SAMPLES) as usize,
    );
    let mut scratch: Vec<f32> = Vec::new();
    let mut pos: u64 = 0;
    let mut decoded_total: u64 = 0;

    loop {
        let packet = match o.reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) | Err(SymError::ResetRequired) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(map_sym(path, e)),
        };
        if packet.track_id != o.track_id {
            continue;
        }
        if seeked {
            pos = ts_to_frames(packet.pts, sr, o.time_base);
            if let Some(e) = end
                && pos >= e
            {
                break;
            }
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            Err(e) => {
                let mut err = map_sym(path, e);
                if let AudioError::Corrupt { reason, .. } = &mut err {
                    *reason = format!("{reason} (packet at {:.3} s)", pos as f64 / f64::from(sr));
                }
                return Err(err);
            }
        };
        let n = buf.frames() as u64;
        decoded_total += n;
        let lo = start.max(pos);
        let hi = end.map_or(pos + n, |e| e.min(pos + n));
        if hi > lo {
            let a = (lo - pos) as usize;
            let b = (hi - pos) as usize;
            // Interleaved samples of this packet's wanted frames go straight to the output when
            // no downmix is needed, else through the reused scratch buffer.
            let direct = !opts.mono || channels == 1;
            let dst = if direct { &mut out } else { &mut scratch };
            let base = if direct { dst.len() } else { 0 };
            dst.resize(base + (b - a) * channels, 0.0);
            buf.slice(a..b).copy_to_slice_interleaved(&mut dst[base..]);
            if let Some(i) = dst[base..].iter().position(|x| !x.is_finite()) {
                let index = lo * channels as u64 + i as u64;
                return Err(AudioError::NonFinite {
                    path: path.to_path_buf(),
                    index,
                    frame: index / channels as u64,
                    channel: (index % channels as u64) as usize,
                    value: dst[base + i],
                });
            }
            if !direct {
                downmix_into(&scratch, channels, &mut out);
            }
        }
        pos += n;
        if let Some(e) = end
            && pos >= e
        {
            break;
        }
    }

    if !seeked
        && start == 0
        && let Some(declared) = o.declared_frames
        && is_exact_length_codec(&o.params)
        && end.is_none_or(|e| e > decoded_total)
        && decoded_total < declared
    {
        return Err(AudioError::Truncated {
            path: path.to_path_buf(),
            declared_frames: declared,
            decoded_frames: decoded_total,
        });
    }
    if out.is_empty() {
        if start > 0 {
            return Err(AudioError::OffsetBeyondEnd {
                path: path.to_path_buf(),
                offset: opts.offset,
                duration: pos as f64 / f64::from(sr),
            });
        }
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }

    let audio = Audio {
        samples: out,
        sample_rate: sr,
        channels: out_channels,
    };
    match opts.sr {
        Some(target) if target != sr => resample_audio(&audio, target),
        _ => Ok(audio),
    }
}

/// Resample each channel of `audio` to `target` Hz.
fn resample_audio(audio: &Audio, target: u32) -> Result<Audio, AudioError> {
    if audio.channels == 1 {
        let samples = resample(&audio.samples, audio.sample_rate, target)?;
        return Ok(Audio {
            samples,
            sample_rate: target,
            channels: 1,
        });
    }
    let mut planes = Vec::with_capacity(audio.channels);
    for c in 0..audio.channels {
        let plane: Vec<f32> = audio
            .samples
            .iter()
            .skip(c)
            .step_by(audio.channels)
            .copied()
            .collect();
        planes.push(resample(&plane, audio.sample_rate, target)?);
    }
    let frames = planes.first().map_or(0, Vec::len);
    let mut samples = Vec::with_capacity(frames * audio.channels);
    for i in 0..frames {
        samples.extend(planes.iter().map(|p| p[i]));
    }
    Ok(Audio {
        samples,
        sample_rate: target,
        channels: audio.channels,
    })
}

/// Frame index -> track timestamp.
fn frames_to_ts(frames: u64, sr: u32, tb: Option<TimeBase>) -> Timestamp {
    match tb {
        Some(tb) if !(tb.numer.get() == 1 && tb.denom.get() == sr) => {
            // ts = frames / sr / (numer / denom)
            let ts = u128::from(frames) * u128::from(tb.denom.get())
                / (u128::from(sr) * u128::from(tb.numer.get()));
            Timestamp::new(i64::try_from(ts).unwrap_or(i64::MAX))
        }
        _ => Timestamp::new(i64::try_from(frames).unwrap_or(i64::MAX)),
    }
}

/// Track timestamp -> frame index (negative timestamps clamp to 0).
fn ts_to_frames(ts: Timestamp, sr: u32, tb: Option<TimeBase>) -> u64 {
    let ts = u64::try_from(ts.get()).unwrap_or(0);
    match tb {
        Some(tb) if !(tb.numer.get() == 1 && tb.denom.get() == sr) => {
            let f = u128::from(ts) * u128::from(sr) * u128::from(tb.numer.get())
                / u128::from(tb.denom.get());
            u64::try_from(f).unwrap_or(u64::MAX)
        }
        _ => ts,
    }
}
