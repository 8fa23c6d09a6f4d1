//! int8 post-training quantisation (export stage): the plan engine's float steps ->
//! an integer network, calibrated on real windows, that the C export runs on a device and
//! [`Int8Network::logits_into`] runs here as the reference the C code must match bit for bit.
//!
//! The parameters follow TensorFlow Lite's int8 specification (the layout CMSIS-NN kernels
//! take), with one rounding step of our own in the requantisation:
//! - weights: per output channel, symmetric (`zero point 0`, `scale = max|w| / 127`, larger
//!   where the bias needs it to keep every int32 sum in range);
//! - activations: per tensor, asymmetric (`real = scale * (q - zero_point)`), the range the
//!   float activations took on the calibration windows (min/max, widened to hold 0);
//! - bias: int32 in the accumulator's scale (`input scale * weight scale`);
//! - requantisation: a 31-bit fixed-point multiplier and one right shift, rounding half up,
//!   integer arithmetic only ([`requantize`]; TensorFlow Lite rounds twice, so its results
//!   differ from these by a step now and then);
//! - ReLU is the lower clamp of the layer that produces it (max-pooling between them
//!   commutes with it); the last dense layer's int32 accumulators are scaled to float
//!   logits, so the decision sees the full accumulator resolution.
//!
//! Convolutions (BatchNorm folded), max-pooling right after a convolution, ReLU and dense
//! layers are quantised; a model with another step (an unfolded BatchNorm, log-mel
//! statistics, a pooling elsewhere) is refused with the reason, to be exported as float32.

mod run;

pub use run::{Int8Workspace, requantize};

use hark_infer::{PlanEngine, Step};
use hark_kernels::{Conv2d, MaxPool2d};

use crate::ExportError;

/// Windows [`quantize`] asks for at least; fewer give ranges that new windows overflow.
pub const MIN_CALIBRATION_WINDOWS: usize = 20;

/// Bound on `|x - zero_point|` and on `|x|` together, as the C kernels' partial sums may
/// hold either (`x` and the zero point are int8): no int32 sum exceeds
/// `|bias| + SUM_BOUND * sum|w|`.
const SUM_BOUND: i64 = 383;

/// Seed of [`Reservoir`]'s sample: the same audio gives the same int8 export (on hosts of
/// the same word size).
pub const CALIBRATION_SEED: u64 = 0x4841_524b;

/// A uniform random sample of up to `n` windows from a stream of any length (Algorithm R,
/// seeded with [`CALIBRATION_SEED`]): memory holds `n` windows however much audio passes.
#[derive(Debug, Clone)]
pub struct Reservoir {
    n: usize,
    len: usize,
    kept: Vec<f32>,
    seen: usize,
    rng: fastrand::Rng,
}

impl Reservoir {
    /// Keep up to `n` windows of `window_len` values.
    pub fn new(n: usize, window_len: usize) -> Reservoir {
        Reservoir {
            n,
            len: window_len,
            kept: Vec::with_capacity(n.min(4096) * window_len),
            seen: 0,
            rng: fastrand::Rng::with_seed(CALIBRATION_SEED),
        }
    }

    /// Offer one window (`window_len` values).
    pub fn push(&mut self, window: &[f32]) {
        debug_assert_eq!(window.len(), self.len, "window length");
        let slot = if self.seen < self.n {
            Some(self.seen)
        } else {
            Some(self.rng.usize(..=self.seen)).filter(|&j| j < self.n)
        };
        self.seen += 1;
        match slot {
            Some(j) if j * self.len == self.kept.len() => self.kept.extend_from_slice(window),
            Some(j) => self.kept[j * self.len..(j + 1) * self.len].copy_from_slice(window),
            None => {}
        }
    }

    /// Windows offered so far.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The kept windows, concatenated (the input of [`quantize`]).
    pub fn windows(&self) -> &[f32] {
        &self.kept
    }
}

/// `real = scale * (q - zero_point)` for one tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QParams {
    /// Real value of one step of `q`.
    pub scale: f32,
    /// The `q` that stands for real 0 (in `-128..=127`).
    pub zero_point: i32,
}

