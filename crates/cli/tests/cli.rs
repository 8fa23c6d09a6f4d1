//! End-to-end tests of the real `hark` binary: info, features, spectrogram, and the
//! train -> info -> eval -> predict loop on the bundled demo dataset.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{sine, write_wav};

fn hark(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .output()
        .expect("run hark")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden() -> Option<PathBuf> {
    let p = repo().join("../shared/golden");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIP: ../shared/golden not found");
        None
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn info_reports_bad_file_and_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("notes.wav");
    std::fs::write(&bad, "this is a text file, not audio\n").expect("write");
    let good = repo().join("demo/fsdd-mini/recordings/0_george_0.wav");
    let o = hark(&[
        "info",
        bad.to_str().expect("utf8"),
        good.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("8000 Hz"),
        "good file still reported: {stdout}"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("notes.wav"),
        "{}",
        text(&o)
    );
}

/// Tolerance for dB values written as CSV against librosa (golden README section 5).
const DB_TOL: f32 = 1e-3;

#[test]
fn features_csv_matches_librosa() {
    let Some(g) = golden() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("fsdd.csv");
    let wav = g.join("fsdd_3_jackson_12.wav");
    let o = hark(&[
        "features",
        wav.to_str().expect("utf8"),
        "-o",
        out.to_str().expect("utf8"),
        "--preset",
        "speech",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let parse = |p: &Path| -> Vec<Vec<f32>> {
        std::fs::read_to_string(p)
            .expect("read csv")
            .lines()
            .map(|l| {
                l.split(',')
                    .map(|v| v.trim().parse::<f32>().expect("number"))
                    .collect()
            })
            .collect()
    };
    let ours = parse(&out);
    let theirs = parse(&g.join("fsdd_melspec_db.csv"));
    assert_eq!(ours.len(), theirs.len(), "rows");
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.len(), b.len(), "columns");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= DB_TOL, "{x} vs {y}");
        }
    }
}

