//! ONNX export (export stage): a model file -> one self-contained `.onnx` file.
//!
//! The graph takes `window` `[batch, 1, n_mels, frames]` (normalised log-mel windows, made
//! as the `hark.features` metadata says) and gives `logits` `[batch, classes]` and their
//! `probabilities` (Softmax). Batch is dynamic. Written straight from the plan engine's
//! compiled steps over the hand-written [`proto`] messages: burn-onnx's exporter has no
//! Softmax and knows nothing of hark's metadata, and this graph has a handful of operators.
//!
//! | step | ONNX |
//! |------|------|
//! | convolution (+ folded BatchNorm) | `Conv` (`pads` top, left, bottom, right; `group`) |
//! | unfolded BatchNorm | `Mul`, `Add` with `[c, 1, 1]` constants (`[n]` after a flatten, or when it standardises every value of the activation) |
//! | band statistics | `AveragePool` (`[1, frames]`), `Sub`, `Mul`, `AveragePool`, `Sqrt`, `Concat` (axis 2), `Flatten` |
//! | max-pooling | `MaxPool` (stride = kernel, floor) |
//! | ReLU | `Relu` |
//! | dense | `Flatten` (axis 1) before the first, then `Gemm` (`B` is `[in, out]`) |
//!
//! Metadata (`metadata_props`, JSON values): `hark.labels` (class names, index = output),
//! `hark.features` (the full feature configuration), `hark.decision` (clip-decision
//! settings), `hark.model` (architecture), `hark.version`.

pub mod proto;

use hark_infer::{ModelFile, ModelMeta, PlanEngine, Step};
use prost::Message;

use crate::ExportError;
use proto::{
    AttributeProto, Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    StringStringEntryProto, TensorProto, TensorShapeProto, TensorTypeProto, TypeProto,
    ValueInfoProto, attribute_type,
};

/// ONNX operator set written.
pub const OPSET: i64 = 18;
/// ONNX IR version written (what onnx 1.13, which introduced opset 18, writes with it).
pub const IR_VERSION: i64 = 8;
/// Name of the graph input.
pub const INPUT: &str = "window";
/// Name of the logits output.
pub const LOGITS: &str = "logits";
/// Name of the probabilities output.
pub const PROBABILITIES: &str = "probabilities";
/// Metadata key: class names (JSON array).
pub const META_LABELS: &str = "hark.labels";
/// Metadata key: feature configuration (JSON object, hark's `FeatureConfig`).
pub const META_FEATURES: &str = "hark.features";
/// Metadata key: clip-decision settings (JSON object).
pub const META_DECISION: &str = "hark.decision";
/// Metadata key: architecture (JSON object).
pub const META_MODEL: &str = "hark.model";
/// Metadata key: hark version (JSON string).
pub const META_VERSION: &str = "hark.version";

/// The ONNX file for `file`, encoded.
pub fn to_onnx(file: &ModelFile) -> Result<Vec<u8>, ExportError> {
    Ok(onnx_model(file)?.encode_to_vec())
}

/// The ONNX model for `file`.
pub fn onnx_model(file: &ModelFile) -> Result<ModelProto, ExportError> {
    file.meta.validate()?;
    let engine = PlanEngine::new(&file.meta.plan()?, &file.weights)?;
    onnx_model_for(&engine, &file.meta)
}

