//! Where outputs go: atomic stream files, per-audio-file outputs that never overwrite unless
//! asked, folder mirroring and the collision rule, and the errors for misuse.

use std::path::{Path, PathBuf};

use hark_output::{
    EventRecord, OutputError, OutputFormat, OutputSpec, PerFileWriter, Record, RecordKind,
    StreamWriter, WindowRecord, output_path,
};

fn classes() -> Vec<String> {
    vec!["dog".into(), "siren".into()]
}

fn event(file: &str) -> Record {
    Record::Event(EventRecord {
        file: file.into(),
        label: "dog".into(),
        start_s: 1.0,
        end_s: 2.0,
        mean: 0.8,
        peak: 0.9,
    })
}

fn window(probs: Vec<f32>) -> Record {
    Record::Window(WindowRecord {
        file: "x.wav".into(),
        start_s: 0.0,
        end_s: 1.0,
        label: "dog".into(),
        probability: 0.5,
        probs,
    })
}

/// Every file under `dir`, relative to it, sorted (hidden temporary files included).
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir)
            .expect("ls")
            .map(|e| e.expect("entry"))
        {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_stream_file_dropped_without_finish_leaves_nothing() {
    for format in [
        OutputFormat::Csv,
        OutputFormat::JsonLines,
        OutputFormat::Table,
        OutputFormat::Parquet,
    ] {
        if !format.built() {
            continue;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("events.out");
        let spec = OutputSpec::new(format, RecordKind::Event, &classes());
        {
            let mut out = StreamWriter::create(&path, &spec).expect("create");
            for _ in 0..10_000 {
                out.write(&event("a.wav")).expect("write");
            }
            assert!(
                !path.exists(),
                "{format}: nothing is published before finish"
            );
        } // interrupted
        assert_eq!(files(dir.path()), Vec::<PathBuf>::new(), "{format}");

        let mut out = StreamWriter::create(&path, &spec).expect("create");
        out.write(&event("a.wav")).expect("write");
        out.finish().expect("finish");
        assert_eq!(files(dir.path()), [PathBuf::from("events.out")], "{format}");
    }
}

#[test]
fn a_stream_file_is_not_replaced_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.csv");
    std::fs::write(&path, "precious").expect("seed");
    let spec = OutputSpec::new(OutputFormat::Csv, RecordKind::Event, &classes());
    let e = StreamWriter::create(&path, &spec).err().expect("exists");
    assert!(
        matches!(&e, OutputError::Exists { path: p } if p == &path),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "precious");

    let spec = OutputSpec {
        overwrite: true,
        ..spec
    };
    let mut out = StreamWriter::create(&path, &spec).expect("create");
    out.write(&event("a.wav")).expect("write");
    out.finish().expect("finish");
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .starts_with("file,label,")
    );
}

