//! Detection: extracted text in, value-free [`Finding`]s out.
//!
//! Detectors are data (`detectors/*.toml`, embedded at build time, plus a user directory);
//! `compile.rs` turns them into an [`Engine`] once. This module is the engine's work on each chunk
//! of text:
//!
//! 1. one pass of a union (`union.rs`) holding every ungated detector's pattern and one pattern
//!    per gating keyword (e-mail on `@`, passport on "passport", ...) finds each detector's windows:
//!    around its own pattern's hits, near its keywords; most text holds no identifier at all;
//! 2. person-bound and edge-scoped detectors get windows of their own (near what was found, at the
//!    text's edges, everywhere in a table of people);
//! 3. each detector's own regex runs only inside its windows; each candidate passes the shape
//!    vetoes of `shape.rs`, is validated (checksum, structure, ranges, suppression lists), scored
//!    (base tier, validator, context and demote words) and handed out as a [`Finding`] whose value
//!    is already [`Redacted`].
//!
//! Detection does no I/O and cannot fail on its input. It does not know about files, formats or
//! policy: `extract` feeds it text, `classify` weighs what it found.

pub(crate) mod builtin;
mod compile;
mod context;
pub mod finding;
pub mod rule;
mod shape;
mod union;
pub mod validate;

use std::collections::HashSet;
use std::ops::Range;

use regex_automata::Input;
use serde::{Deserialize, Serialize};

pub use compile::{Detector, DetectorFile, DetectorSelection};
pub use finding::{Finding, Fingerprint, FingerprintKey, MaskStyle, Redacted};
pub use rule::{DetectorSource, Example, Role};

use crate::extract::{TableHeader, TextChunk};
use compile::{variant, Keywords, Prefilter, Union, UnionRole};
use context::{ContextMatcher, SeenWords};
use shape::{
    is_inside_code_block, is_inside_email_address, is_number_inside_a_name_or_path, is_part_of_longer_number,
    is_people_table, names_keyword,
};
use validate::{normalise, Verdict};

/// Confidence tiers, as in Purview's 65/75/85: `Low` counts only, `Medium` and `High` count towards
/// a file's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Weak shape without context; counted, never decisive.
    Low,
    /// Valid and well-shaped, no context.
    Medium,
    /// Valid with context, or unambiguous on its own.
    High,
}

/// What kind of data a detector finds; `classify` weighs classes differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorClass {
    /// Identifies a person on its own (NI number, NHS number, passport, bank details...).
    Identifier,
    /// Contact or location data (e-mail, phone, postcode): personal, but ordinary in small numbers.
    QuasiIdentifier,
    /// A secret that unlocks something (private key, password).
    Credential,
    /// GDPR special-category data (health, ethnicity, religion, ...) or criminal-offence data,
    /// counted only where it attaches to a person.
    SpecialCategory,
    /// A protective marking or sensitivity label (HIGHLY CONFIDENTIAL, OFFICIAL-SENSITIVE, DRAFT).
    Marking,
    /// A phrase of a kind of document the policy makes confidential by what it is: an examination
    /// paper, a disciplinary or appraisal record, a contract. One phrase is not a document of that
    /// kind; `classify` asks for several distinct ones.
    Document,
}

/// Bytes either side of a special-category term searched for an identifier or contact detail that
/// ties it to a person.
const PERSON_WINDOW: usize = 300;

/// Bytes at the start and at the end of a text searched by edge-scoped detectors (markings).
const EDGE_BYTES: usize = 2048;

/// Bytes either side of a union hit searched by the hit pattern's detector. Covers an identifier
/// that starts before or ends after the hit the union reported.
const CANDIDATE_MARGIN: usize = 48;

/// Bytes past a window's end a match that started inside it may run on for. A window bounds where
/// a match starts, not where it ends: a key body or an address can begin near a keyword and end
/// well after the window.
const WINDOW_TAIL: usize = 512;

