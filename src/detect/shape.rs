//! Text-shape vetoes: facts about the bytes around a match that say it is not what its pattern
//! looks like: a word inside an e-mail address, a number inside a URL, a file name or a longer
//! number, a slice of a code-point table, a marking inside a code block; and the word tests the
//! keywords and context words share (standing alone, a table header that names people or a
//! column).
//!
//! Pure functions of a text and a span. Not here: what a detector's pattern is, checksums
//! (`validate.rs`), context words (`context.rs`), or deciding a confidence (the engine's judge).

use std::ops::Range;

use crate::extract::TextChunk;

/// Header words that make a table a list of people: any row is then a person's record. `name`,
/// first, is the one a table of software shares.
const IDENTITY_HEADERS: [&str; 20] = [
    "name",
    "surname",
    "forename",
    "first name",
    "last name",
    "full name",
    "student",
    "staff",
    "employee",
    "email",
    "e-mail",
    "dob",
    "date of birth",
    "ni number",
    "nhs number",
    "husid",
    "applicant",
    "candidate",
    "pupil",
    "learner",
];

/// Header words that make a table a list of software (a package index, a dependency list): there
/// a `name` column names packages, and its rows are no one's record. (Not `module`: a university's
/// modules are courses, and a table of students' module marks is a table of people.)
const SOFTWARE_HEADERS: [&str; 6] = ["version", "package", "license", "licence", "downloads", "repository"];

/// True when the chunk is a table whose header names people: every row is a person's record. A
/// bare `name` beside a software column (`name`, `version`, `summary`) names a package; any other
/// identity header (`Email`, `Surname`, `Student`) still makes a table of people.
pub(super) fn is_people_table(chunk: &TextChunk<'_>) -> bool {
    chunk.table.is_some_and(|t| {
        let has = |words: &[&str]| t.cells().iter().any(|c| header_has_word(c, words));
        has(&IDENTITY_HEADERS[1..]) || (has(&IDENTITY_HEADERS[..1]) && !has(&SOFTWARE_HEADERS))
    })
}

/// True when a header cell holds one of `words` as a word of its own: `Name`, `first_name`,
/// `FirstName`, `Students`, `Email 2`; not `Filename`, `mac-filename` or `hostname`, which name
/// files and machines.
fn header_has_word(cell: &str, words: &[&str]) -> bool {
    let lower = cell.to_ascii_lowercase();
    let (text, lower) = (cell.as_bytes(), lower.as_bytes());
    words.iter().any(|h| {
        lower.windows(h.len()).enumerate().filter(|(_, w)| w == &h.as_bytes()).any(|(i, _)| {
            // A word starts after a non-letter, or where camel case starts one (`firstName`).
            let starts = i == 0
                || !text[i - 1].is_ascii_alphabetic()
                || (text[i].is_ascii_uppercase() && text[i - 1].is_ascii_lowercase());
            // It ends before a non-letter, a camel-case word or a plural `s`.
            let end = i + h.len();
            let rest = &text[end..];
            let ends = match rest {
                [] => true,
                [b's' | b'S', after @ ..] => after.first().is_none_or(|b| !b.is_ascii_lowercase()),
                [b, ..] => !b.is_ascii_lowercase(),
            };
            starts && ends
        })
    })
}

/// Words made only of letters, digits and spaces must stand alone (`pin` is not in `spine`); words
/// with punctuation (`P<GBR`, `@`, `a/c`) are literal and match anywhere.
pub(crate) fn needs_word_boundaries(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
}

/// True when `header` holds one of the lower-case `keywords` as a whole word: `Password` and
/// `login_password` name a password column, `Spinner` does not name a PIN column.
pub(super) fn names_keyword(header: &str, keywords: &[String]) -> bool {
    let lower = header.to_ascii_lowercase();
    keywords
        .iter()
        .any(|k| lower.match_indices(k.as_str()).any(|(i, _)| is_whole_word(lower.as_bytes(), i, i + k.len())))
}

/// True when the bytes either side of `start..end` are not ASCII letters or digits.
pub(crate) fn is_whole_word(text: &[u8], start: usize, end: usize) -> bool {
    let before_ok = start == 0 || !text[start - 1].is_ascii_alphanumeric();
    let after_ok = end >= text.len() || !text[end].is_ascii_alphanumeric();
    before_ok && after_ok
}

