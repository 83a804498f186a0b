//! Whether a file is encrypted, with what, and whether that is strong.
//!
//! The vocabulary of `method` is fixed (reports and SIEM rules depend on it): `zip-aes256`,
//! `zip-aes192`, `zip-aes128`, `zipcrypto`, `7z-aes256`, `rar-aes256`, `rar-legacy`, `pdf-aes256`,
//! `pdf-aes128`, `pdf-rc4-128`, `pdf-rc4-40`, `ooxml-agile`, `ooxml-standard`, `office-rc4`,
//! `odf-aes256`, `odf-blowfish`, `openpgp`, `age`, `luks`, `kdbx`, `encrypted-container-suspected`,
//! and for a private key file protected by a passphrase `openssh-key`, `pem-key`, `putty-key`.
//! `strong` is true only for 256-bit AES or a modern AEAD (age); it is `None` when the strength
//! cannot be seen without the key.
//!
//! The sniffers here read headers only; they never guess content or try passwords.

use serde::Serialize;

/// The fixed vocabulary of `method`.
pub const METHODS: [&str; 24] = [
    "zip-aes256",
    "zip-aes192",
    "zip-aes128",
    "zipcrypto",
    "7z-aes256",
    "rar-aes256",
    "rar-legacy",
    "pdf-aes256",
    "pdf-aes128",
    "pdf-rc4-128",
    "pdf-rc4-40",
    "ooxml-agile",
    "ooxml-standard",
    "office-rc4",
    "odf-aes256",
    "odf-blowfish",
    "openpgp",
    "age",
    "luks",
    "kdbx",
    "encrypted-container-suspected",
    "openssh-key",
    "pem-key",
    "putty-key",
];

/// The vocabulary entry spelled `name`.
pub fn method_named(name: &str) -> Option<&'static str> {
    METHODS.iter().find(|m| **m == name).copied()
}

/// The encryption state of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encryption {
    /// True when the file is encrypted.
    pub encrypted: bool,
    /// The scheme, from the fixed vocabulary above.
    pub method: Option<&'static str>,
    /// True only for AES-256 or a modern AEAD; `None` when unknown or not encrypted.
    pub strong: Option<bool>,
    /// Cipher and key size where the headers show them, e.g. `AES-256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Anything else worth knowing (file names encrypted too, opens without a password, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// True when only part of a container is encrypted and the rest was read in clear: an archive
    /// holding encrypted and unencrypted members, a message with an encrypted attachment beside
    /// its body. What was found was found in the clear part, so it is not encrypted at rest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partly: bool,
}

impl Encryption {
    /// A file with no sign of encryption.
    pub fn none() -> Self {
        Encryption { encrypted: false, method: None, strong: None, cipher: None, note: None, partly: false }
    }

    /// An encrypted file using `method`.
    pub fn with(method: &'static str, strong: Option<bool>) -> Self {
        Encryption { encrypted: true, method: Some(method), strong, cipher: None, note: None, partly: false }
    }

