//! hark-kernels: the model stage's inference arithmetic on plain slices
//! (audio -> features -> **model** -> train/eval -> predict/stream -> export).
//!
//! Running a trained network on one window does not need a tensor framework's graph,
//! allocator or thread pool: it is a fixed list of convolutions, poolings and dense layers
//! whose shapes are known when the model is loaded. These kernels are that list's parts, in
//! the style of rustfft and rubato: geometry is planned once ([`Conv2d`], [`MaxPool2d`]),
//! every call writes into caller-owned buffers (`*_into(input, output, scratch)`), and nothing
//! allocates per window. `hark-infer`'s plan engine strings them together.
//!
//! Matrix products go to the `gemm` crate, which picks AVX-512, AVX2/FMA or portable code
//! at run time. What is written here by hand is what no maintained crate offers on slices:
//! the im2col lowering with TensorFlow "same" padding, the depthwise convolution, pooling,
//! folding BatchNorm into the preceding convolution, and per-band window statistics.
//!
//! # Layouts
//! Activations are one window's `[channels, height, width]`, row-major (NCHW without N).
//! Convolution weights are `[out_channels, in_channels / groups, kh, kw]`; dense weights are
//! `[in_features, out_features]` (`y = x W + b`), as `hark_model::LayerPlan` documents.
//!
//! # Panics
//! Kernels assert their slice lengths against the planned geometry: a wrong length is a bug
//! in the caller, not bad input, and is reported by a panic naming the buffer.

mod conv;
mod dense;
mod matmul;
mod pool;
mod stats;

pub use conv::{Conv2d, fold_batch_norm};
pub use dense::{channel_affine_in_place, dense_into, relu_in_place, softmax_in_place};
pub use matmul::matmul_into;
pub use pool::MaxPool2d;
pub use stats::band_stats_into;

/// Panic with a clear message when a buffer does not have its planned length.
#[track_caller]
pub(crate) fn check_len(what: &str, actual: usize, expected: usize) {
    assert!(
        actual == expected,
        "hark-kernels: {what} has {actual} values, the plan needs {expected}"
    );
}

/// Panic when a buffer is shorter than its planned length.
#[track_caller]
pub(crate) fn check_min_len(what: &str, actual: usize, expected: usize) {
    assert!(
        actual >= expected,
        "hark-kernels: {what} has {actual} values, the plan needs at least {expected}"
    );
}
