//! `ToUnicode` CMaps (ISO 32000-1, 9.10.3; Adobe Technical Note #5411), read by tokens: the
//! code space ranges and the `bfchar` and `bfrange` sections, whatever else the program holds and
//! however its lines are broken. lopdf's parser takes only one layout (`endcmap CMapName` on a
//! line of its own, metadata in a set order) and a font whose map it rejects shows no text at all:
//! LuaMetaTeX's maps, the 3-Heights OCR layer of scanned pages, some of Word's.
//!
//! Not for predefined CMaps (9.7.5.2) or a font's encoding: only the map from codes to text.

/// Longest code a CMap can define, in bytes (9.7.6.2).
const MAX_CODE_LEN: usize = 4;

/// A font's codes as text.
#[derive(Debug, Default)]
pub(super) struct UnicodeMap {
    /// Code space ranges: (bytes, first, last).
    space: Vec<(usize, u32, u32)>,
    /// Mappings sorted by (bytes, first code); the last one defined wins where they overlap.
    ranges: Vec<Mapping>,
}

#[derive(Debug)]
struct Mapping {
    len: usize,
    first: u32,
    last: u32,
    target: Target,
}

#[derive(Debug)]
enum Target {
    /// UTF-16 of the first code; each next code adds one to the last unit.
    Start(Vec<u16>),
    /// UTF-16 of each code in turn.
    Each(Vec<Vec<u16>>),
}

impl UnicodeMap {
    /// Reads a CMap program. Sections it cannot make sense of are left out.
    pub(super) fn parse(program: &[u8]) -> UnicodeMap {
        let mut map = UnicodeMap::default();
        let mut tokens = Tokens { rest: program };
        let mut order = 0usize;
        let mut defined: Vec<(usize, Mapping)> = Vec::new();
        while let Some(token) = tokens.next() {
            match token {
                Token::Word(b"begincodespacerange") => {
                    while let Some([first, last]) = tokens.hex_strings() {
                        if let (Some((len, first)), Some((_, last))) = (code(&first), code(&last)) {
                            map.space.push((len, first, last));
                        }
                    }
                }
                Token::Word(b"beginbfchar") => {
                    while let Some([source]) = tokens.hex_strings() {
                        let target = tokens.next();
                        let (Some((len, code)), Some(units)) = (code(&source), target.as_ref().and_then(units)) else {
                            continue;
                        };
                        order += 1;
                        defined.push((order, Mapping { len, first: code, last: code, target: Target::Start(units) }));
                    }
                }
                Token::Word(b"beginbfrange") => {
                    while let Some([first, last]) = tokens.hex_strings() {
                        let (Some((len, first)), Some((_, last)), Some(target)) =
                            (code(&first), code(&last), tokens.next())
                        else {
                            continue;
                        };
                        let target = match target {
                            Token::Array(items) => Target::Each(items.iter().filter_map(units).collect()),
                            other => match units(&other) {
                                Some(units) => Target::Start(units),
                                None => continue,
                            },
                        };
                        if first <= last {
                            order += 1;
                            defined.push((order, Mapping { len, first, last, target }));
                        }
                    }
                }
                _ => {}
            }
        }
        defined.sort_by_key(|(order, m)| (m.len, m.first, *order));
        map.ranges = defined.into_iter().map(|(_, m)| m).collect();
        map
    }

    /// Whether the map defines no code at all.
    pub(super) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The UTF-16 of `code`, `len` bytes long.
    pub(super) fn get(&self, code: u32, len: usize) -> Option<Vec<u16>> {
        let end = self.ranges.partition_point(|m| (m.len, m.first) <= (len, code));
        let found = self.ranges[..end].iter().rev().take_while(|m| m.len == len).find(|m| code <= m.last)?;
        let offset = (code - found.first) as usize;
        match &found.target {
            Target::Start(units) => {
                let mut units = units.clone();
                if let Some(last) = units.last_mut() {
                    *last = last.wrapping_add(offset as u16);
                }
                Some(units)
            }
            Target::Each(list) => list.get(offset).cloned(),
        }
    }

    /// The length of the code at the start of `bytes` by the code space ranges (9.7.6.2): the
    /// shortest whose range holds it; without ranges, or when none does, two bytes.
    pub(super) fn code_len(&self, bytes: &[u8]) -> usize {
        (1..=MAX_CODE_LEN.min(bytes.len()))
            .find(|&n| {
                let code = bytes[..n].iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                self.space.iter().any(|&(len, first, last)| len == n && (first..=last).contains(&code))
            })
            .unwrap_or(2)
    }
}

/// A code written as a hexadecimal string: its length in bytes and its value.
fn code(bytes: &[u8]) -> Option<(usize, u32)> {
    if bytes.is_empty() || bytes.len() > MAX_CODE_LEN {
        return None;
    }
    Some((bytes.len(), bytes.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b))))
}

/// The UTF-16 a destination string holds (UTF-16BE; a single byte is taken as one unit, as
/// some producers write it). A glyph name destination (`/space`) is not read.
fn units(token: &Token<'_>) -> Option<Vec<u16>> {
    let Token::Hex(bytes) = token else { return None };
    match bytes.as_slice() {
        [] => None,
        [one] => Some(vec![u16::from(*one)]),
        _ => Some(bytes.chunks(2).map(|pair| pair.iter().fold(0u16, |acc, &b| acc << 8 | u16::from(b))).collect()),
    }
}

