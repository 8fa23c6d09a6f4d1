//! End-to-end tests of `hark predict` on folders and long recordings and of `hark stream` on
//! standard input, on the real binary: bad and silent files in a folder, stream and file
//! agreeing window for window, per-file outputs that never overwrite, shards that cover the
//! inputs once, and an hour of audio through `hark stream` at constant memory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{hark, model_file, scene, sine, text, tiny_features, utf8, write_wav};

/// Stream and file probabilities may differ by batching (burn's summation order, ~1e-7)
/// only: 1e-6, plus the float error of comparing two 6-digit roundings.
const AGREE_TOL: f64 = 1e-6 + 1e-12;
/// Peak memory after an hour of streaming, relative to after a minute.
const MEMORY_GROWTH_TOL: f64 = 0.10;

/// `hark ARGS` with `input` on standard input (written from another thread).
fn hark_with_stdin(args: &[&str], input: Vec<u8>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hark");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

fn json_lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_folder_with_a_corrupt_and_a_silent_file_predicts_the_rest_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    model_file(&model, &["low", "high"], None, tiny_features(8000));
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(rec.join("day2")).expect("mkdir");
    write_wav(&rec.join("a.wav"), 8000, &sine(8000, 2.0, 440.0));
    write_wav(&rec.join("day2/b.wav"), 8000, &sine(8000, 3.0, 1250.0));
    write_wav(&rec.join("quiet.wav"), 8000, &vec![0i16; 16_000]);
    std::fs::write(
        rec.join("broken.wav"),
        b"RIFF\x10\x00\x00\x00WAVEnot really",
    )
    .expect("w");
    std::fs::write(rec.join("notes.txt"), b"not audio, not listed").expect("w");

    let o = hark(&["predict", utf8(&model), utf8(&rec), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let files: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(files.len(), 3, "{}", text(&o));
    assert!(
        files[0].ends_with("a.wav") && files[1].ends_with("day2/b.wav"),
        "{files:?}"
    );
    let quiet = rows
        .iter()
        .find(|r| r[0].ends_with("quiet.wav"))
        .expect("quiet row");
    assert_eq!(quiet[1], "silent");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.wav"), "{err}");
    assert!(!err.contains("notes.txt"), "{err}");
}

#[test]
fn stream_and_file_agree_window_for_window_and_event_for_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    model_file(&model, &["low", "high", "other"], None, tiny_features(8000));
    let wav = dir.path().join("scene.wav");
    write_wav(&wav, 8000, &scene(8000, 40.0, 0.0));
    let bytes = std::fs::read(&wav).expect("read");

    let file = hark(&["predict", utf8(&model), utf8(&wav), "--windows", "--json"]);
    assert!(file.status.success(), "{}", text(&file));
    let live = hark_with_stdin(&["stream", utf8(&model), "--windows"], bytes.clone());
    assert!(live.status.success(), "{}", text(&live));
    let (a, b) = (json_lines(&file), json_lines(&live));
    assert!(a.len() > 100, "{} windows", a.len());
    assert_eq!(a.len(), b.len(), "window count");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["start_s"], y["start_s"]);
        assert_eq!(x["end_s"], y["end_s"]);
        assert_eq!(x["label"], y["label"], "{x} vs {y}");
        for c in ["low", "high", "other"] {
            let (p, q) = (
                x["probs"][c].as_f64().expect("p"),
                y["probs"][c].as_f64().expect("q"),
            );
            assert!((p - q).abs() <= AGREE_TOL, "{c}: {p} vs {q}");
        }
    }

    let settings = ["--onset", "0.5", "--offset", "0.4", "--smooth", "3"];
    let mut args = vec!["predict", utf8(&model), utf8(&wav), "--events", "--json"];
    args.extend(settings);
    let file = hark(&args);
    assert!(file.status.success(), "{}", text(&file));
    let mut args = vec!["stream", utf8(&model)];
    args.extend(settings);
    let live = hark_with_stdin(&args, bytes);
    assert!(live.status.success(), "{}", text(&live));
    let key = |v: &Value| {
        (
            v["label"].as_str().map(String::from),
            v["start_s"].as_f64(),
            v["end_s"].as_f64(),
        )
    };
    let mut a: Vec<_> = json_lines(&file).iter().map(key).collect();
    let mut b: Vec<_> = json_lines(&live).iter().map(key).collect();
    assert!(!a.is_empty(), "the scene has events: {}", text(&file));
    let order = |x: &(Option<String>, Option<f64>, Option<f64>), y: &(_, Option<f64>, _)| {
        x.1.partial_cmp(&y.1).expect("times").then(x.0.cmp(&y.0))
    };
    a.sort_by(order);
    b.sort_by(order);
    assert_eq!(a, b);
    assert!(String::from_utf8_lossy(&live.stderr).contains("stream ended"));
}

