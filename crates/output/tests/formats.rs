//! Every format parses back with a real reader: CSV with the csv crate, JSON lines with
//! serde_json, Audacity through hark's own label-track reader, Raven by its columns, Parquet
//! with the arrow-rs Parquet reader.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use hark_output::{
    ClipRecord, EventRecord, OutputFormat, OutputSpec, PerFileWriter, RAVEN_HEADER, Record,
    RecordKind, StreamWriter, WindowRecord, label_text,
};

/// Text formats print probabilities to 6 decimals: at most half a unit of the last one off.
const PROB_TOL: f64 = 0.5e-6 + 1e-12;
/// CSV and JSON lines print times to 3 decimals (milliseconds).
const TIME_TOL: f64 = 0.5e-3 + 1e-12;
/// Label tracks and selection tables print times to 6 decimals.
const TRACK_TIME_TOL: f64 = 0.5e-6 + 1e-12;

fn classes() -> Vec<String> {
    ["dog_bark", "siren", "drilling"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

fn window(file: &str, i: usize) -> WindowRecord {
    let start = i as f64 * 0.4321;
    let probs = if i % 5 == 4 {
        vec![0.0; 3] // a silent window
    } else {
        let a = (i % 7) as f32 / 7.0 + 0.012_345_678;
        vec![a / 2.0, 1.0 - a, a / 2.0]
    };
    let (label, probability) = if i % 5 == 4 {
        ("silent".to_owned(), 0.0)
    } else if probs[1] >= 0.5 {
        ("siren".to_owned(), probs[1])
    } else {
        ("unknown".to_owned(), probs[1])
    };
    WindowRecord {
        file: file.into(),
        start_s: start,
        end_s: start + 1.0,
        label,
        probability,
        probs,
    }
}

fn clip(file: &str) -> ClipRecord {
    ClipRecord {
        file: file.into(),
        label: "dog_bark".into(),
        probability: 0.876_543_2,
        windows: 17,
        duration_s: 4.123_456,
        top: vec![("dog_bark".into(), 0.876_543_2), ("siren".into(), 0.1)],
    }
}

fn event(file: &str, i: usize) -> EventRecord {
    EventRecord {
        file: file.into(),
        label: if i.is_multiple_of(2) {
            "siren"
        } else {
            "dog_bark"
        }
        .into(),
        start_s: 2.5 * i as f64 + 0.123_456_7,
        end_s: 2.5 * i as f64 + 1.75,
        mean: 0.7 + i as f32 * 0.01,
        peak: 0.95,
    }
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Parses one CSV file into its header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|row| row.expect("row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn csv_windows_have_one_column_per_class_and_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("windows.csv");
    let spec = OutputSpec::new(OutputFormat::Csv, RecordKind::Window, &classes());
    let mut out = StreamWriter::create(&path, &spec).expect("create");
    let records: Vec<WindowRecord> = (0..23).map(|i| window("a, \"quoted\".wav", i)).collect();
    for r in &records {
        out.write(&Record::Window(r.clone())).expect("write");
    }
    out.finish().expect("finish");

    let (header, rows) = read_csv(&path);
    assert_eq!(
        header,
        [
            "file",
            "start_s",
            "end_s",
            "label",
            "probability",
            "dog_bark",
            "siren",
            "drilling"
        ]
    );
    assert_eq!(rows.len(), records.len());
    for (row, r) in rows.iter().zip(&records) {
        assert_eq!(row[0], r.file, "the csv crate quotes commas and quotes");
        assert!((num(&row[1]) - r.start_s).abs() <= TIME_TOL, "{row:?}");
        assert!((num(&row[2]) - r.end_s).abs() <= TIME_TOL, "{row:?}");
        assert_eq!(row[3], r.label);
        assert!((num(&row[4]) - f64::from(r.probability)).abs() <= PROB_TOL);
        for (cell, p) in row[5..].iter().zip(&r.probs) {
            assert!(
                (num(cell) - f64::from(*p)).abs() <= PROB_TOL,
                "{cell} vs {p}"
            );
            let decimals = cell.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 6, "{cell} has more than 6 decimals");
        }
    }
    assert_eq!(rows[4][3], "silent");
    assert_eq!(&rows[4][5..], ["0", "0", "0"], "a silent window is zeros");
}

#[test]
fn csv_clips_have_top_k_pairs_and_events_their_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clips = dir.path().join("clips.csv");
    let spec = OutputSpec::new(OutputFormat::Csv, RecordKind::Clip, &classes());
    assert_eq!(spec.top_k, 3);
    let mut out = StreamWriter::create(&clips, &spec).expect("create");
    out.write(&Record::Clip(clip("park.wav"))).expect("write");
    out.finish().expect("finish");
    let (header, rows) = read_csv(&clips);
    assert_eq!(
        header.join(","),
        "file,label,probability,windows,duration_s,top1,top1_p,top2,top2_p,top3,top3_p"
    );
    assert_eq!(
        rows,
        [[
            "park.wav", "dog_bark", "0.876543", "17", "4.123", "dog_bark", "0.876543", "siren",
            "0.1", "", ""
        ]]
    );

    let events = dir.path().join("events.csv");
    let spec = OutputSpec::new(OutputFormat::Csv, RecordKind::Event, &classes());
    let mut out = StreamWriter::create(&events, &spec).expect("create");
    for i in 0..3 {
        out.write(&Record::Event(event("park.wav", i)))
            .expect("write");
    }
    out.finish().expect("finish");
    let (header, rows) = read_csv(&events);
    assert_eq!(
        header,
        ["file", "label", "start_s", "end_s", "mean", "peak"]
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1],
        ["park.wav", "dog_bark", "2.623", "4.25", "0.71", "0.95"]
    );
}

