//! Where a file lives: local disk, managed cloud, unmanaged cloud or removable media.
//!
//! Found with no configuration, in this order (the first that applies wins):
//! 1. folders declared in the configuration (`[[locations]]`, the longest path first);
//! 2. removable volumes as the system tells them (`platform::removable_volumes`: Linux's mount
//!    table, a USB bus in the block device's sysfs path or its `removable` flag; Windows drive
//!    letters of removable drives or on a USB or SD bus; macOS `/Volumes`) and the usual mount
//!    folders (`/media/<user>/<label>`, `/run/media/<user>/<label>`, `/Volumes/<name>`);
//! 3. sync clients' own settings in every home folder (`clients`: Dropbox `info.json`, OneDrive's
//!    accounts in the Windows registry and its `settings` folder, the Linux OneDrive client's
//!    `sync_dir`, Nextcloud/ownCloud `localPath`, Google Drive for desktop's drive, macOS
//!    `~/Library/CloudStorage`, iCloud Drive, Box): the scanning user's, each account's in the
//!    password database, and every home the system knows (`platform::all_homes`), so a file gets
//!    the same verdict whoever scans it (root auditing `/home/jsmith`, the agent watching `/home`,
//!    jsmith);
//! 4. a sync root's marker files (`.dropbox`, `.dropbox.cache`), checked once per folder;
//! 5. the standard folder names of the clients on Linux, macOS and Windows (`Dropbox`,
//!    `Dropbox (Team)`, `GoogleDrive-<account>`, `Google Drive`, `SpiderOak Hive`, `Amazon Drive`,
//!    `iCloud Drive`, `com~apple~CloudDocs`, `Box`, `OneDrive`, `OneDrive - <Organisation>`, ...),
//!    wherever such a folder is found, including inside the tree being scanned.
//!
//! A business OneDrive (`OneDrive - <Organisation>`, `OneDrive-<Organisation>`, or an account the
//! client records with its organisation or tenant id) is managed only when that organisation is in
//! `managed_onedrive_tenants`. A folder that merely contains a provider's name
//! (`Dropbox export`) is local.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

mod clients;

/// Where a file lives: the kind of place, which is what the policy judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// A local disk not synchronised anywhere.
    Local,
    /// A cloud service managed by the university's IT (its OneDrive, SharePoint).
    ManagedCloud,
    /// A cloud service IT does not manage (Dropbox, Google Drive, personal OneDrive, ...).
    UnmanagedCloud,
    /// A USB stick, external drive or memory card.
    Removable,
}

impl LocationKind {
    /// True for the places the location rules watch: unmanaged cloud folders and removable media.
    pub fn is_exposed(self) -> bool {
        matches!(self, LocationKind::UnmanagedCloud | LocationKind::Removable)
    }

    /// Stable name, as in records: `unmanaged_cloud`.
    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Local => "local",
            LocationKind::ManagedCloud => "managed_cloud",
            LocationKind::UnmanagedCloud => "unmanaged_cloud",
            LocationKind::Removable => "removable",
        }
    }

    /// The kind as people say it: `unmanaged cloud`, `removable media`.
    pub fn words(self) -> &'static str {
        match self {
            LocationKind::Local => "local disk",
            LocationKind::ManagedCloud => "managed cloud",
            LocationKind::UnmanagedCloud => "unmanaged cloud",
            LocationKind::Removable => "removable media",
        }
    }
}

/// A folder whose location kind is declared in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredLocation {
    /// The folder (absolute).
    pub path: PathBuf,
    /// Its kind.
    pub kind: LocationKind,
    /// Provider name (e.g. `dropbox`, `usb`).
    pub provider: Option<String>,
}

/// A file's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The kind.
    pub kind: LocationKind,
    /// The provider, when known.
    pub provider: Option<String>,
    /// The sync folder or volume the file is in (what files "stored together" share).
    pub root: Option<PathBuf>,
    /// The volume's own encryption (`luks`, `bitlocker`, ...), when the file sits on one.
    pub volume_encryption: Option<&'static str>,
}

impl Location {
    /// This machine's own disk, in no sync folder or removable volume.
    pub fn local() -> Location {
        Location { kind: LocationKind::Local, provider: None, root: None, volume_encryption: None }
    }
}

