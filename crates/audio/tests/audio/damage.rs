//! Real-world damage that still decodes, with a warning: WAV size fields left by streaming
//! writers, lossy files with one bad packet, Ogg pages failing their checksum, lossy files cut
//! short. And the damage that stays an
//! error: a WAV cut off below the specific length its header declares.

use std::path::Path;

use hark_audio::{AudioError, AudioWarning, LoadOptions, load, load_mono, probe};

use crate::fixture;
use crate::wav_gen::{PCM, Wav};

/// Frames per packet of the fixtures: MP3 at 22050 Hz (MPEG-2 Layer III) has 576, Vorbis long
/// blocks at q4 give at most 1024 per packet.
const MAX_PACKET_FRAMES: usize = 1024;
/// A damaged MP3 frame may also break the next ones, whose main data starts in its bit reservoir
/// (at most 511 bytes back, about two frames here).
const MAX_SKIPPED_PACKETS: u64 = 3;

/// 1000 int16 frames, 8 kHz mono, and their decoded values.
fn signal() -> (Vec<u8>, Vec<f32>) {
    let x: Vec<i16> = (0..1000).map(|i| ((i * 37) % 2000 - 1000) as i16).collect();
    let want = x.iter().map(|&v| f32::from(v) / 32768.0).collect();
    (x.iter().flat_map(|v| v.to_le_bytes()).collect(), want)
}

fn wav_bytes(data: &[u8], data_size: Option<u32>) -> Vec<u8> {
    Wav {
        tag: PCM,
        channels: 1,
        rate: 8000,
        bits: 16,
        data,
        extra: &[],
        data_size,
    }
    .bytes()
}

fn set_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// RIFF size at byte 4; the data size of a 16-byte `fmt ` WAV at byte 40.
const RIFF_AT: usize = 4;
const DATA_SIZE_AT: usize = 40;

#[test]
fn wav_data_size_placeholders_read_to_the_end_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, want) = signal();
    // (data size, RIFF size): Python's `wave` killed before close (0, 36); ffmpeg to a pipe
    // (both 0xFFFFFFFF); sox's MS_UNSPEC; the 2^31 family.
    for (size, riff) in [
        (0, 36),
        (u32::MAX, u32::MAX),
        (0x7FFF_F000, 0x7FFF_F024),
        (0x7FFF_FFFF, 0x8000_0023),
        (0x8000_0000, 0x8000_0024),
    ] {
        let mut bytes = wav_bytes(&data, None);
        set_u32(&mut bytes, DATA_SIZE_AT, size);
        set_u32(&mut bytes, RIFF_AT, riff);
        let p = dir.path().join(format!("stream_{size:x}.wav"));
        std::fs::write(&p, &bytes).expect("write");
        let a = load_mono(&p, None).unwrap_or_else(|e| panic!("{size:#x}: {e}"));
        assert_eq!(a.samples, want, "{size:#x}");
        let placeholder = AudioWarning::WavDataSizePlaceholder {
            declared: size,
            used: data.len() as u64,
        };
        assert!(
            a.warnings.contains(&placeholder),
            "{size:#x}: {:?}",
            a.warnings
        );
        let info = probe(&p).expect("probe");
        assert_eq!(info.frames, Some(1000), "{size:#x}");
        assert!(info.warnings.contains(&placeholder), "{size:#x}");
    }
}

#[test]
fn wav_wrong_riff_sizes_are_ignored_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, want) = signal();
    let clean = wav_bytes(&data, None);
    let len = clean.len() as u64;
    let p = dir.path().join("clean.wav");
    std::fs::write(&p, &clean).expect("write");
    assert!(load_mono(&p, None).expect("clean").warnings.is_empty());

    for riff in [0, 4, 20, u32::MAX, 3 * len as u32] {
        let mut bytes = clean.clone();
        set_u32(&mut bytes, RIFF_AT, riff);
        let p = dir.path().join(format!("riff_{riff:x}.wav"));
        std::fs::write(&p, &bytes).expect("write");
        let a = load_mono(&p, None).unwrap_or_else(|e| panic!("RIFF {riff:#x}: {e}"));
        assert_eq!(a.samples, want, "RIFF {riff:#x}");
        assert_eq!(
            a.warnings,
            vec![AudioWarning::WavRiffSizeIgnored {
                declared: riff,
                expected: len - 8
            }],
            "RIFF {riff:#x}"
        );
        let w = a.warnings[0].to_string();
        assert!(w.contains("RIFF size") && !w.contains("riff_"), "{w}");
    }
}

