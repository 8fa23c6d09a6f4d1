//! Render example reports to look at (train/eval -> reports):
//! `cargo run -p hark-eval --example render_report -- OUT_DIR`
//! writes OUT_DIR/eval (10 ESC-10 classes, threshold 0.5), OUT_DIR/cv (5 folds) and
//! OUT_DIR/many (50 classes with long names). Predictions come from a fixed
//! pseudo-random rule, not a model: this shows the pictures, not a result.

use std::path::PathBuf;

use hark_eval::{
    Aggregation, CvSummary, DecisionConfig, Metrics, Report, decide, evaluate, threshold_sweep,
};

/// xorshift: a fixed, seedable sequence so the pictures are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Clip probabilities that favour the true class, more for low class indices.
fn fake_probs(rng: &mut Rng, n_classes: usize, truth: usize) -> Vec<f32> {
    let mut p: Vec<f32> = (0..n_classes).map(|_| rng.next()).collect();
    let confuse = (truth + 1) % n_classes;
    p[truth] += 2.5 * (1.0 - truth as f32 / n_classes as f32) * rng.next() + 0.3;
    p[confuse] += 1.2 * rng.next();
    let sum: f32 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= sum);
    p
}

fn run(
    classes: &[String],
    clips_per_class: usize,
    threshold: Option<f32>,
    seed: u64,
) -> (Metrics, Vec<Vec<f32>>, Vec<usize>) {
    let mut rng = Rng(seed);
    let y_true: Vec<usize> = (0..classes.len())
        .flat_map(|c| std::iter::repeat_n(c, clips_per_class))
        .collect();
    let probs: Vec<Vec<f32>> = y_true
        .iter()
        .map(|&t| fake_probs(&mut rng, classes.len(), t))
        .collect();
    let y_pred: Vec<Option<usize>> = probs.iter().map(|p| decide(p, threshold).label).collect();
    (
        evaluate(classes, &y_true, &y_pred).expect("valid labels"),
        probs,
        y_true,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/eval-report-example".into()),
    );
    let esc10: Vec<String> = [
        "baby_cry",
        "chainsaw",
        "clock_tick",
        "dog_bark",
        "fire_crackling",
        "helicopter",
        "person_sneeze",
        "rain",
        "rooster",
        "sea_waves",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();

    let threshold = Some(0.25);
    let (metrics, probs, y_true) = run(&esc10, 40, threshold, 7);
    let mut r = Report::new(
        "hark eval",
        "esc10 (fold 1 held out)",
        "models/esc10.mpk",
        metrics,
    );
    r.threshold_sweep = Some(threshold_sweep(&probs, &y_true)?);
    r.decision = Some(DecisionConfig {
        aggregation: Aggregation::Mean,
        threshold,
        tuned_for: None,
    });
    r.notes
        .push("Example predictions from a fixed pseudo-random rule, not a trained model.".into());
    let files = r.write_dir(&out.join("eval"))?;
    println!("{files:#?}");

    let folds = (1..=5u64)
        .map(|f| (format!("fold{f}"), run(&esc10, 8, None, f).0))
        .collect::<Vec<_>>();
    let r = Report::cross_validation(
        "hark cv (official folds)",
        "esc10",
        "sb-cnn",
        CvSummary::from_folds(folds)?,
    );
    println!("{:#?}", r.write_dir(&out.join("cv"))?);

    let many: Vec<String> = (0..50)
        .map(|i| format!("class_{i:02}_with_a_rather_long_descriptive_name"))
        .collect();
    let (metrics, _, _) = run(&many, 8, None, 3);
    println!(
        "{:#?}",
        Report::new("hark eval", "fifty classes", "m.mpk", metrics).write_dir(&out.join("many"))?
    );
    Ok(())
}
