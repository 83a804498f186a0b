//! PDF: encryption scheme, whether it opens without a password, document information and the text
//! of each page.
//!
//! The scheme is read from the raw `/Encrypt` dictionary (`/V`, `/R`, `/Length`, `/CFM`), so it is
//! known even when a password is needed. A PDF with only an owner password (restrictions on printing
//! or copying) opens with an empty user password: it is not encrypted for the policy, and the record
//! says so. Parsing and text extraction use lopdf on a thread of its own with a large stack, so that
//! a parser panic on a crafted file costs that file only.

use std::io::{Read, Seek};

use lopdf::{Document, Object};

use super::{Ctx, PartialReason};
use crate::extract::Encryption;

/// Stack for the parser thread: lopdf recurses over nested objects.
const PARSER_STACK: usize = 256 << 20;

/// Reads a PDF. Returns the format name.
pub(super) fn read<R: Read + Seek>(reader: &mut R, size: u64, ctx: &mut Ctx<'_, '_>) -> &'static str {
    let cap = ctx.limits.max_member_bytes;
    let mut bytes = Vec::with_capacity(size.min(cap) as usize);
    if reader.take(cap).read_to_end(&mut bytes).is_err() {
        ctx.mark(PartialReason::UnreadablePart);
        return "pdf";
    }
    if size > cap {
        ctx.mark(PartialReason::ExpandedBytes);
    }
    let scheme = encryption_scheme(&bytes);
    let text_cap = ctx.limits.max_text_bytes.saturating_sub(ctx.text) as usize;
    let parsed = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pdf".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || parse(&bytes, text_cap))
            .ok()
            .and_then(|handle| handle.join().ok())
    });
    match (scheme, parsed) {
        (Some(scheme), Some(Ok(pages))) => {
            let method = scheme.method.unwrap_or("pdf");
            ctx.add_encryption(Encryption {
                encrypted: false,
                method: None,
                strong: None,
                cipher: scheme.cipher,
                note: Some(format!("{method} with an owner password only: opens without a password, so not encrypted")),
            });
            emit_pages(&pages, ctx);
        }
        (Some(scheme), _) => ctx.add_encryption(scheme),
        (None, Some(Ok(pages))) => emit_pages(&pages, ctx),
        (None, _) => ctx.mark(PartialReason::UnreadablePart),
    }
    "pdf"
}

fn emit_pages(pages: &[String], ctx: &mut Ctx<'_, '_>) {
    for page in pages {
        ctx.emit(page, None);
    }
}

/// Loads the document with an empty password and returns its information dictionary and the text
/// of each page (up to `text_cap` bytes). `Err` when it needs a password or cannot be parsed.
fn parse(bytes: &[u8], text_cap: usize) -> Result<Vec<String>, lopdf::Error> {
    let doc = Document::load_mem_with_options(bytes, lopdf::LoadOptions::with_password(""))?;
    let mut pages = vec![document_information(&doc)];
    let mut total = 0usize;
    for number in doc.get_pages().keys() {
        let text = doc.extract_text(&[*number]).unwrap_or_default();
        total += text.len();
        pages.push(text);
        if total > text_cap {
            break;
        }
    }
    Ok(pages)
}

fn document_information(doc: &Document) -> String {
    let Ok(info) = doc.trailer.get(b"Info").and_then(Object::as_reference).and_then(|id| doc.get_dictionary(id)) else {
        return String::new();
    };
    let mut text = String::new();
    for (key, value) in info.iter() {
        if let Ok(bytes) = value.as_str() {
            let value = lopdf::decode_text_string(&Object::String(bytes.to_vec(), lopdf::StringFormat::Literal))
                .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned());
            text.push_str(&format!("{}: {value}\n", String::from_utf8_lossy(key)));
        }
    }
    text
}

