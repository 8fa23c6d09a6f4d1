//! Integration tests for hark-data (one binary): dataset formats, validation, cached extraction.

mod common;
mod extract;
mod formats;
mod validation;
