//! C export (export stage) compiled and run for real: gcc with `-std=c99 -pedantic -Wall
//! -Wextra -Werror` and AddressSanitizer + UBSan, fed real audio (ESC-10 and FSDD clips from
//! `../shared/data`, generated audio where absent) in odd-sized chunks. Every window must
//! match hark's streaming extractor and plan engine: the same windows and silence flags,
//! log-mel within `DB_TOL`, normalised values within `NORM_TOL`, logits within `LOGIT_TOL`.
//! Skipped, with a message, where gcc is absent.

use std::path::{Path, PathBuf};
use std::process::Command;

use hark_export::c::{CODE_RESERVE_BYTES, HEADER_NAME, SOURCE_NAME, STACK_RESERVE_BYTES, to_c};
use hark_features::{FeatureConfig, MelNorm, MelScale, StreamingExtractor, WindowNorm};
use hark_infer::{ModelFile, PlanEngine};
use hark_model::{ClassicalConfig, ModelConfig, SbCnnConfig, StrideDsConfig};

mod common;
use common::model;

/// Largest log-mel difference (dB) between the C front end and hark (windows without
/// normalisation or with max normalisation, which stay in dB).
const DB_TOL: f32 = 1e-3;
/// Largest difference of normalised window values (mean/std normalisation).
const NORM_TOL: f32 = 1e-4;
/// Largest logit difference, relative to `max(1, |logit|)`.
const LOGIT_TOL: f32 = 1e-4;
/// Samples per `fread` in the driver: odd, so windows complete mid-chunk (tests/m4/main.c
/// reads the same).
const CHUNK: usize = 997;
/// RAM of the Cortex-M4 harness itself: its sample buffer (`CHUNK` floats) and counters.
const HARNESS_RAM_BYTES: usize = 4 * CHUNK + 64;
/// Largest relative difference between the RAM the budget reports and what the linker
/// placed (the budget rounds the library's few scalars up).
const BUDGET_TOL: f64 = 0.02;

const DRIVER: &str = r#"
#include "hark_model.h"
#include <stdio.h>
#include <stdint.h>

/* usage: driver SAMPLES.f32 OUT.bin; writes one record per window:
   start_frame, silent, class_index (int32), energy_dbfs, window values, logits (float32). */
int main(int argc, char **argv) {
  static float buf[CHUNK];
  FILE *in, *out;
  size_t n;
  if (argc != 3 || !(in = fopen(argv[1], "rb")) || !(out = fopen(argv[2], "wb"))) {
    return 2;
  }
  hark_init();
  while ((n = fread(buf, sizeof(float), CHUNK, in)) > 0) {
    const float *x = buf;
    while (n > 0) {
      hark_decision d;
      size_t used = hark_push_samples(x, n);
      x += used;
      n -= used;
      if (hark_poll_decision(&d)) {
        int32_t head[3];
        head[0] = (int32_t)d.start_frame;
        head[1] = d.silent;
        head[2] = d.class_index;
        fwrite(head, sizeof head, 1, out);
        fwrite(&d.energy_dbfs, sizeof(float), 1, out);
        fwrite(hark_window(), sizeof(float), HARK_N_MELS * HARK_WINDOW_FRAMES, out);
        fwrite(d.logits, sizeof(float), HARK_N_CLASSES, out);
      }
    }
  }
  fclose(in);
  return fclose(out) == 0 ? 0 : 1;
}
"#;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// One stream: real clips one after another at `cfg.sr`, or generated audio.
fn stream(cfg: &FeatureConfig, clips: &[&str]) -> Vec<f32> {
    let mut y = Vec::new();
    for c in clips {
        match hark_audio::load_mono(&data().join(c), Some(cfg.sr)) {
            Ok(a) => y.extend(a.samples),
            Err(_) => {
                eprintln!("SKIP real audio: {c} not found; using generated audio");
                y.clear();
                break;
            }
        }
    }
    if y.is_empty() {
        let sr = cfg.sr as f32;
        y = (0..cfg.sr as usize * 4)
            .map(|i| {
                let t = i as f32 / sr;
                let tone = (std::f32::consts::TAU * (300.0 + 400.0 * t) * t).sin();
                let gate = if (t * 1.5).fract() < 0.6 { 0.3 } else { 0.0 };
                gate * tone + 1e-3 * ((i * 7919 % 101) as f32 / 50.0 - 1.0)
            })
            .collect();
    }
    // A stretch of digital silence: the gate must mark its windows in both.
    y.extend(std::iter::repeat_n(0.0, cfg.sr as usize));
    y
}

#[track_caller]
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Record {
    start: usize,
    silent: bool,
    class: i32,
    values: Vec<f32>,
    logits: Vec<f32>,
}

