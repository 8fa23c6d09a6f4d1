//! Command-line flags of the `hark` binary, each defined once with its documentation.
//!
//! Flow: this is the outermost layer (audio -> features -> model -> train/eval -> predict);
//! parsing only. `FeatureArgs::to_config` turns raw flags into a validated `FeatureConfig`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hark_features::{FeatureConfig, MelScale, WindowNorm};
use hark_pipeline::FoldScheme;

fn parse_folds(s: &str) -> Result<FoldScheme, String> {
    s.parse()
}

/// The exit-code table, as a literal so each command's help can append it to its examples.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0    every input was processed
  1    some inputs failed or were skipped (each is reported on stderr); the rest were processed
  2    usage or configuration error (bad flag, unreadable model or dataset); nothing was done
  130  interrupted by Ctrl-C; files already written are complete (partial work is reported)"
    };
}

/// Exit codes, the same in every command (printed by `--help`).
pub const EXIT_CODES_HELP: &str = exit_codes!();

/// A command's `--help` epilogue: its examples, then the exit codes.
macro_rules! examples {
    ($($line:literal),+ $(,)?) => {
        concat!("Examples:\n", $("  ", $line, "\n",)+ "\n", exit_codes!())
    };
}

/// Teach a machine to recognise sounds: decode audio, compute log-mel features,
/// train a classifier, evaluate it and predict.
#[derive(Debug, Parser)]
#[command(name = "hark", version, about, long_about = None, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only results, warnings and errors: no progress bars, no notes such as "wrote FILE".
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// `--threads`, flattened into every command that computes.
#[derive(Debug, Args, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadsArg {
    /// Worker threads for decoding, feature extraction, training and inference (rayon's pool,
    /// which burn's CPU backend also uses) [default: one per core].
    #[arg(long, value_parser = at_least_one)]
    pub threads: Option<usize>,
}