/// A writer shared with the test, counting flushes.
#[derive(Clone, Default)]
struct Shared {
    bytes: Arc<Mutex<Vec<u8>>>,
    flushed_lines: Arc<Mutex<Vec<usize>>>,
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let lines = self.text().lines().count();
        self.flushed_lines.lock().expect("lock").push(lines);
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.bytes.lock().expect("lock").clone()).expect("utf-8")
    }
}

#[test]
fn json_lines_parse_back_and_are_flushed_line_by_line() {
    let shared = Shared::default();
    let spec = OutputSpec::new(OutputFormat::JsonLines, RecordKind::Window, &classes());
    let mut out = StreamWriter::to_writer(Box::new(shared.clone()), &spec).expect("start");
    let records: Vec<WindowRecord> = (0..6).map(|i| window("x.wav", i)).collect();
    for (i, r) in records.iter().enumerate() {
        out.write(&Record::Window(r.clone())).expect("write");
        assert_eq!(
            shared.flushed_lines.lock().expect("lock").last(),
            Some(&(i + 1)),
            "each line is flushed as soon as it is written"
        );
    }
    out.finish().expect("finish");

    let text = shared.text();
    assert_eq!(text.lines().count(), records.len());
    for (line, r) in text.lines().zip(&records) {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object a line");
        assert_eq!(v["file"], "x.wav");
        assert_eq!(v["label"], r.label.as_str());
        let get = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {line}"));
        assert!((get("start_s") - r.start_s).abs() <= TIME_TOL);
        assert!((get("end_s") - r.end_s).abs() <= TIME_TOL);
        assert!((get("probability") - f64::from(r.probability)).abs() <= PROB_TOL);
        let probs = v["probs"].as_object().expect("probs is an object");
        let keys: Vec<&str> = probs.keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["dog_bark", "drilling", "siren"]);
        for (c, p) in classes().iter().zip(&r.probs) {
            let got = probs[c].as_f64().expect("number");
            assert!((got - f64::from(*p)).abs() <= PROB_TOL, "{c}: {got} vs {p}");
        }
    }
    // The class order is kept (no sorting by serde_json's map).
    let first = text.lines().next().expect("a line");
    let (d, s) = (first.find("\"dog_bark\":"), first.find("\"siren\":"));
    assert!(d < s && s < first.find("\"drilling\":"), "{first}");

    let shared = Shared::default();
    let spec = OutputSpec::new(OutputFormat::JsonLines, RecordKind::Clip, &classes());
    let mut out = StreamWriter::to_writer(Box::new(shared.clone()), &spec).expect("start");
    out.write(&Record::Clip(clip("c.wav"))).expect("write");
    out.finish().expect("finish");
    let v: serde_json::Value = serde_json::from_str(shared.text().trim()).expect("json");
    assert_eq!(v["probability"], 0.876543);
    assert_eq!(v["duration_s"], 4.123);
    assert_eq!(v["windows"], 17);
    assert_eq!(v["top"][1]["label"], "siren");
    assert_eq!(v["top"][1]["probability"], 0.1);
}

#[test]
fn the_table_stays_aligned_and_keeps_long_names_whole() {
    let shared = Shared::default();
    let spec = OutputSpec::new(OutputFormat::Table, RecordKind::Window, &classes());
    let mut out = StreamWriter::to_writer(Box::new(shared.clone()), &spec).expect("start");
    let long = "recordings/2024/site-17/a very long file name that goes on and on.wav";
    for (i, f) in ["a.wav", long, "b.wav"].iter().enumerate() {
        out.write(&Record::Window(window(f, i))).expect("write");
    }
    out.finish().expect("finish");
    let text = shared.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    let file_col = lines[0].find("file").expect("file header");
    for (line, f) in lines[1..].iter().zip(["a.wav", long, "b.wav"]) {
        assert_eq!(line.find(f), Some(file_col), "aligned: {line}");
        assert!(line.ends_with(f), "the whole name: {line}");
    }
    assert!(
        lines[2].contains(" 0.432 "),
        "times to 3 decimals: {}",
        lines[2]
    );
    assert!(lines[2].contains(" siren "), "{}", lines[2]);
}

