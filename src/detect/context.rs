//! Context words: is one of a detector's words near a match?
//!
//! Only consulted for candidates that already passed their validator, so it runs on a few hundred
//! bytes around rare matches, never over whole chunks.

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

use super::compile::syntax_config;
use super::rule::ContextSpec;
use super::shape::{is_inside_email_address, is_whole_word, needs_word_boundaries};
use super::union::UnionDfa;
use super::Confidence;

/// A detector's context words, compiled at their first search: building the automata of every
/// detector's context and demote lists was a fifth of a start (perf), and most runs consult few.
pub struct ContextMatcher {
    /// The words and their key forms, in the order of `words`' patterns.
    forms: Vec<String>,
    words: OnceLock<AhoCorasick>,
    /// The words as a first-pass union, for windows of pages: its three walks in step search
    /// them about 2.5 times as fast as the automaton's one walk.
    walker: OnceLock<UnionDfa>,
    whole_word: Vec<bool>,
    before: usize,
    after: usize,
    /// Tier given to a valid finding with a word near it.
    pub confidence: Confidence,
    /// Whether a finding needs a word near it to count at all.
    pub required: bool,
    same_field: bool,
    /// Whole header cells, lower case, that are context in a table of people only.
    columns: Vec<String>,
}

impl ContextMatcher {
    /// The matcher for `spec`; with `check`, its automaton is built now, so that a user's words
    /// the automaton refuses stop the start.
    pub fn new(spec: &ContextSpec, check: bool) -> Result<Self, aho_corasick::BuildError> {
        let forms: Vec<String> = spec.words.iter().flat_map(|w| key_forms(w)).collect();
        let whole_word = forms.iter().map(|w| needs_word_boundaries(w)).collect();
        let words = OnceLock::new();
        if check {
            let _ = words.set(automaton(&forms)?);
        }
        Ok(ContextMatcher {
            forms,
            words,
            walker: OnceLock::new(),
            whole_word,
            before: spec.before,
            after: spec.after,
            confidence: spec.confidence,
            required: spec.required,
            same_field: spec.same_field,
            columns: spec.columns.iter().map(|c| c.to_ascii_lowercase()).collect(),
        })
    }

    /// The automaton of the words.
    ///
    /// # Panics
    /// When an embedded detector's words make no automaton, which its examples' test rules out.
    fn words(&self) -> &AhoCorasick {
        self.words.get_or_init(|| {
            automaton(&self.forms).unwrap_or_else(|e| unreachable!("an embedded detector's words build: {e}"))
        })
    }

    /// True when `header` (a column's header cell) is, whole, one of the words that name a person's
    /// identifier only as a column of a table of people (`ID`, `Reg No`): the caller knows the table.
    pub fn names_people_column(&self, header: &str) -> bool {
        // Asked of every header cell for every detector with a context: most have no column words.
        if self.columns.is_empty() {
            return false;
        }
        let h = header.trim().trim_end_matches([':', '.']).to_ascii_lowercase();
        !h.is_empty() && self.columns.contains(&h)
    }

    /// True when a context word appears in `header` (a table column's header).
    pub fn is_in(&self, header: &str) -> bool {
        let h = header.as_bytes();
        self.words()
            .find_overlapping_iter(h)
            .any(|m| !self.whole_word[m.pattern().as_usize()] || is_whole_word(h, m.start(), m.end()))
    }

    /// True when a context word, as a whole word, lies within the window around `matched`. A word
    /// that is part of an e-mail address (`faith@...`) is not one. `seen` holds this context's
    /// words already found in the same text: a wide window (a credits heading pages above an
    /// address) is searched once per text, not once per finding.
    pub fn is_near(&self, text: &[u8], matched: Range<usize>, seen: &mut SeenWords) -> bool {
        let mut start = matched.start.saturating_sub(self.before);
        if self.same_field {
            start = field_start(text, start, matched.start);
        }
        let end = (matched.end + self.after).min(text.len());
        let counts = |(s, e, pattern): (usize, usize, usize)| {
            let inside_match = s >= matched.start && e <= matched.end;
            let boundaries_ok =
                !self.whole_word[pattern] || (is_whole_word(text, s, e) && !is_inside_email_address(text, s, e));
            !inside_match && boundaries_ok
        };
        if end - start <= DIRECT_SEARCH_BYTES {
            return self.words_in(text, start..end).any(counts);
        }
        seen.cover(self, text, start..end);
        seen.within(start..end).any(counts)
    }

