//! hark-audio: the first stage of hark (**audio** -> features -> model -> train/eval ->
//! predict/stream -> export). It decodes audio files with [symphonia], downmixes to mono and
//! resamples with [rubato], returning `f32` samples in `[-1, 1]` in librosa's conventions.
//!
//! ```no_run
//! use hark_audio::{load, LoadOptions};
//! let audio = load(std::path::Path::new("dog.ogg"), &LoadOptions { sr: Some(22050), ..Default::default() })?;
//! println!("{} frames at {} Hz, {:.2} s", audio.frames(), audio.sample_rate, audio.duration());
//! # Ok::<(), hark_audio::AudioError>(())
//! ```
//!
//! # Supported formats and codecs
//!
//! Everything symphonia 0.6 decodes is enabled (`features = ["all"]`).
//!
//! | container | codecs | notes |
//! |---|---|---|
//! | WAV (RIFF) | PCM u8, s16, s24, s32, f32, f64; IMA ADPCM; Microsoft ADPCM; A-law/mu-law | `WAVE_FORMAT_EXTENSIBLE` and extra chunks (`LIST`, `fact`, ...) before `data`; placeholder size fields of streaming writers (data size 0 or >= 0x7FFF0000, RIFF size wrong) decode to the end of the file with an [`AudioWarning`]; a specific data size beyond the end of the file is [`AudioError::Truncated`] |
//! | AIFF / AIFF-C | PCM | |
//! | FLAC (native) | FLAC | bit-exact |
//! | Ogg | Vorbis, FLAC | Opus is **not** supported by symphonia; a damaged Vorbis packet is skipped (silence) with an [`AudioWarning`]; pages failing their checksum (which symphonia drops in silence) are found by a page scan and their audio replaced by silence, [`AudioWarning::DamagedOggPages`] (FLAC in Ogg: [`AudioError::Corrupt`]) |
//! | MP3 / MP2 / MP1 (raw) | MPEG-1/2 Layer I-III | a damaged frame is skipped (silence) with an [`AudioWarning`] |
//! | CAF | PCM, A-law/mu-law, Apple IMA4 ADPCM (`ima4`), AAC-LC, ALAC, FLAC, MP1-3 | iOS recordings (IMA4 verified on a real file); Opus is **not** supported |
//! | MP4 / M4A / 3GP (ISO BMFF) | AAC-LC, ALAC, MP3, FLAC, PCM | AMR-NB/AMR-WB (`samr`/`sawb`, typical `.3gp` recordings) are **not** supported: [`AudioError::Unsupported`] says so |
//! | MKV / WebM | the codecs above | Opus is **not** supported |
//!
//! Damage is handled by codec kind. Lossless codecs (PCM, ADPCM, FLAC, ALAC) promise exact
//! samples, so a packet that does not decode is [`AudioError::Corrupt`] and a stream shorter than
//! its header is [`AudioError::Truncated`]. Lossy codecs (MP3, Vorbis, AAC in any container)
//! skip a packet that does not decode, fill its length with silence (later audio keeps its time)
//! and report the count in [`Audio::warnings`]; a lossy stream that ends early is decoded up to
//! the cut and reported as [`AudioWarning::TruncatedStream`]. A file in which no packet decodes
//! is [`AudioError::Corrupt`].
//!
//! Integer PCM is scaled by `1 / 2^(bits-1)` (int16 `x` -> `x / 32768`), as libsndfile and
//! `librosa.load` do; unsigned 8-bit is centred first (`(x - 128) / 128`).
//!
//! # Modules
//! - [`load`], [`load_mono`], [`probe`]: decoding and header information (`decode.rs`);
//!   [`load_bytes`], [`load_mono_bytes`], [`probe_bytes`] do the same for bytes in memory
//!   (standard input).
//! - [`stream_mono`], [`stream_mono_bytes`], [`stream_mono_pipe`]: the same decoding in
//!   chunks, at constant memory, for recordings of any length and endless pipes (`stream.rs`).
//! - [`resample`], [`Resampler`]: sinc resampling (`resample.rs`).
//! - [`downmix`], [`Audio`], [`LoadOptions`]: types (`types.rs`).
//! - [`AudioError`]: errors that say how to recover; the caller names the file (`error.rs`).
//! - [`AudioWarning`]: what a successful decode worked around (`warning.rs`).
//! - internals: opening and error mapping (`open.rs`), WAV size-field repair (`wav_sizes.rs`),
//!   Ogg page checksum scan (`ogg_pages.rs`), first-bytes checks (`sniff.rs`).

mod decode;
mod error;
mod ogg_pages;
mod open;
mod resample;
mod sniff;
mod stream;
mod types;
mod warning;
mod wav_sizes;

pub use decode::{
    AudioInfo, STDIN_NAME, load, load_bytes, load_mono, load_mono_bytes, probe, probe_bytes,
};

/// Version of hark-audio's numeric behaviour that its public constants do not show. Bump it
/// in the same commit as any change to:
/// - the decoder pre-roll after a seek (`LOSSY_PREROLL_FRAMES` in `decode.rs`), which changes
///   the samples of clips with a start time;
/// - the resampler's sinc window (Blackman-Harris 2), cubic table interpolation and automatic
///   cutoff (`resample.rs`);
/// - integer PCM scaling (`x / 2^(bits-1)`) and the mono downmix;
/// - how damage is decoded (2: rejected lossy packets become silence of their length;
///   placeholder WAV sizes read to the end of the file. 3: the audio of Ogg pages failing
///   their checksum becomes silence of its length at its place, and the stream ends at its
///   declared length; clean files decode as in 2).
///
/// Feature caches key on it (with [`SINC_LEN`], [`OVERSAMPLING`] and [`CHUNK_FRAMES`]), so
/// features decoded by other code are never reused.
pub const NUMERICS_VERSION: u32 = 3;
pub use error::AudioError;
pub use resample::{CHUNK_FRAMES, OVERSAMPLING, Resampler, SINC_LEN, resample};
pub use stream::{
    STREAM_CHUNK_FRAMES, StreamSummary, stream_mono, stream_mono_bytes, stream_mono_pipe,
};
pub use types::{Audio, LoadOptions, downmix, downmix_into};
pub use warning::AudioWarning;
