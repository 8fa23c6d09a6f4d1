//! Sound events (predict/stream stage): window probabilities over time -> events of a class
//! with a start, an end and a score, for long recordings and live input.
//!
//! Flow: model (window probabilities) -> **events** -> predict / stream outputs.
//!
//! Each class is followed on its own (so two classes may overlap, as in multi-label tagging):
//! 1. its window probability is smoothed over the last `smooth_windows` windows (mean or
//!    median; trailing, so a stream can compute it as windows arrive);
//! 2. hysteresis: an event starts at the first window whose smoothed score reaches `onset`
//!    and lasts while the score stays at or above `offset` (`offset <= onset`);
//! 3. runs of the same class separated by at most `max_gap_windows` windows are joined;
//! 4. events shorter than `min_duration_s` are dropped.
//!
//! An event runs from the start of its first window to the end of its last. Its score is
//! reported twice, over every window from its first to its last (gap windows included): the
//! mean and the peak of the class's **raw** window probability. Silent windows (never shown
//! to the model) should be passed as all-zero rows.

use serde::{Deserialize, Serialize};

use crate::InferError;

/// How window scores are smoothed before thresholding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Smoothing {
    /// Mean of the last `smooth_windows` window probabilities. Default.
    #[default]
    Mean,
    /// Median of the last `smooth_windows` window probabilities (a median filter).
    Median,
}

/// Event detection settings. `Default` is [`EventConfig::seed_demo`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventConfig {
    /// Smoothed score at which an event starts.
    pub onset: f32,
    /// Smoothed score below which it ends (at most `onset`).
    pub offset: f32,
    /// Windows smoothed over (>= 1; 1 = no smoothing).
    pub smooth_windows: usize,
    /// Mean or median smoothing.
    pub smoothing: Smoothing,
    /// Events shorter than this (seconds) are dropped.
    pub min_duration_s: f64,
    /// Runs of a class at most this many windows apart are joined into one event.
    pub max_gap_windows: usize,
}

impl EventConfig {
    /// The seed talk's sensor demo: the mean of the last 4 windows, thresholded at 0.35
    /// (no hysteresis, no minimum duration, no gap joining).
    pub fn seed_demo() -> EventConfig {
        EventConfig {
            onset: 0.35,
            offset: 0.35,
            smooth_windows: 4,
            smoothing: Smoothing::Mean,
            min_duration_s: 0.0,
            max_gap_windows: 0,
        }
    }

    /// Check the settings make sense.
    ///
    /// # Errors
    /// [`InferError::BadField`] naming the setting.
    pub fn validate(&self) -> Result<(), InferError> {
        let bad = |field: &str, reason: String| InferError::BadField {
            field: format!("events.{field}"),
            reason,
        };
        if !(0.0..=1.0).contains(&self.onset) {
            return Err(bad("onset", format!("{} is not in [0, 1]", self.onset)));
        }
        if !(0.0..=self.onset).contains(&self.offset) {
            return Err(bad(
                "offset",
                format!("{} is not in [0, onset = {}]", self.offset, self.onset),
            ));
        }
        if self.smooth_windows == 0 {
            return Err(bad("smooth_windows", "must be at least 1".into()));
        }
        if self.min_duration_s.is_nan() || self.min_duration_s < 0.0 {
            return Err(bad(
                "min_duration_s",
                format!("{} is not a duration", self.min_duration_s),
            ));
        }
        Ok(())
    }
}

impl Default for EventConfig {
    fn default() -> EventConfig {
        EventConfig::seed_demo()
    }
}

/// One detected event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Class index.
    pub class: usize,
    /// Start of its first window, seconds.
    pub start_s: f64,
    /// End of its last window, seconds.
    pub end_s: f64,
    /// Index of its first window.
    pub first_window: usize,
    /// Index of its last window.
    pub last_window: usize,
    /// Mean raw probability of the class over the event's windows.
    pub mean: f32,
    /// Highest raw probability of the class over the event's windows.
    pub peak: f32,
}

/// Follows window probabilities as they arrive and closes events as soon as they are
/// complete: what [`detect_events`] does for a whole recording, at constant memory, for
/// streams. Feed rows in time order with [`EventTracker::push`], then
/// [`EventTracker::finish`].
#[derive(Debug, Clone)]
pub struct EventTracker {
    cfg: EventConfig,
    classes: Vec<ClassTrack>,
    /// Index of the next window.
    next: usize,
}

