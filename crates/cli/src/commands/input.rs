//! Where a command's inputs come from and how they are named: `-` is standard input for audio
//! (read fully into memory, decoded like a file), a model argument that is not a model file is
//! said to be one in words, and messages name `-` as "standard input".
//!
//! Flow: outermost layer, in front of hark-audio (decode) and hark-infer (model file).

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use hark_audio::Audio;
use hark_infer::{InferError, ModelFile};

/// `-`: standard input for audio, standard output for results.
pub(super) fn is_dash(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// How `p` is named in messages.
pub(super) fn shown(p: &Path) -> String {
    if is_dash(p) {
        "standard input".into()
    } else {
        p.display().to_string()
    }
}

/// Set once standard input has been read: a second `-` would see nothing.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// All of standard input (streams that never end are not supported here).
fn read_stdin() -> Result<Vec<u8>> {
    if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
        bail!("standard input can be read only once; give `-` once");
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .context("cannot read standard input")?;
    Ok(bytes)
}

/// Decoded mono audio and the rate it was recorded at.
pub(super) struct Loaded {
    /// Mono samples at the requested rate.
    pub audio: Audio,
    /// The file's own sample rate, before resampling.
    pub native_sr: u32,
}

/// Decode `path` (standard input for `-`) to mono at `sr` Hz, as `hark_audio::load_mono`
/// does, also telling the file's own rate. Decoder warnings are left to the caller.
pub(super) fn decode(path: &Path, sr: u32) -> Result<Loaded> {
    let native = if is_dash(path) {
        hark_audio::load_mono_bytes(read_stdin()?, None)?
    } else {
        hark_audio::load_mono(path, None)?
    };
    let native_sr = native.sample_rate;
    let audio = if native_sr == sr {
        native
    } else {
        Audio {
            samples: hark_audio::resample(&native.samples, native_sr, sr)?,
            sample_rate: sr,
            ..native
        }
    };
    Ok(Loaded { audio, native_sr })
}

/// [`decode`], printing decoder warnings and naming the input in the error.
pub(super) fn load_for(path: &Path, sr: u32) -> Result<Loaded> {
    let loaded = decode(path, sr).with_context(|| format!("cannot read {}", shown(path)))?;
    for w in &loaded.audio.warnings {
        eprintln!("warning: {}: {w}", shown(path));
    }
    Ok(loaded)
}

/// Header information of `path` (standard input for `-`).
pub(super) fn probe(path: &Path) -> Result<hark_audio::AudioInfo> {
    Ok(if is_dash(path) {
        hark_audio::probe_bytes(read_stdin()?)?
    } else {
        hark_audio::probe(path)?
    })
}

/// Load the model file `path`, given as `role` (e.g. "the first argument of `hark predict`").
/// A file that is not a model says so in one sentence, naming what it is when it is audio.
pub(super) fn load_model(path: &Path, role: &str) -> Result<ModelFile> {
    let must = format!("{role} must be a model file written by `hark train`");
    if is_dash(path) {
        bail!("{must}, not `-` (audio from standard input comes after the model)");
    }
    match ModelFile::load(path) {
        Ok(file) => Ok(file),
        Err(InferError::NotAModel { .. }) if hark_audio::probe(path).is_ok() => {
            bail!("{} is an audio file; {must}", path.display())
        }
        Err(InferError::NotAModel { reason, .. }) => {
            let what = if looks_like_text(path) {
                "it looks like a text file".to_string()
            } else {
                reason
            };
            bail!("{} is not a model file ({what}); {must}", path.display())
        }
        Err(e) => Err(e).with_context(|| format!("cannot load model {}", path.display())),
    }
}

/// The first bytes of `path` are text (a CSV or notes file given in the wrong place).
fn looks_like_text(path: &Path) -> bool {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .is_ok_and(|n| n > 0 && std::str::from_utf8(&head).is_ok())
}

/// The audio files of `paths` (files, folders, `-`), sorted and without repeats, for the
/// commands that read every file once and report a bad one (`hark embed`, `hark export
/// --calibrate`); returns them and how many paths were reported as unusable.
pub(super) fn list_inputs(
    paths: &[std::path::PathBuf],
) -> Result<(Vec<hark_data::AudioInput>, usize)> {
    let (mut inputs, problems) = hark_data::list_audio(paths);
    for p in &problems {
        eprintln!("error: {p}");
    }
    if inputs.iter().filter(|i| is_dash(&i.path)).count() > 1 {
        bail!("standard input can be read only once; give `-` once");
    }
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    inputs.dedup_by(|a, b| a.path == b.path);
    Ok((inputs, problems.len()))
}

/// Decode `path` (a file, or `-` for standard input) at `sr` in chunks handed to `on_chunk`
/// (`hark predict`, `hark embed`).
pub(super) fn stream_input(
    path: &Path,
    sr: u32,
    on_chunk: impl FnMut(&[f32]) -> std::ops::ControlFlow<()>,
) -> Result<hark_audio::StreamSummary, hark_audio::AudioError> {
    if is_dash(path) {
        hark_audio::stream_mono_pipe(
            std::io::stdin(),
            path,
            Some(sr),
            hark_audio::STREAM_CHUNK_FRAMES,
            on_chunk,
        )
    } else {
        hark_audio::stream_mono(path, Some(sr), on_chunk)
    }
}
