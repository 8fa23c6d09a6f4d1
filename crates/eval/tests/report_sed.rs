//! The sound event detection report: every file is written, parses back and says what the
//! metrics say.

use std::path::{Path, PathBuf};

use hark_eval::{
    FileCounts, FileEvents, SedConfig, SedEvent, SedReport, SweepPoint, best_point, evaluate_sed,
};

/// Tolerance for scores printed and parsed back.
const TOL: f64 = 1e-9;

fn report() -> SedReport {
    let classes = vec!["dog".to_string(), "siren".to_string()];
    // One hour: 2 dog events found, one siren missed, one false alarm <script>-named class.
    let files = vec![FileEvents {
        reference: vec![
            SedEvent::new("dog", 10.0, 12.0),
            SedEvent::new("dog", 100.0, 101.0),
            SedEvent::new("siren", 200.0, 210.0),
        ],
        detected: vec![
            SedEvent::new("dog", 10.1, 12.1),
            SedEvent::new("dog", 100.0, 101.0),
            SedEvent::new("siren", 500.0, 501.0),
        ],
        duration_s: 3600.0,
    }];
    let cfg = SedConfig::default();
    let metrics = evaluate_sed(&classes, &files, &cfg).expect("metrics");
    let point = |onset: f32, f1: Option<f64>| SweepPoint {
        onset,
        offset: onset,
        event_f1: f1,
        segment_f1: f1,
        event_error_rate: Some(0.5),
        false_alarms_per_hour: Some(f64::from(onset) * 10.0),
        miss_rate: Some(0.25),
        detected: 3,
    };
    let sweep = vec![
        point(0.1, Some(0.4)),
        point(0.35, Some(2.0 / 3.0)),
        point(0.9, None),
    ];
    SedReport {
        title: "hark eval (sound events)".into(),
        dataset: "recordings & <friends>".into(),
        model: "m.hark".into(),
        events: hark_infer::EventConfig::default(),
        scoring: cfg,
        metrics,
        best: best_point(&sweep),
        sweep,
        files: vec![FileCounts {
            path: PathBuf::from("a.wav"),
            duration_s: 3600.0,
            reference: 3,
            detected: 3,
        }],
        notes: vec!["a note".into()],
    }
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

#[test]
fn writes_json_csv_png_and_html_that_parse_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("nested/report");
    let r = report();
    let files = r.write_dir(&out).expect("written");

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files.json).expect("json")).expect("parses");
    let ev = &json["metrics"]["event_based"];
    // 2 of 3 reference events matched, 2 of 3 detections: P = R = F1 = 2/3.
    assert!((ev["overall"]["f1"].as_f64().expect("f1") - 2.0 / 3.0).abs() < TOL);
    // One detection matches nothing in one hour of audio.
    assert!((ev["false_alarms_per_hour"].as_f64().expect("fa/h") - 1.0).abs() < TOL);
    assert!((ev["miss_rate"].as_f64().expect("miss") - 1.0 / 3.0).abs() < TOL);
    assert_eq!(json["sweep"].as_array().expect("sweep").len(), 3);
    assert!(json["sweep"][2]["event_f1"].is_null());
    assert!((json["best"]["onset"].as_f64().expect("best") - 0.35).abs() < 1e-6);
    assert!((json["events"]["onset"].as_f64().expect("onset") - 0.35).abs() < 1e-6);
    assert_eq!(json["files"][0]["reference"], 3);
    assert_eq!(json["notes"][0], "a note");

    let csv = std::fs::read_to_string(&files.sweep_csv).expect("csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "{csv}");
    assert_eq!(rows[0], hark_eval::report::SWEEP_CSV_HEADER.join(","));
    assert!(
        rows[2].starts_with("0.3500,0.3500,0.666667,"),
        "{}",
        rows[2]
    );

    assert_eq!(png_size(&files.sweep_png), hark_plot::SED_SWEEP_SIZE);

    let html = std::fs::read_to_string(&files.html).expect("html");
    assert!(html.contains("data:image/png;base64,"));
    assert!(html.contains("recordings &amp; &lt;friends&gt;"));
    assert!(!html.contains("<friends>"));
    for key in [
        "event F1",
        "segment F1",
        "event error rate",
        "false alarms / hour",
        "miss rate",
    ] {
        assert!(html.contains(key), "no {key} in the page");
    }
    for entry in std::fs::read_dir(&out).expect("dir") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(!name.starts_with('.'), "temporary file left: {name}");
    }
}

#[test]
fn write_into_a_file_path_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").expect("write");
    let err = report().write_dir(&blocker.join("sub")).expect_err("fails");
    assert!(err.to_string().contains("file"), "{err}");
}