/// True when `start..end` is part of an e-mail address (`faith@cs.unc.edu`,
/// `christian.brauner@ubuntu.com`, `jo@health.example.ac.uk`): a word there names a mailbox or a
/// domain, not a person's faith or health.
pub(crate) fn is_inside_email_address(text: &[u8], start: usize, end: usize) -> bool {
    const LONGEST_PART: usize = 255;
    let local_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let domain_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
    let after = &text[end.min(text.len())..(end + LONGEST_PART).min(text.len())];
    let local_part_continues_to_at = after.iter().position(|b| !local_byte(b)).is_some_and(|i| after[i] == b'@');
    let before = &text[start.saturating_sub(LONGEST_PART)..start];
    let domain_starts_after_at = before.iter().rposition(|b| !domain_byte(b)).is_some_and(|i| before[i] == b'@');
    local_part_continues_to_at || domain_starts_after_at
}

/// True when the line `whole` lies on is an item of a code block or a list in code (an enum value,
/// the last element of a tuple): the line before opens or continues it (ends with `(`, `[`, `{` or
/// `,`) or the line after closes it (starts with `)`, `]` or `}`).
pub(super) fn is_inside_code_block(text: &[u8], whole: &Range<usize>) -> bool {
    let before = &text[..whole.start.min(text.len())];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let previous = before[..line_start].trim_ascii_end();
    let opens = previous.last().is_some_and(|b| matches!(b, b'(' | b'[' | b'{' | b','));
    let after = &text[whole.end.min(text.len())..];
    let next_line = after.iter().position(|&b| b == b'\n').map_or(&[][..], |i| &after[i + 1..]);
    let closes = next_line.trim_ascii_start().first().is_some_and(|b| matches!(b, b')' | b']' | b'}'));
    opens || closes
}

/// A digit run glued to a decimal point (`0.01234567891`, `4176749369.5`) is a measurement, not an
/// identifier. Identifiers that contain dots themselves (`15.03.1985`) are matched whole and pass.
pub(super) fn is_part_of_longer_number(text: &[u8], span: &Range<usize>) -> bool {
    let digit = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
    let starts_after_point = span.start >= 2 && text[span.start - 1] == b'.' && digit(span.start - 2);
    let ends_before_point = text.get(span.end) == Some(&b'.') && digit(span.end + 1);
    let glued = (digit(span.start) && starts_after_point) || (span.end > 0 && digit(span.end - 1) && ends_before_point);
    glued || is_inside_table_of_groups(text, span)
}

/// A digit run that is part of a URL, a file name or a generated name (`/testcase-detail/5390364397928448`,
/// `fuzzer-5145429829877760`, `scan_4857773456.pdf`) is an id of a web page or file, not of a
/// person: reported at low confidence. `:` and `=` do not count (`DOB:12/03/1985`, `nhs=...` in a
/// data record are values with their label).
pub(super) fn is_number_inside_a_name_or_path(text: &[u8], whole: &Range<usize>) -> bool {
    let digit_at = |i: usize| text.get(i).is_some_and(u8::is_ascii_digit);
    if whole.is_empty() || !digit_at(whole.start) || !digit_at(whole.end - 1) {
        return false;
    }
    let letter_at = |i: Option<usize>| i.and_then(|i| text.get(i)).is_some_and(u8::is_ascii_alphabetic);
    let before = whole.start.checked_sub(1).map(|i| (i, text[i]));
    let glued_before = match before {
        Some((_, b'/' | b'\\' | b'_' | b'#' | b'?' | b'&')) => true,
        Some((i, b'-')) => letter_at(i.checked_sub(1)),
        _ => false,
    };
    let glued_after = match text.get(whole.end) {
        Some(b'/' | b'\\' | b'_') => true,
        Some(b'.' | b'-') => letter_at(Some(whole.end + 1)),
        _ => false,
    };
    glued_before || glued_after
}

/// Equal digit groups with more groups of the same kind around them (`5165 5166 5167 5168 5169
/// 516A ...`, a code-point or number table) are a slice of a longer run, not a card number.
/// Only uniform groups count: a phone number (`07911 123456`) beside another is left alone.
fn is_inside_table_of_groups(text: &[u8], span: &Range<usize>) -> bool {
    let matched = &text[span.clone()];
    let Some(&separator) = matched.iter().find(|b| !b.is_ascii_digit()) else {
        return false;
    };
    if !matches!(separator, b' ' | b'-') {
        return false;
    }
    let mut groups = matched.split(|&b| b == separator);
    let first = groups.next().map_or(0, <[u8]>::len);
    if first == 0 || !groups.all(|g| g.len() == first && g.iter().all(u8::is_ascii_digit)) {
        return false;
    }
    // A neighbouring group: exactly as many hex digits (tables of code points mix in `529B`),
    // standing alone, across the same separator.
    let is_group = |range: Range<usize>| {
        let alone = |i: Option<usize>| i.and_then(|i| text.get(i)).is_none_or(|b| !b.is_ascii_alphanumeric());
        text.get(range.clone()).is_some_and(|g| g.iter().all(u8::is_ascii_hexdigit))
            && alone(range.start.checked_sub(1))
            && alone(Some(range.end))
    };
    let group_before =
        span.start > first && text[span.start - 1] == separator && is_group(span.start - 1 - first..span.start - 1);
    let group_after = text.get(span.end) == Some(&separator) && is_group(span.end + 1..span.end + 1 + first);
    group_before || group_after || is_line_of_a_table_of_groups(text, span)
}

