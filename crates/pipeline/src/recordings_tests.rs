//! Tests of [`super`]: hand-built window probabilities whose events and scores are known.

use super::*;

/// Tolerance for scores that are simple fractions.
const TOL: f64 = 1e-9;

/// Window length and hop of the hand-built recordings, seconds.
const HOP: f64 = 0.5;

/// 40 windows (20 s) of classes ["a", "b"]: "a" at 0.92 over 2-4 s, "b" at 0.62 over
/// 10-12 s, and "b" at 0.32 over 17-18 s (a false alarm at low onsets); 0 elsewhere.
fn recording() -> ScoredRecording {
    let n = 40;
    let spans: Vec<(f64, f64)> = (0..n)
        .map(|i| (i as f64 * HOP, i as f64 * HOP + HOP))
        .collect();
    let mut probs = vec![0.0f32; n * 2];
    for w in 4..8 {
        probs[w * 2] = 0.92;
    }
    for w in 20..24 {
        probs[w * 2 + 1] = 0.62;
    }
    for w in 34..36 {
        probs[w * 2 + 1] = 0.32;
    }
    ScoredRecording {
        path: "rec.wav".into(),
        duration_s: n as f64 * HOP,
        spans,
        probs,
        warnings: Vec::new(),
    }
}

/// The annotation: "a" 2-4 s, "b" 10-12 s and "c" (not a model class) 15-16 s.
fn annotated() -> Vec<(ScoredRecording, Vec<SedEvent>)> {
    vec![(
        recording(),
        vec![
            SedEvent::new("a", 2.0, 4.0),
            SedEvent::new("b", 10.0, 12.0),
            SedEvent::new("c", 15.0, 16.0),
        ],
    )]
}

fn classes() -> Vec<String> {
    vec!["a".into(), "b".into()]
}

/// No smoothing, no hysteresis: an event is a run of windows at or above `onset`.
fn plain(onset: f32) -> EventConfig {
    EventConfig {
        onset,
        offset: onset,
        smooth_windows: 1,
        ..EventConfig::default()
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < TOL)
}

#[test]
fn operating_point_scores_match_the_events_worked_out_by_hand() {
    let e = evaluate_recordings(
        &annotated(),
        &classes(),
        &plain(0.5),
        &Default::default(),
        &[],
    )
    .expect("evaluates");
    assert_eq!(e.classes, ["a", "b", "c"]);
    assert_eq!(e.unknown_labels, ["c"]);
    assert!(e.notes[0].contains("1 annotated events") && e.notes[0].contains('c'));
    let ev = &e.metrics.event_based;
    // "a" and "b" found exactly, "c" missed: P = 1, R = 2/3.
    assert_eq!(
        (ev.overall.n_ref, ev.overall.n_sys, ev.overall.tp),
        (3, 2, 2)
    );
    assert!(close(ev.overall.f1, 0.8), "{:?}", ev.overall.f1);
    assert!(close(ev.miss_rate, 1.0 / 3.0));
    assert!(close(ev.false_alarms_per_hour, 0.0));
    assert!(close(ev.overall.error_rate, 1.0 / 3.0));
    // Segments: a in 2,3; b in 10,11; c in 15 -> 4 of 5 active pairs found, none extra.
    assert!(close(e.metrics.segment_based.overall.f1, 8.0 / 9.0));
    assert_eq!(e.files[0].reference, 3);
    assert_eq!(e.files[0].detected, 2);
    // Only the operating onset when no grid is given.
    assert_eq!(e.sweep.len(), 1);
}

