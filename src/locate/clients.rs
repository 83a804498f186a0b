//! Sync roots named by the sync clients' own settings in a home folder, read the same way on every
//! system: where the files are is the system's table (`platform::CLIENT_SETTINGS`), what the
//! Windows registry records comes from `platform::recorded_settings`; nothing here knows an OS.
//!
//! What is read, per client:
//! - Dropbox: `info.json`, the `path` of each account (personal, business).
//! - OneDrive on Windows: the registry's `Software\Microsoft\OneDrive\Accounts\<account>`
//!   (`UserFolder`, `DisplayName`: the organisation, `ConfiguredTenantId`); on Windows and macOS,
//!   its `settings` folder: `Personal` or `BusinessN\global.ini` names the account's `cid`, and
//!   `<cid>.ini`'s `library`, `libraryScope` and `libraryFolder` lines each name a synced folder
//!   (UTF-16 on Windows, UTF-8 on macOS; the layout as documented by Guido Witt-Dörring's and
//!   Cristian Buse's `GetLocalPath`, MIT). A business account is managed when its organisation
//!   (or tenant id) is in `managed_onedrive_tenants`; when only the files are there (another
//!   user's hive not loaded), when its folder is `OneDrive - <managed organisation>`.
//! - The Linux OneDrive client: `sync_dir` in its `config` (default `~/OneDrive`).
//! - Nextcloud and ownCloud desktop clients: each `localPath`.
//! - Google Drive for desktop on Windows: installed (its `DriveFS` folder exists), its drive is the
//!   registry's `PerAccountPreferences` mount points and `DefaultMountPoint`, else `G:`.
//! - macOS `~/Library/CloudStorage` (each entry, by its provider's name), iCloud Drive, Box: the
//!   folder's kind by its name, as anywhere else.
//!
//! Not for: judging a path (the parent module), or finding the files (the platform's table).

use std::path::{Path, PathBuf};

use crate::platform::{ClientSettings, RecordedOneDrive, RecordedSettings};

use super::{DeclaredLocation, LocationKind, Locator};

/// Sync roots named by the clients' settings under `home`; `names` decides a folder's kind by its
/// name and knows the managed OneDrive organisations.
pub(super) fn roots(home: &Path, names: &Locator) -> Vec<DeclaredLocation> {
    let recorded = crate::platform::recorded_settings(home);
    let mut roots: Vec<DeclaredLocation> = recorded.onedrive.iter().map(|a| recorded_onedrive(a, names)).collect();
    for (relative, settings) in crate::platform::CLIENT_SETTINGS {
        let path = relative.split('/').fold(home.to_path_buf(), |p, c| p.join(c));
        roots.extend(from_settings(&path, *settings, home, &recorded, names));
    }
    roots
}

/// The roots one place of settings names.
fn from_settings(
    path: &Path,
    settings: ClientSettings,
    home: &Path,
    recorded: &RecordedSettings,
    names: &Locator,
) -> Vec<DeclaredLocation> {
    let text = || crate::fsutil::read_small_bytes(path).ok().map(|bytes| settings_text(&bytes));
    match settings {
        ClientSettings::DropboxInfo => text()
            .map(|t| dropbox_info_paths(&t))
            .unwrap_or_default()
            .into_iter()
            .map(|p| cloud(p, "dropbox"))
            .collect(),
        ClientSettings::OneDriveLinuxConfig => {
            text().map(|t| vec![cloud(onedrive_sync_dir(&t, home), "onedrive")]).unwrap_or_default()
        }
        ClientSettings::NextcloudConfig(provider) => {
            text().map(|t| nextcloud_paths(&t)).unwrap_or_default().into_iter().map(|p| cloud(p, provider)).collect()
        }
        ClientSettings::OneDriveSettings => onedrive_settings(path, &recorded.onedrive, names),
        ClientSettings::DriveFs if path.is_dir() => {
            google_drive_mounts(recorded).into_iter().map(|p| cloud(p, "google_drive")).collect()
        }
        ClientSettings::DriveFs => Vec::new(),
        ClientSettings::CloudStorage => {
            crate::platform::subfolders(path).into_iter().filter_map(|dir| by_name(dir, names)).collect()
        }
        ClientSettings::SyncFolder => {
            by_name(path.to_path_buf(), names).filter(|_| path.is_dir()).into_iter().collect()
        }
    }
}

