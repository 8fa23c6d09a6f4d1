//! hark-io: writing output files atomically, for every stage of the flow
//! (audio -> features -> model -> train/eval -> predict/stream -> export).
//!
//! Every file hark writes (feature matrices, cache entries, model files, reports,
//! pictures, prediction outputs) goes through [`write_atomic`], [`write_atomic_with`] or the
//! streaming [`AtomicFile`], so one policy holds
//! everywhere: the bytes go to a temporary file in the destination's own folder, the file
//! is fsynced, renamed over the destination (atomic on POSIX and Windows), and on Unix the
//! folder is fsynced so the rename itself survives a power cut. A reader therefore sees
//! either the old file or the complete new one, never a part; an interrupted or failed write
//! leaves no temporary file behind (tempfile removes it on drop).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Write `bytes` to `path` atomically (see the crate docs for the policy).
///
/// # Errors
/// The I/O error of the first step that failed; `path` is left as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Write `path` atomically through a buffered writer filled by `fill`.
///
/// # Errors
/// The error `fill` returned, or the I/O error of the first step that failed; `path` is
/// left as it was.
pub fn write_atomic_with<E>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<std::io::Error>,
{
    let mut file = AtomicFile::create(path)?;
    fill(&mut file)?;
    file.commit()?;
    Ok(())
}

/// A file written as a stream and published atomically: for output whose size is not known
/// up front (prediction rows for a long recording, a Parquet file built row group by row
/// group), where [`write_atomic_with`]'s single closure does not fit.
///
/// [`AtomicFile::create`] makes a temporary file in the destination's folder; writes go
/// through a `BufWriter`; [`AtomicFile::commit`] flushes, fsyncs and renames it over the
/// destination (then fsyncs the folder). Dropping it without a commit (an error, a panic, an
/// interrupted run) removes the temporary file and leaves the destination as it was.
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    dir: PathBuf,
    out: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Start writing `path`. The folder must exist.
    ///
    /// # Errors
    /// The I/O error from creating the temporary file (folder missing, not writable).
    pub fn create(path: &Path) -> std::io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // tempfile creates 0600 files; outputs are ordinary files (0644 before the umask).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let tmp = builder.tempfile_in(dir).map_err(without_temp_path)?;
        Ok(AtomicFile {
            dest: path.to_path_buf(),
            dir: dir.to_path_buf(),
            out: BufWriter::new(tmp),
        })
    }

    /// The destination this file will be published as.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flush, fsync and rename over the destination (replacing any file there).
    ///
    /// # Errors
    /// The I/O error of the first step that failed; the destination is left as it was and
    /// the temporary file is removed.
    pub fn commit(self) -> std::io::Result<()> {
        self.publish(false)
    }

    /// Like [`AtomicFile::commit`], but never replaces a file: if the destination exists
    /// (even one created since [`AtomicFile::create`]) the error is
    /// [`std::io::ErrorKind::AlreadyExists`] and the existing file is untouched.
    ///
    /// # Errors
    /// `AlreadyExists`, or the I/O error of the first step that failed.
    pub fn commit_new(self) -> std::io::Result<()> {
        self.publish(true)
    }

    fn publish(self, no_clobber: bool) -> std::io::Result<()> {
        let AtomicFile { dest, dir, out } = self;
        let tmp = out.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        if no_clobber {
            tmp.persist_noclobber(&dest)
                .map_err(|e| without_temp_path(e.error))?;
        } else {
            tmp.persist(&dest).map_err(|e| without_temp_path(e.error))?;
        }
        sync_dir(&dir)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// tempfile names its temporary file in its errors (`{cause} at path ".x.csv.G4Z9ZX.tmp"`,
/// from a private wrapper type, so the cause cannot be taken out as a value); the user asked
/// for `x.csv` and never sees that name, so keep only the cause text (callers name the
/// destination).
fn without_temp_path(e: std::io::Error) -> std::io::Error {
    if e.get_ref().is_none() {
        return e; // a plain OS error: no path in it
    }
    let kind = e.kind();
    let mut text = e.to_string();
    if let Some(at) = text.rfind(" at path ") {
        text.truncate(at);
    }
    std::io::Error::new(kind, text)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Windows cannot open a folder as a file; its rename is already durable with the data.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("out.bin");
        std::fs::write(&p, b"old").expect("seed");
        write_atomic(&p, b"new contents").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"new contents");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_failing_writer_keeps_the_old_file_and_cleans_up() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("report.json");
        std::fs::write(&p, b"old").expect("seed");
        let r: std::io::Result<()> = write_atomic_with(&p, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("interrupted"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read(&p).expect("read"), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("no/such/folder/out.csv");
        let e = write_atomic(&p, b"x").expect_err("missing folder");
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(
            !e.to_string().contains(".tmp"),
            "no temporary file name: {e}"
        );
    }

    #[test]
    fn a_streamed_file_appears_only_at_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("rows.csv");
        let mut f = AtomicFile::create(&p).expect("create");
        f.write_all(b"a,b\n").expect("write");
        f.flush().expect("flush");
        assert!(!p.exists(), "nothing is published before commit");
        f.write_all(b"1,2\n").expect("write");
        f.commit().expect("commit");
        assert_eq!(std::fs::read(&p).expect("read"), b"a,b\n1,2\n");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn a_dropped_stream_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("rows.csv");
        {
            let mut f = AtomicFile::create(&p).expect("create");
            f.write_all(&[b'x'; 100_000]).expect("write");
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }

    #[test]
    fn commit_new_never_replaces_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("rows.csv");
        let mut f = AtomicFile::create(&p).expect("create");
        f.write_all(b"new").expect("write");
        std::fs::write(&p, b"old").expect("someone else wrote it meanwhile");
        let e = f.commit_new().expect_err("exists");
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(!e.to_string().contains(".tmp"), "{e}");
        assert_eq!(std::fs::read(&p).expect("read"), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        let mut g = AtomicFile::create(&dir.path().join("fresh.csv")).expect("create");
        g.write_all(b"ok").expect("write");
        g.commit_new().expect("a new name is published");
    }
}
