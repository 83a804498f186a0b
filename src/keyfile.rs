//! The per-installation fingerprint key: found, or created on first use.
//!
//! The key is 32 random bytes in a file of mode 0600 (in a folder of mode 0700 when made here),
//! whatever the umask; an existing key file that other users may read is tightened. When no path
//! is configured it lives in the state folder (`paths::key_file`: on Linux
//! `/var/lib/dlp-scan/fingerprint.key` for root and `~/.local/share/dlp-scan/fingerprint.key`
//! (or `$XDG_DATA_HOME/dlp-scan/...`) otherwise; `%ProgramData%\dlp-scan` on Windows). If it
//! can be neither read nor created, the run uses a one-off random key and says so: fingerprints
//! are then comparable within the run only.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::detect::FingerprintKey;

const KEY_BYTES: usize = 32;

/// Where the key comes from, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Read from an existing file.
    Existing(PathBuf),
    /// Created now.
    Created(PathBuf),
    /// No file usable: random for this run only, with the reason.
    Ephemeral(String),
}

/// Loads the key at `path` (or the default path), creating it if missing.
pub fn load_or_create(path: Option<&Path>) -> (FingerprintKey, KeySource) {
    let Some(path) = path.map(Path::to_path_buf).or_else(crate::paths::key_file) else {
        return ephemeral("no key path: set fingerprint.key_file".to_string());
    };
    match crate::fsutil::read_small_bytes(&path) {
        Ok(bytes) if bytes.len() >= 16 => {
            keep_private(&path);
            return (FingerprintKey::new(bytes), KeySource::Existing(path));
        }
        Ok(_) => return ephemeral(format!("{} holds fewer than 16 bytes", path.display())),
        Err(e) if e.kind() != io::ErrorKind::NotFound => return ephemeral(format!("{}: {e}", path.display())),
        Err(_) => {}
    }
    match create_key_file(&path) {
        Ok(bytes) => (FingerprintKey::new(bytes), KeySource::Created(path)),
        Err(e) => ephemeral(format!("cannot create {}: {e}", path.display())),
    }
}

fn ephemeral(reason: String) -> (FingerprintKey, KeySource) {
    (FingerprintKey::new(random_key()), KeySource::Ephemeral(reason))
}

fn random_key() -> Vec<u8> {
    let mut bytes = vec![0u8; KEY_BYTES];
    // The OS random source does not fail on supported platforms; fall back to time-derived bytes
    // rather than refusing to scan.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ i as u8;
        }
    }
    bytes
}

/// A key that other local users can read lets them compute fingerprints and so test guesses of
/// values; an existing key file readable by them is tightened (or, when not ours, warned about).
fn keep_private(path: &Path) {
    if let Err(e) = crate::private::tighten(path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot make the fingerprint key private");
    }
}

fn create_key_file(path: &Path) -> io::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        crate::private::create_dir_all(dir, crate::private::DIR_MODE)?;
    }
    let bytes = random_key();
    let mut file = crate::private::create_new_file(path)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/fingerprint.key");
        let (k1, s1) = load_or_create(Some(&path));
        assert_eq!(s1, KeySource::Created(path.clone()));
        let (k2, s2) = load_or_create(Some(&path));
        assert_eq!(s2, KeySource::Existing(path.clone()));
        assert_eq!(k1.fingerprint("d", b"v"), k2.fingerprint("d", b"v"));
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700, "the folder made for it");
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_existing_key_readable_by_others_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fingerprint.key");
        std::fs::write(&path, [7u8; 32]).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (_, source) = load_or_create(Some(&path));
        assert_eq!(source, KeySource::Existing(path.clone()));
        assert_eq!(mode(&path), 0o600);
    }
}
