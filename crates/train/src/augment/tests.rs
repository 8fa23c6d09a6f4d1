//! Tests of the window augmentations against their definitions.

use super::*;
use crate::WindowSet;

/// Windows with every value distinct, in 3 classes, one window per clip.
fn windows(n: usize, h: usize, w: usize) -> WindowSet {
    let mut set = WindowSet::new(h, w);
    for i in 0..n {
        let win: Vec<f32> = (0..h * w).map(|t| (i * h * w + t) as f32 * 0.01).collect();
        set.push(&win, (i % 3) as u32, i as u32).expect("shape");
    }
    set
}

/// One-hot targets scaled to sum to 1 over the batch, as the training loop builds them.
fn targets(set: &WindowSet, idx: &[usize], c: usize) -> Vec<f32> {
    let mut t = vec![0f32; idx.len() * c];
    for (k, &i) in idx.iter().enumerate() {
        t[k * c + set.labels[i] as usize] = 1.0 / idx.len() as f32;
    }
    t
}

fn batch(set: &WindowSet, idx: &[usize]) -> Vec<f32> {
    idx.iter().flat_map(|&i| set.window(i).to_vec()).collect()
}

/// Masks stay inside the window, never exceed their widths, set exactly the recorded
/// cells to the window's mean and leave every other cell as it was (checked cell by
/// cell against the records, over many seeds, shapes and settings).
#[test]
fn masks_stay_inside_and_within_widths() {
    const MEAN_TOL: f32 = 1e-4;
    for (h, w, fm, tm) in [
        (12, 10, 3, 0.5),
        (40, 32, 8, 0.25),
        (5, 3, 8, 1.0),
        (60, 41, 1, 0.1),
    ] {
        let set = windows(16, h, w);
        let idx: Vec<usize> = (0..16).rev().collect();
        for seed in 0..20u64 {
            let cfg = AugmentConfig {
                freq_mask: Some(FreqMask {
                    p: 0.8,
                    count: 3,
                    max_bands: fm,
                }),
                time_mask: Some(TimeMask {
                    p: 0.8,
                    count: 2,
                    max_fraction: tm,
                }),
                mixup: None,
            };
            let mut aug = Augmenter::new(&cfg, seed).expect("valid");
            let mut x = batch(&set, &idx);
            let mut t = targets(&set, &idx, 3);
            let t0 = t.clone();
            let mut log = Vec::new();
            aug.apply(
                1 + seed as usize % 3,
                &set,
                &idx,
                &mut x,
                &mut t,
                Some(&mut log),
            );
            assert_eq!(t, t0, "masks leave the targets alone");
            assert_eq!(log.len(), idx.len());
            let max_t = (tm * w as f32) as usize;
            for (k, rec) in log.iter().enumerate() {
                assert_eq!(rec.window, idx[k]);
                let orig = set.window(idx[k]);
                let mean = orig.iter().sum::<f32>() / orig.len() as f32;
                let mut masked = vec![false; h * w];
                for &[s0, width] in &rec.freq_masks {
                    assert!(width <= fm.min(h) && s0 + width <= h, "{rec:?}");
                    for m in s0..s0 + width {
                        masked[m * w..(m + 1) * w].fill(true);
                    }
                }
                for &[s0, width] in &rec.time_masks {
                    assert!(width <= max_t && s0 + width <= w, "{rec:?}");
                    for m in 0..h {
                        masked[m * w + s0..m * w + s0 + width].fill(true);
                    }
                }
                assert!(rec.freq_masks.is_empty() || rec.freq_masks.len() == 3);
                let got = &x[k * h * w..(k + 1) * h * w];
                for c in 0..h * w {
                    if masked[c] {
                        assert!((got[c] - mean).abs() <= MEAN_TOL * mean.abs().max(1.0));
                    } else {
                        assert_eq!(got[c], orig[c], "cell {c} of {rec:?}");
                    }
                }
            }
        }
    }
}

