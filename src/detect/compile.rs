//! Detector files to a compiled [`Engine`]: each file's regex, value groups, context and demote
//! words and examples as a [`Detector`]; the union in its two variants (keywords folded in
//! as patterns of their own); the prefilters for person-bound and edge-scoped detectors; the digest
//! of the definitions that names an engine; and the run of a user's examples at start.
//!
//! Not here: parsing a file's TOML (`rule.rs`), finding the embedded files (`builtin.rs`), or
//! searching text (the engine's scan, in `mod.rs`).

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::Input;

use super::context::ContextMatcher;
use super::rule::{self, DetectorSource, Example, Role};
use super::shape::needs_word_boundaries;
use super::union::UnionDfa;
use super::validate::{normalise, Normalisation, ValidatorKind};
use super::{
    builtin, merge_ranges, Confidence, DetectorClass, Engine, Finding, Fingerprint, FingerprintKey, MaskStyle,
    CANDIDATE_MARGIN, WINDOW_TAIL,
};
use crate::error::ConfigError;

/// One compiled detector.
pub struct Detector {
    pub(super) id: String,
    pub(super) class: DetectorClass,
    pub(super) roles: Vec<Role>,
    pub(super) regex: DetectorRegex,
    /// Capture groups whose names start with `value` or `context_value`: the value, when the
    /// pattern also matches a label. Alternatives with values of different shapes each name their
    /// own; `true` marks a `context_value` group, whose value counts only with a context word near
    /// it or in its column's header (a union's name is membership only in a Union column).
    pub(super) value_groups: Vec<(usize, bool)>,
    pub(super) validator: ValidatorKind,
    pub(super) normalisation: Normalisation,
    pub(super) confidence: Confidence,
    pub(super) context: Option<ContextMatcher>,
    pub(super) demote: Vec<ContextMatcher>,
    pub(super) keyword_window: usize,
    /// Bytes past a window's end that its search runs on for: [`WINDOW_TAIL`], or the longest
    /// match the pattern can make when that is shorter (an identifier is a few dozen bytes). Only
    /// matches that start in the window count, and none of those ends further out.
    pub(super) tail: usize,
    pub(super) allowlist: HashSet<Vec<u8>>,
    pub(super) mask: MaskStyle,
    pub(super) examples: Vec<(usize, Example)>,
    pub(super) description: String,
    pub(super) path: std::path::PathBuf,
    pub(super) embedded: bool,
    pub(super) requires_person: bool,
    /// Counted only within [`super::EDGE_BYTES`] of its text's start or end (markings).
    pub(super) edge_scoped: bool,
    /// Lower-case header words whose column's cells are all candidates (`column_values`).
    pub(super) column_keywords: Vec<String>,
}

impl Detector {
    /// The stable id reports carry.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The kind of data it finds.
    pub fn class(&self) -> DetectorClass {
        self.class
    }

    /// The parts it plays in classification beyond its class.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The detector's own examples with the line each starts on.
    pub fn examples(&self) -> &[(usize, Example)] {
        &self.examples
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What it finds, in the detector file's words.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The confidence of a well-formed match with no context.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }

    /// True for a detector built into dlp-scan, false for one of the configuration's.
    pub fn is_embedded(&self) -> bool {
        self.embedded
    }
}

/// Which detectors to load: the embedded set, less disabled ids, plus a user's files.
#[derive(Debug, Clone)]
pub struct DetectorSelection {
    /// Ids of embedded or custom detectors to leave out (the configuration checks that each
    /// names one, where it names it).
    pub disabled: Vec<String>,
    /// The user's extra detector files, as read when the configuration was loaded.
    pub custom_files: Vec<DetectorFile>,
}

/// A user's detector file as read: where it came from (for messages) and its text. Loading the
/// engine reads no file, so a worker builds the same engine from the same texts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DetectorFile {
    /// Its path.
    pub path: std::path::PathBuf,
    /// Its TOML text.
    pub text: String,
}

/// What a hit of one union pattern means.
#[derive(Clone)]
pub(super) enum UnionRole {
    /// One of the gating keywords: [`Keywords::owners_in`] tells which, and whose.
    Keyword,
    /// The pattern of one detector: an ungated or edge-scoped one's in both variants, a
    /// person-bound one's in the variant for tables of people.
    Member(usize),
}

