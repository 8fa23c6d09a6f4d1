//! The network part of the C export: the plan engine's compiled steps as constant weight
//! arrays, geometry structs and one `hark_run_network` calling the runtime's kernels.

use std::fmt::Write;

use hark_infer::{PlanEngine, Step};

use super::tables::array;
use crate::ExportError;

/// What [`write`] produced.
pub(super) struct Network {
    /// The `hark_run_network` definition (placed after the runtime).
    pub run_fn: String,
    /// Bytes of weights.
    pub weight_bytes: usize,
    /// Values in the two activation buffers together.
    pub activation_values: usize,
    /// Multiply-accumulates per window.
    pub macs: usize,
}

/// Write the weights and layer constants to `w`; return the network function and its cost.
pub(super) fn write(
    w: &mut String,
    engine: &PlanEngine,
    classes: usize,
) -> Result<Network, ExportError> {
    let steps: Vec<(&Step, usize)> = engine.steps().collect();
    let mut body = String::new();
    // Each of the two activation buffers is sized for the largest output written to it.
    // Zero: never written (a model of two steps or fewer uses one buffer or none).
    let (mut len_a, mut len_b) = (0usize, 0usize);
    let (mut weight_bytes, mut macs) = (0, 0);
    // Where the current activation lives.
    let mut cur = "input";
    let mut cur_len = engine.input_len();
    let other = |c: &str| {
        if c == "hark_act_a" {
            "hark_act_b"
        } else {
            "hark_act_a"
        }
    };
    for (k, (step, len)) in steps.iter().enumerate() {
        let last = k + 1 == steps.len();
        let out = if last { "logits" } else { other(cur) };
        let writes = match step {
            Step::Relu | Step::Affine { .. } => cur,
            _ => out,
        };
        match writes {
            "hark_act_a" => len_a = len_a.max(*len),
            "hark_act_b" => len_b = len_b.max(*len),
            _ => {}
        }
        match step {
            Step::Conv { geom, weight, bias } => {
                finite(weight, k)?;
                finite(bias, k)?;
                weight_bytes += array(w, "float", &format!("hark_w{k}"), weight);
                weight_bytes += array(w, "float", &format!("hark_b{k}"), bias);
                let g = geom;
                let _ = writeln!(
                    w,
                    "static const hark_conv_geom hark_g{k} = {{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}}};",
                    g.in_channels,
                    g.out_channels,
                    g.in_h,
                    g.in_w,
                    g.out_h(),
                    g.out_w(),
                    g.kernel[0],
                    g.kernel[1],
                    g.stride[0],
                    g.stride[1],
                    g.padding[0],
                    g.padding[1],
                    g.groups
                );
                macs += len * (g.in_channels / g.groups) * g.kernel[0] * g.kernel[1];
                let _ = writeln!(
                    body,
                    "  hark_conv2d(&hark_g{k}, hark_w{k}, hark_b{k}, {cur}, {out});"
                );
                cur = out;
            }
            Step::Pool(p) => {
                let _ = writeln!(
                    w,
                    "static const hark_pool_geom hark_g{k} = {{{}, {}, {}, {}, {}, {}, {}}};",
                    p.channels,
                    p.in_h,
                    p.in_w,
                    p.out_h(),
                    p.out_w(),
                    p.kernel[0],
                    p.kernel[1]
                );
                let _ = writeln!(body, "  hark_maxpool(&hark_g{k}, {cur}, {out});");
                cur = out;
            }
            Step::Relu | Step::Affine { .. } if cur == "input" => {
                return Err(ExportError::Unsupported {
                    format: "C",
                    step: "an in-place step on the input window".into(),
                });
            }
            Step::Relu => {
                let _ = writeln!(body, "  hark_relu({cur}, {len});");
            }
            Step::Affine { scale, shift } => {
                finite(scale, k)?;
                finite(shift, k)?;
                weight_bytes += array(w, "float", &format!("hark_scale{k}"), scale);
                weight_bytes += array(w, "float", &format!("hark_shift{k}"), shift);
                let c = scale.len();
                let _ = writeln!(
                    body,
                    "  hark_affine({cur}, hark_scale{k}, hark_shift{k}, {c}, {});",
                    cur_len / c.max(1)
                );
                macs += cur_len;
            }
            Step::BandStats { n_mels, frames } => {
                macs += 2 * n_mels * frames;
                let _ = writeln!(body, "  hark_band_stats({cur}, {n_mels}, {frames}, {out});");
                cur = out;
            }
            Step::Dense {
                in_features,
                out_features,
                weight,
                bias,
            } => {
                finite(weight, k)?;
                finite(bias, k)?;
                weight_bytes += array(w, "float", &format!("hark_w{k}"), weight);
                weight_bytes += array(w, "float", &format!("hark_b{k}"), bias);
                macs += in_features * out_features;
                let _ = writeln!(
                    body,
                    "  hark_dense(hark_w{k}, hark_b{k}, {in_features}, {out_features}, {cur}, {out});"
                );
                cur = out;
            }
        }
        cur_len = *len;
    }
    if cur != "logits" || cur_len != classes {
        return Err(ExportError::Unsupported {
            format: "C",
            step: "a model that does not end in a dense layer giving the logits".into(),
        });
    }
    let buffers: Vec<String> = [("hark_act_a", len_a), ("hark_act_b", len_b)]
        .iter()
        .filter(|(_, len)| *len > 0)
        .map(|(name, len)| format!("{name}[{len}]"))
        .collect();
    let decl = if buffers.is_empty() {
        String::new()
    } else {
        format!("\nstatic float {};\n", buffers.join(", "))
    };
    let run_fn = format!(
        "{decl}\nstatic void hark_run_network(const float *input, float *logits) {{\n{body}}}\n"
    );
    Ok(Network {
        run_fn,
        weight_bytes,
        activation_values: len_a + len_b,
        macs,
    })
}

fn finite(v: &[f32], step: usize) -> Result<(), ExportError> {
    match v.iter().find(|x| !x.is_finite()) {
        Some(x) => Err(ExportError::Unsupported {
            format: "C",
            step: format!("a non-finite weight ({x}) in step {step}: the model file is damaged"),
        }),
        None => Ok(()),
    }
}
