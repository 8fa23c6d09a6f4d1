//! CSV metadata: generic manifests, ESC-50 `esc50.csv` and `UrbanSound8K.csv`.
//!
//! Flow: **datasets** -> audio -> features -> model -> train/eval. Rows are read with the `csv`
//! crate (quoting, BOM); a row that cannot be read is reported with its line number and skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::{parent_dir, resolve};
use crate::dataset::{Clip, DatasetFormat, Parsed, Split};
use crate::error::{DataError, Problem, ProblemKind};

/// A CSV file read into lower-cased header names and rows with their 1-based line numbers.
struct Table {
    file: PathBuf,
    header: Vec<String>,
    rows: Vec<(usize, StringRecord)>,
    problems: Vec<Problem>,
}

impl Table {
    fn read(file: &Path) -> Result<Table, DataError> {
        let csv_err = |source| DataError::Csv {
            file: file.to_path_buf(),
            source,
        };
        let handle = std::fs::File::open(file).map_err(|source| DataError::Io {
            path: file.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(std::io::BufReader::new(handle));
        let header: Vec<String> = reader
            .headers()
            .map_err(csv_err)?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for result in reader.records() {
            match result {
                Ok(rec) => {
                    let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
                    if rec.iter().all(str::is_empty) {
                        continue;
                    }
                    if rec.len() != header.len() {
                        problems.push(row_problem(
                            file,
                            line,
                            format!("{} columns, header has {}", rec.len(), header.len()),
                        ));
                        continue;
                    }
                    rows.push((line, rec));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line() as usize);
                    problems.push(Problem {
                        source: Some(file.to_path_buf()),
                        line,
                        path: None,
                        kind: ProblemKind::UnreadableRow {
                            reason: e.to_string(),
                        },
                    });
                }
            }
        }
        Ok(Table {
            file: file.to_path_buf(),
            header,
            rows,
            problems,
        })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn require(&self, name: &str) -> Result<usize, DataError> {
        self.column(name).ok_or_else(|| DataError::MissingColumn {
            file: self.file.clone(),
            column: name.to_string(),
            found: self.header.join(","),
        })
    }
}

fn row_problem(file: &Path, line: usize, reason: String) -> Problem {
    Problem {
        source: Some(file.to_path_buf()),
        line: Some(line),
        path: None,
        kind: ProblemKind::UnreadableRow { reason },
    }
}

/// Reads only the header to tell ESC-50, UrbanSound8K and generic manifests apart.
pub(super) fn detect_csv(file: &Path) -> Result<DatasetFormat, DataError> {
    let handle = std::fs::File::open(file).map_err(|source| DataError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new().from_reader(std::io::BufReader::new(handle));
    let table_header: Vec<String> = reader
        .headers()
        .map_err(|source| DataError::Csv {
            file: file.to_path_buf(),
            source,
        })?
        .iter()
        .map(|s| s.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
        .collect();
    let has = |c: &str| table_header.iter().any(|h| h == c);
    Ok(if has("slice_file_name") && has("class") {
        DatasetFormat::UrbanSound8k
    } else if has("filename") && has("category") && has("target") {
        DatasetFormat::Esc50
    } else {
        DatasetFormat::Manifest
    })
}

fn parse_fold(s: &str) -> Result<Option<u32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("fold {s:?} is not a whole number"))
}

fn parse_seconds(col: &str, s: &str) -> Result<Option<f64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("{col} {s:?} is not a number of seconds")),
    }
}

/// Collects clips, pushing a problem for rows where `row` fails.
fn collect(
    table: Table,
    root: PathBuf,
    format: DatasetFormat,
    row: impl Fn(&StringRecord) -> Result<Clip, String>,
) -> Parsed {
    let mut problems = table.problems;
    let mut clips = Vec::with_capacity(table.rows.len());
    let mut declared = BTreeSet::new();
    for (line, rec) in &table.rows {
        match row(rec) {
            Ok(mut clip) => {
                clip.source_line = Some(*line);
                clip.columns = table
                    .header
                    .iter()
                    .zip(rec.iter())
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(h, v)| (h.clone(), v.trim().to_string()))
                    .collect();
                declared.insert(clip.label.clone());
                if let Some(bad) = bad_segment(&clip) {
                    problems.push(Problem {
                        source: Some(table.file.clone()),
                        line: Some(*line),
                        path: Some(clip.path.clone()),
                        kind: bad,
                    });
                    continue;
                }
                clips.push(clip);
            }
            Err(reason) => problems.push(row_problem(&table.file, *line, reason)),
        }
    }
    Parsed {
        root,
        format,
        source: Some(table.file),
        clips,
        declared_classes: declared.into_iter().collect(),
        problems,
    }
}

/// A [`ProblemKind::BadSegment`] when `start < 0` or `start >= end`.
pub(crate) fn bad_segment(clip: &Clip) -> Option<ProblemKind> {
    let start = clip.start.unwrap_or(0.0);
    let bad = start < 0.0 || clip.end.is_some_and(|end| start >= end);
    bad.then(|| ProblemKind::BadSegment {
        start,
        end: clip.end.unwrap_or(f64::NAN),
    })
}

