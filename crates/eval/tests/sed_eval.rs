//! Sound event detection metrics (train/eval: `hark_eval::sed`) checked two ways: small
//! cases worked out by hand, and seeded random fixtures scored by sed_eval itself through
//! `tests/sed/sed_eval_fixtures.py` (skipped, with a message, when sed_eval is not
//! installed; `HARK_PYTHON` names another interpreter than `python3`).

use std::process::Command;

use hark_eval::{
    EvalError, FileEvents, SedConfig, SedEvent, SedScores, evaluate_events, evaluate_sed,
    evaluate_segments, event_labels,
};
use serde_json::{Value, json};

/// Largest difference allowed between a score here and sed_eval's. Both compute in f64 with
/// the same formulas; only the order of a few additions may differ.
const SED_EVAL_TOLERANCE: f64 = 1e-12;
/// Largest difference allowed between a score here and a hand-computed fraction.
const HAND_TOLERANCE: f64 = 1e-12;
/// Seeded random fixtures scored by sed_eval.
const N_RANDOM_FIXTURES: u64 = 12;
/// Seeded fixtures of crowded events scored by sed_eval.
const N_CROWDED_FIXTURES: u64 = 8;
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/sed/sed_eval_fixtures.py"
);

fn ev(label: &str, onset: f64, offset: f64) -> SedEvent {
    SedEvent::new(label, onset, offset)
}

fn file(reference: Vec<SedEvent>, detected: Vec<SedEvent>, duration_s: f64) -> FileEvents {
    FileEvents {
        reference,
        detected,
        duration_s,
    }
}

fn names(labels: &[&str]) -> Vec<String> {
    labels.iter().map(|s| s.to_string()).collect()
}

#[track_caller]
fn close(actual: Option<f64>, expected: f64) {
    let a = actual.expect("score is undefined, expected a number");
    assert!(
        (a - expected).abs() <= HAND_TOLERANCE,
        "got {a}, expected {expected}"
    );
}

/// (n_ref, n_sys, tp, fp, fn, S, D, I)
fn counts(s: &SedScores) -> [usize; 8] {
    [
        s.n_ref,
        s.n_sys,
        s.tp,
        s.fp,
        s.fn_,
        s.substitutions,
        s.deletions,
        s.insertions,
    ]
}

// ---------------------------------------------------------------------------------------
// Hand-computed cases.

#[test]
fn event_based_collars_by_hand() -> Result<(), EvalError> {
    let classes = names(&["dog"]);
    let files = [file(
        vec![ev("dog", 1.0, 3.0), ev("dog", 8.0, 9.0)],
        vec![
            // onset off by 0.15 (<= 0.2); offset off by 0.3 (<= max(0.2, 0.2 x 2 s) = 0.4)
            ev("dog", 1.15, 3.3),
            ev("dog", 5.0, 6.0),
            // onset off by 0.25 > 0.2: no match
            ev("dog", 8.25, 9.0),
        ],
        20.0,
    )];
    let m = evaluate_events(&classes, &files, &SedConfig::default())?;
    assert_eq!(counts(&m.overall), [2, 3, 1, 2, 1, 0, 1, 2]);
    close(m.overall.precision, 1.0 / 3.0);
    close(m.overall.recall, 0.5);
    close(m.overall.f1, 0.4);
    close(m.overall.error_rate, 1.5);
    assert_eq!(m.class_wise[0].scores, m.overall);
    close(m.class_wise_average.f1, 0.4);
    assert_eq!((m.false_alarms, m.misses), (2, 1));
    close(m.false_alarms_per_hour, 2.0 * 180.0);
    close(m.miss_rate, 0.5);

    // Offset off by 0.45 > 0.4: the first pair no longer matches.
    let mut late = files.clone();
    late[0].detected[0].offset = 3.45;
    let m = evaluate_events(&classes, &late, &SedConfig::default())?;
    assert_eq!(m.overall.tp, 0);
    Ok(())
}

