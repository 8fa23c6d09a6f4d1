//! Errors of the pipeline protocols (train/eval stage: partition, fit, evaluate,
//! cross-validate).

/// Why a protocol could not run. Each variant names what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Reading the dataset or extracting features failed.
    #[error(transparent)]
    Data(#[from] hark_data::DataError),
    /// Training failed.
    #[error(transparent)]
    Train(#[from] hark_train::TrainError),
    /// Loading or running the model failed.
    #[error(transparent)]
    Infer(#[from] hark_infer::InferError),
    /// An audio file could not be decoded; the source says why (other files can still be
    /// scored).
    #[error("cannot read {path}")]
    Audio {
        /// The file.
        path: std::path::PathBuf,
        /// The decoder's error.
        #[source]
        source: hark_audio::AudioError,
    },
    /// The caller stopped the work part-way through a recording (e.g. Ctrl-C).
    #[error("stopped while scoring {path}")]
    Stopped {
        /// The recording being scored.
        path: std::path::PathBuf,
    },
    /// Computing metrics failed.
    #[error(transparent)]
    Eval(#[from] hark_eval::EvalError),
    /// A selection matched no clip.
    #[error("no clips {what}")]
    NoClips {
        /// The selection, in words.
        what: String,
    },
    /// A split or fold that the dataset does not have.
    #[error("the dataset has no {kind} '{given}'; it has: {available}")]
    NoSuch {
        /// `split` or `fold`.
        kind: &'static str,
        /// What was asked for.
        given: String,
        /// What exists, comma-separated (or "none").
        available: String,
    },
    /// A cross-validation scheme that cannot be used on this dataset.
    #[error("--folds {given}: {reason}")]
    BadFolds {
        /// The scheme given.
        given: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// Stopped before a single epoch finished: there is no trained model to keep.
    #[error("interrupted before the first epoch finished; nothing was written")]
    Interrupted,
    /// The dataset's labels do not match the model's classes.
    #[error(
        "none of the dataset's labels ({dataset}) is one of the model's classes ({model}); is this the dataset the model was trained for?{hint}"
    )]
    LabelMismatch {
        /// Dataset labels, comma-separated.
        dataset: String,
        /// Model classes, comma-separated.
        model: String,
        /// Labels that differ from a class only in case or spacing, in a sentence (or empty).
        hint: String,
    },
}