#[test]
fn audacity_tracks_read_back_through_harks_own_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, out_dir) = (dir.path().join("in"), dir.path().join("out"));
    let audio = input.join("site/park.wav");
    for (kind, name) in [
        (RecordKind::Window, "windows"),
        (RecordKind::Event, "events"),
    ] {
        let spec = OutputSpec::new(OutputFormat::Audacity, kind, &classes());
        let out_dir = out_dir.join(name);
        let mut w = PerFileWriter::new(&out_dir, &input, &spec).expect("writer");
        let track = w.begin_file(&audio).expect("begin");
        assert_eq!(track, out_dir.join("site/park.wav.txt"));
        let records: Vec<Record> = match kind {
            RecordKind::Window => (0..9)
                .map(|i| Record::Window(window("park.wav", i)))
                .collect(),
            _ => (0..4)
                .map(|i| Record::Event(event("park.wav", i)))
                .collect(),
        };
        for r in &records {
            w.write(r).expect("write");
        }
        assert_eq!(w.end_file().expect("end"), track);

        let (mut clips, mut problems) = (Vec::new(), Vec::new());
        hark_data::formats::parse_label_track(&track, &audio, &mut clips, &mut problems)
            .expect("read");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(clips.len(), records.len());
        for (c, r) in clips.iter().zip(&records) {
            let (start, end) = r.span_s();
            assert!((c.start.expect("start") - start).abs() <= TRACK_TIME_TOL);
            assert!((c.end.expect("end") - end).abs() <= TRACK_TIME_TOL);
            assert_eq!(c.label, label_text(r));
            assert_eq!(c.path, audio);
        }
        let first = &clips[0].label;
        match kind {
            RecordKind::Window => assert_eq!(first, "siren 0.988"),
            _ => assert_eq!(first, "siren 0.700 (peak 0.950)"),
        }
    }
}

#[test]
fn raven_tables_have_the_standard_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, out_dir) = (dir.path().join("in"), dir.path().join("out"));
    let spec = OutputSpec {
        raven_band_hz: Some((50.0, 11_025.0)),
        ..OutputSpec::new(OutputFormat::Raven, RecordKind::Event, &classes())
    };
    let mut w = PerFileWriter::new(&out_dir, &input, &spec).expect("writer");
    for name in ["a/one.flac", "two.wav"] {
        let audio = input.join(name);
        let table = w.begin_file(&audio).expect("begin");
        assert!(table.to_string_lossy().ends_with(".Table.1.selections.txt"));
        let events: Vec<EventRecord> = (0..3).map(|i| event(name, i)).collect();
        for e in &events {
            w.write(&Record::Event(e.clone())).expect("write");
        }
        w.end_file().expect("end");

        let text = std::fs::read_to_string(&table).expect("read");
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows[0], RAVEN_HEADER);
        assert_eq!(
            rows[0][..7],
            [
                "Selection",
                "View",
                "Channel",
                "Begin Time (s)",
                "End Time (s)",
                "Low Freq (Hz)",
                "High Freq (Hz)"
            ]
        );
        assert_eq!(rows.len(), 1 + events.len());
        for (i, (row, e)) in rows[1..].iter().zip(&events).enumerate() {
            assert_eq!(row.len(), RAVEN_HEADER.len());
            assert_eq!(row[0], (i + 1).to_string(), "numbered from 1 in each file");
            assert_eq!(row[1], "Spectrogram 1");
            assert_eq!(row[2], "1");
            assert!((num(row[3]) - e.start_s).abs() <= TRACK_TIME_TOL);
            assert!((num(row[4]) - e.end_s).abs() <= TRACK_TIME_TOL);
            assert_eq!((num(row[5]), num(row[6])), (50.0, 11_025.0));
            assert_eq!(row[7], e.label);
            assert!(
                (num(row[8]) - f64::from(e.mean)).abs() <= PROB_TOL,
                "score is the mean"
            );
            assert_eq!(
                Path::new(row[9]),
                std::path::absolute(&audio).expect("absolute")
            );
            assert_eq!(
                row[10], row[3],
                "file offset = begin time in a one-file table"
            );
        }
    }
}

