//! Markup removed, text kept: HTML, XML and RTF.
//!
//! HTML and XML are read with quick-xml in a lenient mode (unclosed and mismatched tags, stray
//! ampersands): text nodes are kept, `script` and `style` are dropped, entities are decoded, block
//! elements end a line and table cells are separated by tabs, so a table's header row gives context
//! to its cells as in a spreadsheet. RTF is read by a small control-word stripper (the Rust RTF crates
//! are unmaintained): text and the `\info` group (title, author) are kept; font tables, colour tables,
//! pictures and other destinations are dropped; `\'hh` and `\uN` escapes are decoded.

use quick_xml::events::Event;
use quick_xml::Reader;

/// The text of an HTML or XML document.
pub fn markup_text(source: &str) -> String {
    let mut reader = Reader::from_str(source);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    let mut out = String::with_capacity(source.len() / 2);
    let mut skipping: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if skipping.is_none() && matches!(name.as_str(), "script" | "style" | "head-script") {
                    skipping = Some(name);
                }
            }
            Ok(Event::End(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if skipping.as_deref() == Some(name.as_str()) {
                    skipping = None;
                }
                separate(&name, &mut out);
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                separate(&name, &mut out);
            }
            Ok(Event::Text(t)) if skipping.is_none() => out.push_str(&String::from_utf8_lossy(t.as_ref())),
            Ok(Event::CData(t)) if skipping.is_none() => out.push_str(&String::from_utf8_lossy(t.as_ref())),
            Ok(Event::GeneralRef(r)) if skipping.is_none() => {
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                match r.resolve_char_ref() {
                    Ok(Some(c)) => out.push(c),
                    _ => out.push_str(named_entity(&name)),
                }
            }
            Ok(Event::Eof) => break,
            // Past a syntax error the rest is kept as it is: better raw text than none.
            Err(_) => {
                let at = usize::try_from(reader.buffer_position()).unwrap_or(source.len()).min(source.len());
                out.push_str(source.get(at..).unwrap_or_default());
                break;
            }
            _ => {}
        }
    }
    out
}

/// Block elements end a line; table cells are separated by a tab.
fn separate(name: &str, out: &mut String) {
    match name {
        "td" | "th" => out.push('\t'),
        "p" | "div" | "br" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "title" | "section"
        | "article" | "header" | "footer" | "dt" | "dd" | "blockquote" | "pre" => out.push('\n'),
        // In generic XML every element is a field: keep fields apart.
        _ if !name.is_empty() && !is_inline_html(name) => out.push('\n'),
        _ => {}
    }
}

fn is_inline_html(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "i"
            | "u"
            | "em"
            | "strong"
            | "span"
            | "font"
            | "small"
            | "big"
            | "sub"
            | "sup"
            | "code"
            | "abbr"
            | "mark"
    )
}

fn named_entity(name: &str) -> &'static str {
    if let Some(s) = quick_xml::escape::resolve_xml_entity(name) {
        return s;
    }
    match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => " ",
        "ndash" => "\u{2013}",
        "mdash" => "\u{2014}",
        "pound" => "\u{a3}",
        "euro" => "\u{20ac}",
        "copy" => "\u{a9}",
        "hellip" => "\u{2026}",
        _ => "",
    }
}

/// Destinations whose content is not document text.
const SKIPPED_DESTINATIONS: [&str; 16] = [
    "fonttbl",
    "colortbl",
    "stylesheet",
    "pict",
    "object",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "fldinst",
    "bkmkstart",
];