#[test]
fn spectrogram_writes_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.png");
    let wav = repo().join("demo/fsdd-mini/recordings/7_theo_1.wav");
    let o = hark(&[
        "spectrogram",
        wav.to_str().expect("utf8"),
        "-o",
        out.to_str().expect("utf8"),
        "--preset",
        "speech",
        "--windows",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let bytes = std::fs::read(&out).expect("png written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn unsupported_3gp_is_explained() {
    let p = repo().join("../shared/data/format_samples");
    let Some(f) = std::fs::read_dir(&p).ok().and_then(|d| {
        d.filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "3gp"))
    }) else {
        eprintln!("SKIP: no 3gp sample in ../shared/data/format_samples");
        return;
    };
    let o = hark(&["info", f.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).to_lowercase();
    assert!(
        err.contains("amr") && err.contains("not supported"),
        "{err}"
    );
}

/// Train briefly on a slice of the bundled demo set, then info, eval and predict with the file alone.
#[test]
fn train_eval_predict_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 3-class subset of the demo set keeps this test to seconds.
    let demo = repo().join("demo/fsdd-mini");
    let manifest = dir.path().join("mini.csv");
    let mut csv = String::from("path,label,split\n");
    for line in std::fs::read_to_string(demo.join("labels.csv"))
        .expect("labels")
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split(',').collect();
        if ["0", "1", "7"].contains(&f[1]) {
            csv.push_str(&format!(
                "{},{},{}\n",
                demo.join(f[0]).display(),
                f[1],
                f[3]
            ));
        }
    }
    // One missing file and one corrupt file (text renamed .wav): reported, skipped, training goes on.
    let corrupt = dir.path().join("corrupt.wav");
    std::fs::write(&corrupt, "not audio at all\n").expect("corrupt file");
    csv.push_str(&format!("{},7,train\n", corrupt.display()));
    csv.push_str(&format!(
        "{},7,train\n",
        dir.path().join("missing.wav").display()
    ));
    std::fs::write(&manifest, csv).expect("manifest");
    let model = dir.path().join("m.hark");
    let cache = dir.path().join("cache");
    let o = hark(&[
        "train",
        manifest.to_str().expect("utf8"),
        "-o",
        model.to_str().expect("utf8"),
        "--preset",
        "speech",
        "--epochs",
        "6",
        "--quiet",
        "--cache-dir",
        cache.to_str().expect("utf8"),
    ]);
    // Exit 1: the model was written, but two inputs were skipped.
    assert_eq!(o.status.code(), Some(1), "train: {}", text(&o));
    assert!(model.is_file());
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(log.contains("missing.wav"), "missing file reported: {log}");
    assert!(log.contains("corrupt.wav"), "corrupt file reported: {log}");

    // The unknown-threshold is chosen on the validation clips by default, and stored.
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("validation clips (target precision 0.9, keeping 95% of right answers)"),
        "{}",
        text(&o)
    );
    let o = hark(&["info", model.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", text(&o));
    let info = String::from_utf8_lossy(&o.stdout);
    assert!(
        info.contains("sr") && info.contains("8000"),
        "feature settings shown: {info}"
    );
    assert!(
        info.contains("tuned on validation clips for mean pooling"),
        "threshold stored at training: {info}"
    );
    assert!(
        info.contains("recorded at 8000 Hz"),
        "input profile shown: {info}"
    );

    // Inputs far from the training audio are predicted with a warning saying what differs.
    let narrow = dir.path().join("narrow.wav");
    write_wav(&narrow, 4000, &sine(4000, 1.0, 300.0));
    let long = dir.path().join("long.wav");
    write_wav(&long, 8000, &sine(8000, 30.0, 300.0));
    let o = hark(&[
        "predict",
        model.to_str().expect("utf8"),
        narrow.to_str().expect("utf8"),
        long.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("narrow.wav: recorded at 4000 Hz, so nothing above 2000 Hz"),
        "{err}"
    );
    assert!(err.contains("long.wav: 30.0 s long, much longer"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("narrow.wav")).count(),
        1,
        "only the rate differs for the 1 s file: {err}"
    );

    // `hark eval MODEL MANIFEST EXTRA... -o OUT --quiet --cache-dir CACHE`.
    let eval = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "eval",
            model.to_str().expect("utf8"),
            manifest.to_str().expect("utf8"),
            "-o",
            out.to_str().expect("utf8"),
            "--quiet",
            "--cache-dir",
            cache.to_str().expect("utf8"),
        ];
        args.extend_from_slice(extra);
        hark(&args)
    };
    let report = dir.path().join("report");
    // `hark eval ... | head -0`: a reader that closes the pipe at once ends hark quietly
    // (SIGPIPE, as for `cat`), never with a panic from printing the metrics.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hark"))
        .args([
            "eval",
            model.to_str().expect("utf8"),
            manifest.to_str().expect("utf8"),
            "-o",
            dir.path().join("report-piped").to_str().expect("utf8"),
            "--quiet",
            "--cache-dir",
            cache.to_str().expect("utf8"),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run hark");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    let o = eval(&report, &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "eval (dataset entries skipped): {}",
        text(&o)
    );
    assert!(
        !text(&o).contains("used to train"),
        "test clips are held out: {}",
        text(&o)
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(report.join("report.json")).expect("report.json"),
    )
    .expect("json");
    let acc = json["metrics"]["accuracy"].as_f64().expect("accuracy");
    assert!(
        acc > 0.5,
        "3-class accuracy after a short training should beat chance by far: {acc}"
    );
    assert!(report.join("report.html").is_file());

    // predictions.csv has one row per clip (issue 13).
    let n_clips = json["metrics"]["n_clips"].as_u64().expect("n_clips") as usize;
    let predictions = std::fs::read_to_string(report.join("predictions.csv")).expect("csv");
    assert_eq!(
        predictions.lines().next(),
        Some(
            "file,start,end,fold,true_label,predicted_label,probability,correct,\
             top1_label,top1_probability,top2_label,top2_probability,top3_label,top3_probability"
        )
    );
    assert_eq!(predictions.lines().count(), n_clips + 1);

    eval_fold_extracts_only_its_clips(dir.path(), &model, &demo);

    // Files the model was trained on: it must know them.
    let train_files: Vec<(String, String)> = std::fs::read_to_string(demo.join("labels.csv"))
        .expect("labels")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (["0", "1", "7"].contains(&f[1]) && f[3] == "train")
                .then(|| (demo.join(f[0]).display().to_string(), f[1].to_string()))
        })
        .collect();
    // Every clip answered here (the stored unknown-threshold is checked below).
    let mut args = vec![
        "predict",
        model.to_str().expect("utf8"),
        "--json",
        "--threshold",
        "0",
    ];
    let known: Vec<&(String, String)> = ["0", "1", "7"]
        .iter()
        .map(|c| {
            train_files
                .iter()
                .find(|(_, l)| l == c)
                .expect("a training file per class")
        })
        .collect();
    args.extend(known.iter().map(|(p, _)| p.as_str()));
    let o = hark(&args);
    assert!(o.status.success(), "{}", text(&o));
    for (line, (path, label)) in String::from_utf8_lossy(&o.stdout).lines().zip(&known) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        assert_eq!(v["file"].as_str(), Some(path.as_str()));
        assert_eq!(v["label"].as_str(), Some(label.as_str()), "{line}");
    }

    // A silent recording is `silent`, not a confident digit.
    let silent = dir.path().join("silence.wav");
    write_wav(&silent, 8000, &vec![0i16; 8000]);
    let o = hark(&[
        "predict",
        model.to_str().expect("utf8"),
        silent.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // Not a terminal: CSV with a header, then `file,label,...`.
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let label = out.lines().nth(1).and_then(|l| l.split(',').nth(1));
    assert_eq!(label, Some("silent"), "{}", text(&o));

    // A threshold outside [0, 1] is a usage error that names the range.
    let wav = demo.join("recordings/7_theo_0.wav");
    let o = hark(&[
        "predict",
        model.to_str().expect("utf8"),
        wav.to_str().expect("utf8"),
        "--threshold",
        "1.01",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("[0, 1]"), "{}", text(&o));

    // Evaluating clips the model was trained on warns, and the report says so.
    let report_train = dir.path().join("report-train");
    let o = eval(&report_train, &["--split", "train"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
    assert!(text(&o).contains("used to train the model"), "{}", text(&o));
    let json = std::fs::read_to_string(report_train.join("report.json")).expect("report.json");
    assert!(json.contains("NOT held out"), "{json}");
    let html = std::fs::read_to_string(report_train.join("report.html")).expect("report.html");
    assert!(html.contains("NOT held out"));

    // An unknown split names the ones that exist.
    let o = eval(&report_train, &["--split", "dev"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("train, test") || text(&o).contains("test, train"),
        "{}",
        text(&o)
    );

    // --target-precision tunes on the validation clips and stores the threshold with its pooling.
    let o = eval(&report, &["--target-precision", "0.5"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o));
    assert!(text(&o).contains("validation clips"), "{}", text(&o));
    let o = hark(&["info", model.to_str().expect("utf8")]);
    let info = String::from_utf8_lossy(&o.stdout);
    assert!(
        info.contains("tuned on validation clips for mean pooling"),
        "{info}"
    );
    // Predicting with another pooling warns that the threshold was tuned for mean.
    let o = hark(&[
        "predict",
        model.to_str().expect("utf8"),
        wav.to_str().expect("utf8"),
        "--aggregation",
        "majority",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("tuned for mean pooling"), "{}", text(&o));
}

/// Wrong clips in a report.json: clips minus the confusion matrix's diagonal.
fn wrong_clips(json: &serde_json::Value) -> usize {
    let m = &json["metrics"];
    let counts = m["confusion"]["counts"].as_array().expect("counts");
    let correct: u64 = counts
        .iter()
        .enumerate()
        .map(|(i, row)| row[i].as_u64().expect("count"))
        .sum();
    (m["n_clips"].as_u64().expect("n_clips") - correct) as usize
}

/// `hark eval --fold` on a manifest with folds (issue 13): only the fold's clips are extracted
/// (a corrupt file in another fold is never read), an unknown fold lists the folds, labels the
/// model does not know are named, and the report lists one mistake per wrong clip.
fn eval_fold_extracts_only_its_clips(dir: &Path, model: &Path, demo: &Path) {
    let files = |split: &str| -> Vec<(String, String)> {
        std::fs::read_to_string(demo.join("labels.csv"))
            .expect("labels")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (["0", "1", "7"].contains(&f[1]) && f[3] == split)
                    .then(|| (demo.join(f[0]).display().to_string(), f[1].to_string()))
            })
            .collect()
    };
    let mut test_files = files("test");
    let train_files = files("train");
    // Fold 1: the test clips, the first three labelled with a class they are not: mistakes.
    for (_, label) in test_files.iter_mut().take(3) {
        *label = if label == "0" { "1" } else { "0" }.to_string();
    }
    let mut csv = String::from("path,label,fold\n");
    for (path, label) in &test_files {
        csv.push_str(&format!("{path},{label},1\n"));
    }
    // Fold 2: a corrupt file, a clip with a label the model does not know, a good clip.
    let corrupt = dir.join("fold2-corrupt.wav");
    std::fs::write(&corrupt, "not audio\n").expect("corrupt file");
    csv.push_str(&format!("{},7,2\n", corrupt.display()));
    csv.push_str(&format!("{},seven,2\n", train_files[0].0));
    csv.push_str(&format!("{},{},2\n", train_files[1].0, train_files[1].1));
    let manifest = dir.join("folds.csv");
    std::fs::write(&manifest, csv).expect("manifest");
    let cache = dir.join("fold-cache");
    let eval = |out: &Path, fold: &str| {
        hark(&[
            "eval",
            model.to_str().expect("utf8"),
            manifest.to_str().expect("utf8"),
            "--fold",
            fold,
            "-o",
            out.to_str().expect("utf8"),
            "--quiet",
            "--cache-dir",
            cache.to_str().expect("utf8"),
        ])
    };
    let out = dir.join("report-fold1");
    let o = eval(&out, "1");
    assert_eq!(o.status.code(), Some(0), "fold 1 is clean: {}", text(&o));
    assert!(!text(&o).contains("fold2-corrupt"), "{}", text(&o));
    let entries = walk_files(&cache)
        .into_iter()
        .filter(|p| !p.ends_with("config.json") && !p.ends_with("key.txt"))
        .count();
    assert_eq!(entries, test_files.len(), "only fold 1 was extracted");

    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("report.json")).expect("report.json"),
    )
    .expect("json");
    let wrong = wrong_clips(&json);
    assert!(wrong >= 3, "three clips carry a wrong label: {wrong}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("<h2 id=\"mistakes\">Mistakes</h2>"));
    let entries = html.matches("<div class=\"mistake\">").count()
        + html.matches("class=\"mistake-row\"").count();
    assert_eq!(entries, wrong, "one entry per wrong clip");
    assert_eq!(html.matches("<audio controls").count(), wrong.min(50));
    assert!(out.join("mistakes/001.png").is_file());
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).expect("csv");
    assert_eq!(
        predictions
            .lines()
            .filter(|l| l.contains(",false,"))
            .count(),
        wrong
    );

    // An unknown fold names the ones that exist.
    let o = eval(&dir.join("report-fold9"), "9");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("1, 2"), "{}", text(&o));

    // A label the model does not know is named, in words.
    let o = eval(&dir.join("report-fold2"), "2");
    assert_eq!(
        o.status.code(),
        Some(1),
        "corrupt file skipped: {}",
        text(&o)
    );
    let log = text(&o);
    assert!(
        log.contains("labelled 'seven' (1 clip) the model does not know"),
        "{log}"
    );
}