    /// Adds the cipher name.
    pub fn cipher(mut self, cipher: impl Into<String>) -> Self {
        self.cipher = Some(cipher.into());
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// The weaker of two encryptions (an archive is only as strong as its weakest member).
    pub fn weakest(self, other: Encryption) -> Encryption {
        let rank = |e: &Encryption| match (e.encrypted, e.strong) {
            (false, _) => 3,
            (true, Some(false)) => 0,
            (true, None) => 1,
            (true, Some(true)) => 2,
        };
        if rank(&other) < rank(&self) {
            other
        } else {
            self
        }
    }
}

fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Encryption of one zip entry from its local file header (30 bytes, name, extra field). ZipCrypto
/// sets general-purpose bit 0; WinZip AES uses method 99 and extra field 0x9901, whose strength byte
/// is 1, 2 or 3 for AES-128, -192 or -256.
pub fn zip_entry(local_header: &[u8]) -> Option<Encryption> {
    if u32_le(local_header, 0)? != 0x0403_4B50 {
        return None;
    }
    let flags = u16_le(local_header, 6)?;
    if flags & 1 == 0 {
        return None;
    }
    let method = u16_le(local_header, 8)?;
    if method != 99 {
        return Some(Encryption::with("zipcrypto", Some(false)).cipher("ZipCrypto"));
    }
    let name_len = usize::from(u16_le(local_header, 26)?);
    let extra_len = usize::from(u16_le(local_header, 28)?);
    let mut extra = local_header.get(30 + name_len..30 + name_len + extra_len)?;
    while extra.len() >= 4 {
        let (id, size) = (u16_le(extra, 0)?, usize::from(u16_le(extra, 2)?));
        let body = extra.get(4..4 + size)?;
        if id == 0x9901 && body.len() >= 5 {
            return Some(match body[4] {
                1 => Encryption::with("zip-aes128", Some(false)).cipher("AES-128"),
                2 => Encryption::with("zip-aes192", Some(false)).cipher("AES-192"),
                _ => Encryption::with("zip-aes256", Some(true)).cipher("AES-256"),
            });
        }
        extra = &extra[4 + size..];
    }
    Some(Encryption::with("zip-aes256", None).note("AES extra field missing; strength unknown"))
}

/// An encrypted OOXML package (a compound file holding `EncryptionInfo`), from that stream's start.
/// Version 4.4 is Agile (XML follows, with the cipher and key size); x.2 is Standard (a binary
/// header with an algorithm id and key size).
pub fn ooxml_encryption_info(info: &[u8]) -> Encryption {
    let (Some(major), Some(minor)) = (u16_le(info, 0), u16_le(info, 2)) else {
        return Encryption::with("ooxml-agile", None);
    };
    if (major, minor) == (4, 4) {
        let xml = String::from_utf8_lossy(&info[8.min(info.len())..]);
        let key_data = xml.find("<keyData").map_or(&xml[..], |at| &xml[at..]);
        let cipher = attribute(key_data, "cipherAlgorithm").unwrap_or("AES");
        let bits: u32 = attribute(key_data, "keyBits").and_then(|b| b.parse().ok()).unwrap_or(0);
        let strong = cipher.eq_ignore_ascii_case("AES") && bits >= 256;
        return Encryption::with("ooxml-agile", Some(strong)).cipher(format!("{cipher}-{bits}"));
    }
    // Standard: version (4), flags (4), header size (4), then the header: flags, size extra,
    // algorithm id, hash id, key size in bits.
    let alg = u32_le(info, 20).unwrap_or(0);
    let bits = u32_le(info, 28).unwrap_or(0);
    let cipher = match alg {
        0x6801 => "RC4".to_string(),
        0x660E..=0x6610 => format!("AES-{bits}"),
        _ => format!("alg-{alg:#x}-{bits}"),
    };
    let strong = matches!(alg, 0x6610) || (matches!(alg, 0x660E..=0x6610) && bits >= 256);
    Encryption::with("ooxml-standard", Some(strong)).cipher(cipher)
}

fn attribute<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let at = xml.find(&format!("{name}=\""))? + name.len() + 2;
    let end = xml[at..].find('"')?;
    Some(&xml[at..at + end])
}

/// OpenDocument encryption from `META-INF/manifest.xml`: Blowfish CFB (ODF 1.1 and older) or AES.
pub fn odf_manifest(manifest: &str) -> Option<Encryption> {
    if !manifest.contains("encryption-data") {
        return None;
    }
    if manifest.contains("aes256") || manifest.contains("aes256-gcm") {
        Some(Encryption::with("odf-aes256", Some(true)).cipher("AES-256"))
    } else if manifest.contains("aes") {
        Some(Encryption::with("odf-aes256", Some(false)).cipher("AES").note("AES with a key shorter than 256 bits"))
    } else {
        Some(Encryption::with("odf-blowfish", Some(false)).cipher("Blowfish CFB"))
    }
}

