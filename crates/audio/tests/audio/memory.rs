//! Bytes in memory (standard input) decode exactly as the same bytes in a file: samples,
//! warnings and header information, through every repair (WAV size fields, damaged Ogg
//! pages); errors name the input `-` and give the same advice.

use std::path::Path;

use hark_audio::{AudioError, STDIN_NAME, load_mono, load_mono_bytes, probe, probe_bytes};

use crate::fixture;
use crate::wav_gen::{PCM, Wav};

/// `path` and its bytes decode and probe alike (at the native rate and resampled).
fn same_as_file(path: &Path) {
    let bytes = std::fs::read(path).expect("read");
    for sr in [None, Some(16_000)] {
        let a = load_mono(path, sr).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let b = load_mono_bytes(bytes.clone(), sr).unwrap_or_else(|e| panic!("bytes: {e}"));
        assert_eq!(a.samples, b.samples, "{}", path.display());
        assert_eq!(a.sample_rate, b.sample_rate);
        assert_eq!(a.warnings, b.warnings, "{}", path.display());
    }
    let (a, b) = (
        probe(path).expect("probe"),
        probe_bytes(bytes).expect("probe bytes"),
    );
    assert_eq!(
        (&a.container, &a.codec, a.sample_rate, a.channels, a.frames),
        (&b.container, &b.codec, b.sample_rate, b.channels, b.frames),
        "{}",
        path.display()
    );
    assert_eq!(b.path, Path::new(STDIN_NAME));
}

#[test]
fn bytes_decode_like_the_file_for_every_codec_fixture() {
    for name in [
        "sine_mono.flac",
        "sine_stereo.flac",
        "sine_mono.mp3",
        "sine_stereo.ogg",
        "sweep_mono.ogg",
    ] {
        same_as_file(&fixture(name));
    }
}

#[test]
fn bytes_get_the_wav_size_repair_and_the_ogg_page_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data: Vec<u8> = (0..2000i16).flat_map(|i| (i * 13).to_le_bytes()).collect();
    let mut wav = Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data: &data,
        extra: &[],
        data_size: None,
    }
    .bytes();
    wav[40..44].copy_from_slice(&u32::MAX.to_le_bytes()); // ffmpeg writing to a pipe
    let p = dir.path().join("piped.wav");
    std::fs::write(&p, &wav).expect("write");
    same_as_file(&p);
    let b = load_mono_bytes(wav, None).expect("decodes");
    assert!(!b.warnings.is_empty(), "the placeholder is reported");

    // One Ogg page with a broken checksum in the middle of the file.
    let mut ogg = std::fs::read(fixture("sweep_mono.ogg")).expect("fixture");
    let (_, body, _) = crate::damage::middle_ogg_page(&ogg);
    ogg[body + 5] ^= 0x5A;
    let p = dir.path().join("damaged.ogg");
    std::fs::write(&p, &ogg).expect("write");
    same_as_file(&p);
    let b = load_mono_bytes(ogg, None).expect("decodes");
    assert!(!b.warnings.is_empty(), "the damaged page is reported");
}

#[test]
fn bad_bytes_name_standard_input_and_suggest_ffmpeg_only_for_binary_data() {
    let e = load_mono_bytes(Vec::new(), None).expect_err("empty");
    assert!(matches!(e, AudioError::Empty { .. }), "{e:?}");
    assert_eq!(e.path(), Some(Path::new("-")));

    let text = "path,label\nbark.wav,dog\n".repeat(10).into_bytes();
    let e = load_mono_bytes(text, None).expect_err("text");
    assert!(matches!(e, AudioError::UnrecognizedFormat { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("text file"), "{msg}");
    assert!(
        !msg.contains("ffmpeg"),
        "no conversion advice for text: {msg}"
    );

    let binary: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 200) as u8 | 0x80).collect();
    let e = probe_bytes(binary).expect_err("binary");
    if let AudioError::UnrecognizedFormat { .. } = e {
        assert!(e.to_string().contains("ffmpeg -i"), "{e}");
    }
}