fn cloud(path: PathBuf, provider: &str) -> DeclaredLocation {
    DeclaredLocation { path, kind: LocationKind::UnmanagedCloud, provider: Some(provider.into()) }
}

/// A folder whose kind its name tells (`OneDrive-<Organisation>`, `GoogleDrive-<account>`,
/// `com~apple~CloudDocs`, `Box`), as the folder-name rule says anywhere.
fn by_name(dir: PathBuf, names: &Locator) -> Option<DeclaredLocation> {
    let name = dir.file_name()?.to_str()?.to_string();
    let location = names.by_folder_name(&name, &dir)?;
    Some(DeclaredLocation { path: dir, kind: location.kind, provider: location.provider })
}

/// A settings file's text: UTF-16 (OneDrive on Windows writes its `.ini` files so; with or without
/// a byte-order mark) or UTF-8.
fn settings_text(bytes: &[u8]) -> String {
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || (bytes.len() >= 2 && bytes[0] != 0 && bytes[1] == 0);
    let encoding = if utf16 { encoding_rs::UTF_16LE } else { encoding_rs::UTF_8 };
    encoding.decode(bytes).0.into_owned()
}

/// The `path` values of Dropbox's `info.json` (`{"personal": {"path": ...}, "business": {...}}`).
fn dropbox_info_paths(json: &str) -> Vec<PathBuf> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    value
        .as_object()
        .map(|accounts| accounts.values().filter_map(|a| a.get("path")?.as_str()).map(PathBuf::from).collect())
        .unwrap_or_default()
}

/// The Linux OneDrive client's `sync_dir` (`~/OneDrive` when unset).
fn onedrive_sync_dir(config: &str, home: &Path) -> PathBuf {
    let dir = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("sync_dir"))
        .filter_map(|rest| rest.trim().strip_prefix('=')?.trim().trim_matches('"').to_string().into())
        .next()
        .unwrap_or_else(|| "~/OneDrive".to_string());
    dir.strip_prefix("~/").map_or_else(|| PathBuf::from(&dir), |rest| home.join(rest))
}

/// Each `...\localPath=` of a Nextcloud or ownCloud client's configuration.
fn nextcloud_paths(config: &str) -> Vec<PathBuf> {
    config
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(key, _)| key.ends_with("\\localPath"))
        .map(|(_, value)| PathBuf::from(value.trim()))
        .collect()
}

/// A OneDrive account's folder: a personal account's is unmanaged; a business account's is managed
/// when its organisation or tenant id is a managed one, or, when neither is known, when the
/// folder's name (`OneDrive - <Organisation>`) says so.
fn onedrive_root(
    folder: PathBuf,
    account: &str,
    organisation: Option<&str>,
    tenant_id: Option<&str>,
    names: &Locator,
) -> DeclaredLocation {
    let business = account.starts_with("Business");
    let managed = business
        && if organisation.is_some() || tenant_id.is_some() {
            organisation.into_iter().chain(tenant_id).any(|t| names.is_managed_tenant(t))
        } else {
            folder_says_managed(&folder, names)
        };
    let kind = if managed { LocationKind::ManagedCloud } else { LocationKind::UnmanagedCloud };
    DeclaredLocation { path: folder, kind, provider: Some("onedrive".into()) }
}

