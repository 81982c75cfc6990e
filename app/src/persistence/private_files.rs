//! The data folder and its files are the operator's alone: the database
//! holds sessions, hashes and encrypted secrets, so neither the folder nor
//! the files are readable by other local users (0700 and 0600 on Unix).

use std::path::Path;

/// Creates `dir` (and missing parents) readable by the owner only.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates an empty file readable by the owner only, unless it exists.
///
/// An existing file is not opened at all: closing a descriptor of a file
/// drops every POSIX lock this process holds on it, and SQLite's locks on
/// an open database are such locks. With them gone, another process (the
/// CLI, a backup) may take the database as its own, check-point and
/// delete the write-ahead log under the server's connections, and the
/// database is corrupt. (Seen: `eventurl ingest-key create` beside a busy
/// server.)
pub fn create_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// An existing folder left open to other users (by an earlier version, or
/// chosen so) is the operator's to close: said at start, not changed.
fn warn_if_open(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(dir) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    folder = %dir.display(),
                    mode = format!("{mode:o}"),
                    "the database folder is open to other local users; `chmod 700` it (its files are made private)"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Takes group and other access away from an existing file or folder (one
/// created by an earlier version); a missing one is fine.
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The SQLite database at `db_file`: its folder and the file created
/// private when missing; the file and its `-wal`/`-shm` companions made
/// private when an earlier version left them open to others. (An existing
/// folder is left as the operator set it: it may be theirs.)
pub fn prepare_sqlite(db_file: &Path) -> std::io::Result<()> {
    if let Some(dir) = db_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
        warn_if_open(dir);
    }
    create_file(db_file)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db_file.as_os_str().to_owned();
        name.push(suffix);
        restrict(Path::new(&name))?;
    }
    Ok(())
}
