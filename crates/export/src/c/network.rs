//! The network part of the C export: the plan engine's compiled steps (float32) or the
//! int8 network (`crate::int8`) as constant weight arrays, geometry structs and one
//! `hark_run_network` calling the runtime's kernels.

use std::fmt::Write;

use hark_infer::{PlanEngine, Step};

use super::lit;
use super::tables::array;
use crate::ExportError;
use crate::int8::{Int8Network, QStep, QWeights, Requant};

/// What [`write`] produced.
pub(super) struct Network {
    /// The `hark_run_network` definition (placed after the runtime).
    pub run_fn: String,
    /// Bytes of weights.
    pub weight_bytes: usize,
    /// Values in the two activation buffers together (float32 or int8).
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
                conv_geom(w, k, g);
                macs += len * (g.in_channels / g.groups) * g.kernel[0] * g.kernel[1];
                let _ = writeln!(
                    body,
                    "  hark_conv2d(&hark_g{k}, hark_w{k}, hark_b{k}, {cur}, {out});"
                );
                cur = out;
            }
            Step::Pool(p) => {
                pool_geom(w, k, p);
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

/// Write the int8 network's constants to `w`; return its `hark_run_network` and its cost.
/// Its input is the float window, quantised first; its output is float logits.
pub(super) fn write_int8(w: &mut String, net: &Int8Network) -> Result<Network, ExportError> {
    let mut body = String::new();
    let (mut len_a, mut weight_bytes, mut macs) = (net.input_len, 0, 0);
    let mut len_b = 0;
    let _ = writeln!(
        body,
        "  hark_quantize_input(input, {}, {}, {}, hark_act_a);",
        net.input_len,
        lit(net.input.scale),
        net.input.zero_point
    );
    let (mut cur, mut other) = ("hark_act_a", "hark_act_b");
    let mut cur_len = net.input_len;
    // A pooling step right after a convolution is done by the convolution's kernel.
    let mut fused = false;
    for (k, (step, &len)) in net.steps.iter().zip(&net.lens).enumerate() {
        if std::mem::take(&mut fused) {
            continue;
        }
        let pool = match net.steps.get(k + 1) {
            Some(QStep::Pool(p)) if matches!(step, QStep::Conv { .. }) => Some(p),
            _ => None,
        };
        let mut weights = |w: &mut String, q: &QWeights| {
            weight_bytes += ints(w, "int8_t", &format!("hark_w{k}"), &q.weight);
            weight_bytes += ints(w, "int32_t", &format!("hark_b{k}"), &q.bias);
        };
        let requant = |w: &mut String, r: &[Requant], bytes: &mut usize| {
            let m: Vec<i32> = r.iter().map(|r| r.multiplier).collect();
            let s: Vec<i8> = r.iter().map(|r| r.shift as i8).collect();
            *bytes += ints(w, "int32_t", &format!("hark_m{k}"), &m);
            *bytes += ints(w, "int8_t", &format!("hark_s{k}"), &s);
        };
        match step {
            QStep::Conv {
                geom: g,
                w: q,
                requant: r,
                output,
                relu,
            } => {
                weights(w, q);
                requant(w, r, &mut weight_bytes);
                conv_geom(w, k, g);
                macs += len * (g.in_channels / g.groups) * g.kernel[0] * g.kernel[1];
                let lo = if *relu { output.zero_point } else { -128 };
                let p = match pool {
                    Some(p) => {
                        pool_geom(w, k + 1, p);
                        fused = true;
                        format!("&hark_g{}", k + 1)
                    }
                    None => "NULL".into(),
                };
                let _ = writeln!(
                    body,
                    "  hark_qconv2d(&hark_g{k}, {p}, hark_w{k}, hark_b{k}, hark_m{k}, hark_s{k}, {}, {}, {lo}, {cur}, {other});",
                    q.input_zero_point, output.zero_point
                );
            }
            QStep::Pool(_) => {
                // `int8::quantize` places a pooling only right after a convolution.
                return Err(ExportError::Unsupported {
                    format: "int8 C",
                    step: "a max-pooling that does not follow a convolution".into(),
                });
            }
            QStep::Dense {
                w: q,
                requant: r,
                output,
                relu,
            } => {
                weights(w, q);
                requant(w, r, &mut weight_bytes);
                macs += cur_len * len;
                let lo = if *relu { output.zero_point } else { -128 };
                let _ = writeln!(
                    body,
                    "  hark_qdense(hark_w{k}, hark_b{k}, hark_m{k}, hark_s{k}, {}, {}, {lo}, {cur_len}, {len}, {cur}, {other});",
                    q.input_zero_point, output.zero_point
                );
            }
            QStep::Logits { w: q } => {
                weights(w, q);
                weight_bytes += array(w, "float", &format!("hark_ls{k}"), &q.acc_scale);
                macs += cur_len * len;
                let _ = writeln!(
                    body,
                    "  hark_qlogits(hark_w{k}, hark_b{k}, hark_ls{k}, {}, {cur_len}, {len}, {cur}, logits);",
                    q.input_zero_point
                );
                continue;
            }
        }
        // What the step (with a fused pooling, the pooling) writes.
        let len = if fused { net.lens[k + 1] } else { len };
        if other == "hark_act_a" {
            len_a = len_a.max(len);
        } else {
            len_b = len_b.max(len);
        }
        std::mem::swap(&mut cur, &mut other);
        cur_len = len;
    }
    let buffers: Vec<String> = [("hark_act_a", len_a), ("hark_act_b", len_b)]
        .iter()
        .filter(|(_, len)| *len > 0)
        .map(|(name, len)| format!("{name}[{len}]"))
        .collect();
    let run_fn = format!(
        "\nstatic int8_t {};\n\nstatic void hark_run_network(const float *input, float *logits) {{\n{body}}}\n",
        buffers.join(", ")
    );
    Ok(Network {
        run_fn,
        weight_bytes,
        activation_values: len_a + len_b,
        macs,
    })
}

/// `static const hark_conv_geom hark_gK`.
fn conv_geom(w: &mut String, k: usize, g: &hark_kernels::Conv2d) {
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
}

/// `static const hark_pool_geom hark_gK`.
fn pool_geom(w: &mut String, k: usize, p: &hark_kernels::MaxPool2d) {
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
}

/// `static const TY NAME[n]` of integers; returns its bytes.
fn ints<T: Copy + Into<i64>>(w: &mut String, ty: &str, name: &str, v: &[T]) -> usize {
    let _ = writeln!(w, "static const {ty} {name}[{}] = {{", v.len().max(1));
    for chunk in v.chunks(16) {
        let line: Vec<String> = chunk
            .iter()
            .map(|&x| {
                let x: i64 = x.into();
                // INT32_MIN has no literal of type int; write it as an expression.
                if x == i64::from(i32::MIN) {
                    "(-2147483647 - 1)".to_string()
                } else {
                    x.to_string()
                }
            })
            .collect();
        let _ = writeln!(w, "  {},", line.join(", "));
    }
    if v.is_empty() {
        w.push_str("  0,\n");
    }
    w.push_str("};\n");
    std::mem::size_of_val(v)
}
