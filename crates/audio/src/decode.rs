//! Audio-input stage (audio -> features -> ...): open a file with symphonia, read header
//! information ([`probe`]) and decode a time range to f32 ([`load`]), downmixing and resampling
//! on the way.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use symphonia::core::codecs::audio::AudioDecoder;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{SeekMode, SeekTo};
use symphonia::core::units::{Duration, TimeBase, Timestamp};

use crate::open::{
    Opened, Source, codec_name, is_exact_length_codec, is_lossless, make_decoder, map_sym, open,
};
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
            "the container skipped damaged data (a jump in timestamps)".into()
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

/// Ogg pages dropped by the demuxer (see [`crate::ogg_pages`]), repaired while decoding: their
/// audio becomes silence where symphonia continues the stream, for
/// [`AudioWarning::DamagedOggPages`].
pub(crate) struct OggRepair {
    /// Damaged places the scan found.
    pages: u64,
    /// Places where the track lost pages, not yet reached: (frame where symphonia continues,
    /// frame where the lost audio ends, where a damaged header tells).
    gaps: VecDeque<(u64, Option<u64>)>,
    /// The scan found lost pages: jumps in the track's timestamps are theirs.
    any_gap: bool,
    /// Frames of silence put in ahead of symphonia's timestamps. symphonia shows the loss one
    /// page later as a jump in timestamps, which this much of is then not filled again.
    credit: u64,
    /// A gap of unknown length is waiting for the next jump in timestamps (or the end).
    unknown: bool,
    /// Frames of silence put in for lost pages.
    silent_frames: u64,
    first_at: Option<f64>,
    /// The stream's length: the container's, else the scan's (symphonia may not find it).
    length: Option<u64>,
    /// Audio was lost at the end of the stream (the end-of-stream page, so symphonia ends with
    /// an unexpected end of file that is not a truncation).
    lost_tail: bool,
}

impl OggRepair {
    /// Scan `src` (an Ogg stream) for pages symphonia would drop; `None` when it has none.
    pub(crate) fn scan(src: Source, o: &Opened) -> Result<Option<Self>, AudioError> {
        let path = src.path();
        let io = |e| AudioError::from_io(path, e);
        let file = src.reader()?;
        let found = crate::ogg_pages::scan(file, o.track_id).map_err(io)?;
        if found.pages == 0 {
            return Ok(None);
        }
        if is_exact_length_codec(&o.params) && !found.gaps.is_empty() {
            return Err(AudioError::Corrupt {
                path: path.to_path_buf(),
                reason: format!(
                    "{} Ogg page(s) fail their checksum; the lossless stream lost their audio",
                    found.pages
                ),
            });
        }
        let frames = |g: u64| {
            let ts = Timestamp::new(i64::try_from(g).unwrap_or(i64::MAX));
            ts_to_frames(ts, o.sample_rate, o.time_base)
        };
        Ok(Some(OggRepair {
            pages: found.pages,
            any_gap: !found.gaps.is_empty(),
            gaps: found
                .gaps
                .iter()
                .map(|g| (frames(g.after), g.until.map(frames)))
                .collect(),
            credit: 0,
            unknown: false,
            silent_frames: 0,
            first_at: None,
            length: o.declared_frames.or(found.end.map(frames)),
            lost_tail: false,
        }))
    }

    /// `n` frames of lost audio become silence at frame `pos`.
    fn fill(&mut self, pos: u64, sr: u32, n: u64) {
        if self.first_at.is_none() {
            self.first_at = Some(pos as f64 / f64::from(sr));
        }
        self.silent_frames += n;
    }

    /// Lost audio of unknown length at `pos`.
    fn unknown_at(&mut self, pos: u64, sr: u32) {
        self.fill(pos, sr, 0);
        self.unknown = true;
    }