/// Every file under `dir`, recursively.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Ctrl-C during training: exit code 130 and a complete, loadable model file.
#[cfg(unix)]
#[test]
fn interrupted_training_exits_130_with_a_complete_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.hark");
    let cache = dir.path().join("cache");
    let demo = repo().join("demo/fsdd-mini");
    let (o, log) = interrupted_after_first_epoch(&[
        "train",
        demo.to_str().expect("utf8"),
        "-o",
        model.to_str().expect("utf8"),
        "--preset",
        "speech",
        "--epochs",
        "500",
        "--patience",
        "0",
        "--cache-dir",
        cache.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(130), "{log}");
    assert!(log.contains("keeping the best epoch"), "{log}");
    // A complete file holding a trained epoch (interrupted before the first epoch, nothing
    // would be written: an untrained model must never replace a good one).
    let info = hark(&["info", model.to_str().expect("utf8")]);
    assert!(
        info.status.success(),
        "the model file is complete: {}",
        text(&info)
    );
    let out = String::from_utf8_lossy(&info.stdout);
    assert!(
        !out.contains("(best 0)"),
        "an untrained model was written: {out}"
    );
}

/// A 3-class slice of the demo set as a manifest without folds or splits, in `dir`.
fn demo_manifest(dir: &Path) -> PathBuf {
    let demo = repo().join("demo/fsdd-mini");
    let manifest = dir.join("digits.csv");
    let mut csv = String::from("path,label,speaker\n");
    for line in std::fs::read_to_string(demo.join("labels.csv"))
        .expect("labels")
        .lines()
        .skip(1)
    {
        let f: Vec<&str> = line.split(',').collect();
        if ["0", "1", "7"].contains(&f[1]) {
            let speaker = f[0].split('_').nth(1).expect("speaker in file name");
            csv.push_str(&format!(
                "{},{},{speaker}\n",
                demo.join(f[0]).display(),
                f[1]
            ));
        }
    }
    std::fs::write(&manifest, csv).expect("manifest");
    manifest
}