/// Counts of candidates the engine threw away, so suppression is visible in summaries.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChunkStats {
    /// Well-formed values on a documentation, test or allow list.
    pub suppressed: u64,
    /// The chunk is a table whose header names people: its rows are people's records.
    pub people_table: bool,
    /// Per detector, well-formed candidates whose check digit passed and failed.
    check_digits: Vec<CheckDigits>,
    /// Per detector, the words of its context and of each demote list found in this chunk so far.
    seen_words: Vec<Vec<SeenWords>>,
}

impl ChunkStats {
    /// Detector `index`'s slots for words seen: its context's, then each of `demotes` lists'.
    fn seen_words(&mut self, index: usize, demotes: usize) -> &mut [SeenWords] {
        if self.seen_words.len() <= index {
            self.seen_words.resize_with(index + 1, Vec::new);
        }
        let slots = &mut self.seen_words[index];
        if slots.is_empty() {
            slots.resize_with(1 + demotes, SeenWords::default);
        }
        slots
    }
}

/// Well-formed candidates of one detector in a chunk, by their check digit.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct CheckDigits {
    passed: u32,
    failed: u32,
}

/// Failed check digits in a chunk from which passes are judged against chance: a handful of typos
/// in a real list says nothing.
const CHANCE_MIN_FAILED: u32 = 20;

/// A check digit passes by chance about one time in ten (Luhn) or eleven (NHS modulus 11). A chunk
/// where fewer than one candidate in four passes is a table of numbers (stroke counts of a collation
/// table, measurements, ids): its passes are chance, not identifiers.
const CHANCE_PASS_RATIO: u32 = 3;

/// All detectors, compiled, with the union regex that finds candidates and keywords in one pass.
pub struct Engine {
    detectors: Vec<Detector>,
    unions: Vec<Option<Union>>,
    keywords: Keywords,
    person_pass: Option<Prefilter>,
    key: FingerprintKey,
    allowed_fingerprints: HashSet<Fingerprint>,
    /// SHA-256 of the detector files loaded (paths and texts, in load order).
    definitions_digest: [u8; 32],
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("detectors", &self.detectors.len()).finish_non_exhaustive()
    }
}

impl Engine {
    /// Values never reported, by fingerprint (allowed in the configuration with a reason): the
    /// institution's own switchboard number, a shared mailbox. They count as suppressed.
    pub fn allow_fingerprints(&mut self, fingerprints: impl IntoIterator<Item = Fingerprint>) {
        self.allowed_fingerprints.extend(fingerprints);
    }

    /// Identifies what this engine finds in a given text: its detector files, fingerprint key
    /// and allowed fingerprints. Two engines with the same identity produce the same findings.
    pub fn identity(&self) -> [u8; 32] {
        use sha2::Digest;
        let mut allowed: Vec<String> = self.allowed_fingerprints.iter().map(ToString::to_string).collect();
        allowed.sort();
        let mut hash = sha2::Sha256::new();
        hash.update(self.definitions_digest);
        hash.update(sha2::Sha256::digest(self.key.to_hex()));
        hash.update(allowed.join(",").as_bytes());
        hash.finalize().into()
    }

    /// The compiled detectors, in load order; a [`Finding::detector`] indexes this slice.
    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// The fingerprint a value would get from `detector` (for tests and allowlists by value).
    pub fn fingerprint_of(&self, detector: usize, raw: &[u8]) -> Fingerprint {
        let d = &self.detectors[detector];
        self.key.fingerprint(&d.id, &normalise(raw, d.normalisation))
    }

    /// Scans a whole text as one chunk, its typographic spaces made ASCII as extraction makes them;
    /// convenience for examples and tests.
    pub fn scan_all(&self, text: &[u8]) -> Vec<Finding> {
        let mut found = Vec::new();
        let mut normalised = text.to_vec();
        crate::extract::plain::normalise_spaces(&mut normalised, 0);
        let text = normalised.as_slice();
        let table = TableHeader::find(text);
        let chunk =
            TextChunk { text, owned: 0..text.len(), offset: 0, table: table.as_ref(), member: None, last: true };
        self.scan(&chunk, &mut |f| found.push(f));
        found
    }