#[test]
fn per_file_outputs_refuse_to_overwrite_and_overwrite_with_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, out) = (dir.path().join("in"), dir.path().join("out"));
    let audio = input.join("a/dog.wav");
    let spec = OutputSpec::new(OutputFormat::Csv, RecordKind::Event, &classes());
    let mut w = PerFileWriter::new(&out, &input, &spec).expect("writer");
    let dest = w.begin_file(&audio).expect("begin");
    w.write(&event("dog.wav")).expect("write");
    assert_eq!(w.end_file().expect("end"), dest);
    let first = std::fs::read_to_string(&dest).expect("read");

    // A second run without --overwrite: refused before any work, naming the file and flags.
    let mut again = PerFileWriter::new(&out, &input, &spec).expect("writer");
    let e = again.begin_file(&audio).expect_err("exists");
    let text = e.to_string();
    assert!(
        matches!(&e, OutputError::Exists { path } if path == &dest),
        "{e}"
    );
    assert!(text.contains(&dest.display().to_string()), "{text}");
    assert!(
        text.contains("--overwrite") && text.contains("--skip-existing"),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&dest).expect("read"), first);

    // A file that appears while its output is being written is not replaced either.
    let other = input.join("a/cat.wav");
    let other_dest = again.begin_file(&other).expect("begin");
    again.write(&event("cat.wav")).expect("write");
    std::fs::write(&other_dest, "someone else's").expect("race");
    assert!(matches!(again.end_file(), Err(OutputError::Exists { .. })));
    assert_eq!(
        std::fs::read_to_string(&other_dest).expect("read"),
        "someone else's"
    );

    // With --overwrite both are replaced.
    let spec = OutputSpec {
        overwrite: true,
        ..spec
    };
    let mut w = PerFileWriter::new(&out, &input, &spec).expect("writer");
    for a in [&audio, &other] {
        w.begin_file(a).expect("begin");
        w.write(&event("x.wav")).expect("write");
        w.write(&event("x.wav")).expect("write");
        w.end_file().expect("end");
    }
    assert_eq!(
        std::fs::read_to_string(&dest)
            .expect("read")
            .lines()
            .count(),
        3
    );
    assert!(
        std::fs::read_to_string(&other_dest)
            .expect("read")
            .starts_with("file,")
    );
    assert_eq!(
        files(&out),
        [
            PathBuf::from("a/cat.wav.csv"),
            PathBuf::from("a/dog.wav.csv")
        ]
    );
}