/// `--model logreg` on log-mel statistics and on another model's embedding writes ordinary
/// model files that `info` and `predict` take; flags that cannot apply are refused.
#[test]
fn logistic_regression_on_statistics_and_on_an_embedding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = demo_manifest(dir.path());
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let cache = path("cache");
    let common = ["--quiet", "--cache-dir", cache.as_str(), "--seed", "3"];
    let train = |extra: &[&str], out: &str| {
        let mut args = vec!["train", manifest.to_str().expect("utf8"), "-o"];
        let out = path(out);
        args.push(&out);
        args.extend(common);
        args.extend(extra);
        hark(&args)
    };
    let o = train(
        &[
            "--model",
            "logreg",
            "--preset",
            "speech",
            "--window-frames",
            "64",
        ],
        "stats.hark",
    );
    assert!(o.status.success(), "{}", text(&o));
    // Fitted in one pass: one row of training history.
    let history = std::fs::read_to_string(dir.path().join("stats.history.csv")).expect("history");
    assert_eq!(history.lines().count(), 2, "{history}");
    let o = hark(&["info", &path("stats.hark")]);
    assert!(
        text(&o).contains("architecture: logreg (input 1 x 40 x 64"),
        "{}",
        text(&o)
    );
    let clip = repo().join("demo/fsdd-mini/recordings/7_george_0.wav");
    if clip.is_file() {
        let o = hark(&["predict", &path("stats.hark"), clip.to_str().expect("utf8")]);
        assert!(o.status.success(), "{}", text(&o));
    }

    // A one-epoch Stride-DS as the embedding model: its features are taken, and feature
    // flags, other architectures and augmentation are refused with the reason.
    let o = train(
        &[
            "--model",
            "stride-ds",
            "--preset",
            "speech",
            "--epochs",
            "1",
        ],
        "base.hark",
    );
    assert!(o.status.success(), "{}", text(&o));
    let base = path("base.hark");
    let o = train(&["--model", "logreg", "--embed", &base], "embed.hark");
    assert!(o.status.success(), "{}", text(&o));
    let o = hark(&["info", &path("embed.hark")]);
    assert!(text(&o).contains("architecture: logreg"), "{}", text(&o));
    assert!(
        text(&o).contains("sr 8000 Hz"),
        "base features: {}",
        text(&o)
    );
    embed_matches_the_library(&base, dir.path());
    // Transfer learning from the same base: its features and architecture, the stem frozen.
    let o = train(
        &["--init", &base, "--freeze", "stem", "--epochs", "1"],
        "tuned.hark",
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = hark(&["info", &path("tuned.hark")]);
    let info = text(&o);
    assert!(info.contains("architecture: stride-ds"), "{info}");
    assert!(
        info.contains("frozen:       stem.conv, stem.bn, stem.relu"),
        "{info}"
    );
    assert!(info.contains("sr 8000 Hz"), "{info}");
    let o = train(&["--init", &base, "--freeze", "stem9"], "refused.hark");
    assert!(text(&o).contains("no layer `stem9`"), "{}", text(&o));
    for (extra, why) in [
        (vec!["--embed", &base], "add --model logreg"),
        (
            vec!["--model", "logreg", "--embed", &base, "--preset", "urban"],
            "drop the feature options",
        ),
        (vec!["--logreg-c", "2"], "--model logreg only"),
        (
            vec!["--model", "logreg", "--augment", "mixup"],
            "fitted in one pass",
        ),
    ] {
        let o = train(&extra, "refused.hark");
        assert!(!o.status.success(), "{extra:?}: {}", text(&o));
        assert!(text(&o).contains(why), "{extra:?}: {}", text(&o));
        assert!(!dir.path().join("refused.hark").exists());
    }
}

