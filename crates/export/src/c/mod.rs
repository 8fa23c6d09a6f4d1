//! C export (export stage): a model file -> a self-contained C99 library for
//! microcontrollers, the whole pipeline from samples to decisions.
//!
//! Two files: `hark_model.h` (the API, the model's rate and window, class names, the
//! budget) and `hark_model.c` (tables, weights, and [`RUNTIME`]: the front end and the layer
//! kernels). No malloc, every buffer static and sized here; it calls libm and `memset` /
//! `memmove` only, and needs a 32-bit `int` (Cortex-M, RISC-V, ESP32). The front end
//! mirrors hark-features' `StreamingExtractor` (framing, Hann window, real FFT, mel
//! filterbank with the model's own weights, dB, top_db clip, silence gates, per-window
//! normalisation); the network runs the plan engine's compiled steps, BatchNorm folded, so
//! the device computes the numbers the model was trained on. The network runs in float32
//! ([`to_c`]) or in int8 ([`to_c_int8`], quantised by [`crate::int8`]); the front end is
//! float32 in both.
//!
//! Streaming semantics: frames are computed as soon as their samples arrive and full
//! windows are emitted at frames `0, H, 2H, ...` (no end-of-signal padding: a device
//! never sees the end). `hark_push_samples` returns after each completed window so that
//! its decision can be read with `hark_poll_decision`. Frame numbers are 32-bit: they wrap
//! after 2^32 frames (3.1 years of 22.05 kHz audio at hop 512), when one window is lost.
//!
//! Supported feature settings: `n_fft` a power of two (at least 4), `hop_length <= n_fft`,
//! `center` with zero padding or no centring. Others are refused with the reason.

mod device;
mod network;
mod tables;

pub use device::{CODE_RESERVE_BYTES, Device, Fit, STACK_RESERVE_BYTES, fit};

use std::fmt::Write;

use hark_features::{FeatureConfig, PadMode, WindowNorm};
use hark_infer::{ModelFile, PlanEngine, Step};

use crate::ExportError;
use crate::int8::{Int8Network, QStep};

/// The C runtime appended to every generated `hark_model.c`.
pub const RUNTIME: &str = include_str!("runtime.c");
/// Name of the generated header.
pub const HEADER_NAME: &str = "hark_model.h";
/// Name of the generated source.
pub const SOURCE_NAME: &str = "hark_model.c";

/// What the generated library costs on a device. Code size is not included
/// (compile for the target and read `arm-none-eabi-size`); neither is the stack.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Budget {
    /// Number format of the network: `float32` or `int8`.
    pub precision: &'static str,
    /// Bytes of network weights (flash).
    pub weight_bytes: usize,
    /// Bytes of front-end tables and class names (flash).
    pub table_bytes: usize,
    /// Bytes of static buffers (RAM): front end, window, activations.
    pub ram_bytes: usize,
    /// Multiply-accumulates of the network per window.
    pub network_macs: usize,
    /// Multiply-accumulates of the front end per STFT frame (window, FFT, mel).
    pub frontend_macs_per_frame: usize,
    /// Analysis windows per second of audio.
    pub windows_per_second: f64,
    /// STFT frames per second of audio.
    pub frames_per_second: f64,
}

impl Budget {
    /// Flash bytes of data (weights + tables).
    pub fn flash_bytes(&self) -> usize {
        self.weight_bytes + self.table_bytes
    }

    /// Multiply-accumulates per second of audio, network and front end.
    pub fn macs_per_second(&self) -> f64 {
        self.network_macs as f64 * self.windows_per_second
            + self.frontend_macs_per_frame as f64 * self.frames_per_second
    }
}

/// A generated C library.
#[derive(Debug, Clone)]
pub struct CLibrary {
    /// `hark_model.h`.
    pub header: String,
    /// `hark_model.c`.
    pub source: String,
    /// Its cost.
    pub budget: Budget,
}

/// Generate the C library for `file`, its network in float32.
pub fn to_c(file: &ModelFile) -> Result<CLibrary, ExportError> {
    generate(file, None)
}

