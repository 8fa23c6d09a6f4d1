//! Each dataset layout is detected and parsed.

use std::path::Path;

use hark_data::{DataError, DatasetFormat, ProblemKind, Split, formats, open};

use crate::common::{shared_data, tempdir, tone, write_text};

fn names(ds: &hark_data::Dataset) -> Vec<String> {
    ds.clips
        .iter()
        .map(|c| {
            c.path
                .strip_prefix(&ds.root)
                .unwrap_or(&c.path)
                .display()
                .to_string()
        })
        .collect()
}

#[test]
fn folder_per_class() {
    let dir = tempdir();
    let r = dir.path();
    tone(&r.join("dog/a.wav"), 440.0);
    tone(&r.join("dog/deeper/b.WAV"), 450.0);
    tone(&r.join("cat/c.wav"), 880.0);
    tone(&r.join("cat/.hidden.wav"), 880.0);
    tone(&r.join(".cache/cat/x.wav"), 880.0);
    write_text(&r.join("cat/notes.md"), "not audio");
    std::fs::create_dir_all(r.join("bird")).expect("mkdir");
    tone(&r.join("loose.wav"), 300.0);

    let ds = open(r).expect("open folders");
    assert_eq!(ds.format, DatasetFormat::Folders);
    assert_eq!(ds.classes, ["cat", "dog"]);
    assert_eq!(names(&ds), ["cat/c.wav", "dog/a.wav", "dog/deeper/b.WAV"]);
    assert_eq!(ds.class_counts(), [1, 2]);
    assert_eq!(ds.label_index("dog"), Some(1));
    assert!(ds.folds().is_empty());
    let kinds: Vec<&ProblemKind> = ds.problems.iter().map(|p| &p.kind).collect();
    assert!(kinds.contains(&&ProblemKind::EmptyClass {
        class: "bird".into()
    }));
    assert!(
        ds.problems
            .iter()
            .any(|p| p.kind == ProblemKind::Unlabelled && p.path == Some(r.join("loose.wav")))
    );
}

#[test]
fn folder_per_class_under_split_folders() {
    let dir = tempdir();
    let r = dir.path();
    tone(&r.join("train/dog/a.wav"), 440.0);
    tone(&r.join("train/cat/b.wav"), 880.0);
    tone(&r.join("test/dog/c.wav"), 440.0);
    tone(&r.join("val/cat/d.wav"), 880.0);
    let ds = open(r).expect("open split folders");
    assert_eq!(ds.classes, ["cat", "dog"]);
    assert_eq!(ds.clips.len(), 4);
    assert_eq!(ds.split_indices(Split::Train).len(), 2);
    assert_eq!(ds.split_indices(Split::Test).len(), 1);
    assert_eq!(ds.split_indices(Split::Validation).len(), 1);
}

#[test]
fn manifest_with_fold_split_and_segments() {
    let dir = tempdir();
    let r = dir.path();
    tone(&r.join("a.wav"), 440.0);
    tone(&r.join("sub/b.wav"), 880.0);
    write_text(
        &r.join("meta.csv"),
        "path,label,fold,split,start,end,comment\n\
         a.wav,dog,1,train,,,x\n\
         sub/b.wav,cat,2,validation,0.1,0.4,\"quoted, comma\"\n\
         a.wav,dog,2,TEST,0.0,0.3,y\n",
    );
    let ds = open(&r.join("meta.csv")).expect("open manifest");
    assert_eq!(ds.format, DatasetFormat::Manifest);
    assert!(ds.problems.is_empty(), "{:?}", ds.problems);
    assert_eq!(ds.classes, ["cat", "dog"]);
    assert_eq!(ds.folds(), [1, 2]);
    assert_eq!(ds.fold_indices(2), [1, 2]);
    assert_eq!(ds.not_fold_indices(2), [0]);
    let b = &ds.clips[1];
    assert_eq!(b.path, r.join("sub/b.wav"));
    assert_eq!((b.start, b.end), (Some(0.1), Some(0.4)));
    assert_eq!(b.split, Some(Split::Validation));
    assert_eq!(b.source_line, Some(3));
    assert_eq!(ds.clips[2].split, Some(Split::Test));
    assert_eq!(ds.clips[0].start, None);
    // Every non-empty cell is kept by column name, for grouping.
    assert_eq!(
        b.columns.get("comment").map(String::as_str),
        Some("quoted, comma")
    );
    assert_eq!(
        ds.clips[0].columns.get("comment").map(String::as_str),
        Some("x")
    );
    assert!(
        !ds.clips[0].columns.contains_key("start"),
        "empty cells are left out"
    );
    let sub = ds.subset(&[2, 0, 99]);
    assert_eq!(sub.clips.len(), 2);
    assert_eq!(sub.classes, ds.classes);
}

