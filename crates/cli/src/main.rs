//! The `hark` binary: parses flags and hands each subcommand to library code.
//!
//! Flow: outermost layer over audio -> features -> model -> train/eval -> predict.
//! Exit codes (also in `--help`): 0 success; 1 some inputs failed or were skipped (reported,
//! the rest processed); 2 usage or configuration error; 130 interrupted by Ctrl-C.

use std::process::ExitCode;

use clap::Parser;
use hark::args::{Cli, Command};
use hark::commands;

/// `hark eval ... | head`: a closed pipe ends hark quietly, as it ends `cat` or `grep`, rather
/// than with a panic on the next `println!` (Rust ignores SIGPIPE by default). Files are
/// written atomically, so nothing half-written is left behind.
#[cfg(unix)]
fn end_quietly_on_closed_pipe() {
    // SAFETY: restores the default disposition of one signal at start-up, before any other
    // thread exists; no handler code runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    #[cfg(unix)]
    end_quietly_on_closed_pipe();
    let cli = Cli::parse();
    if let Some(n) = cli.command.threads() {
        // One pool for everything that computes: hark-data's extraction and burn's CPU
        // backend (gemm) both run on rayon's global pool.
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: cannot start {n} worker threads: {e}; use fewer threads");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::Info(a) => commands::info(&a),
        Command::Check(a) => commands::check(&a),
        Command::Features(a) => commands::features(&a),
        Command::Spectrogram(a) => commands::spectrogram(&a),
        Command::Train(a) => commands::train(&a),
        Command::Eval(a) => commands::eval(&a),
        Command::Cv(a) => commands::cv(&a),
        Command::Predict(a) => commands::predict(&a),
        Command::Embed(a) => commands::embed(&a),
        Command::Stream(a) => commands::stream(&a),
        Command::Export(a) => commands::export(&a),
        Command::Completions(a) => commands::completions(&a),
        Command::Man => commands::man(),
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // hark's error types print only their own message; each cause comes once, here.
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            if hark::progress::was_interrupted() {
                ExitCode::from(130)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

/// `hark predict ... | head` closing the pipe early is not an error (as in ripgrep).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
