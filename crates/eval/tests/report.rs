//! Integration tests of the report writer (train/eval -> reports): every file is written,
//! parses back, has the right shape, and no temporary files are left behind.

use std::path::Path;

use hark_eval::{
    Aggregation, CvSummary, DecisionConfig, EvalError, Report, aggregate, decide, evaluate,
    pick_threshold, threshold_sweep,
};

/// Location of the shared test data, relative to this crate.
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

fn classes() -> Vec<String> {
    [
        "dog_bark",
        "rain",
        "a_very_long_class_name_that_needs_cutting",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Three-class report with one unknown answer and a threshold sweep.
fn small_report() -> Report {
    let classes = classes();
    // Window probabilities of 6 clips, 2 windows each, pooled by mean.
    let windows: [[f32; 6]; 6] = [
        [0.9, 0.05, 0.05, 0.8, 0.1, 0.1],
        [0.1, 0.8, 0.1, 0.2, 0.7, 0.1],
        [0.2, 0.2, 0.6, 0.1, 0.3, 0.6],
        [0.5, 0.4, 0.1, 0.3, 0.6, 0.1],
        [0.34, 0.33, 0.33, 0.33, 0.34, 0.33],
        [0.1, 0.1, 0.8, 0.1, 0.2, 0.7],
    ];
    let y_true = [0, 1, 2, 0, 1, 2];
    let clip_probs: Vec<Vec<f32>> = windows
        .iter()
        .map(|w| aggregate(w, 3, Aggregation::Mean))
        .collect();
    let threshold = Some(0.4);
    let y_pred: Vec<Option<usize>> = clip_probs
        .iter()
        .map(|p| decide(p, threshold).label)
        .collect();
    let metrics = evaluate(&classes, &y_true, &y_pred).expect("valid labels");
    let mut report = Report::new("hark eval", "tiny <set>", "model.mpk", metrics);
    report.threshold_sweep = Some(threshold_sweep(&clip_probs, &y_true).expect("valid sweep"));
    report.decision = Some(DecisionConfig {
        aggregation: Aggregation::Mean,
        threshold,
        tuned_for: None,
    });
    report.notes.push("seed 42".into());
    report
}

fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).expect("png exists");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("valid PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG decodes");
    (info.width, info.height)
}

fn no_temp_files(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("readable dir") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            !name.starts_with('.') && !name.ends_with(".tmp"),
            "temporary file left: {name}"
        );
    }
}

#[test]
fn unknown_decision_is_scored_in_report() {
    let r = small_report();
    // Clip 4 has mean probs ~(0.335, 0.335, 0.33) < 0.4 -> unknown; clip 3 (true dog)
    // pools to (0.4, 0.5, 0.1) -> rain: wrong.
    assert_eq!(r.metrics.confusion.unknown, Some(vec![0, 1, 0]));
    assert_eq!(r.metrics.n_clips, 6);
    assert!((r.metrics.accuracy - 4.0 / 6.0).abs() < 1e-12);
    let sweep = r.threshold_sweep.as_ref().expect("sweep set");
    assert_eq!(pick_threshold(sweep, 1.0), Some(0.6));
}