/// Largest |`hark embed` - `Predictor::embed`| on the same windows (the same code path;
/// only float formatting could differ, and .npy holds the exact f32 values).
const EMBED_TOL: f32 = 1e-6;

/// A .npy file's shape and float32 values.
fn read_npy(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let b = std::fs::read(path).expect("npy");
    assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = String::from_utf8_lossy(&b[10..10 + hlen]).into_owned();
    let shape = header
        .split("'shape': (")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("shape");
    let shape: Vec<usize> = shape
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let values: Vec<f32> = b[10 + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(
        values.len() * 4,
        b.len() - 10 - hlen,
        "whole float32 values"
    );
    assert_eq!(values.len(), shape.iter().product::<usize>(), "{header}");
    (shape, values)
}

/// `hark embed` per window and per clip against the library's own windows and embedding;
/// a bad file among the inputs is reported, adds no row, and makes the exit code 1.
fn embed_matches_the_library(model: &str, dir: &Path) {
    // In path order, the order `hark embed` writes rows in.
    let clips = ["0_george_1.wav", "7_george_0.wav"]
        .map(|c| repo().join("demo/fsdd-mini/recordings").join(c));
    let bad = dir.join("bad.wav");
    std::fs::write(&bad, "not audio").expect("bad file");
    let file = hark_infer::ModelFile::load(Path::new(model)).expect("model");
    let predictor = hark_infer::Predictor::new(&file).expect("predictor");
    let cfg = &file.meta.features;
    let mut want_rows: Vec<Vec<f32>> = Vec::new();
    let mut means: Vec<Vec<f32>> = Vec::new();
    for clip in &clips {
        let audio = hark_audio::load_mono(clip, Some(cfg.sr)).expect("clip");
        let mut ex = hark_features::StreamingExtractor::new(cfg).expect("extractor");
        let mut windows = Vec::new();
        ex.push(&audio.samples, &mut windows);
        ex.finish(&mut windows);
        let live: Vec<f32> = windows
            .iter()
            .filter(|w| !w.silent)
            .flat_map(|w| w.values.clone())
            .collect();
        let n = windows.iter().filter(|w| !w.silent).count();
        let e = predictor.embed(&live, n).expect("embed");
        let dim = predictor.embedding_dim();
        let rows: Vec<Vec<f32>> = e.chunks(dim).map(<[f32]>::to_vec).collect();
        means.push(
            (0..dim)
                .map(|j| rows.iter().map(|r| r[j]).sum::<f32>() / n as f32)
                .collect(),
        );
        want_rows.extend(rows);
    }
    for per_clip in [false, true] {
        let out = dir.join(if per_clip { "clips.npy" } else { "windows.npy" });
        let mut args = vec!["embed", model, "-o", out.to_str().expect("utf8"), "--quiet"];
        args.extend(clips.iter().map(|c| c.to_str().expect("utf8")));
        args.push(bad.to_str().expect("utf8"));
        if per_clip {
            args.push("--per-clip");
        }
        let o = hark(&args);
        assert_eq!(o.status.code(), Some(1), "one bad file: {}", text(&o));
        assert!(text(&o).contains("bad.wav"), "{}", text(&o));
        let (shape, values) = read_npy(&out);
        let want = if per_clip { &means } else { &want_rows };
        assert_eq!(shape, vec![want.len(), predictor.embedding_dim()]);
        // The mean is taken in f64 by `hark embed` and in f32 here.
        let tol = if per_clip { 1e-5 } else { EMBED_TOL };
        for (got, want) in values.chunks(shape[1]).zip(want) {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= tol, "embedding {g} != {w}");
            }
        }
        let index = std::fs::read_to_string(out.with_extension("csv")).expect("index");
        assert_eq!(index.lines().count(), 1 + want.len(), "{index}");
        assert!(!index.contains("bad.wav"), "{index}");
    }
}

