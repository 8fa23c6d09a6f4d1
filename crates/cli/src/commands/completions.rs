//! `hark completions SHELL` and `hark man`: the shell completion script and the manual page,
//! generated from the same flag definitions the parser uses (clap_complete, clap_mangen).
//!
//! Flow: outermost layer; reads only the command-line definition.

use anyhow::Result;
use clap::CommandFactory;

use super::Outcome;
use crate::args::{Cli, CompletionsArgs};

/// `hark completions SHELL`: the script on standard output.
pub fn completions(args: &CompletionsArgs) -> Result<Outcome> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "hark", &mut std::io::stdout().lock());
    Ok(Outcome::Ok)
}

/// `hark man`: the manual page (roff) on standard output.
pub fn man() -> Result<Outcome> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?;
    Ok(Outcome::Ok)
}