/// Resolves paths to locations; built once per run.
#[derive(Debug)]
pub struct Locator {
    known: Vec<DeclaredLocation>,
    encrypted_volumes: Vec<(PathBuf, &'static str)>,
    managed_tenants: Vec<String>,
    markers: Mutex<HashMap<PathBuf, bool>>,
}

impl Locator {
    /// Discovers sync roots and removable volumes, with `declared` taking precedence.
    pub fn discover(declared: &[DeclaredLocation], managed_tenants: &[String]) -> Locator {
        let mut known = declared.to_vec();
        known.sort_by_key(|l| std::cmp::Reverse(l.path.as_os_str().len()));
        let mut discovered: Vec<DeclaredLocation> = removable_mount_points()
            .into_iter()
            .map(|path| DeclaredLocation { path, kind: LocationKind::Removable, provider: Some("usb".into()) })
            .collect();
        let names = Locator::with_known(Vec::new(), managed_tenants);
        for home in home_folders() {
            discovered.extend(clients::roots(&home, &names));
        }
        // Most specific first; a root found twice (the same user's home listed twice, two
        // settings naming one folder) is kept once, as first found.
        discovered.sort_by(|a, b| b.path.as_os_str().len().cmp(&a.path.as_os_str().len()).then(a.path.cmp(&b.path)));
        discovered.dedup_by(|a, b| a.path == b.path);
        known.extend(discovered);
        let mut locator = Locator::with_known(known, managed_tenants);
        locator.encrypted_volumes = crate::platform::encrypted_volumes();
        locator.encrypted_volumes.sort_by_key(|(p, _)| std::cmp::Reverse(p.as_os_str().len()));
        locator
    }

    /// The places known by path: declared locations, removable volumes and the sync-client
    /// folders discovered, most specific first.
    pub fn places(&self) -> &[DeclaredLocation] {
        &self.known
    }

    /// Where `path` lives, and whether the volume under it is itself encrypted.
    pub fn locate(&self, path: &Path) -> Location {
        let mut location = self.locate_kind(path);
        location.volume_encryption =
            self.encrypted_volumes.iter().find(|(point, _)| path.starts_with(point)).map(|(_, scheme)| *scheme);
        location
    }

    /// A locator that knows only `known` (and the folder names and markers).
    pub fn with_known(known: Vec<DeclaredLocation>, managed_tenants: &[String]) -> Locator {
        let managed_tenants = managed_tenants.iter().map(|t| t.trim().to_lowercase()).collect();
        Locator { known, encrypted_volumes: Vec::new(), managed_tenants, markers: Mutex::new(HashMap::new()) }
    }

    fn locate_kind(&self, path: &Path) -> Location {
        if let Some(l) = self.known.iter().find(|l| path.starts_with(&l.path)) {
            return Location {
                kind: l.kind,
                provider: l.provider.clone(),
                root: Some(l.path.clone()),
                volume_encryption: None,
            };
        }
        if let Some(l) = removable_by_mount_folder(path) {
            return l;
        }
        let ancestors: Vec<&Path> = path.ancestors().skip(1).collect();
        // Outermost first: a Dropbox folder inside a OneDrive folder is synced by OneDrive.
        for dir in ancestors.iter().rev() {
            if let Some(name) = dir.file_name().and_then(|n| n.to_str()) {
                if let Some(l) = self.by_folder_name(name, dir) {
                    return Location { root: Some(dir.to_path_buf()), ..l };
                }
            }
            if self.has_dropbox_marker(dir) {
                return Location { root: Some(dir.to_path_buf()), ..unmanaged("dropbox") };
            }
        }
        Location::local()
    }

    fn by_folder_name(&self, name: &str, dir: &Path) -> Option<Location> {
        let lower = name.to_lowercase();
        let provider = match lower.as_str() {
            "dropbox" | "dropbox-personal" => "dropbox",
            n if n.starts_with("dropbox (") && n.ends_with(')') => "dropbox",
            n if n.starts_with("googledrive-") => "google_drive",
            // `GoogleDrive` and `google-drive`: where Linux users mount it (google-drive-ocamlfuse,
            // rclone, GNOME Online Accounts' guides).
            "google drive" | "google drive file stream" | "googledrive" | "google-drive" => "google_drive",
            "my drive" if parent_name(dir).is_some_and(|p| p.starts_with("googledrive-") || p == "google drive") => {
                "google_drive"
            }
            "spideroak hive" => "spideroak",
            "amazon drive" => "amazon_drive",
            "icloud drive" | "iclouddrive" | "com~apple~clouddocs" => "icloud",
            "box" | "box-box" | "box sync" => "box",
            "pcloud drive" | "pclouddrive" => "pcloud",
            "mega" | "megasync" => "mega",
            "nextcloud" => "nextcloud",
            "owncloud" => "owncloud",
            "onedrive" | "onedrive-personal" => "onedrive",
            _ => return self.business_onedrive(name),
        };
        Some(unmanaged(provider))
    }

