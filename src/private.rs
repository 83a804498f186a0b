//! dlp-scan's own files and folders are private to the user that runs it, whatever the umask:
//! folders 0700, files 0600 (an event file may be 0640, group-readable for a forwarder). The
//! fingerprint key, the agent's state store, spools and event files name people's files; a
//! laptop has other users. A umask of 022 would make them readable by every local user; one of
//! 0277 would take the owner's own write bit away. So modes are set explicitly at creation, and
//! a file of ours opened again is narrowed if an older version or an administrator left it
//! wider. A file or folder owned by someone else is left as it is.
//!
//! On Windows modes do not apply: folders we create, and files we write, get an access control
//! list of their own naming only SYSTEM, Administrators and their owner (`platform::make_private`).

use std::fs::{self, File, OpenOptions, Permissions};
use std::io;
use std::path::Path;

use crate::platform;

pub use platform::tighten;

/// Files we create: read and write for the owner only.
pub const FILE_MODE: u32 = 0o600;
/// Folders we create: the owner only.
pub const DIR_MODE: u32 = 0o700;
/// The folder mode that goes with a file mode: search permission for whoever may read.
/// (0600 → 0700, 0640 → 0750.)
pub fn dir_mode_for(file_mode: u32) -> u32 {
    0o700 | file_mode | ((file_mode & 0o044) >> 2)
}

/// Creates `dir` and its missing parents, each with `mode`. Folders that exist already are left
/// as they are (a parent such as `~/.local/share` or `/var/log` is not ours to change).
pub fn create_dir_all(dir: &Path, mode: u32) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_all(parent, mode)?;
    }
    match platform::create_dir_with_mode(dir, mode) {
        Ok(()) => Ok(()),
        // Made by someone else between the look and the creation.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// A folder that belongs to us alone (a sink's spool): created as [`create_dir_all`] does, then
/// given `mode` if it is ours.
pub fn own_dir(dir: &Path, mode: u32) -> io::Result<()> {
    create_dir_all(dir, mode)?;
    set_mode(dir, mode)
}

/// Gives an existing file or folder of ours `mode` (on Windows, a private access list); one that
/// does not exist is no error.
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(meta) => {
            set_mode_if_ours(&meta, mode, |m| fs::set_permissions(path, m))?;
            platform::make_private(path)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens `path` for appending, creating it with `mode`; an existing file of ours gets `mode`.
pub fn open_append(path: &Path, mode: u32) -> io::Result<File> {
    open_with(OpenOptions::new().create(true).append(true), path, mode)
}

/// Creates the new file `path` with mode 0600; fails if it exists.
pub fn create_new_file(path: &Path) -> io::Result<File> {
    open_with(OpenOptions::new().read(true).write(true).create_new(true), path, FILE_MODE)
}

/// Opens `path` with `options` (which create it with `mode`), then gives a file of ours `mode`
/// (on Windows, a private access list).
pub fn open_with(options: &mut OpenOptions, path: &Path, mode: u32) -> io::Result<File> {
    let file = platform::with_mode(options, mode).open(path)?;
    set_mode_if_ours(&file.metadata()?, mode, |m| file.set_permissions(m))?;
    platform::make_private(path)?;
    Ok(file)
}

fn set_mode_if_ours(meta: &fs::Metadata, mode: u32, set: impl FnOnce(Permissions) -> io::Result<()>) -> io::Result<()> {
    match platform::narrowed(meta, mode) {
        Some(permissions) => set(permissions),
        None => Ok(()),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_private_and_existing_files_are_tightened() {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
        let deep = dir.path().join("a/b");
        create_dir_all(&deep, DIR_MODE).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&deep)), (0o700, 0o700));
        assert_eq!(mode(dir.path()), 0o755, "an existing folder is left alone");
        let file = deep.join("f");
        create_new_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert!(create_new_file(&file).is_err(), "never replaces a file");
        fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        tighten(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        fs::set_permissions(&file, Permissions::from_mode(0o444)).unwrap();
        tighten(&file).unwrap();
        assert_eq!(mode(&file), 0o400, "tightening adds no permission");
    }

    #[test]
    fn owned_folders_and_opened_files_are_narrowed_to_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        own_dir(&sub, DIR_MODE).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&sub)), (0o700, 0o700));
        fs::set_permissions(dir.path().join("a"), Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&sub, Permissions::from_mode(0o755)).unwrap();
        own_dir(&sub, DIR_MODE).unwrap();
        assert_eq!(mode(&sub), 0o700, "an existing folder of ours is narrowed");
        assert_eq!(mode(&dir.path().join("a")), 0o755, "its parents are left alone");
        let file = sub.join("f");
        open_append(&file, FILE_MODE).unwrap();
        assert_eq!(mode(&file), 0o600);
        fs::set_permissions(&file, Permissions::from_mode(0o666)).unwrap();
        open_append(&file, FILE_MODE).unwrap();
        assert_eq!(mode(&file), 0o600, "an existing file of ours is narrowed");
        open_append(&file, 0o640).unwrap();
        assert_eq!(mode(&file), 0o640);
        assert_eq!((dir_mode_for(0o600), dir_mode_for(0o640)), (0o700, 0o750));
    }
}