/// Generate the C library for `file` with `net`, its network quantised by
/// [`crate::int8::quantize`] from this file's plan engine.
pub fn to_c_int8(file: &ModelFile, net: &Int8Network) -> Result<CLibrary, ExportError> {
    generate(file, Some(net))
}

/// What [`to_c_int8`] would cost: sizes and MACs do not depend on the calibration, so the
/// network is quantised on synthetic windows here (`hark info --target`); the exported
/// numbers need `hark export --int8 --calibrate` and real training audio.
pub fn int8_budget(file: &ModelFile) -> Result<Budget, ExportError> {
    let engine = PlanEngine::new(&file.meta.plan()?, &file.weights)?;
    let n = crate::int8::MIN_CALIBRATION_WINDOWS * engine.input_len();
    let windows: Vec<f32> = (0..n)
        .map(|i| (i * 7919 % 613) as f32 / 102.0 - 3.0)
        .collect();
    let net = crate::int8::quantize(&engine, &windows)?;
    Ok(to_c_int8(file, &net)?.budget)
}

fn generate(file: &ModelFile, int8: Option<&Int8Network>) -> Result<CLibrary, ExportError> {
    let meta = &file.meta;
    meta.validate()?;
    let cfg = &meta.features;
    check_supported(cfg)?;
    let engine = PlanEngine::new(&meta.plan()?, &file.weights)?;
    let k = meta.class_names.len();

    let mut src = String::new();
    let w = &mut src;
    let _ = writeln!(
        w,
        "/* Generated by hark {}. Do not edit. */",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        w,
        "#include \"{HEADER_NAME}\"\n#include <limits.h>\n#include <math.h>\n#include <string.h>\n"
    );
    defines(w, file);
    let tables = tables::write(w, cfg)?;
    let names: usize = meta.class_names.iter().map(|n| n.len() + 1 + 4).sum();
    let _ = writeln!(w, "const char *const hark_class_names[HARK_N_CLASSES] = {{");
    for n in &meta.class_names {
        let _ = writeln!(w, "  {},", c_string(n));
    }
    let _ = writeln!(w, "}};\n");
    // Only the kernels this model calls are compiled (unused static functions are warnings).
    let used: Vec<&str> = match int8 {
        None => engine
            .steps()
            .map(|(step, _)| match step {
                Step::Conv { .. } => "CONV",
                Step::Pool(_) => "POOL",
                Step::Relu => "RELU",
                Step::Affine { .. } => "AFFINE",
                Step::Dense { .. } => "DENSE",
                Step::BandStats { .. } => "BAND_STATS",
            })
            .collect(),
        Some(q) => {
            if q.input_len != engine.input_len() {
                return Err(ExportError::Unsupported {
                    format: "int8 C",
                    step: "an int8 network quantised from another model".into(),
                });
            }
            w.push_str("#define HARK_INT8\n");
            let _ = writeln!(w, "#define HARK_QACC_LEN {}", q.accumulator_len().max(1));
            q.steps
                .iter()
                .map(|step| match step {
                    // A pooling is fused into the convolution before it (`network::write_int8`).
                    QStep::Conv { .. } | QStep::Pool(_) => "QCONV",
                    QStep::Dense { .. } => "QDENSE",
                    QStep::Logits { .. } => "QLOGITS",
                })
                .collect()
        }
    };
    for name in used {
        let line = format!("#define HARK_USE_{name}\n");
        if !w.contains(&line) {
            w.push_str(&line);
        }
    }
    w.push_str(RUNTIME);
    let net = match int8 {
        None => network::write(w, &engine, k)?,
        Some(q) => network::write_int8(w, q)?,
    };
    w.push_str(&net.run_fn);
    // int8: one byte per activation, and a row of int32 accumulators.
    let (activation_bytes, scratch_bytes) = match int8 {
        Some(q) => (1, 4 * q.accumulator_len()),
        None => (4, 0),
    };

    let m = cfg.n_fft / 2;
    let frontend_ram = 4 * (cfg.n_fft + 2 * m + (m + 1) + cfg.window_frames * (cfg.n_mels + 1));
    let budget = Budget {
        precision: if int8.is_some() { "int8" } else { "float32" },
        weight_bytes: net.weight_bytes,
        table_bytes: tables + names,
        ram_bytes: frontend_ram
            + 4 * (cfg.n_mels * cfg.window_frames + 2 * k)
            + activation_bytes * net.activation_values
            + scratch_bytes
            + 64,
        network_macs: net.macs,
        frontend_macs_per_frame: cfg.n_fft
            + 2 * m * m.trailing_zeros() as usize
            + 4 * (m + 1)
            + tables::mel_weight_count(cfg)?,
        windows_per_second: f64::from(cfg.sr) / (cfg.hop_length as f64 * cfg.hop_frames() as f64),
        frames_per_second: f64::from(cfg.sr) / cfg.hop_length as f64,
    };
    let header = header(file, &budget);
    Ok(CLibrary {
        header,
        source: src,
        budget,
    })
}