    /// Scans one chunk. Only matches starting inside the chunk's owned region are reported, so that
    /// overlapping chunks report a match on their boundary exactly once; the bytes outside it give
    /// context.
    pub fn scan(&self, chunk: &TextChunk<'_>, out: &mut dyn FnMut(Finding)) -> ChunkStats {
        let people = is_people_table(chunk);
        let mut stats = ChunkStats { people_table: people, ..ChunkStats::default() };
        let text = chunk.text;
        let mut windows: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.detectors.len()];
        self.collect_windows(text, variant(people), &mut windows);
        if let Some(table) = chunk.table {
            self.open_windows_for_header_keywords(table, chunk, &mut windows);
        }
        let mut found: Vec<(Finding, Range<usize>)> = Vec::new();
        stats.check_digits = vec![CheckDigits::default(); self.detectors.len()];
        self.scan_windows(chunk, &mut windows, &mut stats, &mut found);
        if let Some(table) = chunk.table {
            self.scan_column_values(table, chunk, &mut stats, &mut found);
        }
        demote_chance_passes(&stats.check_digits, &mut found);
        // Outside tables of people, person-bound detectors look only near what was found.
        let mut person_windows: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.detectors.len()];
        if !people && self.open_person_windows(&found, text.len(), chunk.text, &mut person_windows) {
            self.scan_windows(chunk, &mut person_windows, &mut stats, &mut found);
        }
        drop_contained_matches(&mut found);
        self.keep_only_person_bound(&mut found, people);
        for (finding, _) in found {
            out(finding);
        }
        stats
    }

    /// One pass of the union over the chunk: a detector's own pattern opens a window for it
    /// around each hit, a keyword a window for each detector it gates.
    fn collect_windows(&self, text: &[u8], variant: usize, windows: &mut [Vec<Range<usize>>]) {
        let Some(union) = &self.unions[variant] else {
            return;
        };
        let around =
            |span: Range<usize>, reach: usize| span.start.saturating_sub(reach)..(span.end + reach).min(text.len());
        union.dfa.hits(text, &mut |pattern, span| match &union.roles[pattern] {
            UnionRole::Keyword => self.keywords.owners_in(text, span.clone(), &mut |owners| {
                for &d in owners {
                    windows[d].push(around(span.clone(), self.detectors[d].keyword_window));
                }
            }),
            UnionRole::Member(d) => windows[*d].push(around(span, CANDIDATE_MARGIN)),
        });
    }

    fn scan_windows(
        &self,
        chunk: &TextChunk<'_>,
        windows: &mut [Vec<Range<usize>>],
        stats: &mut ChunkStats,
        found: &mut Vec<(Finding, Range<usize>)>,
    ) {
        for (i, detector_windows) in windows.iter_mut().enumerate() {
            merge_ranges(detector_windows);
            for w in detector_windows.iter() {
                self.scan_window(i, chunk, w.clone(), stats, &mut |f, span| found.push((f, span)));
            }
        }
    }

    /// Windows for person-bound detectors around each identifier or contact detail found. False
    /// when there is nothing to search.
    fn open_person_windows(
        &self,
        found: &[(Finding, Range<usize>)],
        len: usize,
        text: &[u8],
        windows: &mut [Vec<Range<usize>>],
    ) -> bool {
        let Some(pass) = &self.person_pass else {
            return false;
        };
        let mut regions: Vec<Range<usize>> = found
            .iter()
            .filter(|(f, _)| self.is_person_anchor(f))
            .map(|(_, span)| span.start.saturating_sub(PERSON_WINDOW)..(span.end + PERSON_WINDOW).min(len))
            .collect();
        merge_ranges(&mut regions);
        pass.open_windows(text, &regions, windows)
    }

    fn is_person_anchor(&self, f: &Finding) -> bool {
        matches!(self.detectors[f.detector].class, DetectorClass::Identifier | DetectorClass::QuasiIdentifier)
            && f.confidence >= Confidence::Medium
    }

    /// A special-category term counts only where it attaches to a person: an identifier or contact
    /// detail within [`PERSON_WINDOW`] bytes, or a row of a table whose header names people.
    fn keep_only_person_bound(&self, found: &mut Vec<(Finding, Range<usize>)>, people_table: bool) {
        if !found.iter().any(|(f, _)| self.detectors[f.detector].requires_person) {
            return;
        }
        if people_table {
            return;
        }
        let anchors: Vec<usize> =
            found.iter().filter(|(f, _)| self.is_person_anchor(f)).map(|(_, span)| span.start).collect();
        found.retain(|(f, span)| {
            !self.detectors[f.detector].requires_person
                || anchors.iter().any(|&a| a + PERSON_WINDOW >= span.start && a <= span.end + PERSON_WINDOW)
        });
    }

    /// A gating keyword in a column header (`DOB`, `Passport number`) opens the whole chunk to that
    /// detector: the values sit in rows far below the header. (A column word of a detector's
    /// context as a whole header, `ID` in a table of people, needs no window: the union of a
    /// table of people holds that detector's pattern.)
    fn open_windows_for_header_keywords(
        &self,
        table: &TableHeader,
        chunk: &TextChunk<'_>,
        windows: &mut [Vec<Range<usize>>],
    ) {
        let Some(union) = &self.unions[0] else {
            return;
        };
        let len = chunk.text.len();
        for cell in table.cells() {
            union.dfa.hits(cell.as_bytes(), &mut |pattern, span| {
                if let UnionRole::Keyword = union.roles[pattern] {
                    self.keywords.owners_in(cell.as_bytes(), span, &mut |owners| {
                        for &d in owners {
                            windows[d].push(0..len);
                        }
                    });
                }
            });
        }
    }

    /// Judges every cell of a column whose header holds one of a detector's `column_values` words:
    /// a value with no shape of its own (a password) is known by the column it sits in.
    fn scan_column_values(
        &self,
        table: &TableHeader,
        chunk: &TextChunk<'_>,
        stats: &mut ChunkStats,
        found: &mut Vec<(Finding, Range<usize>)>,
    ) {
        for (index, d) in self.detectors.iter().enumerate().filter(|(_, d)| !d.column_keywords.is_empty()) {
            let columns = table.cells().iter().enumerate().filter(|(_, h)| names_keyword(h, &d.column_keywords));
            for (column, _) in columns {
                for cell in table.column_cells(chunk.text, chunk.offset, column) {
                    if !chunk.owned.contains(&cell.start) {
                        continue;
                    }
                    if let Some(finding) = self.judge(index, chunk, cell.clone(), cell.clone(), false, stats) {
                        found.push((finding, cell));
                    }
                }
            }
        }
    }

    fn scan_window(
        &self,
        index: usize,
        chunk: &TextChunk<'_>,
        window: Range<usize>,
        stats: &mut ChunkStats,
        out: &mut dyn FnMut(Finding, Range<usize>),
    ) {
        let d = &self.detectors[index];
        let search_end = (window.end + d.tail).min(chunk.text.len());
        let input = Input::new(chunk.text).range(window.start..search_end);
        let mut emit = |span: Range<usize>, whole: Range<usize>, needs_context: bool| {
            if !chunk.owned.contains(&whole.start) || is_part_of_longer_number(chunk.text, &whole) {
                return;
            }
            if d.requires_person && is_inside_email_address(chunk.text, whole.start, whole.end) {
                return;
            }
            if d.class == DetectorClass::Marking && is_inside_code_block(chunk.text, &whole) {
                return;
            }
            // A marking counts only wholly inside an edge: the union's marking patterns run over
            // the whole chunk (a variant without them would be one more DFA to warm).
            if d.edge_scoped && !edges(chunk).iter().any(|edge| edge.start <= whole.start && whole.end <= edge.end) {
                return;
            }
            if let Some(finding) = self.judge(index, chunk, span, whole.clone(), needs_context, stats) {
                out(finding, whole);
            }
        };
        if d.value_groups.is_empty() {
            // Matches come in order of where they start: past the window's end none counts.
            for m in d.regex.get().find_iter(input).take_while(|m| m.start() < window.end) {
                emit(m.range(), m.range(), false);
            }
            return;
        }
        // An alternative without a value group is its whole match.
        for caps in d.regex.get().captures_iter(input) {
            let Some(whole) = caps.get_match() else { continue };
            if whole.start() >= window.end {
                break;
            }
            let (value, needs_context) = d
                .value_groups
                .iter()
                .find_map(|&(g, needs_context)| Some((caps.get_group(g)?, needs_context)))
                .unwrap_or((whole.span(), false));
            emit(value.range(), whole.range(), needs_context);
        }
    }

    /// Validates and scores one candidate; `None` when it is not a finding.
    fn judge(
        &self,
        index: usize,
        chunk: &TextChunk<'_>,
        value: Range<usize>,
        whole: Range<usize>,
        needs_context: bool,
        stats: &mut ChunkStats,
    ) -> Option<Finding> {
        let d = &self.detectors[index];
        let raw = &chunk.text[value.clone()];
        let normalised = normalise(raw, d.normalisation);
        let verdict = d.validator.check(raw, &normalised);
        if let Some(count) = stats.check_digits.get_mut(index) {
            match verdict {
                Verdict::WrongCheckDigit => count.failed += 1,
                Verdict::Invalid => {}
                _ => count.passed += 1,
            }
        }
        let suppressed = verdict == Verdict::Suppressed || d.allowlist.contains(&normalised);
        if suppressed {
            stats.suppressed += 1;
            return None;
        }
        // Words count near the value or in the header of its column.
        let near = |c: &ContextMatcher, seen: &mut SeenWords| {
            c.is_near(chunk.text, whole.clone(), seen)
                || chunk
                    .table
                    .and_then(|t| t.column_at(chunk.text, chunk.offset, whole.start))
                    .is_some_and(|h| c.is_in(h))
        };
        // A column word (`ID`) counts only as the whole header of the value's column in a table of people.
        let names_people_column = |c: &ContextMatcher| {
            chunk
                .table
                .and_then(|t| t.column_at(chunk.text, chunk.offset, whole.start))
                .is_some_and(|h| c.names_people_column(h))
                && is_people_table(chunk)
        };
        let seen = stats.seen_words(index, d.demote.len());
        let (context_seen, demote_seen) = seen.split_first_mut().expect("a slot for the context and each demote list");
        let mut has_context = || d.context.as_ref().is_some_and(|c| near(c, context_seen) || names_people_column(c));
        let confidence = match verdict {
            Verdict::Invalid | Verdict::WrongCheckDigit | Verdict::Suppressed => return None,
            Verdict::Weak => Confidence::Low,
            Verdict::Strong => Confidence::High,
            Verdict::Valid => match &d.context {
                Some(c) if has_context() => c.confidence,
                Some(c) if c.required => return None,
                _ if needs_context => return None,
                _ => d.confidence,
            },
        };
        // Demote lists are tried in file order, cheap windows first, and only while they could
        // still lower the tier: a wide window is searched for few values.
        let demoted = d
            .demote
            .iter()
            .zip(demote_seen.iter_mut())
            .filter(|(demote, _)| demote.confidence < confidence)
            .find_map(|(demote, seen)| near(demote, seen).then_some(demote));
        let confidence = match demoted {
            Some(demote) => demote.confidence,
            None if is_number_inside_a_name_or_path(chunk.text, &whole) => Confidence::Low,
            None => confidence,
        };
        let fingerprint = self.key.fingerprint(&d.id, &normalised);
        if self.allowed_fingerprints.contains(&fingerprint) {
            stats.suppressed += 1;
            return None;
        }
        Some(Finding {
            detector: index,
            confidence,
            value: Redacted::new(&normalised, d.mask, fingerprint),
            offset: chunk.offset + value.start as u64,
        })
    }
}

