//! Streaming extraction of model-input windows (audio -> **features** -> predict/stream):
//! push chunks of any size, get the same [`Window`]s [`crate::WindowExtractor`] gives for the
//! whole signal, bit for bit.
//!
//! A frame is computed as soon as all its real samples have arrived; full windows are emitted
//! as soon as their last frame exists. [`StreamingExtractor::finish`] applies the end padding
//! (centre padding, short-clip zero padding), computes the remaining frames and emits the
//! last full windows plus the optional end-aligned window (policy in [`crate::window`]).

use crate::stft::reflect_index;
use crate::window::{FramePipeline, assemble_window};
use crate::{FeatureConfig, FeatureError, PadMode, Window};

/// Incremental window extractor; keeps only about two FFT frames of samples and one window
/// of frames between calls.
pub struct StreamingExtractor {
    cfg: FeatureConfig,
    pipeline: FramePipeline,
    pad: usize,
    /// The first `pad + 1` samples (left reflection source).
    head: Vec<f32>,
    /// Samples `buf_start..total` of the signal.
    buf: Vec<f32>,
    buf_start: usize,
    total: usize,
    next_frame: usize,
    /// dB frames `frames_base..next_frame`, frame-major (`n_mels` each).
    frames: Vec<f32>,
    energies: Vec<f32>,
    frames_base: usize,
    next_window: usize,
    last_full_end: usize,
    frame: Vec<f32>,
    peak_dbfs: f32,
}

impl StreamingExtractor {
    /// Validate `cfg` and plan the STFT and filterbank.
    pub fn new(cfg: &FeatureConfig) -> Result<Self, FeatureError> {
        Ok(StreamingExtractor {
            pipeline: FramePipeline::new(cfg)?,
            pad: cfg.center_pad(),
            cfg: cfg.clone(),
            head: Vec::new(),
            buf: Vec::new(),
            buf_start: 0,
            total: 0,
            next_frame: 0,
            frames: Vec::new(),
            energies: Vec::new(),
            frames_base: 0,
            next_window: 0,
            last_full_end: 0,
            frame: vec![0.0; cfg.n_fft],
            peak_dbfs: f32::NEG_INFINITY,
        })
    }

    /// The configuration this extractor was planned for.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// Forget all pushed audio; the next push starts a new signal.
    pub fn reset(&mut self) {
        self.head.clear();
        self.buf.clear();
        self.buf_start = 0;
        self.total = 0;
        self.next_frame = 0;
        self.frames.clear();
        self.energies.clear();
        self.frames_base = 0;
        self.next_window = 0;
        self.last_full_end = 0;
        self.peak_dbfs = f32::NEG_INFINITY;
    }

    fn append(&mut self, chunk: &[f32]) {
        let want_head = (self.pad + 1).saturating_sub(self.head.len());
        self.head
            .extend_from_slice(&chunk[..want_head.min(chunk.len())]);
        self.buf.extend_from_slice(chunk);
        self.total += chunk.len();
    }

    /// Append mono samples (at `cfg.sr`) and emit every window that is now complete into `out`.
    pub fn push(&mut self, chunk: &[f32], out: &mut Vec<Window>) {
        self.append(chunk);
        let n_fft = self.cfg.n_fft as isize;
        let need_head = self.cfg.center && self.cfg.pad_mode == PadMode::Reflect;
        loop {
            let start = (self.next_frame * self.cfg.hop_length) as isize - self.pad as isize;
            if start + n_fft > self.total as isize {
                break;
            }
            if need_head && start < 0 && self.head.len() < self.pad + 1 {
                break;
            }
            self.compute_frame(self.total);
        }
        self.emit_full(out);
        self.trim();
    }