fn check_supported(cfg: &FeatureConfig) -> Result<(), ExportError> {
    let refuse = |why: String| {
        Err(ExportError::Unsupported {
            format: "C",
            step: why,
        })
    };
    let m = cfg.n_fft / 2;
    if m < 2 || !m.is_power_of_two() {
        return refuse(format!(
            "n_fft = {} (the C front end's FFT needs a power of two, at least 4: retrain \
             with --n-fft 256, 512, 1024 or 2048)",
            cfg.n_fft
        ));
    }
    if cfg.hop_length > cfg.n_fft {
        return refuse(format!(
            "hop_length = {} > n_fft = {} (frames that skip samples: retrain with a \
             --hop-length of at most n_fft)",
            cfg.hop_length, cfg.n_fft
        ));
    }
    if cfg.center && cfg.pad_mode == PadMode::Reflect {
        return refuse("reflect padding (train with --pad-mode constant)".into());
    }
    Ok(())
}

/// `#define`s the runtime reads.
fn defines(w: &mut String, file: &ModelFile) {
    let cfg = &file.meta.features;
    let norm = match cfg.normalization {
        WindowNorm::None => 0,
        WindowNorm::MeanStd => 1,
        WindowNorm::Max => 2,
    };
    let power = if cfg.power == 2.0 {
        "(void)0".to_string()
    } else if cfg.power == 1.0 {
        "(v) = sqrtf(v)".to_string()
    } else {
        format!("(v) = powf(sqrtf(v), {})", lit(cfg.power))
    };
    let mut gates = Vec::new();
    if let Some(t) = cfg.silence_threshold_db {
        gates.push(format!("((e) < {})", lit(t)));
    }
    if let Some(r) = cfg.silence_relative_db {
        gates.push(format!("((e) < (peak) - {})", lit(r)));
    }
    let silent = if gates.is_empty() {
        "((void)(e), (void)(peak), 0)".to_string()
    } else {
        gates.join(" || ")
    };
    let threshold = file.meta.decision.threshold.unwrap_or(0.0);
    let _ = writeln!(w, "#define HARK_CENTER_PAD {}", cfg.center_pad());
    let _ = writeln!(w, "#define HARK_APPLY_POWER(v) {power}");
    let _ = writeln!(w, "#define HARK_AMIN {}", lit(cfg.amin));
    if let Some(t) = cfg.top_db {
        let _ = writeln!(w, "#define HARK_TOP_DB {}", lit(t));
    }
    let _ = writeln!(w, "#define HARK_IS_SILENT(e, peak) ({silent})");
    let _ = writeln!(w, "#define HARK_NORMALIZATION {norm}");
    let _ = writeln!(w, "#define HARK_THRESHOLD {}\n", lit(threshold));
}