#[test]
fn wav_cut_off_below_a_specific_data_size_is_still_truncated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = signal();
    // The header declares 2000 frames in a plausible size; the file holds 1000 of them.
    let p = dir.path().join("cut_off.wav");
    std::fs::write(&p, wav_bytes(&data, Some(4000))).expect("write");
    let e = load_mono(&p, None).expect_err("a cut-off WAV is an error");
    match &e {
        AudioError::Truncated {
            declared_frames: 2000,
            decoded_frames: 1000,
            ..
        } => {}
        other => panic!("expected Truncated, got {other:?}"),
    }
    assert_eq!(e.path(), Some(p.as_path()));
    assert!(!e.to_string().contains("cut_off"), "{e}");
}

/// Byte offsets of the MPEG audio frames of `bytes` (after an ID3v2 tag), walking frame lengths.
pub fn mp3_frames(bytes: &[u8]) -> Vec<usize> {
    const KBPS_V1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const KBPS_V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let mut pos = 0;
    if bytes.starts_with(b"ID3") {
        let s = &bytes[6..10];
        pos = 10
            + s.iter()
                .fold(0usize, |a, &b| (a << 7) | usize::from(b & 0x7F));
    }
    let mut frames = Vec::new();
    while pos + 4 <= bytes.len() && bytes[pos] == 0xFF && bytes[pos + 1] & 0xE0 == 0xE0 {
        let (b1, b2) = (bytes[pos + 1], bytes[pos + 2]);
        let mpeg1 = (b1 >> 3) & 3 == 3;
        let rates = match (b1 >> 3) & 3 {
            3 => [44100, 48000, 32000],
            2 => [22050, 24000, 16000],
            _ => [11025, 12000, 8000],
        };
        let kbps = if mpeg1 { KBPS_V1 } else { KBPS_V2 }[usize::from(b2 >> 4).min(14)];
        let sr = rates[usize::from((b2 >> 2) & 3).min(2)];
        let per = if mpeg1 { 144_000 } else { 72_000 };
        let len = (per * kbps / sr + u32::from((b2 >> 1) & 1)) as usize;
        if len < 4 {
            break;
        }
        frames.push(pos);
        pos += len;
    }
    frames
}

/// Ogg CRC-32 (polynomial 0x04C11DB7, not reflected, initial value 0).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// `(start, body start, end)` of each Ogg page.
fn ogg_pages(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut pages = Vec::new();
    let mut pos = 0;
    while pos + 27 <= bytes.len() && &bytes[pos..pos + 4] == b"OggS" {
        let n = usize::from(bytes[pos + 26]);
        let body = pos + 27 + n;
        let len: usize = bytes[pos + 27..body].iter().map(|&s| usize::from(s)).sum();
        pages.push((pos, body, body + len));
        pos = body + len;
    }
    pages
}