    /// `OneDrive - <Organisation>` (Windows, Linux clients) or `OneDrive-<Organisation>` (macOS).
    fn business_onedrive(&self, name: &str) -> Option<Location> {
        let organisation = name.strip_prefix("OneDrive - ").or_else(|| name.strip_prefix("OneDrive-"))?;
        let managed = self.is_managed_tenant(organisation);
        let kind = if managed { LocationKind::ManagedCloud } else { LocationKind::UnmanagedCloud };
        Some(Location { kind, provider: Some("onedrive".into()), root: None, volume_encryption: None })
    }

    /// Whether `tenant` (an organisation's name or tenant id) is managed: listed in
    /// `managed_onedrive_tenants`, or any organisation while that list is empty (a staff laptop's
    /// business OneDrive is, almost always, the university's own).
    fn is_managed_tenant(&self, tenant: &str) -> bool {
        self.managed_tenants.is_empty() || self.managed_tenants.contains(&tenant.trim().to_lowercase())
    }

    fn has_dropbox_marker(&self, dir: &Path) -> bool {
        if let Some(known) = self.markers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(dir) {
            return *known;
        }
        let found = dir.join(".dropbox").is_file() || dir.join(".dropbox.cache").is_dir();
        self.markers.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(dir.to_path_buf(), found);
        found
    }
}

fn unmanaged(provider: &str) -> Location {
    Location {
        kind: LocationKind::UnmanagedCloud,
        provider: Some(provider.into()),
        root: None,
        volume_encryption: None,
    }
}

/// Mount points of removable volumes now (USB sticks, memory cards, external disks), as the
/// system tells them (`platform::removable_volumes`).
pub fn removable_mount_points() -> Vec<PathBuf> {
    crate::platform::removable_volumes()
}

fn parent_name(dir: &Path) -> Option<String> {
    dir.parent()?.file_name()?.to_str().map(str::to_lowercase)
}

/// `/media/<user>/<label>/...`, `/run/media/<user>/<label>/...` and `/Volumes/<name>/...` (not the
/// macOS system volume) are where desktops mount removable media.
fn removable_by_mount_folder(path: &Path) -> Option<Location> {
    let parts: Vec<&str> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    let depth = match parts.as_slice() {
        ["media", _user, _label, _, ..] => 3,
        ["run", "media", _user, _label, _, ..] => 4,
        ["Volumes", name, _, ..] if *name != "Macintosh HD" => 2,
        _ => return None,
    };
    let root: PathBuf = std::iter::once("/").chain(parts[..depth].iter().copied()).collect();
    path.is_absolute().then(|| Location {
        kind: LocationKind::Removable,
        provider: Some("usb".into()),
        root: Some(root),
        volume_encryption: None,
    })
}

/// Home folders whose sync clients' configuration is read: the user's, each account's home in
/// the password database (`/etc/passwd`, field 6, where there is one), and every user's home
/// folder the system knows (`platform::all_homes`: `/home/*`, `/Users/*`, `C:\Users\*`).
fn home_folders() -> Vec<PathBuf> {
    let mut homes: Vec<PathBuf> = crate::platform::user_home().into_iter().collect();
    if let Ok(passwd) = crate::fsutil::read_small_text(Path::new("/etc/passwd")) {
        homes.extend(
            passwd.lines().filter_map(|l| l.split(':').nth(5)).filter(|h| h.starts_with('/')).map(PathBuf::from),
        );
    }
    homes.extend(crate::platform::all_homes());
    homes.sort();
    homes.dedup();
    homes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locator() -> Locator {
        Locator::with_known(
            vec![DeclaredLocation {
                path: "/data/stick".into(),
                kind: LocationKind::Removable,
                provider: Some("usb".into()),
            }],
            &["Loughborough University".to_string()],
        )
    }

    #[test]
    fn roots_are_the_sync_folder_or_the_volume() {
        let root = |p: &str| locator().locate(Path::new(p)).root;
        assert_eq!(root("/home/a/Dropbox/x/y.csv"), Some(PathBuf::from("/home/a/Dropbox")));
        assert_eq!(root("/media/alice/KINGSTON/a/b.xlsx"), Some(PathBuf::from("/media/alice/KINGSTON")));
        assert_eq!(root("/data/stick/x"), Some(PathBuf::from("/data/stick")));
        assert_eq!(root("/home/a/Documents/x"), None);
    }

    fn at(path: &str) -> (LocationKind, Option<String>) {
        let l = locator().locate(Path::new(path));
        (l.kind, l.provider)
    }

    fn cloud(p: &str) -> (LocationKind, Option<String>) {
        (LocationKind::UnmanagedCloud, Some(p.to_string()))
    }

    #[test]
    fn standard_folder_names_are_recognised() {
        assert_eq!(at("/home/a/Dropbox/staff.csv"), cloud("dropbox"));
        assert_eq!(at("/home/a/Dropbox (Acme Ltd)/x/staff.csv"), cloud("dropbox"));
        assert_eq!(at("/Users/a/Library/CloudStorage/GoogleDrive-a@gmail.com/My Drive/x.xlsx"), cloud("google_drive"));
        assert_eq!(at("/home/a/Google Drive/x.xlsx"), cloud("google_drive"));
        assert_eq!(at("/home/a/GoogleDrive/x.xlsx"), cloud("google_drive"));
        assert_eq!(at("/home/a/SpiderOak Hive/x"), cloud("spideroak"));
        assert_eq!(at("/home/a/Amazon Drive/x"), cloud("amazon_drive"));
        assert_eq!(at("/Users/a/Library/Mobile Documents/com~apple~CloudDocs/x"), cloud("icloud"));
        assert_eq!(at("/Users/a/Library/CloudStorage/Box-Box/x"), cloud("box"));
        assert_eq!(at("/home/a/OneDrive/x"), cloud("onedrive"));
    }

    #[test]
    fn business_onedrive_is_managed_only_for_the_configured_organisation() {
        assert_eq!(
            at("/home/a/OneDrive - Loughborough University/x"),
            (LocationKind::ManagedCloud, Some("onedrive".into()))
        );
        assert_eq!(
            at("/Users/a/Library/CloudStorage/OneDrive-Loughborough University/x").0,
            LocationKind::ManagedCloud
        );
        assert_eq!(at("/home/a/OneDrive - Another University/x"), cloud("onedrive"));
    }

    #[test]
    fn with_no_organisation_configured_every_business_onedrive_is_managed() {
        let open = Locator::with_known(Vec::new(), &[]);
        let kind = |p: &str| open.locate(Path::new(p)).kind;
        assert_eq!(kind("/home/a/OneDrive - Any University/x"), LocationKind::ManagedCloud);
        assert_eq!(kind("/Users/a/Library/CloudStorage/OneDrive-Any University/x"), LocationKind::ManagedCloud);
        assert_eq!(kind("/home/a/OneDrive/x"), LocationKind::UnmanagedCloud);
    }

    #[test]
    fn look_alike_folders_and_plain_paths_are_local() {
        assert_eq!(at("/home/a/Documents/Dropbox export/x.csv").0, LocationKind::Local);
        assert_eq!(at("/home/a/Documents/my drive notes/x").0, LocationKind::Local);
        assert_eq!(at("/home/a/Documents/staff.csv").0, LocationKind::Local);
        assert_eq!(at("/home/a/Dropbox").0, LocationKind::Local, "the folder itself, as a file path, is not inside it");
    }

    #[test]
    fn removable_media_by_declaration_and_mount_folder() {
        assert_eq!(at("/data/stick/x"), (LocationKind::Removable, Some("usb".into())));
        assert_eq!(at("/media/alice/KINGSTON/x.xlsx").0, LocationKind::Removable);
        assert_eq!(at("/run/media/alice/SANDISK/a/b.csv").0, LocationKind::Removable);
        assert_eq!(at("/Volumes/USB STICK/x").0, LocationKind::Removable);
        assert_eq!(at("/Volumes/Macintosh HD/Users/x").0, LocationKind::Local);
        assert_eq!(at("/media/alice/KINGSTON/Dropbox/x").0, LocationKind::Removable);
    }

    #[test]
    fn a_dropbox_marker_makes_any_folder_a_dropbox_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Sync stuff");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join(".dropbox"), "{}").unwrap();
        let l = locator().locate(&root.join("sub/staff.csv"));
        assert_eq!((l.kind, l.provider.as_deref()), (LocationKind::UnmanagedCloud, Some("dropbox")));
        assert_eq!(locator().locate(&dir.path().join("other.csv")).kind, LocationKind::Local);
    }
}
