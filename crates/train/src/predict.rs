//! Window-level prediction (predict stage): a loaded model file -> softmax probabilities
//! per window, on the Flex CPU backend in inference mode (no autodiff, dropout off,
//! BatchNorm running statistics).

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use hark_model::Classifier;

use crate::{ModelFile, TrainError};

/// Windows per forward pass inside [`Predictor::predict`].
pub const PREDICT_BATCH: usize = 64;

/// A model ready to predict. Build once, call [`Predictor::predict`] many times.
#[derive(Debug, Clone)]
pub struct Predictor {
    net: Classifier,
    device: Device,
    n_mels: usize,
    n_frames: usize,
    n_classes: usize,
}

impl Predictor {
    /// Build the architecture the file describes and load its weights. Fails with
    /// [`TrainError::WeightMismatch`] when the weights do not fit the architecture.
    pub fn new(file: &ModelFile) -> Result<Predictor, TrainError> {
        Self::with_device(file, Device::flex())
    }

    /// Like [`Predictor::new`] on a chosen (non-autodiff) device.
    pub fn with_device(file: &ModelFile, device: Device) -> Result<Predictor, TrainError> {
        let [_, n_mels, n_frames] = file.meta.input_shape;
        let n_classes = file.meta.class_names.len();
        let net = file.meta.model.init(n_mels, n_frames, n_classes, &device)?;
        let net = file.weights.apply_to(net)?.valid();
        Ok(Predictor {
            net,
            device,
            n_mels,
            n_frames,
            n_classes,
        })
    }

    /// Input shape `(n_mels, n_frames)` of one window.
    pub fn window_shape(&self) -> (usize, usize) {
        (self.n_mels, self.n_frames)
    }

    /// Number of classes (length of each probability row).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Class probabilities for `n_windows` windows laid out as in [`crate::WindowSet::data`]
    /// (`n_windows * n_mels * n_frames` values). Returns `n_windows * n_classes` values,
    /// row-major (softmax per row). Errors if the data does not have the model's window shape.
    pub fn predict(&self, windows: &[f32], n_windows: usize) -> Result<Vec<f32>, TrainError> {
        let wl = self.n_mels * self.n_frames;
        if windows.len() != n_windows * wl {
            return Err(TrainError::InputShape {
                what: format!(
                    "{n_windows} windows of {}x{} (mels x frames)",
                    self.n_mels, self.n_frames
                ),
                expected: n_windows * wl,
                actual: windows.len(),
            });
        }
        let mut out = Vec::with_capacity(n_windows * self.n_classes);
        for chunk in windows.chunks(PREDICT_BATCH * wl) {
            let n = chunk.len() / wl;
            let x = Tensor::<4>::from_data(
                TensorData::new(chunk.to_vec(), [n, 1, self.n_mels, self.n_frames]),
                &self.device,
            );
            let p = softmax(self.net.forward(x), 1);
            let v = p
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| {
                    TrainError::BadData(format!("prediction output could not be read: {e:?}"))
                })?;
            out.extend_from_slice(&v);
        }
        Ok(out)
    }
}
