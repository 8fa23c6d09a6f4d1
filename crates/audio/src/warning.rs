//! Audio-input stage (audio -> features -> ...): problems that a decode survived. A file with a
//! placeholder size field in its WAV header, a lossy stream with a damaged packet, or an Ogg file
//! with pages failing their checksum still decodes; what was repaired or skipped is reported here
//! so that callers can show it.
//!
//! Like [`crate::AudioError`], a warning's Display does **not** contain the file's path: the
//! caller names the file (`eprintln!("warning: {}: {w}", path.display())`).

/// Something odd in a file that [`crate::load`] worked around. Found in [`crate::Audio::warnings`]
/// (and, for header problems, [`crate::AudioInfo::warnings`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub enum AudioWarning {
    /// The WAV `data` chunk size is a streaming placeholder (0, or 0x7FFF0000 and above but larger
    /// than the file: ffmpeg writing to a pipe leaves 0xFFFFFFFF, sox 0x7FFFF000, a recorder that
    /// never closed its file leaves 0). The audio was read to the end of the file, as ffmpeg and
    /// libsndfile do.
    WavDataSizePlaceholder {
        /// The size the header declares, in bytes.
        declared: u32,
        /// Bytes from the start of the data chunk to the end of the file, all read as audio.
        used: u64,
    },
    /// The RIFF size in a WAV header does not match the file (0, 0xFFFFFFFF, larger than the
    /// file, or too small to hold the data chunk). It was ignored: the data chunk is intact.
    WavRiffSizeIgnored {
        /// The RIFF size the header declares, in bytes.
        declared: u32,
        /// The size it should have been: file length minus 8.
        expected: u64,
    },
    /// Parts of a lossy stream (MP3, Vorbis, AAC) could not be decoded and were replaced by
    /// silence of the same length, keeping later audio at its right time. Each is a packet the
    /// decoder rejected, or a run of packets the container dropped as damaged, seen as a jump in
    /// timestamps. (Ogg pages failing their checksum are [`AudioWarning::DamagedOggPages`].)
    SkippedPackets {
        /// Number of damaged packets (or dropped runs of packets) skipped.
        count: u64,
        /// Packets in the stream, counting each dropped run as one.
        total: u64,
        /// Seconds of silence put in their place.
        silence: f64,
        /// Time of the first skipped packet, in seconds.
        first_at: f64,
        /// What the decoder reported for the first one.
        reason: String,
    },
    /// Pages of an Ogg file fail their CRC-32 checksum, or bytes between pages hold no page: the
    /// demuxer drops them and resynchronises on the next good page (symphonia does so without a
    /// word; hark finds them by walking the pages before decoding). The audio of the lost pages
    /// is replaced by silence of its length at its place, so later audio keeps its time: the
    /// length comes from the granule positions of the damaged pages' own headers where they
    /// still fit between the good pages around them. Where no damaged header can be trusted, the
    /// silence goes where the stream's timestamps show the jump, one page late, or (no later
    /// jump) at the end, up to the stream's length (declared by the container or by its
    /// end-of-stream page); without one the decode is shorter and `seconds_lost` counts only
    /// what could be measured. A file that lost pages is decoded from its start even for a
    /// time range (no seek). Vorbis only: FLAC in Ogg that loses pages is
    /// [`crate::AudioError::Corrupt`]. [`crate::probe`] does not scan the pages.
    DamagedOggPages {
        /// Damaged places: pages failing their checksum, plus runs of garbage between pages.
        pages: u64,
        /// Seconds of audio lost with them (at the native rate), replaced by silence. 0 when the
        /// damage held no audio of the decoded stream (garbage between pages, another stream).
        seconds_lost: f64,
        /// Where the first lost audio belonged, in seconds, when audio was lost.
        first_at: Option<f64>,
    },
    /// A lossy stream ends early: the file was cut off (an interrupted download or copy). All
    /// audio up to the cut was decoded.
    TruncatedStream {
        /// Frames decoded, at the native rate.
        decoded_frames: u64,
        /// Frames the container declares, where it does.
        declared_frames: Option<u64>,
    },
}

impl std::fmt::Display for AudioWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AudioWarning::WavDataSizePlaceholder { declared, used } => write!(
                f,
                "the WAV data size field is {declared:#010X}, a placeholder left by a streaming \
                 writer or an unfinished recording; read all {used} bytes to the end of the file"
            ),
            AudioWarning::WavRiffSizeIgnored { declared, expected } => write!(
                f,
                "the WAV RIFF size field is {declared:#010X} but should be {expected} for this \
                 file; ignored it (the data chunk is intact)"
            ),
            AudioWarning::SkippedPackets {
                count,
                total,
                silence,
                first_at,
                reason,
            } => write!(
                f,
                "skipped {count} of {total} packets that could not be decoded (the first at \
                 {first_at:.3} s: {reason}); replaced them by {silence:.3} s of silence"
            ),
            AudioWarning::DamagedOggPages {
                pages,
                seconds_lost,
                first_at,
            } => {
                write!(
                    f,
                    "{pages} damaged Ogg page{} (failed checksum or garbage between pages) \
                     dropped by the demuxer",
                    if *pages == 1 { "" } else { "s" }
                )?;
                match first_at {
                    Some(t) => write!(
                        f,
                        "; {seconds_lost:.3} s of audio lost (the first at {t:.3} s), replaced \
                         by silence"
                    ),
                    None => write!(f, "; no audio of this stream was lost"),
                }
            }
            AudioWarning::TruncatedStream {
                decoded_frames,
                declared_frames: Some(declared),
            } => write!(
                f,
                "the stream is truncated: the file ends after {decoded_frames} of the \
                 {declared} frames its header declares; decoded up to the cut"
            ),
            AudioWarning::TruncatedStream {
                decoded_frames,
                declared_frames: None,
            } => write!(
                f,
                "the stream is truncated: the file ends in the middle of a packet after \
                 {decoded_frames} frames; decoded up to the cut"
            ),
        }
    }
}