impl QParams {
    /// Parameters covering `[lo, hi]` (widened to hold 0) with 256 levels.
    pub fn covering(lo: f32, hi: f32) -> QParams {
        let (lo, hi) = (f64::from(lo.min(0.0)), f64::from(hi.max(0.0)));
        let scale = ((hi - lo) / 255.0).max(1e-12);
        let zero_point = (-128.0 - lo / scale).round().clamp(-128.0, 127.0) as i32;
        QParams {
            scale: scale as f32,
            zero_point,
        }
    }

    /// `x` as int8: `round(x / scale) + zero_point`, saturated. The C export computes the
    /// same expression in float32 (`roundf`), so both give the same integers.
    pub fn quantize(&self, x: f32) -> i8 {
        ((x / self.scale).round() + self.zero_point as f32).clamp(-128.0, 127.0) as i8
    }
}

/// `acc * multiplier / 2^shift`, the fixed-point factor of one output channel
/// (`multiplier` in `[2^30, 2^31)`; 0 when the real factor is negligible, `i32::MAX` with
/// shift 1 when it saturates every non-zero sum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requant {
    /// Q31 mantissa.
    pub multiplier: i32,
    /// Right shift, 1 to 62.
    pub shift: u32,
}

impl Requant {
    /// The nearest fixed-point form of the positive factor `m`. A factor of 2^30 or more
    /// (an output range of almost nothing, e.g. a layer that was 0 on every calibration
    /// window) saturates every non-zero accumulator either way; it gets the largest form.
    pub fn new(m: f64) -> Result<Requant, ExportError> {
        if !(m.is_finite() && m >= 0.0) {
            return Err(unsupported(format!("a requantisation factor of {m}")));
        }
        if m < 2f64.powi(-32) {
            // Below half a step for any int32 accumulator that can occur here.
            return Ok(Requant {
                multiplier: 0,
                shift: 1,
            });
        }
        if m >= 2f64.powi(30) {
            return Ok(Requant {
                multiplier: i32::MAX,
                shift: 1,
            });
        }
        // The mantissa in [2^30, 2^31): log2 may land a step off, so settle it by looking.
        let mut shift = 30 - m.log2().floor() as i32;
        let mant = |shift: i32| (m * 2f64.powi(shift)).round() as i64;
        while mant(shift) >= 1 << 31 {
            shift -= 1;
        }
        while mant(shift) < 1 << 30 {
            shift += 1;
        }
        if shift < 1 {
            // Just below 2^30: saturating as above.
            return Ok(Requant {
                multiplier: i32::MAX,
                shift: 1,
            });
        }
        if shift > 62 {
            return Err(unsupported(format!("a requantisation factor of {m}")));
        }
        Ok(Requant {
            multiplier: mant(shift) as i32,
            shift: shift as u32,
        })
    }
}

/// Weights quantised per output channel, with their int32 bias and output rescaling.
#[derive(Debug, Clone)]
pub struct QWeights {
    /// int8 weights: convolution `[out, in / groups, kh, kw]`; dense `[out, in]`
    /// (transposed from the float `[in, out]`, so each output reads one row).
    pub weight: Vec<i8>,
    /// `[out]`, in units of `input scale * weight scale[o]`.
    pub bias: Vec<i32>,
    /// Zero point of the input activation.
    pub input_zero_point: i32,
    /// Real value of one accumulator unit per output channel: `input scale * weight scale`.
    pub acc_scale: Vec<f32>,
}

/// One step of the integer network.
#[derive(Debug, Clone)]
pub enum QStep {
    /// Convolution -> requantised int8 (ReLU as the lower clamp when `relu`).
    Conv {
        /// Geometry.
        geom: Conv2d,
        /// Weights and bias.
        w: QWeights,
        /// Per output channel.
        requant: Vec<Requant>,
        /// The output's parameters.
        output: QParams,
        /// Clamp at real 0.
        relu: bool,
    },
    /// Max-pooling on int8 (scale and zero point unchanged).
    Pool(MaxPool2d),
    /// Dense layer -> requantised int8.
    Dense {
        /// Weights and bias (`[out, in]`).
        w: QWeights,
        /// Per output.
        requant: Vec<Requant>,
        /// The output's parameters.
        output: QParams,
        /// Clamp at real 0.
        relu: bool,
    },
    /// The last dense layer: float logits `acc * acc_scale[o]`.
    Logits {
        /// Weights and bias (`[out, in]`).
        w: QWeights,
    },
}

