//! Audio-input stage (audio -> features -> ...), for recordings of any length: decode a file,
//! bytes in memory or a pipe **in chunks**, mono, resampled on the way, so that memory does
//! not grow with the recording. The chunks put together are the samples [`crate::load_mono`]
//! returns for the same input, bit for bit (same decoder, same damage handling, same
//! streaming resampler).

use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use crate::decode::{OggRepair, Sink, decode_opened, guard};
use crate::open::{Opened, Source, make_decoder, open, open_pipe};
use crate::{AudioError, AudioWarning, LoadOptions};

/// Native-rate frames decoded between two calls of the receiver (about 1.5 s at 44.1 kHz).
/// Memory use is a few times this, whatever the recording's length.
pub const STREAM_CHUNK_FRAMES: usize = 1 << 16;

/// What a streamed decode found, once it ended.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    /// The input's own sample rate.
    pub native_sr: u32,
    /// The rate of the samples handed on.
    pub sample_rate: u32,
    /// Mono samples handed on.
    pub frames: u64,
    /// Damage worked around (as in [`crate::Audio::warnings`]).
    pub warnings: Vec<AudioWarning>,
    /// The receiver returned [`ControlFlow::Break`] before the end.
    pub stopped: bool,
}

impl StreamSummary {
    /// Seconds handed on.
    pub fn duration(&self) -> f64 {
        self.frames as f64 / f64::from(self.sample_rate)
    }
}

/// Decode `path` to mono at `sr` Hz (`None` = native rate), handing the samples to
/// `on_chunk` in order, in chunks of any length, as they are decoded. `on_chunk` may stop the
/// decode early by returning [`ControlFlow::Break`].
///
/// # Errors
/// As [`crate::load`]. An error found late (a lossless file shorter than its header says)
/// comes after the chunks before it were handed on.
pub fn stream_mono(
    path: &Path,
    sr: Option<u32>,
    on_chunk: impl FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<StreamSummary, AudioError> {
    guard(path, || {
        let src = Source::File(path);
        run_source(src, sr, on_chunk)
    })
}

/// [`stream_mono`] for encoded bytes in memory. Errors carry the path [`crate::STDIN_NAME`].
pub fn stream_mono_bytes(
    bytes: impl Into<Arc<[u8]>>,
    sr: Option<u32>,
    on_chunk: impl FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<StreamSummary, AudioError> {
    let bytes = bytes.into();
    let name = Path::new(crate::STDIN_NAME);
    guard(name, || {
        run_source(
            Source::Memory {
                name,
                bytes: &bytes,
            },
            sr,
            on_chunk,
        )
    })
}

/// [`stream_mono`] for a stream that can be read only once and may never end (standard
/// input fed by a recorder, `sox -t wav -`, `ffmpeg -f wav -`): any container symphonia reads
/// from its start (WAV, FLAC, Ogg, MP3, ...). A WAV `data` size of `0xFFFFFFFF` means "until
/// the stream ends"; a stream that ends before the length its header states is a
/// [`AudioWarning::TruncatedStream`], not an error (streaming writers put placeholders
/// there). `name` labels errors. Headerless samples need their format told: see
/// `hark stream --raw`.
///
/// `chunk_frames` (native rate) bounds how much audio is decoded before `on_chunk` sees it:
/// small for live input (latency), [`STREAM_CHUNK_FRAMES`] for throughput.
pub fn stream_mono_pipe(
    reader: impl Read + Send + Sync + 'static,
    name: &Path,
    sr: Option<u32>,
    chunk_frames: usize,
    on_chunk: impl FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<StreamSummary, AudioError> {
    guard(name, || {
        let o = open_pipe(name, Box::new(reader))?;
        let decoder = make_decoder(name, None, &o)?;
        run(
            name,
            o,
            decoder,
            None,
            true,
            sr,
            chunk_frames.max(1),
            on_chunk,
        )
    })
}

fn run_source(
    src: Source,
    sr: Option<u32>,
    on_chunk: impl FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<StreamSummary, AudioError> {
    let path = src.path();
    let o = open(src)?;
    let decoder = make_decoder(path, Some(src), &o)?;
    let ogg = if o.reader.format_info().short_name == "ogg" {
        OggRepair::scan(src, &o)?
    } else {
        None
    };
    run(
        path,
        o,
        decoder,
        ogg,
        false,
        sr,
        STREAM_CHUNK_FRAMES,
        on_chunk,
    )
}

#[allow(clippy::too_many_arguments)] // private; every argument is one stage's input
fn run(
    path: &Path,
    o: Opened,
    decoder: Box<dyn symphonia::core::codecs::audio::AudioDecoder>,
    ogg: Option<OggRepair>,
    pipe: bool,
    sr: Option<u32>,
    chunk_frames: usize,
    mut on_chunk: impl FnMut(&[f32]) -> ControlFlow<()>,
) -> Result<StreamSummary, AudioError> {
    let native_sr = o.sample_rate;
    let sample_rate = sr.unwrap_or(native_sr);
    let mut resampler = match sr {
        Some(to) if to != native_sr => Some(crate::resample::take_plan(native_sr, to)?),
        _ => None,
    };
    let mut frames = 0u64;
    let mut out = Vec::new();
    let mut failed = None;
    let done = {
        let mut hand_on = |chunk: &[f32]| -> ControlFlow<()> {
            let chunk = match &mut resampler {
                None => chunk,
                Some(r) => {
                    out.clear();
                    if let Err(e) = r.push(chunk, &mut out) {
                        failed = Some(e);
                        return ControlFlow::Break(());
                    }
                    &out[..]
                }
            };
            frames += chunk.len() as u64;
            if chunk.is_empty() {
                ControlFlow::Continue(())
            } else {
                on_chunk(chunk)
            }
        };
        let mut sink = Sink::chunked(chunk_frames, &mut hand_on);
        decode_opened(
            path,
            o,
            decoder,
            ogg,
            &LoadOptions::default(),
            pipe,
            &mut sink,
        )?
    };
    if let Some(e) = failed {
        return Err(e);
    }
    let mut stopped = done.stopped;
    if !stopped && let Some(r) = &mut resampler {
        out.clear();
        r.finish(&mut out)?;
        frames += out.len() as u64;
        if !out.is_empty() {
            stopped = on_chunk(&out).is_break();
        }
    }
    if let Some(r) = resampler {
        crate::resample::recycle(r);
    }
    Ok(StreamSummary {
        native_sr,
        sample_rate,
        frames,
        warnings: done.warnings,
        stopped,
    })
}