/// `hark cv --folds k=3 --group-by speaker` on a dataset without folds: three rounds, a report.
#[test]
fn grouped_k_fold_cross_validation_runs_and_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = demo_manifest(dir.path());
    let out = dir.path().join("cv");
    let cache = dir.path().join("cache");
    let o = hark(&[
        "cv",
        manifest.to_str().expect("utf8"),
        "--folds",
        "k=3",
        "--group-by",
        "speaker",
        "--preset",
        "speech",
        "--epochs",
        "2",
        "--quiet",
        "-o",
        out.to_str().expect("utf8"),
        "--cache-dir",
        cache.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    for f in 1..=3 {
        assert!(stdout.contains(&format!("fold {f}: accuracy")), "{stdout}");
        assert!(out.join(format!("fold{f}.hark")).is_file());
    }
    let json = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    assert!(json.contains("grouped by speaker"), "{json}");
    // Every clip is tested once: one predictions.csv row each, naming its round (issue 13).
    let n = std::fs::read_to_string(&manifest)
        .expect("manifest")
        .lines()
        .count()
        - 1;
    let predictions = std::fs::read_to_string(out.join("predictions.csv")).expect("csv");
    let folds: Vec<&str> = predictions
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).expect("fold column"))
        .collect();
    assert_eq!(folds.len(), n);
    assert!(
        folds.iter().all(|f| ["1", "2", "3"].contains(f)),
        "{folds:?}"
    );
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert_eq!(
        html.matches("<div class=\"mistake\">").count()
            + html.matches("class=\"mistake-row\"").count(),
        wrong_clips(&value),
        "one entry per wrong clip over all folds"
    );
    // Each fold's model records its round and the grouped validation (speaker disjointness
    // itself is tested in hark-pipeline's cv tests).
    let info = hark(&["info", out.join("fold1.hark").to_str().expect("utf8")]);
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("cross-validation fold 1"), "{info}");
    assert!(info.contains("`speaker` groups"), "{info}");
    // Official folds on a dataset without a fold column: a usage error that suggests k=N.
    let o = hark(&["cv", manifest.to_str().expect("utf8"), "--quiet"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("k=5"), "{}", text(&o));
}