/// The union in one of its two variants, chosen per chunk so that each chunk is passed over once:
/// with the person-bound patterns for a table of people, without them elsewhere. Both hold the
/// edge-scoped patterns (markings), whose hits away from a text's edges are dropped: one more
/// variant would be one more lazy DFA to build states for in every thread.
pub(super) struct Union {
    pub(super) dfa: UnionDfa,
    pub(super) roles: Vec<UnionRole>,
}

/// Index of the union variant for a chunk.
pub(super) fn variant(people_table: bool) -> usize {
    usize::from(people_table)
}

/// The gating keywords (and their forms as a key: `student_number`), each with the detectors it
/// gates. Words of letters, digits and spaces must stand alone (`pin` is not in `spine`); words
/// with punctuation (`P<GBR`, `@`, `a/c`) match anywhere.
///
/// The union holds them as two alternations, one of standing-alone words and one of the others:
/// one pattern per keyword made each state of the union's lazy DFA hold a start of every keyword,
/// so building states (every thread does, as a text needs them) cost 40 ms against under 5 for
/// the alternations, whose words the NFA compiler shares as a trie (walking the sparse shape's
/// union alone, first against second run). A hit is rare (7,500 in the 512 MB of the sparse and
/// dense shapes); `owners_in` then tells which keyword it was.
pub(super) struct Keywords {
    /// One pattern per keyword, with its boundaries.
    each: Regex,
    owners: Vec<Vec<usize>>,
}

impl Keywords {
    /// The keywords of `sources`, and the union patterns that find them.
    fn build(sources: &[DetectorSource]) -> Result<(Keywords, Vec<String>), ConfigError> {
        let mut by_keyword: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            for lower in source.spec.keywords.iter().map(|k| k.to_ascii_lowercase()) {
                match by_keyword.iter_mut().find(|(w, _)| *w == lower) {
                    Some((_, owners)) if !owners.contains(&i) => owners.push(i),
                    Some(_) => {}
                    None => by_keyword.push((lower, vec![i])),
                }
            }
        }
        let (mut standing, mut anywhere, mut each) = (Vec::new(), Vec::new(), Vec::new());
        for (word, _) in &by_keyword {
            // A word's key forms (`context::key_forms`: `student_number`, `student-number`,
            // `studentNumber`) as one pattern with a class, not an alternation of four.
            let escaped = if word.contains(' ') && needs_word_boundaries(word) {
                word.split(' ').map(regex_syntax::escape).collect::<Vec<_>>().join("[ _-]?")
            } else {
                regex_syntax::escape(word)
            };
            if needs_word_boundaries(word) {
                each.push(standing_alone(&escaped));
                standing.push(escaped);
            } else {
                each.push(format!("(?i){escaped}"));
                anywhere.push(escaped);
            }
        }
        let mut union = Vec::new();
        if !standing.is_empty() {
            union.push(standing_alone(&format!("(?:{})", standing.join("|"))));
        }
        if !anywhere.is_empty() {
            union.push(format!("(?i)(?:{})", anywhere.join("|")));
        }
        let each = compile_many(&each)?;
        Ok((Keywords { each, owners: by_keyword.into_iter().map(|(_, owners)| owners).collect() }, union))
    }

    /// Calls `gated(owners)` for each keyword matching inside `span` of `text` (a union hit of
    /// the keywords).
    pub(super) fn owners_in(&self, text: &[u8], span: Range<usize>, gated: &mut dyn FnMut(&[usize])) {
        let mut found = regex_automata::PatternSet::new(self.each.pattern_len());
        self.each.which_overlapping_matches(&Input::new(text).range(span), &mut found);
        for pattern in found.iter() {
            gated(&self.owners[pattern.as_usize()]);
        }
    }
}

/// A case-insensitive `word` (a pattern) standing alone: between bytes that are not letters or
/// digits, so that `db_password` has the word `password` (`\b` would count `_` as a letter). The
/// bytes consumed either side only widen the window.
fn standing_alone(word: &str) -> String {
    format!("(?i)(?:^|[^A-Za-z0-9]){word}(?:[^A-Za-z0-9]|$)")
}