/// The edges of its text a chunk holds, where edge-scoped detectors (markings) look: the first
/// and the last [`EDGE_BYTES`] of a text, its page and document headers and footers, watermarks,
/// properties. A short text is all edge.
fn edges(chunk: &TextChunk<'_>) -> Vec<Range<usize>> {
    let len = chunk.text.len();
    let mut edges = Vec::new();
    if chunk.offset == 0 {
        edges.push(0..EDGE_BYTES.min(len));
    }
    if chunk.last {
        edges.push(len.saturating_sub(EDGE_BYTES)..len);
    }
    edges
}

/// Lowers to `Low` the findings, without context, of a detector whose check digits in this chunk
/// passed no more often than chance ([`CHANCE_PASS_RATIO`]): numbers of a table that happen to
/// pass. Findings with a context word (a card number beside "Visa") keep their tier.
fn demote_chance_passes(counts: &[CheckDigits], found: &mut [(Finding, Range<usize>)]) {
    for (finding, _) in found.iter_mut() {
        let Some(c) = counts.get(finding.detector) else { continue };
        if c.failed >= CHANCE_MIN_FAILED
            && c.passed * CHANCE_PASS_RATIO < c.failed
            && finding.confidence == Confidence::Medium
        {
            finding.confidence = Confidence::Low;
        }
    }
}

