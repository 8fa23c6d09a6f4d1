//! hark as a library for the `hark` binary: flag definitions, subcommands, and the pipeline
//! glue that joins the library crates.
//!
//! Flow: the outermost layer over audio -> features -> model -> train/eval -> predict.

pub mod args;
pub mod commands;
pub mod pipeline;
pub mod progress;