/// Parses a manifest: header `path,label` plus optional `fold`, `split`
/// (`train`/`test`/`val`/`validation`), `start`, `end` (seconds of the source file); other columns
/// are ignored. Paths are relative to the CSV's folder. Empty optional cells mean "none".
pub fn parse_manifest(file: &Path) -> Result<Parsed, DataError> {
    let table = Table::read(file)?;
    let path_col = table.require("path")?;
    let label_col = table.require("label")?;
    let fold_col = table.column("fold");
    let split_col = table.column("split");
    let start_col = table.column("start");
    let end_col = table.column("end");
    let base = parent_dir(file);
    let root = base.clone();
    Ok(collect(table, root, DatasetFormat::Manifest, |rec| {
        let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");
        let path = cell(Some(path_col));
        let label = cell(Some(label_col));
        if path.is_empty() {
            return Err("empty path".into());
        }
        if label.is_empty() {
            return Err(format!("empty label for {path}"));
        }
        let split = match cell(split_col) {
            "" => None,
            s => Some(
                Split::parse(s)
                    .ok_or_else(|| format!("split {s:?} is not train, test or val/validation"))?,
            ),
        };
        let mut clip = Clip::new(resolve(&base, path), label);
        clip.fold = parse_fold(cell(fold_col))?;
        clip.split = split;
        clip.start = parse_seconds("start", cell(start_col))?;
        clip.end = parse_seconds("end", cell(end_col))?;
        Ok(clip)
    }))
}

/// The audio files a CSV lists for prediction: its `path` column (else `file` or `filename`),
/// resolved against the CSV's folder, in row order, each once; labels are not needed. Rows
/// that cannot be read are returned as problems.
pub fn parse_path_list(file: &Path) -> Result<(Vec<PathBuf>, Vec<Problem>), DataError> {
    let table = Table::read(file)?;
    let col = match ["path", "file", "filename"]
        .iter()
        .find_map(|c| table.column(c))
    {
        Some(c) => c,
        None => table.require("path")?,
    };
    let base = parent_dir(file);
    let mut seen = BTreeSet::new();
    let mut paths = Vec::new();
    let mut problems = table.problems;
    for (line, rec) in &table.rows {
        match rec.get(col).filter(|p| !p.is_empty()) {
            Some(p) => {
                let path = resolve(&base, p);
                if seen.insert(path.clone()) {
                    paths.push(path);
                }
            }
            None => problems.push(row_problem(file, *line, "empty path".into())),
        }
    }
    Ok((paths, problems))
}

/// The dataset root for `<root>/<dir>/<name>.csv` metadata (the CSV's grandparent folder).
fn grandparent(file: &Path) -> PathBuf {
    parent_dir(&parent_dir(file))
}

/// Parses ESC-50's `meta/esc50.csv` (`filename,fold,target,category,esc10,src_file,take`); audio is
/// `<root>/audio/<filename>` where `<root>` is the folder above `meta/`. Labels are `category`;
/// folds are the official 1..5.
pub fn parse_esc50(file: &Path) -> Result<Parsed, DataError> {
    let table = Table::read(file)?;
    let name_col = table.require("filename")?;
    let fold_col = table.require("fold")?;
    let label_col = table.require("category")?;
    let root = grandparent(file);
    let audio = root.join("audio");
    Ok(collect(table, root, DatasetFormat::Esc50, |rec| {
        let name = rec.get(name_col).unwrap_or("");
        let label = rec.get(label_col).unwrap_or("");
        if name.is_empty() || label.is_empty() {
            return Err("empty filename or category".into());
        }
        let mut clip = Clip::new(audio.join(name), label);
        clip.fold = parse_fold(rec.get(fold_col).unwrap_or(""))?;
        Ok(clip)
    }))
}

/// Parses `metadata/UrbanSound8K.csv`
/// (`slice_file_name,fsID,start,end,salience,fold,classID,class`); audio is
/// `<root>/audio/fold<N>/<slice_file_name>`. Labels are `class`; folds are the official 1..10.
///
/// The CSV's `start`/`end` give the slice's position in the original Freesound recording, not in
/// the slice file, so clips are whole slice files (`start`/`end` = `None`).
pub fn parse_urbansound8k(file: &Path) -> Result<Parsed, DataError> {
    let table = Table::read(file)?;
    let name_col = table.require("slice_file_name")?;
    let fold_col = table.require("fold")?;
    let label_col = table.require("class")?;
    let root = grandparent(file);
    let audio = root.join("audio");
    Ok(collect(table, root, DatasetFormat::UrbanSound8k, |rec| {
        let name = rec.get(name_col).unwrap_or("");
        let label = rec.get(label_col).unwrap_or("");
        if name.is_empty() || label.is_empty() {
            return Err("empty slice_file_name or class".into());
        }
        let fold = parse_fold(rec.get(fold_col).unwrap_or(""))?
            .ok_or_else(|| format!("no fold for {name}"))?;
        let mut clip = Clip::new(audio.join(format!("fold{fold}")).join(name), label);
        clip.fold = Some(fold);
        Ok(clip)
    }))
}