impl Command {
    /// The `--threads` given to a computing command.
    pub fn threads(&self) -> Option<usize> {
        match self {
            Command::Info(a) => a.threads.threads,
            Command::Check(a) => a.threads.threads,
            Command::Features(a) => a.threads.threads,
            Command::Spectrogram(a) => a.threads.threads,
            Command::Train(a) => a.opts.threads.threads,
            Command::Cv(a) => a.opts.threads.threads,
            Command::Eval(a) => a.threads.threads,
            Command::Predict(a) => a.threads.threads,
            Command::Embed(a) => a.threads.threads,
            Command::Stream(a) => a.threads.threads,
            Command::Export(_) => None,
            Command::Completions(_) | Command::Man => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print format, codec, rate, channels and duration of audio files, the architecture,
    /// size and feature settings of a trained model file (.hark), or a dataset check (folders
    /// and CSV manifests, as `hark check`).
    #[command(after_help = examples!(
        "hark info clip.wav other.flac     header of each file",
        "cat clip.wav | hark info -        audio from standard input",
        "hark info model.hark              what a trained model holds",
        "hark info --json model.hark       the same as one JSON object per input",
        "hark info model.hark --target cortex-m4   flash, RAM and MACs of the C export; fits?",
        "hark info my-dataset/             the dataset check of `hark check`",
    ))]
    Info(InfoArgs),
    /// Check a dataset before training: clips per class, fold and split; durations; sample
    /// rates, channels and codecs; unreadable or empty files with the reason; duplicated files;
    /// class names compared with a model's (--model).
    #[command(after_help = examples!(
        "hark check my-dataset/                    folder per class",
        "hark check labels.csv --decode            read every byte to find damaged audio",
        "hark check my-dataset/ --model m.hark     class names against a model's",
        "hark check my-dataset/ --json > check.json",
    ))]
    Check(CheckArgs),
    /// Write a feature matrix (librosa layout: rows = bands, columns = frames) as CSV or .npy.
    #[command(after_help = examples!(
        "hark features clip.wav -o clip.csv                 CSV, rows = mel bands",
        "hark features clip.wav -o clip.npy --preset speech  float32 .npy",
        "cat clip.wav | hark features - -o - | head -n 3     standard input to standard output",
        "hark features clip.wav -o - --format npy > clip.npy",
    ))]
    Features(FeaturesArgs),
    /// Draw a log-mel spectrogram as a PNG picture.
    #[command(after_help = examples!(
        "hark spectrogram clip.wav -o clip.png --windows",
        "hark spectrogram --model model.hark clip.wav -o seen.png   what the model classifies",
        "cat clip.wav | hark spectrogram - -o clip.png --preset speech",
    ))]
    Spectrogram(SpectrogramArgs),
    /// Train a classifier on a labelled dataset and write a model file.
    #[command(after_help = examples!(
        "hark train demo/fsdd-mini -o digits.hark --preset speech --epochs 20",
        "hark train UrbanSound8K/metadata/UrbanSound8K.csv --test-fold 10 --val-fold 9",
        "hark train birds/ --fmin 1000 --model stride-ds --threads 4 -q",
    ))]
    Train(TrainArgs),
    /// Evaluate a trained model on a labelled dataset.
    ///
    /// On clips (a folder per class, a manifest, ESC-50, UrbanSound8K): accuracy, per-class
    /// scores, confusion matrix and the unknown-threshold trade-off.
    ///
    /// On long recordings with Audacity label tracks (`name.txt` beside `name.wav`): sound
    /// event detection. Each recording is scored once; events are detected with the "Events"
    /// settings (the operating point) and again at onsets 0.05, 0.10, ..., 0.95 (the offset
    /// scaled with the onset). The report gives event-based F1 (onset within --collar, offset
    /// within the larger of --collar and 20% of the event), segment-based F1 on 1 s segments,
    /// error rate, false alarms per hour and the miss rate, per class and over the sweep, with a
    /// picture (sed_sweep.png). `--regions` classifies each labelled region as a clip instead.
    #[command(after_help = examples!(
        "hark eval digits.hark demo/fsdd-mini -o report",
        "hark eval us8k.hark UrbanSound8K/metadata/UrbanSound8K.csv --fold 10",
        "hark eval digits.hark data/ --target-precision 0.95   tune the unknown-threshold",
        "hark eval birds.hark recordings/ -o sed --onset 0.5 --smooth 8   events in long recordings",
        "hark eval birds.hark recordings/ --regions   each labelled region as a clip",
    ))]
    Eval(EvalArgs),
    /// Cross-validate: on the dataset's own folds, or a stratified or grouped k-fold; train on
    /// k-1 folds, test on the held-out one.
    #[command(after_help = examples!(
        "hark cv ESC-50/meta/esc50.csv -o cv-esc50",
        "hark cv speakers.csv --folds k=5 --group-by speaker",
        "hark cv UrbanSound8K/metadata/UrbanSound8K.csv --only 1,2 --epochs 5",
    ))]
    Cv(CvArgs),
    /// Classify audio files, folders and long recordings with a trained model: one row per
    /// file, per window or per sound event, at constant memory whatever the length.
    #[command(after_help = examples!(
        "hark predict digits.hark a.wav b.flac          one row per file: FILE, LABEL, PROBABILITY",
        "hark predict dogs.hark recordings/ --events --format csv -o events.csv",
        "hark predict dogs.hark day.flac --events --format audacity --output-dir labels/",
        "hark predict dogs.hark archive/ --format parquet -o part3.parquet --shard 3/8",
        "hark predict dogs.hark archive/ --events --format raven --output-dir sel/ --skip-existing",
        "arecord -d 2 -t wav -r 8000 | hark predict digits.hark -   audio from standard input",
    ))]
    Predict(PredictArgs),
    /// Write a model's embedding (its penultimate layer) of every analysis window, or the
    /// mean per file, as a float32 .npy with a CSV index beside it (row, file, window,
    /// start and end in seconds; or windows and duration with --per-clip). Silent windows are
    /// skipped, as in `predict`; a bad file is reported and left out (exit code 1).
    #[command(after_help = examples!(
        "hark embed dogs.hark recordings/ -o emb.npy          emb.npy [windows, dim] and emb.csv",
        "hark embed dogs.hark clips/ --per-clip -o clips.npy  one mean row per file",
    ))]
    Embed(EmbedArgs),
    /// Classify a live stream from standard input or a microphone: one flushed JSON line per
    /// sound event (or window), a status line on stderr, a summary at the end (EOF or Ctrl-C).
    #[command(after_help = examples!(
        "arecord -f S16_LE -r 22050 -t wav | hark stream dogs.hark",
        "hark stream dogs.hark --mic",
        "hark stream dogs.hark --mic USB --windows",
        "ffmpeg -i rtsp://camera/audio -f wav - | hark stream dogs.hark --onset 0.6",
        "sox -d -t raw -e signed -b 16 -r 16000 -c 1 - | hark stream m.hark --format s16le --rate 16000",
    ))]
    Stream(StreamArgs),
    /// Export a trained model for other runtimes: ONNX (onnxruntime, tract, TensorRT, ...)
    /// or C for microcontrollers.
    ///
    /// The ONNX graph takes normalised log-mel windows `window` [batch, 1, n_mels, frames]
    /// and gives `logits` and `probabilities` [batch, classes]. Class names and the full
    /// feature settings travel in its metadata (`hark.labels`, `hark.features`,
    /// `hark.decision`, JSON).
    ///
    /// The C library (`hark_model.h`, `hark_model.c`; C99, float32, no malloc, libm only)
    /// runs the whole pipeline: samples in, the model's own front end (framing, FFT, mel,
    /// dB, silence gate, normalisation), the network, a decision per window. Its flash,
    /// RAM and MACs are printed and written in the header.
    ///
    /// Both fold BatchNorm into the convolutions as `hark predict` runs them.
    #[command(after_help = examples!(
        "hark export dogs.hark -o dogs.onnx                  the format from the extension",
        "hark export dogs.hark --format onnx -o - > d.onnx   to standard output",
        "hark export dogs.hark --format c -o firmware/dogs/  hark_model.h and hark_model.c",
    ))]
    Export(ExportArgs),
    /// Print a shell completion script (e.g. `hark completions bash > ~/.local/share/bash-completion/completions/hark`).
    #[command(after_help = examples!(
        "hark completions bash > ~/.local/share/bash-completion/completions/hark",
        "hark completions zsh > ~/.zfunc/_hark",
    ))]
    Completions(CompletionsArgs),
    /// Print the manual page in roff (e.g. `hark man > hark.1 && man ./hark.1`).
    #[command(after_help = examples!("hark man > hark.1 && man ./hark.1"))]
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Audio files, model files (.hark) or datasets (a folder or a CSV manifest, checked as
    /// `hark check` does); `-` reads audio from standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per input (JSON lines) instead of text.
    #[arg(long)]
    pub json: bool,
    /// For model files (ignored for audio and datasets): the flash, RAM and compute of
    /// `hark export --format c` on this device, and whether it fits.
    #[arg(long, value_enum)]
    pub target: Option<Target>,
    #[command(flatten)]
    pub check: CheckOpts,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

/// Devices `hark info --target` checks a model against.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Target {
    /// Cortex-M4F with 512 KiB flash and 64 KiB RAM (STM32L476, the seed author's board).
    CortexM4,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Dataset: a folder of class folders, a CSV manifest, labels.csv, ESC-50 or UrbanSound8K
    /// metadata, or audio files with Audacity label tracks.
    pub dataset: PathBuf,
    /// Print the report as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub check: CheckOpts,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

/// How a dataset is checked (`hark check`, and `hark info` given a dataset).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Dataset check")]
pub struct CheckOpts {
    /// Compare the dataset's class names with this model file's: in both, only in the
    /// dataset (never predicted), only in the model (never tested).
    #[arg(long = "model", value_name = "MODEL.hark")]
    pub model_file: Option<PathBuf>,
    /// Decode every file in full, to find audio cut off or damaged after a good header
    /// (reads every byte). Without it only headers are read, and files whose header states
    /// no length are decoded to measure it.
    #[arg(long)]
    pub decode: bool,
    /// No progress bar (the global `-q`).
    #[arg(from_global)]
    pub quiet: bool,
}

/// Named starting points for the feature settings; individual flags override them.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Preset {
    /// Environmental sounds (Nordby's thesis): 22050 Hz, n_fft 1024, hop 512, 60 mels, 41-frame windows.
    Urban,
    /// Short speech commands: 8000 Hz, n_fft 256, hop 128, 40 mels, 32-frame windows.
    Speech,
}