/// OpenPGP: the first packet tells. A symmetric-key session key (tag 3) or a version-2 SEIPD
/// packet names the cipher; a public-key session key (tag 1) hides it.
pub fn openpgp(bytes: &[u8]) -> Encryption {
    let packets = dearmour(bytes).unwrap_or_else(|| bytes.to_vec());
    let Some((tag, body)) = first_packet(&packets) else {
        return Encryption::with("openpgp", None);
    };
    let algorithm = match tag {
        3 if body.first() == Some(&4) => body.get(1).copied(),
        3 if body.first() == Some(&6) => body.get(2).copied(),
        18 if body.first() == Some(&2) => body.get(1).copied(),
        _ => None,
    };
    match algorithm {
        Some(id) => {
            let (name, strong) = match id {
                1 => ("IDEA", false),
                2 => ("TripleDES", false),
                3 => ("CAST5", false),
                4 => ("Blowfish", false),
                7 => ("AES-128", false),
                8 => ("AES-192", false),
                9 => ("AES-256", true),
                10 => ("Twofish-256", false),
                11..=13 => ("Camellia", false),
                _ => ("unknown", false),
            };
            Encryption::with("openpgp", Some(strong)).cipher(name)
        }
        None if tag == 1 => {
            Encryption::with("openpgp", None).note("public-key encrypted; the cipher is inside the session key")
        }
        None => Encryption::with("openpgp", None),
    }
}

/// A private key file protected by a passphrase, from its own header (the file starts with the key):
/// OpenSSH's `openssh-key-v1` cipher name (OpenSSH PROTOCOL.key), a legacy PEM key's `Proc-Type:
/// 4,ENCRYPTED` and `DEK-Info` (RFC 1421 section 4.6.1), a PKCS#8 `ENCRYPTED PRIVATE KEY` (RFC 5958)
/// with its PBES2 cipher's object identifier, PuTTY's `Encryption:` line. `None` for a key in clear
/// or a file that is not a key.
pub fn private_key(head: &[u8]) -> Option<Encryption> {
    // Each of these keys opens, after white space, with `-----BEGIN ` or `PuTTY-User-Key-File-`:
    // any other text is told from its first bytes, without validating 4 KiB of UTF-8 (this runs
    // on every text file). A first byte past ASCII (white space of Unicode's) takes the full test.
    let opening = head.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'));
    let opens_a_key = |rest: &[u8]| {
        rest.starts_with(b"-----BEGIN ") || rest.starts_with(b"PuTTY-User-Key-File-") || !rest[0].is_ascii()
    };
    if !opening.is_some_and(|at| opens_a_key(&head[at..])) {
        return None;
    }
    let text = std::str::from_utf8(&head[..head.len().min(4096)]).ok()?.trim_start();
    if let Some(body) = text.strip_prefix("-----BEGIN OPENSSH PRIVATE KEY-----") {
        let key = armoured_prefix(body)?;
        let cipher = openssh_cipher(&key)?;
        return (cipher != "none").then(|| {
            let strong = cipher.starts_with("aes256") || cipher.starts_with("chacha20-poly1305");
            Encryption::with("openssh-key", Some(strong)).cipher(cipher)
        });
    }
    if let Some(body) = text.strip_prefix("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let der = armoured_prefix(body)?;
        let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
        // aes256-CBC 2.16.840.1.101.3.4.1.42 and aes128-CBC ...1.2 (NIST), des-ede3-cbc 1.2.840.113549.3.7.
        let (cipher, strong) = if has(&[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A]) {
            (Some("AES-256-CBC"), Some(true))
        } else if has(&[0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02]) {
            (Some("AES-128-CBC"), Some(false))
        } else if has(&[0x06, 0x08, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x07]) {
            (Some("DES-EDE3-CBC"), Some(false))
        } else {
            (None, None)
        };
        let found = Encryption::with("pem-key", strong);
        return Some(match cipher {
            Some(cipher) => found.cipher(cipher),
            None => found,
        });
    }
    if text.starts_with("-----BEGIN ") && text.lines().next()?.ends_with(" PRIVATE KEY-----") {
        let mut headers = text.lines().skip(1).take_while(|l| l.contains(':'));
        if !headers.clone().any(|l| l.trim() == "Proc-Type: 4,ENCRYPTED") {
            return None;
        }
        let cipher = headers.find_map(|l| l.strip_prefix("DEK-Info:"))?.split(',').next()?.trim();
        return Some(Encryption::with("pem-key", Some(cipher.starts_with("AES-256"))).cipher(cipher));
    }
    if text.starts_with("PuTTY-User-Key-File-") {
        let cipher = text.lines().take(4).find_map(|l| l.strip_prefix("Encryption:"))?.trim();
        return (cipher != "none")
            .then(|| Encryption::with("putty-key", Some(cipher.starts_with("aes256"))).cipher(cipher));
    }
    None
}

