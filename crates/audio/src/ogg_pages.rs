//! Audio-input stage (audio -> features -> ...): a walk over the pages of an Ogg file before it
//! is decoded, finding the damage that symphonia's Ogg reader drops without telling the caller.
//!
//! # Why
//! symphonia 0.6's `PageReader` (`symphonia-format-ogg/src/page.rs`) discards a page whose CRC-32
//! fails, and bytes between pages, resynchronising on the next `OggS` capture pattern with only a
//! `log` message. The logical stream then starts the next good page where the last good one
//! ended, so the lost audio (often a second or more) leaves no trace in packet timestamps until
//! the page after, or none at all when the damage is in the last pages. [`scan`] walks the pages
//! itself, verifies each checksum, and reports where the chosen stream lost pages and how much
//! audio they held (from the granule positions of the good pages around them and of the damaged
//! pages' own headers), so that `load` can warn and put silence in the right place.
//!
//! # Why hand-written
//! The page walk is ~80 lines. The CRC is symphonia's own [`Crc32`] (polynomial 0x04C11DB7, not
//! reflected, initial value 0, no final xor: the Ogg checksum), already a dependency. The `ogg`
//! crate (RustAudio) reads packets, not pages: it stops with `HashMismatch` on a damaged page
//! and tells neither where the next good page is nor the granule positions around the damage;
//! `ogg_pager` (lofty) reads whole pages into memory for tag editing. Neither saves code here.
//!
//! Memory is constant: the file is read through a buffer, one page (at most 65,307 bytes) at a
//! time.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use symphonia::core::checksum::Crc32;
use symphonia::core::io::Monitor;

const CAPTURE: &[u8; 4] = b"OggS";
const HEADER_LEN: usize = 27;
const MAX_BODY: usize = 255 * 255;
/// Granule position of a page on which no packet ends.
const NO_GRANULE: u64 = u64::MAX;
/// Damaged-page headers remembered while waiting for the next good page of the stream.
const MAX_CANDIDATES: usize = 4096;

/// The fields of a page header that the scan uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageHeader {
    pub granule: u64,
    pub serial: u32,
    pub sequence: u32,
    /// The end-of-stream flag.
    pub last: bool,
}

/// One place where the scanned stream lost pages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OggGap {
    /// Granule position of the last good page of the stream before the damage: symphonia
    /// continues the stream from here, so this is where the lost audio belongs.
    pub after: u64,
    /// Granule position at which the lost audio ends: the largest one among the damaged pages
    /// whose header still fits between the good pages around them (same serial, sequence number
    /// and granule position in between). `None` when no damaged header could be trusted.
    pub until: Option<u64>,
}

/// What [`scan`] found.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct OggDamage {
    /// Damaged places: pages failing their checksum, plus runs of bytes between pages that hold
    /// no page (each counted once).
    pub pages: u64,
    /// Places where the scanned stream lost pages, in file order.
    pub gaps: Vec<OggGap>,
    /// Granule position of the stream's good end-of-stream page: its length, which symphonia
    /// may not find when pages before the end are damaged.
    pub end: Option<u64>,
}

/// Outcome of reading one page at a position.
enum Attempt {
    /// A page whose checksum verifies, and its length in bytes.
    Good(PageHeader, u64),
    /// A capture pattern whose page fails its checksum (or has a bad version byte).
    Bad(PageHeader),
    /// A capture pattern whose page runs past the end of the file.
    Cut,
    /// No capture pattern here.
    NotPage,
    /// Fewer than 27 bytes left.
    End,
}

/// The CRC-32 of an Ogg page as stored in its header: over the whole page with the four CRC
/// bytes (22..26) taken as zero. `header` is the 27-byte fixed header, `rest` the segment table
/// and body.
pub(crate) fn page_crc(header: &[u8; HEADER_LEN], rest: &[u8]) -> u32 {
    let mut crc = Crc32::new(0);
    crc.process_buf_bytes(&header[..22]);
    crc.process_buf_bytes(&[0; 4]);
    crc.process_byte(header[26]);
    crc.process_buf_bytes(rest);
    crc.crc()
}