#[test]
fn manifest_without_label_column_is_an_error() {
    let dir = tempdir();
    write_text(&dir.path().join("m.csv"), "file,class\na.wav,dog\n");
    match open(&dir.path().join("m.csv")) {
        Err(DataError::MissingColumn { column, .. }) => assert_eq!(column, "path"),
        other => panic!("expected MissingColumn, got {other:?}"),
    }
}

fn esc50_layout(r: &Path) {
    write_text(
        &r.join("meta/esc50.csv"),
        "filename,fold,target,category,esc10,src_file,take\n\
         1-100032-A-0.wav,1,0,dog,True,100032,A\n\
         2-100038-A-14.wav,2,14,chirping_birds,False,100038,A\n\
         5-9032-A-0.wav,5,0,dog,True,9032,A\n",
    );
    for f in ["1-100032-A-0.wav", "2-100038-A-14.wav", "5-9032-A-0.wav"] {
        tone(&r.join("audio").join(f), 500.0);
    }
}

#[test]
fn esc50_root_or_csv() {
    let dir = tempdir();
    let r = dir.path();
    esc50_layout(r);
    for given in [r.to_path_buf(), r.join("meta/esc50.csv")] {
        let ds = open(&given).expect("open esc50");
        assert_eq!(ds.format, DatasetFormat::Esc50);
        assert_eq!(ds.root, r);
        assert_eq!(ds.classes, ["chirping_birds", "dog"]);
        assert_eq!(ds.folds(), [1, 2, 5]);
        assert_eq!(ds.clips[1].path, r.join("audio/2-100038-A-14.wav"));
        assert!(ds.problems.is_empty(), "{:?}", ds.problems);
    }
}

#[test]
fn urbansound8k_root_or_csv() {
    let dir = tempdir();
    let r = dir.path();
    write_text(
        &r.join("metadata/UrbanSound8K.csv"),
        "slice_file_name,fsID,start,end,salience,fold,classID,class\n\
         100032-3-0-0.wav,100032,0.0,0.317551,1,5,3,dog_bark\n\
         100263-2-0-117.wav,100263,58.5,62.5,1,5,2,children_playing\n\
         7383-3-0-0.wav,7383,0.0,4.0,1,1,3,dog_bark\n",
    );
    tone(&r.join("audio/fold5/100032-3-0-0.wav"), 500.0);
    tone(&r.join("audio/fold5/100263-2-0-117.wav"), 600.0);
    tone(&r.join("audio/fold1/7383-3-0-0.wav"), 700.0);
    for given in [r.to_path_buf(), r.join("metadata/UrbanSound8K.csv")] {
        let ds = open(&given).expect("open us8k");
        assert_eq!(ds.format, DatasetFormat::UrbanSound8k);
        assert_eq!(ds.classes, ["children_playing", "dog_bark"]);
        assert_eq!(ds.folds(), [1, 5]);
        // start/end refer to the Freesound original, so clips are whole slice files.
        assert_eq!(ds.clips[1].start, None);
        assert_eq!(ds.clips[2].path, r.join("audio/fold1/7383-3-0-0.wav"));
    }
}

#[test]
fn real_urbansound8k_metadata_parses_without_audio() {
    let Some(dir) = shared_data("urbansound8k_metadata_only") else {
        return;
    };
    let csv = dir.join("UrbanSound8K.csv");
    let parsed = formats::parse_urbansound8k(&csv).expect("parse us8k csv");
    assert_eq!(parsed.clips.len(), 8732);
    assert!(parsed.problems.is_empty());
    assert_eq!(parsed.declared_classes.len(), 10);
    let mut folds: Vec<u32> = parsed.clips.iter().filter_map(|c| c.fold).collect();
    folds.sort_unstable();
    folds.dedup();
    assert_eq!(folds, (1..=10).collect::<Vec<_>>());
    assert_eq!(
        formats::detect(&csv).expect("detect").0,
        DatasetFormat::UrbanSound8k
    );
    // The audio is absent there: validation reports every file and fails.
    match open(&csv) {
        Err(DataError::NoUsableClips { problems, .. }) => {
            let missing = problems
                .iter()
                .filter(|p| p.kind == ProblemKind::MissingFile)
                .count();
            assert_eq!(missing, 8732);
            assert_eq!(problems[0].line, Some(2));
        }
        other => panic!("expected NoUsableClips, got {other:?}"),
    }
}

