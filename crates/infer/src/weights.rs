//! Backend-neutral model weights (model file <-> burn modules, inference core): every float tensor of a burn module
//! (parameters and BatchNorm running statistics) as a named f32 array, and back.
//!
//! Names are module paths joined by `.`, e.g. `convs.0.weight`: the names
//! [`hark_model::LayerPlan::params`] gives.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};

use crate::InferError;

/// One named tensor, row-major f32.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    /// Module path, e.g. `linears.0.weight`.
    pub name: String,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values.
    pub data: Vec<f32>,
}

/// All float tensors of a model, sorted by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelWeights {
    /// The tensors.
    pub tensors: Vec<NamedTensor>,
}

impl ModelWeights {
    /// Copy every float tensor out of `module` (any device).
    pub fn from_module<M: Module>(module: &M) -> Self {
        let mut v = Collector {
            path: Vec::new(),
            out: Vec::new(),
        };
        module.visit(&mut v);
        v.out.sort_by(|a, b| a.name.cmp(&b.name));
        ModelWeights { tensors: v.out }
    }

    /// Total number of values.
    pub fn num_values(&self) -> usize {
        self.tensors.iter().map(|t| t.data.len()).sum()
    }

    /// Load these weights into `module` (which must have the same architecture), keeping
    /// its device. Errors name the first tensor that is missing, unexpected or mis-shaped.
    pub fn apply_to<M: Module>(&self, module: M) -> Result<M, InferError> {
        let by_name: HashMap<&str, &NamedTensor> =
            self.tensors.iter().map(|t| (t.name.as_str(), t)).collect();
        let mut m = Loader {
            path: Vec::new(),
            by_name,
            used: 0,
            error: None,
        };
        let module = module.map(&mut m);
        if let Some(e) = m.error {
            return Err(e);
        }
        if m.used != self.tensors.len() {
            // Some stored tensor was never asked for: name one.
            let expected = ModelWeights::from_module(&module);
            let known: std::collections::HashSet<&str> =
                expected.tensors.iter().map(|t| t.name.as_str()).collect();
            if let Some(extra) = self
                .tensors
                .iter()
                .find(|t| !known.contains(t.name.as_str()))
            {
                return Err(InferError::WeightMismatch {
                    name: extra.name.clone(),
                    expected: vec![],
                    actual: extra.shape.clone(),
                });
            }
        }
        Ok(module)
    }
}

struct Collector {
    path: Vec<String>,
    out: Vec<NamedTensor>,
}

impl ModuleVisitor for Collector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let shape = t.dims().to_vec();
        let data = t
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        self.out.push(NamedTensor {
            name: self.path.join("."),
            shape,
            data,
        });
    }
}

struct Loader<'a> {
    path: Vec<String>,
    by_name: HashMap<&'a str, &'a NamedTensor>,
    used: usize,
    error: Option<InferError>,
}

impl ModuleMapper for Loader<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let name = self.path.join(".");
        let expected = param.lazy_shape().to_vec();
        let Some(t) = self.by_name.get(name.as_str()) else {
            self.error = Some(InferError::WeightMismatch {
                name,
                expected,
                actual: vec![],
            });
            return param;
        };
        if t.shape != expected || t.data.len() != expected.iter().product::<usize>() {
            self.error = Some(InferError::WeightMismatch {
                name,
                expected,
                actual: t.shape.clone(),
            });
            return param;
        }
        self.used += 1;
        let data = TensorData::new(t.data.clone(), t.shape.clone());
        // No access to the old value: a lazily initialised parameter is never materialised
        // (and never draws from the backend RNG) just to be overwritten.
        let device = param.lazy_device();
        let id = param.id;
        param.transform_for_load(Tensor::<D>::from_data(data, &device), id)
    }
}