/// A model's network in int8, with what it was calibrated on.
#[derive(Debug, Clone)]
pub struct Int8Network {
    /// How the float input window is quantised.
    pub input: QParams,
    /// The steps, in order.
    pub steps: Vec<QStep>,
    /// Values each step writes per window.
    pub lens: Vec<usize>,
    /// Values per input window.
    pub input_len: usize,
    /// Windows the ranges were measured on.
    pub calibration_windows: usize,
}

/// Quantise `engine`'s network, measuring activation ranges on `windows` (row-major, each
/// `engine.input_len()` values: normalised training windows, as the model sees them).
pub fn quantize(engine: &PlanEngine, windows: &[f32]) -> Result<Int8Network, ExportError> {
    let n_in = engine.input_len();
    let n = windows.len() / n_in.max(1);
    if !windows.len().is_multiple_of(n_in.max(1)) {
        return Err(ExportError::Calibration(format!(
            "{} values, not whole windows of {n_in}",
            windows.len()
        )));
    }
    if n < MIN_CALIBRATION_WINDOWS {
        return Err(ExportError::Calibration(format!(
            "only {n} windows: int8 export needs at least {MIN_CALIBRATION_WINDOWS} non-silent \
             training windows (200-500 is usual)"
        )));
    }
    let steps: Vec<(&Step, usize)> = engine.steps().collect();
    // Float range of every step's output, and of the input.
    let mut ranges = vec![(f32::INFINITY, f32::NEG_INFINITY); steps.len()];
    let mut input = (f32::INFINITY, f32::NEG_INFINITY);
    let mut ws = engine.workspace();
    for window in windows.chunks_exact(n_in) {
        widen(&mut input, window);
        engine.trace(window, &mut ws, |k, out| widen(&mut ranges[k], out));
    }
    if !(input.0.is_finite() && input.1.is_finite()) {
        return Err(ExportError::Calibration(
            "windows that hold non-finite values".into(),
        ));
    }
    let input = QParams::covering(input.0, input.1);

    let mut out = Vec::new();
    let mut lens = Vec::new();
    let mut cur = input;
    // Whether a layer a ReLU can clamp has been seen.
    let mut producer = false;
    for (k, &(step, len)) in steps.iter().enumerate() {
        let last = k + 1 == steps.len();
        let relu_next = steps[k + 1..]
            .iter()
            .take_while(|(s, _)| matches!(s, Step::Pool(_) | Step::Relu))
            .any(|(s, _)| matches!(s, Step::Relu));
        let output = |relu: bool| {
            let (lo, hi) = ranges[k];
            QParams::covering(if relu { 0.0 } else { lo }, hi)
        };
        match step {
            Step::Conv { geom, weight, bias } => {
                let ocg = geom.out_channels;
                let w = weights(weight, bias, ocg, weight.len() / ocg.max(1), false, cur)?;
                let o = output(relu_next);
                let requant = requants(&w, o)?;
                producer = true;
                out.push(QStep::Conv {
                    geom: *geom,
                    w,
                    requant,
                    output: o,
                    relu: relu_next,
                });
                cur = o;
            }
            Step::Dense {
                in_features,
                out_features,
                weight,
                bias,
            } => {
                let w = weights(weight, bias, *out_features, *in_features, true, cur)?;
                if last {
                    out.push(QStep::Logits { w });
                } else {
                    let o = output(relu_next);
                    let requant = requants(&w, o)?;
                    producer = true;
                    out.push(QStep::Dense {
                        w,
                        requant,
                        output: o,
                        relu: relu_next,
                    });
                    cur = o;
                }
            }
            Step::Pool(p) => {
                if !matches!(out.last(), Some(QStep::Conv { .. })) {
                    return Err(unsupported(
                        "a max-pooling that does not follow a convolution (export this model \
                         as float32)"
                            .into(),
                    ));
                }
                out.push(QStep::Pool(*p));
            }
            Step::Relu => {
                // Already the lower clamp of its producer; nothing to run.
                if !producer {
                    return Err(unsupported("a ReLU on the input window".into()));
                }
                continue;
            }
            Step::Affine { .. } => {
                return Err(unsupported(
                    "a BatchNorm that is not folded into a convolution (export this model \
                     as float32)"
                        .into(),
                ));
            }
            Step::BandStats { .. } => {
                return Err(unsupported(
                    "log-mel statistics (a classical model is small already: export it as \
                     float32)"
                        .into(),
                ));
            }
        }
        lens.push(len);
    }
    if !matches!(out.last(), Some(QStep::Logits { .. })) {
        return Err(unsupported(
            "a model that does not end in a dense layer giving the logits".into(),
        ));
    }
    Ok(Int8Network {
        input,
        steps: out,
        lens,
        input_len: n_in,
        calibration_windows: n,
    })
}