#[test]
fn audacity_label_tracks() {
    let dir = tempdir();
    let r = dir.path();
    write_wav_long(&r.join("field/rec1.wav"));
    write_text(
        &r.join("field/rec1.txt"),
        "0.100000\t0.500000\tbird\n\\\t2000.0\t4000.0\n0.6\t1.2\tcar\n1.3\t1.3\tpoint\n1.4\t1.9\tbird\n",
    );
    tone(&r.join("field/unlabelled.wav"), 300.0);
    let ds = open(r).expect("open audacity folder");
    assert_eq!(ds.format, DatasetFormat::Audacity);
    assert_eq!(ds.classes, ["bird", "car"]);
    assert_eq!(ds.clips.len(), 3);
    assert_eq!((ds.clips[1].start, ds.clips[1].end), (Some(0.6), Some(1.2)));
    assert_eq!(ds.clips[1].source_line, Some(3));
    let point = ds
        .problems
        .iter()
        .find(|p| matches!(p.kind, ProblemKind::BadSegment { .. }))
        .expect("point label reported");
    assert_eq!(point.line, Some(4));
    assert!(
        ds.problems
            .iter()
            .any(|p| p.kind == ProblemKind::Unlabelled)
    );
    for one in [r.join("field/rec1.txt"), r.join("field/rec1.wav")] {
        let ds = open(&one).expect("open single track");
        assert_eq!(ds.clips.len(), 3);
        assert_eq!(ds.clips[0].path, r.join("field/rec1.wav"));
    }
}

#[test]
fn transcripts_beside_audio_do_not_make_an_audacity_dataset() {
    let dir = tempdir();
    let r = dir.path();
    tone(&r.join("yes/a.wav"), 440.0);
    write_text(&r.join("yes/a.txt"), "yes please\n");
    tone(&r.join("no/b.wav"), 880.0);
    let ds = open(r).expect("open folders with transcripts");
    assert_eq!(ds.format, DatasetFormat::Folders);
    assert_eq!(ds.classes, ["no", "yes"]);
}

fn write_wav_long(path: &Path) {
    crate::common::write_wav(path, 2.0, 440.0, 0.5);
}

#[test]
fn unknown_layout_is_an_error() {
    let dir = tempdir();
    write_text(&dir.path().join("readme.md"), "nothing here");
    assert!(matches!(
        open(dir.path()),
        Err(DataError::UnknownFormat { .. })
    ));
    assert!(matches!(
        open(&dir.path().join("absent")),
        Err(DataError::Io { .. })
    ));
}

#[test]
fn real_fsdd_labels_csv() {
    let Some(dir) = shared_data("fsdd") else {
        return;
    };
    let ds = open(&dir).expect("open fsdd");
    assert_eq!(ds.format, DatasetFormat::Manifest);
    assert_eq!(ds.clips.len(), 3000);
    assert_eq!(ds.classes.len(), 10);
    assert_eq!(ds.split_indices(Split::Test).len(), 300);
    assert_eq!(ds.split_indices(Split::Train).len(), 2700);
    assert!(ds.problems.is_empty(), "{:?}", &ds.problems[..1]);
}

#[test]
fn real_esc10_labels_csv() {
    let Some(dir) = shared_data("esc10") else {
        return;
    };
    let ds = open(&dir).expect("open esc10");
    assert_eq!(ds.clips.len(), 400);
    assert_eq!(ds.classes.len(), 10);
    assert_eq!(ds.folds(), [1, 2, 3, 4, 5]);
    assert_eq!(ds.fold_indices(3).len(), 80);
    assert_eq!(ds.class_counts(), [40; 10]);
    assert!(ds.problems.is_empty(), "{:?}", &ds.problems[..1]);
}