    fn warning(&self, sr: u32) -> AudioWarning {
        AudioWarning::DamagedOggPages {
            pages: self.pages,
            seconds_lost: self.silent_frames as f64 / f64::from(sr),
            first_at: self.first_at,
        }
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
    guard(path, || probe_inner(Source::File(path)))
}

/// [`probe`] for encoded bytes already in memory (standard input, a network body): the
/// container is recognised from the bytes alone. Errors carry the path [`STDIN_NAME`].
pub fn probe_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<AudioInfo, AudioError> {
    let bytes = bytes.into();
    let name = Path::new(STDIN_NAME);
    guard(name, || {
        probe_inner(Source::Memory {
            name,
            bytes: &bytes,
        })
    })
}

/// The path that errors and [`AudioInfo::path`] carry for audio decoded from memory
/// ([`load_bytes`], [`probe_bytes`]): `-`, as on the command line.
pub const STDIN_NAME: &str = "-";

fn probe_inner(src: Source) -> Result<AudioInfo, AudioError> {
    let path = src.path();
    let o = open(src)?;
    let codec = match codec_name(&o.params) {
        Some(name) => name.to_string(),
        None => {
            let what = crate::sniff::unsupported_in(src)
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
    guard(path, || load_inner(Source::File(path), opts))
}

/// [`load`] for encoded bytes already in memory (read from standard input, say): the same
/// decoding, damage handling and resampling, with the container recognised from the bytes
/// alone. Errors carry the path [`STDIN_NAME`].
pub fn load_bytes(bytes: impl Into<Arc<[u8]>>, opts: &LoadOptions) -> Result<Audio, AudioError> {
    opts.validate()?;
    let bytes = bytes.into();
    let name = Path::new(STDIN_NAME);
    guard(name, || {
        load_inner(
            Source::Memory {
                name,
                bytes: &bytes,
            },
            opts,
        )
    })
}

/// [`load_bytes`] as mono at `sr` Hz (`None` = native rate).
pub fn load_mono_bytes(bytes: impl Into<Arc<[u8]>>, sr: Option<u32>) -> Result<Audio, AudioError> {
    load_bytes(
        bytes,
        &LoadOptions {
            sr,
            ..LoadOptions::default()
        },
    )
}

/// Run `f`, turning a panic inside a decoder (a bug in symphonia on some damaged file) into
/// [`AudioError::Corrupt`] so that one bad file cannot take down a batch job.
pub(crate) fn guard<T>(
    path: &Path,
    f: impl FnOnce() -> Result<T, AudioError>,
) -> Result<T, AudioError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: "the decoder crashed on this file (a symphonia bug worth reporting)".into(),
        })
    })
}

fn load_inner(src: Source, opts: &LoadOptions) -> Result<Audio, AudioError> {
    let path = src.path();
    let o = open(src)?;
    let decoder = make_decoder(path, Some(src), &o)?;
    let ogg = if o.reader.format_info().short_name == "ogg" {
        OggRepair::scan(src, &o)?
    } else {
        None
    };
    let mut sink = Sink::keep_all();
    let done = decode_opened(path, o, decoder, ogg, opts, false, &mut sink)?;
    let audio = Audio {
        samples: sink.out,
        sample_rate: done.sample_rate,
        channels: done.channels,
        warnings: done.warnings,
    };
    match opts.sr {
        Some(target) if target != done.sample_rate => resample_audio(&audio, target),
        _ => Ok(audio),
    }
}

/// The receiver of decoded chunks; `Break` stops decoding.
pub(crate) type OnChunk<'a> = dyn FnMut(&[f32]) -> ControlFlow<()> + 'a;

/// Where decoded samples go: all kept ([`load`]), or handed on in chunks of about
/// `chunk` samples and forgotten ([`crate::stream`]).
pub(crate) struct Sink<'a> {
    /// Samples not handed on yet.
    pub(crate) out: Vec<f32>,
    /// Samples already handed on.
    flushed: u64,
    chunk: usize,
    hand_on: Option<&'a mut OnChunk<'a>>,
}

impl<'a> Sink<'a> {
    fn keep_all() -> Sink<'static> {
        Sink {
            out: Vec::new(),
            flushed: 0,
            chunk: usize::MAX,
            hand_on: None,
        }
    }

    /// Hand samples to `f` whenever at least `chunk` are waiting.
    pub(crate) fn chunked(
        chunk: usize,
        f: &'a mut dyn FnMut(&[f32]) -> ControlFlow<()>,
    ) -> Sink<'a> {
        Sink {
            out: Vec::with_capacity(chunk.saturating_mul(2)),
            flushed: 0,
            chunk,
            hand_on: Some(f),
        }
    }

    /// Samples produced so far.
    fn total(&self) -> u64 {
        self.flushed + self.out.len() as u64
    }

    /// Hand on what is waiting when it is at least a chunk (or `all`). True when the receiver
    /// asked to stop.
    pub(crate) fn flush(&mut self, all: bool) -> bool {
        let Some(f) = self.hand_on.as_mut() else {
            return false;
        };
        if self.out.is_empty() || (!all && self.out.len() < self.chunk) {
            return false;
        }
        let stop = f(&self.out).is_break();
        self.flushed += self.out.len() as u64;
        self.out.clear();
        stop
    }
}