/// The keywords' own patterns, one regex reporting every one that matches.
fn compile_many(patterns: &[String]) -> Result<Regex, ConfigError> {
    Regex::builder()
        .syntax(syntax_config())
        .configure(Regex::config().match_kind(regex_automata::MatchKind::All).utf8_empty(false))
        .build_many(patterns)
        .map_err(uncombined)
}

/// A group of detectors searched only in some regions of a text (near people, at the edges):
/// one union of their patterns finds the spots, and each detector's regex runs only there.
pub(super) struct Prefilter {
    union: Regex,
    members: Vec<usize>,
}

impl Prefilter {
    fn build(
        sources: &[DetectorSource],
        member: impl Fn(&DetectorSource) -> bool,
    ) -> Result<Option<Prefilter>, ConfigError> {
        let members: Vec<usize> = (0..sources.len()).filter(|&i| member(&sources[i])).collect();
        let patterns: Vec<String> = members.iter().map(|&i| sources[i].spec.regex.get_ref().clone()).collect();
        Ok(build_union(&patterns)?.map(|union| Prefilter { union, members }))
    }

    /// Searches `regions` once with the union and opens a window around each hit for every member
    /// detector. True when any window was opened.
    pub(super) fn open_windows(
        &self,
        text: &[u8],
        regions: &[Range<usize>],
        windows: &mut [Vec<Range<usize>>],
    ) -> bool {
        let mut spots: Vec<Range<usize>> = Vec::new();
        for region in regions {
            for m in self.union.find_iter(Input::new(text).range(region.clone())) {
                spots.push(m.start().saturating_sub(CANDIDATE_MARGIN)..(m.end() + CANDIDATE_MARGIN).min(text.len()));
            }
        }
        merge_ranges(&mut spots);
        for &i in &self.members {
            windows[i].extend(spots.iter().cloned());
        }
        !spots.is_empty()
    }
}

/// One multi-pattern regex (lazy DFA) over `patterns`; `None` when there are none.
///
/// No automatic prefilter: the union's patterns start with classes (`\b\d`, a keyword's
/// non-letter boundary), so no literal set can stand before it, and looking for one (literal
/// extraction over every pattern) cost 76 million instructions at every start, a third of
/// building the unions (callgrind).
fn build_union(patterns: &[String]) -> Result<Option<Regex>, ConfigError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    Regex::builder()
        .syntax(syntax_config())
        .configure(Regex::config().utf8_empty(false).auto_prefilter(false).hybrid_cache_capacity(16 << 20))
        .build_many(patterns)
        .map(Some)
        .map_err(uncombined)
}

/// Whether the detector counts only at its text's edges (a person-bound one counts near people).
fn is_edge_scoped(source: &DetectorSource) -> bool {
    source.spec.scope == rule::Scope::Edges && !source.spec.requires_person
}

/// Whether the detector's context counts a whole column header (`ID`) in a table of people.
fn has_column_words(source: &DetectorSource) -> bool {
    source.spec.context.as_ref().is_some_and(|c| !c.columns.is_empty())
}

/// The first pass's automaton over `patterns`; `None` when there are none.
fn build_union_dfa(patterns: &[String]) -> Result<Option<UnionDfa>, ConfigError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    UnionDfa::build(patterns, syntax_config()).map(Some).map_err(uncombined)
}

/// The error of detector patterns and keywords that build no union together (each compiles
/// alone: too many states, say).
fn uncombined(e: impl std::fmt::Display) -> ConfigError {
    ConfigError::Invalid {
        path: "detectors".into(),
        line: 0,
        column: 0,
        message: format!("detector patterns and keywords do not combine: {e}"),
    }
}

pub(super) fn syntax_config() -> syntax::Config {
    // Identifiers are ASCII: byte-oriented classes keep the lazy DFA small and fast, and let `\b` run
    // in the DFA (a Unicode `\b` would force the slow engines).
    syntax::Config::new().unicode(false).utf8(false)
}

/// One detector's regex; an error is [`regex_error`]'s reason and place.
fn compile(pattern: &str) -> Result<Regex, (String, Option<usize>)> {
    Regex::builder()
        .syntax(syntax_config())
        .configure(Regex::config().utf8_empty(false).hybrid_cache_capacity(8 << 20))
        .build(pattern)
        .map_err(|e| regex_error(&e))
}