/// The text of an RTF document.
pub fn rtf_text(rtf: &[u8]) -> String {
    let mut out = String::with_capacity(rtf.len() / 2);
    // Per group: is it skipped, and how many fallback characters follow a \uN.
    let mut groups: Vec<(bool, usize)> = vec![(false, 1)];
    let mut pending_skip = 0usize;
    let mut i = 0;
    while i < rtf.len() {
        let skipped = groups.last().is_some_and(|g| g.0);
        match rtf[i] {
            b'{' => {
                groups.push((skipped, groups.last().map_or(1, |g| g.1)));
                if rtf.get(i + 1..i + 3) == Some(b"\\*") {
                    if let Some(g) = groups.last_mut() {
                        g.0 = true;
                    }
                }
                i += 1;
            }
            b'}' => {
                if groups.len() > 1 {
                    groups.pop();
                }
                i += 1;
            }
            b'\\' => {
                let (word, param, next) = control_word(rtf, i + 1);
                i = next;
                if pending_skip > 0 && word != "'" {
                    pending_skip = 0;
                }
                match word.as_str() {
                    w if SKIPPED_DESTINATIONS.contains(&w) => {
                        if let Some(g) = groups.last_mut() {
                            g.0 = true;
                        }
                    }
                    "par" | "line" | "row" | "sect" | "page" if !skipped => out.push('\n'),
                    "tab" | "cell" if !skipped => out.push('\t'),
                    "uc" => {
                        if let Some(g) = groups.last_mut() {
                            g.1 = usize::try_from(param.unwrap_or(1)).unwrap_or(1);
                        }
                    }
                    "u" if !skipped => {
                        let code = param.unwrap_or(0);
                        let code = if code < 0 { code + 65536 } else { code };
                        if let Some(c) = u32::try_from(code).ok().and_then(char::from_u32) {
                            out.push(c);
                        }
                        pending_skip = groups.last().map_or(1, |g| g.1);
                    }
                    "'" => {
                        let byte =
                            rtf.get(i..i + 2).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
                        i += 2;
                        if pending_skip > 0 {
                            pending_skip -= 1;
                        } else if let (Some(b), false) = (byte, skipped) {
                            let byte = [b];
                            let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
                            out.push_str(&decoded);
                        }
                    }
                    "\\" | "{" | "}" if !skipped => out.push_str(&word),
                    _ => {}
                }
            }
            b'\r' | b'\n' => i += 1,
            b => {
                if pending_skip > 0 {
                    pending_skip -= 1;
                } else if !skipped {
                    out.push(char::from(b));
                }
                i += 1;
            }
        }
    }
    out
}

/// Reads a control word (or control symbol) starting after a backslash; returns the word, its
/// numeric parameter and the index after it (and after its delimiting space).
fn control_word(rtf: &[u8], start: usize) -> (String, Option<i64>, usize) {
    let Some(&first) = rtf.get(start) else {
        return (String::new(), None, start);
    };
    if !first.is_ascii_alphabetic() {
        return (char::from(first).to_string(), None, start + 1);
    }
    let mut i = start;
    while rtf.get(i).is_some_and(u8::is_ascii_alphabetic) {
        i += 1;
    }
    let word = String::from_utf8_lossy(&rtf[start..i]).into_owned();
    let num_start = i;
    if rtf.get(i) == Some(&b'-') {
        i += 1;
    }
    while rtf.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let param = std::str::from_utf8(&rtf[num_start..i]).ok().and_then(|p| p.parse().ok());
    if rtf.get(i) == Some(&b' ') {
        i += 1;
    }
    (word, param, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_keeps_text_and_table_layout() {
        let html = "<html><head><style>p{}</style><script>var x = 'AB 12 34 56 C';</script></head><body>\
                    <p>Dear&nbsp;colleague &amp; friend</p><table><tr><th>Name</th><th>NI</th></tr>\
                    <tr><td>Ann</td><td>AB&nbsp;12&nbsp;34&nbsp;56&nbsp;C</td></tr></table><br>unclosed <b>bold</body></html>";
        let text = markup_text(html);
        assert!(text.contains("Dear colleague & friend\n"), "{text:?}");
        assert!(text.contains("Name\tNI\t\nAnn\tAB 12 34 56 C\t\n"), "{text:?}");
        assert!(!text.contains("var x"), "{text:?}");
        assert!(text.contains("unclosed bold"), "{text:?}");
    }

    #[test]
    fn rtf_keeps_text_and_drops_tables_of_fonts() {
        let rtf = br"{\rtf1\ansi{\fonttbl{\f0 Times;}}{\colortbl;\red0\green0\blue0;}{\info{\title Staff list}}\f0 Caf\'e9 NI number AB 12 34 56 C\par\u8364?5 fee\tab x{\*\generator Word;}}";
        let text = rtf_text(rtf);
        assert!(text.contains("Staff list"), "{text:?}");
        assert!(text.contains("Caf\u{e9} NI number AB 12 34 56 C\n\u{20ac}5 fee\tx"), "{text:?}");
        assert!(!text.contains("Times") && !text.contains("Word"), "{text:?}");
    }
}