/// Hex groups on a line (`5414 5415 5416 5417 20BBF 20BC6 56DD ...`) beyond any card's grouping
/// (at most five groups): the line is a row of a code-point or number table, wherever it breaks.
const TABLE_ROW_GROUPS: usize = 8;

/// True when the line holding `span` has [`TABLE_ROW_GROUPS`] or more words of 4 to 6 hex digits:
/// a table whose rows wrap leaves a run of digit groups at the start or end of a line with no
/// group beside it on that side.
fn is_line_of_a_table_of_groups(text: &[u8], span: &Range<usize>) -> bool {
    let start = text[..span.start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = text[span.end..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| span.end + i);
    let groups = text[start..end]
        .split(u8::is_ascii_whitespace)
        .filter(|w| (4..=6).contains(&w.len()) && w.iter().all(u8::is_ascii_hexdigit))
        .count();
    groups >= TABLE_ROW_GROUPS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_urls_and_file_names_are_told_from_labelled_values() {
        let inside = |text: &str, value: &str| {
            let start = text.find(value).unwrap();
            is_number_inside_a_name_or_path(text.as_bytes(), &(start..start + value.len()))
        };
        assert!(inside("see https://x.org/case/4857773456 now", "4857773456"));
        assert!(inside("scan_4857773456.pdf", "4857773456"));
        assert!(inside("fuzzer-4857773456 crashed", "4857773456"));
        assert!(inside("4857773456.docx", "4857773456"));
        assert!(!inside("NHS:4857773456", "4857773456"), "a label and a colon make a value");
        assert!(!inside("nhs=4857773456&", "4857773456"), "an equals sign is a field, not a path");
        assert!(!inside("NHS number 485 777 3456.", "485 777 3456"), "end of a sentence");
        assert!(!inside("away 12/03/2025-14/03/2025", "12/03/2025"), "a date range");
        assert!(!inside("2023-4857773456", "4857773456"), "a digit before the hyphen is a range or a date");
    }

    #[test]
    fn header_cells_name_people_by_whole_words() {
        for cell in ["Name", "first_name", "FirstName", "Surname", "Students", "Email 2", "E-mail", "Staff ID", "DOB"] {
            assert!(header_has_word(cell, &IDENTITY_HEADERS), "{cell}");
        }
        for cell in ["Filename", "mac-filename", "hostname", "Rename", "namespace", "Dobby", "Staffing"] {
            assert!(!header_has_word(cell, &IDENTITY_HEADERS), "{cell}");
        }
    }

    #[test]
    fn tables_of_people_are_told_from_tables_of_software() {
        let people = |text: &str| {
            let table = crate::extract::TableHeader::find(text.as_bytes());
            let chunk = TextChunk {
                text: text.as_bytes(),
                owned: 0..text.len(),
                offset: 0,
                table: table.as_ref(),
                member: None,
                last: true,
            };
            is_people_table(&chunk)
        };
        assert!(!people("name\tversion\tsummary\nleft-pad\t1.3.0\tpads\nzod\t3.2.1\tschemas\n"));
        assert!(!people("Name,Version,Licence\nlibfoo,1.0,MIT\nlibbar,2.1,BSD\n"));
        assert!(people("Student ID,Name,Module,Mark\nB123,Ann Smith,MAA101,64\nB124,Bob Jones,MAA101,71\n"));
        assert!(people("Participant,Email,Consent version\nP01,ann@uni.ac.uk,2\nP02,bob@uni.ac.uk,3\n"));
        assert!(!people("Filename,Size\nreport.pdf,12\nnotes.txt,3\n"));
    }

    #[test]
    fn words_inside_email_addresses_are_told_from_prose() {
        let inside = |text: &str, word: &str| {
            let start = text.find(word).unwrap();
            is_inside_email_address(text.as_bytes(), start, start + word.len())
        };
        assert!(inside("Rik Faith <faith@cs.unc.edu>", "faith"));
        assert!(inside("(c) christian.brauner@ubuntu.com", "christian"));
        assert!(inside("write to jo@health.example.ac.uk", "health"));
        assert!(!inside("Rik Faith <faith@cs.unc.edu>", "Faith"), "the name before the address is prose");
        assert!(!inside("Religion: Christian. Email ann@uni.ac.uk", "Christian"));
        assert!(!inside("faith: Muslim", "faith"));
    }
}
