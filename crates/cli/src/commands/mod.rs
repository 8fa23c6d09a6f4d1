//! One file per subcommand; each returns an [`Outcome`] or an error with its cause chain.
//! Flags, printing and exit codes live here; every protocol lives in the library crates.
//!
//! Flow: outermost layer; calls into audio, features, data, pipeline, infer and eval.

mod check;
mod common;
mod completions;
mod cv;
mod embed;
mod eval;
mod eval_events;
mod export;
mod features;
mod info;
mod input;
#[cfg(feature = "mic")]
mod mic;
mod ordered;
mod predict;
mod spectrogram;
mod stream;
mod train;

pub use check::check;
pub use common::fit_options;
pub use completions::{completions, man};
pub use cv::cv;
pub use embed::embed;
pub use eval::eval;
pub use export::export;
pub use features::{features, output_format};
pub use info::info;
pub use predict::{predict, round6};
pub use spectrogram::{spectrogram, upsampling_warning};
pub use stream::stream;
pub use train::train;

/// How a command ended when it did not fail outright. See [`crate::args::EXIT_CODES_HELP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything succeeded (exit code 0).
    Ok,
    /// Some inputs failed or were skipped; they were reported and the rest processed (exit 1).
    SomeFailed,
    /// Stopped by Ctrl-C after writing complete files for the work finished (exit 130).
    Interrupted,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::SomeFailed => 1,
            Outcome::Interrupted => 130,
        }
    }

    /// `SomeFailed` when `failed > 0`, else `Ok`.
    pub fn from_failures(failed: usize) -> Outcome {
        if failed > 0 {
            Outcome::SomeFailed
        } else {
            Outcome::Ok
        }
    }
}
