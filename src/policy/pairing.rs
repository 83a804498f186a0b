//! `key_stored_with_data`, the rule that spans files: a password or private key stored in clear
//! in the same unmanaged cloud folder or removable volume as an encrypted file, which it may well
//! unlock.
//!
//! One file alone cannot break it, so it is judged in two steps. Here: what a file is to the rule
//! ([`KeyRole`], from its encryption and the classes of the detectors that found something in it,
//! a credential being a detector of class [`DetectorClass::Credential`] as its detector file says),
//! the place it shares with others ([`shared_place`]), and the violation. Elsewhere, whoever knows
//! the other files of the place: `dlp-scan` once every file of a run is known (`scan`), the agent
//! from its state store (`agent::keys`). Both ask this module, from analyses and locations, never
//! from report records.

use std::path::{Path, PathBuf};

use super::{provider_name, Severity, Violation};
use crate::detect::DetectorClass;
use crate::locate::Location;

/// The rule's id.
pub const KEY_STORED_WITH_DATA: &str = super::Rule::KeyStoredWithData.id();

/// What a file is to `key_stored_with_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Encrypted: a key stored beside it defeats the encryption.
    EncryptedData,
    /// A password or key in clear, which may unlock encrypted data beside it.
    Credential,
    /// Neither.
    Neither,
}

impl KeyRole {
    /// The role of a file that is `encrypted` or not, in which detectors of `found` classes found
    /// something (at any confidence).
    pub fn of(encrypted: bool, found: impl IntoIterator<Item = DetectorClass>) -> KeyRole {
        if encrypted {
            KeyRole::EncryptedData
        } else if found.into_iter().any(|class| class == DetectorClass::Credential) {
            KeyRole::Credential
        } else {
            KeyRole::Neither
        }
    }
}

/// The place a file shares with the others the rule pairs it with: the sync folder or volume of
/// an unmanaged cloud or removable location; `None` anywhere else, where keys may sit beside data.
pub fn shared_place(location: &Location) -> Option<&Path> {
    location.root.as_deref().filter(|_| location.kind.is_exposed())
}

/// A file that takes part in the rule: a credential or encrypted data in a shared place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    /// What the file is to the rule (never [`KeyRole::Neither`]).
    pub role: KeyRole,
    /// The sync folder or volume it is in.
    pub place: PathBuf,
    /// The place's provider (`dropbox`, `usb`), for the violation's reason.
    pub provider: Option<String>,
}

impl Pairing {
    /// The file's part in the rule, when it has one: few files have (a run holds them back).
    pub fn of(role: KeyRole, location: &Location) -> Option<Pairing> {
        let place = shared_place(location).filter(|_| role != KeyRole::Neither)?;
        Some(Pairing { role, place: place.to_path_buf(), provider: location.provider.clone() })
    }

    /// The violation of a credential stored where encrypted data is.
    pub fn violation(&self) -> Violation {
        let place = self.provider.as_deref().map_or("the same volume", provider_name);
        key_stored_with_data(&format!("the same folder ({place})"))
    }
}

/// The violation, for a credential stored in `place` (as people say it).
fn key_stored_with_data(place: &str) -> Violation {
    Violation {
        rule: KEY_STORED_WITH_DATA,
        severity: Severity::High,
        reason: format!("a password or key is stored in {place} beside encrypted files it may unlock"),
        remediation: "keep passwords and keys apart from the data (a password manager), and change them",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locate::LocationKind;

    fn location(kind: LocationKind, root: Option<&str>) -> Location {
        Location { kind, provider: Some("dropbox".into()), root: root.map(PathBuf::from), volume_encryption: None }
    }

    #[test]
    fn a_credential_is_a_detector_class_and_encryption_comes_first() {
        assert_eq!(KeyRole::of(false, [DetectorClass::Identifier, DetectorClass::Credential]), KeyRole::Credential);
        assert_eq!(KeyRole::of(true, [DetectorClass::Credential]), KeyRole::EncryptedData);
        assert_eq!(KeyRole::of(false, [DetectorClass::Identifier]), KeyRole::Neither);
    }

    #[test]
    fn only_files_with_a_role_in_a_shared_exposed_place_take_part() {
        let dropbox = location(LocationKind::UnmanagedCloud, Some("/h/Dropbox"));
        let pairing = Pairing::of(KeyRole::Credential, &dropbox).unwrap();
        assert_eq!(pairing.place, Path::new("/h/Dropbox"));
        assert_eq!(
            pairing.violation().reason,
            "a password or key is stored in the same folder (Dropbox) beside encrypted files it may unlock"
        );
        assert_eq!(Pairing::of(KeyRole::Neither, &dropbox), None);
        assert_eq!(Pairing::of(KeyRole::Credential, &location(LocationKind::UnmanagedCloud, None)), None);
        assert_eq!(Pairing::of(KeyRole::EncryptedData, &location(LocationKind::Local, Some("/h"))), None);
    }
}
