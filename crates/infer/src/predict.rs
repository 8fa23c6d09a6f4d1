//! Window-level prediction (predict stage): a loaded model file -> softmax probabilities or
//! embeddings per window, in inference mode (dropout off, BatchNorm running statistics), on
//! the plan engine ([`crate::engine`], the default) or burn's Flex CPU backend
//! (`HARK_KERNELS=burn`).

use std::cell::RefCell;

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use hark_features::Window;
use hark_model::{Classifier, LayerPlan};

use crate::engine::{KERNELS_ENV, PlanEngine, Workspace};
use crate::{Decision, DecisionConfig, InferError, ModelFile, aggregate, decide};

thread_local! {
    /// Each thread's engine buffers, grown to the largest model it has run.
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

/// One clip's decision from its windows ([`Predictor::decide_clip`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ClipDecision {
    /// Class, unknown or silent.
    pub decision: Decision,
    /// Pooled clip probabilities (`n_classes`; all zero when silent).
    pub probs: Vec<f32>,
    /// Windows shown to the model (those above the silence gate).
    pub windows: usize,
}

/// Windows per forward pass inside [`Predictor::predict`] and [`Predictor::embed`].
pub const PREDICT_BATCH: usize = 64;

/// A model ready to predict. Build once, call [`Predictor::predict`] many times.
#[derive(Debug, Clone)]
pub struct Predictor {
    net: Classifier,
    /// The plan engine, unless burn was asked for.
    fast: Option<PlanEngine>,
    device: Device,
    n_mels: usize,
    n_frames: usize,
    n_classes: usize,
}

impl Predictor {
    /// Build the architecture the file describes and load its weights. Fails with
    /// [`InferError::WeightMismatch`] when the weights do not fit the architecture.
    ///
    /// Runs on the plan engine unless the environment variable `HARK_KERNELS` is `burn`
    /// (any value other than `fast`, `burn` or empty is an error).
    pub fn new(file: &ModelFile) -> Result<Predictor, InferError> {
        let mut p = Self::with_device(file, Device::flex())?;
        let choice = std::env::var(KERNELS_ENV).unwrap_or_default();
        match choice.as_str() {
            "" | "fast" => p.fast = Some(PlanEngine::new(p.net.plan(), &file.weights)?),
            "burn" => {}
            _ => {
                return Err(InferError::BadEnv {
                    name: KERNELS_ENV,
                    value: choice,
                    expected: "fast (default) or burn",
                });
            }
        }
        Ok(p)
    }

    /// Like [`Predictor::new`] on a chosen (non-autodiff) burn device, always through burn.
    pub fn with_device(file: &ModelFile, device: Device) -> Result<Predictor, InferError> {
        let [_, n_mels, n_frames] = file.meta.input_shape;
        let n_classes = file.meta.class_names.len();
        let net = Classifier::from_plan(file.meta.plan()?, &device);
        let net = file.weights.apply_to(net)?.valid();
        Ok(Predictor {
            net,
            fast: None,
            device,
            n_mels,
            n_frames,
            n_classes,
        })
    }

    /// The layer plan the model runs.
    pub fn plan(&self) -> &LayerPlan {
        self.net.plan()
    }

    /// Input shape `(n_mels, n_frames)` of one window.
    pub fn window_shape(&self) -> (usize, usize) {
        (self.n_mels, self.n_frames)
    }

    /// Number of classes (length of each probability row).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Length of one embedding ([`Predictor::embed`] row).
    pub fn embedding_dim(&self) -> usize {
        self.plan().embedding_dim()
    }

    /// Class probabilities for `n_windows` windows laid out row-major per window
    /// (`n_windows * n_mels * n_frames` values). Returns `n_windows * n_classes` values,
    /// row-major (softmax per row). Errors if the data does not have the model's window shape.
    pub fn predict(&self, windows: &[f32], n_windows: usize) -> Result<Vec<f32>, InferError> {
        if let Some(engine) = &self.fast {
            return self.per_window(windows, n_windows, self.n_classes, |w, ws, out| {
                engine.predict_into(w, ws, out)
            });
        }
        self.batched(windows, n_windows, self.n_classes, |x| {
            softmax(self.net.forward(x), 1)
        })
    }