/// The tokens of a CMap program that matter here: hexadecimal strings, arrays of them and words;
/// names, numbers, literal strings, dictionaries and comments come out as other words or not at
/// all.
struct Tokens<'p> {
    rest: &'p [u8],
}

#[derive(Debug)]
enum Token<'p> {
    Hex(Vec<u8>),
    Array(Vec<Token<'p>>),
    Word(&'p [u8]),
    /// `]`, `<<`, `>>`, a name or a literal string: ends a section's list.
    Other,
}

impl<'p> Tokens<'p> {
    fn next(&mut self) -> Option<Token<'p>> {
        loop {
            let start = self.rest.iter().position(|b| !b.is_ascii_whitespace() && *b != 0)?;
            self.rest = &self.rest[start..];
            match self.rest[0] {
                b'%' => {
                    let end = self.rest.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(self.rest.len());
                    self.rest = &self.rest[end..];
                }
                b'<' if self.rest.get(1) == Some(&b'<') => return Some(self.skip(2)),
                b'>' if self.rest.get(1) == Some(&b'>') => return Some(self.skip(2)),
                b'<' => return Some(self.hex()),
                b'[' => {
                    self.rest = &self.rest[1..];
                    let mut items = Vec::new();
                    loop {
                        match self.next() {
                            Some(Token::Other) | None => return Some(Token::Array(items)),
                            Some(item) => items.push(item),
                        }
                    }
                }
                b'(' => {
                    let end = super::skip_string(self.rest, 0);
                    return Some(self.skip(end + 1));
                }
                b'/' | b']' | b'{' | b'}' | b'>' | b')' => {
                    let end =
                        1 + self.rest[1..].iter().position(|&b| super::is_delimiter(b)).unwrap_or(self.rest.len() - 1);
                    return Some(self.skip(if self.rest[0] == b'/' { end } else { 1 }));
                }
                _ => {
                    let end = self.rest.iter().position(|&b| super::is_delimiter(b)).unwrap_or(self.rest.len());
                    let (word, rest) = self.rest.split_at(end.max(1));
                    self.rest = rest;
                    return Some(Token::Word(word));
                }
            }
        }
    }

    /// The next `N` tokens when they are all hexadecimal strings; `None` (having read the first
    /// only) at the end of a section.
    fn hex_strings<const N: usize>(&mut self) -> Option<[Vec<u8>; N]> {
        let mut out: [Vec<u8>; N] = std::array::from_fn(|_| Vec::new());
        for slot in &mut out {
            let Some(Token::Hex(bytes)) = self.next() else { return None };
            *slot = bytes;
        }
        Some(out)
    }

    fn skip(&mut self, n: usize) -> Token<'p> {
        self.rest = &self.rest[n.min(self.rest.len())..];
        Token::Other
    }

    /// A hexadecimal string (7.3.4.3): white space inside is ignored, a missing last digit is 0.
    fn hex(&mut self) -> Token<'p> {
        let end = self.rest.iter().position(|&b| b == b'>').unwrap_or(self.rest.len());
        let digits: Vec<u8> =
            self.rest[1..end].iter().filter_map(|&b| char::from(b).to_digit(16)).map(|d| d as u8).collect();
        self.rest = &self.rest[(end + 1).min(self.rest.len())..];
        Token::Hex(digits.chunks(2).map(|pair| pair[0] << 4 | pair.get(1).copied().unwrap_or(0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(map: &UnicodeMap, code: u32, len: usize) -> Option<String> {
        map.get(code, len).map(|units| String::from_utf16_lossy(&units))
    }

    #[test]
    fn maps_lopdf_rejects_are_read_by_tokens() {
        // 3-Heights' layout: `endcmap CMapName` on one line, `currentdict` on the next; a range
        // list whose count is wrong; comments.
        let program = b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
            /CIDSystemInfo << /Registry (TimesNewRomanPSMT) /Ordering (UCS) /Supplement 0 >> def\n\
            /CMapName /TimesNewRomanPSMT def /CMapType 2 def\n1 begincodespacerange\n<0000> <068F>\nendcodespacerange\n\
            2 beginbfrange\n<0003> <0061> <0020> % ASCII\n<0062> <0063> <00C4>\n<0064><0064>[<00660069>]\nendbfrange\n\
            1 beginbfchar <0005> <0022>\n<0010> <D835 DC00> endbfchar\n\
            endcmap CMapName\ncurrentdict /CMap defineresource pop\nend\nend\n";
        let map = UnicodeMap::parse(program);
        assert_eq!(text(&map, 0x2B, 2).as_deref(), Some("H"));
        assert_eq!(text(&map, 0x63, 2).as_deref(), Some("\u{C5}"));
        assert_eq!(text(&map, 0x64, 2).as_deref(), Some("fi"));
        // A later single code overrides the range.
        assert_eq!(text(&map, 0x05, 2).as_deref(), Some("\""));
        assert_eq!(text(&map, 0x10, 2).as_deref(), Some("\u{1D400}"));
        assert_eq!(text(&map, 0x70, 2), None);
        assert_eq!(text(&map, 0x2B, 1), None);
        assert_eq!(map.code_len(&[0x00, 0x2B]), 2);
    }

    #[test]
    fn code_lengths_follow_the_code_space() {
        let map = UnicodeMap::parse(b"2 begincodespacerange <00> <80> <8140> <FFFF> endcodespacerange");
        assert_eq!(map.code_len(b"A\x81\x40"), 1);
        assert_eq!(map.code_len(b"\x81\x40"), 2);
        assert!(map.is_empty());
    }
}