/// The regex engine's own words for a pattern it refused (`unclosed group`), and the byte of the
/// pattern they point at when they point at one. The build error's own text says only "error
/// parsing pattern 0"; the reason is its source.
fn regex_error(e: &regex_automata::meta::BuildError) -> (String, Option<usize>) {
    match e.syntax_error().and_then(syntax_error_at) {
        Some(reason_and_place) => reason_and_place,
        None => match std::error::Error::source(e) {
            Some(reason) => (format!("{e}: {reason}"), None),
            None => (e.to_string(), None),
        },
    }
}

/// The parser's own words for a syntax error and the byte of the pattern it points at.
fn syntax_error_at(e: &regex_syntax::Error) -> Option<(String, Option<usize>)> {
    match e {
        regex_syntax::Error::Parse(e) => Some((e.kind().to_string(), Some(e.span().start.offset))),
        regex_syntax::Error::Translate(e) => Some((e.kind().to_string(), Some(e.span().start.offset))),
        _ => None,
    }
}

/// [`syntax_error_at`], or the error's own text without a place.
fn syntax_error(e: &regex_syntax::Error) -> (String, Option<usize>) {
    syntax_error_at(e).unwrap_or_else(|| (e.to_string(), None))
}

/// Where byte `at` of the detector's regex stands in its file, when the file writes the pattern as
/// it is (a literal string, or a basic string without escapes) after its opening quotes.
fn offset_in_file(source: &DetectorSource, at: usize) -> Option<usize> {
    let span = source.spec.regex.span();
    let written = source.text.get(span.clone())?;
    let pattern = source.spec.regex.get_ref().as_str();
    // One quote, or three, or three and the newline TOML drops after them.
    let quotes = (1..=4).find(|&i| written.get(i..).is_some_and(|w| w.starts_with(pattern)))?;
    Some(span.start + quotes + at)
}

/// A located error at byte `at` of the detector's regex (at the regex's value when the file does
/// not write the pattern as it is).
fn error_in_regex(source: &DetectorSource, at: Option<usize>, message: String) -> ConfigError {
    let offset = at.and_then(|at| offset_in_file(source, at)).unwrap_or(source.spec.regex.span().start);
    ConfigError::at_offset(&source.path, &source.text, offset, message)
}

impl Engine {
    /// Loads the embedded detectors and the user's and compiles them. Call
    /// [`Engine::check_user_examples`] before trusting a user's detectors.
    pub fn load(selection: &DetectorSelection, key: FingerprintKey) -> Result<Engine, ConfigError> {
        let mut sources = builtin::embedded_sources()?;
        for file in &selection.custom_files {
            sources.push(DetectorSource::parse(&file.path, file.text.clone())?);
        }
        let mut seen = HashSet::new();
        for s in &sources {
            if !seen.insert(s.spec.id.get_ref().clone()) {
                return Err(s.error_at(s.spec.id.span(), "a detector with this id is already loaded"));
            }
        }
        sources.retain(|s| !selection.disabled.contains(s.spec.id.get_ref()));
        Engine::from_sources(sources, key)
    }