/// Read `buf.len()` bytes, or report how many there were before the end of the file.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => return Ok(false),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Read the page at the reader's position (which it leaves anywhere).
fn try_page(r: &mut impl Read, rest: &mut Vec<u8>) -> io::Result<Attempt> {
    let mut h = [0u8; HEADER_LEN];
    if !read_full(r, &mut h)? {
        return Ok(Attempt::End);
    }
    if &h[..4] != CAPTURE {
        return Ok(Attempt::NotPage);
    }
    let le32 = |at: usize| u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
    let header = PageHeader {
        granule: u64::from_le_bytes(h[6..14].try_into().expect("8 bytes")),
        serial: le32(14),
        sequence: le32(18),
        last: h[5] & 4 != 0,
    };
    let segments = usize::from(h[26]);
    rest.resize(segments, 0);
    if !read_full(r, rest)? {
        return Ok(Attempt::Cut);
    }
    let body: usize = rest.iter().map(|&s| usize::from(s)).sum();
    rest.resize(segments + body, 0);
    if !read_full(r, &mut rest[segments..])? {
        return Ok(Attempt::Cut);
    }
    if h[4] != 0 || page_crc(&h, rest) != le32(22) {
        return Ok(Attempt::Bad(header));
    }
    Ok(Attempt::Good(header, (HEADER_LEN + segments + body) as u64))
}

/// Offset of the next capture pattern at or after `from`, if any.
fn find_capture<R: Read + Seek>(r: &mut BufReader<R>, from: u64) -> io::Result<Option<u64>> {
    r.seek(SeekFrom::Start(from))?;
    let mut at = from;
    let mut window = 0u32;
    let mut seen = 0;
    let mut byte = [0u8; 1];
    while read_full(r, &mut byte)? {
        window = (window << 8) | u32::from(byte[0]);
        seen += 1;
        at += 1;
        if seen >= 4 && window == u32::from_be_bytes(*CAPTURE) {
            return Ok(Some(at - 4));
        }
    }
    Ok(None)
}

/// The scanned stream's state between its good pages.
#[derive(Default)]
struct Stream {
    /// Sequence number of its last good page.
    last_seq: Option<u32>,
    /// Granule position of its last good page on which a packet ended.
    last_granule: u64,
    /// Damage was met since its last good page.
    pending: bool,
    /// `(sequence, granule)` of damaged pages of this serial since its last good page.
    candidates: Vec<(u32, u64)>,
}

impl Stream {
    /// A good page of the stream (`next`), or the end of the file (`None`), after damage: record
    /// a gap if pages of the stream were lost.
    fn settle(&mut self, next: Option<PageHeader>, gaps: &mut Vec<OggGap>) {
        if !std::mem::take(&mut self.pending) {
            return;
        }
        let candidates = std::mem::take(&mut self.candidates);
        let Some(last_seq) = self.last_seq else {
            return; // damage before the stream's first page: its headers, not its audio
        };
        let (lost, next_seq, next_granule) = match next {
            Some(h) => (h.sequence > last_seq.wrapping_add(1), h.sequence, h.granule),
            // Damage at the end of the file: lost pages only if a damaged header says so.
            None => (
                candidates.iter().any(|&(s, _)| s > last_seq),
                u32::MAX,
                NO_GRANULE,
            ),
        };
        if !lost {
            return;
        }
        let after = self.last_granule;
        let until = candidates
            .iter()
            .filter(|&&(s, g)| {
                s > last_seq && s < next_seq && g != NO_GRANULE && g > after && g <= next_granule
            })
            .map(|&(_, g)| g)
            .max();
        gaps.push(OggGap { after, until });
    }

    fn good(&mut self, h: PageHeader, gaps: &mut Vec<OggGap>) {
        self.settle(Some(h), gaps);
        self.last_seq = Some(h.sequence);
        if h.granule != NO_GRANULE {
            self.last_granule = h.granule;
        }
    }
}