    /// End of signal: pad, compute the last frames and emit the remaining windows, then reset
    /// for a new signal. A stream that received no samples emits nothing.
    pub fn finish(&mut self, out: &mut Vec<Window>) {
        if self.total == 0 {
            self.reset();
            return;
        }
        let min_len = self.cfg.min_window_samples();
        if self.total < min_len {
            let zeros = vec![0.0f32; min_len - self.total];
            self.append(&zeros);
        }
        let n_frames = self.cfg.n_frames(self.total);
        while self.next_frame < n_frames {
            self.compute_frame(self.total);
        }
        self.emit_full(out);
        let w = self.cfg.window_frames;
        if n_frames > self.last_full_end
            && 2 * (n_frames - self.last_full_end) >= w
            && n_frames >= w
        {
            out.push(self.window_at(n_frames - w));
        }
        self.reset();
    }

    /// Signal sample `i` (may be out of range: padding for a signal of `len` samples).
    fn sample(&self, i: isize, len: usize) -> f32 {
        let idx = if i >= 0 && (i as usize) < len {
            i as usize
        } else {
            match self.cfg.pad_mode {
                PadMode::Constant => return 0.0,
                PadMode::Reflect => reflect_index(i, len),
            }
        };
        if idx >= self.buf_start {
            self.buf[idx - self.buf_start]
        } else {
            // Only the left reflection reaches before the buffer; `head` holds those samples.
            self.head.get(idx).copied().unwrap_or(0.0)
        }
    }

    /// Compute frame `next_frame` treating the signal as `len` samples long.
    fn compute_frame(&mut self, len: usize) {
        let start = (self.next_frame * self.cfg.hop_length) as isize - self.pad as isize;
        let mut frame = std::mem::take(&mut self.frame);
        let n_fft = frame.len();
        if start >= self.buf_start as isize && start as usize + n_fft <= len {
            // Inside the signal and the buffer: copy, no per-sample padding logic.
            let at = start as usize - self.buf_start;
            frame.copy_from_slice(&self.buf[at..at + n_fft]);
        } else {
            for (j, v) in frame.iter_mut().enumerate() {
                *v = self.sample(start + j as isize, len);
            }
        }
        let n_mels = self.cfg.n_mels;
        let at = self.frames.len();
        self.frames.resize(at + n_mels, 0.0);
        let e = self.pipeline.process(&frame, &mut self.frames[at..]);
        self.energies.push(e);
        self.frame = frame;
        self.next_frame += 1;
    }

    fn window_at(&mut self, start: usize) -> Window {
        let n_mels = self.cfg.n_mels;
        let w = self.cfg.window_frames;
        let off = start - self.frames_base;
        assemble_window(
            &self.cfg,
            start,
            &self.frames[off * n_mels..(off + w) * n_mels],
            &self.energies[off..off + w],
            &mut self.peak_dbfs,
        )
    }

    fn emit_full(&mut self, out: &mut Vec<Window>) {
        let w = self.cfg.window_frames;
        while self.next_window + w <= self.next_frame {
            out.push(self.window_at(self.next_window));
            self.last_full_end = self.next_window + w;
            self.next_window += self.cfg.hop_frames();
        }
    }

    /// Drop frames no future window needs and samples no future frame needs.
    fn trim(&mut self) {
        // The end-aligned window starts after the last full window's start.
        let keep_frame = self
            .next_window
            .saturating_sub(self.cfg.hop_frames())
            .max(self.frames_base);
        let drop_frames = (keep_frame - self.frames_base).min(self.energies.len());
        if drop_frames > 0 && drop_frames * 2 >= self.energies.len() {
            self.frames.drain(..drop_frames * self.cfg.n_mels);
            self.energies.drain(..drop_frames);
            self.frames_base += drop_frames;
        }
        // Right reflection may mirror up to n_fft samples before the next frame's start.
        let next_start = (self.next_frame * self.cfg.hop_length) as isize - self.pad as isize;
        let keep_sample = (next_start - 2 * self.cfg.n_fft as isize).max(0) as usize;
        let drop = keep_sample
            .saturating_sub(self.buf_start)
            .min(self.buf.len());
        if drop > 0 && drop * 2 >= self.buf.len() {
            self.buf.drain(..drop);
            self.buf_start += drop;
        }
    }
}
