//! Shared helpers for the hark-audio fuzz targets (included with `#[path]`, not a crate).

use std::path::PathBuf;

use hark_audio::{Audio, AudioError};

/// A per-process scratch directory, in RAM (`/dev/shm`) where available: `hark_audio::load`
/// takes a path, so every input goes through a file.
pub fn scratch_dir() -> PathBuf {
    use std::sync::OnceLock;
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        // A crashing or forked run never cleans up after itself: remove the scratch dirs of
        // processes that are gone.
        if let Ok(entries) = std::fs::read_dir(&base) {
            for e in entries.flatten() {
                let name = e.file_name();
                let Some(pid) = name
                    .to_str()
                    .and_then(|n| n.strip_prefix("hark-audio-fuzz-"))
                else {
                    continue;
                };
                if !std::path::Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(format!("hark-audio-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        dir
    })
    .clone()
}

/// Write `bytes` to `<scratch>/input.<ext>` and return the path.
pub fn write_input(bytes: &[u8], ext: &str) -> PathBuf {
    let path = scratch_dir().join(format!("input.{ext}"));
    std::fs::write(&path, bytes).expect("write fuzz input");
    path
}

/// What every successful decode must satisfy.
pub fn check_audio(audio: &Audio, mono: bool) {
    assert!(audio.sample_rate > 0, "sample_rate 0");
    assert!(audio.channels > 0, "channels 0");
    if mono {
        assert_eq!(audio.channels, 1, "mono requested");
    }
    assert!(
        !audio.samples.is_empty(),
        "Ok with no samples (should be AudioError::Empty)"
    );
    assert_eq!(
        audio.samples.len() % audio.channels,
        0,
        "samples not a whole number of frames"
    );
    if let Some(i) = audio.samples.iter().position(|x| !x.is_finite()) {
        panic!(
            "non-finite sample {} at {i} (should be AudioError::NonFinite)",
            audio.samples[i]
        );
    }
}

/// What every error must satisfy: it renders (Display walks the path and strings).
pub fn check_error(e: &AudioError) {
    let msg = e.to_string();
    assert!(!msg.is_empty());
    assert!(
        !matches!(e, AudioError::InvalidParameter { .. }),
        "valid options reported as invalid: {msg}"
    );
}