    /// Compiles parsed detector files.
    pub fn from_sources(sources: Vec<DetectorSource>, key: FingerprintKey) -> Result<Engine, ConfigError> {
        let detectors = sources.iter().map(compile_detector).collect::<Result<Vec<_>, _>>()?;
        let mut patterns: Vec<String> = Vec::new();
        let mut roles: Vec<UnionRole> = Vec::new();
        // Person-bound and edge-scoped detectors are searched only where they can count (near a
        // person, at a text's edges), so they stay out of the plain pass over every byte.
        let in_union = |s: &DetectorSource| {
            s.spec.keywords.is_empty() && !s.spec.requires_person && s.spec.scope == rule::Scope::Anywhere
        };
        // Every match of an ungated detector's own pattern is a hit of the union (which reports
        // every match end), so each such detector needs windows only around its own hits.
        for (i, source) in sources.iter().enumerate().filter(|(_, s)| in_union(s)) {
            patterns.push(source.spec.regex.get_ref().clone());
            roles.push(UnionRole::Member(i));
        }
        let (keywords, keyword_patterns) = Keywords::build(&sources)?;
        for pattern in keyword_patterns {
            patterns.push(pattern);
            roles.push(UnionRole::Keyword);
        }
        let mut unions = Vec::with_capacity(2);
        for people in [false, true] {
            debug_assert_eq!(variant(people), unions.len());
            let (mut p, mut r) = (patterns.clone(), roles.clone());
            for (i, source) in sources.iter().enumerate() {
                // In a table of people, a detector whose context includes column words (`ID`) is
                // searched where its own pattern matches: the column decides in `judge`.
                let person = (source.spec.requires_person || has_column_words(source)) && people;
                if person || is_edge_scoped(source) {
                    p.push(source.spec.regex.get_ref().clone());
                    r.push(UnionRole::Member(i));
                }
            }
            unions.push(build_union_dfa(&p)?.map(|dfa| Union { dfa, roles: r }));
        }
        let person_pass = Prefilter::build(&sources, |s| s.spec.requires_person)?;
        let definitions_digest = digest_definitions(&sources);
        Ok(Engine {
            detectors,
            unions,
            keywords,
            person_pass,
            key,
            allowed_fingerprints: HashSet::new(),
            definitions_digest,
        })
    }

    /// Runs the examples of the user's detectors through the whole engine. An example that fails is
    /// a detector file error, pointing at the example's line. (The embedded detectors' examples are
    /// checked by the test suite; they cannot change without a rebuild.)
    pub fn check_user_examples(&self) -> Result<(), ConfigError> {
        for (index, d) in self.detectors.iter().enumerate().filter(|(_, d)| !d.embedded) {
            for (line, example) in &d.examples {
                if let Some(problem) = self.example_problem(index, example) {
                    return Err(ConfigError::Invalid {
                        path: d.path.clone(),
                        line: *line,
                        column: 1,
                        message: format!("example does not hold: {problem}"),
                    });
                }
            }
        }
        Ok(())
    }

    /// Describes, without quoting any value, how the engine's output differs from an example; `None`
    /// when the example holds.
    pub fn example_problem(&self, index: usize, example: &Example) -> Option<String> {
        let found: Vec<Finding> =
            self.scan_all(example.text.as_bytes()).into_iter().filter(|f| f.detector == index).collect();
        let mut expected: Vec<Fingerprint> =
            example.matches.iter().map(|m| self.fingerprint_of(index, m.as_bytes())).collect();
        let mut got: Vec<Fingerprint> = found.iter().map(|f| f.value.fingerprint()).collect();
        expected.sort();
        got.sort();
        if expected != got {
            return Some(format!(
                "expected {} finding(s), the engine gave {} (or different values)",
                expected.len(),
                got.len()
            ));
        }
        if let Some(want) = example.confidence {
            if let Some(f) = found.iter().find(|f| f.confidence != want) {
                return Some(format!("expected confidence {want:?}, got {:?}", f.confidence));
            }
        }
        None
    }
}

/// A detector's regex, compiled at its first search. Most runs never open most detectors'
/// windows, and compiling every regex at start took half of a start (perf, 37 detectors: about
/// 28 of 60 ms). A user's detector is compiled at load all the same, so that a pattern the regex
/// engine refuses stops the start with its place.
pub(super) struct DetectorRegex {
    pattern: String,
    compiled: OnceLock<Regex>,
}

impl DetectorRegex {
    /// The compiled regex.
    ///
    /// # Panics
    /// When an embedded detector's pattern does not compile, which its examples' test rules out.
    pub(super) fn get(&self) -> &Regex {
        self.compiled.get_or_init(|| {
            compile(&self.pattern).unwrap_or_else(|(reason, _)| {
                unreachable!("an embedded detector's pattern compiles (its examples run in tests): {reason}")
            })
        })
    }
}

/// Named capture groups of `hir`, as (group index, name); index 0 is the whole match.
fn capture_names(hir: &regex_syntax::hir::Hir, names: &mut Vec<(usize, String)>) {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(capture) => {
            if let Some(name) = &capture.name {
                names.push((capture.index as usize, name.to_string()));
            }
            capture_names(&capture.sub, names);
        }
        HirKind::Repetition(repetition) => capture_names(&repetition.sub, names),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().for_each(|p| capture_names(p, names)),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => {}
    }
}