#[test]
fn substitution_needs_both_collars_and_another_label() -> Result<(), EvalError> {
    let classes = names(&["cat", "dog"]);
    let files = [file(
        vec![ev("dog", 1.0, 2.0), ev("dog", 4.0, 5.0)],
        vec![ev("cat", 1.05, 2.0), ev("cat", 4.5, 5.0)],
        10.0,
    )];
    let m = evaluate_events(&classes, &files, &SedConfig::default())?;
    // First pair: a substitution. Second: onset 0.5 off, a deletion and an insertion.
    assert_eq!(counts(&m.overall), [2, 2, 0, 1, 1, 1, 1, 1]);
    close(m.overall.error_rate, 1.5);
    close(m.overall.substitution_rate, 0.5);
    // Class-wise there are no substitutions: every unmatched event counts.
    let cat = &m.class_wise[0].scores;
    let dog = &m.class_wise[1].scores;
    assert_eq!(counts(cat), [0, 2, 0, 2, 0, 0, 0, 2]);
    assert_eq!(counts(dog), [2, 0, 0, 0, 2, 0, 2, 0]);
    assert_eq!((cat.recall, cat.error_rate, cat.f1), (None, None, None));
    close(cat.precision, 0.0);
    assert_eq!(dog.precision, None);
    close(dog.error_rate, 1.0);
    // Averages over the classes where each value is defined.
    close(m.class_wise_average.precision, 0.0);
    close(m.class_wise_average.recall, 0.0);
    assert_eq!(m.class_wise_average.f1, None);
    close(m.class_wise_average.error_rate, 1.0);
    // Misses and false alarms count substituted events too.
    assert_eq!((m.false_alarms, m.misses), (2, 2));
    Ok(())
}

/// sed_eval keeps the matching its Hopcroft-Karp finds first, and substitutions are then
/// counted among what it left over, so the reference order can change S (checked against
/// sed_eval 0.2.1: ER 0.5, then 1.0).
#[test]
fn matching_order_decides_substitutions_as_in_sed_eval() -> Result<(), EvalError> {
    let classes = names(&["x", "y"]);
    let a = ev("x", 0.3, 1.3);
    let b = ev("x", 0.5, 1.5);
    // s1 fits a and b; s2 (another label) fits only b.
    let detected = vec![ev("x", 0.4, 1.4), ev("y", 0.65, 1.65)];
    let cfg = SedConfig::default();
    let ab = [file(vec![a.clone(), b.clone()], detected.clone(), 2.5)];
    let m = evaluate_events(&classes, &ab, &cfg)?;
    assert_eq!(counts(&m.overall), [2, 2, 1, 0, 0, 1, 0, 0]);
    close(m.overall.error_rate, 0.5);
    let ba = [file(vec![b, a], detected, 2.5)];
    let m = evaluate_events(&classes, &ba, &cfg)?;
    assert_eq!(counts(&m.overall), [2, 2, 1, 1, 1, 0, 1, 1]);
    close(m.overall.error_rate, 1.0);
    Ok(())
}

/// Leftovers are paired greedily in list order: the first wrong-label detection that fits
/// is taken even when another would leave one for a later reference (sed_eval 0.2.1: S = 1).
#[test]
fn substitutions_are_greedy_in_list_order() -> Result<(), EvalError> {
    let classes = names(&["cat", "dog"]);
    let files = [file(
        vec![ev("dog", 1.0, 2.0), ev("dog", 1.1, 2.1)],
        // The first fits both references, the second only the first reference.
        vec![ev("cat", 1.05, 2.05), ev("cat", 0.85, 1.85)],
        3.0,
    )];
    let m = evaluate_events(&classes, &files, &SedConfig::default())?;
    assert_eq!(counts(&m.overall), [2, 2, 0, 1, 1, 1, 1, 1]);
    close(m.overall.error_rate, 1.5);
    Ok(())
}

