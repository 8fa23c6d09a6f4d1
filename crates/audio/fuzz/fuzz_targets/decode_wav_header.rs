//! Structure-aware WAV fuzzing: a well-formed RIFF/WAVE skeleton built from fuzzed fields
//! (format tag, channels, rate, bits, block align, `WAVE_FORMAT_EXTENSIBLE` fields, data size,
//! extra chunks before/after `fmt `, RIFF size), followed by fuzzed sample data, decoded with
//! `hark_audio::load` under fuzzed (valid) load options. Errors are fine; panics, aborts, hangs
//! and OOM are not. Successful decodes must satisfy the invariants in `common::check_audio`.
#![no_main]

use arbitrary::Arbitrary;
use hark_audio::{LoadOptions, load, probe};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// A field that is usually plausible but sometimes any value at all.
#[derive(Debug, Arbitrary)]
enum Field<T> {
    Plausible(u8),
    Raw(T),
}

#[derive(Debug, Arbitrary)]
enum Tag {
    Pcm,
    IeeeFloat,
    Alaw,
    Mulaw,
    MsAdpcm,
    ImaAdpcm,
    Extensible,
    Raw(u16),
}

impl Tag {
    fn code(&self) -> u16 {
        match self {
            Tag::Pcm => 1,
            Tag::MsAdpcm => 2,
            Tag::IeeeFloat => 3,
            Tag::Alaw => 6,
            Tag::Mulaw => 7,
            Tag::ImaAdpcm => 0x11,
            Tag::Extensible => 0xFFFE,
            Tag::Raw(x) => *x,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum SubFormat {
    Pcm,
    Float,
    Alaw,
    Mulaw,
    Raw([u8; 16]),
}

#[derive(Debug, Arbitrary)]
enum DataSize {
    /// The real length of `data`.
    Exact,
    /// Claims more or less than is there.
    Raw(u32),
    /// 0xFFFFFFFF, as streaming writers do.
    Unknown,
}

#[derive(Debug, Arbitrary)]
struct Chunk {
    id: [u8; 4],
    body: Vec<u8>,
    /// Lie about the size.
    size: Option<u32>,
}

#[derive(Debug, Arbitrary)]
struct Wav {
    tag: Tag,
    channels: Field<u16>,
    rate: Field<u32>,
    bits: Field<u16>,
    block_align: Option<u16>,
    byte_rate: Option<u32>,
    /// `cbSize` and the extension (always written for extensible, optionally for others).
    ext: Option<(u16, u32, SubFormat)>,
    /// Extra bytes at the end of the `fmt ` chunk.
    fmt_tail: Vec<u8>,
    fmt_size: Option<u32>,
    before_fmt: Vec<Chunk>,
    between: Vec<Chunk>,
    /// Write `fact` with this frame count.
    fact: Option<u32>,
    data_size: DataSize,
    riff_size: Option<u32>,
    omit_data_chunk: bool,
    data: Vec<u8>,
}

fn chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8], size: Option<u32>) {
    out.extend_from_slice(id);
    out.extend_from_slice(&size.unwrap_or(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

impl Wav {
    fn build(&self) -> Vec<u8> {
        let tag = self.tag.code();
        let channels = match self.channels {
            Field::Plausible(x) => u16::from(x % 8) + 1,
            Field::Raw(x) => x,
        };
        let rate = match self.rate {
            Field::Plausible(x) => {
                [8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000][x as usize % 8]
            }
            Field::Raw(x) => x,
        };
        let bits = match self.bits {
            Field::Plausible(x) => [4, 8, 16, 24, 32, 64][x as usize % 6],
            Field::Raw(x) => x,
        };
        let frame_bytes = (u32::from(channels) * u32::from(bits)).div_ceil(8);
        let block_align = self
            .block_align
            .unwrap_or(frame_bytes.min(u32::from(u16::MAX)) as u16);
        let byte_rate = self
            .byte_rate
            .unwrap_or(rate.wrapping_mul(u32::from(block_align)));

        let mut fmt = Vec::new();
        fmt.extend_from_slice(&tag.to_le_bytes());
        fmt.extend_from_slice(&channels.to_le_bytes());
        fmt.extend_from_slice(&rate.to_le_bytes());
        fmt.extend_from_slice(&byte_rate.to_le_bytes());
        fmt.extend_from_slice(&block_align.to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes());
        let ext = match (&self.ext, tag) {
            (Some(e), _) => Some(e),
            (None, 0xFFFE) => Some(&(0u16, 0u32, SubFormat::Pcm)),
            _ => None,
        };
        if let Some((valid_bits, mask, sub)) = ext {
            fmt.extend_from_slice(&22u16.to_le_bytes()); // cbSize
            fmt.extend_from_slice(
                &(if *valid_bits == 0 { bits } else { *valid_bits }).to_le_bytes(),
            );
            fmt.extend_from_slice(&mask.to_le_bytes());
            let guid_tail = [
                0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
            ];
            let mut guid = [0u8; 16];
            let code: u16 = match sub {
                SubFormat::Pcm => 1,
                SubFormat::Float => 3,
                SubFormat::Alaw => 6,
                SubFormat::Mulaw => 7,
                SubFormat::Raw(g) => {
                    guid = *g;
                    0
                }
            };
            if !matches!(sub, SubFormat::Raw(_)) {
                guid[..2].copy_from_slice(&code.to_le_bytes());
                guid[2..].copy_from_slice(&guid_tail);
            }
            fmt.extend_from_slice(&guid);
        }
        fmt.extend_from_slice(&self.fmt_tail);

        let mut body = b"WAVE".to_vec();
        for c in self.before_fmt.iter().take(3) {
            chunk(&mut body, &c.id, &c.body, c.size);
        }
        chunk(&mut body, b"fmt ", &fmt, self.fmt_size);
        for c in self.between.iter().take(3) {
            chunk(&mut body, &c.id, &c.body, c.size);
        }
        if let Some(n) = self.fact {
            chunk(&mut body, b"fact", &n.to_le_bytes(), None);
        }
        if !self.omit_data_chunk {
            let size = match self.data_size {
                DataSize::Exact => None,
                DataSize::Raw(n) => Some(n),
                DataSize::Unknown => Some(u32::MAX),
            };
            chunk(&mut body, b"data", &self.data, size);
        }
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&self.riff_size.unwrap_or(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    wav: Wav,
    sr: u8,
    mono: bool,
    offset: u8,
    duration: u8,
}

fuzz_target!(|input: Input| {
    let bytes = input.wav.build();
    let path = common::write_input(&bytes, "wav");
    // Valid options only: an InvalidParameter error would be the caller's fault, not the file's.
    let opts = LoadOptions {
        sr: [None, None, Some(16000), Some(22050)][input.sr as usize % 4],
        mono: input.mono,
        offset: [0.0, 0.0, 0.001, 0.25][input.offset as usize % 4],
        duration: [None, None, Some(0.01), Some(1.0)][input.duration as usize % 4],
    };
    match load(&path, &opts) {
        Ok(audio) => common::check_audio(&audio, opts.mono),
        Err(e) => common::check_error(&e),
    }
    match probe(&path) {
        Ok(info) => assert!(info.sample_rate > 0 && info.channels > 0, "{info:?}"),
        Err(e) => common::check_error(&e),
    }
});