/// Whether `folder`'s last component is `OneDrive - <managed organisation>` (split at either
/// separator: the settings may name a Windows path while another system reads them).
/// The folder of an account the registry records.
fn recorded_onedrive(account: &RecordedOneDrive, names: &Locator) -> DeclaredLocation {
    let (organisation, tenant_id) = (account.organisation.as_deref(), account.tenant_id.as_deref());
    onedrive_root(account.folder.clone(), &account.account, organisation, tenant_id, names)
}

fn folder_says_managed(folder: &Path, names: &Locator) -> bool {
    folder
        .to_str()
        .and_then(|f| f.trim_end_matches(['/', '\\']).rsplit(['/', '\\']).next())
        .and_then(|n| names.business_onedrive(n))
        .is_some_and(|l| l.kind == LocationKind::ManagedCloud)
}

/// Every account in OneDrive's `settings` folder (`Personal`, `Business1`, ...): the folders its
/// `<cid>.ini` names, managed when the account is a business one of a managed organisation: the
/// one the registry records for the account of the same name, else (the files do not name it)
/// when one of its folders is `OneDrive - <managed organisation>`.
fn onedrive_settings(settings: &Path, recorded: &[RecordedOneDrive], names: &Locator) -> Vec<DeclaredLocation> {
    let mut roots = Vec::new();
    for dir in crate::platform::subfolders(settings) {
        let Some(account) = dir.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        let business = account.strip_prefix("Business").is_some_and(|n| n.parse::<u8>().is_ok());
        if !business && account != "Personal" {
            continue;
        }
        let read = |name: &str| crate::fsutil::read_small_bytes(&dir.join(name)).ok().map(|b| settings_text(&b));
        let Some(cid) = read("global.ini").and_then(|g| ini_value(&g, "cid")) else { continue };
        let Some(folders) = read(&format!("{cid}.ini")).map(|t| library_folders(&t)) else { continue };
        let kind = match recorded.iter().find(|a| a.account == account) {
            Some(a) => recorded_onedrive(a, names).kind,
            None if business && folders.iter().any(|f| folder_says_managed(f, names)) => LocationKind::ManagedCloud,
            None => LocationKind::UnmanagedCloud,
        };
        roots.extend(folders.into_iter().map(|path| DeclaredLocation {
            path,
            kind,
            provider: Some("onedrive".into()),
        }));
    }
    roots
}

/// The value of `key = value` in a OneDrive `.ini` text.
fn ini_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().to_string()).filter(|v| !v.is_empty())
    })
}

/// The synced folders a OneDrive `<cid>.ini` names: on each `library`, `libraryScope` and
/// `libraryFolder` line, the first quoted field that is an absolute path (the fields before it
/// are ids and names, and their number differs between the lines and the client's versions).
fn library_folders(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter(|l| {
            l.split_once(" = ").is_some_and(|(k, _)| matches!(k.trim(), "library" | "libraryScope" | "libraryFolder"))
        })
        .filter_map(|l| l.split('"').skip(1).step_by(2).find(|f| is_absolute_anywhere(f)).map(PathBuf::from))
        .collect()
}

