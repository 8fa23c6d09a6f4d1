//! Benchmark (train stage): throughput of each window augmentation, on one thread.
//!
//! ```text
//! cargo run --release -p hark-train --example augment_bench -- [mels frames hop sr]
//! ```
//! Applies each transform of [`hark_train::Augmenter`] to batches of 64 random windows
//! (default 60 x 41, the ESC-10 recipe) and prints, per transform, the median over
//! `REPEATS` runs (timing `apply` only, not the batch copy) of windows per second and of seconds of audio per CPU-second: one window
//! covers `frames * hop / sr` seconds (41 * 512 / 22050 = 0.95 s by default).

use std::time::Instant;

use hark_train::{AugmentConfig, Augmenter, WindowSet};

const BATCH: usize = 64;
const BATCHES: usize = 50;
const REPEATS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let (mels, frames, hop, sr) = match args[..] {
        [] => (60, 41, 512, 22050),
        [m, f, h, s] => (m, f, h, s),
        _ => return Err("usage: augment_bench [mels frames hop sr]".into()),
    };
    let seconds_per_window = (frames * hop) as f64 / sr as f64;
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
        set.push(&w, (i % 10) as u32, i as u32)?;
    }
    let mut x = Vec::with_capacity(BATCH * set.window_len());
    let mut target = vec![0f32; BATCH * 10];
    for spec in [
        "freqmask",
        "timemask",
        "specaugment",
        "mixup",
        "specaugment,mixup",
    ] {
        let mut aug = Augmenter::new(&AugmentConfig::parse(spec)?, 42)?;
        let mut rates = Vec::new();
        for r in 0..REPEATS {
            let mut spent = 0f64;
            for b in 0..BATCHES {
                let idx: Vec<usize> = (b * BATCH..(b + 1) * BATCH).collect();
                x.clear();
                for &i in &idx {
                    x.extend_from_slice(set.window(i));
                }
                target.fill(0.0);
                for (k, &i) in idx.iter().enumerate() {
                    target[k * 10 + set.labels[i] as usize] = 1.0 / BATCH as f32;
                }
                let t0 = Instant::now();
                aug.apply(r + 1, &set, &idx, &mut x, &mut target, None);
                spent += t0.elapsed().as_secs_f64();
            }
            rates.push((BATCH * BATCHES) as f64 / spent);
        }
        let wps = median(rates);
        println!(
            "{{\"transform\":\"{spec}\",\"mels\":{mels},\"frames\":{frames},\"windows_per_s\":{wps:.0},\"audio_s_per_cpu_s\":{:.0}}}",
            wps * seconds_per_window
        );
    }
    Ok(())
}
