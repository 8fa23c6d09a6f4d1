//! Tests of the dataset check on a generated folder-per-class dataset with a duplicate across
//! classes, a text file named .wav, an empty file and a WAV cut off after its header.

use std::path::Path;

use super::*;
use crate::dataset::Clip;

/// Writes `seconds` of a `freq` Hz tone, 16-bit PCM.
fn tone(path: &Path, sr: u32, channels: u16, seconds: f64, freq: f64) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: sr,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    let frames = (seconds * f64::from(sr)).round() as usize;
    for i in 0..frames {
        let v = (i as f64 * freq * std::f64::consts::TAU / f64::from(sr)).sin();
        for _ in 0..channels {
            w.write_sample((v * 10_000.0) as i16).expect("sample");
        }
    }
    w.finalize().expect("finalize");
}

/// dog: a (1 s), b (0.5 s), empty (0 bytes), cut (header says 1 s, data holds 0.5 s: same size
/// as b, other bytes); siren: a copy of dog/a, c (0.25 s stereo at 16 kHz), a text file.
fn dataset(dir: &Path) -> Dataset {
    let (dog, siren) = (dir.join("dog"), dir.join("siren"));
    std::fs::create_dir_all(&dog).expect("mkdir");
    std::fs::create_dir_all(&siren).expect("mkdir");
    tone(&dog.join("a.wav"), 8000, 1, 1.0, 440.0);
    tone(&dog.join("b.wav"), 8000, 1, 0.5, 660.0);
    std::fs::write(dog.join("empty.wav"), b"").expect("write");
    let cut = dog.join("cut.wav");
    tone(&cut, 8000, 1, 1.0, 880.0);
    let len = std::fs::metadata(dog.join("b.wav")).expect("stat").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cut)
        .and_then(|f| f.set_len(len))
        .expect("truncate");
    std::fs::copy(dog.join("a.wav"), siren.join("a_copy.wav")).expect("copy");
    tone(&siren.join("c.wav"), 16000, 2, 0.25, 440.0);
    std::fs::write(siren.join("notes.wav"), "not audio, just text\n").expect("write");
    crate::open(dir).expect("open")
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn header_check_counts_durations_and_finds_duplicates_and_broken_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dataset(dir.path());
    let r = check(&ds, &CheckOptions::default()).expect("check");
    assert_eq!((r.clips, r.files), (7, 7));
    assert!(!r.decoded);
    let dog = &r.classes[0];
    let siren = &r.classes[1];
    assert_eq!(
        (dog.name.as_str(), dog.clips, dog.unreadable),
        ("dog", 4, 1)
    );
    assert_eq!(
        (siren.name.as_str(), siren.clips, siren.unreadable),
        ("siren", 3, 1)
    );
    // Headers only: the cut file counts the second its header declares.
    assert_eq!(dog.seconds, 2.5);
    assert_eq!(siren.seconds, 1.25);
    assert_eq!(r.seconds, 3.75);
    assert_eq!(r.sample_rates, BTreeMap::from([(8000, 4), (16000, 1)]));
    assert_eq!(r.channels, BTreeMap::from([(1, 4), (2, 1)]));
    assert_eq!(r.codecs.values().sum::<usize>(), 5);
    let mut broken: Vec<(String, Vec<String>, String)> = r
        .unreadable
        .iter()
        .map(|u| (file_name(&u.path), u.classes.clone(), u.reason.clone()))
        .collect();
    broken.sort();
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert_eq!(
        (broken[0].0.as_str(), broken[0].1.clone()),
        ("empty.wav", vec!["dog".to_string()])
    );
    assert!(broken[0].2.contains("empty"), "{}", broken[0].2);
    assert_eq!(broken[1].0, "notes.wav");
    assert!(
        broken[1].2.contains("not a recognised audio file"),
        "{}",
        broken[1].2
    );
    // One group: dog/a.wav and siren/a_copy.wav. b.wav and cut.wav have equal sizes but other
    // bytes; empty files are never duplicates.
    assert_eq!(r.duplicates.len(), 1, "{:?}", r.duplicates);
    let g = &r.duplicates[0];
    let names: Vec<String> = g.files.iter().map(|f| file_name(&f.path)).collect();
    assert_eq!(names, ["a.wav", "a_copy.wav"]);
    assert_eq!(g.classes, ["dog", "siren"]);
    assert!(g.across_classes());
    assert!(g.describe().contains("labelling error"), "{}", g.describe());
    assert_eq!(g.hash.len(), 32);
    assert!(r.has_failures());
    let json = serde_json::to_string(&r).expect("to json");
    let back: DatasetCheck = serde_json::from_str(&json).expect("from json");
    assert_eq!(back, r);
}

#[test]
fn full_decode_finds_audio_cut_off_after_the_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dataset(dir.path());
    let opts = CheckOptions {
        decode: true,
        threads: Some(2),
        ..Default::default()
    };
    let r = check(&ds, &opts).expect("check");
    assert!(r.decoded);
    let cut = r
        .unreadable
        .iter()
        .find(|u| file_name(&u.path) == "cut.wav")
        .unwrap_or_else(|| panic!("cut.wav not reported: {:?}", r.unreadable));
    assert!(cut.reason.contains("truncated"), "{}", cut.reason);
    assert_eq!(r.unreadable.len(), 3);
    assert_eq!((r.classes[0].seconds, r.classes[0].unreadable), (1.5, 2));
    assert_eq!(r.seconds, 2.75);
}

#[test]
fn segments_count_their_length_cut_at_the_end_of_the_file() {
    let mut clip = Clip::new("x.wav", "dog");
    assert_eq!(files_clip_seconds(&clip, Some(4.0)), Some(4.0));
    clip.start = Some(1.0);
    clip.end = Some(2.5);
    assert_eq!(files_clip_seconds(&clip, Some(4.0)), Some(1.5));
    assert_eq!(files_clip_seconds(&clip, Some(2.0)), Some(1.0));
    assert_eq!(files_clip_seconds(&clip, None), Some(1.5));
    clip.end = None;
    assert_eq!(files_clip_seconds(&clip, None), None);
}

fn files_clip_seconds(clip: &Clip, file_seconds: Option<f64>) -> Option<f64> {
    files::clip_seconds(clip, file_seconds)
}

#[test]
fn label_overlap_sorts_names_into_both_and_either_side() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let o = label_overlap(
        "m.hark",
        &s(&["siren", "dog", "drill"]),
        &s(&["dog", "cat", "siren"]),
    );
    assert_eq!(o.both, ["dog", "siren"]);
    assert_eq!(o.only_dataset, ["drill"]);
    assert_eq!(o.only_model, ["cat"]);
}

#[test]
fn a_duplicate_across_folds_says_it_leaks() {
    let g = DuplicateGroup {
        hash: "0".repeat(32),
        bytes: 10,
        files: Vec::new(),
        classes: vec!["dog".into()],
        folds: vec![1, 3],
        splits: Vec::new(),
    };
    let text = g.describe();
    assert!(text.contains("folds 1, 3"), "{text}");
    assert!(!g.across_classes());
}