/// `/Users/...`, `C:\...` or `\\server\...`, whatever system reads it.
fn is_absolute_anywhere(path: &str) -> bool {
    let b = path.as_bytes();
    path.starts_with('/')
        || path.starts_with("\\\\")
        || (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
}

/// Google Drive for desktop's drives: each account's `mount_point_path`, the default mount point,
/// else `G:` (its default).
fn google_drive_mounts(recorded: &RecordedSettings) -> Vec<PathBuf> {
    let mut points: Vec<String> =
        recorded.google_drive_accounts.as_deref().map(per_account_mount_points).unwrap_or_default();
    points.extend(recorded.google_drive_mount.clone());
    if points.is_empty() {
        points.push("G".to_string());
    }
    points.iter().map(|p| mount_point(p)).collect()
}

/// `mount_point_path` of each account in `PerAccountPreferences`
/// (`{"per_account_preferences": [{"key": ..., "value": {"mount_point_path": "G"}}]}`).
fn per_account_mount_points(json: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    value
        .get("per_account_preferences")
        .and_then(|a| a.as_array())
        .map(|accounts| {
            accounts
                .iter()
                .filter_map(|a| a.get("value")?.get("mount_point_path")?.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A drive letter (`G`, `G:`, `G:\`) as its root folder (`G:\`); a folder as itself.
fn mount_point(value: &str) -> PathBuf {
    let value = value.trim();
    let letter = value.trim_end_matches(['\\', ':']);
    if letter.len() == 1 && letter.bytes().all(|b| b.is_ascii_alphabetic()) {
        PathBuf::from(format!("{}:\\", letter.to_ascii_uppercase()))
    } else {
        PathBuf::from(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Locator {
        Locator::with_known(Vec::new(), &["Loughborough University".to_string(), "0f3c2b9a-1111".to_string()])
    }

    fn utf16(text: &str) -> Vec<u8> {
        [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
    }

    fn kinds(roots: &[DeclaredLocation]) -> Vec<(String, LocationKind)> {
        roots.iter().map(|r| (r.path.to_string_lossy().into_owned(), r.kind)).collect()
    }

    #[test]
    fn dropbox_info_names_every_account() {
        assert_eq!(
            dropbox_info_paths(
                r#"{"personal": {"path": "/home/a/Work Box", "host": 1}, "business": {"path": "/srv/db"}}"#
            ),
            vec![PathBuf::from("/srv/db"), PathBuf::from("/home/a/Work Box")],
            "both accounts, business and personal"
        );
        assert!(dropbox_info_paths("not json").is_empty());
    }

    #[test]
    fn another_users_sync_client_configuration_names_their_sync_root() {
        let home = tempfile::tempdir().unwrap();
        let renamed = home.path().join("Work files");
        let info = serde_json::json!({"personal": {"path": renamed}}).to_string();
        let dropbox = home.path().join("info.json");
        std::fs::write(&dropbox, &info).unwrap();
        let nextcloud = home.path().join("nextcloud.cfg");
        std::fs::write(&nextcloud, "[Accounts]\n0\\Folders\\1\\localPath=/srv/jsmith/cloud/\n").unwrap();
        let (recorded, names) = (RecordedSettings::default(), names());
        let found = |path: &Path, settings| from_settings(path, settings, home.path(), &recorded, &names);
        let roots: Vec<DeclaredLocation> = [
            found(&dropbox, ClientSettings::DropboxInfo),
            found(&nextcloud, ClientSettings::NextcloudConfig("nextcloud")),
            found(&home.path().join("absent.json"), ClientSettings::DropboxInfo),
        ]
        .concat();
        let roots: Vec<(PathBuf, Option<String>)> = roots.into_iter().map(|l| (l.path, l.provider)).collect();
        assert_eq!(
            roots,
            [
                (renamed, Some("dropbox".to_string())),
                (PathBuf::from("/srv/jsmith/cloud/"), Some("nextcloud".to_string()))
            ]
        );
        assert_eq!(onedrive_sync_dir("# none\n", Path::new("/home/a")), PathBuf::from("/home/a/OneDrive"));
        assert_eq!(onedrive_sync_dir("sync_dir = \"~/Cloud\"\n", Path::new("/home/a")), PathBuf::from("/home/a/Cloud"));
    }

    #[test]
    fn onedrive_settings_files_name_each_accounts_folders() {
        let settings = tempfile::tempdir().unwrap();
        let account = |name: &str, cid: &str, ini: &str| {
            let dir = settings.path().join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("global.ini"), utf16(&format!("lastUpdate = 1\r\ncid = {cid}\r\n"))).unwrap();
            std::fs::write(dir.join(format!("{cid}.ini")), utf16(ini)).unwrap();
        };
        // As the Windows client writes them: UTF-16 with a byte-order mark, CRLF.
        account(
            "Personal",
            "3dea8a9886f05935",
            "library = 1 4 A \"OneDrive\" \"C:\\Users\\ann\\OneDrive\" 1 3DEA8A9886F05935!101 0\r\n",
        );
        account(
            "Business1",
            "0f3c2b9a-aaaa-bbbb-cccc-1234567890ab",
            "libraryScope = 0 af8c \"OneDrive - Loughborough University\" 1 \"ann@lboro.ac.uk\" \"\" \
             x y z \"C:\\Users\\ann\\OneDrive - Loughborough University\" 5 abc\r\n\
             libraryScope = 1 af8c \"Research - Documents\" 2 \"\" \"\" x y z \
             \"C:\\Users\\ann\\Loughborough University\\Research - Documents\" 5 def\r\n\
             libraryFolder = 0 1 af8c 123 \"Shared\" \"C:\\Users\\ann\\Loughborough University\\Shared\" 4 x\r\n",
        );
        account(
            "Business2",
            "77777777-aaaa-bbbb-cccc-1234567890ab",
            "libraryScope = 0 af8c \"OneDrive - Other Trust\" 1 \"ann@other\" \"\" \"C:\\Users\\ann\\OneDrive - Other Trust\" 5\r\n",
        );
        std::fs::create_dir_all(settings.path().join("logs")).unwrap();
        let mut found = kinds(&onedrive_settings(settings.path(), &[], &names()));
        found.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            found,
            [
                (r"C:\Users\ann\Loughborough University\Research - Documents".to_string(), LocationKind::ManagedCloud),
                (r"C:\Users\ann\Loughborough University\Shared".to_string(), LocationKind::ManagedCloud),
                (r"C:\Users\ann\OneDrive".to_string(), LocationKind::UnmanagedCloud),
                (r"C:\Users\ann\OneDrive - Loughborough University".to_string(), LocationKind::ManagedCloud),
                (r"C:\Users\ann\OneDrive - Other Trust".to_string(), LocationKind::UnmanagedCloud),
            ]
        );
    }

    #[test]
    fn the_registrys_organisation_decides_for_the_settings_folders_account_of_the_same_name() {
        let settings = tempfile::tempdir().unwrap();
        let dir = settings.path().join("Business1");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("global.ini"), utf16("cid = c1\r\n")).unwrap();
        let ini = "libraryScope = 0 x \"Work files\" 1 \"D:\\Work files\" 5\r\n\
                   libraryScope = 1 x \"Research\" 2 \"D:\\Research - Documents\" 5\r\n";
        std::fs::write(dir.join("c1.ini"), utf16(ini)).unwrap();
        let recorded = |organisation: &str| RecordedOneDrive {
            account: "Business1".to_string(),
            folder: PathBuf::from(r"D:\Work files"),
            organisation: Some(organisation.to_string()),
            tenant_id: None,
        };
        let kinds_with = |organisation: &str| {
            kinds(&onedrive_settings(settings.path(), &[recorded(organisation)], &names()))
                .into_iter()
                .map(|(_, kind)| kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(kinds_with("Loughborough University"), [LocationKind::ManagedCloud; 2]);
        assert_eq!(kinds_with("Other Trust"), [LocationKind::UnmanagedCloud; 2]);
        assert_eq!(
            kinds(&onedrive_settings(settings.path(), &[], &names())).into_iter().map(|(_, k)| k).collect::<Vec<_>>(),
            [LocationKind::UnmanagedCloud; 2],
            "no record and no telling folder name: not managed"
        );
    }

    #[test]
    fn macos_onedrive_settings_are_utf8() {
        let text = settings_text(b"libraryScope = 0 x \"OneDrive - Loughborough University\" \"/Users/ann/Library/CloudStorage/OneDrive-Loughborough University\" 1\n");
        assert_eq!(
            library_folders(&text),
            [PathBuf::from("/Users/ann/Library/CloudStorage/OneDrive-Loughborough University")]
        );
        assert_eq!(ini_value(&settings_text(&utf16("cid = abc\r\n")), "cid").as_deref(), Some("abc"));
        assert_eq!(ini_value("cid = \r\n", "cid"), None);
    }

    #[test]
    fn registry_accounts_are_managed_by_organisation_or_tenant_id() {
        let root = |account, organisation, tenant| {
            onedrive_root(PathBuf::from(r"D:\Sync\Work"), account, organisation, tenant, &names()).kind
        };
        assert_eq!(root("Business1", Some("Loughborough University"), None), LocationKind::ManagedCloud);
        assert_eq!(root("Business1", Some("Other Trust"), Some("0F3C2B9A-1111")), LocationKind::ManagedCloud);
        assert_eq!(root("Business2", Some("Other Trust"), Some("1234")), LocationKind::UnmanagedCloud);
        assert_eq!(root("Personal", Some("Loughborough University"), None), LocationKind::UnmanagedCloud);
        assert_eq!(
            onedrive_root(
                PathBuf::from(r"C:\Users\ann\OneDrive - Loughborough University"),
                "Business1",
                None,
                None,
                &names()
            )
            .kind,
            LocationKind::ManagedCloud,
            "no organisation recorded: the folder's name tells"
        );
    }

    #[test]
    fn google_drive_mounts_come_from_the_registry_else_g() {
        let recorded = |mount: Option<&str>, accounts: Option<&str>| RecordedSettings {
            google_drive_mount: mount.map(str::to_string),
            google_drive_accounts: accounts.map(str::to_string),
            ..RecordedSettings::default()
        };
        assert_eq!(google_drive_mounts(&recorded(None, None)), [PathBuf::from("G:\\")]);
        assert_eq!(google_drive_mounts(&recorded(Some("h:"), None)), [PathBuf::from("H:\\")]);
        assert_eq!(
            google_drive_mounts(&recorded(
                None,
                Some(
                    r#"{"per_account_preferences":[{"key":"1","value":{"mount_point_path":"X"}},{"key":"2","value":{"mount_point_path":"D:\\Drive"}}]}"#
                )
            )),
            [PathBuf::from("X:\\"), PathBuf::from("D:\\Drive")]
        );
    }

    #[test]
    fn cloud_storage_entries_and_sync_folders_are_judged_by_name() {
        let home = tempfile::tempdir().unwrap();
        let storage = home.path().join("CloudStorage");
        for name in ["OneDrive-Loughborough University", "GoogleDrive-ann@gmail.com", "Box-Box", ".hidden stuff"] {
            std::fs::create_dir_all(storage.join(name)).unwrap();
        }
        std::fs::create_dir_all(home.path().join("iCloudDrive")).unwrap();
        let (recorded, names) = (RecordedSettings::default(), names());
        let found = |path: &Path, settings| from_settings(path, settings, home.path(), &recorded, &names);
        let mut roots: Vec<(String, LocationKind, Option<String>)> = found(&storage, ClientSettings::CloudStorage)
            .into_iter()
            .chain(found(&home.path().join("iCloudDrive"), ClientSettings::SyncFolder))
            .chain(found(&home.path().join("Box"), ClientSettings::SyncFolder))
            .map(|r| (r.path.file_name().unwrap().to_string_lossy().into_owned(), r.kind, r.provider))
            .collect();
        roots.sort_by(|a, b| a.0.cmp(&b.0));
        let cloud = |p: &str| Some(p.to_string());
        assert_eq!(
            roots,
            [
                ("Box-Box".to_string(), LocationKind::UnmanagedCloud, cloud("box")),
                ("GoogleDrive-ann@gmail.com".to_string(), LocationKind::UnmanagedCloud, cloud("google_drive")),
                ("OneDrive-Loughborough University".to_string(), LocationKind::ManagedCloud, cloud("onedrive")),
                ("iCloudDrive".to_string(), LocationKind::UnmanagedCloud, cloud("icloud")),
            ],
            "an absent Box folder is no root"
        );
    }
}
