//! hark as a library for the `hark` binary: flag definitions and one module per subcommand.
//! Every protocol (partitioning, fitting, evaluation, cross-validation) lives in
//! hark-pipeline; this crate keeps flags, printing and exit codes.
//!
//! Flow: the outermost layer over audio -> features -> model -> train/eval -> predict.

pub mod args;
pub mod commands;
pub mod progress;