/// Break packet `packet` of Ogg page `index` (or of the next page that starts a packet): set its
/// first bit, which marks a Vorbis header packet, and recompute the page checksum. symphonia's
/// Ogg reader then drops the packet (a jump in timestamps, reported as SkippedPackets).
pub fn break_ogg_packet(bytes: &mut [u8], index: usize, packet: usize) {
    let pages = ogg_pages(bytes);
    let &(start, body, end) = pages[index..]
        .iter()
        .find(|(start, _, _)| bytes[start + 5] & 1 == 0)
        .expect("a page that starts a packet");
    // Packet `packet` starts after the lengths of the earlier ones in the segment table.
    let segments = &bytes[start + 27..body];
    let mut at = body;
    let mut k = 0;
    for &s in segments {
        if k == packet {
            break;
        }
        at += usize::from(s);
        if s < 255 {
            k += 1;
        }
    }
    bytes[at] |= 1;
    bytes[start + 22..start + 26].fill(0);
    let crc = ogg_crc(&bytes[start..end]);
    bytes[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
}

/// The middle page that starts with a fresh packet (not a continuation).
pub fn middle_ogg_page(bytes: &[u8]) -> (usize, usize, usize) {
    let pages = ogg_pages(bytes);
    assert!(pages.len() >= 5, "only {} Ogg pages", pages.len());
    // Past the first audio page, which symphonia reads while opening the file.
    *pages[pages.len() / 2 + 1..]
        .iter()
        .find(|(start, _, _)| bytes[start + 5] & 1 == 0)
        .expect("a page that starts a packet")
}

/// `damaged` decodes with one SkippedPackets warning, about as long as the clean file, and equal
/// to it before the damage.
fn check_skipped(name: &str, clean: &Path, damaged: &Path, damage_at_s: f64) {
    let want = load_mono(clean, None).expect("clean");
    assert!(want.warnings.is_empty(), "{name}: {:?}", want.warnings);
    let got = load_mono(damaged, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    let skipped: Vec<_> = got
        .warnings
        .iter()
        .filter_map(|w| match w {
            AudioWarning::SkippedPackets { count, .. } => Some(*count),
            _ => None,
        })
        .collect();
    eprintln!("{name}: {:?}", got.warnings);
    assert_eq!(skipped.len(), 1, "{name}: {:?}", got.warnings);
    assert!(
        (1..=MAX_SKIPPED_PACKETS).contains(&skipped[0]),
        "{name}: {:?}",
        got.warnings
    );
    let msg = got.warnings[0].to_string();
    assert!(msg.contains(&format!("skipped {} of", skipped[0])), "{msg}");
    assert!(
        got.frames().abs_diff(want.frames()) <= MAX_PACKET_FRAMES,
        "{name}: {} frames, clean {}",
        got.frames(),
        want.frames()
    );
    // Before the damaged packet (less one packet of overlap) the audio is untouched.
    let clean_part = (damage_at_s * f64::from(want.sample_rate)) as usize - 2 * MAX_PACKET_FRAMES;
    assert_eq!(
        got.samples[..clean_part],
        want.samples[..clean_part],
        "{name}"
    );
}

#[test]
fn mp3_with_one_damaged_frame_decodes_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixture("sine_mono.mp3");
    let mut bytes = std::fs::read(&src).expect("fixture");
    let frames = mp3_frames(&bytes);
    assert!(frames.len() > 20, "{} MP3 frames", frames.len());
    let mid = frames.len() / 2;
    // Side information all ones: big_values 511 > 288, which the decoder rejects.
    let crc = if bytes[frames[mid] + 1] & 1 == 0 {
        2
    } else {
        0
    };
    let side = frames[mid] + 4 + crc;
    bytes[side..side + 9].fill(0xFF);
    let p = dir.path().join("damaged.mp3");
    std::fs::write(&p, &bytes).expect("write");
    let at = mid as f64 * 576.0 / 22050.0;
    check_skipped("mp3", &src, &p, at);
}

/// Granule position (end frame) of the Ogg page starting at byte `start`.
fn ogg_granule(bytes: &[u8], start: usize) -> u64 {
    u64::from_le_bytes(bytes[start + 6..start + 14].try_into().expect("8 bytes"))
}

/// The one DamagedOggPages warning of `a`, as (pages, seconds_lost, first_at).
fn damaged_ogg_pages(name: &str, a: &hark_audio::Audio) -> (u64, f64, Option<f64>) {
    eprintln!("{name}: {:?}", a.warnings);
    match a.warnings.as_slice() {
        [
            AudioWarning::DamagedOggPages {
                pages,
                seconds_lost,
                first_at,
            },
        ] => (*pages, *seconds_lost, *first_at),
        other => panic!("{name}: expected one DamagedOggPages warning, got {other:?}"),
    }
}

/// symphonia 0.6's Ogg reader drops a page that fails its checksum without telling the caller
/// and continues the timestamps as if nothing were missing. hark's page scan finds it: a
/// DamagedOggPages warning, and the page's audio (about 1 s of the 2.5 s sweep) replaced by
/// silence of its length at its place, so the audio after it keeps its time.
#[test]
fn ogg_with_one_damaged_page_decodes_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixture("sweep_mono.ogg");
    let mut bytes = std::fs::read(&src).expect("fixture");
    let (start, body, _) = middle_ogg_page(&bytes);
    bytes[body + 5] ^= 0x5A;
    let p = dir.path().join("bad_page.ogg");
    std::fs::write(&p, &bytes).expect("write");
    let pages = ogg_pages(&bytes);
    let i = pages.iter().position(|pg| pg.0 == start).expect("the page");
    // The damaged page holds frames first_lost..last_lost.
    let first_lost = ogg_granule(&bytes, pages[i - 1].0) as usize;
    let last_lost = ogg_granule(&bytes, start) as usize;

    let want = load_mono(&src, None).expect("clean");
    assert!(want.warnings.is_empty(), "{:?}", want.warnings);
    let got = load_mono(&p, None).unwrap_or_else(|e| panic!("{e}"));
    let (n, lost, at) = damaged_ogg_pages("ogg page", &got);
    assert_eq!(n, 1);
    let sr = f64::from(want.sample_rate);
    assert!(
        (lost - (last_lost - first_lost) as f64 / sr).abs() < 1e-9,
        "{lost} s lost"
    );
    assert!((at.expect("first_at") - first_lost as f64 / sr).abs() < 1e-9);
    let msg = got.warnings[0].to_string();
    assert!(
        msg.contains("1 damaged Ogg page ") && msg.contains("silence"),
        "{msg}"
    );

    assert!(
        got.frames().abs_diff(want.frames()) <= MAX_PACKET_FRAMES,
        "{} frames, clean {}",
        got.frames(),
        want.frames()
    );
    // Before the lost page (less one packet of overlap) the audio is untouched; the page's own
    // frames are silence; after it (one packet of overlap later) the audio is back at its time.
    let m = MAX_PACKET_FRAMES;
    assert_eq!(
        got.samples[..first_lost - m],
        want.samples[..first_lost - m]
    );
    assert!(got.samples[first_lost..last_lost].iter().all(|&x| x == 0.0));
    let after = last_lost + 2 * m..got.frames().min(want.frames());
    let worst = got.samples[after.clone()]
        .iter()
        .zip(&want.samples[after])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "after the loss: max |diff| {worst}");

    // Time ranges (which seek past the pre-roll) are slices of the full damaged decode: before,
    // inside (the seek skips to the next good page) and after the lost page.
    for offset in [0.5, 1.5, 2.2] {
        let opts = LoadOptions {
            offset,
            duration: Some(0.25),
            ..Default::default()
        };
        let part = load(&p, &opts).unwrap_or_else(|e| panic!("{offset} s: {e}"));
        let a = (offset * sr).round() as usize;
        let b = a + (0.25 * sr).round() as usize;
        assert_eq!(part.samples.len(), b - a, "{offset} s");
        let worst = part
            .samples
            .iter()
            .zip(&got.samples[a..b])
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{offset} s: max |diff| {worst}");
    }
}

