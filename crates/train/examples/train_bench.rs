//! Benchmark (train stage): SB-CNN training throughput and inference latency on burn Flex.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release -p hark-train --example train_bench -- [mels frames]
//! ```
//! Trains the default SB-CNN (10 classes, batch 64, Adam lr 1e-3) on random windows for
//! `EPOCHS` epochs of `BATCHES` batches through the real [`hark_train::train`] loop and
//! reports the median epoch throughput; then times [`hark_infer::Predictor::predict`] at
//! batch 64 and batch 1 (median of `REPEATS`) on burn Flex and on hark's plan engine
//! (batch 64 split across the threads). Prints one JSON line per measurement so
//! `bench/train/run.sh` can compare it with the PyTorch script.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use hark_infer::{ModelFile, ModelMeta, Predictor, TrainingSummary};
use hark_model::ModelConfig;
use hark_model::burn::tensor::Device;
use hark_train::{
    EpochStats, NoObserver, OptimizerConfig, TrainConfig, TrainObserver, WindowSet, train,
};

const CLASSES: usize = 10;
const BATCH: usize = 64;
const BATCHES: usize = 8;
const EPOCHS: usize = 5;
const REPEATS: usize = 20;

struct Print;
impl TrainObserver for Print {
    fn on_epoch(&mut self, s: &EpochStats) {
        eprintln!(
            "epoch {} loss {:.4} {:.1} windows/s",
            s.epoch, s.train_loss, s.windows_per_sec
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (mels, frames) = (
        args.first().copied().unwrap_or(60),
        args.get(1).copied().unwrap_or(41),
    );
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());

    // Random windows (values do not change the cost).
    let mut set = WindowSet::new(mels, frames);
    let mut s = 1u64;
    let mut w = vec![0f32; mels * frames];
    for i in 0..BATCH * BATCHES {
        for v in &mut w {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *v = ((s >> 40) as f32) / (1u64 << 24) as f32 - 0.5;
        }
        set.push(&w, (i % CLASSES) as u32, i as u32)?;
    }
    let model = ModelConfig::default();
    let cfg = TrainConfig {
        epochs: EPOCHS,
        batch_size: BATCH,
        optimizer: OptimizerConfig::Adam {
            lr: 1e-3,
            weight_decay: None,
        },
        patience: None,
        ..Default::default()
    };
    let _ = NoObserver;
    let out = train(
        &model,
        &cfg,
        CLASSES,
        &set,
        None,
        &mut Print,
        &AtomicBool::new(false),
    )?;
    // Skip the first epoch (warm-up) in the median.
    let train_rate = median(
        out.history
            .iter()
            .skip(1)
            .map(|e| f64::from(e.windows_per_sec))
            .collect(),
    );
    println!(
        "{{\"impl\":\"burn-flex\",\"what\":\"train_step\",\"input\":\"1x{mels}x{frames}\",\"batch\":{BATCH},\"threads\":\"{threads}\",\"windows_per_sec\":{train_rate:.1}}}"
    );

    let file = ModelFile {
        meta: ModelMeta {
            model,
            features: hark_features::FeatureConfig {
                n_mels: mels,
                window_frames: frames,
                ..Default::default()
            },
            class_names: (0..CLASSES).map(|i| format!("c{i}")).collect(),
            decision: Default::default(),
            input_shape: [1, mels, frames],
            held_out: Default::default(),
            training: TrainingSummary::default(),
            input_profile: None,
        },
        weights: out.weights,
    };
    // burn's Flex backend (its own threads), then the plan engine: one window at a time per
    // thread, so batch 64 is split across `n_threads` scoped threads as hark's callers do.
    let burn = Predictor::with_device(&file, Device::flex())?;
    let engine = Predictor::new(&file)?;
    let n_threads = threads.parse::<usize>().unwrap_or_else(|_| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    for (name, pred) in [("burn-flex", &burn), ("hark-engine", &engine)] {
        for batch in [64usize, 1] {
            let x = &set.data[..batch * mels * frames];
            let wl = mels * frames;
            let run = || -> Result<(), hark_infer::InferError> {
                if batch == 1 || name == "burn-flex" {
                    pred.predict(x, batch).map(drop)
                } else {
                    let per = batch.div_ceil(n_threads);
                    std::thread::scope(|s| {
                        let parts: Vec<_> = x
                            .chunks(per * wl)
                            .map(|part| s.spawn(move || pred.predict(part, part.len() / wl)))
                            .collect();
                        parts
                            .into_iter()
                            .try_for_each(|h| h.join().expect("thread").map(drop))
                    })
                }
            };
            run()?; // warm-up
            let mut times = Vec::with_capacity(REPEATS);
            for _ in 0..REPEATS {
                let t = Instant::now();
                run()?;
                times.push(t.elapsed().as_secs_f64());
            }
            let t = median(times);
            println!(
                "{{\"impl\":\"{name}\",\"what\":\"inference\",\"input\":\"1x{mels}x{frames}\",\"batch\":{batch},\"threads\":\"{threads}\",\"windows_per_sec\":{:.1},\"ms_per_window\":{:.3}}}",
                batch as f64 / t,
                1e3 * t / batch as f64
            );
        }
    }
    Ok(())
}