/// Feature settings in librosa's vocabulary. Unset flags keep the preset's value.
#[derive(Debug, Args, Clone, Default)]
pub struct FeatureArgs {
    /// Starting point for all feature settings [default: urban].
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Sample rate in Hz; audio at another rate is resampled.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub sr: Option<u32>,
    /// FFT size in samples.
    #[arg(long, value_parser = at_least_one)]
    pub n_fft: Option<usize>,
    /// Hop between frames in samples.
    #[arg(long, value_parser = at_least_one)]
    pub hop_length: Option<usize>,
    /// Number of mel bands.
    #[arg(long, value_parser = at_least_one)]
    pub n_mels: Option<usize>,
    /// Lowest mel filter edge in Hz (e.g. 1000 for birds).
    #[arg(long, value_parser = non_negative)]
    pub fmin: Option<f32>,
    /// Highest mel filter edge in Hz [default: sr / 2].
    #[arg(long, value_parser = positive_f32)]
    pub fmax: Option<f32>,
    /// Use the HTK mel scale instead of Slaney's.
    #[arg(long)]
    pub htk: bool,
    /// Frames per analysis window (model input width).
    #[arg(long, value_parser = at_least_one)]
    pub window_frames: Option<usize>,
    /// Overlap between consecutive analysis windows, 0.0 to 0.9.
    #[arg(long, value_parser = overlap)]
    pub overlap: Option<f32>,
    /// Per-window normalisation.
    #[arg(long, value_enum)]
    pub normalization: Option<NormArg>,
    /// Windows quieter than this (dBFS, e.g. -60) are skipped as silence; "off" disables gating.
    #[arg(long, value_parser = parse_gate, allow_negative_numbers = true)]
    pub silence_threshold_db: Option<Gate>,
    /// Also skip windows more than this many dB below the loudest window heard so far in the
    /// clip or stream (e.g. 40: for recordings with audible hiss); "off" disables it [default: off].
    #[arg(long, value_parser = parse_relative_gate)]
    pub silence_relative_db: Option<Gate>,
}

/// A silence gate given on the command line: a dBFS level or `off`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate(pub Option<f32>);

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum NormArg {
    /// No normalisation (dB values as computed).
    None,
    /// Subtract the window's mean and divide by its standard deviation.
    MeanStd,
    /// Subtract the window's maximum (values <= 0 dB).
    Max,
}