#[cfg(feature = "parquet")]
mod parquet_files {
    use super::*;
    use arrow_array::{Array, Float32Array, Float64Array, Int64Array, StringArray};
    use arrow_schema::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    /// Reads a Parquet file: the number of row groups, and every batch.
    fn read(path: &Path) -> (usize, Vec<arrow_array::RecordBatch>) {
        let file = std::fs::File::open(path).expect("open");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
        let groups = builder.metadata().num_row_groups();
        let batches = builder
            .build()
            .expect("reader")
            .map(|b| b.expect("batch"))
            .collect();
        (groups, batches)
    }

    fn col<'a, T: 'static>(b: &'a arrow_array::RecordBatch, name: &str) -> &'a T {
        b.column_by_name(name)
            .unwrap_or_else(|| panic!("column {name}"))
            .as_any()
            .downcast_ref::<T>()
            .unwrap_or_else(|| panic!("type of {name}"))
    }

    #[test]
    fn windows_read_back_across_row_groups_with_typed_columns() {
        const ROWS: usize = 2_500;
        const GROUP: usize = 1_000;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.parquet");
        let spec = OutputSpec {
            row_group_rows: GROUP,
            ..OutputSpec::new(OutputFormat::Parquet, RecordKind::Window, &classes())
        };
        let mut out = StreamWriter::create(&path, &spec).expect("create");
        for i in 0..ROWS {
            out.write(&Record::Window(window(&format!("f{}.wav", i / 700), i)))
                .expect("write");
        }
        out.finish().expect("finish");

        let (groups, batches) = read(&path);
        assert_eq!(groups, ROWS.div_ceil(GROUP));
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), ROWS);
        let schema = batches[0].schema();
        let types: Vec<(&str, &DataType)> = schema
            .fields()
            .iter()
            .map(|f| (f.name().as_str(), f.data_type()))
            .collect();
        assert_eq!(
            types,
            [
                ("file", &DataType::Utf8),
                ("start_s", &DataType::Float64),
                ("end_s", &DataType::Float64),
                ("label", &DataType::Utf8),
                ("probability", &DataType::Float32),
                ("dog_bark", &DataType::Float32),
                ("siren", &DataType::Float32),
                ("drilling", &DataType::Float32),
            ]
        );
        let mut i = 0;
        for b in &batches {
            let (file, start) = (
                col::<StringArray>(b, "file"),
                col::<Float64Array>(b, "start_s"),
            );
            let (label, p) = (
                col::<StringArray>(b, "label"),
                col::<Float32Array>(b, "probability"),
            );
            let siren = col::<Float32Array>(b, "siren");
            for r in 0..b.num_rows() {
                let want = window(&format!("f{}.wav", i / 700), i);
                assert_eq!(file.value(r), want.file);
                assert_eq!(start.value(r), want.start_s, "times are kept exactly");
                assert_eq!(label.value(r), want.label);
                assert_eq!(
                    p.value(r),
                    want.probability,
                    "probabilities are kept exactly"
                );
                assert_eq!(siren.value(r), want.probs[1]);
                i += 1;
            }
        }
        assert_eq!(i, ROWS);
    }

    #[test]
    fn clips_have_nullable_top_columns_and_events_their_types() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.parquet");
        let spec = OutputSpec::new(OutputFormat::Parquet, RecordKind::Clip, &classes());
        let mut out = StreamWriter::create(&path, &spec).expect("create");
        out.write(&Record::Clip(clip("c.wav"))).expect("write");
        out.finish().expect("finish");
        let (_, batches) = read(&path);
        let b = &batches[0];
        assert_eq!(b.num_rows(), 1);
        assert_eq!(col::<Int64Array>(b, "windows").value(0), 17);
        assert_eq!(col::<Float64Array>(b, "duration_s").value(0), 4.123_456);
        assert_eq!(col::<StringArray>(b, "top2").value(0), "siren");
        assert_eq!(col::<Float32Array>(b, "top2_p").value(0), 0.1);
        assert!(col::<StringArray>(b, "top3").is_null(0), "no third class");
        assert!(col::<Float32Array>(b, "top3_p").is_null(0));

        let path = dir.path().join("e.parquet");
        let spec = OutputSpec::new(OutputFormat::Parquet, RecordKind::Event, &classes());
        let out = StreamWriter::create(&path, &spec).expect("create");
        out.finish()
            .expect("an empty run still writes a readable file");
        let (groups, batches) = read(&path);
        assert_eq!(groups, 0);
        assert!(batches.iter().all(|b| b.num_rows() == 0));
        let file = std::fs::File::open(&path).expect("open");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
        let names: Vec<String> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["file", "label", "start_s", "end_s", "mean", "peak"]);
        assert_eq!(builder.schema().field(4).data_type(), &DataType::Float32);
    }
}