#[test]
fn sweep_finds_fewer_events_as_the_onset_rises() {
    let e = evaluate_recordings(
        &annotated(),
        &classes(),
        &plain(0.5),
        &Default::default(),
        &default_onsets(),
    )
    .expect("evaluates");
    // The grid 0.05..0.95 already holds 0.5: 19 points, rising.
    assert_eq!(e.sweep.len(), 19);
    assert!(e.sweep.windows(2).all(|w| w[0].onset < w[1].onset));
    let at = |onset: f32| {
        e.sweep
            .iter()
            .find(|p| (p.onset - onset).abs() < 1e-6)
            .expect("grid point")
    };
    // Up to 0.30 the 0.32 blip is an event too: 3 detections, 2 right, 1 false alarm in 20 s.
    let low = at(0.3);
    assert_eq!(low.detected, 3);
    assert!(close(low.event_f1, 2.0 / 3.0));
    assert!(close(low.false_alarms_per_hour, 3600.0 / 20.0));
    assert!(close(low.event_error_rate, 2.0 / 3.0));
    // 0.35 .. 0.60: the operating events.
    assert!(close(at(0.6).event_f1, 0.8));
    assert!(close(at(0.6).false_alarms_per_hour, 0.0));
    // 0.65 .. 0.90: only "a".
    assert_eq!(at(0.9).detected, 1);
    assert!(close(at(0.9).event_f1, 0.5));
    assert!(close(at(0.9).miss_rate, 2.0 / 3.0));
    // 0.95: nothing detected, precision (so F1) undefined, everything missed.
    assert_eq!(at(0.95).detected, 0);
    assert_eq!(at(0.95).event_f1, None);
    assert!(close(at(0.95).miss_rate, 1.0));
    // The best F1 is 0.8, first reached at 0.35.
    let best = e.best.expect("best");
    assert!((best.onset - 0.35).abs() < 1e-6 && close(best.event_f1, 0.8));
}

#[test]
fn offsets_scale_with_the_onset_and_the_operating_onset_is_added() {
    let mut cfg = plain(0.42);
    cfg.offset = 0.21;
    let e = evaluate_recordings(
        &annotated(),
        &classes(),
        &cfg,
        &Default::default(),
        &[0.2, 0.8],
    )
    .expect("evaluates");
    let pts: Vec<(f32, f32)> = e.sweep.iter().map(|p| (p.onset, p.offset)).collect();
    assert_eq!(pts.len(), 3);
    assert!((pts[0].0 - 0.2).abs() < 1e-6 && (pts[0].1 - 0.1).abs() < 1e-6);
    assert_eq!(pts[1], (0.42, 0.21));
    assert!((pts[2].0 - 0.8).abs() < 1e-6 && (pts[2].1 - 0.4).abs() < 1e-6);
}

#[test]
fn a_whole_file_reference_is_cut_at_the_scored_length() {
    let mut ds_clip = hark_data::Clip::new("rec.wav", "a");
    ds_clip.start = None;
    let ds = Dataset {
        root: ".".into(),
        name: "t".into(),
        format: hark_data::DatasetFormat::Audacity,
        classes: vec!["a".into()],
        clips: vec![ds_clip],
        problems: Vec::new(),
    };
    let refs = reference_events(&ds);
    assert_eq!(refs.len(), 1);
    assert!(refs[0].1[0].offset.is_infinite());
    let rec = recording();
    let fe = file_events(&[(rec, refs[0].1.clone())], &classes(), &plain(0.5)).expect("events");
    assert_eq!(fe[0].reference[0].offset, 20.0);
}

#[test]
fn references_are_grouped_by_recording_in_path_order() {
    let clip = |path: &str, label: &str, s: f64, e: f64| {
        let mut c = hark_data::Clip::new(path, label);
        c.start = Some(s);
        c.end = Some(e);
        c
    };
    let ds = Dataset {
        root: ".".into(),
        name: "t".into(),
        format: hark_data::DatasetFormat::Audacity,
        classes: vec!["a".into(), "b".into()],
        clips: vec![
            clip("z.wav", "a", 1.0, 2.0),
            clip("b.wav", "b", 3.0, 4.0),
            clip("z.wav", "b", 5.0, 6.0),
        ],
        problems: Vec::new(),
    };
    let refs = reference_events(&ds);
    let paths: Vec<&str> = refs
        .iter()
        .map(|(p, _)| p.to_str().expect("utf-8"))
        .collect();
    assert_eq!(paths, ["b.wav", "z.wav"]);
    assert_eq!(
        refs[1].1,
        [SedEvent::new("a", 1.0, 2.0), SedEvent::new("b", 5.0, 6.0)]
    );
}

#[test]
fn probabilities_of_the_wrong_shape_are_refused() {
    let mut rec = recording();
    rec.probs.pop();
    let err = evaluate_recordings(
        &[(rec, Vec::new())],
        &classes(),
        &plain(0.5),
        &Default::default(),
        &[],
    )
    .expect_err("refused");
    assert!(matches!(err, PipelineError::Infer(_)), "{err}");
}
