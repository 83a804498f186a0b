//! The first pass over every byte: where does any union pattern (an ungated detector's regex, a
//! gating keyword, a member detector's regex) match?
//!
//! The automaton is regex-automata's lazy DFA; only the walk is ours. A DFA's walk is a chain of
//! dependent table loads, one per byte, so a single walk is bound by memory latency: about
//! 450 MB/s on this pass whatever its patterns (ripgrep running the same patterns walks at the same
//! speed). Three walks over the three thirds of a text, stepped together in one loop, let the
//! processor overlap their loads. The DFA matches with [`MatchKind::All`]: it reports every pattern's every
//! match end without restarting, which is what opening windows needs.
//!
//! Not here: exact match spans. A hit is a pattern and a span that holds its match: the real end,
//! and a start no later than the real one (the pattern's longest match before the end). A
//! pattern with no longest match (a token, a `.netrc` line) is searched again, alone and
//! leftmost-first, in a text where the walks met it: its hits are its own search's matches.

use std::ops::Range;
use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::start;
use regex_automata::util::syntax;
use regex_automata::{meta, Anchored, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Lazy-DFA cache per walk, in bytes: the union's states for ordinary text take under 1 MB.
const CACHE_CAPACITY: usize = 16 << 20;

/// Walks stepped together over a text's shares. Walking the sparse shape with the built-in union
/// alone, three walks ran about 2.6 times as fast as one (1,100 against 420 MB/s), two 1.8 times,
/// four no faster than three.
const WALKS: usize = 3;

/// Texts shorter than this are walked once: each walk pays a start state and a split.
const MIN_SPLIT: usize = 1024;

/// A bounded pattern longer than this keeps texts from being split (the second walk would start
/// this far before the split).
const MAX_OVERLAP: usize = 4096;

/// The union's patterns compiled for the first pass.
pub(super) struct UnionDfa {
    forward: DFA,
    /// Per pattern: its longest match, or its own search.
    starts: Vec<Start>,
    /// Bytes each walk after the first starts before its split; `None` when texts are never
    /// split (a pattern without a longest match can span a line break).
    overlap: Option<usize>,
    /// One lazy-DFA cache per thread.
    caches: Pool<Cache, CacheFn>,
}

type CacheFn = Box<dyn Fn() -> Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// Where a pattern's match starts, seen from its end.
enum Start {
    /// At most this many bytes before the end.
    Within(usize),
    /// Unknown from the end: with every match end reported, a token of 20 KB ends at each of its
    /// last bytes, and a reverse search from each would cost the square of its length. The
    /// pattern's own leftmost-first search over the text finds its matches in one pass instead.
    Search(Box<meta::Regex>),
}

/// One walk of the union's DFA: over `from..to`, recording match ends from `report_from` on, at
/// the text's end when `at_end`.
struct Walk {
    from: usize,
    to: usize,
    report_from: usize,
    at_end: bool,
}

impl UnionDfa {
    /// Compiles `patterns` (at least one) with the engine's syntax.
    pub(super) fn build(patterns: &[String], syntax: syntax::Config) -> Result<UnionDfa, String> {
        UnionDfa::build_with_cache(patterns, syntax, CACHE_CAPACITY)
    }

    fn build_with_cache(patterns: &[String], syntax: syntax::Config, capacity: usize) -> Result<UnionDfa, String> {
        let hirs = patterns
            .iter()
            .map(|p| syntax::parse_with(p, &syntax).map_err(|e| e.to_string()))
            .collect::<Result<Vec<Hir>, String>>()?;
        // Built from the parses already made: parsing is most of building the union.
        let nfa = thompson::Compiler::new()
            .configure(without_captures())
            .build_many_from_hir(&hirs)
            .map_err(|e| e.to_string())?;
        let forward = DFA::builder()
            .configure(
                DFA::config().match_kind(MatchKind::All).cache_capacity(capacity).skip_cache_capacity_check(true),
            )
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        let mut starts = Vec::with_capacity(patterns.len());
        let mut overlap = Some(0);
        for hir in &hirs {
            match hir.properties().maximum_len() {
                Some(len) => {
                    overlap = overlap.map(|o: usize| o.max(len));
                    starts.push(Start::Within(len));
                }
                None => {
                    if can_match_line_break(hir) {
                        overlap = None;
                    }
                    starts.push(Start::Search(Box::new(own_search(hir)?)));
                }
            }
        }
        let overlap = overlap.filter(|&o| o <= MAX_OVERLAP);
        let caches = cache_pool(&forward);
        Ok(UnionDfa { forward, starts, overlap, caches })
    }

    /// Calls `each(pattern, span)` for every match end of every pattern in `text`; `span` ends at
    /// the match's end and starts at or before its start. Hits come in no particular order.
    pub(super) fn hits(&self, text: &[u8], each: &mut dyn FnMut(usize, Range<usize>)) {
        let mut cache = self.caches.get();
        let mut ends: Vec<(usize, usize)> = Vec::new();
        {
            let mut record = |pattern: usize, end: usize| ends.push((pattern, end));
            match self.walks(text) {
                Some(walks) => self.walk_in_step(text, &walks, &mut cache, &mut record),
                None => self.walk_from_start(text, 0..text.len(), &mut cache, 0, true, &mut record),
            }
        }
        // Patterns searched again, alone: rare, so a short list.
        let mut searched: Vec<usize> = Vec::new();
        for (pattern, end) in ends {
            match &self.starts[pattern] {
                Start::Within(len) => each(pattern, end.saturating_sub(*len)..end),
                Start::Search(regex) if !searched.contains(&pattern) => {
                    searched.push(pattern);
                    regex.find_iter(text).for_each(|m| each(pattern, m.range()));
                }
                Start::Search(_) => {}
            }
        }
    }

    /// The [`WALKS`] walks over `text`: each takes over from the one before at a line break near
    /// its share's start and starts the overlap before it, so that it sees whole every match
    /// ending after the line break. `None` when the text is short or has too few line breaks.
    fn walks(&self, text: &[u8]) -> Option<[Walk; WALKS]> {
        let overlap = self.overlap?;
        let len = text.len();
        if len < MIN_SPLIT.max(4 * WALKS * overlap) {
            return None;
        }
        let mut splits = [0; WALKS];
        for (k, split) in splits.iter_mut().enumerate().skip(1) {
            // A pattern without a longest match cannot span a line break (`overlap` is `None`
            // otherwise), so its match ending after a split made at one starts after it.
            let share = k * len / WALKS;
            *split = share + memchr::memchr(b'\n', &text[share..])? + 1;
        }
        if splits.windows(2).any(|pair| pair[1] < pair[0] + overlap) || splits[WALKS - 1] >= len {
            return None;
        }
        Some(std::array::from_fn(|k| Walk {
            from: splits[k].saturating_sub(overlap),
            to: splits.get(k + 1).copied().unwrap_or(len),
            report_from: splits[k],
            at_end: k == WALKS - 1,
        }))
    }

    /// Steps the walks together, then each one's rest alone.
    ///
    /// The walks share one cache, so the states one builds serve the others. A full cache is
    /// cleared, which leaves the other walks' states meaningless: they start again alone,
    /// reporting only ends past where they had come to, one after the other.
    fn walk_in_step(
        &self,
        text: &[u8],
        walks: &[Walk; WALKS],
        cache: &mut Cache,
        record: &mut dyn FnMut(usize, usize),
    ) {
        let dfa = &self.forward;
        let clears = cache.clear_count();
        let mut states = walks.each_ref().map(|w| self.start_state(cache, text, w.from));
        if cache.clear_count() != clears {
            for w in walks {
                self.walk_from_start(text, w.from..w.to, cache, w.report_from, w.at_end, record);
            }
            return;
        }
        let steps = walks.iter().map(|w| w.to - w.from).min().unwrap_or(0);
        let [a, b, c] = walks.each_ref().map(|w| &text[w.from..w.from + steps]);
        for i in 0..steps {
            let [s0, s1, s2] = states;
            if !s0.is_tagged() && !s1.is_tagged() && !s2.is_tagged() {
                let next = [
                    dfa.next_state_untagged(cache, s0, a[i]),
                    dfa.next_state_untagged(cache, s1, b[i]),
                    dfa.next_state_untagged(cache, s2, c[i]),
                ];
                if !next.iter().any(|s| s.is_tagged()) {
                    states = next;
                    continue;
                }
            }
            let clears = cache.clear_count();
            for (k, walk) in walks.iter().enumerate() {
                states[k] = self.step(cache, states[k], text, walk.from + i, walk.report_from, record);
                if cache.clear_count() != clears {
                    return self.walk_apart_after_clear(text, walks, k, states[k], i, cache, record);
                }
            }
        }
        for (walk, state) in walks.iter().zip(states) {
            self.walk_on(text, walk.from + steps..walk.to, cache, state, walk.report_from, walk.at_end, record);
        }
    }

    /// Finishes the walks one by one after walk `cleared_by`, taking byte `i` of its share,
    /// cleared the cache: it goes on from `state`; the walks before it had taken byte `i`, the
    /// walks after it had not, and each starts again from its own start.
    #[allow(clippy::too_many_arguments)]
    fn walk_apart_after_clear(
        &self,
        text: &[u8],
        walks: &[Walk; WALKS],
        cleared_by: usize,
        state: LazyStateID,
        i: usize,
        cache: &mut Cache,
        record: &mut dyn FnMut(usize, usize),
    ) {
        let walk = &walks[cleared_by];
        self.walk_on(text, walk.from + i + 1..walk.to, cache, state, walk.report_from, walk.at_end, record);
        for (k, walk) in walks.iter().enumerate().filter(|&(k, _)| k != cleared_by) {
            let taken = if k < cleared_by { i + 1 } else { i };
            let from = walk.report_from.max(walk.from + taken);
            self.walk_from_start(text, walk.from..walk.to, cache, from, walk.at_end, record);
        }
    }

    /// One walk over `range` from its start state, recording ends from `report_from` on; at the
    /// text's end when `at_end`.
    fn walk_from_start(
        &self,
        text: &[u8],
        range: Range<usize>,
        cache: &mut Cache,
        report_from: usize,
        at_end: bool,
        record: &mut dyn FnMut(usize, usize),
    ) {
        let state = self.start_state(cache, text, range.start);
        self.walk_on(text, range, cache, state, report_from, at_end, record);
    }

    /// Goes on walking `range` from `state`, recording ends from `report_from` on; at the text's
    /// end when `at_end`.
    #[allow(clippy::too_many_arguments)]
    fn walk_on(
        &self,
        text: &[u8],
        range: Range<usize>,
        cache: &mut Cache,
        mut state: LazyStateID,
        report_from: usize,
        at_end: bool,
        record: &mut dyn FnMut(usize, usize),
    ) {
        let dfa = &self.forward;
        for at in range {
            if !state.is_tagged() {
                let next = dfa.next_state_untagged(cache, state, text[at]);
                if !next.is_tagged() {
                    state = next;
                    continue;
                }
            }
            state = self.step(cache, state, text, at, report_from, record);
        }
        if at_end {
            // Matches are seen one byte late: one ending at the text's end shows at its end.
            if let Ok(eoi) = dfa.next_eoi_state(cache, state) {
                self.record_matches(cache, eoi, text.len(), report_from, record);
            }
        }
    }

    /// The transition on `text[at]` the fast loop could not take (a state not yet built, a start
    /// or a match), recording the patterns that match up to `at` when `at >= report_from`.
    #[inline(never)]
    fn step(
        &self,
        cache: &mut Cache,
        state: LazyStateID,
        text: &[u8],
        at: usize,
        report_from: usize,
        record: &mut dyn FnMut(usize, usize),
    ) -> LazyStateID {
        let next = self.forward.next_state(cache, state, text[at]).unwrap_or_else(|_| {
            // The lazy DFA gives up only after a set number of cache clears, and none is set.
            unreachable!("a lazy DFA without a minimum cache clear count never gives up")
        });
        self.record_matches(cache, next, at, report_from, record);
        next
    }

    fn record_matches(
        &self,
        cache: &Cache,
        state: LazyStateID,
        end: usize,
        report_from: usize,
        record: &mut dyn FnMut(usize, usize),
    ) {
        if state.is_match() && end >= report_from {
            for i in 0..self.forward.match_len(cache, state) {
                record(self.forward.match_pattern(cache, state, i).as_usize(), end);
            }
        }
    }

    /// The unanchored start state for a walk from `at`, knowing the byte before it (`\b`, `^`).
    fn start_state(&self, cache: &mut Cache, text: &[u8], at: usize) -> LazyStateID {
        let config = start::Config::new().anchored(Anchored::No).look_behind(at.checked_sub(1).map(|i| text[i]));
        self.forward.start_state(cache, &config).unwrap_or_else(|_| {
            // Start states fail only on quit bytes, which this DFA has none of.
            unreachable!("a lazy DFA without quit bytes has every start state")
        })
    }
}

/// A pattern's own leftmost-first search, as the detector's regex searches.
fn own_search(hir: &Hir) -> Result<meta::Regex, String> {
    meta::Builder::new()
        .configure(meta::Config::new().utf8_empty(false).which_captures(thompson::WhichCaptures::Implicit))
        .build_from_hir(hir)
        .map_err(|e| e.to_string())
}

/// The NFA a DFA is built from, without capture states: a DFA reports no groups, and each
/// capture state is one more to follow in every DFA state built (fewer states to build on
/// warming).
fn without_captures() -> thompson::Config {
    thompson::Config::new().which_captures(thompson::WhichCaptures::None)
}

fn cache_pool(forward: &DFA) -> Pool<Cache, CacheFn> {
    let forward = forward.clone();
    let create: CacheFn = Box::new(move || forward.create_cache());
    Pool::new(create)
}

/// Whether `hir` can match a line feed: a split at a line break cuts no match of a pattern that
/// cannot.
fn can_match_line_break(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(literal) => literal.0.contains(&b'\n'),
        HirKind::Class(Class::Bytes(class)) => class.ranges().iter().any(|r| (r.start()..=r.end()).contains(&b'\n')),
        HirKind::Class(Class::Unicode(class)) => class.ranges().iter().any(|r| (r.start()..=r.end()).contains(&'\n')),
        HirKind::Repetition(repetition) => can_match_line_break(&repetition.sub),
        HirKind::Capture(capture) => can_match_line_break(&capture.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().any(can_match_line_break),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(patterns: &[&str]) -> Vec<String> {
        patterns.iter().map(|p| p.to_string()).collect()
    }

    /// The engine's syntax: ASCII classes, bytes that need not be UTF-8.
    fn ascii() -> syntax::Config {
        syntax::Config::new().unicode(false).utf8(false)
    }

    fn union(patterns: &[&str]) -> UnionDfa {
        UnionDfa::build(&owned(patterns), ascii()).unwrap()
    }

    fn hits(union: &UnionDfa, text: &[u8]) -> Vec<(usize, Range<usize>)> {
        let mut found = Vec::new();
        union.hits(text, &mut |p, span| found.push((p, span)));
        found.sort_by_key(|(p, span)| (span.end, *p));
        found
    }

    #[test]
    fn every_match_end_of_every_pattern_is_a_hit_on_every_side_of_a_split() {
        let u = union(&[r"\b\d{3}\b", r"(?i)(?:^|[^a-z])dob(?:[^a-z]|$)"]);
        let line = "pad pad pad pad pad pad pad pad 123 x DOB: y\n";
        let text = line.repeat(64);
        assert!(u.walks(text.as_bytes()).is_some(), "a long text is walked in shares");
        let found = hits(&u, text.as_bytes());
        let number_ends: Vec<usize> = found.iter().filter(|(p, _)| *p == 0).map(|(_, s)| s.end).collect();
        let expected: Vec<usize> = (0..64).map(|i| i * line.len() + line.find("123").unwrap() + 3).collect();
        assert_eq!(number_ends, expected, "each once, none lost or doubled at the split");
        assert_eq!(found.iter().filter(|(p, _)| *p == 1).count(), 64);
        for (p, span) in &found {
            let held = &text[span.clone()];
            assert!(if *p == 0 { held.ends_with("123") } else { held.contains("DOB") }, "{held:?}");
        }
    }

    #[test]
    fn a_cleared_cache_loses_no_hit_and_doubles_none() {
        let patterns = owned(&[
            r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b",
            r"(?i)(?:^|[^a-z])(?:password|dob|staff id)(?:[^a-z]|$)",
            r"\b[A-Z]{2}\d{2}[A-Z]{4}\b",
        ]);
        let syntax = ascii();
        let roomy = UnionDfa::build(&patterns, syntax).unwrap();
        let cramped = UnionDfa::build_with_cache(&patterns, syntax, 1).unwrap();
        let mut text = String::new();
        for i in 0..400u32 {
            text.push_str(&format!(
                "Row {i}: Password {} DOB staff-id GB{:02}ABCD x{}y\n",
                1000000000 + i * 7919,
                i % 100,
                i
            ));
        }
        let found = hits(&roomy, text.as_bytes());
        assert!(found.len() > 1000);
        assert_eq!(hits(&cramped, text.as_bytes()), found);
        let cache = cramped.caches.get();
        assert!(cache.clear_count() > 10, "the cramped cache was cleared while walking");
    }

    /// Every match a leftmost-first search of the same patterns finds is a hit of its pattern with
    /// the same end and a span holding it, on texts of many shapes, with a roomy cache and a
    /// cramped one.
    #[test]
    fn every_leftmost_first_match_is_held_by_a_hit() {
        let patterns = owned(&[
            r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b",
            r"\b(?:\d{17,19}|\d(?:[ -]?\d){11,18})\b",
            r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
            r"(?i)(?:^|[^A-Za-z0-9])pass[ _-]?word(?:[^A-Za-z0-9]|$)",
            r"(?i)@",
            r"\btoken:[ \t]*eyJ[A-Za-z0-9_-]{8,}",
            r"(?m)^[ \t]*(?:>[ \t]*)*DRAFT\b",
        ]);
        let syntax = ascii();
        let leftmost = regex_automata::meta::Regex::builder().syntax(syntax).build_many(&patterns).unwrap();
        let unions =
            [UnionDfa::build(&patterns, syntax).unwrap(), UnionDfa::build_with_cache(&patterns, syntax, 1).unwrap()];
        let pieces = [
            "0",
            "7",
            "12",
            "345",
            " ",
            "-",
            "\n",
            "GB",
            "82",
            "WEST",
            "@",
            "a",
            "Password",
            "pass_word",
            " > ",
            "DRAFT",
            "token: eyJ",
            "abcdefgh",
            "\t",
            "x.y",
            "99999999999999999",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..150 {
            let mut text = String::new();
            while text.len() < 200 + round * 40 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            for union in &unions {
                let found = hits(union, text.as_bytes());
                for m in leftmost.find_iter(text.as_bytes()) {
                    let held = found.iter().any(|(p, span)| {
                        *p == m.pattern().as_usize() && span.end == m.end() && span.start <= m.start()
                    });
                    assert!(held, "round {round}: pattern {} at {:?} in {text:?}", m.pattern().as_usize(), m.range());
                }
            }
        }
    }

    #[test]
    fn a_match_at_the_very_end_and_one_at_the_start_count() {
        let u = union(&[r"\b\d{3}\b"]);
        assert_eq!(hits(&u, b"123 and 456"), vec![(0, 0..3), (0, 8..11)]);
    }

    #[test]
    fn an_unbounded_match_of_any_length_is_a_hit_with_its_real_span() {
        let u = union(&[r"\btoken:[ \t]*eyJ[A-Za-z0-9_-]{8,}"]);
        for length in [3_000, 16_461, 70_000] {
            let token = format!("token: eyJ{}", "a".repeat(length));
            let text = format!("{}{token}\n{}", "x y\n".repeat(1000), "z\n".repeat(2000));
            let start = text.find("token").unwrap();
            let end = start + token.len();
            assert_eq!(hits(&u, text.as_bytes()), vec![(0, start..end)], "a token of {length} bytes");
        }
    }

    #[test]
    fn a_pattern_spanning_line_breaks_without_a_longest_match_keeps_texts_whole() {
        let u = union(&[r"BEGIN[\s\S]+END"]);
        assert!(u.walks(&b"line\n".repeat(1000)).is_none());
        let u = union(&[r"\bmachine[ \t]+[^\s]+"]);
        assert!(u.walks(&b"line\n".repeat(1000)).is_some());
        assert!(u.walks(&b"no line break".repeat(1000)).is_none(), "a split is made only at a line break");
    }
}