#[test]
fn label_tracks_mirror_the_folders_and_are_never_overwritten_unless_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    model_file(&model, &["low", "high"], None, tiny_features(8000));
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(rec.join("site1")).expect("mkdir");
    write_wav(&rec.join("site1/x.wav"), 8000, &scene(8000, 12.0, 0.0));
    write_wav(&rec.join("y.wav"), 8000, &scene(8000, 6.0, 0.0));
    let out = dir.path().join("labels");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "predict",
            utf8(&model),
            utf8(&rec),
            "--events",
            "--onset",
            "0.4",
            "--format",
            "audacity",
            "--output-dir",
            utf8(&out),
        ];
        args.extend_from_slice(extra);
        hark(&args)
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", text(&o));
    let track = std::fs::read_dir(out.join("site1"))
        .expect("mirrored folder")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().contains("x.wav"))
        .expect("x's label track");
    assert!(std::fs::read_dir(&out).expect("out").count() >= 2);

    // The user edits a track: a second run refuses to overwrite it...
    std::fs::write(&track, "0.0\t1.0\tmy own label\n").expect("edit");
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--overwrite"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&track).expect("kept"),
        "0.0\t1.0\tmy own label\n"
    );
    // ... skips it with --skip-existing, and replaces it only with --overwrite.
    let o = run(&["--skip-existing"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("skipped 2"), "{}", text(&o));
    let o = run(&["--overwrite"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_ne!(
        std::fs::read_to_string(&track).expect("replaced"),
        "0.0\t1.0\tmy own label\n"
    );
}

#[test]
fn shards_together_predict_every_file_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    model_file(&model, &["low", "high"], None, tiny_features(8000));
    let rec = dir.path().join("rec");
    std::fs::create_dir_all(&rec).expect("mkdir");
    for i in 0..12 {
        write_wav(
            &rec.join(format!("r{i:02}.wav")),
            8000,
            &sine(8000, 0.5, 300.0 + 50.0 * f64::from(i)),
        );
    }
    let mut seen = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let o = hark(&[
            "predict",
            utf8(&model),
            utf8(&rec),
            "--shard",
            shard,
            "--format",
            "csv",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        for line in String::from_utf8_lossy(&o.stdout).lines().skip(1) {
            seen.push(line.split(',').next().expect("file").to_string());
        }
    }
    seen.sort();
    let mut all: Vec<String> = (0..12)
        .map(|i| rec.join(format!("r{i:02}.wav")).display().to_string())
        .collect();
    all.sort();
    assert_eq!(seen, all);
}

/// Peak memory (MiB) and window count from `hark stream`'s summary.
fn stream_cost(model: &Path, seconds: f64) -> (f64, usize) {
    let sr = 8000u32;
    let n = (seconds * f64::from(sr)) as usize;
    // Raw 16-bit samples: a tone that comes and goes, generated without holding the hour.
    let mut bytes = Vec::with_capacity(2 * n);
    for i in 0..n {
        let t = i as f64 / f64::from(sr);
        let v = if (t * 0.3).sin() > 0.0 {
            0.3 * (t * 700.0 * std::f64::consts::TAU).sin()
        } else {
            0.0
        };
        bytes.extend_from_slice(&((v * 32767.0) as i16).to_le_bytes());
    }
    let o = hark_with_stdin(
        &[
            "stream",
            utf8(model),
            "--format",
            "s16le",
            "--rate",
            "8000",
            "-q",
        ],
        bytes,
    );
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let number_before = |marker: &str| -> f64 {
        let at = err
            .find(marker)
            .unwrap_or_else(|| panic!("{marker:?} in {err}"));
        err[..at]
            .split_whitespace()
            .last()
            .and_then(|w| w.trim_start_matches('(').parse().ok())
            .unwrap_or_else(|| panic!("number before {marker:?} in {err}"))
    };
    let mib = number_before("MiB");
    let windows = number_before("windows (") as usize;
    (mib, windows)
}

#[test]
fn an_hour_of_streaming_takes_the_memory_of_a_minute() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    let features = tiny_features(8000);
    model_file(&model, &["tone", "other"], None, features.clone());
    let (minute, _) = stream_cost(&model, 60.0);
    let (hour, windows) = stream_cost(&model, 3600.0);
    assert!(
        hour <= minute * (1.0 + MEMORY_GROWTH_TOL),
        "peak memory {hour} MiB after an hour, {minute} MiB after a minute"
    );
    let n_frames = features.n_frames(3600 * 8000);
    assert_eq!(
        windows,
        hark_features::window_starts(n_frames, &features).len()
    );
}

/// Without the `mic` feature, `--mic` explains how to get it and how to pipe audio instead.
#[cfg(not(feature = "mic"))]
#[test]
fn mic_without_the_feature_says_how_to_get_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    model_file(&model, &["tone", "other"], None, tiny_features(8000));
    let o = hark(&["stream", utf8(&model), "--mic"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--features mic") && err.contains("| hark stream"),
        "{err}"
    );
}

/// `HARK_KERNELS=fast` (the plan engine) and `burn` may differ by f32 summation order only;
/// outputs carry 6 decimals.
const KERNELS_TOL: f64 = 2e-6;

#[test]
fn both_kernel_paths_predict_the_same_and_an_unknown_choice_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    model_file(&model, &["low", "high", "other"], None, tiny_features(8000));
    let wav = dir.path().join("scene.wav");
    write_wav(&wav, 8000, &scene(8000, 12.0, 0.0));
    let run = |kernels: &str| {
        Command::new(env!("CARGO_BIN_EXE_hark"))
            .env("HARK_KERNELS", kernels)
            .args(["predict", utf8(&model), utf8(&wav), "--windows", "--json"])
            .output()
            .expect("run hark")
    };
    let (fast, burn) = (run("fast"), run("burn"));
    assert!(fast.status.success(), "{}", text(&fast));
    assert!(burn.status.success(), "{}", text(&burn));
    let (a, b) = (json_lines(&fast), json_lines(&burn));
    assert!(a.len() > 20, "{} windows", a.len());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        for c in ["low", "high", "other"] {
            let (p, q) = (
                x["probs"][c].as_f64().expect("p"),
                y["probs"][c].as_f64().expect("q"),
            );
            assert!((p - q).abs() <= KERNELS_TOL, "{c}: fast {p} vs burn {q}");
        }
    }
    let bad = run("gpu");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("HARK_KERNELS") && err.contains("burn"),
        "{err}"
    );
}

