//! Prediction over recordings of any length and live streams (predict/stream stage): samples
//! at the model's rate -> analysis windows -> probabilities in batches -> per-window results,
//! events and the pooled clip decision, at constant memory.
//!
//! A [`Scanner`] gives, window for window, what whole-clip prediction gives for the same
//! samples: the same windows (the streaming extractor equals the batch one bit for bit), the
//! same probabilities, the same clip decision ([`ClipPool`] equals [`crate::aggregate`]) and
//! the same events ([`EventTracker`] equals [`crate::detect_events`]). A file and a stream of
//! its samples therefore agree, whatever the chunk sizes.

use hark_features::{FeatureConfig, StreamingExtractor, Window};

use crate::{
    ClipPool, Decision, DecisionConfig, Event, EventConfig, EventTracker, InferError, Predictor,
    decide,
};

/// Windows run through the model together when a [`Scanner`] is not flushed earlier.
pub const SCAN_BATCH: usize = crate::PREDICT_BATCH;

/// Settings of a [`Scanner`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanConfig {
    /// Pooling and threshold for the clip decision and each window's own decision.
    pub decision: DecisionConfig,
    /// Event detection.
    pub events: EventConfig,
    /// Windows collected before the model runs ([`Scanner::flush`] runs it sooner).
    pub batch: usize,
}

impl ScanConfig {
    /// `decision` with the default events ([`EventConfig::seed_demo`]) and batch
    /// ([`SCAN_BATCH`]).
    pub fn new(decision: DecisionConfig) -> ScanConfig {
        ScanConfig {
            decision,
            events: EventConfig::default(),
            batch: SCAN_BATCH,
        }
    }
}

/// One analysis window's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowInfo {
    /// Index of the window in the recording (0-based).
    pub index: usize,
    /// Start and end in seconds ([`FeatureConfig::window_span`]).
    pub start_s: f64,
    /// See `start_s`.
    pub end_s: f64,
    /// Mean energy in dBFS.
    pub energy_dbfs: f32,
    /// The window's own decision: its arg-max class, unknown below the threshold, or silent
    /// (never shown to the model).
    pub decision: Decision,
}

/// What a [`Scanner`] produced since its last [`ScanOutput::clear`].
#[derive(Debug, Clone, Default)]
pub struct ScanOutput {
    /// Windows in time order.
    pub windows: Vec<WindowInfo>,
    /// Their probabilities, row-major (`windows.len() x n_classes`; zeros for a silent one).
    pub probs: Vec<f32>,
    /// Events closed, in the order they closed.
    pub events: Vec<Event>,
}

impl ScanOutput {
    /// Forget the contents, keeping the buffers.
    pub fn clear(&mut self) {
        self.windows.clear();
        self.probs.clear();
        self.events.clear();
    }

    /// Probabilities of window `i` of this output.
    pub fn row(&self, i: usize, n_classes: usize) -> &[f32] {
        &self.probs[i * n_classes..(i + 1) * n_classes]
    }
}

/// The end of one recording ([`Scanner::finish`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanSummary {
    /// The clip decision over every window shown to the model (silent when none was).
    pub decision: Decision,
    /// Pooled clip probabilities (zeros when silent).
    pub probs: Vec<f32>,
    /// Windows shown to the model.
    pub scored_windows: usize,
    /// All windows, silent ones included.
    pub windows: usize,
    /// Samples pushed, in seconds.
    pub duration_s: f64,
    /// Median level of the windows shown to the model, in dBFS (to 1 dB), where any was.
    pub level_dbfs: Option<f32>,
}

/// Levels are counted in 1 dB bins from this value up to 0 dBFS.
const LEVEL_FLOOR_DB: f32 = -160.0;

/// Streaming prediction for one model; reuse it for many recordings (each ends with
/// [`Scanner::finish`]).
pub struct Scanner<'p> {
    predictor: &'p Predictor,
    cfg: ScanConfig,
    sr: f64,
    features: FeatureConfig,
    extractor: StreamingExtractor,
    /// Windows waiting for the model, silent ones included, in order.
    ready: Vec<Window>,
    batch: Vec<f32>,
    batch_probs: Vec<f32>,
    pool: ClipPool,
    tracker: EventTracker,
    next_index: usize,
    samples: u64,
    /// Windows shown to the model per 1 dB level bin (for the median level).
    levels: Vec<u32>,
}

