//! What delivery creates is private to the process's user, whatever the umask: folders 0700,
//! files 0600 (an event file may be 0640, group-readable for a forwarder). Events name people's
//! files and the spool holds them until delivered; a laptop has other users.
//!
//! The mode is set at creation, and a file of ours opened again is narrowed to it if an older
//! version or an administrator left it wider. A file owned by someone else is left as it is.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// Files delivery creates: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;
/// Folders delivery creates: the owner only.
pub const DIR_MODE: u32 = 0o700;

/// The folder mode that goes with a file mode: search permission for whoever may read.
/// (0600 → 0700, 0640 → 0750.)
pub fn dir_mode_for(file_mode: u32) -> u32 {
    0o700 | file_mode | ((file_mode & 0o044) >> 2)
}

/// Creates `dir` and missing parents with `mode`; existing folders are left as they are (the
/// event file's folder may be `/var/log`).
pub fn create_dir_all(dir: &Path, mode: u32) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    builder.create(dir)
}

/// A folder that belongs to delivery alone (a sink's spool): created as [`create_dir_all`] does,
/// then given `mode` if it is ours.
pub fn own_dir(dir: &Path, mode: u32) -> io::Result<()> {
    create_dir_all(dir, mode)?;
    set_mode(dir, mode)
}

/// Gives an existing file or folder of ours `mode`; one that does not exist is no error.
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(meta) => set_mode_if_ours(&meta, mode, |m| fs::set_permissions(path, m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens `path` for appending, creating it with `mode`; an existing file of ours gets `mode`.
pub fn open_append(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    open_with(&mut options, path, mode)
}

/// Opens `path` with `options` (which create it with `mode`), then gives a file of ours `mode`.
pub fn open_with(options: &mut OpenOptions, path: &Path, mode: u32) -> io::Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, mode);
    let file = options.open(path)?;
    set_mode_if_ours(&file.metadata()?, mode, |m| file.set_permissions(m))?;
    Ok(file)
}

#[cfg(unix)]
fn set_mode_if_ours(
    meta: &fs::Metadata,
    mode: u32,
    set: impl FnOnce(fs::Permissions) -> io::Result<()>,
) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if meta.mode() & 0o777 == mode || Some(meta.uid()) != crate::fsutil::effective_uid() {
        return Ok(());
    }
    set(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode_if_ours(
    _meta: &fs::Metadata,
    _mode: u32,
    _set: impl FnOnce(fs::Permissions) -> io::Result<()>,
) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_files_and_folders_are_private_and_wider_ones_are_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        own_dir(&sub, DIR_MODE).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&sub)), (0o700, 0o700));
        fs::set_permissions(dir.path().join("a"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        own_dir(&sub, DIR_MODE).unwrap();
        assert_eq!(mode(&sub), 0o700, "an existing folder of ours is narrowed");
        assert_eq!(mode(&dir.path().join("a")), 0o755, "its parents are left alone");
        let file = sub.join("f");
        open_append(&file, FILE_MODE).unwrap();
        assert_eq!(mode(&file), 0o600);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
        open_append(&file, FILE_MODE).unwrap();
        assert_eq!(mode(&file), 0o600, "an existing file of ours is narrowed");
        open_append(&file, 0o640).unwrap();
        assert_eq!(mode(&file), 0o640);
        assert_eq!((dir_mode_for(0o600), dir_mode_for(0o640)), (0o700, 0o750));
    }
}