fn parse_gate(s: &str) -> Result<Gate, String> {
    if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("none") {
        return Ok(Gate(None));
    }
    let v = number::<f32>(s, "a dBFS level such as -60, or 'off'")?;
    if !(-200.0..=0.0).contains(&v) {
        return Err(format!(
            "{v} dBFS is outside -200..=0 (0 dBFS is full scale; quiet rooms are near -60)"
        ));
    }
    Ok(Gate(Some(v)))
}

fn parse_relative_gate(s: &str) -> Result<Gate, String> {
    if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("none") {
        return Ok(Gate(None));
    }
    let v = number::<f32>(
        s,
        "a number of dB below the running peak, such as 40, or 'off'",
    )?;
    if !(v > 0.0 && v <= 200.0) {
        return Err(format!("{v} dB is outside (0, 200]: expected e.g. 40"));
    }
    Ok(Gate(Some(v)))
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    s.trim()
        .parse::<T>()
        .map_err(|e| format!("expected {what}: {e}"))
}

fn in_range(s: &str, lo: f64, hi: f64, hi_inclusive: bool, what: &str) -> Result<f64, String> {
    let v = number::<f64>(s, what)?;
    let ok = v >= lo && if hi_inclusive { v <= hi } else { v < hi };
    if !ok || !v.is_finite() {
        let close = if hi_inclusive { ']' } else { ')' };
        return Err(format!(
            "{v} is outside [{lo}, {hi}{close}: expected {what}"
        ));
    }
    Ok(v)
}

/// A probability in [0, 1] (thresholds).
fn augment_spec(s: &str) -> Result<hark_train::AugmentConfig, String> {
    hark_train::AugmentConfig::parse(s).map_err(|e| e.to_string())
}

fn probability(s: &str) -> Result<f32, String> {
    in_range(s, 0.0, 1.0, true, "a probability from 0 to 1").map(|v| v as f32)
}

/// A share of clips in [0, 1).
fn fraction(s: &str) -> Result<f32, String> {
    in_range(
        s,
        0.0,
        1.0,
        false,
        "a fraction from 0 up to (not including) 1",
    )
    .map(|v| v as f32)
}

/// Window overlap in [0, 0.9].
fn overlap(s: &str) -> Result<f32, String> {
    in_range(s, 0.0, 0.9, true, "an overlap from 0 to 0.9").map(|v| v as f32)
}

fn non_negative(s: &str) -> Result<f32, String> {
    in_range(s, 0.0, f64::MAX, true, "a frequency of 0 Hz or more").map(|v| v as f32)
}

fn positive_f32(s: &str) -> Result<f32, String> {
    positive(s).map(|v| v as f32)
}

fn positive(s: &str) -> Result<f64, String> {
    let v = number::<f64>(s, "a positive number")?;
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{v} is not a positive number"))
    }
}

fn at_least_one(s: &str) -> Result<usize, String> {
    at_least(s, 1)
}

fn calibration_count(s: &str) -> Result<usize, String> {
    at_least(s, hark_export::int8::MIN_CALIBRATION_WINDOWS)
}

fn at_least_two(s: &str) -> Result<usize, String> {
    at_least(s, 2)
}

fn at_least(s: &str, min: usize) -> Result<usize, String> {
    let v = number::<usize>(s, &format!("a whole number of {min} or more"))?;
    if v < min {
        return Err(format!("{v} is below the minimum {min}"));
    }
    Ok(v)
}

impl FeatureArgs {
    /// True when any feature option was given on the command line.
    pub fn any_given(&self) -> bool {
        self.preset.is_some()
            || self.sr.is_some()
            || self.n_fft.is_some()
            || self.hop_length.is_some()
            || self.n_mels.is_some()
            || self.fmin.is_some()
            || self.fmax.is_some()
            || self.htk
            || self.window_frames.is_some()
            || self.overlap.is_some()
            || self.normalization.is_some()
            || self.silence_threshold_db.is_some()
            || self.silence_relative_db.is_some()
    }

    /// The preset's configuration with every given flag applied, validated.
    pub fn to_config(&self) -> anyhow::Result<FeatureConfig> {
        let mut c = preset_config(self.preset.unwrap_or(Preset::Urban));
        if let Some(v) = self.sr {
            c.sr = v;
        }
        if let Some(v) = self.n_fft {
            c.n_fft = v;
        }
        if let Some(v) = self.hop_length {
            c.hop_length = v;
        }
        if let Some(v) = self.n_mels {
            c.n_mels = v;
        }
        if let Some(v) = self.fmin {
            c.fmin = v;
        }
        if self.fmax.is_some() {
            c.fmax = self.fmax;
        }
        if self.htk {
            c.mel_scale = MelScale::Htk;
        }
        if let Some(v) = self.window_frames {
            c.window_frames = v;
        }
        if let Some(v) = self.overlap {
            c.overlap = v;
        }
        if let Some(v) = self.normalization {
            c.normalization = match v {
                NormArg::None => WindowNorm::None,
                NormArg::MeanStd => WindowNorm::MeanStd,
                NormArg::Max => WindowNorm::Max,
            };
        }
        if let Some(Gate(v)) = self.silence_threshold_db {
            c.silence_threshold_db = v;
        }
        if let Some(Gate(v)) = self.silence_relative_db {
            c.silence_relative_db = v;
        }
        c.validate()?;
        Ok(c)
    }
}

