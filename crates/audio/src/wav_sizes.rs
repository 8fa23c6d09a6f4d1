//! Audio-input stage (audio -> features -> ...): repair of the size fields of a WAV header before
//! symphonia reads it, so that files written by streaming tools decode to the end, with a warning.
//!
//! # The rule
//! Let `D` be the `data` chunk's declared size and `R` the bytes from the start of the chunk's
//! body to the end of the file.
//! - **Placeholder data size** (`R > 0` and `D == 0`, or `D >= 0x7FFF0000` and `D > R`): the
//!   writer did not know the length. ffmpeg writing to a pipe leaves 0xFFFFFFFF, sox leaves
//!   `MS_UNSPEC` = 0x7FFFF000, other recorders values just below or at 2^31, and a recorder that
//!   never closed its file (Python's `wave`, many embedded loggers) leaves 0. All `R` bytes are
//!   audio; [`AudioWarning::WavDataSizePlaceholder`].
//! - **Specific data size larger than `R`** (`0 < D < 0x7FFF0000`, `D > R`): a complete header
//!   written by a tool that knew the length, on a file that was later cut off. Nothing is
//!   patched; decoding stops at the end of the file and `load` reports
//!   [`crate::AudioError::Truncated`], as before.
//! - **RIFF size**: when the data chunk is intact or a placeholder, a RIFF size that does not
//!   cover the data chunk or claims more than the file (0, 0xFFFFFFFF, larger than the file) is
//!   replaced by the file length minus 8; [`AudioWarning::WavRiffSizeIgnored`]. A RIFF size
//!   smaller than the file but covering the data chunk (trailing bytes after the RIFF form, such
//!   as an appended ID3 tag) is normal and left alone. One byte of slack is allowed for a missing
//!   final pad byte.
//!
//! libsndfile and ffmpeg read to the end of the file in every case; hark keeps the third case
//! (a plausible, specific length) an error because a cut-off file in a dataset is worth knowing.
//!
//! # Why hand-written
//! symphonia 0.6's `WavReader` (`symphonia-format-riff/src/wave/mod.rs`) fails on a RIFF size
//! below 4 ("invalid riff length") and on a RIFF size that does not cover the data chunk ("chunk
//! length exceeds parent"), reads a data size of 0 as "no audio", and knows only 0xFFFFFFFF as
//! "unknown length" (then reporting no frame count). It has no option to ignore size fields and
//! no maintained crate repairs them, so [`inspect`] walks the chunk headers itself and
//! [`PatchedFile`] hands symphonia the file with the corrected fields overlaid in memory (the file
//! on disk is never written).

use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

use crate::AudioWarning;

/// Data sizes at or above this, when larger than the file, are "length unknown" placeholders.
pub(crate) const PLACEHOLDER_MIN: u32 = 0x7FFF_0000;

/// Most chunks walked before `data` (a guard against files made of millions of tiny chunks).
const MAX_CHUNKS: usize = 1024;

/// Byte patches to apply to a WAV file's header, and what they repaired.
#[derive(Debug, Default)]
pub(crate) struct WavFix {
    /// `(offset, little-endian u32)` overlays.
    pub patches: Vec<(u64, [u8; 4])>,
    /// One warning per repaired field.
    pub warnings: Vec<AudioWarning>,
}

fn read_at<R: Read + Seek + ?Sized>(file: &mut R, at: u64, buf: &mut [u8]) -> io::Result<bool> {
    file.seek(SeekFrom::Start(at))?;
    match file.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Inspect the size fields of a RIFF/WAVE file (see the module docs for the rule). Anything that
/// is not a well-formed RIFF/WAVE chunk list up to `data` gets no patches: symphonia then
/// reports the problem itself.
pub(crate) fn inspect<R: Read + Seek + ?Sized>(file: &mut R, file_len: u64) -> io::Result<WavFix> {
    let mut fix = WavFix::default();
    let mut head = [0u8; 12];
    if !read_at(file, 0, &mut head)? || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Ok(fix);
    }
    let riff = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);

    // Walk the chunk headers to `data`, trusting chunk sizes but not the RIFF size.
    let mut off = 12u64;
    let mut chunks = 0;
    let (data_size_at, declared) = loop {
        let mut ch = [0u8; 8];
        if chunks >= MAX_CHUNKS || !read_at(file, off, &mut ch)? {
            return Ok(fix);
        }
        let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]);
        if &ch[0..4] == b"data" {
            break (off + 4, size);
        }
        off += 8 + u64::from(size) + u64::from(size & 1);
        chunks += 1;
    };
    let data_start = data_size_at + 4;
    let remaining = file_len.saturating_sub(data_start);
    let declared64 = u64::from(declared);

    let placeholder =
        remaining > 0 && (declared == 0 || (declared >= PLACEHOLDER_MIN && declared64 > remaining));
    let data_len = if placeholder {
        // symphonia reads 0xFFFFFFFF as "unknown": right for data beyond 4 GiB.
        let patched = u32::try_from(remaining).unwrap_or(u32::MAX);
        fix.patches.push((data_size_at, patched.to_le_bytes()));
        fix.warnings.push(AudioWarning::WavDataSizePlaceholder {
            declared,
            used: remaining,
        });
        remaining
    } else if declared64 > remaining {
        return Ok(fix); // cut off: the Truncated error, no patches
    } else {
        declared64
    };

    let riff_end = u64::from(riff) + 8;
    let data_end = data_start + data_len;
    if riff_end < data_end || riff_end > file_len + 1 {
        let expected = file_len - 8;
        let patched = u32::try_from(expected).unwrap_or(u32::MAX);
        fix.patches.push((4, patched.to_le_bytes()));
        fix.warnings.push(AudioWarning::WavRiffSizeIgnored {
            declared: riff,
            expected,
        });
    }
    Ok(fix)
}