/// The first bytes of an armoured key's base64 body (enough for its header), skipping any
/// `Name: value` header lines.
fn armoured_prefix(body: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let b64: String = body
        .lines()
        .filter(|l| !l.contains(':'))
        .take_while(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .take(512)
        .collect();
    let whole_quads = &b64[..b64.len() / 4 * 4];
    base64::engine::general_purpose::STANDARD.decode(whole_quads.as_bytes()).ok()
}

/// The cipher name of an `openssh-key-v1` key: the magic, then a length-prefixed string.
fn openssh_cipher(key: &[u8]) -> Option<&str> {
    let rest = key.strip_prefix(b"openssh-key-v1\0")?;
    let len = usize::try_from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)).ok()?;
    std::str::from_utf8(rest.get(4..4 + len)?).ok()
}

fn dearmour(bytes: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text = std::str::from_utf8(&bytes[..bytes.len().min(64 << 10)]).ok()?;
    let start = text.find("-----BEGIN PGP MESSAGE-----")?;
    let body = &text[start..];
    let blank = body.find("\n\n").or_else(|| body.find("\r\n\r\n"))?;
    let b64: String = body[blank..]
        .lines()
        .take_while(|l| !l.starts_with('=') && !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64.as_bytes()).ok()
}

fn first_packet(p: &[u8]) -> Option<(u8, &[u8])> {
    let header = packet_header(p)?;
    let end = header.body_len.map_or(p.len(), |n| header.len.saturating_add(n).min(p.len()));
    Some((header.tag, p.get(header.len..end)?))
}

/// An OpenPGP packet header (RFC 9580 section 4.2).
#[derive(Debug, PartialEq, Eq)]
struct PacketHeader {
    tag: u8,
    /// Bytes of the header itself.
    len: usize,
    /// Bytes of the body; `None` for a partial or indeterminate length (data packets only).
    body_len: Option<usize>,
}

/// Parses the packet header at the start of `p`: new format (bits 7 and 6 set, one-, two- or
/// five-octet lengths, partial lengths) or legacy format (bit 7, tag in bits 5-2, length type
/// in bits 1-0).
fn packet_header(p: &[u8]) -> Option<PacketHeader> {
    let first = *p.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let be = |r: std::ops::Range<usize>| p.get(r).map(|b| b.iter().fold(0usize, |n, &x| n << 8 | usize::from(x)));
    let (tag, len, body_len) = if first & 0x40 != 0 {
        match *p.get(1)? {
            l @ 0..=191 => (first & 0x3F, 2, Some(usize::from(l))),
            l @ 192..=223 => (first & 0x3F, 3, Some((usize::from(l) - 192) * 256 + usize::from(*p.get(2)?) + 192)),
            255 => (first & 0x3F, 6, Some(be(2..6)?)),
            _ => (first & 0x3F, 2, None),
        }
    } else {
        let tag = (first >> 2) & 0x0F;
        match first & 3 {
            0 => (tag, 2, Some(be(1..2)?)),
            1 => (tag, 3, Some(be(1..3)?)),
            2 => (tag, 5, Some(be(1..5)?)),
            _ => (tag, 1, None),
        }
    };
    Some(PacketHeader { tag, len, body_len })
}