/// Generate the library for `file` into `dir`; returns its budget.
fn generate(file: &ModelFile, dir: &Path) -> hark_export::c::Budget {
    let lib = to_c(file).expect("C export");
    std::fs::write(dir.join(HEADER_NAME), &lib.header).expect("write header");
    std::fs::write(dir.join(SOURCE_NAME), &lib.source).expect("write source");
    lib.budget
}

fn write_samples(y: &[f32], dir: &Path) {
    let raw: Vec<u8> = y.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("samples.f32"), raw).expect("samples");
}

/// Generate, compile with the sanitizers, run on `y`; the C library's windows.
fn c_windows(file: &ModelFile, y: &[f32], dir: &Path) -> Vec<Record> {
    generate(file, dir);
    let driver = DRIVER.replace("CHUNK", &CHUNK.to_string());
    std::fs::write(dir.join("driver.c"), driver).expect("driver");
    let strict = [
        "-std=c99",
        "-pedantic",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-O1",
        "-g",
    ];
    // The library alone: no allocation, nothing but libm and memset/memmove.
    run(Command::new("gcc")
        .args(strict)
        .args(["-c", SOURCE_NAME, "-o", "lib.o"])
        .current_dir(dir));
    let undefined = run(Command::new("nm").args(["-u", "lib.o"]).current_dir(dir));
    for sym in undefined.split_whitespace().filter(|s| s.len() > 1) {
        assert!(
            [
                "log10f", "log10", "expf", "sqrt", "sqrtf", "powf", "memset", "memmove"
            ]
            .iter()
            .any(|ok| sym.trim_start_matches('_').starts_with(ok)),
            "the library calls {sym}: only libm, memset and memmove are allowed\n{undefined}"
        );
    }
    run(Command::new("gcc")
        .args(strict)
        .args(["-fsanitize=address,undefined", "-fno-sanitize-recover=all"])
        .args([SOURCE_NAME, "driver.c", "-o", "driver", "-lm"])
        .current_dir(dir));
    write_samples(y, dir);
    run(Command::new(dir.join("driver"))
        .args(["samples.f32", "out.bin"])
        .current_dir(dir));
    records(
        file,
        &std::fs::read(dir.join("out.bin")).expect("driver output"),
    )
}

/// The driver's records (both drivers write the same layout).
fn records(file: &ModelFile, bytes: &[u8]) -> Vec<Record> {
    let cfg = &file.meta.features;
    let (n, k) = (cfg.n_mels * cfg.window_frames, file.meta.class_names.len());
    let floats = |b: &[u8]| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let int = |b: &[u8]| i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let size = 16 + 4 * (n + k);
    assert_eq!(bytes.len() % size, 0, "truncated driver output");
    bytes
        .chunks_exact(size)
        .map(|r| Record {
            start: int(&r[0..4]) as usize,
            silent: int(&r[4..8]) != 0,
            class: int(&r[8..12]),
            values: floats(&r[16..16 + 4 * n]),
            logits: floats(&r[16 + 4 * n..]),
        })
        .collect()
}

fn check(what: &str, file: &ModelFile, clips: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let y = stream(&file.meta.features, clips);
    let c = c_windows(file, &y, dir.path());
    compare(what, file, &y, &c);
}

/// The C records of stream `y` against hark's streaming extractor and plan engine.
fn compare(what: &str, file: &ModelFile, y: &[f32], c: &[Record]) {
    let cfg = &file.meta.features;
    let mut ex = StreamingExtractor::new(cfg).expect("extractor");
    let mut windows = Vec::new();
    for chunk in y.chunks(CHUNK) {
        ex.push(chunk, &mut windows);
    }
    let engine = PlanEngine::new(&file.meta.plan().expect("plan"), &file.weights).expect("engine");
    let mut ws = engine.workspace();
    let k = file.meta.class_names.len();
    let mut logits = vec![0.0; k];
    assert_eq!(c.len(), windows.len(), "{what}: number of windows");
    assert!(windows.iter().any(|w| w.silent) && windows.iter().any(|w| !w.silent));
    let tol = if cfg.normalization == WindowNorm::MeanStd {
        NORM_TOL
    } else {
        DB_TOL // dB values (max normalisation only shifts them)
    };
    for (r, w) in c.iter().zip(&windows) {
        assert_eq!(r.start, w.start_frame, "{what}: window start");
        assert_eq!(
            r.silent, w.silent,
            "{what}: silence at frame {}",
            w.start_frame
        );
        for (i, (a, b)) in r.values.iter().zip(&w.values).enumerate() {
            assert!(
                (a - b).abs() <= tol,
                "{what}: window at frame {}, value {i}: C {a} vs hark {b}",
                w.start_frame
            );
        }
        if w.silent {
            assert_eq!(r.class, -1, "{what}: a silent window is HARK_SILENT");
            continue;
        }
        engine.logits_into(&w.values, &mut ws, &mut logits);
        for (a, b) in r.logits.iter().zip(&logits) {
            assert!(
                (a - b).abs() <= LOGIT_TOL * b.abs().max(1.0),
                "{what}: window at frame {}: C logit {a} vs hark {b}",
                w.start_frame
            );
        }
        let best = (0..k)
            .max_by(|&i, &j| logits[i].total_cmp(&logits[j]))
            .expect("classes");
        assert_eq!(
            r.class, best as i32,
            "{what}: decision at frame {}",
            w.start_frame
        );
    }
}