/// Ctrl-C during `hark cv`: exit 130, the partial fold is marked in the summary report.
#[cfg(unix)]
#[test]
fn interrupted_cross_validation_marks_the_partial_fold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = demo_manifest(dir.path());
    let out = dir.path().join("cv");
    let cache = dir.path().join("cache");
    let (o, log) = interrupted_after_first_epoch(&[
        "cv",
        manifest.to_str().expect("utf8"),
        "--folds",
        "k=3",
        "--preset",
        "speech",
        "--epochs",
        "500",
        "--patience",
        "0",
        "-o",
        out.to_str().expect("utf8"),
        "--cache-dir",
        cache.to_str().expect("utf8"),
    ]);
    assert_eq!(o.status.code(), Some(130), "{log}");
    let json = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    assert!(json.contains("PARTIAL"), "{json}");
    assert!(json.contains("is partial"), "{json}");
}

/// Run `hark ARGS`, send it Ctrl-C (SIGINT) once it has printed its first finished epoch
/// (so the interrupt always lands during training, however slow the machine), and wait for
/// it to end. Returns the output with the stderr lines read before the interrupt included.
#[cfg(unix)]
fn interrupted_after_first_epoch(args: &[&str]) -> (Output, String) {
    use std::io::{BufRead, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn hark");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).expect("read stderr") > 0 {
        seen.push_str(&line);
        let epoch_done = line.contains("epoch") && line.contains("loss");
        line.clear();
        if epoch_done {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    stderr.read_to_string(&mut seen).expect("read stderr");
    let o = child.wait_with_output().expect("wait");
    (o, seen)
}

/// Completion scripts for every shell and the manual page come from the real flag definitions.
#[test]
fn completions_for_each_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = hark(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", text(&o));
        let script = String::from_utf8_lossy(&o.stdout);
        assert!(script.contains("hark"), "{shell}");
        assert!(
            script.contains("silence-threshold-db"),
            "{shell}: flags are completed"
        );
    }
    let o = hark(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "unknown shell is a usage error");
    let o = hark(&["man"]);
    assert!(o.status.success(), "{}", text(&o));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH hark"),
        "{page}"
    );
    assert!(
        page.contains("Exit codes"),
        "the man page documents the exit codes"
    );
}

/// Run hark with `input` on standard input.
fn hark_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_hark"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hark");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("wait")
}