#[test]
fn writes_all_files_parseable_and_atomic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let r = small_report();
    let files = r.write_dir(dir.path()).expect("report written");

    // JSON round-trips to the same report.
    let json = std::fs::read_to_string(&files.json).expect("json");
    let back: Report = serde_json::from_str(&json).expect("json parses");
    assert_eq!(back, r);

    // Confusion CSV: header + one row per class; 1 + 3 classes + unknown columns.
    let mut rdr = csv::Reader::from_path(&files.confusion_csv).expect("csv");
    let header = rdr.headers().expect("header").clone();
    assert_eq!(header.len(), 5);
    assert_eq!(&header[4], "unknown");
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[2][0], "a_very_long_class_name_that_needs_cutting");
    let total: usize = rows
        .iter()
        .flat_map(|r| r.iter().skip(1).map(|v| v.parse::<usize>().expect("count")))
        .sum();
    assert_eq!(total, 6);

    let mut rdr = csv::Reader::from_path(&files.per_class_csv).expect("csv");
    assert_eq!(rdr.headers().expect("header").len(), 6);
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("rows");
    // Three classes, then sklearn's average rows (issue 13).
    assert_eq!(rows.len(), 5);
    assert_eq!((&rows[3][0], &rows[4][0]), ("macro avg", "weighted avg"));
    let f1 = |r: &csv::StringRecord| r[3].parse::<f64>().expect("f1");
    assert!((f1(&rows[3]) - r.metrics.macro_f1).abs() < 1e-6);
    assert!((f1(&rows[4]) - r.metrics.weighted_f1).abs() < 1e-6);
    assert_eq!(&rows[4][4], "6", "support of the average rows: all clips");
    assert!(files.predictions_csv.is_none(), "no predictions given");

    // PNGs decode, with the documented coverage size.
    let (w, h) = png_size(&files.confusion_png);
    assert!(w >= 320 && h >= 3 * 64, "confusion png {w}x{h}");
    let coverage = files
        .coverage_png
        .as_ref()
        .expect("sweep given -> coverage.png");
    assert_eq!(png_size(coverage), hark_eval::report::COVERAGE_SIZE);
    assert!(files.folds_csv.is_none());

    // HTML: class names (escaped dataset name), embedded PNGs.
    let html = std::fs::read_to_string(&files.html).expect("html");
    for c in classes() {
        assert!(html.contains(&c), "html lacks class {c}");
    }
    assert!(html.contains("tiny &lt;set&gt;"));
    assert!(html.matches("src=\"data:image/png;base64,").count() == 2);
    assert!(html.contains("seed 42"));
    assert!(html.contains("macro avg") && html.contains("weighted avg"));
    // Thresholds to 4 significant digits, not `0.40`/`0.400`.
    assert!(
        html.contains("unknown below 0.4000"),
        "threshold in the header"
    );

    no_temp_files(dir.path());
    // Writing again replaces files in place, still leaving no temporary files.
    r.write_dir(dir.path()).expect("second write");
    no_temp_files(dir.path());
}

#[test]
fn write_into_unwritable_path_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("not_a_dir");
    std::fs::write(&file, b"x").expect("write");
    let err = small_report()
        .write_dir(&file)
        .expect_err("a file is not a directory");
    assert!(
        matches!(err, EvalError::Io { ref path, .. } if path == &file),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&file).expect("still there"),
        b"x",
        "existing file untouched"
    );
}

/// Cross-validation report on the real ESC-10 class list and official folds, with
/// predictions made by a fixed rule (clip index based), so counts are known.
#[test]
fn cv_report_on_esc10_folds() {
    let labels = Path::new(SHARED).join("data/esc10/labels.csv");
    if !labels.exists() {
        eprintln!(
            "SKIP: {} not found; ESC-10 CV report test skipped",
            labels.display()
        );
        return;
    }
    let mut rdr = csv::Reader::from_path(&labels).expect("labels.csv readable");
    let rows: Vec<(String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[1].to_string(), r[2].to_string())
        })
        .collect();
    let mut classes: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    classes.sort();
    classes.dedup();
    let mut fold_names: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    fold_names.sort();
    fold_names.dedup();
    assert_eq!((classes.len(), fold_names.len()), (10, 5));

    // Every 5th clip of a fold is predicted as the next class; the rest are right.
    let folds: Vec<(String, hark_eval::Metrics)> = fold_names
        .iter()
        .map(|f| {
            let y_true: Vec<usize> = rows
                .iter()
                .filter(|r| &r.1 == f)
                .map(|r| classes.iter().position(|c| c == &r.0).expect("known class"))
                .collect();
            let y_pred: Vec<Option<usize>> = y_true
                .iter()
                .enumerate()
                .map(|(i, &t)| Some(if i % 5 == 0 { (t + 1) % 10 } else { t }))
                .collect();
            (
                format!("fold{f}"),
                evaluate(&classes, &y_true, &y_pred).expect("valid"),
            )
        })
        .collect();
    let cv = CvSummary::from_folds(folds).expect("same classes");
    // 80 clips per fold, 16 wrong: 80% on every fold, std 0.
    assert!((cv.accuracy.mean - 0.8).abs() < 1e-12);
    assert!(cv.accuracy.std.abs() < 1e-12);
    assert_eq!(cv.pooled.n_clips, 400);

    let dir = tempfile::tempdir().expect("temp dir");
    let report = Report::cross_validation("hark cv", "esc10", "sbcnn", cv);
    let files = report.write_dir(dir.path()).expect("written");
    let folds_csv = files.folds_csv.expect("cv -> folds.csv");
    assert_eq!(
        csv::Reader::from_path(folds_csv)
            .expect("csv")
            .records()
            .count(),
        5
    );
    let html = std::fs::read_to_string(&files.html).expect("html");
    assert!(html.contains("fold1") && html.contains("80.0% \u{b1} 0.0"));
    assert!(files.coverage_png.is_none());
    no_temp_files(dir.path());
}

