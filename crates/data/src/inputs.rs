//! Audio to predict on (datasets stage, for `hark predict`): command-line paths -> the audio
//! files they name, each with the folder its output mirrors, and deterministic shards of that
//! list for running one archive on many machines.
//!
//! Flow: **inputs** -> audio -> features -> model -> predict.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::error::DataError;
use crate::formats::{is_audio_file, parse_path_list, visible};

/// One audio input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioInput {
    /// The audio file (`-` for standard input).
    pub path: PathBuf,
    /// The folder `path` is named relative to in mirrored outputs: the folder given, the
    /// CSV's folder, or a single file's own folder.
    pub root: PathBuf,
}

impl AudioInput {
    /// `path` relative to `root` (the file name alone when it is not below it).
    pub fn relative(&self) -> PathBuf {
        match self.path.strip_prefix(&self.root) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => self
                .path
                .file_name()
                .map_or_else(|| self.path.clone(), PathBuf::from),
        }
    }
}

/// A path given for prediction that names no audio (it does not exist, a CSV that cannot be
/// read, a row of it that names no file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The path given (or the CSV).
    pub path: PathBuf,
    /// What is wrong, with its causes.
    pub reason: String,
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// The audio files named by `args`, in argument order:
/// - `-`: standard input;
/// - a folder: its audio files ([`crate::formats::AUDIO_EXTENSIONS`]) at any depth, hidden
///   files and folders skipped, sorted by path;
/// - a `.csv` file: the files its `path` (or `file`, `filename`) column lists, relative to
///   the CSV's folder ([`parse_path_list`]);
/// - any other file: itself (whatever its extension: the decoder decides).
///
/// A path that does not exist, or a CSV that cannot be read, is returned as a problem and
/// the rest is still listed.
pub fn list_audio(args: &[PathBuf]) -> (Vec<AudioInput>, Vec<InputProblem>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(AudioInput {
                path: arg.clone(),
                root: PathBuf::new(),
            });
        } else if arg.is_dir() {
            let mut found: Vec<PathBuf> = WalkDir::new(arg)
                .follow_links(true)
                .into_iter()
                .filter_entry(visible)
                .filter_map(|e| match e {
                    Ok(e) => Some(e),
                    Err(err) => {
                        problems.push(InputProblem {
                            path: err.path().unwrap_or(arg).to_path_buf(),
                            reason: err.to_string(),
                        });
                        None
                    }
                })
                .filter(|e| e.file_type().is_file() && is_audio_file(e.path()))
                .map(|e| e.into_path())
                .collect();
            found.sort();
            inputs.extend(found.into_iter().map(|path| AudioInput {
                path,
                root: arg.clone(),
            }));
        } else if arg.is_file() && is_csv(arg) {
            match parse_path_list(arg) {
                Ok((paths, p)) => {
                    let root = crate::formats::parent_dir(arg);
                    inputs.extend(paths.into_iter().map(|path| AudioInput {
                        path,
                        root: root.clone(),
                    }));
                    problems.extend(p.into_iter().map(|p| InputProblem {
                        path: arg.clone(),
                        reason: p.to_string(),
                    }));
                }
                Err(e) => problems.push(InputProblem {
                    path: arg.clone(),
                    reason: error_chain(&e),
                }),
            }
        } else if arg.is_file() {
            inputs.push(AudioInput {
                path: arg.clone(),
                root: crate::formats::parent_dir(arg),
            });
        } else {
            problems.push(InputProblem {
                path: arg.clone(),
                reason: "no such file or folder".into(),
            });
        }
    }
    (inputs, problems)
}

/// The error and its causes, `: `-separated.
fn error_chain(e: &DataError) -> String {
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

fn is_csv(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// A slice `index` (1-based) of `count` of an input list, for running one archive on many
/// machines: `--shard 3/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, 1..=count.
    pub index: u32,
    /// How many slices.
    pub count: u32,
}

impl Shard {
    /// Whether `path` belongs to this shard: the xxh3 hash of its bytes, modulo `count`. The
    /// same path always lands in the same shard, whatever else is listed and in whatever
    /// order, so reruns and resumed runs agree; the shards of a list cover each of its paths
    /// exactly once.
    pub fn contains(&self, path: &Path) -> bool {
        let h = xxhash_rust::xxh3::xxh3_64(path.as_os_str().as_encoded_bytes());
        h % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard: give I/N with 1 <= I <= N, e.g. 3/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_input_exactly_once() {
        let paths: Vec<PathBuf> = (0..1000)
            .map(|i| PathBuf::from(format!("archive/day{}/rec_{i:05}.flac", i % 7)))
            .collect();
        for count in [1, 2, 3, 8] {
            let mut seen = vec![0u32; paths.len()];
            let mut sizes = Vec::new();
            for index in 1..=count {
                let shard = Shard { index, count };
                let mine: Vec<usize> = (0..paths.len())
                    .filter(|&k| shard.contains(&paths[k]))
                    .collect();
                sizes.push(mine.len());
                for k in mine {
                    seen[k] += 1;
                }
            }
            assert!(seen.iter().all(|&s| s == 1), "count {count}");
            // Roughly even: no shard under half its share.
            let share = paths.len() / count as usize;
            assert!(sizes.iter().all(|&s| 2 * s >= share), "{sizes:?}");
        }
    }

    #[test]
    fn shard_parses_and_refuses_nonsense() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/8", "9/8", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn folders_csvs_and_files_expand_in_order_and_missing_paths_are_problems() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for f in [
            "b/2.wav",
            "b/1.flac",
            "b/.hidden/3.wav",
            "b/notes.txt",
            "a.ogg",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, b"x").expect("write");
        }
        std::fs::write(
            d.join("list.csv"),
            "path,label\na.ogg,x\nb/2.wav,y\na.ogg,z\n",
        )
        .expect("csv");
        let args = [
            d.join("b"),
            d.join("list.csv"),
            PathBuf::from("-"),
            d.join("missing.wav"),
        ];
        let (inputs, problems) = list_audio(&args);
        let got: Vec<PathBuf> = inputs.iter().map(|i| i.path.clone()).collect();
        assert_eq!(
            got,
            [
                d.join("b/1.flac"),
                d.join("b/2.wav"),
                d.join("a.ogg"),
                d.join("b/2.wav"),
                PathBuf::from("-"),
            ]
        );
        assert_eq!(inputs[1].relative(), Path::new("2.wav"));
        assert_eq!(inputs[3].relative(), Path::new("b/2.wav"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].to_string().contains("missing.wav"));
    }
}