impl Int8Network {
    /// int32 accumulators the C convolution kernel keeps: the widest output row.
    pub fn accumulator_len(&self) -> usize {
        self.steps
            .iter()
            .filter_map(|s| match s {
                QStep::Conv { geom, .. } => Some(geom.out_w()),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}

fn widen(r: &mut (f32, f32), values: &[f32]) {
    for &v in values {
        r.0 = r.0.min(v);
        r.1 = r.1.max(v);
    }
}

/// Quantise `weight` (`[out][per]`, or `[per][out]` when `transposed`, then stored
/// `[out][per]`) per output channel, and its bias for input parameters `input`.
fn weights(
    weight: &[f32],
    bias: &[f32],
    outs: usize,
    per: usize,
    transposed: bool,
    input: QParams,
) -> Result<QWeights, ExportError> {
    let at = |o: usize, i: usize| {
        if transposed {
            weight[i * outs + o]
        } else {
            weight[o * per + i]
        }
    };
    let mut q = Vec::with_capacity(outs * per);
    let mut b = Vec::with_capacity(outs);
    let mut acc_scale = Vec::with_capacity(outs);
    // What int32 sums leave for the bias, with every weight at full scale.
    let room = i64::from(i32::MAX) - SUM_BOUND * 127 * per as i64;
    if room < 1 << 20 {
        return Err(unsupported(format!(
            "a layer of {per} inputs per output (int32 sums could overflow; export as float32)"
        )));
    }
    for (o, &bo) in bias.iter().enumerate().take(outs) {
        let max = (0..per).map(|i| at(o, i).abs()).fold(0f32, f32::max);
        if !max.is_finite() || !bo.is_finite() {
            return Err(unsupported(
                "a non-finite weight: the model file is damaged".into(),
            ));
        }
        // A bias large against its weights (a BatchNorm gamma near 0) widens the weight
        // step until the bias fits beside the largest possible sum.
        let ws = (f64::from(max) / 127.0)
            .max(f64::from(bo.abs()) / (f64::from(input.scale) * room as f64));
        let ws = if ws > 0.0 { ws } else { 1.0 };
        q.extend((0..per).map(|i| (f64::from(at(o, i)) / ws).round().clamp(-127.0, 127.0) as i8));
        let s = f64::from(input.scale) * ws;
        b.push(
            (f64::from(bo) / s)
                .round()
                .clamp(-2147483648.0, 2147483647.0) as i32,
        );
        acc_scale.push(s as f32);
    }
    Ok(QWeights {
        weight: q,
        bias: b,
        input_zero_point: input.zero_point,
        acc_scale,
    })
}

fn requants(w: &QWeights, output: QParams) -> Result<Vec<Requant>, ExportError> {
    w.acc_scale
        .iter()
        .map(|&s| Requant::new(f64::from(s) / f64::from(output.scale)))
        .collect()
}

fn unsupported(step: String) -> ExportError {
    ExportError::Unsupported {
        format: "int8",
        step,
    }
}