/// The scheme named by the raw encryption dictionary, or `None` for an unencrypted PDF.
fn encryption_scheme(pdf: &[u8]) -> Option<Encryption> {
    let dict = encryption_dictionary(pdf)?;
    let number = |key: &str| -> Option<u32> {
        let at = find(dict, key.as_bytes())? + key.len();
        let digits: String = dict[at..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| char::from(b))
            .collect();
        digits.parse().ok()
    };
    let v = number("/V").unwrap_or(0);
    let r = number("/R").unwrap_or(0);
    let length = number("/Length").unwrap_or(40);
    let cfm = find(dict, b"/CFM").map(|at| &dict[at + 4..]).map(|rest| {
        let rest: Vec<u8> = rest.iter().copied().skip_while(|b| b.is_ascii_whitespace()).take(6).collect();
        String::from_utf8_lossy(&rest).into_owned()
    });
    let certificate = find(dict, b"/Adobe.PubSec").is_some();
    let cfm = cfm.as_deref().unwrap_or("");
    let scheme = if v >= 5 || r >= 5 || cfm.starts_with("/AESV3") {
        Encryption::with("pdf-aes256", Some(true)).cipher("AES-256")
    } else if cfm.starts_with("/AESV2") {
        Encryption::with("pdf-aes128", Some(false)).cipher("AES-128")
    } else if v >= 2 && length > 40 {
        Encryption::with("pdf-rc4-128", Some(false)).cipher(format!("RC4-{}", length.min(128)))
    } else {
        Encryption::with("pdf-rc4-40", Some(false)).cipher("RC4-40")
    };
    Some(if certificate { scheme.note("certificate (public-key) security handler") } else { scheme })
}

/// The bytes of the encryption dictionary named in the (last) trailer: inline, or the object the
/// trailer refers to.
fn encryption_dictionary(pdf: &[u8]) -> Option<&[u8]> {
    let at = rfind(pdf, b"/Encrypt")? + b"/Encrypt".len();
    let rest = &pdf[at..];
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    if rest[start..].starts_with(b"<<") {
        return Some(&rest[start..rest.len().min(start + 4096)]);
    }
    let reference: Vec<&[u8]> =
        rest[start..rest.len().min(start + 32)].split(|b| b.is_ascii_whitespace()).take(2).collect();
    let [number, generation] = reference.as_slice() else {
        return None;
    };
    let header = [*number, b" ", *generation, b" obj"].concat();
    let mut search = 0;
    while let Some(found) = find(&pdf[search..], &header) {
        let at = search + found;
        let boundary = at == 0 || !pdf[at - 1].is_ascii_digit();
        if boundary {
            let body = &pdf[at..pdf.len().min(at + 4096)];
            let end = find(body, b"endobj").unwrap_or(body.len());
            return Some(&body[..end]);
        }
        search = at + header.len();
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme(dict: &str) -> Option<(&'static str, Option<bool>)> {
        let pdf = format!("%PDF-1.7\n5 0 obj\n{dict}\nendobj\ntrailer\n<< /Root 1 0 R /Encrypt 5 0 R >>\n%%EOF");
        encryption_scheme(pdf.as_bytes()).map(|e| (e.method.unwrap_or("-"), e.strong))
    }

    #[test]
    fn encryption_dictionaries_name_their_scheme() {
        assert_eq!(scheme("<< /Filter /Standard /V 1 /R 2 >>"), Some(("pdf-rc4-40", Some(false))));
        assert_eq!(scheme("<< /Filter /Standard /V 2 /R 3 /Length 128 >>"), Some(("pdf-rc4-128", Some(false))));
        assert_eq!(
            scheme("<< /V 4 /R 4 /CF << /StdCF << /CFM /V2 >> >> /Length 128 >>"),
            Some(("pdf-rc4-128", Some(false)))
        );
        assert_eq!(scheme("<< /V 4 /R 4 /CF << /StdCF << /CFM /AESV2 >> >> >>"), Some(("pdf-aes128", Some(false))));
        assert_eq!(scheme("<< /V 5 /R 6 /CF << /StdCF << /CFM /AESV3 >> >> >>"), Some(("pdf-aes256", Some(true))));
        assert_eq!(encryption_scheme(b"%PDF-1.4\ntrailer << /Root 1 0 R >>"), None);
    }
}