impl<'p> Scanner<'p> {
    /// A scanner running `predictor` on windows made with `features` (the model file's own).
    ///
    /// # Errors
    /// [`InferError::Features`] for bad feature settings, [`InferError::BadField`] for bad
    /// event settings, [`InferError::InputShape`] when the features do not make the model's
    /// windows.
    pub fn new(
        predictor: &'p Predictor,
        features: &FeatureConfig,
        cfg: ScanConfig,
    ) -> Result<Scanner<'p>, InferError> {
        let (mels, frames) = predictor.window_shape();
        if (features.n_mels, features.window_frames) != (mels, frames) {
            return Err(InferError::InputShape {
                what: format!("windows of {mels} mels x {frames} frames"),
                expected: mels * frames,
                actual: features.n_mels * features.window_frames,
            });
        }
        let n = predictor.n_classes();
        Ok(Scanner {
            predictor,
            cfg,
            sr: f64::from(features.sr),
            features: features.clone(),
            extractor: StreamingExtractor::new(features)?,
            ready: Vec::new(),
            batch: Vec::new(),
            batch_probs: Vec::new(),
            pool: ClipPool::new(n),
            tracker: EventTracker::new(n, &cfg.events)?,
            next_index: 0,
            samples: 0,
            levels: vec![0; (-LEVEL_FLOOR_DB) as usize + 1],
        })
    }

    /// Number of classes (the width of each probability row).
    pub fn n_classes(&self) -> usize {
        self.predictor.n_classes()
    }

    /// Samples pushed since the recording began, in seconds.
    pub fn position_s(&self) -> f64 {
        self.samples as f64 / self.sr
    }

    /// Push mono samples at the model's rate. Windows are run through the model once
    /// `batch` of them are waiting; their results and the events they close go to `out`.
    ///
    /// # Errors
    /// [`InferError::Backend`] when the model fails.
    pub fn push(&mut self, samples: &[f32], out: &mut ScanOutput) -> Result<(), InferError> {
        self.samples += samples.len() as u64;
        self.extractor.push(samples, &mut self.ready);
        if self.ready.len() >= self.cfg.batch {
            self.run(out)?;
        }
        Ok(())
    }

    /// Run the model on every window waiting now (a live stream calls this after each read,
    /// so that no window waits for a batch to fill).
    ///
    /// # Errors
    /// As [`Scanner::push`].
    pub fn flush(&mut self, out: &mut ScanOutput) -> Result<(), InferError> {
        self.run(out)
    }

    /// End of the recording: the last windows (end padding, the end-aligned window), the
    /// events still open, and the clip decision. The scanner is then ready for the next
    /// recording.
    ///
    /// # Errors
    /// As [`Scanner::push`].
    pub fn finish(&mut self, out: &mut ScanOutput) -> Result<ScanSummary, InferError> {
        self.extractor.finish(&mut self.ready);
        self.run(out)?;
        self.tracker.finish(&mut out.events);
        let probs = self.pool.pooled(self.cfg.decision.aggregation);
        let decision = if self.pool.windows() == 0 {
            Decision::SILENT
        } else {
            decide(&probs, self.cfg.decision.threshold)
        };
        let summary = ScanSummary {
            decision,
            probs,
            scored_windows: self.pool.windows(),
            windows: self.next_index,
            duration_s: self.position_s(),
            level_dbfs: self.median_level(),
        };
        self.pool.reset();
        self.next_index = 0;
        self.samples = 0;
        self.levels.fill(0);
        Ok(summary)
    }

    /// Run the model on the waiting windows (in batches of at most `PREDICT_BATCH`) and
    /// hand their results on in order.
    fn run(&mut self, out: &mut ScanOutput) -> Result<(), InferError> {
        if self.ready.is_empty() {
            return Ok(());
        }
        let n = self.n_classes();
        self.batch.clear();
        let mut scored = 0;
        for w in self.ready.iter().filter(|w| !w.silent) {
            self.batch.extend_from_slice(&w.values);
            scored += 1;
        }
        self.batch_probs.clear();
        if scored > 0 {
            self.batch_probs = self.predictor.predict(&self.batch, scored)?;
        }
        let mut next_scored = 0;
        for w in self.ready.drain(..) {
            let span = self.features.window_span(w.start_frame);
            let at = out.probs.len();
            let decision = if w.silent {
                out.probs.resize(at + n, 0.0);
                Decision::SILENT
            } else {
                let row = &self.batch_probs[next_scored * n..(next_scored + 1) * n];
                next_scored += 1;
                out.probs.extend_from_slice(row);
                self.pool.add(row);
                let bin = (w.energy_dbfs.clamp(LEVEL_FLOOR_DB, 0.0) - LEVEL_FLOOR_DB) as usize;
                let last = self.levels.len() - 1;
                self.levels[bin.min(last)] += 1;
                decide(row, self.cfg.decision.threshold)
            };
            self.tracker.push(&out.probs[at..], span, &mut out.events)?;
            out.windows.push(WindowInfo {
                index: self.next_index,
                start_s: span.0,
                end_s: span.1,
                energy_dbfs: w.energy_dbfs,
                decision,
            });
            self.next_index += 1;
        }
        Ok(())
    }

    /// Median of the level histogram, to 1 dB.
    fn median_level(&self) -> Option<f32> {
        let total: u64 = self.levels.iter().map(|&c| u64::from(c)).sum();
        if total == 0 {
            return None;
        }
        let mut seen = 0u64;
        for (bin, &c) in self.levels.iter().enumerate() {
            seen += u64::from(c);
            if 2 * seen > total {
                return Some(bin as f32 + LEVEL_FLOOR_DB);
            }
        }
        None
    }
}
