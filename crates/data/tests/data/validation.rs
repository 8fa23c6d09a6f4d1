//! Validation: every kind of problem is reported with its line, and the rest is kept.

use hark_data::{DataError, ProblemKind, open};

use crate::common::{tempdir, tone, write_text};

#[test]
fn each_problem_is_reported_with_its_line() {
    let dir = tempdir();
    let r = dir.path();
    tone(&r.join("a.wav"), 440.0);
    tone(&r.join("b.wav"), 880.0);
    tone(&r.join("c.wav"), 660.0);
    write_text(
        &r.join("m.csv"),
        "path,label,split,start,end\n\
         a.wav,dog,train,,\n\
         b.wav,cat,test,,\n\
         missing.wav,dog,train,,\n\
         gone.wav,bird,train,,\n\
         ./a.wav,dog,train,,\n\
         c.wav,cow,train\n\
         c.wav,cow,train,zero,1\n\
         c.wav,cow,train,0.5,0.5\n\
         c.wav,cow,holdout,,\n\
         c.wav,,train,,\n\
         a.wav,dog,train,0,0.2\n",
    );
    let ds = open(&r.join("m.csv")).expect("open with problems");
    assert_eq!(ds.classes, ["cat", "dog"]);
    assert_eq!(ds.clips.len(), 3, "a, b, and the a.wav segment");
    let at = |line: usize| {
        ds.problems
            .iter()
            .find(|p| p.line == Some(line))
            .map(|p| p.kind.clone())
            .unwrap_or_else(|| panic!("no problem at line {line}: {:?}", ds.problems))
    };
    assert_eq!(at(4), ProblemKind::MissingFile);
    assert_eq!(at(5), ProblemKind::MissingFile);
    assert_eq!(
        at(6),
        ProblemKind::Duplicate {
            first_line: Some(2)
        }
    );
    assert!(
        matches!(at(7), ProblemKind::UnreadableRow { .. }),
        "column count"
    );
    assert!(
        matches!(at(8), ProblemKind::UnreadableRow { .. }),
        "bad number"
    );
    assert!(
        matches!(at(9), ProblemKind::BadSegment { .. }),
        "start >= end"
    );
    assert!(
        matches!(at(10), ProblemKind::UnreadableRow { .. }),
        "bad split"
    );
    assert!(
        matches!(at(11), ProblemKind::UnreadableRow { .. }),
        "empty label"
    );
    // bird: all its files missing; cow: all its rows unreadable.
    for class in ["bird", "cow"] {
        assert!(
            ds.problems.iter().any(|p| p.kind
                == ProblemKind::EmptyClass {
                    class: class.into()
                }),
            "empty class {class} not reported: {:?}",
            ds.problems
        );
    }
    assert_eq!(ds.problems.len(), 10);
    let shown = ds.problems[0].to_string();
    assert!(
        shown.contains("m.csv:4") && shown.contains("missing.wav"),
        "{shown}"
    );
    let summary = hark_data::summarize(&ds.problems);
    assert!(summary.contains("2 missing files"), "{summary}");
}

#[test]
fn only_one_class_is_an_error() {
    let dir = tempdir();
    tone(&dir.path().join("a.wav"), 440.0);
    write_text(
        &dir.path().join("m.csv"),
        "path,label\na.wav,dog\nb.wav,cat\n",
    );
    match open(&dir.path().join("m.csv")) {
        Err(DataError::TooFewClasses {
            classes, problems, ..
        }) => {
            assert_eq!(classes, ["dog"]);
            assert_eq!(problems.len(), 2, "missing b.wav and empty class cat");
        }
        other => panic!("expected TooFewClasses, got {other:?}"),
    }
}

#[test]
fn nothing_left_is_an_error() {
    let dir = tempdir();
    write_text(
        &dir.path().join("m.csv"),
        "path,label\nx.wav,dog\ny.wav,cat\n",
    );
    match open(&dir.path().join("m.csv")) {
        Err(e @ DataError::NoUsableClips { .. }) => {
            assert!(e.to_string().contains("2 missing files"), "{e}");
        }
        other => panic!("expected NoUsableClips, got {other:?}"),
    }
}
