//! Parallel cached extraction on generated audio: bad files, silence, segments, cache behaviour.

use std::path::Path;
use std::time::{Duration, SystemTime};

use std::sync::Mutex;

use hark_data::{ExtractObserver, ExtractOptions, ExtractStats, ProblemKind, extract, open};

use crate::common::{SR, small_config, tempdir, tone, write_text, write_wav};

/// A manifest dataset: 4 good clips, one missing file, one corrupt (text renamed .wav).
fn dataset(r: &Path) -> hark_data::Dataset {
    tone(&r.join("a.wav"), 440.0);
    tone(&r.join("b.wav"), 880.0);
    write_wav(&r.join("c.wav"), 1.5, 660.0, 0.5);
    write_wav(&r.join("quiet.wav"), 0.6, 440.0, 0.0);
    write_text(
        &r.join("corrupt.wav"),
        "this is not audio, just text renamed to .wav\n",
    );
    write_text(
        &r.join("m.csv"),
        "path,label,start,end\n\
         a.wav,dog,,\n\
         b.wav,cat,,\n\
         missing.wav,cat,,\n\
         corrupt.wav,dog,,\n\
         c.wav,cat,0.5,1.0\n\
         quiet.wav,dog,,\n",
    );
    open(&r.join("m.csv")).expect("open dataset")
}

fn options(cache: Option<&Path>) -> ExtractOptions<'_> {
    ExtractOptions {
        cache_dir: cache,
        threads: Some(2),
        observer: None,
    }
}

#[test]
fn bad_files_are_reported_and_the_rest_extracted() {
    let dir = tempdir();
    let ds = dataset(dir.path());
    let missing = ds
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::MissingFile)
        .expect("missing file reported");
    assert_eq!(missing.line, Some(4));
    assert_eq!(ds.clips.len(), 5);

    let cfg = small_config();
    let fs = extract(&ds, &cfg, &options(None)).expect("extract");
    assert_eq!(fs.failed.len(), 1);
    assert_eq!(fs.failed[0].path, dir.path().join("corrupt.wav"));
    assert_eq!(fs.failed[0].clip, 2);
    let idx: Vec<usize> = fs.clips.iter().map(|c| c.clip).collect();
    assert_eq!(idx, [0, 1, 3, 4]);
    let cells = cfg.n_mels * cfg.window_frames;
    for c in &fs.clips {
        assert!(!c.windows.is_empty());
        assert!(c.windows.iter().all(|w| w.values.len() == cells));
    }
    // Digital silence: every window is silent, the loudest single one is kept.
    let quiet = &fs.clips[3];
    assert_eq!(quiet.windows.len(), 1);
    assert!(quiet.windows[0].silent);
    // Audible clips keep only non-silent windows.
    assert!(fs.clips[0].windows.iter().all(|w| !w.silent));
    // The 0.5 s segment of c.wav has fewer windows than the 1.5 s file would.
    let whole = hark_data::Dataset {
        clips: vec![hark_data::Clip::new(dir.path().join("c.wav"), "cat")],
        ..ds.subset(&[])
    };
    let whole = extract(&whole, &cfg, &options(None)).expect("extract whole");
    assert!(fs.clips[2].windows.len() < whole.clips[0].windows.len());
    assert_eq!(fs.stats.computed, 4);
}

#[test]
fn cache_hits_invalidation_and_corruption() {
    let dir = tempdir();
    let cache = dir.path().join(".hark-cache");
    let ds = dataset(dir.path());
    let cfg = small_config();

    let first = extract(&ds, &cfg, &options(Some(&cache))).expect("first extract");
    assert_eq!(first.stats.cache_hits, 0);
    assert_eq!(first.stats.computed, 4);
    assert_eq!(first.stats.cache_write_errors, 0);

    let second = extract(&ds, &cfg, &options(Some(&cache))).expect("second extract");
    assert_eq!(second.stats.cache_hits, 4);
    assert_eq!(second.stats.computed, 0, "no audio read on a cached run");
    assert_eq!(second.clips, first.clips);
    assert_eq!(
        second.failed, first.failed,
        "failures are retried, not cached"
    );

    // Touching a file invalidates only its entry.
    let later = SystemTime::now() + Duration::from_secs(10);
    std::fs::File::options()
        .append(true)
        .open(dir.path().join("b.wav"))
        .and_then(|f| f.set_modified(later))
        .expect("touch b.wav");
    let third = extract(&ds, &cfg, &options(Some(&cache))).expect("third extract");
    assert_eq!((third.stats.cache_hits, third.stats.computed), (3, 1));
    assert_eq!(third.clips, first.clips);

    // Truncated entries are detected and recomputed (all are truncated, including the orphan
    // left by the touched file, which is no longer read).
    let cfg_dir = hark_data::cache::config_dir(&cache, &cfg);
    let entries: Vec<_> = std::fs::read_dir(&cfg_dir)
        .expect("list cache")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "win"))
        .collect();
    assert_eq!(entries.len(), 5, "4 live entries and 1 orphan");
    for entry in &entries {
        let len = std::fs::metadata(entry).expect("entry meta").len();
        std::fs::File::options()
            .write(true)
            .open(entry)
            .and_then(|f| f.set_len(len - 1))
            .expect("truncate entry");
    }
    let fourth = extract(&ds, &cfg, &options(Some(&cache))).expect("fourth extract");
    assert_eq!(fourth.stats.cache_corrupt, 4);
    assert_eq!((fourth.stats.cache_hits, fourth.stats.computed), (0, 4));
    assert_eq!(fourth.clips, first.clips);
    let fifth = extract(&ds, &cfg, &options(Some(&cache))).expect("fifth extract");
    assert_eq!((fifth.stats.cache_hits, fifth.stats.cache_corrupt), (4, 0));

    // Another configuration gets its own folder: nothing is reused.
    let other = hark_features::FeatureConfig {
        n_mels: 12,
        ..cfg.clone()
    };
    let sixth = extract(&ds, &other, &options(Some(&cache))).expect("other config");
    assert_eq!(sixth.stats.cache_hits, 0);
    assert!(
        sixth
            .clips
            .iter()
            .all(|c| c.windows[0].values.len() == 12 * cfg.window_frames)
    );
}