/// Collars are inclusive: an onset exactly 0.2 s late still matches.
#[test]
fn collar_edges_are_inside() -> Result<(), EvalError> {
    let classes = names(&["dog"]);
    let cfg = SedConfig::default();
    let on_edge = [file(
        vec![ev("dog", 0.0, 1.0)],
        vec![ev("dog", 0.2, 1.0)],
        3.0,
    )];
    assert_eq!(evaluate_events(&classes, &on_edge, &cfg)?.overall.tp, 1);
    let past = [file(
        vec![ev("dog", 0.0, 1.0)],
        vec![ev("dog", 0.21, 1.0)],
        3.0,
    )];
    assert_eq!(evaluate_events(&classes, &past, &cfg)?.overall.tp, 0);
    Ok(())
}

#[test]
fn optimal_matching_beats_greedy() -> Result<(), EvalError> {
    // The first detection fits both references, the second only the first reference: a
    // greedy pairing in list order finds one pair, the maximum matching two.
    let classes = names(&["x"]);
    let files = [file(
        vec![ev("x", 1.0, 2.0), ev("x", 1.15, 2.15)],
        vec![ev("x", 1.1, 2.1), ev("x", 0.85, 1.85)],
        3.0,
    )];
    let m = evaluate_events(&classes, &files, &SedConfig::default())?;
    assert_eq!(m.overall.tp, 2);
    close(m.overall.f1, 1.0);
    close(m.overall.error_rate, 0.0);
    Ok(())
}

#[test]
fn segment_based_by_hand() -> Result<(), EvalError> {
    let classes = names(&["cat", "dog"]);
    // 2.5 s: segments [0,1), [1,2), [2,2.5).
    let files = [file(
        vec![ev("dog", 0.2, 1.1)],
        vec![ev("dog", 1.5, 2.2), ev("cat", 0.0, 0.5)],
        2.5,
    )];
    let m = evaluate_segments(&classes, &files, &SedConfig::default())?;
    assert_eq!(m.n_segments, 3);
    // seg 0: ref dog, sys cat -> S; seg 1: dog, dog -> TP; seg 2: -, dog -> I.
    assert_eq!(counts(&m.overall), [2, 3, 1, 2, 1, 1, 0, 1]);
    close(m.overall.error_rate, 1.0);
    close(m.overall.precision, 1.0 / 3.0);
    close(m.overall.f1, 0.4);
    let dog = &m.class_wise[1].scores;
    assert_eq!(counts(dog), [2, 2, 1, 1, 1, 0, 1, 1]);
    close(dog.error_rate, 1.0);
    close(m.class_wise_average.precision, 0.25);
    close(m.class_wise_average.f1, 0.5);
    close(m.class_wise_average.error_rate, 1.0);

    // An event past the end is cut at the last segment; a 3 s file has no fourth one.
    let long = [file(vec![ev("dog", 2.2, 7.0)], vec![], 3.0)];
    let m = evaluate_segments(&classes, &long, &SedConfig::default())?;
    assert_eq!((m.n_segments, m.overall.n_ref), (3, 1));
    Ok(())
}

#[test]
fn files_accumulate_and_never_match_across() -> Result<(), EvalError> {
    let classes = names(&["dog"]);
    let files = [
        file(vec![ev("dog", 1.0, 2.0)], vec![], 1800.0),
        file(vec![], vec![ev("dog", 1.0, 2.0)], 1800.0),
    ];
    let m = evaluate_sed(&classes, &files, &SedConfig::default())?;
    assert_eq!(counts(&m.event_based.overall), [1, 1, 0, 1, 1, 0, 1, 1]);
    close(m.event_based.false_alarms_per_hour, 1.0);
    close(m.event_based.miss_rate, 1.0);
    assert_eq!(m.segment_based.n_segments, 3600);
    assert_eq!(m.segment_based.overall.tp, 0);
    assert_eq!((m.n_files, m.duration_s), (2, 3600.0));
    Ok(())
}

#[test]
fn report_json_names_fn_and_writes_null_when_undefined() -> Result<(), EvalError> {
    let classes = names(&["dog"]);
    let files = [file(vec![ev("dog", 1.0, 2.0)], vec![], 5.0)];
    let m = evaluate_sed(&classes, &files, &SedConfig::default())?;
    let v = serde_json::to_value(&m).expect("serialise");
    let overall = &v["event_based"]["overall"];
    assert_eq!(overall["fn"], json!(1));
    assert_eq!(overall["precision"], Value::Null);
    assert_eq!(v["event_based"]["class_wise"][0]["label"], json!("dog"));
    assert_eq!(v["config"]["t_collar"], json!(0.2));
    Ok(())
}