fn header(file: &ModelFile, b: &Budget) -> String {
    let meta = &file.meta;
    let cfg = &meta.features;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "/* hark_model.h: generated by hark {} from a {} model. Do not edit.\n *",
        env!("CARGO_PKG_VERSION"),
        meta.model.arch_name()
    );
    let _ = writeln!(
        h,
        " * Input: mono float samples in [-1, 1] at {} Hz. Windows of {} frames x {} mels\n \
         * ({:.3} s) every {} frames ({:.3} s). Features: {}.\n *",
        cfg.sr,
        cfg.window_frames,
        cfg.n_mels,
        cfg.window_seconds(),
        cfg.hop_frames(),
        cfg.hop_frames() as f64 * cfg.hop_length as f64 / f64::from(cfg.sr),
        serde_json::to_string(cfg).unwrap_or_default()
    );
    let _ = writeln!(
        h,
        " * Budget ({}): flash {} bytes of data ({} weights + {} tables; code not \
         included),\n * RAM {} bytes static (stack not included), {} network MACs per \
         window,\n * {} front-end MACs per frame, {:.0} MACs per second of audio.\n *",
        b.precision,
        b.flash_bytes(),
        b.weight_bytes,
        b.table_bytes,
        b.ram_bytes,
        b.network_macs,
        b.frontend_macs_per_frame,
        b.macs_per_second()
    );
    h.push_str(
        " * Use: hark_init(); then feed samples; after each completed window read its decision:\n \
         *   while (n > 0) { size_t used = hark_push_samples(x, n); x += used; n -= used;\n \
         *     hark_decision d; if (hark_poll_decision(&d)) { ... d.class_index ... } }\n */\n",
    );
    h.push_str(
        "#ifndef HARK_MODEL_H\n#define HARK_MODEL_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n\
         #ifdef __cplusplus\nextern \"C\" {\n#endif\n\n",
    );
    for (name, v) in [
        ("HARK_SAMPLE_RATE", cfg.sr as usize),
        ("HARK_N_FFT", cfg.n_fft),
        ("HARK_HOP_LENGTH", cfg.hop_length),
        ("HARK_N_MELS", cfg.n_mels),
        ("HARK_WINDOW_FRAMES", cfg.window_frames),
        ("HARK_WINDOW_HOP_FRAMES", cfg.hop_frames()),
        ("HARK_N_CLASSES", meta.class_names.len()),
        ("HARK_FLASH_DATA_BYTES", b.flash_bytes()),
        ("HARK_RAM_BYTES", b.ram_bytes),
        ("HARK_NETWORK_MACS", b.network_macs),
    ] {
        let _ = writeln!(h, "#define {name} {v}");
    }
    h.push_str(
        "\n/* class_index of a window below the silence gate (the network did not run). */\n\
         #define HARK_SILENT (-1)\n\
         /* class_index of a window whose best probability is below the model's threshold. */\n\
         #define HARK_UNKNOWN (-2)\n\n\
         /* Class names; index = class_index. */\n\
         extern const char *const hark_class_names[HARK_N_CLASSES];\n\n\
         /* One analysis window's result. */\n\
         typedef struct {\n\
         \x20 uint32_t start_frame;       /* first STFT frame: start = start_frame * HARK_HOP_LENGTH / HARK_SAMPLE_RATE s */\n\
         \x20 int class_index;            /* best class, HARK_UNKNOWN or HARK_SILENT */\n\
         \x20 float confidence;           /* probability of the best class (0 when silent) */\n\
         \x20 float energy_dbfs;          /* mean level, dB relative to a full-scale sine */\n\
         \x20 int silent;                 /* below a silence gate */\n\
         \x20 const float *probabilities; /* HARK_N_CLASSES softmax values (zeros when silent) */\n\
         \x20 const float *logits;        /* HARK_N_CLASSES logits (zeros when silent) */\n\
         } hark_decision;\n\n\
         /* Start (or restart) a stream. */\n\
         void hark_init(void);\n\
         /* Take samples until a window completes or all n are taken; returns how many were\n \
         * taken. Poll after each call: the next completed window overwrites the result. */\n\
         size_t hark_push_samples(const float *samples, size_t n);\n\
         /* 1 and *out filled when a window completed since the last poll, else 0. The\n \
         * pointers in *out stay valid until the next window completes. */\n\
         int hark_poll_decision(hark_decision *out);\n\
         /* The last window as the network saw it: [HARK_N_MELS][HARK_WINDOW_FRAMES]. */\n\
         const float *hark_window(void);\n\n\
         #ifdef __cplusplus\n}\n#endif\n\n\
         #endif /* HARK_MODEL_H */\n",
    );
    h
}

/// A float as a C literal that reads back as the same `f32`.
pub(crate) fn lit(v: f32) -> String {
    format!("{v:?}f")
}

/// A string as a C string literal (non-ASCII and control bytes as octal escapes).
fn c_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}