/// Drops a match lying strictly inside a longer match of another detector: the `07...` run inside
/// a card number is not a phone number, the digits inside an IBAN are not an account number.
fn drop_contained_matches(found: &mut Vec<(Finding, Range<usize>)>) {
    if found.len() < 2 {
        return;
    }
    found.sort_by(|a, b| a.1.start.cmp(&b.1.start).then(b.1.end.cmp(&a.1.end)));
    let mut widest_end = 0usize;
    let mut widest_len = 0usize;
    found.retain(|(_, span)| {
        let contained = span.end <= widest_end && span.len() < widest_len;
        if span.end > widest_end {
            widest_end = span.end;
            widest_len = span.len();
        }
        !contained
    });
}

/// Sorts ranges and merges those that overlap or touch.
fn merge_ranges(ranges: &mut Vec<Range<usize>>) {
    if ranges.len() < 2 {
        return;
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    *ranges = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_inside_longer_matches_are_dropped() {
        let key = FingerprintKey::new(vec![1; 32]);
        let finding = |detector| Finding {
            detector,
            confidence: Confidence::Low,
            value: Redacted::new(b"x", MaskStyle::Full, key.fingerprint("d", b"x")),
            offset: 0,
        };
        let mut found = vec![(finding(1), 5..18), (finding(0), 0..19), (finding(2), 30..40), (finding(3), 30..40)];
        drop_contained_matches(&mut found);
        let kept: Vec<usize> = found.iter().map(|(f, _)| f.detector).collect();
        assert_eq!(kept, vec![0, 2, 3], "the inner match goes; equal spans both stay");
    }

    #[test]
    fn passes_no_more_often_than_chance_are_demoted() {
        let key = FingerprintKey::new(vec![1; 32]);
        let finding = |detector, confidence| Finding {
            detector,
            confidence,
            value: Redacted::new(b"x", MaskStyle::Full, key.fingerprint("d", b"x")),
            offset: 0,
        };
        let counts = [CheckDigits { passed: 10, failed: 90 }, CheckDigits { passed: 40, failed: 3 }];
        let mut found = vec![
            (finding(0, Confidence::Medium), 0..1),
            (finding(0, Confidence::High), 2..3),
            (finding(1, Confidence::Medium), 4..5),
        ];
        demote_chance_passes(&counts, &mut found);
        let tiers: Vec<Confidence> = found.iter().map(|(f, _)| f.confidence).collect();
        assert_eq!(tiers, [Confidence::Low, Confidence::High, Confidence::Medium], "a list with typos keeps its tier");
    }

    #[test]
    fn ranges_merge_when_they_overlap_or_touch() {
        let mut r = vec![10..20, 0..5, 5..7, 15..30, 40..41];
        merge_ranges(&mut r);
        assert_eq!(r, vec![0..7, 10..30, 40..41]);
    }
}