/// Records every call, from whichever thread makes it.
#[derive(Default)]
struct Recorder {
    start: Mutex<Vec<usize>>,
    clips: Mutex<Vec<(usize, usize, bool)>>,
    finish: Mutex<Vec<ExtractStats>>,
}

impl ExtractObserver for Recorder {
    fn on_start(&self, total: usize) {
        self.start.lock().expect("lock").push(total);
    }
    fn on_clip(&self, done: usize, total: usize, cached: bool) {
        self.clips.lock().expect("lock").push((done, total, cached));
    }
    fn on_finish(&self, stats: &ExtractStats) {
        self.finish.lock().expect("lock").push(*stats);
    }
}

#[test]
fn observer_sees_every_clip_and_cache_hits() {
    let dir = tempdir();
    let ds = dataset(dir.path());
    let n = ds.clips.len();
    let cache = dir.path().join("cache");
    let cfg = small_config();
    for run in 0..2 {
        let rec = Recorder::default();
        let opts = ExtractOptions {
            observer: Some(&rec),
            ..options(Some(&cache))
        };
        let fs = extract(&ds, &cfg, &opts).expect("extract");
        assert_eq!(*rec.start.lock().expect("lock"), [n], "run {run}");
        assert_eq!(*rec.finish.lock().expect("lock"), [fs.stats], "run {run}");
        let mut clips = rec.clips.lock().expect("lock").clone();
        clips.sort_unstable();
        let done: Vec<usize> = clips.iter().map(|c| c.0).collect();
        assert_eq!(
            done,
            (1..=n).collect::<Vec<_>>(),
            "run {run}: each clip once"
        );
        assert!(clips.iter().all(|c| c.1 == n));
        let cached = clips.iter().filter(|c| c.2).count();
        // First run: nothing cached. Second: every clip that extracted (not the corrupt one).
        let expected = if run == 0 { 0 } else { fs.clips.len() };
        assert_eq!(cached, expected, "run {run}");
        assert_eq!(cached, fs.stats.cache_hits);
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let dir = tempdir();
    let ds = dataset(dir.path());
    let cfg = small_config();
    let one = extract(
        &ds,
        &cfg,
        &ExtractOptions {
            threads: Some(1),
            ..options(None)
        },
    )
    .expect("one thread");
    let global = extract(
        &ds,
        &cfg,
        &ExtractOptions {
            threads: None,
            ..options(None)
        },
    )
    .expect("global pool");
    assert_eq!(one.clips, global.clips);
    assert_eq!(SR, cfg.sr);
}

#[test]
fn real_format_samples_one_undecodable_file_is_skipped() {
    let Some(dir) = crate::common::shared_data("format_samples") else {
        return;
    };
    let ds = open(&dir).expect("open format_samples");
    assert_eq!(ds.clips.len(), 3);
    let cfg = small_config();
    let fs = extract(&ds, &cfg, &options(None)).expect("extract format samples");
    // 24-bit stereo 48 kHz WAV and IMA4 ADPCM CAF decode; AMR-NB in 3GP does not.
    let failed: Vec<String> = fs
        .failed
        .iter()
        .map(|f| {
            f.path
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(failed, ["3gp"], "{:?}", fs.failed);
    assert_eq!(fs.clips.len(), 2);
    assert!(fs.clips.iter().all(|c| !c.windows.is_empty()));
}

/// `extract_clips` decodes only the clips asked for (issue 13: `hark eval --fold 3` extracts
/// only the fold it scores), and its cache entries serve a later full extraction.
#[test]
fn extract_clips_computes_only_the_selected_clips() {
    let dir = tempdir();
    let ds = dataset(dir.path());
    let cache = dir.path().join("cache");
    let cfg = small_config();
    // Clip 2 is the corrupt file: not selected, so not reported either.
    let some = hark_data::extract_clips(&ds, &[4, 0, 4, 99], &cfg, &options(Some(&cache)))
        .expect("extract some");
    let idx: Vec<usize> = some.clips.iter().map(|c| c.clip).collect();
    assert_eq!(
        idx,
        [0, 4],
        "dataset indices, ascending, no repeats or out-of-range"
    );
    assert!(some.failed.is_empty(), "{:?}", some.failed);
    assert_eq!(some.stats.computed, 2);
    let all = extract(&ds, &cfg, &options(Some(&cache))).expect("extract all");
    assert_eq!(
        all.stats.cache_hits, 2,
        "the selected clips' entries are reused"
    );
    assert_eq!(
        all.stats.computed, 2,
        "b.wav and quiet.wav (the corrupt file fails to decode)"
    );
    let pos = |fs: &hark_data::FeatureSet, i: usize| {
        fs.clips
            .iter()
            .find(|c| c.clip == i)
            .expect("clip")
            .windows
            .clone()
    };
    assert_eq!(pos(&some, 4), pos(&all, 4));
}