/// `-` is standard input for audio and standard output for features; the format follows the
/// extension or --format and an unknown extension is a usage error; -q silences notes only.
#[test]
fn dash_means_standard_input_and_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = repo().join("demo/fsdd-mini/recordings/7_theo_1.wav");
    let bytes = std::fs::read(&wav).expect("wav");
    let w = wav.to_str().expect("utf8");

    let o = hark_stdin(&["info", "-"], &bytes);
    assert!(o.status.success(), "{}", text(&o));
    let info = String::from_utf8_lossy(&o.stdout);
    assert!(info.starts_with("standard input\n"), "{info}");
    assert!(
        info.contains("8000 Hz") && info.contains("2892 samples"),
        "{info}"
    );

    // Standard input to standard output gives the file's CSV, byte for byte.
    let csv = dir.path().join("f.csv");
    let o = hark(&[
        "features",
        w,
        "-o",
        csv.to_str().expect("utf8"),
        "--preset",
        "speech",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("wrote"), "{}", text(&o));
    let o = hark_stdin(&["features", "-", "-o", "-", "--preset", "speech"], &bytes);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(o.stdout, std::fs::read(&csv).expect("csv"));
    assert!(o.stderr.is_empty(), "{}", text(&o));
    let o = hark(&[
        "features",
        w,
        "-o",
        "-",
        "--format",
        "npy",
        "--threads",
        "2",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(o.stdout.starts_with(b"\x93NUMPY"), "npy on stdout");

    // -q drops the note, not the file.
    let npy = dir.path().join("f.npy");
    let o = hark(&["features", w, "-o", npy.to_str().expect("utf8"), "-q"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", text(&o));
    assert!(std::fs::read(&npy).expect("npy").starts_with(b"\x93NUMPY"));

    // Never CSV written silently to f.txt.
    let txt = dir.path().join("f.txt");
    let o = hark(&["features", w, "-o", txt.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(".csv or .npy"), "{}", text(&o));
    assert!(!txt.exists());
}

/// `hark predict a.wav b.wav` says the first argument must be a model; a text file gets no
/// ffmpeg advice; no message shows Rust debug output or a cause chain for these.
#[test]
fn misplaced_arguments_are_explained_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = repo().join("demo/fsdd-mini/recordings/7_theo_1.wav");
    let w = wav.to_str().expect("utf8");
    let o = hark(&["predict", w, w]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("is an audio file") && err.contains("first argument"),
        "{err}"
    );
    assert_eq!(err.matches("7_theo_1.wav").count(), 1, "named once: {err}");
    assert!(!err.contains("caused by"), "{err}");

    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "dog,bark.wav\ncat,meow.wav\n").expect("notes");
    let n = notes.to_str().expect("utf8");
    let o = hark(&["predict", n, w]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("text file"), "{}", text(&o));
    let o = hark(&["info", n]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("text file") && !err.contains("ffmpeg"),
        "{err}"
    );
    for o in [hark(&["predict", w, w]), hark(&["info", n])] {
        let all = text(&o);
        assert!(!all.contains("Some(") && !all.contains("None"), "{all}");
    }
}

/// `hark spectrogram --model` draws the model's own windows: silent ones skipped, a short clip
/// padded; upsampled audio is warned about; `hark predict -` reads standard input.
#[test]
fn spectrogram_shows_what_the_model_sees() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = demo_manifest(dir.path());
    let model = dir.path().join("m.hark");
    let m = model.to_str().expect("utf8");
    let log = dir.path().join("augment.jsonl");
    let o = hark(&[
        "train",
        manifest.to_str().expect("utf8"),
        "-o",
        m,
        "--preset",
        "speech",
        "--epochs",
        "1",
        "-q",
        "--threads",
        "2",
        "--augment",
        "specaugment,mixup=0.3@0.5",
        "--log-augment",
        log.to_str().expect("utf8"),
        "--cache-dir",
        dir.path().join("cache").to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(o.stderr.is_empty(), "-q: {}", text(&o));
    // The augmentation is saved in the model file and logged per training window.
    let info = hark(&["info", m]);
    let shown = String::from_utf8_lossy(&info.stdout);
    assert!(
        shown.contains("augmentation: freqmask=2x8@1,timemask=2x0.25@1,mixup=0.3@0.5"),
        "{shown}"
    );
    let logged = std::fs::read_to_string(&log).expect("augmentation log");
    let lines: Vec<serde_json::Value> = logged
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert_eq!(l["epoch"], 1, "{l}");
        assert!(
            l["file"].as_str().is_some_and(|f| f.ends_with(".wav")),
            "{l}"
        );
        assert_eq!(l["freq_masks"].as_array().map(Vec::len), Some(2), "{l}");
    }
    let mixed = lines.iter().filter(|l| !l["mixup"].is_null()).count();
    assert!(
        mixed > 0 && mixed < lines.len(),
        "@0.5 mixes some windows: {mixed}"
    );

    // 0.3 s tone, 1 s of digital silence, 0.3 s tone at 8 kHz: windows in the gap are skipped.
    let tone = |f: f32, n: usize| -> Vec<i16> {
        (0..n)
            .map(|i| (8000.0 * (2.0 * std::f32::consts::PI * f * i as f32 / 8000.0).sin()) as i16)
            .collect()
    };
    let mut gap = tone(440.0, 2400);
    gap.extend(vec![0i16; 8000]);
    gap.extend(tone(900.0, 2400));
    let gap_wav = dir.path().join("gap.wav");
    write_wav(&gap_wav, 8000, &gap);
    let png = dir.path().join("gap.png");
    let p = png.to_str().expect("utf8");
    let o = hark(&[
        "spectrogram",
        "--model",
        m,
        gap_wav.to_str().expect("utf8"),
        "-o",
        p,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("3 windows classified, 2 skipped as silent"),
        "{}",
        text(&o)
    );
    assert!(std::fs::read(&png).expect("png").starts_with(b"\x89PNG"));

    // A clip shorter than one window is padded (still one window), from standard input.
    let short = dir.path().join("short.wav");
    write_wav(&short, 8000, &tone(440.0, 1000));
    let o = hark_stdin(
        &["spectrogram", "--model", m, "-", "-o", p],
        &std::fs::read(&short).expect("wav"),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 windows classified"), "{}", text(&o));

    // The model's settings cannot be mixed with feature flags.
    let o = hark(&[
        "spectrogram",
        "--model",
        m,
        "x.wav",
        "-o",
        p,
        "--sr",
        "16000",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    // 8 kHz audio drawn at the urban preset's 22.05 kHz: an empty band, and the fitting preset.
    let o = hark(&["spectrogram", gap_wav.to_str().expect("utf8"), "-o", p]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("upsampled") && text(&o).contains("--preset speech"),
        "{}",
        text(&o)
    );

    // `hark predict MODEL -` with JSON probabilities of at most 6 digits.
    let o = hark_stdin(
        &["predict", m, "-", "--json"],
        &std::fs::read(&gap_wav).expect("wav"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    assert_eq!(v["file"].as_str(), Some("-"));
    let top = v["top"].as_array().expect("top-k list");
    assert!(!top.is_empty(), "{v}");
    for p in top
        .iter()
        .map(|t| &t["probability"])
        .chain([&v["probability"]])
    {
        let digits = p.to_string().split_once('.').map_or(0, |(_, d)| d.len());
        assert!(digits <= 6, "{p}");
    }
}
