//! Classical classifiers as architectures (model stage): a fixed feature map (per-band
//! log-mel statistics, or another hark model's embedding), standardised, then one linear
//! layer whose weights are fitted by logistic regression in hark-train, not by gradient
//! descent.
//!
//! Layout (input `[batch, 1, n_mels, frames]`):
//! 1. features: `stats` ([`Op::BandStats`]: the `n_mels` band means, then the `n_mels` band
//!    standard deviations over the window's frames) or the base model's layers up to its
//!    embedding ([`LayerPlan::embedding_layer`]), with the base's tensor names;
//! 2. `standardize`: an inference-mode BatchNorm holding the training features' mean and
//!    variance (gamma 1, beta 0), so every runtime that runs BatchNorm (plan engine, burn,
//!    ONNX, C) runs the standardisation as it was fitted;
//! 3. `head`: a dense layer to the classes; its softmax is the fitted model's probability.

use serde::{Deserialize, Serialize};

use crate::plan::{LayerPlan, Planner};
use crate::{ModelConfig, ModelError};

/// Epsilon of the `standardize` layer: the fit stores variances of at least this much
/// larger values (a constant feature gets variance 1, as scikit-learn's `StandardScaler`).
pub const STANDARDIZE_EPSILON: f64 = 1e-12;

/// Settings of a classical classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ClassicalConfig {
    /// How the linear head is fitted. Default logistic regression, C = 1.
    pub method: ClassicalMethod,
    /// What it is fitted on. Default per-band log-mel statistics.
    pub input: ClassicalInput,
}

/// How the linear head is fitted (hark-train's classical fit, with linfa).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClassicalMethod {
    /// Multinomial logistic regression, L2-regularised: minimises the summed log-loss plus
    /// `||W||^2 / (2 c)` (scikit-learn's `C`).
    Logreg {
        /// Inverse regularisation strength. Default 1.0.
        c: f64,
        /// L-BFGS iterations at most. Default 100.
        max_iter: u64,
    },
}

impl Default for ClassicalMethod {
    fn default() -> Self {
        ClassicalMethod::Logreg {
            c: 1.0,
            max_iter: 100,
        }
    }
}

impl ClassicalMethod {
    /// Name as `hark train --model` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            ClassicalMethod::Logreg { .. } => "logreg",
        }
    }
}

/// The features a classical classifier is fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClassicalInput {
    /// Per-band mean and standard deviation of the log-mel window (`2 * n_mels` values).
    #[default]
    BandStats,
    /// The embedding of another hark model, whose layers up to the embedding are copied
    /// with their weights.
    Embedding {
        /// The embedding model's architecture (its plan decides the copied layers).
        base: Box<ModelConfig>,
        /// Classes of the embedding model (its plan needs the count; the output layer is
        /// not copied).
        base_classes: usize,
    },
}

impl ClassicalConfig {
    /// Lay out features, `standardize` and `head` for an `n_mels x frames` input.
    pub fn plan(
        &self,
        n_mels: usize,
        frames: usize,
        n_classes: usize,
    ) -> Result<LayerPlan, ModelError> {
        let mut p = match &self.input {
            ClassicalInput::BandStats => {
                let mut p = Planner::new(n_mels, frames)?;
                p.band_stats("stats");
                p
            }
            ClassicalInput::Embedding { base, base_classes } => {
                let mut plan = base.plan(n_mels, frames, *base_classes)?;
                plan.layers.truncate(plan.embedding_layer() + 1);
                Planner::resume(plan)
            }
        };
        p.batch_norm_eps("standardize", STANDARDIZE_EPSILON);
        p.linear("head", n_classes)?;
        let positive = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(ModelError::BadSetting {
                    name,
                    value: v,
                    rule: "must be a finite number > 0",
                })
            }
        };
        match self.method {
            ClassicalMethod::Logreg { c, max_iter } => {
                positive("c", c)?;
                crate::plan::positive("max_iter", max_iter as usize)?;
            }
        }
        Ok(p.finish())
    }

    /// Index of the `standardize` layer in this config's plan: the layers before it are the
    /// feature map.
    pub fn feature_layers(plan: &LayerPlan) -> usize {
        plan.layers.len().saturating_sub(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Op, SbCnnConfig};

    #[test]
    fn band_statistics_plan_is_stats_standardize_head() {
        let plan = ClassicalConfig::default().plan(40, 32, 10).expect("plan");
        let names: Vec<&str> = plan.layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["stats", "standardize", "head"]);
        assert_eq!(plan.layers[0].output, [80, 1, 1]);
        assert_eq!(plan.embedding_dim(), 80);
        let params: Vec<String> = plan.params().into_iter().map(|p| p.name).collect();
        assert_eq!(
            params,
            [
                "norms.0.gamma",
                "norms.0.beta",
                "norms.0.running_mean",
                "norms.0.running_var",
                "linears.0.weight",
                "linears.0.bias"
            ]
        );
    }

    #[test]
    fn embedding_plan_keeps_the_base_names_and_numbers_new_layers_after_them() {
        let base = ModelConfig::SbCnn(SbCnnConfig::default());
        let base_plan = base.plan(60, 41, 10).expect("base");
        let cfg = ClassicalConfig {
            method: ClassicalMethod::default(),
            input: ClassicalInput::Embedding {
                base: Box::new(base),
                base_classes: 10,
            },
        };
        let plan = cfg.plan(60, 41, 3).expect("plan");
        let k = base_plan.embedding_layer() + 1;
        assert_eq!(plan.layers[..k], base_plan.layers[..k]);
        let n = plan.layers.len();
        assert_eq!(ClassicalConfig::feature_layers(&plan), k);
        assert_eq!(plan.layers[n - 1].output, [3, 1, 1]);
        let base_linears = base_plan.layers[..k]
            .iter()
            .filter(|l| matches!(l.op, Op::Linear { .. }))
            .count();
        let head = plan.layers[n - 1].params();
        assert_eq!(head[0].name, format!("linears.{base_linears}.weight"));
        assert_eq!(plan.embedding_dim(), base_plan.embedding_dim());
    }

    #[test]
    fn bad_settings_are_named() {
        let cfg = ClassicalConfig {
            method: ClassicalMethod::Logreg {
                c: 0.0,
                max_iter: 100,
            },
            ..ClassicalConfig::default()
        };
        let e = cfg.plan(40, 32, 10).expect_err("c = 0");
        assert!(e.to_string().contains("`c`"), "{e}");
    }
}
