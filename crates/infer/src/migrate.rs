//! Strict reading and explicit migration of model-file metadata (inference core).
//!
//! hark's structs fill missing settings with defaults where a person writes them by hand
//! (a config file); a model file must not: a missing `features.fmin` filled with today's
//! default would run the model on numbers it was never trained on. So before the metadata
//! becomes a [`crate::ModelMeta`], every field of `features` and `decision` must be present
//! and known ([`check_fields`]). Older formats are brought forward by named steps that
//! write the values the old format behaved with.

use serde_json::{Map, Value};

use crate::{DecisionConfig, InferError, NamedTensor};

fn bad(field: impl Into<String>, reason: impl Into<String>) -> InferError {
    InferError::BadField {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Fields of `template` (a serialised default) that `value` lacks, and fields of `value`
/// that `template` does not have, as one error naming the first of each.
fn same_keys(section: &str, value: &Value, template: &Value) -> Result<(), InferError> {
    let (Some(v), Some(t)) = (value.as_object(), template.as_object()) else {
        return Err(bad(section, "missing or not an object"));
    };
    if let Some(missing) = t.keys().find(|k| !v.contains_key(*k)) {
        return Err(bad(
            format!("{section}.{missing}"),
            "missing; a model file must carry every setting it was trained with (retrain, or add the field with the value used in training)",
        ));
    }
    if let Some(unknown) = v.keys().find(|k| !t.contains_key(*k)) {
        return Err(bad(
            format!("{section}.{unknown}"),
            "unknown to this version of hark (written by a newer or different program?)",
        ));
    }
    Ok(())
}

/// Every field of `features`, `decision` and `model` present and known.
pub(crate) fn check_fields(meta: &Value) -> Result<(), InferError> {
    let features = serde_json::to_value(hark_features::FeatureConfig::default())
        .map_err(|e| InferError::Backend(e.to_string()))?;
    let decision = serde_json::to_value(DecisionConfig::default())
        .map_err(|e| InferError::Backend(e.to_string()))?;
    let null = Value::Null;
    same_keys("features", meta.get("features").unwrap_or(&null), &features)?;
    same_keys("decision", meta.get("decision").unwrap_or(&null), &decision)?;
    // The architecture's settings: compared with the defaults of the architecture named.
    let model = meta.get("model").unwrap_or(&null);
    let arch = model.get("arch").cloned().unwrap_or(Value::Null);
    let template: hark_model::ModelConfig =
        serde_json::from_value(serde_json::json!({ "arch": arch }))
            .map_err(|e| bad("model.arch", e.to_string()))?;
    let template =
        serde_json::to_value(template).map_err(|e| InferError::Backend(e.to_string()))?;
    same_keys("model", model, &template)?;
    Ok(())
}

fn object<'a>(meta: &'a mut Value, key: &str) -> Result<&'a mut Map<String, Value>, InferError> {
    meta.get_mut(key)
        .and_then(Value::as_object_mut)
        .ok_or_else(|| bad(key, "missing or not an object"))
}

/// Format 1 -> 2 metadata: there was no relative silence gate (off), thresholds were never tagged with their pooling (`tuned_for`
/// unknown: null), nothing about held-out clips was recorded (empty record), silent clips
/// were trained as windows of zeros (count unknown: 0).
pub(crate) fn v1_meta(meta: &mut Value) -> Result<(), InferError> {
    // Version 1 had only the absolute silence gate.
    object(meta, "features")?
        .entry("silence_relative_db")
        .or_insert(Value::Null);
    // Version 1 could store a threshold only through `hark eval --target-precision`, which
    // tuned it for the stored pooling.
    let decision = object(meta, "decision")?;
    let tuned = match decision.get("threshold") {
        Some(Value::Null) | None => Value::Null,
        Some(_) => decision.get("aggregation").cloned().unwrap_or(Value::Null),
    };
    decision.entry("tuned_for").or_insert(tuned);
    let root = meta
        .as_object_mut()
        .ok_or_else(|| bad("(metadata)", "not an object"))?;
    root.entry("held_out")
        .or_insert_with(|| serde_json::to_value(crate::HeldOut::default()).unwrap_or(Value::Null));
    Ok(())
}

