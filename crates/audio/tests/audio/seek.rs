//! Reading a time range of a lossy file seeks, then decodes a pre-roll: the result must equal the
//! same slice of a full decode. The committed 2.5 s sweeps (`make_fixtures.sh`) let the range
//! start 1.5 s in, far past the 8192-frame (0.37 s) pre-roll, so a real seek happens.

use hark_audio::{AudioWarning, LoadOptions, load};

use crate::fixture;

/// Largest difference allowed between a seeked range and the same slice of a full decode.
/// After the pre-roll the decoder's state (MDCT overlap, MP3 bit reservoir and synthesis
/// filterbank) is rebuilt from the same packets, so the samples agree up to float rounding;
/// a range one frame off on this sweep (up to 2000 Hz at amplitude 0.5) differs by up to
/// 2 pi 2000 / 22050 * 0.5 = 0.28, and a pre-roll too short leaves errors of 1e-2 and more.
const SEEK_TOL: f32 = 1e-4;

/// Start and length of the range, in seconds.
const OFFSET_S: f64 = 1.5;
const DURATION_S: f64 = 0.8;

fn range(offset: f64, duration: Option<f64>) -> LoadOptions {
    LoadOptions {
        offset,
        duration,
        ..Default::default()
    }
}

/// Copy of the fixture with one packet about 0.1 s in broken so that decoding it gives a
/// SkippedPackets warning: a decode from the start reports it, a seeked one never reads it.
/// (The range's pre-roll starts at 1.5 - 0.37 = 1.13 s, in the sweep's second audio page: Ogg
/// pages of these files hold about 1 s, and a seek lands on a page.)
fn damage_early_packet(name: &str, bytes: &mut [u8]) {
    if name.ends_with(".mp3") {
        let frames = crate::damage::mp3_frames(bytes);
        let f = frames[4]; // 4 * 576 frames = 0.10 s
        let crc = if bytes[f + 1] & 1 == 0 { 2 } else { 0 };
        bytes[f + 4 + crc..f + 4 + crc + 9].fill(0xFF);
    } else {
        crate::damage::break_ogg_packet(bytes, 2, 4); // 5th packet of the first audio page
    }
}

#[test]
fn lossy_ranges_past_the_preroll_seek_and_equal_the_full_decode() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["sweep_mono.mp3", "sweep_mono.ogg"] {
        let p = fixture(name);
        let full = load(&p, &range(0.0, None)).expect("full");
        assert!(full.warnings.is_empty(), "{name}: {:?}", full.warnings);
        assert!(full.duration() > 2.4, "{name}: {} s", full.duration());
        let part = load(&p, &range(OFFSET_S, Some(DURATION_S))).expect("range");
        let sr = f64::from(full.sample_rate);
        let start = (OFFSET_S * sr).round() as usize;
        let want = &full.samples[start..start + (DURATION_S * sr).round() as usize];
        assert_eq!(part.samples.len(), want.len(), "{name}");
        let err = part
            .samples
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        eprintln!("{name}: seeked range vs full decode, max |diff| {err:e}");
        assert!(err <= SEEK_TOL, "{name}: max |diff| {err}");

        // Proof that the reader seeked: with a packet near the start broken, the full decode
        // warns and the range, which never decodes that packet, does not.
        let mut bytes = std::fs::read(&p).expect("fixture");
        damage_early_packet(name, &mut bytes);
        let q = dir.path().join(name);
        std::fs::write(&q, &bytes).expect("write");
        let skipped = |w: &[AudioWarning]| {
            w.iter()
                .any(|w| matches!(w, AudioWarning::SkippedPackets { .. }))
        };
        let damaged_full = load(&q, &range(0.0, None)).expect("damaged full");
        assert!(skipped(&damaged_full.warnings), "{name}: damage not seen");
        let damaged_part = load(&q, &range(OFFSET_S, Some(DURATION_S))).expect("damaged range");
        assert!(
            damaged_part.warnings.is_empty(),
            "{name}: the range decoded from the start: {:?}",
            damaged_part.warnings
        );
        assert_eq!(damaged_part.samples, part.samples, "{name}");
    }
}
