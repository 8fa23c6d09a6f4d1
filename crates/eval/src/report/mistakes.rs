//! The report's "mistakes" section: every wrong clip, most confident first, the first
//! [`MAX_MISTAKE_PICTURES`] with their spectrogram and an audio player, the rest in a table.
//! Flow: train/eval -> **reports**, like Edge Impulse's model testing page.
//!
//! Audio is never copied: each player links to the clip's file by a path relative to the
//! report folder (a media fragment `#t=start,end` plays a segment), so the report works
//! while it stays beside the dataset, and a moved report still shows everything else.

use std::fmt::Write;
use std::path::{Component, Path};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::html::{escape, pct};
use super::predictions::{ClipRow, mistakes_by_confidence};

/// Most wrong clips drawn with a spectrogram and a player; the others are listed in a table,
/// so a poor model on a large dataset does not write thousands of pictures.
pub const MAX_MISTAKE_PICTURES: usize = 50;

/// Folder of the mistake spectrograms, inside the report folder.
pub const MISTAKES_DIR: &str = "mistakes";

/// File name of the spectrogram of the `rank`-th (0-based) most confident mistake.
pub fn mistake_picture_name(rank: usize) -> String {
    format!("{:03}.png", rank + 1)
}

/// Characters left as they are in a path segment of a URL (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn absolute(p: &Path) -> std::path::PathBuf {
    p.canonicalize()
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

/// A URL for `file` relative to the folder `dir` (`../data/dog%20bark.wav`), each segment
/// percent-encoded; a `file://` URL when the two share no root (another Windows drive).
/// std has no relative-path function, and this is the only place hark needs one.
pub fn relative_url(dir: &Path, file: &Path) -> String {
    let (d, f) = (absolute(dir), absolute(file));
    let dc: Vec<Component<'_>> = d.components().collect();
    let fc: Vec<Component<'_>> = f.components().collect();
    let common = dc.iter().zip(&fc).take_while(|(a, b)| a == b).count();
    let seg = |c: &Component<'_>| {
        utf8_percent_encode(&c.as_os_str().to_string_lossy(), SEGMENT).to_string()
    };
    if common == 0 {
        let parts: Vec<String> = fc
            .iter()
            .filter(|c| matches!(c, Component::Normal(_)))
            .map(seg)
            .collect();
        return format!("file:///{}", parts.join("/"));
    }
    let mut parts = vec!["..".to_string(); dc.len() - common];
    parts.extend(fc[common..].iter().map(seg));
    parts.join("/")
}

/// The audio URL of a row: relative to `dir`, with `#t=start,end` for a segment.
fn audio_url(dir: &Path, r: &ClipRow) -> String {
    let mut url = relative_url(dir, &r.file);
    if r.start.is_some() || r.end.is_some() {
        let _ = write!(url, "#t={}", r.start.unwrap_or(0.0));
        if let Some(e) = r.end {
            let _ = write!(url, ",{e}");
        }
    }
    url
}

fn where_(r: &ClipRow) -> String {
    let mut s = String::new();
    if r.start.is_some() || r.end.is_some() {
        let end = r
            .end
            .map(|e| format!("{e:.2}"))
            .unwrap_or_else(|| "end".into());
        let _ = write!(s, " ({:.2}\u{2013}{end} s)", r.start.unwrap_or(0.0));
    }
    if let Some(f) = &r.fold {
        let _ = write!(s, " \u{b7} fold {f}");
    }
    s
}

fn top3(r: &ClipRow) -> String {
    let v: Vec<String> = r
        .top
        .iter()
        .map(|(n, p)| format!("{} {}", escape(n), pct(f64::from(*p))))
        .collect();
    v.join(", ")
}

/// The mistakes section of `rows` into `h`. `dir` is the report folder (audio links are made
/// relative to it; `None`: no players or links); `has_picture(row)` says whether the
/// spectrogram of that row was written as [`MISTAKES_DIR`]/[`mistake_picture_name`].
pub(crate) fn mistakes_section(
    h: &mut String,
    rows: &[ClipRow],
    dir: Option<&Path>,
    has_picture: &dyn Fn(usize) -> bool,
) {
    let order = mistakes_by_confidence(rows);
    h.push_str("<h2 id=\"mistakes\">Mistakes</h2>");
    if order.is_empty() {
        h.push_str("<p>No clip was wrong.</p>");
        return;
    }
    let _ = write!(
        h,
        "<p class=\"note\">The {} wrong clip{} (misclassified, \"unknown\" or silent), the most confident first: \
a confident mistake is often a wrong label or a sound the class never showed the model. \
Every clip is in predictions.csv. Players link to the audio files, relative to this report.</p>",
        order.len(),
        if order.len() == 1 { "" } else { "s" }
    );
    for (rank, &i) in order.iter().enumerate().take(MAX_MISTAKE_PICTURES) {
        let r = &rows[i];
        h.push_str("<div class=\"mistake\">");
        if has_picture(i) {
            let _ = write!(
                h,
                "<img loading=\"lazy\" alt=\"spectrogram of {}\" src=\"{MISTAKES_DIR}/{}\">",
                escape(&r.file.display().to_string()),
                mistake_picture_name(rank)
            );
        }
        let _ = write!(
            h,
            "<div><b>{}.</b> <code>{}</code>{}<br>true <b>{}</b> &middot; predicted <b>{}</b> ({})<br>top 3: {}",
            rank + 1,
            escape(&r.file.display().to_string()),
            escape(&where_(r)),
            escape(&r.true_label),
            escape(&r.predicted),
            pct(f64::from(r.probability)),
            top3(r)
        );
        if let Some(dir) = dir {
            let _ = write!(
                h,
                "<br><audio controls preload=\"none\" src=\"{}\"></audio>",
                escape(&audio_url(dir, r))
            );
        }
        h.push_str("</div></div>");
    }
    if order.len() > MAX_MISTAKE_PICTURES {
        let _ = write!(
            h,
            "<p>The other {} wrong clips, most confident first:</p><table><tr><th>#</th><th>file</th><th>true</th><th>predicted</th><th>probability</th><th>top 3</th></tr>",
            order.len() - MAX_MISTAKE_PICTURES
        );
        for (rank, &i) in order.iter().enumerate().skip(MAX_MISTAKE_PICTURES) {
            let r = &rows[i];
            let name = escape(&format!("{}{}", r.file.display(), where_(r)));
            let file = match dir {
                Some(d) => format!("<a href=\"{}\">{name}</a>", escape(&audio_url(d, r))),
                None => name,
            };
            let _ = write!(
                h,
                "<tr class=\"mistake-row\"><td>{}</td><td>{file}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                rank + 1,
                escape(&r.true_label),
                escape(&r.predicted),
                pct(f64::from(r.probability)),
                top3(r)
            );
        }
        h.push_str("</table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_links_are_relative_to_the_report_and_encoded() {
        let root = tempfile::tempdir().expect("tempdir");
        let report = root.path().join("out/report");
        let audio = root.path().join("data/dog bark#1.wav");
        assert_eq!(
            relative_url(&report, &audio),
            "../../data/dog%20bark%231.wav"
        );
        assert_eq!(
            relative_url(root.path(), &root.path().join("a/b.wav")),
            "a/b.wav"
        );
    }
}
