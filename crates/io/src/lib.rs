//! hark-io: writing output files atomically, for every stage of the flow
//! (audio -> features -> model -> train/eval -> predict/stream -> export).
//!
//! Every file hark writes (feature matrices, cache entries, model files, reports,
//! pictures) goes through [`write_atomic`] or [`write_atomic_with`], so one policy holds
//! everywhere: the bytes go to a temporary file in the destination's own folder, the file
//! is fsynced, renamed over the destination (atomic on POSIX and Windows), and on Unix the
//! folder is fsynced so the rename itself survives a power cut. A reader therefore sees
//! either the old file or the complete new one, never a part; an interrupted or failed write
//! leaves no temporary file behind (tempfile removes it on drop).

use std::io::{BufWriter, Write};
use std::path::Path;

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
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)?;
    Ok(())
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
}