/// A file (or bytes in memory) read through symphonia's `MediaSource` with some bytes replaced
/// in memory.
pub(crate) struct PatchedFile {
    inner: Box<dyn MediaSource>,
    pos: u64,
    len: u64,
    patches: Vec<(u64, [u8; 4])>,
}

impl PatchedFile {
    /// Wrap `inner` (of `len` bytes), positioned at its start.
    pub(crate) fn new(
        mut inner: Box<dyn MediaSource>,
        len: u64,
        patches: Vec<(u64, [u8; 4])>,
    ) -> io::Result<Self> {
        inner.seek(SeekFrom::Start(0))?;
        Ok(PatchedFile {
            inner,
            pos: 0,
            len,
            patches,
        })
    }
}

impl Read for PatchedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let (lo, hi) = (self.pos, self.pos + n as u64);
        for (at, bytes) in &self.patches {
            for (i, &b) in bytes.iter().enumerate() {
                let p = at + i as u64;
                if (lo..hi).contains(&p) {
                    buf[(p - lo) as usize] = b;
                }
            }
        }
        self.pos = hi;
        Ok(n)
    }
}

impl Seek for PatchedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

impl MediaSource for PatchedFile {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Bytes of a pipe's start searched for the `data` chunk header.
pub(crate) const PIPE_HEAD_BYTES: usize = 1 << 16;

/// Prepare the first bytes of a WAV stream read from a pipe (`head`, up to
/// [`PIPE_HEAD_BYTES`]): a pipe's length is unknown, so a placeholder `data` size (0, or
/// [`PLACEHOLDER_MIN`] and above, as ffmpeg, sox and arecord write to pipes) becomes
/// 0xFFFFFFFF, which symphonia reads as "to the end of the stream". The RIFF size always
/// does (it only bounds the chunks, and symphonia refuses a data chunk longer than it); a
/// specific data size stays, and a stream ending short of it is reported by the decoder.
pub(crate) fn patch_pipe_head(head: &mut [u8]) {
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return;
    }
    let mut off = 12usize;
    for _ in 0..MAX_CHUNKS {
        let Some(ch) = head.get(off..off + 8) else {
            return;
        };
        let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]);
        if &ch[0..4] == b"data" {
            if size == 0 || size >= PLACEHOLDER_MIN {
                head[off + 4..off + 8].copy_from_slice(&u32::MAX.to_le_bytes());
            }
            head[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
            return;
        }
        off += 8 + size as usize + (size & 1) as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit mono WAV header with the given size fields, then `body` bytes.
    fn wav(riff: u32, data: u32, body: usize) -> Vec<u8> {
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&riff.to_le_bytes());
        v.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0");
        v.extend_from_slice(b"data");
        v.extend_from_slice(&data.to_le_bytes());
        v.resize(v.len() + body, 0);
        v
    }

    fn run(bytes: &[u8]) -> WavFix {
        inspect(&mut io::Cursor::new(bytes), bytes.len() as u64).expect("inspect")
    }

    #[test]
    fn the_rule_of_the_module_docs() {
        // Correct header: nothing to do.
        assert!(run(&wav(36 + 100, 100, 100)).patches.is_empty());
        // Placeholders: patched to the 100 bytes present (data size at byte 40).
        for d in [0, 0x7FFF_F000, 0x7FFF_FFFF, 0x8000_0000, u32::MAX] {
            let fix = run(&wav(36 + 100, d, 100));
            assert_eq!(fix.patches, vec![(40, 100u32.to_le_bytes())], "{d:#x}");
        }
        // A specific size beyond the end: truncated, left for the Truncated error.
        assert!(run(&wav(36 + 400, 400, 100)).patches.is_empty());
        assert!(
            run(&wav(36 + 0x7FFE_FFFF, 0x7FFE_FFFF, 100))
                .patches
                .is_empty()
        );
        // Bad RIFF sizes with an intact data chunk: replaced by file length - 8 = 136.
        for r in [0, 4, 50, 10_000, u32::MAX] {
            let fix = run(&wav(r, 100, 100));
            assert_eq!(fix.patches, vec![(4, 136u32.to_le_bytes())], "{r:#x}");
        }
        // Trailing bytes after the RIFF form are fine.
        assert!(run(&wav(36 + 60, 60, 100)).patches.is_empty());
    }
}
