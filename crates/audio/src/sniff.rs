//! Audio-input stage (audio -> features -> ...): cheap checks on a file's first bytes that turn
//! "symphonia could not open it" into an error a user can act on (empty file, text file,
//! AMR in 3GP, WAV header with zero channels or a 0 Hz rate).

use std::io::Read;
use std::path::Path;

use crate::AudioError;
use crate::open::Source;

/// How many leading bytes are inspected.
pub(crate) const SNIFF_LEN: usize = 4096;

/// Read the first [`SNIFF_LEN`] bytes of `path` and reject files that are certainly unusable.
///
/// Returns the bytes read (possibly fewer than `SNIFF_LEN`).
pub(crate) fn check_head<R: Read + ?Sized>(
    path: &Path,
    file: &mut R,
) -> Result<Vec<u8>, AudioError> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut *file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| AudioError::from_io(path, e))?;
    if head.is_empty() {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    check_wav_fmt(path, &head)?;
    if let Some(what) = known_unsupported(&head) {
        return Err(AudioError::Unsupported {
            path: path.to_path_buf(),
            what: what.to_string(),
        });
    }
    Ok(head)
}

/// For RIFF/WAVE files, reject a `fmt ` chunk declaring zero channels or a 0 Hz sample rate.
fn check_wav_fmt(path: &Path, head: &[u8]) -> Result<(), AudioError> {
    if head.len() < 12 || &head[0..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Ok(());
    }
    let mut pos = 12usize;
    while pos + 8 <= head.len() {
        let id = &head[pos..pos + 4];
        let size = u32::from_le_bytes([head[pos + 4], head[pos + 5], head[pos + 6], head[pos + 7]])
            as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if body + 8 > head.len() {
                return Ok(()); // let symphonia report the short chunk
            }
            let channels = u16::from_le_bytes([head[body + 2], head[body + 3]]);
            let rate = u32::from_le_bytes([
                head[body + 4],
                head[body + 5],
                head[body + 6],
                head[body + 7],
            ]);
            if channels == 0 {
                return Err(AudioError::InvalidHeader {
                    path: path.to_path_buf(),
                    field: "channels",
                    value: 0,
                });
            }
            if rate == 0 {
                return Err(AudioError::InvalidHeader {
                    path: path.to_path_buf(),
                    field: "sample_rate",
                    value: 0,
                });
            }
            return Ok(());
        }
        // Chunks are padded to an even size.
        pos = body.saturating_add(size).saturating_add(size & 1);
    }
    Ok(())
}

/// Containers/codecs we know symphonia cannot decode, described in words.
fn known_unsupported(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"#!AMR-WB") {
        return Some("AMR-WB speech codec (raw .awb file)");
    }
    if head.starts_with(b"#!AMR") {
        return Some("AMR-NB speech codec (raw .amr file)");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let container = if head[8..10] == *b"3g" {
            "a 3GP"
        } else {
            "an MP4"
        };
        if contains(head, b"sawb") {
            return Some(if container == "a 3GP" {
                "AMR-WB speech codec in a 3GP container"
            } else {
                "AMR-WB speech codec in an MP4 container"
            });
        }
        if contains(head, b"samr") {
            return Some(if container == "a 3GP" {
                "AMR-NB speech codec in a 3GP container"
            } else {
                "AMR-NB speech codec in an MP4 container"
            });
        }
    }
    None
}

/// Largest prefix scanned by [`unsupported_in_file`] (the codec tag can sit anywhere in `moov`).
const SCAN_LIMIT: u64 = 16 << 20;

/// After symphonia failed to find a decodable track: look further into the input for a codec
/// we know is unsupported, to name it in the error.
pub(crate) fn unsupported_in(src: Source) -> Option<&'static str> {
    let file = src.reader().ok()?;
    let mut bytes = Vec::new();
    file.take(SCAN_LIMIT).read_to_end(&mut bytes).ok()?;
    known_unsupported(&bytes)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Describe unrecognised leading bytes for an error message.
pub(crate) fn describe(head: &[u8]) -> String {
    let text = head
        .iter()
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace() || b >= 0x80);
    if text && std::str::from_utf8(head).is_ok() {
        crate::error::LOOKS_LIKE_TEXT.to_string()
    } else {
        let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("unknown data starting with bytes {}", shown.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_described_as_text() {
        assert_eq!(describe(b"hello, world\n"), "it looks like a text file");
        assert!(describe(&[0, 1, 2, 3, 4]).contains("00 01 02 03"));
    }

    #[test]
    fn amr_in_3gp_is_named() {
        let mut head = b"\0\0\0\x18ftyp3gp4\0\0\0\0".to_vec();
        head.extend_from_slice(b"....samr....");
        assert_eq!(
            known_unsupported(&head),
            Some("AMR-NB speech codec in a 3GP container")
        );
        assert_eq!(known_unsupported(b"RIFF\0\0\0\0WAVE"), None);
    }
}