#[test]
fn bad_input_is_refused_with_the_reason() {
    let classes = names(&["dog"]);
    let cfg = SedConfig::default();
    let ok = file(vec![ev("dog", 1.0, 2.0)], vec![], 5.0);
    let err = |files: &[FileEvents], classes: &[String], cfg: &SedConfig| {
        evaluate_sed(classes, files, cfg)
            .expect_err("bad input accepted")
            .to_string()
    };
    let unknown = file(vec![], vec![ev("cat", 1.0, 2.0)], 5.0);
    assert!(err(&[ok.clone(), unknown], &classes, &cfg).contains("file 1, detected event 0"));
    let backwards = file(vec![ev("dog", 2.0, 1.0)], vec![], 5.0);
    assert!(err(&[backwards], &classes, &cfg).contains("onset <= offset"));
    let no_length = file(vec![], vec![], f64::NAN);
    assert!(err(&[no_length], &classes, &cfg).contains("duration"));
    assert!(err(&[], &classes, &cfg).contains("empty"));
    assert!(err(std::slice::from_ref(&ok), &names(&["dog", "dog"]), &cfg).contains("twice"));
    let cfg = SedConfig {
        t_collar: 0.0,
        ..SedConfig::default()
    };
    assert!(err(&[ok], &classes, &cfg).contains("t_collar"));
}

#[test]
fn event_labels_is_the_sorted_union() {
    let files = [
        file(vec![ev("siren", 0.0, 1.0)], vec![ev("dog", 0.0, 1.0)], 2.0),
        file(vec![ev("dog", 0.0, 1.0)], vec![ev("alarm", 0.0, 1.0)], 2.0),
    ];
    assert_eq!(event_labels(&files), names(&["alarm", "dog", "siren"]));
}

// ---------------------------------------------------------------------------------------
// Against sed_eval.

/// SplitMix64: a small seeded generator, so the fixtures are the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// Times on a grid, so that many differences land exactly on (or one float away from) a
/// collar.
fn snap(x: f64, grid: f64) -> f64 {
    (x / grid).round() * grid
}