/// The mixed window is lambda * own + (1 - lambda) * partner, its target row is the same
/// mix of the two one-hot labels (at the row's own weight), and the batch's targets
/// still sum to 1.
#[test]
fn mixup_mixes_windows_and_targets_alike() {
    const MIX_TOL: f32 = 1e-5;
    let (h, w, c) = (6, 5, 3);
    let set = windows(10, h, w);
    let idx: Vec<usize> = vec![3, 7, 1, 0, 9, 4];
    let cfg = AugmentConfig {
        mixup: Some(Mixup { p: 1.0, alpha: 0.4 }),
        ..Default::default()
    };
    let mut lambdas = Vec::new();
    for seed in 0..30u64 {
        let mut aug = Augmenter::new(&cfg, seed).expect("valid");
        let mut x = batch(&set, &idx);
        let mut t = targets(&set, &idx, c);
        let mut log = Vec::new();
        aug.apply(2, &set, &idx, &mut x, &mut t, Some(&mut log));
        assert!((t.iter().sum::<f32>() - 1.0).abs() < MIX_TOL);
        for (k, rec) in log.iter().enumerate() {
            let m = rec.mixup.expect("p = 1 mixes every window");
            assert_ne!(m.with, idx[k], "mixed with another window");
            assert!(idx.contains(&m.with), "partner from the same batch");
            assert!((0.0..=1.0).contains(&m.lambda));
            lambdas.push(m.lambda);
            let (a, b) = (set.window(idx[k]), set.window(m.with));
            for v in 0..h * w {
                let want = m.lambda * a[v] + (1.0 - m.lambda) * b[v];
                assert!((x[k * h * w + v] - want).abs() <= MIX_TOL * want.abs().max(1.0));
            }
            let row = &t[k * c..(k + 1) * c];
            let sum: f32 = row.iter().sum();
            assert!((sum - 1.0 / idx.len() as f32).abs() < MIX_TOL);
            let mut want = [0f32; 3];
            want[set.labels[idx[k]] as usize] += m.lambda;
            want[set.labels[m.with] as usize] += 1.0 - m.lambda;
            for (got, want) in row.iter().zip(want) {
                assert!((got / sum - want).abs() < MIX_TOL, "{row:?} vs {want:?}");
            }
        }
    }
    // Beta(0.4, 0.4) is U-shaped: most draws lie near 0 or 1, few in the middle.
    let middle = lambdas.iter().filter(|l| (0.25..0.75).contains(*l)).count();
    assert!(
        middle * 3 < lambdas.len(),
        "{middle} of {} in the middle",
        lambdas.len()
    );
}

/// p = 0 applies nothing; the streams depend on seed and epoch.
#[test]
fn probability_zero_is_off_and_streams_follow_seed_and_epoch() {
    let set = windows(8, 12, 10);
    let idx: Vec<usize> = (0..8).collect();
    let run = |spec: &str, seed: u64, epoch: usize| {
        let mut aug =
            Augmenter::new(&AugmentConfig::parse(spec).expect(spec), seed).expect("valid");
        let mut x = batch(&set, &idx);
        let mut t = targets(&set, &idx, 3);
        aug.apply(epoch, &set, &idx, &mut x, &mut t, None);
        (x, t)
    };
    let plain = (batch(&set, &idx), targets(&set, &idx, 3));
    assert_eq!(run("specaugment@0,mixup@0", 1, 1), plain);
    let a = run("specaugment,mixup", 1, 1);
    assert_ne!(a, plain);
    assert_eq!(run("specaugment,mixup", 1, 1), a);
    assert_ne!(run("specaugment,mixup", 2, 1), a);
    assert_ne!(run("specaugment,mixup", 1, 2), a);
}

#[test]
fn spelling_round_trips() {
    for spec in [
        "specaugment",
        "freqmask=3x5@0.5",
        "timemask=1x10%",
        "mixup",
        "mixup=0.4@0.25,timemask=2x0.5",
        "none",
    ] {
        let cfg = AugmentConfig::parse(spec).expect(spec);
        assert_eq!(AugmentConfig::parse(&cfg.to_spec()).expect(spec), cfg);
    }
    let d = AugmentConfig::parse("specaugment,mixup").expect("defaults");
    assert_eq!(d.freq_mask, Some(FreqMask::default()));
    assert_eq!(d.time_mask, Some(TimeMask::default()));
    assert_eq!(d.mixup, Some(Mixup::default()));
    assert!(AugmentConfig::parse("none").expect("none").is_off());
}

#[test]
fn bad_spellings_name_the_problem() {
    let err = |s: &str| AugmentConfig::parse(s).expect_err(s).to_string();
    assert!(err("stretch=0.8:1.25").contains("not available yet"));
    assert!(err("wobble").contains("not an augmentation"));
    assert!(err("mixup=-1").contains("positive"));
    assert!(err("timemask=2x150%").contains("(0, 1]"));
    assert!(err("freqmask=8").contains("COUNTxWIDTH"));
    assert!(err("mixup@2").contains("[0, 1]"));
}
