//! dlp-scan's own files and folders (the fingerprint key, the agent's state store) are private to
//! the user that runs it: folders 0700, files 0600, whatever the umask. A umask of 022 would make
//! them readable by every local user; one of 0277 would take the owner's own write bit away. So
//! modes are set explicitly after creating, not left to the umask.

use std::fs::{File, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Group and other bits: none of them is wanted on our own files.
const NOT_OWNER: u32 = 0o077;

/// The effective user id of this process. `/proc/self` is owned by it, which avoids an unsafe
/// `geteuid` call; `None` where there is no `/proc`.
pub fn effective_uid() -> Option<u32> {
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// Creates `dir` and its missing parents, each with mode 0700. Folders that exist already are
/// left as they are (a parent such as `~/.local/share` is not ours to change).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => std::fs::set_permissions(dir, Permissions::from_mode(0o700)),
        // Made by someone else between the look and the creation.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates the new file `path` with mode 0600; fails if it exists.
pub fn create_new_file(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).mode(0o600).open(path)?;
    file.set_permissions(Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Takes group and other permissions away from the existing file `path` when this process owns
/// it; logs a warning when another user owns it and leaves it as it is.
pub fn tighten(path: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    let mode = meta.permissions().mode();
    if mode & NOT_OWNER == 0 {
        return Ok(());
    }
    if effective_uid().is_some_and(|uid| uid != meta.uid()) {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", mode & 0o777),
            "other users may read this file and it is not ours to tighten"
        );
        return Ok(());
    }
    std::fs::set_permissions(path, Permissions::from_mode(mode & 0o700))?;
    tracing::info!(path = %path.display(), was = format!("{:o}", mode & 0o777), "made private to its owner");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_private_and_existing_files_are_tightened() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
        let deep = dir.path().join("a/b");
        create_dir_all(&deep).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&deep)), (0o700, 0o700));
        assert_eq!(mode(dir.path()), 0o755, "an existing folder is left alone");
        let file = deep.join("f");
        create_new_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert!(create_new_file(&file).is_err(), "never replaces a file");
        std::fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        tighten(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, Permissions::from_mode(0o444)).unwrap();
        tighten(&file).unwrap();
        assert_eq!(mode(&file), 0o400, "tightening adds no permission");
    }
}