/// True when `head` (the first bytes of a file) is an encrypted OpenPGP message as RFC 9580
/// section 10.3 shapes one: one or more session-key packets (tag 1 public-key, tag 3 symmetric),
/// each whole, of a known version and a plausible length, followed by an encrypted data packet
/// (tag 9, 18 or 20). One byte that happens to be a packet tag is not enough.
pub fn is_openpgp_message(head: &[u8]) -> bool {
    let mut at = 0;
    let mut session_keys = 0;
    while let Some(header) = head.get(at..).and_then(packet_header) {
        let body = header.body_len.and_then(|n| head.get(at + header.len..at + header.len + n));
        match (header.tag, body) {
            (1 | 3, Some(body)) if is_session_key(header.tag, body) => {
                session_keys += 1;
                at += header.len + body.len();
            }
            (9 | 18 | 20, _) => return session_keys > 0,
            _ => return false,
        }
    }
    false
}

/// A whole session-key packet body of a version RFC 9580 (5.1, 5.3) or RFC 4880 defines: PKESK
/// v3 (key id, public-key algorithm, encrypted key) or v6; SKESK v4 (a symmetric algorithm id,
/// an S2K specifier of type 0, 1 or 3), v5 or v6.
fn is_session_key(tag: u8, body: &[u8]) -> bool {
    match (tag, body) {
        (1, [3, _, _, _, _, _, _, _, _, algorithm, ..]) => {
            body.len() >= 12 && matches!(algorithm, 1..=3 | 16 | 18 | 20 | 22 | 25 | 26)
        }
        (1, [6, ..]) => body.len() >= 12,
        (3, [4, cipher, s2k, ..]) => matches!(cipher, 1..=4 | 7..=13) && matches!(s2k, 0 | 1 | 3) && body.len() <= 64,
        (3, [5 | 6, ..]) => (8..=256).contains(&body.len()),
        _ => false,
    }
}

/// LUKS volume: the cipher and key size are in the header (LUKS1 binary fields, LUKS2 JSON area).
pub fn luks(head: &[u8]) -> Encryption {
    let version = u16::from_be_bytes([head.get(6).copied().unwrap_or(0), head.get(7).copied().unwrap_or(0)]);
    let (cipher, key_bytes) = if version == 1 {
        let text = |r: std::ops::Range<usize>| {
            head.get(r).map(|b| String::from_utf8_lossy(b).trim_end_matches('\0').to_string()).unwrap_or_default()
        };
        let key = head.get(108..112).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        (format!("{}-{}", text(8..40), text(40..72)), key as usize)
    } else {
        let json = String::from_utf8_lossy(&head[head.len().min(4096)..]);
        let cipher = json_string(&json, "encryption").unwrap_or_default();
        let key = json_number(&json, "key_size").unwrap_or(0);
        (cipher, key)
    };
    // XTS splits the key in two, so a 512-bit XTS key is AES-256.
    let bits = if cipher.contains("xts") { key_bytes * 4 } else { key_bytes * 8 };
    let strong = cipher.starts_with("aes") && bits >= 256;
    Encryption::with("luks", Some(strong)).cipher(format!("{cipher} ({bits}-bit)")).note(format!("LUKS{version}"))
}

