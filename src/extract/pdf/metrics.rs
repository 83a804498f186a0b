//! Glyph widths of the standard 14 fonts (ISO 32000-1, 9.6.2.2), which a PDF may use without
//! `/Widths`: a reader knows them. Without them every glyph would be guessed at one width, and
//! the gap between two table cells set in Times or Helvetica (`100 0 Td` after a string about
//! 76 points long) would look like an overlap, welding the cells together.
//!
//! Widths of printable ASCII in thousandths of the font size, from the Adobe Core 14 AFM metrics
//! as pdf.js carries them (src/core/metrics.js, Apache-2.0); other characters take the family's
//! usual width. Oblique Helvetica has the upright widths. Not for embedded or other fonts, which
//! must give `/Widths`.

/// The width of `c` in the standard font `base_font` names (a subset prefix `ABCDEF+` and the
/// Windows names Arial and Times New Roman accepted), or `None` for a font that is not one of
/// them.
pub(super) fn standard_width(base_font: &[u8], c: Option<char>) -> Option<f32> {
    let name =
        String::from_utf8_lossy(base_font.get(7..).filter(|_| base_font.get(6) == Some(&b'+')).unwrap_or(base_font))
            .to_ascii_lowercase();
    let bold = name.contains("bold");
    let italic = name.contains("italic") || name.contains("oblique");
    let (table, usual) = if name.starts_with("courier") {
        return Some(600.0);
    } else if name.starts_with("helvetica") || name.starts_with("arial") {
        (if bold { &HELVETICA_BOLD } else { &HELVETICA }, 556)
    } else if name.starts_with("times") {
        let table = match (bold, italic) {
            (false, false) => &TIMES_ROMAN,
            (false, true) => &TIMES_ITALIC,
            (true, false) => &TIMES_BOLD,
            (true, true) => &TIMES_BOLDITALIC,
        };
        (table, 500)
    } else {
        return None;
    };
    let width = c.and_then(|c| table.get((c as usize).checked_sub(0x20)?).copied()).unwrap_or(usual);
    Some(f32::from(width))
}

const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611,
    556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389,
    280, 389, 584,
];
const TIMES_ROMAN: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889,
    722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500,
    444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480,
    200, 480, 541,
];
const TIMES_ITALIC: [u16; 95] = [
    250, 333, 420, 500, 500, 833, 778, 214, 333, 333, 500, 675, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 333, 333, 675, 675, 675, 500, 920, 611, 611, 667, 722, 611, 611, 722, 722, 333, 444, 667, 556, 833,
    667, 722, 611, 722, 611, 500, 556, 722, 611, 833, 611, 556, 556, 389, 278, 389, 422, 500, 333, 500, 500, 444, 500,
    444, 278, 500, 500, 278, 278, 444, 278, 722, 500, 500, 500, 500, 389, 389, 278, 500, 444, 667, 444, 444, 389, 400,
    275, 400, 541,
];
const TIMES_BOLD: [u16; 95] = [
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944,
    722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556,
    444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394,
    220, 394, 520,
];
const TIMES_BOLDITALIC: [u16; 95] = [
    250, 389, 555, 500, 500, 833, 778, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 333, 333, 570, 570, 570, 500, 832, 667, 667, 667, 722, 667, 667, 722, 778, 389, 500, 667, 611, 889,
    722, 722, 611, 722, 667, 556, 611, 722, 667, 889, 667, 611, 611, 333, 278, 333, 570, 500, 333, 500, 500, 444, 500,
    444, 333, 500, 556, 278, 278, 500, 278, 778, 556, 500, 500, 500, 389, 389, 278, 556, 444, 667, 500, 444, 389, 348,
    220, 348, 570,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_fonts_by_their_names() {
        assert_eq!(standard_width(b"Times-Roman", Some('A')), Some(722.0));
        assert_eq!(standard_width(b"Times-Roman", Some(',')), Some(250.0));
        assert_eq!(standard_width(b"ABCDEF+Arial,Bold", Some('i')), Some(278.0));
        assert_eq!(standard_width(b"Helvetica-Oblique", Some('m')), Some(833.0));
        assert_eq!(standard_width(b"Courier-Bold", Some('m')), Some(600.0));
        assert_eq!(standard_width(b"TimesNewRomanPS-ItalicMT", Some('\u{E9}')), Some(500.0));
        assert_eq!(standard_width(b"CMR10", Some('a')), None);
    }
}
