//! Findings that cannot show the value they were made from.
//!
//! A matched value exists in clear only inside `detect` while it is validated. It leaves as a
//! [`Redacted`]: a masked form, the value's length and a keyed fingerprint. `Redacted` has no field,
//! method or trait implementation that returns the value, so no log line, error, panic message or
//! report built from findings can carry it.
//!
//! The fingerprint is HMAC-SHA256 under a per-installation key ([`FingerprintKey`]): a SIEM can count
//! and de-duplicate values across files and machines of one installation, but cannot test a guessed
//! NI number against it without the key.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Confidence;

/// The secret that keys value fingerprints. Loaded once per run from the configured key file.
#[derive(Clone)]
pub struct FingerprintKey(Vec<u8>);

impl FingerprintKey {
    /// Wraps key bytes (at least 16 are expected; the key file holds 32 random bytes).
    pub fn new(bytes: Vec<u8>) -> Self {
        FingerprintKey(bytes)
    }

    /// Fingerprint of a normalised value for one detector: the first 16 bytes of
    /// HMAC-SHA256(key, detector id || 0x00 || value), in lower-case hex. The detector id is part of
    /// the input so that one digit string found as two identifier kinds gets two fingerprints.
    pub fn fingerprint(&self, detector_id: &str, normalised: &[u8]) -> Fingerprint {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(detector_id.as_bytes());
        mac.update(&[0]);
        mac.update(normalised);
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Fingerprint(bytes)
    }
}

impl FingerprintKey {
    /// The key in hex, to hand to a worker process of this run (never logged or reported).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses a key written by [`FingerprintKey::to_hex`].
    pub fn from_hex(hex: &str) -> Option<FingerprintKey> {
        let bytes: Option<Vec<u8>> =
            (0..hex.len() / 2).map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()).collect();
        bytes.filter(|b| b.len() >= 16).map(FingerprintKey)
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey(..)")
    }
}

/// A keyed fingerprint of one normalised value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 16]);

impl Fingerprint {
    /// Parses the 32-hex-digit form that `Display` writes.
    pub fn from_hex(hex: &str) -> Option<Fingerprint> {
        if hex.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Fingerprint(bytes))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How much of a value its masked form shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MaskStyle {
    /// The first two and the last character of identifiers of 8 or more characters; otherwise none.
    #[default]
    Edges,
    /// Nothing but the length (secrets such as passwords and keys).
    Full,
    /// Dates of birth: at most the century (the first two digits of a four-digit year). Day and
    /// month are never shown, nor are separators, whose places would tell one- from two-digit
    /// days and months.
    Date,
}

/// A matched value in the only form that may leave `detect`.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted {
    masked: String,
    len: usize,
    fingerprint: Fingerprint,
}

impl Redacted {
    /// Builds the redacted form of a normalised value. The value is borrowed, never stored.
    pub fn new(normalised: &[u8], style: MaskStyle, fingerprint: Fingerprint) -> Self {
        Redacted { masked: mask(normalised, style), len: normalised.len(), fingerprint }
    }

    /// The masked form, such as `AB******C`.
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// Length of the normalised value in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a zero-length value (never produced by a detector; present for API symmetry).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The keyed fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redacted({} len={} fp={})", self.masked, self.len, self.fingerprint)
    }
}

fn mask(value: &[u8], style: MaskStyle) -> String {
    if style == MaskStyle::Date {
        return mask_date(value);
    }
    let n = value.len();
    let shown_edges = style == MaskStyle::Edges && n >= 8;
    value
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let keep = shown_edges && (i < 2 || i == n - 1) && b.is_ascii_graphic();
            if keep {
                char::from(b)
            } else if b == b'@' && style == MaskStyle::Edges {
                '@'
            } else {
                '*'
            }
        })
        .collect()
}

/// Stars everywhere but the century: `15/03/1985` becomes `******19**`.
fn mask_date(value: &[u8]) -> String {
    let century = four_digit_year(value);
    value
        .iter()
        .enumerate()
        .map(|(i, &b)| if century.is_some_and(|at| i == at || i == at + 1) { char::from(b) } else { '*' })
        .collect()
}

/// Where the first run of exactly four digits starts (a two-digit year shows nothing).
fn four_digit_year(value: &[u8]) -> Option<usize> {
    let digit = |i: usize| value.get(i).is_some_and(u8::is_ascii_digit);
    (0..value.len().saturating_sub(3)).find(|&i| (i..i + 4).all(digit) && !digit(i + 4) && (i == 0 || !digit(i - 1)))
}

/// One validated occurrence of a detector's pattern.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Index of the detector in the engine's detector list.
    pub detector: usize,
    /// Confidence tier after validator and context.
    pub confidence: Confidence,
    /// The value, redacted.
    pub value: Redacted,
    /// Byte offset of the match in the extracted text of the file (not the file's bytes).
    pub offset: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_show_edges_only_for_long_values() {
        let key = FingerprintKey::new(vec![7; 32]);
        let fp = key.fingerprint("uk_nino", b"AB123456C");
        let r = Redacted::new(b"AB123456C", MaskStyle::Edges, fp);
        assert_eq!(r.masked(), "AB******C");
        assert_eq!(r.len(), 9);
        let short = Redacted::new(b"SW1A1AA", MaskStyle::Edges, fp);
        assert_eq!(short.masked(), "*******");
        let secret = Redacted::new(b"hunter2hunter2", MaskStyle::Full, fp);
        assert_eq!(secret.masked(), "**************");
    }

    #[test]
    fn a_date_of_birth_mask_shows_no_day_or_month() {
        let fp = FingerprintKey::new(vec![7; 32]).fingerprint("date_of_birth", b"x");
        let masked = |v: &[u8]| Redacted::new(v, MaskStyle::Date, fp).masked().to_string();
        assert_eq!(masked(b"15/03/1985"), "******19**");
        assert_eq!(masked(b"2001-03-03"), "20********");
        assert_eq!(masked(b"3rd March 2001"), "**********20**");
        assert_eq!(masked(b"1.3.85"), "******", "a two-digit year shows nothing");
        assert_eq!(masked(b"12/11/1985").len(), 10, "one star per byte, as the length is reported anyway");
    }

    #[test]
    fn debug_never_shows_the_value() {
        let key = FingerprintKey::new(vec![1; 32]);
        let r = Redacted::new(b"AB123456C", MaskStyle::Edges, key.fingerprint("uk_nino", b"AB123456C"));
        assert!(!format!("{r:?}").contains("123456"));
    }

    #[test]
    fn fingerprints_and_keys_round_trip_through_hex() {
        let key = FingerprintKey::new(vec![3; 32]);
        let fp = key.fingerprint("d", b"v");
        assert_eq!(Fingerprint::from_hex(&fp.to_string()), Some(fp));
        let again = FingerprintKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(again.fingerprint("d", b"v"), fp);
    }

    #[test]
    fn fingerprints_depend_on_key_detector_and_value() {
        let a = FingerprintKey::new(vec![1; 32]);
        let b = FingerprintKey::new(vec![2; 32]);
        assert_eq!(a.fingerprint("x", b"v"), a.fingerprint("x", b"v"));
        assert_ne!(a.fingerprint("x", b"v"), b.fingerprint("x", b"v"));
        assert_ne!(a.fingerprint("x", b"v"), a.fingerprint("y", b"v"));
        assert_eq!(a.fingerprint("x", b"v").to_string().len(), 32);
    }
}
