//! End-to-end tests of `hark check` and `hark info --json` on the real binary: a generated
//! folder-per-class dataset with a file copied into a second class, a text file named .wav and
//! an empty file; class names compared with a model file; JSON lines for audio and models.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{sine, write_wav};

fn hark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .output()
        .expect("run hark")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn utf8(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// dog: bark.wav (1 s), growl.wav (0.5 s), empty.wav (0 bytes); siren: bark_again.wav (the
/// same bytes as dog/bark.wav), wail.wav (0.25 s), notes.wav (text).
fn dataset(root: &Path) {
    let (dog, siren) = (root.join("dog"), root.join("siren"));
    std::fs::create_dir_all(&dog).expect("mkdir");
    std::fs::create_dir_all(&siren).expect("mkdir");
    write_wav(&dog.join("bark.wav"), 8000, &sine(8000, 1.0, 440.0));
    write_wav(&dog.join("growl.wav"), 8000, &sine(8000, 0.5, 220.0));
    std::fs::write(dog.join("empty.wav"), b"").expect("write");
    std::fs::copy(dog.join("bark.wav"), siren.join("bark_again.wav")).expect("copy");
    write_wav(&siren.join("wail.wav"), 8000, &sine(8000, 0.25, 880.0));
    std::fs::write(siren.join("notes.wav"), "field notes, not audio\n").expect("write");
}

fn file_name(v: &Value) -> String {
    let p = v.as_str().expect("path string");
    Path::new(p)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn dataset_check_finds_the_duplicate_the_broken_and_the_empty_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("sounds");
    dataset(&root);
    let o = hark(&["check", utf8(&root), "--json"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "unreadable files exit 1: {}",
        text(&o)
    );
    let r: Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(r["kind"], "dataset");
    assert_eq!(
        (r["clips"].as_u64(), r["files"].as_u64()),
        (Some(6), Some(6))
    );
    assert_eq!(r["seconds"], 2.75);
    let classes = r["classes"].as_array().expect("classes");
    let row = |i: usize| {
        let c = &classes[i];
        (
            c["name"].as_str().unwrap_or_default().to_string(),
            c["clips"].as_u64(),
            c["unreadable"].as_u64(),
            c["seconds"].as_f64(),
        )
    };
    assert_eq!(row(0), ("dog".into(), Some(3), Some(1), Some(1.5)));
    assert_eq!(row(1), ("siren".into(), Some(3), Some(1), Some(1.25)));
    assert_eq!(r["sample_rates"]["8000"], 4);
    assert_eq!(r["channels"]["1"], 4);
    let mut broken: Vec<(String, String)> = r["unreadable"]
        .as_array()
        .expect("unreadable")
        .iter()
        .map(|u| {
            (
                file_name(&u["path"]),
                u["reason"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    broken.sort();
    assert_eq!(broken.len(), 2, "{broken:?}");
    assert_eq!(broken[0].0, "empty.wav");
    assert!(broken[0].1.contains("empty"), "{}", broken[0].1);
    assert_eq!(broken[1].0, "notes.wav");
    assert!(broken[1].1.contains("text file"), "{}", broken[1].1);
    let dups = r["duplicates"].as_array().expect("duplicates");
    assert_eq!(dups.len(), 1, "{dups:?}");
    let copies: Vec<String> = dups[0]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| file_name(&f["path"]))
        .collect();
    assert_eq!(copies, ["bark.wav", "bark_again.wav"]);
    assert_eq!(dups[0]["classes"], serde_json::json!(["dog", "siren"]));

    // The table says the same in words; `hark info DIR` routes to the same check.
    let o = hark(&["check", utf8(&root), "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    for expected in [
        "labelling error",
        "notes.wav",
        "empty.wav",
        "bark_again.wav",
        "2.750",
    ] {
        assert!(table.contains(expected), "{expected:?} missing:\n{table}");
    }
    let o = hark(&["info", utf8(&root)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("labelling error"));
}

#[test]
fn a_clean_dataset_exits_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (class, freq) in [("hum", 100.0), ("beep", 1000.0)] {
        let d = dir.path().join(class);
        std::fs::create_dir_all(&d).expect("mkdir");
        write_wav(&d.join("one.wav"), 8000, &sine(8000, 0.5, freq));
        write_wav(&d.join("two.wav"), 8000, &sine(8000, 0.5, freq * 1.5));
    }
    let o = hark(&["check", utf8(dir.path()), "--decode", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let r: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(r["decoded"], true);
    assert_eq!(r["duplicates"], serde_json::json!([]));
    assert_eq!(r["seconds"], 2.0);
}

/// A small model file whose classes are `names`, threshold 0.95.
fn model_file(path: &Path, names: &[&str]) {
    common::model_file(path, names, Some(0.95), common::tiny_features(22_050));
}

#[test]
fn check_compares_class_names_with_a_model_and_info_prints_json_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("sounds");
    dataset(&root);
    let model = dir.path().join("m.hark");
    model_file(&model, &["cat", "dog"]);
    let o = hark(&[
        "check",
        utf8(&root),
        "--model",
        utf8(&model),
        "--json",
        "-q",
    ]);
    let r: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(r["model"]["both"], serde_json::json!(["dog"]));
    assert_eq!(r["model"]["only_dataset"], serde_json::json!(["siren"]));
    assert_eq!(r["model"]["only_model"], serde_json::json!(["cat"]));
    let o = hark(&["check", utf8(&root), "--model", utf8(&model)]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("only in the model, never tested (1): cat"),
        "{}",
        text(&o)
    );

    // info --json: one object per input, in order; the bad input only on stderr (exit 1).
    let wav = root.join("dog/growl.wav");
    let bad = root.join("siren/notes.wav");
    let o = hark(&["info", "--json", utf8(&wav), utf8(&model), utf8(&bad)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", text(&o));
    assert_eq!(lines[0]["kind"], "audio");
    assert_eq!(
        (
            lines[0]["sample_rate"].as_u64(),
            lines[0]["samples_per_channel"].as_u64()
        ),
        (Some(8000), Some(4000))
    );
    assert_eq!(lines[0]["duration"], 0.5);
    assert_eq!(lines[1]["kind"], "model");
    assert_eq!(lines[1]["classes"], serde_json::json!(["cat", "dog"]));
    // f32 0.95 widens to 0.949999988...; the JSON gives it rounded.
    assert_eq!(lines[1]["decision"]["threshold"], 0.95);
    assert!(String::from_utf8_lossy(&o.stderr).contains("notes.wav"));
}
