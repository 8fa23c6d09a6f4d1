//! Generated WAV files (hound and hand-built headers) decode to exactly the written samples.

use std::path::Path;

use hark_audio::{LoadOptions, load, probe};

/// WAVE_FORMAT_PCM / IEEE_FLOAT / EXTENSIBLE format tags.
pub const PCM: u16 = 1;
pub const FLOAT: u16 = 3;
pub const EXTENSIBLE: u16 = 0xFFFE;

/// A hand-built WAV file. `extra` chunks are written between `fmt ` and `data`;
/// `data_size` overrides the declared size of the data chunk.
pub struct Wav<'a> {
    pub tag: u16,
    pub channels: u16,
    pub rate: u32,
    pub bits: u16,
    pub data: &'a [u8],
    pub extra: &'a [u8],
    pub data_size: Option<u32>,
}

impl Wav<'_> {
    pub fn bytes(&self) -> Vec<u8> {
        let block = self.channels.max(1) * self.bits / 8;
        let mut fmt = Vec::new();
        fmt.extend_from_slice(&self.tag.to_le_bytes());
        fmt.extend_from_slice(&self.channels.to_le_bytes());
        fmt.extend_from_slice(&self.rate.to_le_bytes());
        fmt.extend_from_slice(&(self.rate * u32::from(block)).to_le_bytes());
        fmt.extend_from_slice(&block.to_le_bytes());
        fmt.extend_from_slice(&self.bits.to_le_bytes());
        if self.tag == EXTENSIBLE {
            fmt.extend_from_slice(&22u16.to_le_bytes()); // cbSize
            fmt.extend_from_slice(&self.bits.to_le_bytes()); // valid bits
            let mask: u32 = if self.channels == 2 { 0x3 } else { 0x4 };
            fmt.extend_from_slice(&mask.to_le_bytes());
            // KSDATAFORMAT_SUBTYPE_PCM {00000001-0000-0010-8000-00aa00389b71}
            fmt.extend_from_slice(&[
                1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71,
            ]);
        }
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        let data_len = self.data_size.map_or(self.data.len(), |d| d as usize);
        let riff_len = (4 + 8 + fmt.len() + self.extra.len() + 8)
            .saturating_add(data_len)
            .min(u32::MAX as usize);
        out.extend_from_slice(&(riff_len as u32).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(b"fmt ");
        out.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
        out.extend_from_slice(&fmt);
        out.extend_from_slice(self.extra);
        out.extend_from_slice(b"data");
        out.extend_from_slice(
            &self
                .data_size
                .unwrap_or(self.data.len() as u32)
                .to_le_bytes(),
        );
        out.extend_from_slice(self.data);
        out
    }

    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.bytes()).expect("write wav");
    }
}

/// Integer test signal spanning the full range of `bits`, including both extremes.
fn int_signal(bits: u32, n: usize) -> Vec<i32> {
    let max = (1i64 << (bits - 1)) - 1;
    let min = -(1i64 << (bits - 1));
    let mut v: Vec<i32> = (0..n)
        .map(|i| ((i as f64 * 0.37).sin() * 0.9 * max as f64).round() as i32)
        .collect();
    v[1] = max as i32;
    v[2] = min as i32;
    v[3] = 0;
    v
}

#[test]
fn hound_int_wavs_round_trip_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    for bits in [8u16, 16, 24, 32] {
        for channels in [1u16, 2] {
            let path = dir.path().join(format!("int{bits}_{channels}.wav"));
            let spec = hound::WavSpec {
                channels,
                sample_rate: 16000,
                bits_per_sample: bits,
                sample_format: hound::SampleFormat::Int,
            };
            let x = int_signal(u32::from(bits), 301 * usize::from(channels));
            let mut w = hound::WavWriter::create(&path, spec).expect("create");
            for &s in &x {
                match bits {
                    8 => w.write_sample(s as i8).expect("write"),
                    16 => w.write_sample(s as i16).expect("write"),
                    _ => w.write_sample(s).expect("write"),
                }
            }
            w.finalize().expect("finalize");
            let a = load(
                &path,
                &LoadOptions {
                    mono: false,
                    ..Default::default()
                },
            )
            .expect("load");
            assert_eq!((a.sample_rate, a.channels), (16000, usize::from(channels)));
            let scale = (1u64 << (bits - 1)) as f64;
            let want: Vec<f32> = x.iter().map(|&s| (f64::from(s) / scale) as f32).collect();
            assert_eq!(a.samples, want, "{bits}-bit int, {channels} ch");
            let info = probe(&path).expect("probe");
            assert_eq!(info.bits_per_sample, Some(u32::from(bits)));
            assert_eq!(info.frames, Some(301));
        }
    }
}

#[test]
fn float_wavs_round_trip_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x: Vec<f32> = (0..500).map(|i| ((i as f32) * 0.01).sin() * 0.99).collect();
    let p32 = dir.path().join("f32.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44100,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&p32, spec).expect("create");
    for &s in &x {
        w.write_sample(s).expect("write");
    }
    w.finalize().expect("finalize");
    assert_eq!(load(&p32, &LoadOptions::default()).expect("f32").samples, x);

    // hound cannot write 64-bit float: hand-built header.
    let x64: Vec<f64> = (0..500).map(|i| (i as f64 * 0.013).cos() * 0.75).collect();
    let data: Vec<u8> = x64.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p64 = dir.path().join("f64.wav");
    Wav {
        tag: FLOAT,
        channels: 1,
        rate: 44100,
        bits: 64,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .write(&p64);
    let want: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
    assert_eq!(
        load(&p64, &LoadOptions::default()).expect("f64").samples,
        want
    );
}

fn pcm16(x: &[i16]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn list_chunk_before_data_and_extensible_header_decode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x: Vec<i16> = (0..400).map(|i| ((i * 97) % 2000 - 1000) as i16).collect();
    let want: Vec<f32> = x.iter().map(|&v| f32::from(v) / 32768.0).collect();
    let data = pcm16(&x);

    // LIST/INFO chunk (odd-sized payload, padded) plus a 'fact' chunk before 'data'.
    let mut extra = Vec::new();
    let info = b"INFOINAM\x05\0\0\0hark\0\0";
    extra.extend_from_slice(b"LIST");
    extra.extend_from_slice(&(info.len() as u32).to_le_bytes());
    extra.extend_from_slice(info);
    extra.extend_from_slice(b"fact\x04\0\0\0\x90\x01\0\0");
    let p = dir.path().join("list.wav");
    Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &extra,
        data_size: None,
    }
    .write(&p);
    assert_eq!(
        load(&p, &LoadOptions::default()).expect("LIST wav").samples,
        want
    );

    // WAVE_FORMAT_EXTENSIBLE, stereo 16-bit.
    let p = dir.path().join("ext.wav");
    Wav {
        tag: EXTENSIBLE,
        channels: 2,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .write(&p);
    let a = load(
        &p,
        &LoadOptions {
            mono: false,
            ..Default::default()
        },
    )
    .expect("extensible wav");
    assert_eq!((a.channels, a.samples.clone()), (2, want.clone()));
    let m = load(&p, &LoadOptions::default()).expect("extensible mono");
    let mean: Vec<f32> = want.chunks(2).map(|f| (f[0] + f[1]) * 0.5).collect();
    assert_eq!(m.samples, mean);
}
