//! End-to-end tests of `hark eval MODEL RECORDINGS` on long recordings with Audacity label
//! tracks (sound event detection), on the real binary. The label tracks are hark's own
//! `hark predict --events` output for the same audio, so at the same event settings every
//! detection must match its annotation: event F1 1, no false alarms, no misses.

use std::path::Path;

use serde_json::Value;

mod common;
use common::{hark, model_file, scene, text, tiny_features, utf8, write_wav};

/// Scores that must be exactly 1 or 0 are compared with this tolerance (JSON round trip).
const TOL: f64 = 1e-9;
/// Sample rate of the generated recordings, Hz.
const SR: u32 = 8000;
/// Length of each generated recording, seconds.
const SECONDS: f64 = 20.0;
/// The operating onset of the tests (a grid point: 8/20).
const ONSET: &str = "0.4";

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("report.json")).expect("parses")
}

/// A model and a folder `rec/` of two recordings whose label tracks are hark's own events
/// at [`ONSET`] (the score stripped from each label). Returns (model, rec, events written).
fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, usize) {
    let model = dir.join("m.hark");
    model_file(&model, &["low", "high"], None, tiny_features(SR));
    let rec = dir.join("rec");
    std::fs::create_dir_all(&rec).expect("mkdir");
    write_wav(&rec.join("a.wav"), SR, &scene(SR, SECONDS, 0.0));
    write_wav(&rec.join("b.wav"), SR, &scene(SR, SECONDS, 1.3));
    let labels = dir.join("labels");
    let o = hark(&[
        "predict",
        utf8(&model),
        utf8(&rec),
        "--events",
        "--onset",
        ONSET,
        "--format",
        "audacity",
        "--output-dir",
        utf8(&labels),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut events = 0;
    for name in ["a", "b"] {
        let track = std::fs::read_to_string(labels.join(format!("{name}.wav.txt"))).expect("track");
        // `start<TAB>end<TAB>label 0.523 (peak 0.800)` -> `start<TAB>end<TAB>label`.
        let stripped: String = track
            .lines()
            .map(|l| {
                let mut f = l.splitn(3, '\t');
                let (s, e, label) = (f.next(), f.next(), f.next());
                let label = label.and_then(|t| t.split(' ').next()).expect("label");
                format!("{}\t{}\t{label}\n", s.expect("start"), e.expect("end"))
            })
            .collect();
        events += stripped.lines().count();
        std::fs::write(rec.join(format!("{name}.txt")), stripped).expect("write track");
    }
    assert!(events > 0, "the model found no events to annotate");
    (model, rec, events)
}

#[test]
fn events_annotated_by_hark_itself_score_f1_one_at_the_same_onset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, rec, events) = setup(dir.path());
    let out = dir.path().join("report");
    let o = hark(&[
        "eval",
        utf8(&model),
        utf8(&rec),
        "-o",
        utf8(&out),
        "--onset",
        ONSET,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("event F1 1.000"), "{}", text(&o));
    assert!(stdout.contains("false alarms 0.0 per hour"), "{}", text(&o));
    assert!(stdout.contains("report.html"), "{}", text(&o));

    let r = json(&out.join("report.json"));
    let ev = &r["metrics"]["event_based"];
    assert_eq!(ev["overall"]["n_ref"].as_u64(), Some(events as u64));
    assert!(
        (ev["overall"]["f1"].as_f64().expect("f1") - 1.0).abs() < TOL,
        "{ev}"
    );
    assert!(ev["false_alarms_per_hour"].as_f64().expect("fa/h").abs() < TOL);
    assert!(ev["miss_rate"].as_f64().expect("miss").abs() < TOL);
    assert!((r["metrics"]["duration_s"].as_f64().expect("dur") - 2.0 * SECONDS).abs() < 0.01);
    // Every grid onset 0.05 .. 0.95 has a point (the operating 0.4 is one of them).
    let sweep = r["sweep"].as_array().expect("sweep");
    assert_eq!(sweep.len(), 19, "{sweep:?}");
    for (k, p) in sweep.iter().enumerate() {
        let onset = p["onset"].as_f64().expect("onset");
        assert!((onset - (k + 1) as f64 / 20.0).abs() < 1e-6, "{p}");
        assert!(p.get("false_alarms_per_hour").is_some(), "{p}");
        assert!(p.get("miss_rate").is_some(), "{p}");
    }
    let at = sweep
        .iter()
        .find(|p| (p["onset"].as_f64().expect("onset") - 0.4).abs() < 1e-6)
        .expect("operating point");
    assert!((at["event_f1"].as_f64().expect("f1") - 1.0).abs() < TOL);
    assert!((r["best"]["event_f1"].as_f64().expect("best") - 1.0).abs() < TOL);
    // Another onset finds other events, so it cannot match the annotation as well.
    let low = &sweep[0];
    assert!(low["event_f1"].as_f64().unwrap_or(0.0) < 1.0 - TOL, "{low}");

    let png = std::fs::read(out.join("sed_sweep.png")).expect("picture");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 20);
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("false alarms / hour") && html.contains("data:image/png;base64,"));
}

#[test]
fn a_recording_that_cannot_be_decoded_is_reported_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, rec, _) = setup(dir.path());
    std::fs::write(rec.join("broken.wav"), b"RIFF....not a wav").expect("write");
    std::fs::write(rec.join("broken.txt"), "1.0\t2.0\tlow\n").expect("write");
    let out = dir.path().join("report");
    let o = hark(&["eval", utf8(&model), utf8(&rec), "-o", utf8(&out), "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("broken.wav"), "{}", text(&o));
    let r = json(&out.join("report.json"));
    assert_eq!(r["metrics"]["n_files"].as_u64(), Some(2));
    // A higher collar is recorded in the settings.
    let o = hark(&[
        "eval",
        utf8(&model),
        utf8(&rec),
        "-o",
        utf8(&out),
        "-q",
        "--collar",
        "0.5",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(
        json(&out.join("report.json"))["scoring"]["t_collar"].as_f64(),
        Some(0.5)
    );
}

#[test]
fn regions_classifies_each_labelled_region_as_a_clip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (model, rec, events) = setup(dir.path());
    let out = dir.path().join("clips");
    let o = hark(&[
        "eval",
        utf8(&model),
        utf8(&rec),
        "-o",
        utf8(&out),
        "--regions",
        "-q",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let r = json(&out.join("report.json"));
    assert_eq!(r["metrics"]["n_clips"].as_u64(), Some(events as u64), "{r}");
    assert!(r.get("sweep").is_none());
    // Clip flags are refused for recordings scored as events, with the way out named.
    let o = hark(&["eval", utf8(&model), utf8(&rec), "--fold", "1"]);
    assert!(
        !o.status.success() && text(&o).contains("--regions"),
        "{}",
        text(&o)
    );
}