/// One class's state: its last raw scores (for smoothing) and the event being built.
#[derive(Debug, Clone, Default)]
struct ClassTrack {
    /// The last `smooth_windows` raw scores, oldest first.
    recent: std::collections::VecDeque<f32>,
    /// Scratch for the median.
    sorted: Vec<f32>,
    open: Option<Building>,
}

/// An event not closed yet: in a run of active windows, or in a gap after one.
#[derive(Debug, Clone, Copy)]
struct Building {
    first: usize,
    start_s: f64,
    last: usize,
    end_s: f64,
    /// Sum and peak of the raw scores over `first..=last`.
    sum: f64,
    peak: f32,
    /// Inactive windows since `last` (0 while in a run), and their raw sum and peak.
    gap: usize,
    gap_sum: f64,
    gap_peak: f32,
}

impl EventTracker {
    /// A tracker for `n_classes` classes.
    ///
    /// # Errors
    /// [`InferError::BadField`] for bad settings.
    pub fn new(n_classes: usize, cfg: &EventConfig) -> Result<EventTracker, InferError> {
        cfg.validate()?;
        Ok(EventTracker {
            cfg: *cfg,
            classes: vec![ClassTrack::default(); n_classes],
            next: 0,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &EventConfig {
        &self.cfg
    }

    /// Windows pushed so far.
    pub fn windows(&self) -> usize {
        self.next
    }

    /// Take the next window's probabilities (`n_classes`; all zero for a silent window) and
    /// its span in seconds; append the events this window closes to `closed`.
    ///
    /// # Errors
    /// [`InferError::InputShape`] when `row` is not `n_classes` long.
    pub fn push(
        &mut self,
        row: &[f32],
        span: (f64, f64),
        closed: &mut Vec<Event>,
    ) -> Result<(), InferError> {
        if row.len() != self.classes.len() {
            return Err(InferError::InputShape {
                what: format!("one window x {} classes", self.classes.len()),
                expected: self.classes.len(),
                actual: row.len(),
            });
        }
        let i = self.next;
        self.next += 1;
        let cfg = self.cfg;
        for (class, (t, &raw)) in self.classes.iter_mut().zip(row).enumerate() {
            let s = t.smoothed(raw, &cfg);
            let r = f64::from(raw);
            match &mut t.open {
                // In a run: extend it, or end it here (this window is the first of a gap).
                Some(b) if b.gap == 0 => {
                    if s < cfg.offset {
                        b.gap = 1;
                        b.gap_sum = r;
                        b.gap_peak = raw;
                    } else {
                        b.last = i;
                        b.end_s = span.1;
                        b.sum += r;
                        b.peak = b.peak.max(raw);
                    }
                }
                // In a gap: a new run joins the event; else the gap grows.
                Some(b) => {
                    if s >= cfg.onset {
                        b.sum += b.gap_sum + r;
                        b.peak = b.peak.max(b.gap_peak).max(raw);
                        b.gap = 0;
                        b.last = i;
                        b.end_s = span.1;
                    } else {
                        b.gap += 1;
                        b.gap_sum += r;
                        b.gap_peak = b.gap_peak.max(raw);
                    }
                }
                None if s >= cfg.onset => {
                    t.open = Some(Building {
                        first: i,
                        start_s: span.0,
                        last: i,
                        end_s: span.1,
                        sum: r,
                        peak: raw,
                        gap: 0,
                        gap_sum: 0.0,
                        gap_peak: f32::NEG_INFINITY,
                    });
                }
                None => {}
            }
            if t.open.is_some_and(|b| b.gap > cfg.max_gap_windows) {
                close(class, t.open.take(), &cfg, closed);
            }
        }
        Ok(())
    }

    /// End of the recording: close every event still open, then start afresh.
    pub fn finish(&mut self, closed: &mut Vec<Event>) {
        let cfg = self.cfg;
        for (class, t) in self.classes.iter_mut().enumerate() {
            close(class, t.open.take(), &cfg, closed);
            t.recent.clear();
        }
        self.next = 0;
    }
}

impl ClassTrack {
    /// Remember `raw` and return the trailing mean or median of the last `smooth_windows`.
    fn smoothed(&mut self, raw: f32, cfg: &EventConfig) -> f32 {
        if self.recent.len() == cfg.smooth_windows {
            self.recent.pop_front();
        }
        self.recent.push_back(raw);
        match cfg.smoothing {
            Smoothing::Mean => self.recent.iter().sum::<f32>() / self.recent.len() as f32,
            Smoothing::Median => {
                self.sorted.clear();
                self.sorted.extend(self.recent.iter().copied());
                self.sorted.sort_by(f32::total_cmp);
                let n = self.sorted.len();
                if n % 2 == 1 {
                    self.sorted[n / 2]
                } else {
                    0.5 * (self.sorted[n / 2 - 1] + self.sorted[n / 2])
                }
            }
        }
    }
}

/// Emit `b` as an event of `class` unless it is shorter than the minimum duration.
fn close(class: usize, b: Option<Building>, cfg: &EventConfig, out: &mut Vec<Event>) {
    let Some(b) = b else { return };
    if b.end_s - b.start_s < cfg.min_duration_s {
        return;
    }
    out.push(Event {
        class,
        start_s: b.start_s,
        end_s: b.end_s,
        first_window: b.first,
        last_window: b.last,
        mean: (b.sum / (b.last - b.first + 1) as f64) as f32,
        peak: b.peak,
    });
}

/// Events in `probs` (row-major `n_windows x n_classes`), whose windows span `spans`
/// (`(start_s, end_s)` per window, in time order), sorted by start time then class. The
/// same events an [`EventTracker`] fed these rows closes.
///
/// # Errors
/// [`InferError::BadField`] for bad settings; [`InferError::InputShape`] when `probs` is not
/// `spans.len() x n_classes`.
pub fn detect_events(
    probs: &[f32],
    spans: &[(f64, f64)],
    n_classes: usize,
    cfg: &EventConfig,
) -> Result<Vec<Event>, InferError> {
    let mut tracker = EventTracker::new(n_classes, cfg)?;
    if probs.len() != spans.len() * n_classes {
        return Err(InferError::InputShape {
            what: format!("{} windows x {n_classes} classes", spans.len()),
            expected: spans.len() * n_classes,
            actual: probs.len(),
        });
    }
    let mut events = Vec::new();
    if n_classes > 0 {
        for (row, &span) in probs.chunks_exact(n_classes).zip(spans) {
            tracker.push(row, span, &mut events)?;
        }
    }
    tracker.finish(&mut events);
    events.sort_by(|x, y| x.start_s.total_cmp(&y.start_s).then(x.class.cmp(&y.class)));
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tolerance for means of a few f32 probabilities.
    const TOL: f32 = 1e-6;

    /// Trailing smoothing of one class's scores (`out[i]` uses windows `i+1-k ..= i`, fewer at
    /// the start).
    fn smooth(scores: &[f32], k: usize, how: Smoothing) -> Vec<f32> {
        let mut buf = Vec::with_capacity(k);
        (0..scores.len())
            .map(|i| {
                let from = (i + 1).saturating_sub(k);
                let past = &scores[from..=i];
                match how {
                    Smoothing::Mean => past.iter().sum::<f32>() / past.len() as f32,
                    Smoothing::Median => {
                        buf.clear();
                        buf.extend_from_slice(past);
                        buf.sort_by(f32::total_cmp);
                        let n = buf.len();
                        if n % 2 == 1 {
                            buf[n / 2]
                        } else {
                            0.5 * (buf[n / 2 - 1] + buf[n / 2])
                        }
                    }
                }
            })
            .collect()
    }

    /// The obvious whole-recording algorithm, as the naive reference for [`EventTracker`]:
    /// smooth each class's whole score track, find hysteresis runs, join, drop short ones.
    ///
    /// # Errors
    /// [`InferError::BadField`] for bad settings; [`InferError::InputShape`] when `probs` is not
    /// `spans.len() x n_classes`.
    fn reference(
        probs: &[f32],
        spans: &[(f64, f64)],
        n_classes: usize,
        cfg: &EventConfig,
    ) -> Result<Vec<Event>, InferError> {
        if probs.len() != spans.len() * n_classes {
            return Err(InferError::InputShape {
                what: format!("{} windows x {n_classes} classes", spans.len()),
                expected: spans.len() * n_classes,
                actual: probs.len(),
            });
        }
        let mut events = Vec::new();
        for class in 0..n_classes {
            let raw: Vec<f32> = probs
                .iter()
                .skip(class)
                .step_by(n_classes)
                .copied()
                .collect();
            let s = smooth(&raw, cfg.smooth_windows, cfg.smoothing);
            // Runs of active windows, by hysteresis.
            let mut runs: Vec<(usize, usize)> = Vec::new();
            let mut start = None;
            for (i, &v) in s.iter().enumerate() {
                match start {
                    None if v >= cfg.onset => start = Some(i),
                    Some(b) if v < cfg.offset => {
                        runs.push((b, i - 1));
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(b) = start {
                runs.push((b, s.len() - 1));
            }
            // Join runs at most `max_gap_windows` inactive windows apart.
            let mut joined: Vec<(usize, usize)> = Vec::with_capacity(runs.len());
            for r in runs {
                match joined.last_mut() {
                    Some(last) if r.0 - last.1 - 1 <= cfg.max_gap_windows => last.1 = r.1,
                    _ => joined.push(r),
                }
            }
            for (a, b) in joined {
                let (start_s, end_s) = (spans[a].0, spans[b].1);
                if end_s - start_s < cfg.min_duration_s {
                    continue;
                }
                let window = &raw[a..=b];
                events.push(Event {
                    class,
                    start_s,
                    end_s,
                    first_window: a,
                    last_window: b,
                    mean: window.iter().sum::<f32>() / window.len() as f32,
                    peak: window.iter().copied().fold(f32::NEG_INFINITY, f32::max),
                });
            }
        }
        events.sort_by(|x, y| x.start_s.total_cmp(&y.start_s).then(x.class.cmp(&y.class)));
        Ok(events)
    }

    /// A seeded xorshift generator (no dependency for a test).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    #[test]
    fn the_streaming_tracker_matches_the_whole_recording_reference() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut compared = 0;
        for case in 0..300 {
            let n_classes = 1 + case % 3;
            let n = 1 + (rng.next() * 60.0) as usize;
            // Slowly varying scores, so that runs, gaps and hysteresis all happen.
            let mut probs = Vec::with_capacity(n * n_classes);
            let mut level = vec![0.5f32; n_classes];
            for _ in 0..n {
                for l in level.iter_mut() {
                    *l = (*l + (rng.next() - 0.5) * 0.6).clamp(0.0, 1.0);
                    probs.push(*l);
                }
            }
            let spans: Vec<(f64, f64)> = (0..n)
                .map(|i| (i as f64 * 0.25, i as f64 * 0.25 + 1.0))
                .collect();
            let onset = 0.3 + rng.next() * 0.5;
            let cfg = EventConfig {
                onset,
                offset: onset * rng.next(),
                smooth_windows: 1 + (rng.next() * 5.0) as usize,
                smoothing: if case % 2 == 0 {
                    Smoothing::Mean
                } else {
                    Smoothing::Median
                },
                min_duration_s: f64::from(rng.next()) * 3.0,
                max_gap_windows: (rng.next() * 4.0) as usize,
            };
            let got = detect_events(&probs, &spans, n_classes, &cfg).expect("valid");
            let want = reference(&probs, &spans, n_classes, &cfg).expect("valid");
            assert_eq!(got.len(), want.len(), "case {case}: {got:?} vs {want:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(
                    (g.class, g.first_window, g.last_window, g.start_s, g.end_s),
                    (w.class, w.first_window, w.last_window, w.start_s, w.end_s),
                    "case {case}"
                );
                assert!((g.mean - w.mean).abs() < TOL, "case {case}");
                assert_eq!(g.peak, w.peak, "case {case}");
                compared += 1;
            }
        }
        assert!(compared > 300, "only {compared} events compared");
    }

    #[test]
    fn a_tracker_closes_events_as_soon_as_they_are_complete() {
        let mut t = EventTracker::new(1, &plain(0.5, 0.5)).expect("valid");
        let mut closed = Vec::new();
        for (i, p) in [0.9, 0.9, 0.1].into_iter().enumerate() {
            t.push(&[p], (i as f64, i as f64 + 1.0), &mut closed)
                .expect("row");
        }
        assert_eq!(
            closed.len(),
            1,
            "closed by the first window below the offset"
        );
        assert_eq!((closed[0].start_s, closed[0].end_s), (0.0, 2.0));
        assert!(t.push(&[0.1, 0.2], (3.0, 4.0), &mut closed).is_err());
    }

    /// One class; windows of 1 s every 0.5 s.
    fn one_class(scores: &[f32], cfg: &EventConfig) -> Vec<Event> {
        let spans: Vec<(f64, f64)> = (0..scores.len())
            .map(|i| (i as f64 * 0.5, i as f64 * 0.5 + 1.0))
            .collect();
        detect_events(scores, &spans, 1, cfg).expect("valid")
    }

    fn plain(onset: f32, offset: f32) -> EventConfig {
        EventConfig {
            onset,
            offset,
            smooth_windows: 1,
            smoothing: Smoothing::Mean,
            min_duration_s: 0.0,
            max_gap_windows: 0,
        }
    }

    #[test]
    fn hysteresis_starts_at_onset_and_ends_below_offset() {
        let s = [0.1, 0.6, 0.45, 0.35, 0.2, 0.45, 0.7, 0.1];
        // Without hysteresis (offset = onset = 0.5): two one-window events.
        let e = one_class(&s, &plain(0.5, 0.5));
        let w: Vec<(usize, usize)> = e.iter().map(|e| (e.first_window, e.last_window)).collect();
        assert_eq!(w, [(1, 1), (6, 6)]);
        // Offset 0.3 keeps the first event through 0.45 and 0.35; 0.45 alone never starts one.
        let e = one_class(&s, &plain(0.5, 0.3));
        let w: Vec<(usize, usize)> = e.iter().map(|e| (e.first_window, e.last_window)).collect();
        assert_eq!(w, [(1, 3), (6, 6)]);
        assert_eq!((e[0].start_s, e[0].end_s), (0.5, 2.5));
        assert!((e[0].mean - (0.6 + 0.45 + 0.35) / 3.0).abs() < TOL);
        assert_eq!(e[0].peak, 0.6);
    }

    #[test]
    fn gaps_join_and_short_events_drop() {
        let s = [0.9, 0.0, 0.9, 0.0, 0.0, 0.9];
        let mut cfg = plain(0.5, 0.5);
        assert_eq!(one_class(&s, &cfg).len(), 3);
        cfg.max_gap_windows = 1;
        let e = one_class(&s, &cfg);
        let w: Vec<(usize, usize)> = e.iter().map(|e| (e.first_window, e.last_window)).collect();
        assert_eq!(
            w,
            [(0, 2), (5, 5)],
            "one-window gap joined, two-window gap not"
        );
        assert!(
            (e[0].mean - 0.6).abs() < TOL,
            "gap windows count in the mean"
        );
        // The lone last window lasts 1 s: a 1.5 s minimum drops it, the 2 s event stays.
        cfg.min_duration_s = 1.5;
        let e = one_class(&s, &cfg);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].start_s, e[0].end_s), (0.0, 2.0));
    }

    #[test]
    fn smoothing_is_trailing_mean_or_median() {
        assert_eq!(
            smooth(&[1.0, 0.0, 0.0, 1.0, 1.0], 3, Smoothing::Mean),
            [1.0, 0.5, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0]
        );
        assert_eq!(
            smooth(&[1.0, 0.0, 0.0, 1.0, 1.0], 3, Smoothing::Median),
            [1.0, 0.5, 0.0, 0.0, 1.0]
        );
        // A one-window spike does not survive a 3-window median filter.
        let mut cfg = plain(0.5, 0.5);
        cfg.smooth_windows = 3;
        cfg.smoothing = Smoothing::Median;
        assert!(one_class(&[0.0, 0.0, 0.9, 0.0, 0.0], &cfg).is_empty());
    }

    #[test]
    fn the_seed_demo_preset_thresholds_the_mean_of_the_last_four_windows() {
        let cfg = EventConfig::seed_demo();
        // Means of the last 4: 0.2, 0.3, 0.333, 0.35 (event starts), 0.4, 0.3 (ends).
        let s = [0.2, 0.4, 0.4, 0.4, 0.4, 0.0];
        let e = one_class(&s, &cfg);
        let w: Vec<(usize, usize)> = e.iter().map(|e| (e.first_window, e.last_window)).collect();
        assert_eq!(w, [(3, 4)]);
    }

    #[test]
    fn classes_are_followed_apart_and_bad_input_is_refused() {
        // Two classes, rows of [a, b]: a then b, overlapping in window 2.
        let probs = [0.9, 0.1, 0.9, 0.1, 0.6, 0.6, 0.1, 0.9];
        let spans: Vec<(f64, f64)> = (0..4).map(|i| (i as f64, i as f64 + 1.0)).collect();
        let e = detect_events(&probs, &spans, 2, &plain(0.5, 0.5)).expect("valid");
        let got: Vec<(usize, usize, usize)> = e
            .iter()
            .map(|e| (e.class, e.first_window, e.last_window))
            .collect();
        assert_eq!(got, [(0, 0, 2), (1, 2, 3)]);
        assert!(detect_events(&probs[..7], &spans, 2, &plain(0.5, 0.5)).is_err());
        assert!(detect_events(&probs, &spans, 2, &plain(0.5, 0.6)).is_err());
        let mut cfg = plain(0.5, 0.5);
        cfg.smooth_windows = 0;
        assert!(detect_events(&probs, &spans, 2, &cfg).is_err());
    }
}