    /// [`ContextMatcher::words_in`] for a long `range`, with the walks of the first pass.
    ///
    /// # Panics
    /// When the words make no union, which no list of literal words does.
    fn words_walked(&self, text: &[u8], range: Range<usize>) -> Vec<(usize, usize, usize)> {
        let walker = self.walker.get_or_init(|| {
            let literals: Vec<String> = self.forms.iter().map(|form| case_insensitive_literal(form)).collect();
            UnionDfa::build(&literals, syntax_config())
                .unwrap_or_else(|e| unreachable!("literal words make a union: {e}"))
        });
        let offset = range.start;
        let mut found = Vec::new();
        walker.hits(&text[range], &mut |pattern, span| found.push((offset + span.start, offset + span.end, pattern)));
        found
    }

    /// Every occurrence of a word wholly inside `range`, as (start, end, pattern).
    fn words_in<'a>(&'a self, text: &'a [u8], range: Range<usize>) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
        let offset = range.start;
        self.words()
            .find_overlapping_iter(&text[range])
            .map(move |m| (offset + m.start(), offset + m.end(), m.pattern().as_usize()))
    }
}

/// Windows up to this many bytes are searched afresh for each finding; wider ones share
/// [`SeenWords`].
const DIRECT_SEARCH_BYTES: usize = 1024;

/// The occurrences of one context's words in one text, over the span of the last windows searched
/// (windows that overlap each other). Findings come in order through a text, so the span grows
/// mostly at its end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeenWords {
    searched: Range<usize>,
    /// (start, end, pattern), sorted by start.
    words: Vec<(usize, usize, usize)>,
}

impl SeenWords {
    /// Searches the parts of `range` not searched yet. A word across the old span's edge is found
    /// by searching from a longest word's length inside it, and kept only if it is new.
    fn cover(&mut self, matcher: &ContextMatcher, text: &[u8], range: Range<usize>) {
        let reach = matcher.words().max_pattern_len().saturating_sub(1);
        let old = self.searched.clone();
        // A window apart from the span searched starts a span of its own: the bytes between are
        // no finding's window.
        if range.end <= old.start || range.start >= old.end {
            self.words.clear();
            self.words.extend(matcher.words_walked(text, range.clone()));
            self.words.sort_unstable();
            self.searched = range;
            return;
        }
        if range.start < old.start {
            let upto = (old.start + reach).min(text.len());
            let mut earlier = matcher.words_walked(text, range.start..upto);
            earlier.retain(|w| w.0 < old.start);
            earlier.sort_unstable();
            earlier.append(&mut self.words);
            self.words = earlier;
            self.searched.start = range.start;
        }
        if range.end > old.end {
            let from = old.end.saturating_sub(reach).max(self.searched.start);
            // Words found before that start at `from` or later may now be out of order.
            let unsorted = self.words.partition_point(|w| w.0 < from);
            self.words.extend(matcher.words_walked(text, from..range.end).into_iter().filter(|w| w.1 > old.end));
            self.words[unsorted..].sort_unstable();
            self.searched.end = range.end;
        }
    }

    /// The words wholly inside `range`, which must lie in the span searched.
    fn within(&self, range: Range<usize>) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        let first = self.words.partition_point(|w| w.0 < range.start);
        self.words[first..].iter().copied().take_while(move |w| w.0 < range.end).filter(move |w| w.1 <= range.end)
    }
}

/// `form` as an ASCII-case-insensitive pattern of its bytes.
fn case_insensitive_literal(form: &str) -> String {
    let bytes: String = form
        .bytes()
        .map(|b| match b.is_ascii() {
            true => regex_syntax::escape(&char::from(b).to_string()),
            false => format!("\\x{b:02X}"),
        })
        .collect();
    format!("(?i){bytes}")
}

/// One ASCII-case-insensitive automaton over `forms`.
fn automaton(forms: &[String]) -> Result<AhoCorasick, aho_corasick::BuildError> {
    AhoCorasick::builder().ascii_case_insensitive(true).build(forms)
}

/// A word as people write it and as JSON, YAML and code write it as a key: `student number`, and
/// `student_number`, `student-number`, `studentnumber` (which `studentNumber` matches, case
/// aside), so a key gives its value context as a column header does.
pub(super) fn key_forms(word: &str) -> Vec<String> {
    let mut forms = vec![word.to_string()];
    if word.contains(' ') && needs_word_boundaries(word) {
        forms.extend(["_", "-", ""].iter().map(|joiner| word.replace(' ', joiner)));
    }
    forms
}

