//! Per-clip results for people (eval stage -> reports): one [`ClipRow`] per scored clip, for
//! `predictions.csv` and the report's mistakes, and the spectrograms of the most confident
//! mistakes, drawn from each clip's audio with the model's own feature settings.

use std::collections::BTreeMap;

use hark_data::Dataset;
use hark_eval::ClipRow;
use hark_eval::report::{MAX_MISTAKE_PICTURES, mistakes_by_confidence};
use hark_features::{FeatureConfig, MatrixKind};
use hark_plot::SpectrogramOptions;

use crate::ClipPrediction;

/// Size of a mistake's spectrogram in the report, pixels.
pub const MISTAKE_PICTURE_SIZE: (u32, u32) = (720, 280);

/// One row per prediction, in the order given. `fold` names the round that tested the clips
/// (`hark cv`); without it each row carries the clip's own dataset fold, if any.
pub fn clip_rows(
    ds: &Dataset,
    classes: &[String],
    preds: &[ClipPrediction],
    fold: Option<u32>,
) -> Vec<ClipRow> {
    preds
        .iter()
        .map(|p| {
            let c = &ds.clips[p.clip];
            ClipRow::new(&c.path, &c.label, classes, &p.probs, &p.decision)
                .with_segment(c.start, c.end)
                .with_fold(fold.or(c.fold).map(|f| f.to_string()))
        })
        .collect()
}

/// Spectrogram PNGs of the [`MAX_MISTAKE_PICTURES`] most confident mistakes among `rows`
/// (by row index, for [`hark_eval::Report::mistake_pictures`]), each from its clip's audio
/// (segment) with `cfg`. A clip whose audio cannot be read again gets no picture; the report
/// still lists it.
pub fn mistake_pictures(rows: &[ClipRow], cfg: &FeatureConfig) -> BTreeMap<usize, Vec<u8>> {
    let todo: Vec<usize> = mistakes_by_confidence(rows)
        .into_iter()
        .take(MAX_MISTAKE_PICTURES)
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = todo.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = todo
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|&i| picture(&rows[i], cfg).map(|png| (i, png)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .flatten()
            .collect()
    })
}

fn picture(r: &ClipRow, cfg: &FeatureConfig) -> Option<Vec<u8>> {
    let offset = r.start.unwrap_or(0.0);
    let opts = hark_audio::LoadOptions {
        sr: Some(cfg.sr),
        mono: true,
        offset,
        duration: r.end.map(|e| e - offset),
    };
    let audio = hark_audio::load(&r.file, &opts).ok()?;
    let db = hark_features::feature_matrix(&audio.samples, cfg, MatrixKind::LogMelDb).ok()?;
    let name = r
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let title = format!(
        "{name}: {} taken for {} ({:.1}%)",
        r.true_label,
        r.predicted,
        100.0 * r.probability
    );
    let (width, height) = MISTAKE_PICTURE_SIZE;
    let opts = SpectrogramOptions {
        title,
        show_windows: false,
        width,
        height,
        ..Default::default()
    };
    hark_plot::spectrogram_png(&db, cfg, &opts).ok()
}