/// Format 1 -> 2 tensor names: version 1 named tensors after hand-written module structs
/// (`SbCnn.blocks.0.conv.weight`); version 2 uses the layer plan's (`convs.0.weight`).
pub(crate) fn v1_tensor_names(meta: &Value, tensors: &mut [NamedTensor]) -> Result<(), InferError> {
    let arch = meta
        .pointer("/model/arch")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("model.arch", "missing"))?;
    let has_fc1 = tensors.iter().any(|t| t.name.starts_with("StrideDs.fc1."));
    for t in tensors.iter_mut() {
        let new = v1_name(arch, &t.name, has_fc1).ok_or_else(|| {
            bad(
                "(weights)",
                format!(
                    "version-1 tensor `{}` is not part of a {arch} model",
                    t.name
                ),
            )
        })?;
        t.name = new;
    }
    Ok(())
}

fn v1_name(arch: &str, name: &str, stride_ds_has_fc1: bool) -> Option<String> {
    let (module, param) = name.rsplit_once('.')?;
    let parts: Vec<&str> = module.split('.').collect();
    let prefix = match (arch, parts.as_slice()) {
        ("sb_cnn", ["SbCnn", "blocks", i, "conv"]) => format!("convs.{i}"),
        ("sb_cnn", ["SbCnn", "blocks", i, "bn"]) => format!("norms.{i}"),
        ("sb_cnn", ["SbCnn", "fc1"]) => "linears.0".into(),
        ("sb_cnn", ["SbCnn", "fc2"]) => "linears.1".into(),
        ("stride_ds", ["StrideDs", "stem"]) => "convs.0".into(),
        ("stride_ds", ["StrideDs", "stem_bn"]) => "norms.0".into(),
        ("stride_ds", ["StrideDs", "blocks", i, kind]) => {
            let i: usize = i.parse().ok()?;
            match *kind {
                "depthwise" => format!("convs.{}", 2 * i + 1),
                "bn_dw" => format!("norms.{}", 2 * i + 1),
                "pointwise" => format!("convs.{}", 2 * i + 2),
                "bn_pw" => format!("norms.{}", 2 * i + 2),
                _ => return None,
            }
        }
        ("stride_ds", ["StrideDs", "fc1"]) => "linears.0".into(),
        ("stride_ds", ["StrideDs", "out"]) => {
            format!("linears.{}", usize::from(stride_ds_has_fc1))
        }
        _ => return None,
    };
    Some(format!("{prefix}.{param}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_names_map_to_the_plan_names() {
        assert_eq!(
            v1_name("sb_cnn", "SbCnn.blocks.2.bn.running_var", false).as_deref(),
            Some("norms.2.running_var")
        );
        assert_eq!(
            v1_name("sb_cnn", "SbCnn.fc2.bias", false).as_deref(),
            Some("linears.1.bias")
        );
        assert_eq!(
            v1_name("stride_ds", "StrideDs.blocks.1.pointwise.weight", true).as_deref(),
            Some("convs.4.weight")
        );
        assert_eq!(
            v1_name("stride_ds", "StrideDs.out.weight", false).as_deref(),
            Some("linears.0.weight")
        );
        assert_eq!(v1_name("sb_cnn", "StrideDs.stem.weight", false), None);
    }

    #[test]
    fn a_missing_or_unknown_feature_field_is_named() {
        let mut meta = serde_json::json!({
            "features": hark_features::FeatureConfig::default(),
            "decision": DecisionConfig::default(),
            "model": hark_model::ModelConfig::default(),
        });
        check_fields(&meta).expect("complete metadata");
        meta["features"]
            .as_object_mut()
            .expect("object")
            .remove("fmin");
        let e = check_fields(&meta).expect_err("missing fmin").to_string();
        assert!(e.contains("features.fmin") && e.contains("missing"), "{e}");
        meta["features"]["fmin"] = 0.0.into();
        meta["features"]["preemphasis"] = 0.97.into();
        let e = check_fields(&meta).expect_err("unknown field").to_string();
        assert!(
            e.contains("features.preemphasis") && e.contains("unknown"),
            "{e}"
        );
    }
}
