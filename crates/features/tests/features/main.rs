//! Integration tests of hark-features (audio -> **features**): librosa golden values, naive
//! references, window policy, silence gating, streaming == batch, files.

mod common;
mod files;
mod golden;
mod reference;
mod stream;
mod validate;
mod windows;