fn json_string(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = json[at..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

fn json_number(json: &str, key: &str) -> Option<usize> {
    let at = json.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = json[at..].trim_start().strip_prefix(':')?.trim_start();
    rest[..rest.find(|c: char| !c.is_ascii_digit())?].parse().ok()
}

/// A VeraCrypt-style container has no magic: only its statistics give it away. Samples taken at
/// the start, middle and end must all look uniformly random (chi-square against a uniform byte
/// distribution, 255 degrees of freedom: ciphertext lands near 255, compressed data far higher).
pub fn looks_like_ciphertext(samples: &[&[u8]]) -> bool {
    samples.iter().all(|s| s.len() >= 16 << 10 && chi_square(s) < 330.0)
}

fn chi_square(sample: &[u8]) -> f64 {
    let mut counts = [0u64; 256];
    for &b in sample {
        counts[usize::from(b)] += 1;
    }
    let expected = sample.len() as f64 / 256.0;
    counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first lines of keys written by ssh-keygen 9 (`-N`), `openssl genpkey -aes256|-des3` and
    /// `openssl genrsa -aes256 -traditional`: enough for the header, no key material.
    #[test]
    fn a_private_key_protected_by_a_passphrase_is_encrypted_with_its_cipher() {
        let named = |head: &str| private_key(head.as_bytes()).map(|e| (e.method.unwrap(), e.strong, e.cipher));
        let ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDTpyLbUX\n";
        assert_eq!(named(ssh), Some(("openssh-key", Some(true), Some("aes256-ctr".into()))));
        let ssh_clear = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n";
        assert_eq!(named(ssh_clear), None);
        let p8_aes256 =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjx0KjnEZu4fgICCAAw\n\
                         DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEEdGFgPpsNSGC/+rQ4+k+FsEQHI4\n";
        assert_eq!(named(p8_aes256), Some(("pem-key", Some(true), Some("AES-256-CBC".into()))));
        let p8_des3 =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGKME4GCSqGSIb3DQEFDTBBMCkGCSqGSIb3DQEFDDAcBAi6VUDBwFEbhwICCAAw\n\
                       DAYIKoZIhvcNAgkFADAUBggqhkiG9w0DBwQIoNB5GptUzg4EOFphm63Va/NXpAxk\n";
        assert_eq!(named(p8_des3), Some(("pem-key", Some(false), Some("DES-EDE3-CBC".into()))));
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,D038C1DF86727C1BB751CCF6CD638102\n\nMIIC";
        assert_eq!(named(legacy), Some(("pem-key", Some(true), Some("AES-256-CBC".into()))));
        assert_eq!(named("-----BEGIN RSA PRIVATE KEY-----\nMIICXAIBAAKBgQC\n"), None);
        let putty = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\nComment: x\n";
        assert_eq!(named(putty), Some(("putty-key", Some(true), Some("aes256-cbc".into()))));
        assert_eq!(named("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"), None);
        // A key quoted inside other text is not the file's encryption.
        assert_eq!(named(&format!("notes\n{ssh}")), None);
        // White space before the key, ASCII (a vertical tab among it) or Unicode's, is not text.
        assert_eq!(named(&format!("\n \u{b}\t{legacy}")).map(|k| k.0), Some("pem-key"));
        assert_eq!(named(&format!("\u{a0}\u{3000}{putty}")).map(|k| k.0), Some("putty-key"));
        assert_eq!(named("\u{a0}notes"), None);
    }

    fn local_header(flags: u16, method: u16, extra: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 30];
        h[..4].copy_from_slice(b"PK\x03\x04");
        h[6..8].copy_from_slice(&flags.to_le_bytes());
        h[8..10].copy_from_slice(&method.to_le_bytes());
        h[26..28].copy_from_slice(&1u16.to_le_bytes());
        h[28..30].copy_from_slice(&(extra.len() as u16).to_le_bytes());
        h.push(b'a');
        h.extend_from_slice(extra);
        h
    }

    #[test]
    fn zip_entries_tell_zipcrypto_from_aes_strengths() {
        assert_eq!(zip_entry(&local_header(0, 8, &[])), None);
        assert_eq!(zip_entry(&local_header(1, 8, &[])).unwrap().method, Some("zipcrypto"));
        for (strength, method, strong) in [(1, "zip-aes128", false), (2, "zip-aes192", false), (3, "zip-aes256", true)]
        {
            let extra = [0x01, 0x99, 7, 0, 2, 0, b'A', b'E', strength, 8, 0];
            let e = zip_entry(&local_header(1, 99, &extra)).unwrap();
            assert_eq!((e.method, e.strong), (Some(method), Some(strong)));
        }
    }

    #[test]
    fn ooxml_encryption_info_names_agile_and_standard() {
        let agile = [
            &[4u8, 0, 4, 0, 0x40, 0, 0, 0][..],
            br#"<?xml version="1.0"?><encryption><keyData saltSize="16" blockSize="16" keyBits="256" cipherAlgorithm="AES" hashAlgorithm="SHA512"/></encryption>"#,
        ]
        .concat();
        let e = ooxml_encryption_info(&agile);
        assert_eq!((e.method, e.strong, e.cipher.as_deref()), (Some("ooxml-agile"), Some(true), Some("AES-256")));
        // Standard 3.2: version, flags, header size, then header flags, size extra, AlgID, AlgIDHash, KeySize.
        let mut standard = vec![3u8, 0, 2, 0, 0x24, 0, 0, 0, 0x8c, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0];
        standard.extend(0x660Eu32.to_le_bytes());
        standard.extend(0x8004u32.to_le_bytes());
        standard.extend(128u32.to_le_bytes());
        let e = ooxml_encryption_info(&standard);
        assert_eq!((e.method, e.strong, e.cipher.as_deref()), (Some("ooxml-standard"), Some(false), Some("AES-128")));
    }

    #[test]
    fn odf_manifests_tell_blowfish_from_aes() {
        let aes = r#"<manifest:encryption-data><manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/></manifest:encryption-data>"#;
        let blowfish = r#"<manifest:encryption-data><manifest:algorithm manifest:algorithm-name="Blowfish CFB"/></manifest:encryption-data>"#;
        assert_eq!(odf_manifest(aes).map(|e| (e.method, e.strong)), Some((Some("odf-aes256"), Some(true))));
        assert_eq!(odf_manifest(blowfish).map(|e| (e.method, e.strong)), Some((Some("odf-blowfish"), Some(false))));
        assert_eq!(odf_manifest("<manifest:manifest/>"), None);
    }

    #[test]
    fn openpgp_packets_name_the_cipher_or_say_it_is_hidden() {
        // SKESK v4 (tag 3, old format, length 4): version 4, cipher 9 (AES-256), S2K simple, SHA-256.
        let skesk = [0x8c, 4, 4, 9, 0, 8];
        let e = openpgp(&skesk);
        assert_eq!((e.method, e.strong, e.cipher.as_deref()), (Some("openpgp"), Some(true), Some("AES-256")));
        // PKESK (tag 1, new format): the cipher is inside the encrypted session key.
        let pkesk = [0xc1, 3, 3, 0, 0];
        assert_eq!(openpgp(&pkesk).strong, None);
    }

    #[test]
    fn openpgp_messages_are_told_by_their_packet_sequence() {
        // SKESK v4 (AES-256, iterated and salted S2K), then SEIPD v1: what `gpg --symmetric` writes.
        let skesk = [0x8c, 0x0d, 4, 9, 3, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0xff];
        assert!(is_openpgp_message(&[&skesk[..], &[0xd2, 0x05, 1, 0, 0, 0, 0]].concat()));
        // PKESK v3 (RSA) with a 4-byte key, then SEIPD with a partial body length.
        let pkesk = [0x84, 14, 3, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 16, 0xab, 0xcd];
        assert!(is_openpgp_message(&[&pkesk[..], &[0xd2, 0xe5, 1]].concat()));
        // A session key with nothing after it, a data packet without a session key, a CAD part
        // header whose first byte is a legacy tag 9, and a session key of no known version.
        assert!(!is_openpgp_message(&skesk));
        assert!(!is_openpgp_message(&[0xd2, 0x05, 1, 0, 0, 0, 0]));
        assert!(!is_openpgp_message(&[0xa5, 0x0f, 0xf0, 0x5a, 0x1e, 0x02, 0, 0, b'0', b'M', b'3', b'C', 0, 0, 0, 0]));
        assert!(!is_openpgp_message(&[0x8c, 0x04, 9, 9, 3, 2, 0xd2, 0x05, 1, 0, 0, 0, 0]));
        // A length that runs past the data is not a packet.
        assert!(!is_openpgp_message(&[0x8c, 0x40, 4, 9, 3, 2, 0xd2]));
    }

    #[test]
    fn ciphertext_statistics_separate_random_from_structured_bytes() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let random: Vec<u8> = (0..65536)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        assert!(looks_like_ciphertext(&[&random]));
        let text = b"The quick brown fox jumps over the lazy dog. ".repeat(2000);
        assert!(!looks_like_ciphertext(&[&text]));
    }

    #[test]
    fn the_weakest_encryption_wins() {
        let strong = Encryption::with("zip-aes256", Some(true));
        let weak = Encryption::with("zipcrypto", Some(false));
        assert_eq!(strong.clone().weakest(weak.clone()), weak);
        assert_eq!(strong.clone().weakest(Encryption::none()), strong);
    }
}