/// What [`decode_opened`] found besides the samples.
pub(crate) struct Decoded {
    /// Native sample rate.
    pub(crate) sample_rate: u32,
    /// Channels of the samples produced (1 when downmixed).
    pub(crate) channels: usize,
    pub(crate) warnings: Vec<AudioWarning>,
    /// The receiver asked to stop before the end.
    pub(crate) stopped: bool,
}

/// Decode an opened input into `sink` at its native rate: the time range of `opts`, damage
/// handling by codec kind, downmix when `opts.mono`. `pipe`: the input is a stream read once
/// (a length its header declares is a placeholder, so ending early is no truncation).
pub(crate) fn decode_opened(
    path: &Path,
    mut o: Opened,
    mut decoder: Box<dyn AudioDecoder>,
    mut ogg: Option<OggRepair>,
    opts: &LoadOptions,
    pipe: bool,
    sink: &mut Sink,
) -> Result<Decoded, AudioError> {
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
    // A file that lost Ogg pages is decoded from its start: after a seek symphonia may time the
    // page after the loss from its own granule position or from the page before the loss, and
    // the repair could not tell which.
    let mut seeked = false;
    if start > 0 && ogg.as_ref().is_none_or(|g| !g.any_gap) {
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
    let prealloc = wanted.saturating_mul(out_channels as u64);
    sink.out
        .reserve((prealloc.min(MAX_PREALLOC_SAMPLES) as usize).min(sink.chunk));
    let mut stopped = false;
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
        let pts = ts_to_frames(packet.pts, sr, o.time_base);
        // Ogg pages that failed their checksum: symphonia continues the stream from the last
        // good page's end, as if nothing were missing. Put the lost audio's length of silence
        // there.
        if let Some(ogg) = &mut ogg {
            while let Some(&(after, until)) = ogg.gaps.front()
                && pts + GAP_TOLERANCE_FRAMES >= after
            {
                ogg.gaps.pop_front();
                match (next_pts, until) {
                    // Before the first audio page: symphonia times this page from its own
                    // granule position, so the stream just starts late.
                    (None, _) if !seeked && pts > GAP_TOLERANCE_FRAMES => {
                        ogg.fill(pos, sr, pts);
                        push_silence(&mut sink.out, pos, pts, (start, end), out_channels);
                        pos += pts;
                    }
                    (None, _) => {} // (no seek in a file with lost pages)
                    (Some(_), Some(until)) => {
                        let n = until.saturating_sub(after);
                        ogg.fill(pos, sr, n);
                        ogg.credit += n;
                        push_silence(&mut sink.out, pos, n, (start, end), out_channels);
                        pos += n;
                    }
                    (Some(_), None) => ogg.unknown_at(pos, sr),
                }
            }
        }
        // A lossy container that drops damaged data shows it as a jump in timestamps: fill the
        // gap with silence so later audio keeps its time (less what was filled for Ogg pages
        // ahead of it).
        if lossy
            && let Some(expected) = next_pts
            && pts > expected + GAP_TOLERANCE_FRAMES
        {
            let mut gap = pts - expected;
            match &mut ogg {
                Some(ogg) if ogg.any_gap => {
                    let absorbed = gap.min(ogg.credit);
                    ogg.credit -= absorbed;
                    gap -= absorbed;
                    if gap > GAP_TOLERANCE_FRAMES {
                        ogg.fill(pos, sr, gap);
                        ogg.unknown = false;
                    } else {
                        gap = 0;
                    }
                }
                _ => damage.lost(pos, sr, gap),
            }
            push_silence(&mut sink.out, pos, gap, (start, end), out_channels);
            pos += gap;
        }
        next_pts = Some(pts + dur_to_frames(packet.dur, sr, o.time_base));
        if seeked {
            pos = pts + ogg.as_ref().map_or(0, |g| g.credit);
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
                push_silence(&mut sink.out, pos, n, (start, end), out_channels);
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
            let dst = if direct { &mut sink.out } else { &mut scratch };
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
                downmix_into(&scratch, channels, &mut sink.out);
            }
        }
        pos += n;
        if let Some(e) = end
            && pos >= e
        {
            break;
        }
        if sink.flush(false) {
            stopped = true;
            break;
        }
    }
    if stopped {
        return Ok(Decoded {
            sample_rate: sr,
            channels: out_channels,
            warnings: o.warnings,
            stopped,
        });
    }

    let mut warnings = std::mem::take(&mut o.warnings);
    let exact_short = !seeked
        && start == 0
        && is_exact_length_codec(&o.params)
        && end.is_none_or(|e| e > decoded_total)
        && o.declared_frames.is_some_and(|d| decoded_total < d);
    if let (true, Some(declared)) = (exact_short, o.declared_frames) {
        // A pipe's declared length is a streaming writer's placeholder (sox, arecord).
        if !pipe {
            return Err(AudioError::Truncated {
                path: path.to_path_buf(),
                declared_frames: declared,
                decoded_frames: decoded_total,
            });
        }
        warnings.push(AudioWarning::TruncatedStream {
            decoded_frames: decoded_total,
            declared_frames: Some(declared),
        });
    }
    if damage.packets_rejected > 0 && damage.packets_rejected == damage.packets {
        return Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("no packet could be decoded ({})", damage.first_reason),
        });
    }
    if let Some(ogg) = &mut ogg {
        // Damage in the last pages: no later packet showed where the loss ends. Fill it at the
        // end, by the damaged headers' granule positions or up to the declared length.
        let range_done = end.is_some_and(|e| pos >= e);
        while let Some((after, until)) = ogg.gaps.pop_front() {
            if range_done || next_pts.is_none_or(|e| e + GAP_TOLERANCE_FRAMES < after) {
                continue;
            }
            match until {
                Some(until) => {
                    let n = until.saturating_sub(after);
                    ogg.fill(pos, sr, n);
                    push_silence(&mut sink.out, pos, n, (start, end), out_channels);
                    pos += n;
                }
                None => ogg.unknown_at(pos, sr),
            }
            ogg.lost_tail = true;
        }
        if ogg.unknown
            && !range_done
            && let Some(declared) = ogg.length
            && pos < declared
        {
            let n = declared - pos;
            ogg.fill(pos, sr, n);
            push_silence(&mut sink.out, pos, n, (start, end), out_channels);
            pos += n;
            ogg.lost_tail = true;
        }
        // symphonia did not trim the encoder padding of the page after a loss (it timed that
        // page from the loss): the declared length bounds the stream.
        if ogg.silent_frames > 0
            && let Some(declared) = ogg.length
        {
            // (Samples already handed on in chunks stay.)
            let max = declared.saturating_sub(start) * out_channels as u64;
            let keep = max.saturating_sub(sink.flushed) as usize;
            sink.out.truncate(keep);
        }
    }
    if let Some(w) = damage.warning(sr) {
        warnings.push(w);
    }
    if let Some(ogg) = &ogg {
        warnings.push(ogg.warning(sr));
    }
    // A lossy stream that ends early is decoded up to the cut and reported. Signs: the last
    // packet is cut (the demuxer hit the end of the file inside it), or the container declares
    // more frames than the stream holds (beyond LOSSY_LENGTH_SLACK_FRAMES).
    let ogg_silence = ogg.as_ref().map_or(0, |g| g.silent_frames);
    let timeline = decoded_total + damage.silent_frames + ogg_silence;
    let short_of_declared = !seeked
        && start == 0
        && end.is_none_or(|e| e > timeline)
        && o.declared_frames
            .is_some_and(|d| timeline + LOSSY_LENGTH_SLACK_FRAMES < d);
    let lost_tail = ogg.as_ref().is_some_and(|g| g.lost_tail);
    if lossy && (ended_mid_packet || short_of_declared) && !lost_tail {
        warnings.push(AudioWarning::TruncatedStream {
            decoded_frames: timeline,
            declared_frames: o.declared_frames,
        });
    }
    if sink.total() == 0 {
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

    let stopped = sink.flush(true);
    Ok(Decoded {
        sample_rate: sr,
        channels: out_channels,
        warnings,
        stopped,
    })
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
