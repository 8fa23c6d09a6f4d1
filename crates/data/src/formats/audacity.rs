//! Audacity label tracks: `name.txt` beside `name.wav`, one labelled region per line.
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval. A label track line is
//! `start<TAB>end<TAB>label` (seconds, no header). Lines starting with `\` (Audacity's spectral
//! selection rows) and blank lines are skipped. Each region becomes a [`Clip`] with `start`/`end`
//! in seconds of the audio file. Point labels (start == end) are reported as bad segments.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::table::bad_segment;
use super::{is_audio_file, visible};
use crate::dataset::{Clip, DatasetFormat, Parsed};
use crate::error::{DataError, Problem, ProblemKind};

/// The label track beside `audio` (`name.txt`), if it exists.
fn track_for(audio: &Path) -> Option<PathBuf> {
    let txt = audio.with_extension("txt");
    txt.is_file().then_some(txt)
}

/// The audio file beside a label track (`name.<audio ext>`), if exactly findable.
fn audio_for(track: &Path) -> Option<PathBuf> {
    let dir = super::parent_dir(track);
    let stem = track.file_stem()?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_stem() == Some(stem) && is_audio_file(p))
        .collect();
    found.sort();
    found.into_iter().next()
}

fn audio_files(root: &Path) -> impl Iterator<Item = PathBuf> {
    WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(visible)
        .flatten()
        .filter(|e| e.file_type().is_file() && is_audio_file(e.path()))
        .map(|e| e.into_path())
}

/// Whether some audio file under `root` has a label track beside it. The `.txt` must look like
/// one (its first row is `number<TAB>number<TAB>...`), so per-file transcripts in a
/// folder-per-class dataset do not make it an Audacity dataset.
pub(super) fn has_label_tracks(root: &Path) -> bool {
    audio_files(root).any(|a| track_for(&a).is_some_and(|t| looks_like_label_track(&t)))
}

/// Checks the first data row (skipping blank and `\` rows) of at most the first 64 KiB.
fn looks_like_label_track(track: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    let Ok(file) = std::fs::File::open(track) else {
        return false;
    };
    if file.take(64 * 1024).read_to_end(&mut head).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    let Some(first) = text
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}'))
        .find(|l| !l.trim().is_empty() && !l.starts_with('\\'))
    else {
        // An empty track is still a track (a recording with nothing labelled yet).
        return true;
    };
    let mut fields = first.split('\t');
    let mut number = || {
        fields
            .next()
            .is_some_and(|f| f.trim().parse::<f64>().is_ok())
    };
    number() && number()
}

/// Parses one label track for `audio`, appending clips and problems.
pub fn parse_label_track(
    track: &Path,
    audio: &Path,
    clips: &mut Vec<Clip>,
    problems: &mut Vec<Problem>,
) -> Result<(), DataError> {
    let text = std::fs::read(track).map_err(|source| DataError::Io {
        path: track.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&text);
    let problem = |line, kind| Problem {
        source: Some(track.to_path_buf()),
        line: Some(line),
        path: Some(audio.to_path_buf()),
        kind,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim_start_matches('\u{feff}');
        if raw.trim().is_empty() || raw.starts_with('\\') {
            continue;
        }
        let fields: Vec<&str> = raw.splitn(3, '\t').collect();
        let parsed = match fields.as_slice() {
            [s, e, label] => match (s.trim().parse::<f64>(), e.trim().parse::<f64>()) {
                (Ok(s), Ok(e)) if s.is_finite() && e.is_finite() => {
                    let label = label.trim();
                    if label.is_empty() {
                        Err(format!("empty label for region {s}..{e} s"))
                    } else {
                        Ok((s, e, label))
                    }
                }
                _ => Err(format!(
                    "start/end {:?}/{:?} are not numbers",
                    s.trim(),
                    e.trim()
                )),
            },
            _ => Err(format!(
                "{} tab-separated fields, expected start, end, label",
                fields.len()
            )),
        };
        match parsed {
            Ok((start, end, label)) => {
                let mut clip = Clip::new(audio, label);
                clip.start = Some(start);
                clip.end = Some(end);
                clip.source_line = Some(line);
                match bad_segment(&clip) {
                    Some(kind) => problems.push(problem(line, kind)),
                    None => clips.push(clip),
                }
            }
            Err(reason) => problems.push(problem(line, ProblemKind::UnreadableRow { reason })),
        }
    }
    Ok(())
}

/// Parses Audacity-labelled audio: `path` is a folder (searched recursively; audio files without a
/// label track are reported as unlabelled), one audio file with its `name.txt`, or one `name.txt`
/// with its audio file. Problems name the label track and line.
pub fn parse_audacity(path: &Path) -> Result<Parsed, DataError> {
    let mut clips = Vec::new();
    let mut problems = Vec::new();
    let root;
    let source;
    if path.is_dir() {
        root = path.to_path_buf();
        source = None;
        for audio in audio_files(path) {
            match track_for(&audio) {
                Some(track) => parse_label_track(&track, &audio, &mut clips, &mut problems)?,
                None => problems.push(Problem {
                    source: None,
                    line: None,
                    path: Some(audio),
                    kind: ProblemKind::Unlabelled,
                }),
            }
        }
    } else {
        root = super::parent_dir(path);
        let (track, audio) = if is_audio_file(path) {
            (path.with_extension("txt"), Some(path.to_path_buf()))
        } else {
            (path.to_path_buf(), audio_for(path))
        };
        let Some(audio) = audio else {
            return Err(DataError::UnknownFormat {
                path: path.to_path_buf(),
                reason: "no audio file with the same name beside this label track".into(),
            });
        };
        parse_label_track(&track, &audio, &mut clips, &mut problems)?;
        source = Some(track);
    }
    let declared: BTreeSet<String> = clips.iter().map(|c| c.label.clone()).collect();
    Ok(Parsed {
        root,
        format: DatasetFormat::Audacity,
        source,
        clips,
        declared_classes: declared.into_iter().collect(),
        problems,
    })
}