const ESC10: [&str; 2] = [
    "esc10/audio/dog_bark/1-100032-A.ogg",
    "esc10/audio/rooster/1-26806-A.ogg",
];
const FSDD: [&str; 3] = [
    "fsdd/recordings/0_george_0.wav",
    "fsdd/recordings/0_jackson_17.wav",
    "fsdd/recordings/0_lucas_26.wav",
];

#[test]
fn generated_c_computes_harks_windows_and_logits() {
    if !have("gcc") {
        println!("SKIP: gcc not found; the C export is not compiled");
        return;
    }
    check(
        "SB-CNN, ESC-10 features",
        &model(
            ModelConfig::SbCnn(SbCnnConfig::default()),
            FeatureConfig::default(),
            10,
        ),
        &ESC10,
    );
    check(
        "log-mel statistics + logistic regression, speech features",
        &model(
            ModelConfig::Classical(ClassicalConfig::default()),
            FeatureConfig::speech(),
            10,
        ),
        &FSDD,
    );
    check(
        "Stride-DS, speech features",
        &model(
            ModelConfig::StrideDs(StrideDsConfig::default()),
            FeatureConfig::speech(),
            10,
        ),
        &FSDD,
    );
    // Unnormalised windows: the log-mel values themselves, in dB, with a relative gate.
    let db = FeatureConfig {
        normalization: WindowNorm::None,
        silence_relative_db: Some(50.0),
        fmin: 300.0,
        fmax: Some(3400.0),
        ..FeatureConfig::speech()
    };
    check(
        "Stride-DS, dB windows, band-limited, relative gate",
        &model(ModelConfig::StrideDs(StrideDsConfig::default()), db, 3),
        &FSDD,
    );
    // The less common settings: no centring, magnitude spectrum, a window shorter than the
    // FFT, HTK mels without area normalisation, max normalisation, windows that do not overlap.
    let odd = FeatureConfig {
        center: false,
        power: 1.0,
        win_length: Some(200),
        mel_scale: MelScale::Htk,
        mel_norm: MelNorm::None,
        normalization: WindowNorm::Max,
        overlap: 0.0,
        top_db: Some(60.0),
        ..FeatureConfig::speech()
    };
    check(
        "SB-CNN, uncentred magnitude HTK mels, max normalisation, no overlap",
        &model(ModelConfig::SbCnn(SbCnnConfig::default()), odd, 4),
        &FSDD,
    );
}

#[test]
fn settings_the_c_front_end_cannot_run_are_refused_with_the_reason() {
    let cfg = FeatureConfig {
        n_fft: 1000,
        ..FeatureConfig::default()
    };
    let file = model(ModelConfig::StrideDs(StrideDsConfig::default()), cfg, 2);
    let err = to_c(&file).expect_err("n_fft 1000");
    assert!(err.to_string().contains("n_fft = 1000"), "{err}");
}