/// The ONNX model running `engine` (compiled from `meta`'s plan, or from a layer plan built
/// by hand), with `meta`'s input shape, class names and metadata.
pub fn onnx_model_for(engine: &PlanEngine, meta: &ModelMeta) -> Result<ModelProto, ExportError> {
    let [_, n_mels, frames] = meta.input_shape;
    let classes = meta.class_names.len();

    let mut g = Graph::default();
    let mut x = INPUT.to_string();
    let mut flat = false;
    let mut len = engine.input_len();
    for (k, (step, out_len)) in engine.steps().enumerate() {
        x = match step {
            Step::Conv { geom, weight, bias } => {
                let w = g.constant(
                    &format!("conv{k}.weight"),
                    &[
                        geom.out_channels,
                        geom.in_channels / geom.groups,
                        geom.kernel[0],
                        geom.kernel[1],
                    ],
                    weight,
                );
                let b = g.constant(&format!("conv{k}.bias"), &[geom.out_channels], bias);
                g.node(
                    "Conv",
                    k,
                    vec![x, w, b],
                    vec![
                        ints("kernel_shape", &geom.kernel),
                        ints("strides", &geom.stride),
                        ints("pads", &geom.padding),
                        ints("dilations", &[1, 1]),
                        int("group", geom.groups),
                    ],
                )
            }
            Step::Affine { scale, shift } => {
                // One value per activation value (a standardisation after a flatten the
                // engine does not list): flatten first.
                if !flat && scale.len() == len {
                    x = g.node("Flatten", k, vec![x], vec![int("axis", 1)]);
                    flat = true;
                }
                let dims = if flat {
                    vec![scale.len()]
                } else {
                    vec![scale.len(), 1, 1]
                };
                let s = g.constant(&format!("affine{k}.scale"), &dims, scale);
                let t = g.constant(&format!("affine{k}.shift"), &dims, shift);
                let y = g.node("Mul", k, vec![x, s], vec![]);
                g.node("Add", k, vec![y, t], vec![])
            }
            Step::Pool(p) => g.node(
                "MaxPool",
                k,
                vec![x],
                vec![ints("kernel_shape", &p.kernel), ints("strides", &p.kernel)],
            ),
            Step::Relu => g.node("Relu", k, vec![x], vec![]),
            Step::BandStats { frames, .. } => {
                // Mean over frames as an average pool of one row's width, then the
                // population standard deviation the same way; [N, 1, 2 * n_mels, 1] flattened.
                let pool = || {
                    vec![
                        ints("kernel_shape", &[1, *frames]),
                        ints("strides", &[1, *frames]),
                    ]
                };
                let mean = g.node("AveragePool", k, vec![x.clone()], pool());
                let dev = g.node("Sub", k, vec![x, mean.clone()], vec![]);
                let sq = g.node("Mul", k, vec![dev.clone(), dev], vec![]);
                let var = g.node("AveragePool", k, vec![sq], pool());
                let std = g.node("Sqrt", k, vec![var], vec![]);
                let both = g.node("Concat", k, vec![mean, std], vec![int("axis", 2)]);
                flat = true;
                g.node("Flatten", k, vec![both], vec![int("axis", 1)])
            }
            Step::Dense {
                in_features,
                out_features,
                weight,
                bias,
            } => {
                if !flat {
                    x = g.node("Flatten", k, vec![x], vec![int("axis", 1)]);
                    flat = true;
                }
                let w = g.constant(
                    &format!("dense{k}.weight"),
                    &[*in_features, *out_features],
                    weight,
                );
                let b = g.constant(&format!("dense{k}.bias"), &[*out_features], bias);
                g.node("Gemm", k, vec![x, w, b], vec![])
            }
        };
        len = out_len;
    }
    if !flat {
        return Err(ExportError::Unsupported {
            format: "ONNX",
            step: "a model that does not end in a dense layer".into(),
        });
    }
    // The last node's output is the logits.
    if let Some(last) = g.nodes.last_mut() {
        last.output = vec![LOGITS.to_string()];
    }
    g.nodes.push(NodeProto {
        input: vec![LOGITS.to_string()],
        output: vec![PROBABILITIES.to_string()],
        name: "softmax".into(),
        op_type: "Softmax".into(),
        attribute: vec![int("axis", 1)],
    });

    let version = env!("CARGO_PKG_VERSION");
    let metadata_props = [
        (META_LABELS, serde_json::to_string(&meta.class_names)?),
        (META_FEATURES, serde_json::to_string(&meta.features)?),
        (META_DECISION, serde_json::to_string(&meta.decision)?),
        (META_MODEL, serde_json::to_string(&meta.model)?),
        (META_VERSION, serde_json::to_string(version)?),
    ]
    .into_iter()
    .map(|(key, value)| StringStringEntryProto {
        key: key.into(),
        value,
    })
    .collect();
    let arch = meta.model.arch_name();
    Ok(ModelProto {
        ir_version: IR_VERSION,
        producer_name: "hark".into(),
        producer_version: version.into(),
        domain: "audio.hark".into(),
        model_version: 1,
        doc_string: format!(
            "{arch} sound classifier exported by hark {version}: {classes} classes ({}); \
             input: normalised log-mel windows as `hark.features` describes",
            meta.class_names.join(", ")
        ),
        graph: Some(GraphProto {
            node: g.nodes,
            name: arch.to_string(),
            initializer: g.constants,
            doc_string: String::new(),
            input: vec![value_info(
                INPUT,
                &[None, Some(1), Some(n_mels), Some(frames)],
                "normalised log-mel windows [batch, 1, n_mels, frames]",
            )],
            output: vec![
                value_info(LOGITS, &[None, Some(classes)], "logits [batch, classes]"),
                value_info(
                    PROBABILITIES,
                    &[None, Some(classes)],
                    "softmax of the logits [batch, classes]",
                ),
            ],
        }),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        metadata_props,
    })
}

/// Nodes and constants under construction.
#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    constants: Vec<TensorProto>,
}

impl Graph {
    /// Add a float constant; returns its name.
    fn constant(&mut self, name: &str, dims: &[usize], data: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), data.len());
        self.constants.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: proto::FLOAT,
            name: name.into(),
            raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name.into()
    }

    /// Add a node for step `step`; returns its output's name.
    fn node(
        &mut self,
        op: &str,
        step: usize,
        input: Vec<String>,
        attribute: Vec<AttributeProto>,
    ) -> String {
        let name = format!("{}{step}_{}", op.to_lowercase(), self.nodes.len());
        self.nodes.push(NodeProto {
            input,
            output: vec![name.clone()],
            name: name.clone(),
            op_type: op.into(),
            attribute,
        });
        name
    }
}

fn ints(name: &str, values: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: values.iter().map(|&v| v as i64).collect(),
        r#type: attribute_type::INTS,
        ..Default::default()
    }
}

fn int(name: &str, value: usize) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i: Some(value as i64),
        r#type: attribute_type::INT,
        ..Default::default()
    }
}

/// A float tensor's name, shape (`None` = the symbolic `batch`) and description.
fn value_info(name: &str, dims: &[Option<usize>], doc: &str) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| match d {
            Some(v) => Dimension {
                dim_value: Some(*v as i64),
                dim_param: None,
            },
            None => Dimension {
                dim_value: None,
                dim_param: Some("batch".into()),
            },
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: proto::FLOAT,
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
        doc_string: doc.into(),
    }
}