/// The feature settings a preset starts from.
pub fn preset_config(p: Preset) -> FeatureConfig {
    match p {
        Preset::Urban => FeatureConfig::default(),
        Preset::Speech => FeatureConfig::speech(),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MatrixArg {
    /// STFT magnitude, (1 + n_fft/2) rows.
    Stft,
    /// Mel power spectrogram.
    Mel,
    /// power_to_db(mel, ref=max, top_db=80), as librosa gives it.
    Logmel,
}

/// File format of a feature matrix.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// Text: one line per row (band), values comma separated, no header.
    Csv,
    /// NumPy .npy, float32, shape (bands, frames).
    Npy,
}

#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Audio file to analyse; `-` reads standard input.
    pub audio: PathBuf,
    /// Output file, .csv or .npy; `-` writes standard output (CSV unless --format npy).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Output format [default: from the output file's extension].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Which matrix to write.
    #[arg(long, value_enum, default_value = "logmel")]
    pub kind: MatrixArg,
    #[arg(from_global)]
    pub quiet: bool,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub features: FeatureArgs,
}

#[derive(Debug, Args)]
pub struct SpectrogramArgs {
    /// Audio file to draw; `-` reads standard input.
    pub audio: PathBuf,
    /// Output PNG file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Draw what this model sees: its feature settings, and the windows it classifies, skips
    /// as silent or pads, with a legend (feature flags cannot be combined with it).
    #[arg(long = "model", value_name = "MODEL", conflicts_with = "FeatureArgs")]
    pub model_file: Option<PathBuf>,
    /// Draw the analysis windows on the picture.
    #[arg(long)]
    pub windows: bool,
    /// Picture width in pixels.
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Picture height in pixels.
    #[arg(long, default_value_t = 600)]
    pub height: u32,
    #[arg(from_global)]
    pub quiet: bool,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub features: FeatureArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ArchArg {
    /// SB-CNN (Salamon and Bello 2016): three 5x5 conv blocks, dense 64.
    Sbcnn,
    /// Stride-DS: depthwise-separable strided CNN for microcontrollers (Nordby 2019).
    StrideDs,
    /// Logistic regression on each window's per-band log-mel mean and standard deviation, or
    /// on --embed MODEL's embedding; standardised on the training windows, fitted in one
    /// pass (no epochs) with linfa.
    Logreg,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OptimizerArg {
    /// Adam (beta1 0.9, beta2 0.999).
    Adam,
    /// Stochastic gradient descent with Nesterov momentum 0.9.
    Sgd,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScheduleArg {
    /// The same learning rate throughout.
    Constant,
    /// Cosine decay from --lr to 0 over --epochs.
    Cosine,
    /// Halve the rate after 3 epochs without validation-loss improvement.
    Plateau,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AggregationArg {
    /// Mean of window probabilities.
    Mean,
    /// Majority vote of window labels.
    Majority,
}

/// Model and optimisation settings shared by `train` and `cv`.
#[derive(Debug, Args, Clone)]
pub struct TrainOpts {
    /// Model architecture.
    #[arg(long, value_enum, default_value = "sbcnn")]
    pub model: ArchArg,
    /// Maximum number of epochs.
    #[arg(long, default_value_t = 50, value_parser = at_least_one)]
    pub epochs: usize,
    /// Mini-batch size (at least 2: BatchNorm needs two windows).
    #[arg(long, default_value_t = 64, value_parser = at_least_two)]
    pub batch_size: usize,
    /// Optimiser.
    #[arg(long, value_enum, default_value = "adam")]
    pub optimizer: OptimizerArg,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3, value_parser = positive)]
    pub lr: f64,
    /// Learning-rate schedule.
    #[arg(long, value_enum, default_value = "plateau")]
    pub lr_schedule: ScheduleArg,
    /// Stop after this many epochs without validation-loss improvement; 0 never stops early.
    #[arg(long, default_value_t = 10)]
    pub patience: usize,
    /// Weight the loss by inverse class frequency (for unbalanced data).
    #[arg(long)]
    pub class_weights: bool,
    /// Random seed: the same seed gives the same model on the same machine.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Fraction of training clips held out for validation when the dataset has no
    /// validation split or fold.
    #[arg(long, default_value_t = 0.15, value_parser = fraction)]
    pub validation_fraction: f32,
    /// Window pooling for clip decisions.
    #[arg(long, value_enum, default_value = "mean")]
    pub aggregation: AggregationArg,
    /// The stored "unknown" threshold makes the answered validation clips at least this
    /// precise (clips below the threshold are predicted `unknown`; `hark predict --threshold`
    /// overrides it).
    #[arg(long, default_value_t = hark_pipeline::DEFAULT_TARGET_PRECISION, value_parser = probability, allow_negative_numbers = true)]
    pub target_precision: f32,
    /// ...and, when the model is already that precise, is as high as possible while still
    /// answering this share of the validation clips it gets right (inputs less confident than
    /// nearly every right answer, as unfamiliar audio tends to be, become `unknown`).
    #[arg(long, default_value_t = hark_pipeline::DEFAULT_KEEP_CORRECT, value_parser = probability, allow_negative_numbers = true)]
    pub keep_correct: f32,
    /// Store no unknown-threshold: every clip gets a class.
    #[arg(long, conflicts_with_all = ["target_precision", "keep_correct"])]
    pub no_threshold: bool,
    /// Augment the training windows, drawn afresh every epoch: comma-separated
    /// NAME[=ARGS][@P] items. `specaugment` masks 2 spans of up to 8 mel bands and 2 of up to
    /// 25% of the frames with the window's mean (`freqmask=COUNTxBANDS`,
    /// `timemask=COUNTxPERCENT%` set them apart); `mixup[=ALPHA]` mixes each window with
    /// another of its batch, and the targets likewise, by Beta(ALPHA, ALPHA) (default 0.2);
    /// `@P` applies an item to a share P of the windows. The draws follow --seed; the setting
    /// is saved in the model file (`hark info` shows it). Example:
    /// --augment specaugment,mixup=0.2
    #[arg(long, value_name = "SPEC", default_value = "none", value_parser = augment_spec)]
    pub augment: hark_train::AugmentConfig,
    /// Write what augmentation did to every training window in every epoch, as JSON lines
    /// (epoch, window, file, masks, mixup partner and weight).
    #[arg(long, value_name = "FILE")]
    pub log_augment: Option<PathBuf>,
    /// Start from this model's weights (transfer learning): its architecture and feature
    /// settings, every layer but the output layer, which is new for this dataset's classes.
    /// Recipe: try a probe (`--freeze` every convolution block, so only the dense layers
    /// learn) against fine-tuning (no --freeze, a lower --lr such as 1e-4), and keep the one
    /// that validates better; with little data, also try `--model logreg --embed MODEL`.
    #[arg(long, value_name = "MODEL", conflicts_with_all = ["model", "embed"])]
    pub init: Option<PathBuf>,
    /// With --init: layers kept exactly as they start (parameters and BatchNorm statistics),
    /// comma-separated layer names or prefixes from `hark info MODEL` (`block1` covers
    /// `block1.conv` and `block1.bn`).
    #[arg(long, value_name = "LAYERS", value_delimiter = ',', requires = "init")]
    pub freeze: Vec<String>,
    /// With --model logreg: fit on the embedding of this hark model (its penultimate layer)
    /// instead of log-mel statistics. Its layers and weights are copied into the new model,
    /// which uses its feature settings (feature options are refused with it).
    #[arg(long, value_name = "MODEL")]
    pub embed: Option<PathBuf>,
    /// With --model logreg: inverse L2 regularisation strength (scikit-learn's C); larger
    /// fits the training windows more closely.
    #[arg(long, value_name = "C", default_value_t = 1.0, value_parser = positive)]
    pub logreg_c: f64,
    /// Feature cache folder [default: $HARK_CACHE_DIR, else ~/.cache/hark].
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    #[arg(from_global)]
    pub quiet: bool,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub features: FeatureArgs,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Model file written by `hark train` (always the first argument).
    pub model: PathBuf,
    /// Audio: files, folders (searched at any depth for audio files), CSV lists (a `path`
    /// column), or `-` for standard input. Rows come in path order.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output .npy file; its index is written beside it as .csv.
    #[arg(short, long, required = true)]
    pub output: PathBuf,
    /// One row per file: the mean of its windows' embeddings.
    #[arg(long)]
    pub per_clip: bool,
    #[arg(from_global)]
    pub quiet: bool,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset: a folder of class folders, a CSV manifest, labels.csv, ESC-50 or UrbanSound8K metadata,
    /// or audio files with Audacity label tracks.
    pub dataset: PathBuf,
    /// Output model file.
    #[arg(short, long, default_value = "model.hark")]
    pub output: PathBuf,
    /// Folder for training curves (CSV, PNG) [default: next to the model file].
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
    /// Use this fold for validation (datasets with folds); the test fold, if any, is never trained on.
    #[arg(long)]
    pub val_fold: Option<u32>,
    /// Hold out this fold entirely (for testing later with `hark eval --fold`).
    #[arg(long)]
    pub test_fold: Option<u32>,
    #[command(flatten)]
    pub opts: TrainOpts,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model file written by `hark train`.
    pub model: PathBuf,
    /// Labelled dataset to evaluate on.
    pub dataset: PathBuf,
    /// Evaluate only clips of this fold [default: the fold the model held out for testing].
    #[arg(long)]
    pub fold: Option<u32>,
    /// Evaluate only clips of this split [default: test when the dataset has splits].
    #[arg(long)]
    pub split: Option<String>,
    /// Folder for the report (JSON, CSV, PNG, HTML).
    #[arg(short, long, default_value = "hark-eval")]
    pub output: PathBuf,
    /// Tune the unknown-threshold on the model's own validation clips: the lowest threshold
    /// reaching this precision is stored in the model file (with the pooling it was tuned
    /// for) and used for this evaluation. Never tuned on the clips being evaluated.
    #[arg(long, value_parser = probability, allow_negative_numbers = true)]
    pub target_precision: Option<f32>,
    /// Override the model's unknown-threshold (0 to 1).
    #[arg(long, value_parser = probability, allow_negative_numbers = true)]
    pub threshold: Option<f32>,
    /// Feature cache folder [default: $HARK_CACHE_DIR, else ~/.cache/hark].
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Recordings with Audacity label tracks: classify each labelled region as a clip (the
    /// clip report) instead of detecting events over the whole recordings.
    #[arg(long)]
    pub regions: bool,
    /// Recordings with label tracks: a detected event matches an annotated one when its onset
    /// is within this many seconds, and its offset within this or 20% of the event's length.
    #[arg(long, default_value_t = 0.2, value_parser = positive)]
    pub collar: f64,
    // Event detection settings for recordings with label tracks (the operating point).
    #[command(flatten)]
    pub event_opts: EventArgs,
    #[arg(from_global)]
    pub quiet: bool,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

#[derive(Debug, Args)]
pub struct CvArgs {
    /// Dataset with folds (ESC-50, ESC-10 labels.csv, UrbanSound8K, a manifest with a fold column).
    pub dataset: PathBuf,
    /// Which folds: "official" uses the dataset's own fold column; "k=N" a stratified
    /// N-fold split (seeded by --seed) for datasets without folds.
    #[arg(long, default_value = "official", value_parser = parse_folds)]
    pub folds: FoldScheme,
    /// With --folds k=N: keep all clips with the same value of this metadata column (e.g.
    /// speaker, recording, device) in one fold, so no source is on both sides.
    #[arg(long)]
    pub group_by: Option<String>,
    /// Folder for per-fold and summary reports.
    #[arg(short, long, default_value = "hark-cv")]
    pub output: PathBuf,
    /// Only run these folds (comma-separated), e.g. for a quick check.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<u32>,
    #[command(flatten)]
    pub opts: TrainOpts,
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Model file written by `hark train` (always the first argument).
    pub model: PathBuf,
    /// Audio to classify: files, folders (searched at any depth for audio files, in path
    /// order), CSV lists (a `path` column, relative to the CSV), or `-` for standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub decision: DecisionArgs,
    /// One row per analysis window (start, end, label, probability, one column per class)
    /// instead of one per file.
    #[arg(long, conflicts_with = "events")]
    pub windows: bool,
    /// One row per sound event (label, start, end, mean and peak probability) instead of one
    /// per file; see "Events" for the settings.
    #[arg(long)]
    pub events: bool,
    #[command(flatten)]
    pub event_opts: EventArgs,
    /// Output format: table, csv, jsonl, parquet; with --output-dir also audacity (label
    /// tracks) and raven (selection tables) [default: table on a terminal, else csv].
    #[arg(long, value_parser = output_format)]
    pub format: Option<hark_output::OutputFormat>,
    /// Same as `--format jsonl` (one JSON object per line).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write the results to this file (atomically: complete or not at all) instead of
    /// standard output.
    #[arg(long, short, conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write one result file per audio file into this folder, mirroring the input folders
    /// (`rec/a.wav` -> `DIR/rec/a.wav.txt` for Audacity).
    #[arg(long)]
    pub output_dir: Option<PathBuf>,
    /// With --output-dir: skip audio files whose result file exists (resume a run).
    #[arg(long, requires = "output_dir", conflicts_with = "overwrite")]
    pub skip_existing: bool,
    /// Replace existing result files (never done otherwise, so a label track you made is safe).
    #[arg(long)]
    pub overwrite: bool,
    /// Classes listed per file in clip rows, best first.
    #[arg(long, default_value_t = 3, value_parser = at_least_one)]
    pub top_k: usize,
    /// Process only slice I of N of the inputs (by a hash of each path, so slices are stable
    /// across reruns and machines): run N jobs with 1/N .. N/N to cover everything once.
    #[arg(long, value_parser = shard)]
    pub shard: Option<hark_data::Shard>,
    /// Files decoded and classified at the same time [default: one per core].
    #[arg(long, value_parser = at_least_one)]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub threads: ThreadsArg,
    /// No progress bar (the global `-q`).
    #[arg(from_global)]
    pub quiet: bool,
}

/// `--threshold` and `--aggregation`: how window probabilities become a decision.
#[derive(Debug, Args, Clone, Copy)]
pub struct DecisionArgs {
    /// Report "unknown" when the top probability is below this, 0 to 1 [default: the model's].
    #[arg(long, value_parser = probability, allow_negative_numbers = true)]
    pub threshold: Option<f32>,
    /// Window pooling for the per-file decision [default: the model's].
    #[arg(long, value_enum)]
    pub aggregation: Option<AggregationArg>,
}

/// Event detection settings (`--events`, `hark stream`). The defaults are the seed demo's rule:
/// the mean of the last 4 windows, above 0.35.
#[derive(Debug, Args, Clone, Copy)]
#[command(next_help_heading = "Events")]
pub struct EventArgs {
    /// Smoothed probability at which an event starts.
    #[arg(long, default_value_t = 0.35, value_parser = probability)]
    pub onset: f32,
    /// Smoothed probability below which it ends (at most --onset) [default: --onset].
    #[arg(long, value_parser = probability)]
    pub offset: Option<f32>,
    /// Windows smoothed over (trailing; 1 = none).
    #[arg(long, default_value_t = 4, value_parser = at_least_one)]
    pub smooth: usize,
    /// Smoothing: mean, or median (a median filter removes one-window blips).
    #[arg(long, value_enum, default_value_t = SmoothingArg::Mean)]
    pub smoothing: SmoothingArg,
    /// Events shorter than this many seconds are dropped.
    #[arg(long, default_value_t = 0.0, value_parser = non_negative_seconds)]
    pub min_duration: f64,
    /// Two runs of a class at most this many windows apart are one event.
    #[arg(long, default_value_t = 0)]
    pub max_gap: usize,
}

/// `--smoothing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmoothingArg {
    /// Mean of the last windows.
    Mean,
    /// Median of the last windows.
    Median,
}

impl EventArgs {
    /// The event settings, validated (an offset above the onset is refused).
    pub fn to_config(self) -> Result<hark_infer::EventConfig, hark_infer::InferError> {
        let cfg = hark_infer::EventConfig {
            onset: self.onset,
            offset: self.offset.unwrap_or(self.onset),
            smooth_windows: self.smooth,
            smoothing: match self.smoothing {
                SmoothingArg::Mean => hark_infer::Smoothing::Mean,
                SmoothingArg::Median => hark_infer::Smoothing::Median,
            },
            min_duration_s: self.min_duration,
            max_gap_windows: self.max_gap,
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Model file written by `hark train`.
    pub model: PathBuf,
    /// Output file (a folder for `--format c`), written atomically; `-` writes ONNX to
    /// standard output.
    #[arg(short, long)]
    pub output: PathBuf,
    /// What to write (default: from the output's extension, `.onnx`).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// `--format c` with the network in int8 (TensorFlow Lite's scheme: per-channel weights,
    /// per-tensor activations), its activation ranges measured on --calibrate audio. The
    /// front end stays float32. Weights and activations take a quarter of float32's bytes.
    #[arg(long, requires = "calibrate")]
    pub int8: bool,
    /// Audio files or folders from the model's training data: windows drawn from them set
    /// the int8 activation ranges (a bad file is reported and skipped, exit code 1).
    #[arg(long, value_name = "PATH", num_args = 1.., requires = "int8")]
    pub calibrate: Vec<PathBuf>,
    /// Non-silent windows drawn at random (seeded, so the export is reproducible) from the
    /// --calibrate audio.
    #[arg(long, value_name = "N", default_value_t = 300, requires = "int8", value_parser = calibration_count)]
    pub calibration_windows: usize,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    /// ONNX, opset 18, dynamic batch.
    Onnx,
    /// C99 source for microcontrollers: front end and network, float32 (or int8 with --int8).
    C,
}

#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Model file written by `hark train`.
    pub model: PathBuf,
    /// Standard input holds headerless samples in this format (else a WAV, FLAC, Ogg or MP3
    /// stream, recognised from its first bytes).
    #[arg(long, value_enum)]
    pub format: Option<RawFormat>,
    /// Listen to a microphone instead of standard input: the default one, or the first
    /// input device whose name contains DEVICE (the error lists them). Needs a hark built
    /// with `--features mic`.
    #[arg(long, value_name = "DEVICE", num_args = 0..=1, conflicts_with = "format")]
    pub mic: Option<Option<String>>,
    /// Sample rate of --format input in Hz.
    #[arg(long, requires = "format", value_parser = at_least_one)]
    pub rate: Option<usize>,
    /// Interleaved channels of --format input (averaged to mono).
    #[arg(long, requires = "format", default_value_t = 1, value_parser = at_least_one)]
    pub channels: usize,
    #[command(flatten)]
    pub decision: DecisionArgs,
    /// One JSON line per analysis window instead of one per event.
    #[arg(long)]
    pub windows: bool,
    #[command(flatten)]
    pub event_opts: EventArgs,
    #[command(flatten)]
    pub threads: ThreadsArg,
    /// No status line (the global `-q`); the summary is still printed.
    #[arg(from_global)]
    pub quiet: bool,
}

/// `hark stream --format`: headerless sample formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RawFormat {
    /// Signed 16-bit little-endian integers.
    S16le,
    /// 32-bit little-endian floats.
    F32le,
}

fn output_format(s: &str) -> Result<hark_output::OutputFormat, String> {
    s.parse()
        .map_err(|e: hark_output::UnknownFormat| e.to_string())
}

fn shard(s: &str) -> Result<hark_data::Shard, String> {
    s.parse()
}

fn non_negative_seconds(s: &str) -> Result<f64, String> {
    in_range(s, 0.0, f64::MAX, true, "seconds, 0 or more")
}