/// What the emulated Cortex-M4F run measured.
struct DeviceRun {
    records: Vec<Record>,
    frontend_instructions: u64,
    network_instructions: u64,
    network_runs: u32,
    stack_peak: u32,
    per_tick: u64,
    size: String,
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Cross-compile the library with `tests/m4` for a Cortex-M4F capped at 512 KiB flash and
/// 64 KiB RAM, run it on QEMU's mps2-an386 with semihosting and `-icount shift=0`.
fn on_cortex_m4(file: &ModelFile, y: &[f32], dir: &Path) -> DeviceRun {
    generate(file, dir);
    let m4 = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/m4");
    for f in ["startup.c", "main.c", "link.ld"] {
        std::fs::copy(m4.join(f), dir.join(f)).expect("copy harness");
    }
    let target = [
        "-mcpu=cortex-m4",
        "-mthumb",
        "-mfpu=fpv4-sp-d16",
        "-mfloat-abi=hard",
        "-O2",
        "-g",
    ];
    run(Command::new("arm-none-eabi-gcc")
        .args(target)
        .args([
            "-std=c99",
            "-pedantic",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-c",
            SOURCE_NAME,
        ])
        .current_dir(dir));
    run(Command::new("arm-none-eabi-gcc")
        .args(target)
        .args([
            "-Wall",
            "-Wextra",
            "-Werror",
            "-DHARK_NETWORK_HOOK=harness_network_hook",
        ])
        .args([
            "-nostartfiles",
            "-T",
            "link.ld",
            "--specs=nano.specs",
            "--specs=nosys.specs",
        ])
        .args([
            "startup.c",
            "main.c",
            SOURCE_NAME,
            "-lm",
            "-o",
            "harness.elf",
        ])
        .current_dir(dir));
    let size = run(Command::new("arm-none-eabi-size")
        .args(["-A", "harness.elf"])
        .current_dir(dir));
    write_samples(y, dir);
    run(Command::new("timeout")
        .args([
            "600",
            "qemu-system-arm",
            "-M",
            "mps2-an386",
            "-nographic",
            "-monitor",
            "none",
        ])
        .args([
            "-semihosting-config",
            "enable=on,target=native",
            "-icount",
            "shift=0",
        ])
        .args(["-kernel", "harness.elf"])
        .current_dir(dir));
    let stats: Vec<u32> = std::fs::read(dir.join("stats.bin"))
        .expect("stats")
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let per_tick = u64::from(stats[5]);
    assert!(per_tick > 0, "SysTick did not advance: is -icount on?");
    DeviceRun {
        records: records(
            file,
            &std::fs::read(dir.join("out.bin")).expect("device output"),
        ),
        frontend_instructions: u64::from(stats[0]) * per_tick,
        network_instructions: u64::from(stats[1]) * per_tick,
        network_runs: stats[3],
        stack_peak: stats[4],
        per_tick,
        size,
    }
}

#[test]
fn an_emulated_cortex_m4_computes_harks_windows_and_logits_within_64_kib() {
    if !(have("arm-none-eabi-gcc") && have("qemu-system-arm")) {
        println!(
            "SKIP: arm-none-eabi-gcc or qemu-system-arm not found (Debian: gcc-arm-none-eabi \
             libnewlib-arm-none-eabi qemu-system-arm); the Cortex-M4 run is skipped"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = model(
        ModelConfig::StrideDs(StrideDsConfig::default()),
        FeatureConfig::speech(),
        10,
    );
    let y = stream(&file.meta.features, &FSDD);
    let budget = to_c(&file).expect("C export").budget;
    let run = on_cortex_m4(&file, &y, dir.path());
    compare(
        "Stride-DS, speech features, Cortex-M4F",
        &file,
        &y,
        &run.records,
    );
    let windows = run.records.len() as u64;
    let frames = (y.len() / file.meta.features.hop_length) as u64;
    println!(
        "Cortex-M4F (QEMU mps2-an386): {windows} windows ({} through the network), {frames} \
         frames; front end {} instructions per frame, network {} per window ({} MACs); \
         stack peak {} bytes; {} instructions per SysTick tick\n{}",
        run.network_runs,
        run.frontend_instructions / frames.max(1),
        run.network_instructions / u64::from(run.network_runs.max(1)),
        budget.network_macs,
        run.stack_peak,
        run.per_tick,
        run.size
    );
    assert!(run.network_runs > 0 && run.network_instructions > 0);
    // The budget `hark info --target` reports against what the linker laid out.
    let section = |name: &str| -> usize {
        run.size
            .lines()
            .find_map(|l| {
                let mut f = l.split_whitespace();
                (f.next() == Some(name)).then(|| f.next().and_then(|v| v.parse().ok()))?
            })
            .unwrap_or_else(|| panic!("no {name} in\n{}", run.size))
    };
    let library_ram = section(".data") + section(".bss") - HARNESS_RAM_BYTES;
    assert!(
        library_ram.abs_diff(budget.ram_bytes) as f64 <= BUDGET_TOL * budget.ram_bytes as f64,
        "budget RAM {} vs linked {library_ram}",
        budget.ram_bytes
    );
    let code = section(".text") - budget.flash_bytes();
    assert!(
        section(".text") > budget.flash_bytes() && code <= CODE_RESERVE_BYTES,
        "budget flash {} vs linked .text {}",
        budget.flash_bytes(),
        section(".text")
    );
    assert!(
        run.stack_peak as usize <= STACK_RESERVE_BYTES,
        "stack {}",
        run.stack_peak
    );
    assert!(run.stack_peak > 0, "the stack was not painted");
}