/// Several files and classes; overlapping events of one class and of several; detections
/// shifted by amounts at and around the collars; misses, doubles, wrong labels and
/// insertions; empty references or detections; events past the end; lengths that are not
/// whole seconds.
fn random_fixture(seed: u64) -> (Vec<String>, Vec<FileEvents>) {
    let mut rng = Rng(seed);
    let all = ["alarm", "dog_bark", "engine", "siren"];
    let classes = names(&all[..2 + rng.below(3)]);
    let label = |rng: &mut Rng| classes[rng.below(classes.len())].clone();
    let onset_shifts = [0.0, 0.1, -0.1, 0.19, -0.2, 0.2, 0.21, -0.21, 0.3, 0.05];
    let files = (0..1 + rng.below(4))
        .map(|_| {
            let grid = rng.pick(&[0.01, 0.05, 0.1]);
            let duration_s = if rng.chance(0.2) {
                (5 + rng.below(40)) as f64
            } else {
                snap(5.0 + 55.0 * rng.unit(), 0.01)
            };
            let mut reference = Vec::new();
            for _ in 0..rng.below(16) {
                // Some events start with the file, where a shift of 0.2 is exactly 0.2.
                let onset = if rng.chance(0.1) {
                    0.0
                } else {
                    snap(rng.unit() * duration_s, grid)
                };
                let len = snap(0.05 + rng.unit() * rng.pick(&[0.5, 2.0, 8.0]), grid).max(grid);
                reference.push(SedEvent::new(label(&mut rng), onset, onset + len));
                if rng.chance(0.25) {
                    // Another event of the same class overlapping this one.
                    let inner = snap(onset + rng.unit() * len, grid);
                    let l = reference[reference.len() - 1].label.clone();
                    reference.push(SedEvent::new(l, inner, inner + len));
                }
            }
            let mut detected = Vec::new();
            for r in &reference {
                if rng.chance(0.15) {
                    continue; // missed
                }
                let copies = if rng.chance(0.1) { 2 } else { 1 };
                for _ in 0..copies {
                    let l = if rng.chance(0.25) {
                        label(&mut rng)
                    } else {
                        r.label.clone()
                    };
                    let len = r.offset - r.onset;
                    let mut d_on = rng.pick(&onset_shifts);
                    if rng.chance(0.1) {
                        d_on += 1e-9 * if rng.chance(0.5) { 1.0 } else { -1.0 };
                    }
                    let d_off = match rng.below(4) {
                        0 => rng.pick(&onset_shifts),
                        1 => 0.2 * len,
                        2 => -(0.2 * len + grid),
                        _ => rng.pick(&[-1.0, 1.0]) * rng.unit() * 0.5 * len,
                    };
                    let onset = (r.onset + d_on).max(0.0);
                    let offset = (r.offset + d_off).max(onset);
                    detected.push(SedEvent::new(l, onset, offset));
                }
            }
            for _ in 0..rng.below(4) {
                let onset = snap(rng.unit() * duration_s, grid);
                let len = snap(0.1 + rng.unit() * 3.0, grid);
                detected.push(SedEvent::new(label(&mut rng), onset, onset + len));
            }
            // Detections in time order would be too kind to order-dependent code.
            for k in (1..detected.len()).rev() {
                detected.swap(k, rng.below(k + 1));
            }
            if rng.chance(0.15) {
                reference.clear();
            } else if rng.chance(0.15) {
                detected.clear();
            }
            FileEvents {
                reference,
                detected,
                duration_s,
            }
        })
        .collect();
    (classes, files)
}

/// Crowds: bursts of events of a few classes, all within a few collars of each other, in
/// shuffled order. Many maximum matchings exist and many leftovers compete for
/// substitutions, so only sed_eval's exact visiting orders give its numbers.
fn crowded_fixture(seed: u64) -> (Vec<String>, Vec<FileEvents>) {
    let mut rng = Rng(seed);
    let classes = names(&["alarm", "dog_bark", "siren"]);
    let jitter = |rng: &mut Rng| 0.05 * (rng.below(13) as f64 - 6.0);
    let files = (0..1 + rng.below(3))
        .map(|_| {
            let duration_s = snap(20.0 + 20.0 * rng.unit(), 0.01);
            let (mut reference, mut detected) = (Vec::new(), Vec::new());
            for burst in 0..5 {
                let t = 1.0 + 3.5 * burst as f64;
                for (list, n) in [
                    (&mut reference, 2 + rng.below(4)),
                    (&mut detected, 2 + rng.below(5)),
                ] {
                    for _ in 0..n {
                        let onset = t + jitter(&mut rng);
                        let offset = onset + 1.0 + jitter(&mut rng);
                        list.push(SedEvent::new(
                            rng.pick(&["alarm", "dog_bark", "siren"]),
                            onset,
                            offset,
                        ));
                    }
                }
            }
            for list in [&mut reference, &mut detected] {
                for k in (1..list.len()).rev() {
                    list.swap(k, rng.below(k + 1));
                }
            }
            FileEvents {
                reference,
                detected,
                duration_s,
            }
        })
        .collect();
    (classes, files)
}

