//! Training settings (train stage). Serde structs with `Default`; saved inside the model file.

use serde::{Deserialize, Serialize};

use crate::{AugmentConfig, TrainError};

/// Optimiser and its learning rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum OptimizerConfig {
    /// Adam (beta1 0.9, beta2 0.999, eps 1e-5 as in burn).
    Adam {
        /// Learning rate. Default 1e-3.
        lr: f64,
        /// L2 penalty added to the gradient (`None` = off).
        #[serde(default)]
        weight_decay: Option<f32>,
    },
    /// Stochastic gradient descent with (Nesterov) momentum.
    Sgd {
        /// Learning rate, e.g. 0.01.
        lr: f64,
        /// Momentum. Default 0.9.
        #[serde(default = "default_momentum")]
        momentum: f64,
        /// Nesterov momentum. Default true.
        #[serde(default = "default_true")]
        nesterov: bool,
        /// L2 penalty added to the gradient (`None` = off).
        #[serde(default)]
        weight_decay: Option<f32>,
    },
}

fn default_momentum() -> f64 {
    0.9
}
fn default_true() -> bool {
    true
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig::Adam {
            lr: 1e-3,
            weight_decay: None,
        }
    }
}

impl OptimizerConfig {
    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerConfig::Adam { lr, .. } | OptimizerConfig::Sgd { lr, .. } => *lr,
        }
    }
}

/// Learning-rate schedule over epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LrSchedule {
    /// The base rate throughout.
    #[default]
    Constant,
    /// Cosine decay from the base rate (epoch 1) to 0 (after the last epoch).
    Cosine,
    /// Multiply the rate by `factor` when the monitored loss (validation loss, else training
    /// loss) has not improved for `patience` epochs.
    ReduceOnPlateau {
        /// Multiplier, in (0, 1). E.g. 0.5.
        factor: f64,
        /// Epochs without improvement before reducing. E.g. 3.
        patience: usize,
    },
}

/// Everything the training loop needs besides the model and data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Passes over the training windows. Default 50.
    pub epochs: usize,
    /// Windows per optimiser step. Default 64.
    pub batch_size: usize,
    /// Optimiser. Default Adam, lr 1e-3.
    pub optimizer: OptimizerConfig,
    /// Learning-rate schedule. Default: halve the rate after 3 epochs without improvement
    /// (measured: 99.0% on FSDD against 96.3% with a constant rate).
    pub lr_schedule: LrSchedule,
    /// Stop after this many epochs without a lower validation loss (needs a validation
    /// set; `None` = never). The best epoch's weights are returned. Default 10.
    pub patience: Option<usize>,
    /// Weight the loss by inverse class frequency (for unbalanced data). Default false.
    pub class_weights: bool,
    /// Seed for weight initialisation, dropout and shuffling. Default 42.
    pub seed: u64,
    /// Share of clips held out for validation by callers that have no validation set or
    /// fold (split by clip, stratified: see [`crate::WindowSet::split_by_clip`]). Default 0.15.
    pub validation_fraction: f32,
    /// Augmentation of the training windows. Default: none.
    pub augment: AugmentConfig,
    /// Layers whose parameters (and BatchNorm statistics) stay as they start, by layer-plan
    /// name or name prefix (`block1` freezes `block1.conv`, `block1.bn`, ...). Used with
    /// starting weights ([`crate::train_from`]'s `init`). Default: none.
    pub freeze: Vec<String>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 50,
            batch_size: 64,
            optimizer: OptimizerConfig::default(),
            lr_schedule: LrSchedule::ReduceOnPlateau {
                factor: 0.5,
                patience: 3,
            },
            patience: Some(10),
            class_weights: false,
            seed: 42,
            validation_fraction: 0.15,
            augment: AugmentConfig::default(),
            freeze: Vec::new(),
        }
    }
}

impl TrainConfig {
    /// Check every setting's range.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.epochs == 0 {
            return Err(TrainError::setting("epochs", "must be at least 1"));
        }
        if self.batch_size < 2 {
            return Err(TrainError::setting(
                "batch_size",
                format!(
                    "must be at least 2 (BatchNorm needs two windows), got {}",
                    self.batch_size
                ),
            ));
        }
        let lr = self.optimizer.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(TrainError::setting(
                "lr",
                format!("must be a positive number, got {lr}"),
            ));
        }
        if let OptimizerConfig::Sgd { momentum, .. } = self.optimizer
            && !(0.0..1.0).contains(&momentum)
        {
            return Err(TrainError::setting(
                "momentum",
                format!("must be in [0, 1), got {momentum}"),
            ));
        }
        if let LrSchedule::ReduceOnPlateau { factor, .. } = self.lr_schedule
            && !(factor > 0.0 && factor < 1.0)
        {
            return Err(TrainError::setting(
                "lr_schedule.factor",
                format!("must be in (0, 1), got {factor}"),
            ));
        }
        if self.patience == Some(0) {
            return Err(TrainError::setting(
                "patience",
                "must be at least 1 (or absent to disable early stopping)",
            ));
        }
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return Err(TrainError::setting(
                "validation_fraction",
                format!("must be in [0, 1), got {}", self.validation_fraction),
            ));
        }
        self.augment.validate()
    }
}