#[test]
fn export_writes_onnx_to_a_file_or_stdout_and_refuses_what_it_cannot_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    model_file(&model, &["low", "high"], None, tiny_features(8000));
    let onnx = dir.path().join("m.onnx");
    let o = hark(&["export", utf8(&model), "-o", utf8(&onnx)]);
    assert!(o.status.success(), "{}", text(&o));
    let bytes = std::fs::read(&onnx).expect("onnx written");
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"hark.labels") && has(br#"["low","high"]"#));
    assert!(has(b"hark.features") && has(b"Softmax"));

    // The device budget: the C export's network MACs are the model summary's, and this
    // tiny model fits the seed author's board.
    let o = hark(&["info", "--json", utf8(&model), "--target", "cortex-m4"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["target"]["c_float32"]["network_macs"],
        v["macs_per_window"]
    );
    assert_eq!(v["target"]["fit"]["fits"], Value::Bool(true), "{v}");
    // int8 weights take a byte each (plus per-channel constants), activations too.
    let size = |k: &str, what: &str| v["target"][k][what].as_u64().expect(what);
    for what in ["weight_bytes", "ram_bytes"] {
        assert!(
            size("c_int8", what) < size("c_float32", what),
            "{what}: {v}"
        );
    }

    // C: a folder with the header and the source, the class names escaped in the source.
    let c_dir = dir.path().join("fw");
    let o = hark(&["export", utf8(&model), "--format", "c", "-o", utf8(&c_dir)]);
    assert!(o.status.success(), "{}", text(&o));
    let header = std::fs::read_to_string(c_dir.join("hark_model.h")).expect("header");
    assert!(header.contains("#define HARK_N_CLASSES 2"), "{header}");
    assert!(header.contains("#define HARK_SAMPLE_RATE 8000"), "{header}");
    let source = std::fs::read_to_string(c_dir.join("hark_model.c")).expect("source");
    assert!(source.contains(r#""low","#) && source.contains("hark_run_network"));

    // int8: calibrated on audio, a bad calibration file reported and skipped; the library
    // runs the int8 kernels and says so.
    let calib = dir.path().join("calib");
    std::fs::create_dir_all(&calib).expect("mkdir");
    write_wav(&calib.join("a.wav"), 8000, &sine(8000, 3.0, 440.0));
    write_wav(&calib.join("b.wav"), 8000, &sine(8000, 3.0, 1250.0));
    std::fs::write(calib.join("broken.wav"), b"RIFF\x10\x00\x00\x00WAVEnot").expect("w");
    let q_dir = dir.path().join("fw8");
    let o = hark(&[
        "export",
        utf8(&model),
        "--format",
        "c",
        "--int8",
        "--calibrate",
        utf8(&calib),
        "-o",
        utf8(&q_dir),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a skipped file exits 1: {}",
        text(&o)
    );
    assert!(
        text(&o).contains("broken.wav") && text(&o).contains("(C99, int8)"),
        "{}",
        text(&o)
    );
    let q_source = std::fs::read_to_string(q_dir.join("hark_model.c")).expect("int8 source");
    assert!(q_source.contains("#define HARK_INT8") && q_source.contains("hark_qlogits("));
    // --int8 needs audio to calibrate on, and quantises the C export only.
    let o = hark(&[
        "export",
        utf8(&model),
        "--format",
        "c",
        "--int8",
        "-o",
        utf8(&q_dir),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--calibrate"), "{}", text(&o));
    let o = hark(&[
        "export",
        utf8(&model),
        "--int8",
        "--calibrate",
        utf8(&calib),
        "-o",
        utf8(&onnx),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--format c"), "{}", text(&o));

    // `-o -` gives the same bytes on standard output.
    let o = hark(&["export", utf8(&model), "--format", "onnx", "-o", "-"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(o.stdout, bytes);

    // No format and an unknown extension: usage error, nothing written.
    let bin = dir.path().join("m.bin");
    let o = hark(&["export", utf8(&model), "-o", utf8(&bin)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--format"), "{}", text(&o));
    assert!(!bin.exists());

    // An audio file where the model belongs is named as such.
    let wav = dir.path().join("a.wav");
    write_wav(&wav, 8000, &sine(8000, 0.5, 440.0));
    let o = hark(&["export", utf8(&wav), "-o", utf8(&onnx)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is an audio file"), "{}", text(&o));
    assert_eq!(
        std::fs::read(&onnx).expect("still there"),
        bytes,
        "old file kept"
    );
}