/// The random fixtures and a few made to reach the edges.
fn fixtures() -> Vec<(Vec<String>, Vec<FileEvents>)> {
    let mut out: Vec<_> = (1..=N_RANDOM_FIXTURES).map(random_fixture).collect();
    out.extend((1..=N_CROWDED_FIXTURES).map(|k| crowded_fixture(1000 + k)));
    // No detections at all: precision undefined everywhere.
    let (classes, mut files) = random_fixture(101);
    files.iter_mut().for_each(|f| f.detected.clear());
    files[0].reference.push(ev(&classes[0], 0.5, 1.5));
    out.push((classes, files));
    // No reference events at all: recall and error rates undefined.
    let (classes, mut files) = random_fixture(102);
    files.iter_mut().for_each(|f| f.reference.clear());
    files[0].detected.push(ev(&classes[0], 0.5, 1.5));
    out.push((classes, files));
    // A class only ever detected, and one never used: where sed_eval divides by 2.2e-16.
    let (mut classes, mut files) = random_fixture(103);
    classes.extend(names(&["ghost", "unused"]));
    files[0].reference.push(ev(&classes[0], 0.5, 1.5));
    files[0].detected.push(ev("ghost", 2.0, 3.0));
    out.push((classes, files));
    // The hand case where sed_eval's matching order decides a substitution.
    let (a, b) = (ev("alarm", 0.3, 1.3), ev("alarm", 0.5, 1.5));
    let detected = vec![ev("alarm", 0.4, 1.4), ev("siren", 0.65, 1.65)];
    out.push((
        names(&["alarm", "siren"]),
        vec![
            file(vec![a.clone(), b.clone()], detected.clone(), 2.5),
            file(vec![b, a], detected, 2.5),
        ],
    ));
    out
}

/// What one comparison covered.
#[derive(Default)]
struct Tally {
    numbers: usize,
    max_diff: f64,
    substitutions: usize,
    divergent_rows: usize,
}

const RATE_KEYS: [&str; 5] = [
    "recall",
    "error_rate",
    "substitution_rate",
    "deletion_rate",
    "insertion_rate",
];

/// Compare every value sed_eval gave (`theirs`) with ours. With `undefined_rates` (a row
/// without reference events), recall and the rates must be undefined here: sed_eval
/// divides by 0 + 2.2e-16 there, or yields NaN.
fn compare_fields(
    at: &str,
    ours: &Value,
    theirs: &serde_json::Map<String, Value>,
    undefined_rates: bool,
    tally: &mut Tally,
) {
    for (key, t) in theirs {
        let o = ours
            .get(key)
            .unwrap_or_else(|| panic!("{at}: no {key} here"));
        tally.numbers += 1;
        if undefined_rates && RATE_KEYS.contains(&key.as_str()) {
            assert!(o.is_null(), "{at}.{key}: {o} with no reference events");
            continue;
        }
        match (o.as_f64(), t.as_f64()) {
            (Some(o), Some(t)) => {
                let diff = (o - t).abs();
                assert!(
                    diff <= SED_EVAL_TOLERANCE,
                    "{at}.{key}: {o} here, {t} in sed_eval"
                );
                tally.max_diff = tally.max_diff.max(diff);
            }
            _ => assert!(
                o.is_null() && t.is_null(),
                "{at}.{key}: {o} here, {t} in sed_eval"
            ),
        }
    }
}

fn compare_row(at: &str, ours: &Value, theirs: &Value, tally: &mut Tally) {
    let theirs = theirs.as_object().expect("sed_eval row is an object");
    let no_ref = theirs["n_ref"].as_f64() == Some(0.0);
    tally.divergent_rows += usize::from(no_ref);
    compare_fields(at, ours, theirs, no_ref, tally);
}

/// Both views (event-based, segment-based) of one fixture. Where a class has no reference
/// events, the rate averages are checked against the mean of sed_eval's class rows that
/// have some (see the `sed` module docs); the other averages against sed_eval's.
fn compare_view(at: &str, ours: &Value, theirs: &Value, tally: &mut Tally) {
    compare_row(
        &format!("{at}.overall"),
        &ours["overall"],
        &theirs["overall"],
        tally,
    );
    for row in ours["class_wise"].as_array().expect("class_wise list") {
        let label = row["label"].as_str().expect("label");
        compare_row(
            &format!("{at}.class_wise.{label}"),
            row,
            &theirs["class_wise"][label],
            tally,
        );
    }
    let rows: Vec<&Value> = theirs["class_wise"]
        .as_object()
        .expect("class_wise map")
        .values()
        .collect();
    assert_eq!(
        rows.len(),
        ours["class_wise"].as_array().map_or(0, Vec::len)
    );
    let mut expected = theirs["class_wise_average"]
        .as_object()
        .expect("class_wise_average map")
        .clone();
    if rows.iter().any(|r| r["n_ref"].as_f64() == Some(0.0)) {
        for key in ["error_rate", "deletion_rate", "insertion_rate"] {
            let defined: Vec<f64> = rows
                .iter()
                .filter(|r| r["n_ref"].as_f64() != Some(0.0))
                .filter_map(|r| r[key].as_f64())
                .collect();
            let mean = defined.iter().sum::<f64>() / defined.len() as f64;
            expected.insert(
                key.into(),
                if defined.is_empty() {
                    Value::Null
                } else {
                    json!(mean)
                },
            );
        }
    }
    compare_fields(
        &format!("{at}.class_wise_average"),
        &ours["class_wise_average"],
        &expected,
        false,
        tally,
    );
}