    /// Penultimate activations ([`hark_model::Classifier::embed`]) for `n_windows` windows
    /// laid out as in [`Predictor::predict`]. Returns `n_windows * embedding_dim()` values.
    pub fn embed(&self, windows: &[f32], n_windows: usize) -> Result<Vec<f32>, InferError> {
        if let Some(engine) = &self.fast {
            return self.per_window(windows, n_windows, self.embedding_dim(), |w, ws, out| {
                engine.embed_into(w, ws, out)
            });
        }
        self.batched(windows, n_windows, self.embedding_dim(), |x| {
            self.net.embed(x)
        })
    }

    /// Decide one clip from its analysis windows, as every command does: windows below the
    /// silence gate are never shown to the model, the rest are pooled with
    /// `decision.aggregation` and thresholded; a clip with no other window is
    /// [`Decision::SILENT`]. `buf` holds the concatenated windows between calls.
    pub fn decide_clip(
        &self,
        windows: &[Window],
        decision: &DecisionConfig,
        buf: &mut Vec<f32>,
    ) -> Result<ClipDecision, InferError> {
        buf.clear();
        let mut n = 0;
        for w in windows.iter().filter(|w| !w.silent) {
            buf.extend_from_slice(&w.values);
            n += 1;
        }
        if n == 0 {
            return Ok(ClipDecision {
                decision: Decision::SILENT,
                probs: vec![0.0; self.n_classes],
                windows: 0,
            });
        }
        let probs = aggregate(&self.predict(buf, n)?, self.n_classes, decision.aggregation);
        Ok(ClipDecision {
            decision: decide(&probs, decision.threshold),
            probs,
            windows: n,
        })
    }

    /// Check that `windows` holds `n_windows` windows of the model's shape; returns the
    /// values per window.
    fn window_len(&self, windows: &[f32], n_windows: usize) -> Result<usize, InferError> {
        let wl = self.n_mels * self.n_frames;
        if windows.len() != n_windows * wl {
            return Err(InferError::InputShape {
                what: format!(
                    "{n_windows} windows of {}x{} (mels x frames)",
                    self.n_mels, self.n_frames
                ),
                expected: n_windows * wl,
                actual: windows.len(),
            });
        }
        Ok(wl)
    }

    /// Run the plan engine window by window with this thread's buffers.
    fn per_window(
        &self,
        windows: &[f32],
        n_windows: usize,
        row: usize,
        f: impl Fn(&[f32], &mut Workspace, &mut [f32]),
    ) -> Result<Vec<f32>, InferError> {
        let wl = self.window_len(windows, n_windows)?;
        let mut out = vec![0.0; n_windows * row];
        if row == 0 || wl == 0 {
            return Ok(out);
        }
        WORKSPACE.with_borrow_mut(|ws| {
            for (w, o) in windows.chunks_exact(wl).zip(out.chunks_exact_mut(row)) {
                f(w, ws, o);
            }
        });
        Ok(out)
    }

    fn batched(
        &self,
        windows: &[f32],
        n_windows: usize,
        row: usize,
        f: impl Fn(Tensor<4>) -> Tensor<2>,
    ) -> Result<Vec<f32>, InferError> {
        let wl = self.window_len(windows, n_windows)?;
        let mut out = Vec::with_capacity(n_windows * row);
        for chunk in windows.chunks(PREDICT_BATCH * wl) {
            let n = chunk.len() / wl;
            let x = Tensor::<4>::from_data(
                TensorData::new(chunk.to_vec(), [n, 1, self.n_mels, self.n_frames]),
                &self.device,
            );
            let v = f(x)
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| InferError::Backend(format!("{e:?}")))?;
            out.extend_from_slice(&v);
        }
        Ok(out)
    }
}