/// Walk the pages of the Ogg file `file` and report damaged pages, and where the logical stream
/// `serial` (symphonia's track id) lost pages. Bytes that end the file without holding a page
/// (an appended tag, or a page cut off by truncation, which `load` reports as such) are not
/// damage.
pub(crate) fn scan<R: Read + Seek>(file: R, serial: u32) -> io::Result<OggDamage> {
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut rest = Vec::with_capacity(255 + MAX_BODY);
    let mut out = OggDamage::default();
    let mut stream = Stream::default();
    let mut pos = 0u64;
    loop {
        let first = try_page(&mut r, &mut rest)?;
        match first {
            Attempt::Good(h, len) => {
                if h.serial == serial {
                    stream.good(h, &mut out.gaps);
                    if h.last && h.granule != NO_GRANULE {
                        out.end = Some(h.granule);
                    }
                }
                pos += len;
                continue;
            }
            Attempt::End => break,
            Attempt::Bad(_) | Attempt::Cut | Attempt::NotPage => {}
        }
        // Damage at `pos`: look for the next page that verifies, as symphonia resynchronises.
        let mut bad = 0u64;
        let note = |a: &Attempt, stream: &mut Stream, bad: &mut u64| {
            if let Attempt::Bad(h) = a {
                *bad += 1;
                if h.serial == serial && stream.candidates.len() < MAX_CANDIDATES {
                    stream.candidates.push((h.sequence, h.granule));
                }
            }
        };
        note(&first, &mut stream, &mut bad);
        let mut from = pos + 1;
        let resync = loop {
            let Some(at) = find_capture(&mut r, from)? else {
                break None;
            };
            r.seek(SeekFrom::Start(at))?;
            let a = try_page(&mut r, &mut rest)?;
            if let Attempt::Good(h, len) = a {
                break Some((at, h, len));
            }
            note(&a, &mut stream, &mut bad);
            from = at + 1;
        };
        match resync {
            Some((at, h, len)) => {
                // Garbage between pages, or pages failing their checksum: one or more places.
                out.pages += bad.max(1);
                stream.pending = true;
                if h.serial == serial {
                    stream.good(h, &mut out.gaps);
                    if h.last && h.granule != NO_GRANULE {
                        out.end = Some(h.granule);
                    }
                }
                pos = at + len;
                r.seek(SeekFrom::Start(pos))?;
            }
            None => {
                // The file ends in damage. Pages that fail their checksum count; a cut page or
                // trailing bytes alone do not.
                out.pages += bad;
                stream.pending |= bad > 0;
                break;
            }
        }
    }
    stream.settle(None, &mut out.gaps);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        std::fs::read(p).expect("fixture")
    }

    /// `(start, end)` of each page, trusting the segment tables.
    fn pages(bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos + HEADER_LEN <= bytes.len() {
            let n = usize::from(bytes[pos + 26]);
            let body: usize = bytes[pos + 27..pos + 27 + n]
                .iter()
                .map(|&s| usize::from(s))
                .sum();
            out.push((pos, pos + 27 + n + body));
            pos += 27 + n + body;
        }
        out
    }

    fn crc_ok(page: &[u8]) -> bool {
        let h: [u8; HEADER_LEN] = page[..HEADER_LEN].try_into().expect("header");
        let stored = u32::from_le_bytes(page[22..26].try_into().expect("4 bytes"));
        page_crc(&h, &page[HEADER_LEN..]) == stored
    }

    fn scan_bytes(bytes: &[u8]) -> OggDamage {
        let serial = u32::from_le_bytes(bytes[14..18].try_into().expect("serial"));
        scan(std::io::Cursor::new(bytes), serial).expect("scan")
    }

    #[test]
    fn crc_of_a_known_page_verifies_and_a_flipped_byte_does_not() {
        let bytes = fixture("sweep_mono.ogg");
        let (start, end) = pages(&bytes)[0];
        let mut page = bytes[start..end].to_vec();
        assert_eq!(&page[..4], b"OggS");
        assert!(
            crc_ok(&page),
            "the first page of sweep_mono.ogg must verify"
        );
        // The stored value, as oggz-validate / libogg computed it when the file was written.
        let stored = u32::from_le_bytes(page[22..26].try_into().expect("4 bytes"));
        let h: [u8; HEADER_LEN] = page[..HEADER_LEN].try_into().expect("header");
        assert_eq!(page_crc(&h, &page[HEADER_LEN..]), stored);
        let last = page.len() - 1;
        page[last] ^= 0x01;
        assert!(!crc_ok(&page), "one flipped payload bit must fail");
        // The CRC field itself does not take part in the sum.
        page[last] ^= 0x01;
        page[22] ^= 0xFF;
        let h: [u8; HEADER_LEN] = page[..HEADER_LEN].try_into().expect("header");
        assert_eq!(page_crc(&h, &page[HEADER_LEN..]), stored);
    }

    #[test]
    fn clean_fixtures_have_no_damage() {
        for name in ["sweep_mono.ogg", "sine_mono.ogg", "sine_stereo.ogg"] {
            let bytes = fixture(name);
            assert!(
                pages(&bytes).iter().all(|&(s, e)| crc_ok(&bytes[s..e])),
                "{name}"
            );
            let d = scan_bytes(&bytes);
            assert_eq!((d.pages, d.gaps.len()), (0, 0), "{name}");
            assert!(d.end.is_some_and(|g| g > 20_000), "{name}: {:?}", d.end);
            // Trailing bytes (an appended tag) and a cut last page are not damage.
            let mut tagged = bytes.clone();
            tagged.extend_from_slice(&[b'T'; 128]);
            assert_eq!(scan_bytes(&tagged), d, "{name}");
            let cut = scan_bytes(&bytes[..bytes.len() - 10]);
            assert_eq!((cut.pages, cut.gaps.len(), cut.end), (0, 0, None), "{name}");
        }
    }

    #[test]
    fn damaged_pages_and_garbage_are_counted_with_their_granules() {
        // sweep_mono.ogg: pages 0-1 headers, audio pages 2, 3, 4 end at granules 21888, 44416,
        // 55125.
        let bytes = fixture("sweep_mono.ogg");
        let pg = pages(&bytes);
        assert_eq!(pg.len(), 5);

        // A flipped payload byte in page 3: one page lost, from 21888 to 44416.
        let mut one = bytes.clone();
        one[pg[3].0 + 60] ^= 0x5A;
        let d = scan_bytes(&one);
        assert_eq!((d.pages, d.end), (1, Some(55125)));
        assert_eq!(
            d.gaps,
            vec![OggGap {
                after: 21888,
                until: Some(44416)
            }]
        );

        // Its granule position garbled too: the loss is known, its length not.
        let mut garbled = one.clone();
        garbled[pg[3].0 + 13] = 0x7F;
        assert_eq!(
            scan_bytes(&garbled).gaps,
            vec![OggGap {
                after: 21888,
                until: None
            }]
        );

        // Garbage between pages 2 and 3: one damaged place, no page lost.
        let mut junk = bytes[..pg[3].0].to_vec();
        junk.extend_from_slice(b"garbage OggS not a page at all");
        junk.extend_from_slice(&bytes[pg[3].0..]);
        let d = scan_bytes(&junk);
        assert_eq!(d.pages, 1);
        assert!(d.gaps.is_empty());

        // Pages 2 and 3 damaged: two pages, one gap from the end of the headers.
        // (Bytes 40 of pages 2 and 3 are in their segment tables: the damaged pages seem longer.)
        let mut two = bytes.clone();
        two[pg[2].0 + 40] ^= 1;
        two[pg[3].0 + 40] ^= 1;
        let d = scan_bytes(&two);
        assert_eq!(d.pages, 2);
        assert_eq!(
            d.gaps,
            vec![OggGap {
                after: 0,
                until: Some(44416)
            }]
        );

        // The last page damaged in its body: lost at the end of the file. (Damage to its segment
        // table makes it run past the end of the file, which looks like truncation: not counted.)
        let mut last = bytes.clone();
        last[pg[4].1 - 40] ^= 1;
        let d = scan_bytes(&last);
        assert_eq!(d.pages, 1);
        assert_eq!(
            d.gaps,
            vec![OggGap {
                after: 44416,
                until: Some(55125)
            }]
        );
    }
}