fn python() -> String {
    std::env::var("HARK_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn sed_eval_present() -> bool {
    Command::new(python())
        .args(["-c", "import sed_eval"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn random_fixtures_match_sed_eval() {
    if !sed_eval_present() {
        println!("SKIP: sed_eval not installed (pip install sed_eval)");
        return;
    }
    let cfg = SedConfig::default();
    let fixtures = fixtures();
    let input = json!({
        "fixtures": fixtures
            .iter()
            .map(|(classes, files)| json!({"classes": classes, "config": cfg, "files": files}))
            .collect::<Vec<_>>()
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fixtures.json");
    std::fs::write(&path, input.to_string()).expect("write fixtures");
    let out = Command::new(python())
        .arg(SCRIPT)
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "sed_eval script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = serde_json::from_slice(&out.stdout).expect("sed_eval JSON");
    let theirs = theirs["results"].as_array().expect("results");
    assert_eq!(theirs.len(), fixtures.len());

    let mut tally = Tally::default();
    for (k, ((classes, files), theirs)) in fixtures.iter().zip(theirs).enumerate() {
        let m = evaluate_sed(classes, files, &cfg).expect("evaluate");
        let ours = serde_json::to_value(&m).expect("serialise");
        for view in ["event_based", "segment_based"] {
            compare_view(
                &format!("fixture {k}.{view}"),
                &ours[view],
                &theirs[view],
                &mut tally,
            );
        }
        // The extra event-based fields follow from sed_eval's counts.
        let t = &theirs["event_based"]["overall"];
        let num = |key: &str| t[key].as_f64().expect("count") as usize;
        let eb = &m.event_based;
        assert_eq!(eb.false_alarms, num("n_sys") - num("tp"), "fixture {k}");
        assert_eq!(eb.misses, num("n_ref") - num("tp"), "fixture {k}");
        let hours = files.iter().map(|f| f.duration_s).sum::<f64>() / 3600.0;
        let fa = (num("n_sys") - num("tp")) as f64 / hours;
        let fa_here = eb.false_alarms_per_hour.expect("files have a length");
        assert!((fa_here - fa).abs() <= SED_EVAL_TOLERANCE * fa.max(1.0));
        match t["recall"].as_f64() {
            Some(r) => {
                let miss = eb.miss_rate.expect("miss rate");
                assert!(
                    (miss - (1.0 - r)).abs() <= SED_EVAL_TOLERANCE,
                    "fixture {k}"
                );
            }
            None => assert_eq!(eb.miss_rate, None),
        }
        tally.numbers += 4;
        tally.substitutions += eb.overall.substitutions;
    }
    // The fixtures reach the cases they are meant to.
    assert!(tally.substitutions > 0, "no substitution in any fixture");
    assert!(
        tally.divergent_rows > 0,
        "no class without reference events"
    );
    println!(
        "sed_eval agrees: {} fixtures, {} numbers compared, max |difference| = {:e} \
         (tolerance {:e}), {} substitutions, {} rows without reference events",
        fixtures.len(),
        tally.numbers,
        tally.max_diff,
        SED_EVAL_TOLERANCE,
        tally.substitutions,
        tally.divergent_rows
    );
}
