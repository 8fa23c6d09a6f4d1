//! Chunked decoding (`stream_mono*`) gives exactly the samples and warnings of a whole-file
//! decode, for every codec fixture, the awkward real files, damaged files and pipes, and stops
//! when its receiver asks.

use std::ops::ControlFlow;
use std::path::Path;

use hark_audio::{
    AudioError, STREAM_CHUNK_FRAMES, load_mono, stream_mono, stream_mono_bytes, stream_mono_pipe,
};

use crate::wav_gen::{PCM, Wav};
use crate::{fixture, shared};

/// Streams `path` at `sr` through every entry point, checking each against `load_mono`.
fn same_as_load(path: &Path, sr: Option<u32>) {
    let whole = load_mono(path, sr).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut got = Vec::new();
    let mut calls = 0usize;
    let s = stream_mono(path, sr, |c| {
        assert!(!c.is_empty(), "no empty chunks");
        calls += 1;
        got.extend_from_slice(c);
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("stream {}: {e}", path.display()));
    assert_eq!(got, whole.samples, "{} at {sr:?}", path.display());
    assert_eq!(s.warnings, whole.warnings, "{}", path.display());
    assert_eq!(s.frames, whole.samples.len() as u64);
    assert_eq!(s.sample_rate, whole.sample_rate);
    assert!(!s.stopped);
    let bytes = std::fs::read(path).expect("read");
    let mut got = Vec::new();
    stream_mono_bytes(bytes, sr, |c| {
        got.extend_from_slice(c);
        ControlFlow::Continue(())
    })
    .expect("bytes");
    assert_eq!(got, whole.samples, "bytes {}", path.display());
    // A long file comes in several chunks (the point of streaming).
    let native = hark_audio::probe(path).expect("probe");
    if native.frames.unwrap_or(0) > 3 * STREAM_CHUNK_FRAMES as u64 {
        assert!(calls >= 3, "{}: {calls} chunks", path.display());
    }
}

#[test]
fn chunks_equal_the_whole_decode_for_every_codec_fixture() {
    for name in [
        "sine_mono.flac",
        "sine_stereo.flac",
        "sine_mono.mp3",
        "sine_stereo.mp3",
        "sine_mono.ogg",
        "sine_stereo.ogg",
        "sweep_mono.ogg",
        "sweep_mono.mp3",
    ] {
        for sr in [None, Some(16_000), Some(22_050)] {
            same_as_load(&fixture(name), sr);
        }
    }
}

#[test]
fn chunks_equal_the_whole_decode_for_long_damaged_and_real_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Ten chunks' worth of 16-bit stereo: downmix and resampling across chunk borders.
    let frames = 10 * STREAM_CHUNK_FRAMES + 123;
    let data: Vec<u8> = (0..2 * frames)
        .flat_map(|i| (((i * 7919) % 65_536) as i32 - 32_768).to_le_bytes()[..2].to_vec())
        .collect();
    let long = dir.path().join("long.wav");
    Wav {
        tag: PCM,
        channels: 2,
        rate: 44_100,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .write(&long);
    same_as_load(&long, None);
    same_as_load(&long, Some(22_050));

    let mut ogg = std::fs::read(fixture("sweep_mono.ogg")).expect("fixture");
    let (_, body, _) = crate::damage::middle_ogg_page(&ogg);
    ogg[body + 5] ^= 0x5A;
    let damaged = dir.path().join("damaged.ogg");
    std::fs::write(&damaged, &ogg).expect("write");
    same_as_load(&damaged, Some(22_050));

    let Some(root) = shared() else {
        eprintln!("SKIP: ../shared not found (real files part)");
        return;
    };
    let samples = root.join("data/format_samples");
    let mut n = 0;
    for entry in std::fs::read_dir(&samples).expect("format_samples") {
        let p = entry.expect("entry").path();
        if load_mono(&p, None).is_ok() {
            same_as_load(&p, Some(22_050));
            n += 1;
        }
    }
    assert!(n >= 2, "{n} decodable format samples");
}

#[test]
fn the_receiver_can_stop_the_decode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = 5 * STREAM_CHUNK_FRAMES;
    let data: Vec<u8> = (0..frames).flat_map(|i| (i as i16).to_le_bytes()).collect();
    let p = dir.path().join("five.wav");
    Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .write(&p);
    let mut calls = 0;
    let s = stream_mono(&p, None, |_| {
        calls += 1;
        ControlFlow::Break(())
    })
    .expect("decodes");
    assert!(s.stopped);
    assert_eq!(calls, 1);
    assert!(s.frames < frames as u64);
}

#[test]
fn a_pipe_streams_wav_flac_and_ogg_and_a_placeholder_length_is_no_error() {
    for name in ["sine_mono.flac", "sweep_mono.ogg", "sine_stereo.mp3"] {
        let path = fixture(name);
        let whole = load_mono(&path, Some(16_000)).expect("load");
        let bytes = std::fs::read(&path).expect("read");
        let mut got = Vec::new();
        let s = stream_mono_pipe(
            std::io::Cursor::new(bytes),
            Path::new("-"),
            Some(16_000),
            1000,
            |c| {
                got.extend_from_slice(c);
                ControlFlow::Continue(())
            },
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, whole.samples, "{name}");
        assert_eq!(s.native_sr, whole_native(&path));
    }
    // WAV from a streaming writer: a placeholder `data` size (ffmpeg 0xFFFFFFFF, sox
    // 0x7FFFF000, a recorder's 0) reads to the end; a specific size larger than the stream
    // ends with a warning.
    let data: Vec<u8> = (0..4000i16).flat_map(|i| (i * 3).to_le_bytes()).collect();
    let wav = |size: u32| {
        let mut b = Wav {
            tag: PCM,
            channels: 1,
            rate: 8000,
            bits: 16,
            data: &data,
            extra: &[],
            data_size: None,
        }
        .bytes();
        b[40..44].copy_from_slice(&size.to_le_bytes());
        b
    };
    for (size, warned) in [
        (u32::MAX, false),
        (0x7FFF_F000, false),
        (0, false),
        (9000, true),
    ] {
        let mut n = 0u64;
        let s = stream_mono_pipe(
            std::io::Cursor::new(wav(size)),
            Path::new("-"),
            None,
            700,
            |c| {
                n += c.len() as u64;
                ControlFlow::Continue(())
            },
        )
        .unwrap_or_else(|e| panic!("size {size:#x}: {e}"));
        assert_eq!(n, 4000, "size {size:#x}");
        assert_eq!(!s.warnings.is_empty(), warned, "{:?}", s.warnings);
    }
    let e = stream_mono_pipe(
        std::io::Cursor::new(b"hello, this is not audio at all".repeat(50)),
        Path::new("-"),
        None,
        STREAM_CHUNK_FRAMES,
        |_| ControlFlow::Continue(()),
    )
    .expect_err("text");
    assert!(matches!(e, AudioError::UnrecognizedFormat { .. }), "{e:?}");
}

fn whole_native(path: &Path) -> u32 {
    hark_audio::probe(path).expect("probe").sample_rate
}
