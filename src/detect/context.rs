//! Context words: is one of a detector's words near a match?
//!
//! Only consulted for candidates that already passed their validator, so it runs on a few hundred
//! bytes around rare matches, never over whole chunks.

use std::ops::Range;

use aho_corasick::AhoCorasick;

use super::rule::ContextSpec;
use super::{is_inside_email_address, is_whole_word, needs_word_boundaries, Confidence};

/// A detector's context words, compiled.
pub struct ContextMatcher {
    words: AhoCorasick,
    whole_word: Vec<bool>,
    before: usize,
    after: usize,
    /// Tier given to a valid finding with a word near it.
    pub confidence: Confidence,
    /// Whether a finding needs a word near it to count at all.
    pub required: bool,
}

impl ContextMatcher {
    pub fn new(spec: &ContextSpec) -> Result<Self, aho_corasick::BuildError> {
        let words = AhoCorasick::builder().ascii_case_insensitive(true).build(&spec.words)?;
        let whole_word = spec.words.iter().map(|w| needs_word_boundaries(w)).collect();
        Ok(ContextMatcher {
            words,
            whole_word,
            before: spec.before,
            after: spec.after,
            confidence: spec.confidence,
            required: spec.required,
        })
    }

    /// True when a context word appears in `header` (a table column's header).
    pub fn is_in(&self, header: &str) -> bool {
        let h = header.as_bytes();
        self.words
            .find_overlapping_iter(h)
            .any(|m| !self.whole_word[m.pattern().as_usize()] || is_whole_word(h, m.start(), m.end()))
    }

    /// True when a context word, as a whole word, lies within the window around `matched`. A word
    /// that is part of an e-mail address (`faith@...`) is not one.
    pub fn is_near(&self, text: &[u8], matched: Range<usize>) -> bool {
        let start = matched.start.saturating_sub(self.before);
        let end = (matched.end + self.after).min(text.len());
        let window = &text[start..end];
        self.words.find_overlapping_iter(window).any(|m| {
            let (s, e) = (start + m.start(), start + m.end());
            let inside_match = s >= matched.start && e <= matched.end;
            let whole_word = self.whole_word[m.pattern().as_usize()];
            let boundaries_ok = !whole_word || (is_whole_word(text, s, e) && !is_inside_email_address(text, s, e));
            !inside_match && boundaries_ok
        })
    }
}
