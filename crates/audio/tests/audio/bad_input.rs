//! Bad inputs return their specific error variant, which keeps the file's path for the caller
//! (and does not repeat it in its message); none panics.

use std::path::Path;

use hark_audio::{AudioError, LoadOptions, load, load_mono, probe};

use crate::wav_gen::{FLOAT, PCM, Wav};

/// Both entry points fail on `path`; returns the `load` error after checking it carries the path
/// and that its message does not (the caller names the file once, see `AudioError`).
fn fails(path: &Path) -> AudioError {
    let e = load_mono(path, None).expect_err("load must fail");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    assert!(
        !e.to_string().contains(name),
        "message repeats the file name: {e}"
    );
    assert_eq!(e.path(), Some(path), "{e:?}");
    assert!(
        probe(path).is_err()
            || matches!(
                e,
                AudioError::Truncated { .. } | AudioError::NonFinite { .. }
            )
    );
    e
}

#[test]
fn missing_empty_directory_and_text_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.wav");
    assert!(matches!(fails(&missing), AudioError::NotFound { .. }));

    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").expect("write");
    assert!(matches!(fails(&empty), AudioError::Empty { .. }));

    let text = dir.path().join("notes.wav");
    std::fs::write(
        &text,
        "this is not audio, just a text file renamed to .wav\n".repeat(20),
    )
    .expect("write");
    let e = fails(&text);
    assert!(matches!(e, AudioError::UnrecognizedFormat { .. }), "{e:?}");
    assert!(e.to_string().contains("text file"), "{e}");

    let no_frames = dir.path().join("no_frames.wav");
    Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data: &[],
        extra: &[],
        data_size: None,
    }
    .write(&no_frames);
    let e = load_mono(&no_frames, None).expect_err("zero frames");
    assert!(matches!(e, AudioError::Empty { .. }), "{e:?}");

    let sub = dir.path().join("folder.wav");
    std::fs::create_dir(&sub).expect("mkdir");
    assert!(matches!(fails(&sub), AudioError::Io { .. }));

    let noise = dir.path().join("noise.mp3");
    let bytes: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&noise, bytes).expect("write");
    let e = load_mono(&noise, None).expect_err("noise");
    assert!(
        matches!(
            e,
            AudioError::UnrecognizedFormat { .. }
                | AudioError::Corrupt { .. }
                | AudioError::Empty { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn impossible_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = vec![0u8; 200];
    let p = dir.path().join("zero_channels.wav");
    Wav {
        tag: PCM,
        channels: 0,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .write(&p);
    assert!(matches!(
        fails(&p),
        AudioError::InvalidHeader {
            field: "channels",
            value: 0,
            ..
        }
    ));

    let p = dir.path().join("zero_rate.wav");
    Wav {
        tag: PCM,
        channels: 1,
        rate: 0,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .write(&p);
    assert!(matches!(
        fails(&p),
        AudioError::InvalidHeader {
            field: "sample_rate",
            value: 0,
            ..
        }
    ));
}

#[test]
fn truncated_and_oversized_data_chunks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect(); // 1000 int16 frames
    let full = Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .bytes();
    let p = dir.path().join("truncated.wav");
    std::fs::write(&p, &full[..full.len() - 1000]).expect("write");
    match fails(&p) {
        AudioError::Truncated {
            declared_frames: 1000,
            decoded_frames: 500,
            ..
        } => {}
        other => panic!("expected Truncated, got {other:?}"),
    }

    // Header claims ~4 GB of data, a streaming placeholder (>= 0x7FFF0000, beyond the end of the
    // file): all 1000 frames decode, with a warning, without trying to allocate 4 GB.
    let p = dir.path().join("huge.wav");
    Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: Some(0xFFFF_FFF0),
    }
    .write(&p);
    let a = load_mono(&p, None).expect("placeholder data size");
    assert_eq!(a.frames(), 1000);
    assert!(
        matches!(
            a.warnings.first(),
            Some(hark_audio::AudioWarning::WavDataSizePlaceholder {
                declared: 0xFFFF_FFF0,
                used: 2000
            })
        ),
        "{:?}",
        a.warnings
    );
}

#[test]
fn non_finite_float_samples_are_reported_with_their_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (bad, index, name) in [
        (f32::NAN, 37usize, "nan.wav"),
        (f32::INFINITY, 5, "inf.wav"),
    ] {
        let mut x = vec![0.25f32; 100];
        x[index] = bad;
        let data: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        let p = dir.path().join(name);
        Wav {
            tag: FLOAT,
            channels: 2,
            rate: 8000,
            bits: 32,
            data: &data,
            extra: &[],
            data_size: None,
        }
        .write(&p);
        match fails(&p) {
            AudioError::NonFinite {
                index: i,
                frame,
                channel,
                ..
            } => {
                assert_eq!(
                    (i, frame, channel),
                    (index as u64, index as u64 / 2, index % 2),
                    "{name}"
                );
            }
            other => panic!("expected NonFinite, got {other:?}"),
        }
    }
}

#[test]
fn bad_parameters_are_rejected() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sine_mono.flac");
    for opts in [
        LoadOptions {
            sr: Some(0),
            ..Default::default()
        },
        LoadOptions {
            offset: -0.5,
            ..Default::default()
        },
        LoadOptions {
            duration: Some(-1.0),
            ..Default::default()
        },
    ] {
        assert!(
            matches!(load(&p, &opts), Err(AudioError::InvalidParameter { .. })),
            "{opts:?}"
        );
    }
}

/// Damaged copies of every committed fixture (truncated at many points, bytes overwritten
/// with pseudo-random values) must give `Ok` or an error, never a panic.
#[test]
fn damaged_fixtures_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut cases = 0;
    for name in [
        "sine_mono.flac",
        "sine_stereo.ogg",
        "sine_mono.mp3",
        "sine_stereo.mp3",
        "sine_mono.ogg",
    ] {
        let bytes = std::fs::read(fixtures.join(name)).expect("fixture");
        let ext = name.rsplit('.').next().unwrap_or("bin");
        for k in 0..24 {
            let mut damaged = bytes.clone();
            if k % 2 == 0 {
                damaged.truncate((next() as usize) % bytes.len());
            } else {
                for _ in 0..1 + k {
                    let i = (next() as usize) % damaged.len();
                    damaged[i] = next() as u8;
                }
            }
            let p = dir.path().join(format!("damaged_{k}.{ext}"));
            std::fs::write(&p, &damaged).expect("write");
            let _ = load(
                &p,
                &LoadOptions {
                    mono: false,
                    ..Default::default()
                },
            );
            let _ = load(
                &p,
                &LoadOptions {
                    offset: 0.4,
                    duration: Some(0.2),
                    ..Default::default()
                },
            );
            let _ = probe(&p);
            cases += 1;
        }
    }
    assert_eq!(cases, 120);
}

/// Every prefix of a WAV shorter than its header gives an error (never a panic or Ok).
#[test]
fn every_prefix_of_a_wav_header_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = vec![0u8; 64];
    let full = Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .bytes();
    for len in 0..44 {
        let p = dir.path().join(format!("prefix_{len}.wav"));
        std::fs::write(&p, &full[..len]).expect("write");
        let e = load_mono(&p, None).expect_err("a header prefix must not load");
        assert!(
            matches!(
                e,
                AudioError::Empty { .. }
                    | AudioError::UnrecognizedFormat { .. }
                    | AudioError::Corrupt { .. }
                    | AudioError::Truncated { .. }
            ),
            "{len} bytes: {e:?}"
        );
    }
}