#[test]
fn an_abandoned_or_dropped_file_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = OutputSpec::new(OutputFormat::Audacity, RecordKind::Event, &classes());
    let mut w = PerFileWriter::new(dir.path(), Path::new("in"), &spec).expect("writer");
    w.begin_file(Path::new("in/bad.mp3")).expect("begin");
    w.write(&event("bad.mp3")).expect("write");
    w.abandon_file();
    w.begin_file(Path::new("in/half.wav"))
        .expect("begin after abandon");
    w.write(&event("half.wav")).expect("write");
    drop(w);
    assert_eq!(files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn outputs_mirror_the_input_folders_and_keep_the_audio_extension() {
    let (out, root) = (Path::new("out"), Path::new("data/rec"));
    let at = |audio: &str, f| output_path(out, root, Path::new(audio), f);
    assert_eq!(
        at("data/rec/a/b/dog.wav", OutputFormat::Audacity),
        Path::new("out/a/b/dog.wav.txt")
    );
    assert_eq!(
        at("data/rec/a/b/dog.wav", OutputFormat::Raven),
        Path::new("out/a/b/dog.wav.Table.1.selections.txt")
    );
    assert_eq!(
        at("data/rec/dog.wav", OutputFormat::Csv),
        Path::new("out/dog.wav.csv")
    );
    assert_eq!(
        at("data/rec/dog.wav", OutputFormat::JsonLines),
        Path::new("out/dog.wav.jsonl")
    );
    assert_eq!(
        at("data/rec/dog.wav", OutputFormat::Parquet),
        Path::new("out/dog.wav.parquet")
    );
    assert_eq!(
        at("data/rec/./x/dog.wav", OutputFormat::Csv),
        Path::new("out/x/dog.wav.csv")
    );
    // dog.wav and dog.flac in one folder do not collide.
    assert_ne!(
        at("data/rec/dog.wav", OutputFormat::Audacity),
        at("data/rec/dog.flac", OutputFormat::Audacity)
    );
    // One file given as its own root: its name.
    assert_eq!(
        output_path(
            out,
            Path::new("/x/dog.wav"),
            Path::new("/x/dog.wav"),
            OutputFormat::Csv
        ),
        Path::new("out/dog.wav.csv")
    );
    // Outside the root: mirrored whole, and never outside the output folder.
    assert_eq!(
        at("/elsewhere/../dog.wav", OutputFormat::Csv),
        Path::new("out/elsewhere/dog.wav.csv")
    );

    // The writer creates the mirrored folders and writes there.
    let dir = tempfile::tempdir().expect("tempdir");
    let (input, out) = (dir.path().join("in"), dir.path().join("out"));
    let spec = OutputSpec::new(OutputFormat::Audacity, RecordKind::Event, &classes());
    let mut w = PerFileWriter::new(&out, &input, &spec).expect("writer");
    for a in ["x/y/dog.wav", "x/y/dog.flac", "z.ogg"] {
        let audio = input.join(a);
        assert_eq!(
            w.output_path(&audio),
            output_path(&out, &input, &audio, spec.format)
        );
        assert_eq!(w.begin_file(&audio).expect("begin"), w.output_path(&audio));
        w.write(&event(a)).expect("write");
        w.end_file().expect("end");
    }
    assert_eq!(
        files(&out),
        ["x/y/dog.flac.txt", "x/y/dog.wav.txt", "z.ogg.txt"].map(PathBuf::from)
    );
}

#[test]
fn misuse_gets_an_error_that_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = |f| OutputSpec::new(f, RecordKind::Event, &classes());
    for f in [OutputFormat::Audacity, OutputFormat::Raven] {
        let e = StreamWriter::create(&dir.path().join("x"), &spec(f))
            .err()
            .expect("needs folder");
        assert!(matches!(e, OutputError::NeedsFolder { .. }), "{e}");
        assert!(e.to_string().contains("output folder"), "{e}");
    }
    let e = PerFileWriter::new(dir.path(), dir.path(), &spec(OutputFormat::Table))
        .err()
        .expect("table is a stream");
    assert!(matches!(e, OutputError::NeedsStream { .. }), "{e}");
    let e = PerFileWriter::new(dir.path(), dir.path(), &spec(OutputFormat::Raven))
        .err()
        .expect("band");
    assert!(e.to_string().contains("fmin..fmax"), "{e}");
    let bad_band = OutputSpec {
        raven_band_hz: Some((8000.0, 100.0)),
        ..spec(OutputFormat::Raven)
    };
    assert!(PerFileWriter::new(dir.path(), dir.path(), &bad_band).is_err());

    let mut w =
        PerFileWriter::new(dir.path(), dir.path(), &spec(OutputFormat::Csv)).expect("writer");
    assert!(matches!(
        w.write(&event("a.wav")),
        Err(OutputError::OutOfOrder { .. })
    ));
    assert!(matches!(w.end_file(), Err(OutputError::OutOfOrder { .. })));
    w.begin_file(&dir.path().join("a.wav")).expect("begin");
    assert!(matches!(
        w.begin_file(&dir.path().join("b.wav")),
        Err(OutputError::OutOfOrder { .. })
    ));
    let e = w.write(&window(vec![0.5, 0.5])).expect_err("kind");
    assert!(
        matches!(
            e,
            OutputError::WrongKind {
                expected: RecordKind::Event,
                got: RecordKind::Window
            }
        ),
        "{e}"
    );

    let wspec = OutputSpec::new(OutputFormat::Csv, RecordKind::Window, &classes());
    let mut s = StreamWriter::to_writer(Box::new(std::io::sink()), &wspec).expect("writer");
    let e = s.write(&window(vec![1.0])).expect_err("class count");
    assert!(
        matches!(
            e,
            OutputError::ClassCount {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{e}"
    );
    s.write(&window(vec![0.5, 0.5]))
        .expect("a fitting record still goes through");

    let e = StreamWriter::create(&dir.path().join("no/such/folder/p.csv"), &wspec)
        .err()
        .expect("missing folder");
    assert!(
        matches!(&e, OutputError::Io { path, .. } if path.ends_with("p.csv")),
        "{e}"
    );
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_is_refused_when_not_built() {
    let spec = OutputSpec::new(OutputFormat::Parquet, RecordKind::Event, &classes());
    let e = StreamWriter::to_writer(Box::new(std::io::sink()), &spec)
        .err()
        .expect("not built");
    assert!(matches!(e, OutputError::NotBuilt { .. }), "{e}");
}