/// Start of the line holding `pos`, moved up over folded continuation lines (a line starting with
/// a space or a tab continues the header field above it, RFC 5322 §2.2.3), but never before
/// `floor`: only `floor..pos` is searched, so a value on a line of megabytes (a one-line JSON
/// export, a minified file) costs the window, not the line.
fn field_start(text: &[u8], floor: usize, pos: usize) -> usize {
    let line_start = |end: usize| memchr::memrchr(b'\n', &text[floor..end]).map_or(floor, |i| floor + i + 1);
    let mut start = line_start(pos);
    while start > floor && matches!(text.get(start), Some(b' ' | b'\t')) {
        start = line_start(start - 1);
    }
    start
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_multi_word_context_word_is_also_found_as_a_key() {
        let spec: super::ContextSpec =
            toml::from_str("words = [\"student number\"]\nconfidence = \"high\"\ncolumns = [\"ID\", \"Reg No\"]")
                .unwrap();
        let m = super::ContextMatcher::new(&spec, true).unwrap();
        for text in ["Student number: 1", "{\"student_number\": 1", "studentNumber: 1", "student-number=1"] {
            assert!(m.is_near(text.as_bytes(), text.len() - 1..text.len(), &mut SeenWords::default()), "{text}");
        }
        assert!(!m.is_near(b"studentnumbers 1", 15..16, &mut SeenWords::default()));
        assert!(m.names_people_column(" Reg No. ") && m.names_people_column("id"));
        assert!(!m.names_people_column("Order ID") && !m.is_in("ID"), "a column word is whole and in no prose");
    }

    use super::{field_start, SeenWords};

    #[test]
    fn the_walks_find_the_words_the_automaton_finds() {
        let spec: super::ContextSpec = toml::from_str(
            "words = [\"pull request\", \"merged\", \"(c)\", \"\u{a9}\", \"  <\"]\nbefore = 9000\nconfidence = \"low\"",
        )
        .unwrap();
        let m = super::ContextMatcher::new(&spec, true).unwrap();
        let line = "Merged PULL_REQUEST #7 (C) \u{a9} 2024  <a@b.org> pullrequest, merged\n";
        let text = format!("{}x{}", line.repeat(120), line.repeat(80));
        let t = text.as_bytes();
        for range in [0..t.len(), 17..t.len() - 5, 1000..1100] {
            let mut walked = m.words_walked(t, range.clone());
            walked.sort_unstable();
            let mut searched: Vec<_> = m.words_in(t, range.clone()).collect();
            searched.sort_unstable();
            assert!(searched.len() > 10 || range.len() < 200);
            assert_eq!(walked, searched, "{range:?}");
        }
    }

    #[test]
    fn a_wide_window_finds_the_same_words_from_what_was_searched_before() {
        let spec: super::ContextSpec = toml::from_str(
            "words = [\"thanks to\", \"maintainers\"]\nbefore = 3000\nafter = 3000\nconfidence = \"low\"",
        )
        .unwrap();
        let m = super::ContextMatcher::new(&spec, true).unwrap();
        let filler = "lorem ipsum dolor sit amet ".repeat(200);
        let text = format!("{filler}Thanks to{filler}x{filler}Maintainers: a@b.org{filler}x{filler}");
        let t = text.as_bytes();
        let probes: Vec<usize> = (0..t.len()).step_by(997).chain((0..t.len()).rev().step_by(1499)).collect();
        let mut seen = SeenWords::default();
        for at in probes {
            let fresh = m.is_near(t, at..at + 1, &mut SeenWords::default());
            assert_eq!(m.is_near(t, at..at + 1, &mut seen), fresh, "at {at}");
        }
        let far = text.rfind('x').unwrap();
        assert!(!m.is_near(t, far..far + 1, &mut SeenWords::default()), "no word within 3000 bytes of the last x");
    }

    #[test]
    fn a_header_field_runs_over_its_folded_lines() {
        let text = b"From: a@b.org\nReferences: <1@x.org>\n <2@x.org>\n\t<3@x.org>\nTo: c@d.org\n";
        let at = |s: &str| text.windows(s.len()).position(|w| w == s.as_bytes()).unwrap();
        assert_eq!(field_start(text, 0, at("3@x")), at("References"));
        assert_eq!(field_start(text, 0, at("c@d")), at("To:"));
        assert_eq!(field_start(text, 0, at("a@b")), 0);
        // The floor clips the search: a field starting before it starts, for the window, there.
        assert_eq!(field_start(text, at("<2@x"), at("3@x")), at("<2@x"));
        assert_eq!(field_start(text, at("@x.org>\n <2"), at("3@x")), at("@x.org>\n <2"));
    }
}