#[test]
fn long_names_are_cut_and_html_is_escaped() {
    use hark_eval::report::{MAX_LABEL_CHARS, abbreviate, escape};
    let long = "x".repeat(40);
    let cut = abbreviate(&long);
    assert_eq!(cut.chars().count(), MAX_LABEL_CHARS);
    assert!(cut.ends_with('…'));
    assert_eq!(abbreviate("dog_bark"), "dog_bark");
    assert_eq!(
        escape(r#"<a href="x">&'"#),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}

/// Rows of `small_report`'s six clips, with audio files `clip{i}.wav` in `audio`.
fn rows_of_small_report(audio: &Path) -> Vec<hark_eval::ClipRow> {
    let classes = classes();
    let probs: [[f32; 3]; 6] = [
        [0.85, 0.075, 0.075],
        [0.15, 0.75, 0.1],
        [0.15, 0.25, 0.6],
        [0.4, 0.5, 0.1],
        [0.335, 0.335, 0.33],
        [0.1, 0.15, 0.75],
    ];
    let y_true = [0, 1, 2, 0, 1, 2];
    probs
        .iter()
        .zip(y_true)
        .enumerate()
        .map(|(i, (p, t))| {
            let file = audio.join(format!("clip {i}.wav"));
            std::fs::write(&file, b"RIFF").expect("audio stand-in");
            hark_eval::ClipRow::new(file, classes[t].clone(), &classes, p, &decide(p, Some(0.4)))
                .with_segment((i == 3).then_some(1.5), (i == 3).then_some(2.5))
        })
        .collect()
}

/// predictions.csv has one row per clip; the HTML "mistakes" section has one entry per wrong
/// clip, most confident first, with its picture and a player linking the audio relative to
/// the report (issue 13).
#[test]
fn predictions_csv_and_one_mistake_entry_per_wrong_clip() {
    let root = tempfile::tempdir().expect("temp dir");
    let audio = root.path().join("audio");
    std::fs::create_dir_all(&audio).expect("audio dir");
    let out = root.path().join("report");
    let mut r = small_report();
    r.predictions = rows_of_small_report(&audio);
    let wrong =
        r.metrics.n_clips - (r.metrics.accuracy * r.metrics.n_clips as f64).round() as usize;
    assert_eq!(wrong, 2);
    for i in hark_eval::report::mistakes_by_confidence(&r.predictions) {
        r.mistake_pictures.insert(i, b"not really a png".to_vec());
    }
    let files = r.write_dir(&out).expect("written");

    let path = files.predictions_csv.as_ref().expect("predictions.csv");
    let mut rdr = csv::Reader::from_path(path).expect("csv");
    let header: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header, hark_eval::report::PREDICTIONS_CSV_HEADER);
    for col in [
        "file",
        "start",
        "end",
        "true_label",
        "predicted_label",
        "probability",
        "top1_label",
        "top3_probability",
    ] {
        assert!(header.iter().any(|h| h == col), "column {col}");
    }
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>().expect("rows");
    assert_eq!(rows.len(), 6);
    assert_eq!((&rows[3][1], &rows[3][2]), ("1.500", "2.500"), "segment");
    assert_eq!(
        (&rows[3][4], &rows[3][5], &rows[3][6]),
        ("dog_bark", "rain", "0.500000")
    );
    assert_eq!(&rows[4][5], "unknown");

    let html = std::fs::read_to_string(&files.html).expect("html");
    assert!(html.contains("<h2 id=\"mistakes\">Mistakes</h2>"));
    assert_eq!(html.matches("<div class=\"mistake\">").count(), wrong);
    // Most confident first: clip 3 (rain, 50%) before clip 4 (unknown, 33.5%).
    let (a, b) = (
        html.find("clip 3.wav").expect("clip 3 listed"),
        html.find("clip 4.wav").expect("clip 4 listed"),
    );
    assert!(a < b);
    assert!(
        html.contains("src=\"../audio/clip%203.wav#t=1.5,2.5\""),
        "relative link with the segment"
    );
    assert_eq!(files.mistake_pictures.len(), wrong);
    assert!(html.contains("src=\"mistakes/001.png\"") && out.join("mistakes/002.png").is_file());
    assert!(!html.contains("clip 0.wav"), "right clips are not mistakes");
}

/// Past MAX_MISTAKE_PICTURES, wrong clips are listed in a table without pictures, and
/// pictures of an earlier, worse run are removed.
#[test]
fn mistakes_past_the_cap_are_listed_in_a_table() {
    use hark_eval::report::MAX_MISTAKE_PICTURES;
    let root = tempfile::tempdir().expect("temp dir");
    let classes = classes();
    let n = MAX_MISTAKE_PICTURES + 7;
    let rows: Vec<hark_eval::ClipRow> = (0..n)
        .map(|i| {
            let p = [0.1, 0.5 + 0.001 * i as f32, 0.4 - 0.001 * i as f32];
            hark_eval::ClipRow::new(
                root.path().join(format!("{i}.wav")),
                classes[0].clone(),
                &classes,
                &p,
                &decide(&p, None),
            )
        })
        .collect();
    let y_pred: Vec<Option<usize>> = vec![Some(1); n];
    let mut r = Report::new(
        "hark eval",
        "d",
        "m",
        evaluate(&classes, &vec![0; n], &y_pred).expect("metrics"),
    );
    r.predictions = rows;
    for i in 0..n {
        r.mistake_pictures.insert(i, vec![1, 2, 3]);
    }
    let out = root.path().join("report");
    std::fs::create_dir_all(out.join("mistakes")).expect("dir");
    std::fs::write(out.join("mistakes/999.png"), b"stale").expect("stale picture");
    let files = r.write_dir(&out).expect("written");
    assert_eq!(files.mistake_pictures.len(), MAX_MISTAKE_PICTURES);
    assert_eq!(
        std::fs::read_dir(out.join("mistakes")).expect("ls").count(),
        MAX_MISTAKE_PICTURES,
        "the stale picture is gone"
    );
    let html = std::fs::read_to_string(&files.html).expect("html");
    assert_eq!(
        html.matches("<div class=\"mistake\">").count(),
        MAX_MISTAKE_PICTURES
    );
    assert_eq!(html.matches("<tr class=\"mistake-row\">").count(), 7);
    // The most confident (the last clip, 0.5 + 0.001 * (n - 1)) comes first.
    let first = html.find(&format!("{}.wav", n - 1)).expect("listed");
    assert!(first < html.find("0.wav").expect("listed"));
}