/// Other Ogg damage: garbage between pages loses no audio (the same samples, a warning of no
/// loss); the last page failing its checksum loses the end, filled up to the stream's length; a
/// damaged page whose header is garbled too is filled by the declared length.
#[test]
fn ogg_garbage_between_pages_and_a_damaged_last_page_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = fixture("sweep_mono.ogg");
    let bytes = std::fs::read(&src).expect("fixture");
    let want = load_mono(&src, None).expect("clean");
    let pages = ogg_pages(&bytes);
    let (start, _, _) = middle_ogg_page(&bytes);

    let mut junk = bytes[..start].to_vec();
    junk.extend_from_slice(b"a stray OggS in 40 bytes of garbage....");
    junk.extend_from_slice(&bytes[start..]);
    let p = dir.path().join("garbage.ogg");
    std::fs::write(&p, &junk).expect("write");
    let got = load_mono(&p, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(damaged_ogg_pages("garbage", &got), (1, 0.0, None));
    assert_eq!(got.samples, want.samples);

    let mut last = bytes.clone();
    let (s, b, _) = *pages.last().expect("pages");
    last[b + 7] ^= 0x5A;
    let p = dir.path().join("bad_last_page.ogg");
    std::fs::write(&p, &last).expect("write");
    let got = load_mono(&p, None).unwrap_or_else(|e| panic!("{e}"));
    let (n, lost, at) = damaged_ogg_pages("last page", &got);
    assert_eq!(n, 1);
    let first_lost = ogg_granule(&bytes, pages[pages.len() - 2].0) as usize;
    let sr = f64::from(want.sample_rate);
    let expect_lost = (ogg_granule(&bytes, s) as usize - first_lost) as f64 / sr;
    assert!((lost - expect_lost).abs() < 1e-9, "{lost} s lost");
    assert!((at.expect("first_at") - first_lost as f64 / sr).abs() < 1e-9);
    assert_eq!(got.frames(), want.frames());
    let m = MAX_PACKET_FRAMES;
    assert_eq!(
        got.samples[..first_lost - m],
        want.samples[..first_lost - m]
    );
    assert!(got.samples[first_lost..].iter().all(|&x| x == 0.0));

    // The first audio page damaged: symphonia reads it while opening the file and fails there
    // (a known limit, no repair).
    let mut head = bytes.clone();
    head[pages[2].1 + 7] ^= 0x5A;
    let p = dir.path().join("bad_first_page.ogg");
    std::fs::write(&p, &head).expect("write");
    match load_mono(&p, None) {
        Err(AudioError::Corrupt { .. }) => {}
        other => panic!("first audio page damaged: {other:?}"),
    }

    // The middle page damaged in its granule position too: the loss is seen, its length comes
    // from the stream's declared length (within a packet: the audio after it is not trimmed).
    let mut garbled = bytes.clone();
    garbled[start + 60] ^= 0x5A;
    garbled[start + 13] = 0x7F;
    let p = dir.path().join("garbled_page.ogg");
    std::fs::write(&p, &garbled).expect("write");
    let got = load_mono(&p, None).unwrap_or_else(|e| panic!("{e}"));
    let (n, lost, _) = damaged_ogg_pages("garbled page", &got);
    assert_eq!(n, 1);
    let i = pages.iter().position(|pg| pg.0 == start).expect("the page");
    let true_lost = (ogg_granule(&bytes, start) - ogg_granule(&bytes, pages[i - 1].0)) as f64 / sr;
    assert!(
        (lost - true_lost).abs() <= m as f64 / sr,
        "{lost} s lost, {true_lost} s true"
    );
    assert_eq!(got.frames(), want.frames());
}

