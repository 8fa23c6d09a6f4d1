//! Audio-input stage (audio -> features -> ...): open a file with symphonia, read header
//! information ([`probe`]) and decode a time range to f32 ([`load`]), downmixing and resampling
//! on the way.

use std::path::{Path, PathBuf};

use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{SeekMode, SeekTo};
use symphonia::core::units::{Duration, TimeBase, Timestamp};

use crate::open::{codec_name, is_exact_length_codec, is_lossless, make_decoder, map_sym, open};
use crate::types::downmix_into;
use crate::{Audio, AudioError, AudioWarning, LoadOptions, resample};

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
    /// Header problems that `load` will work around (placeholder WAV size fields).
    pub warnings: Vec<AudioWarning>,
}

/// Never reserve more than this many samples up front from a header's declared length
/// (a damaged header may claim gigabytes); beyond it the output grows as data arrives.
const MAX_PREALLOC_SAMPLES: u64 = 1 << 22;

/// Frames decoded before the requested offset after a seek, for codecs whose first decoded
/// packet depends on the previous one (Vorbis/MP3/AAC overlap, MP3 bit reservoir).
/// 8192 is Vorbis' largest block.
const LOSSY_PREROLL_FRAMES: u64 = 8192;

/// A lossy stream may decode a little short of the length its container declares without being
/// cut off (rounding of gapless trimming). Shortfalls up to this many frames, one MPEG-1 Layer
/// III frame, are not reported as truncation.
const LOSSY_LENGTH_SLACK_FRAMES: u64 = 1152;

/// A jump in a lossy stream's timestamps larger than this many frames is data the container
/// dropped (smaller differences are rounding of packet durations).
const GAP_TOLERANCE_FRAMES: u64 = 2;

/// Lossy packets skipped during one decode, for [`AudioWarning::SkippedPackets`].
#[derive(Default)]
struct Damage {
    /// Packets of the chosen track handed to the decoder.
    packets: u64,
    /// Damaged places skipped: packets the decoder rejected plus gaps left by the container.
    count: u64,
    /// Of `count`, packets the decoder rejected.
    packets_rejected: u64,
    /// Frames of silence written in their place (including frames outside the wanted range).
    silent_frames: u64,
    first_at: f64,
    first_reason: String,
}

impl Damage {
    /// The decoder rejected the packet at frame `pos`, `frames` long.
    fn skip(&mut self, pos: u64, sr: u32, frames: u64, e: &SymError) {
        self.note(pos, sr, frames, || e.to_string());
        self.packets_rejected += 1;
    }

    /// The container skipped `frames` of damaged data before frame `pos`.
    fn lost(&mut self, pos: u64, sr: u32, frames: u64) {
        self.note(pos, sr, frames, || {
            "the container skipped damaged data (e.g. an Ogg page failing its checksum)".into()
        });
    }

    fn note(&mut self, pos: u64, sr: u32, frames: u64, reason: impl FnOnce() -> String) {
        if self.count == 0 {
            self.first_at = pos as f64 / f64::from(sr);
            self.first_reason = reason();
        }
        self.count += 1;
        self.silent_frames += frames;
    }

    fn warning(&self, sr: u32) -> Option<AudioWarning> {
        (self.count > 0).then(|| AudioWarning::SkippedPackets {
            count: self.count,
            total: self.packets + self.count - self.packets_rejected,
            silence: self.silent_frames as f64 / f64::from(sr),
            first_at: self.first_at,
            reason: self.first_reason.clone(),
        })
    }
}

/// Append silence for frames `pos..pos + n` that fall in the wanted `range` (`start`, `end`).
fn push_silence(out: &mut Vec<f32>, pos: u64, n: u64, range: (u64, Option<u64>), ch: usize) {
    let lo = range.0.max(pos);
    let hi = range.1.map_or(pos + n, |e| e.min(pos + n));
    if hi > lo {
        out.resize(out.len() + (hi - lo) as usize * ch, 0.0);
    }
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
        warnings: o.warnings,
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
/// Problems worked around (placeholder WAV sizes, skipped lossy packets, a truncated lossy
/// stream) are listed in [`Audio::warnings`].
///
/// # Errors
/// The error's Display does not repeat `path` (the caller names the file, see [`AudioError`]):
/// [`AudioError::NotFound`], [`AudioError::Empty`],
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
    let lossy = !is_exact_length_codec(&o.params);
    let mut damage = Damage::default();
    let mut ended_mid_packet = false;
    let mut next_pts: Option<u64> = None;

    loop {
        let packet = match o.reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) | Err(SymError::ResetRequired) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                ended_mid_packet = true;
                break;
            }
            Err(e) => return Err(map_sym(path, e)),
        };
        if packet.track_id != o.track_id {
            continue;
        }
        // A lossy container that drops damaged data (an Ogg page failing its checksum) shows it
        // as a jump in timestamps: fill the gap with silence so later audio keeps its time.
        let pts = ts_to_frames(packet.pts, sr, o.time_base);
        if lossy
            && let Some(expected) = next_pts
            && pts > expected + GAP_TOLERANCE_FRAMES
        {
            let gap = pts - expected;
            damage.lost(pos, sr, gap);
            push_silence(&mut out, pos, gap, (start, end), out_channels);
            pos += gap;
        }
        next_pts = Some(pts + dur_to_frames(packet.dur, sr, o.time_base));
        if seeked {
            pos = pts;
        }
        if end.is_some_and(|e| pos >= e) {
            break;
        }
        damage.packets += 1;
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            // A lossy packet that does not decode is skipped and replaced by silence of its
            // length (symphonia: `DecodeError` means "skip this packet"; an `IoError` from
            // `decode` is a bit reader running off the end of a damaged in-memory packet).
            Err(e @ (SymError::DecodeError(_) | SymError::IoError(_))) if lossy => {
                let n = dur_to_frames(packet.dur, sr, o.time_base);
                damage.skip(pos, sr, n, &e);
                push_silence(&mut out, pos, n, (start, end), out_channels);
                pos += n;
                if end.is_some_and(|e| pos >= e) {
                    break;
                }
                continue;
            }
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
    if damage.packets_rejected > 0 && damage.packets_rejected == damage.packets {
        return Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("no packet could be decoded ({})", damage.first_reason),
        });
    }
    let mut warnings = o.warnings;
    if let Some(w) = damage.warning(sr) {
        warnings.push(w);
    }
    // A lossy stream that ends early is decoded up to the cut and reported. Signs: the last
    // packet is cut (the demuxer hit the end of the file inside it), or the container declares
    // more frames than the stream holds (beyond LOSSY_LENGTH_SLACK_FRAMES).
    let timeline = decoded_total + damage.silent_frames;
    let short_of_declared = !seeked
        && start == 0
        && end.is_none_or(|e| e > timeline)
        && o.declared_frames
            .is_some_and(|d| timeline + LOSSY_LENGTH_SLACK_FRAMES < d);
    if lossy && (ended_mid_packet || short_of_declared) {
        warnings.push(AudioWarning::TruncatedStream {
            decoded_frames: timeline,
            declared_frames: o.declared_frames,
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
        warnings,
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
            warnings: audio.warnings.clone(),
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
        warnings: audio.warnings.clone(),
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

/// Packet duration in track time-base units -> frames.
fn dur_to_frames(dur: Duration, sr: u32, tb: Option<TimeBase>) -> u64 {
    ts_to_frames(
        Timestamp::new(i64::try_from(dur.get()).unwrap_or(i64::MAX)),
        sr,
        tb,
    )
}