fn compile_detector(source: &DetectorSource) -> Result<Detector, ConfigError> {
    let spec = &source.spec;
    let pattern = spec.regex.get_ref();
    let hir = regex_automata::util::syntax::parse_with(pattern, &syntax_config()).map_err(|e| {
        let (reason, at) = syntax_error(&e);
        error_in_regex(source, at, format!("bad regex: {reason}"))
    })?;
    let regex = DetectorRegex { pattern: pattern.clone(), compiled: OnceLock::new() };
    let embedded = source.path.starts_with(builtin::EMBEDDED_ROOT);
    if !embedded {
        let compiled =
            compile(pattern).map_err(|(reason, at)| error_in_regex(source, at, format!("bad regex: {reason}")))?;
        let _ = regex.compiled.set(compiled);
    }
    let mut groups = Vec::new();
    capture_names(&hir, &mut groups);
    groups.sort();
    let mut names = groups.iter().map(|(_, name)| name.as_str());
    if let Some(name) = names.find(|n| !n.starts_with("value") && !n.starts_with("context_value")) {
        // A misspelt `value` group would silently make the whole match, label and all, the value.
        let at = spec.regex.get_ref().find(&format!("<{name}>")).map(|i| i + 1);
        return Err(error_in_regex(
            source,
            at,
            format!("capture group `{name}` names nothing: a value's group is named `value...` or `context_value...`"),
        ));
    }
    let value_groups = groups
        .iter()
        .filter_map(|(i, name)| match name {
            n if n.starts_with("value") => Some((*i, false)),
            n if n.starts_with("context_value") => Some((*i, true)),
            _ => None,
        })
        .collect();
    let context = spec
        .context
        .as_ref()
        .map(|spec| ContextMatcher::new(spec, !embedded))
        .transpose()
        .map_err(|e| source.error_at(spec.id.span(), format!("bad context words: {e}")))?;
    if spec.demote.iter().any(|d| d.required) {
        return Err(source.error_at(spec.id.span(), "`required` has no meaning for demote words".to_string()));
    }
    let demote = spec
        .demote
        .iter()
        .map(|spec| ContextMatcher::new(spec, !embedded))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| source.error_at(spec.id.span(), format!("bad demote words: {e}")))?;
    let validator = *spec.validator.get_ref();
    let normalisation = validator.normalisation();
    let allowlist = spec.allowlist.iter().map(|v| normalise(v.as_bytes(), normalisation)).collect();
    let examples = spec.examples.iter().map(|e| (line_of(&source.text, e.span().start), e.get_ref().clone())).collect();
    Ok(Detector {
        id: spec.id.get_ref().clone(),
        class: spec.class,
        roles: spec.roles.iter().map(|r| *r.get_ref()).collect(),
        regex,
        value_groups,
        validator,
        normalisation,
        confidence: spec.confidence,
        context,
        demote,
        keyword_window: spec.keyword_window,
        tail: hir.properties().maximum_len().map_or(WINDOW_TAIL, |n| n.min(WINDOW_TAIL)),
        allowlist,
        mask: spec.mask,
        examples,
        description: spec.description.clone(),
        path: source.path.clone(),
        embedded,
        requires_person: spec.requires_person,
        edge_scoped: is_edge_scoped(source),
        column_keywords: spec.column_values.iter().map(|k| k.to_ascii_lowercase()).collect(),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// SHA-256 over the detector files' paths and texts, in load order.
fn digest_definitions(sources: &[DetectorSource]) -> [u8; 32] {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    for source in sources {
        hash.update(source.path.as_os_str().as_encoded_bytes());
        hash.update([0]);
        hash.update(source.text.as_bytes());
        hash.update([0]);
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_search_still_sees_word_boundaries_outside_the_range() {
        // The engine searches windows of a chunk; a boundary assertion at the window's edge must look
        // at the real neighbouring byte, or a digit run cut by a window would match.
        let re = compile(r"\b\d{4}\b").unwrap();
        let hay = b"x 123456 y";
        assert!(re.find(Input::new(hay).range(2..6)).is_none());
        assert!(re.find(Input::new(b"x 1234 y").range(2..6)).is_some());
    }
}