#[test]
fn truncated_lossy_files_decode_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    // MP3 cut mid-frame at 85%; the Ogg sweep cut exactly at a page boundary, where only the
    // missing end-of-stream page shows the cut. (An Ogg file cut inside a page fails to open in
    // symphonia 0.6: AudioError::Corrupt, "the file ends in the middle of a header or packet".)
    for name in ["sine_mono.mp3", "sweep_mono.ogg"] {
        let bytes = std::fs::read(fixture(name)).expect("fixture");
        let full = load(
            &fixture(name),
            &LoadOptions {
                mono: false,
                ..Default::default()
            },
        )
        .expect("full");
        assert!(full.warnings.is_empty(), "{name}: {:?}", full.warnings);
        let cuts = if name.ends_with(".mp3") {
            vec![bytes.len() * 17 / 20]
        } else {
            vec![middle_ogg_page(&bytes).0]
        };
        for cut in cuts {
            let p = dir.path().join(format!("cut_{cut}_{name}"));
            std::fs::write(&p, &bytes[..cut]).expect("write");
            let a = load_mono(&p, None).unwrap_or_else(|e| panic!("{name} cut at {cut}: {e}"));
            let truncated = a
                .warnings
                .iter()
                .find(|w| matches!(w, AudioWarning::TruncatedStream { .. }));
            let Some(w) = truncated else {
                panic!(
                    "{name} cut at {cut}: no truncation warning: {:?}",
                    a.warnings
                )
            };
            assert!(w.to_string().contains("truncated"), "{w}");
            assert!(
                a.frames() < full.frames() && a.frames() > full.frames() / 3,
                "{name} cut at {cut}: {} of {} frames",
                a.frames(),
                full.frames()
            );
        }
    }
}
