//! Arbitrary bytes, written with each extension hark users meet (wav/flac/ogg/mp3/caf, which
//! changes symphonia's probe hint), decoded with `hark_audio::load` at the native rate, and
//! probed with `hark_audio::probe`. Errors are fine; panics, aborts, hangs and OOM are not.
//!
//! Note: `load`/`probe` wrap decoding in `catch_unwind` (a symphonia panic becomes
//! `AudioError::Corrupt`), but libfuzzer-sys installs a panic hook that aborts first, so a
//! decoder panic is still reported here as a crash. See README.md for how to triage one.
#![no_main]

use hark_audio::{LoadOptions, load, probe};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

const EXTS: [&str; 5] = ["wav", "flac", "ogg", "mp3", "caf"];

fuzz_target!(|data: &[u8]| {
    for ext in EXTS {
        let path = common::write_input(data, ext);
        // Stereo-preserving first (exercises the interleaved path), then the default mono.
        for mono in [false, true] {
            let opts = LoadOptions {
                mono,
                ..LoadOptions::default()
            };
            match load(&path, &opts) {
                Ok(audio) => common::check_audio(&audio, mono),
                Err(e) => common::check_error(&e),
            }
        }
        match probe(&path) {
            Ok(info) => {
                assert!(info.sample_rate > 0 && info.channels > 0, "{info:?}");
            }
            Err(e) => common::check_error(&e),
        }
    }
});
