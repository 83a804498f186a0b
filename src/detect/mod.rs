//! Detection: extracted text in, value-free [`Finding`]s out.
//!
//! Detectors are data (`detectors/*.toml`, embedded at build time, plus a user directory). The engine
//! compiles them once and then, for each chunk of text:
//!
//! 1. runs one shared Aho-Corasick automaton for the gating keywords of keyword-gated detectors
//!    (e-mail on `@`, passport on "passport", ...), giving each such detector windows to search;
//! 2. runs one union regex of all ungated detectors (NI number, NHS number, card, ...) to find
//!    candidate regions, since most text holds no identifier at all;
//! 3. runs each detector's own regex only inside its windows, validates each candidate (checksum,
//!    structure, ranges, suppression lists), scores it (base tier, validator, context words), and
//!    hands it out as a [`Finding`] whose value is already [`Redacted`].
//!
//! Detection does no I/O and cannot fail on its input. It does not know about files, formats or
//! policy: `extract` feeds it text, `classify` weighs what it found.

mod builtin;
mod context;
pub mod finding;
pub mod rule;
pub mod validate;

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::Input;
use serde::{Deserialize, Serialize};

pub use finding::{Finding, Fingerprint, FingerprintKey, MaskStyle, Redacted};
pub use rule::{DetectorSource, Example};

use crate::error::ConfigError;
use crate::extract::{TableHeader, TextChunk};
use context::ContextMatcher;
use validate::{normalise, Normalisation, ValidatorKind, Verdict};

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

/// Header words that make a table a list of people: any row is then a person's record.
const IDENTITY_HEADERS: [&str; 16] = [
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
];

/// Bytes at the start and at the end of a text searched by edge-scoped detectors (markings).
const EDGE_BYTES: usize = 2048;

/// True when the chunk is a table whose header names people: every row is a person's record.
fn is_people_table(chunk: &TextChunk<'_>) -> bool {
    chunk.table.is_some_and(|t| {
        t.cells().iter().any(|c| {
            let c = c.to_ascii_lowercase();
            IDENTITY_HEADERS.iter().any(|h| c.contains(h))
        })
    })
}

/// Bytes either side of a union-regex candidate searched by each ungated detector. Covers an
/// identifier that starts before or ends after the candidate the union reported.
const CANDIDATE_MARGIN: usize = 48;

/// Bytes past a window's end a match that started inside it may run on for. A window bounds where
/// a match starts, not where it ends: a key body or an address can begin near a keyword and end
/// well after the window.
const WINDOW_TAIL: usize = 512;

/// One compiled detector.
pub struct Detector {
    id: String,
    class: DetectorClass,
    regex: Regex,
    /// Capture groups whose names start with `value` or `context_value`: the value, when the
    /// pattern also matches a label. Alternatives with values of different shapes each name their
    /// own; `true` marks a `context_value` group, whose value counts only with a context word near
    /// it or in its column's header (a union's name is membership only in a Union column).
    value_groups: Vec<(usize, bool)>,
    validator: ValidatorKind,
    normalisation: Normalisation,
    confidence: Confidence,
    context: Option<ContextMatcher>,
    demote: Vec<ContextMatcher>,
    gated: bool,
    keyword_window: usize,
    allowlist: HashSet<Vec<u8>>,
    mask: MaskStyle,
    examples: Vec<(usize, Example)>,
    description: String,
    path: std::path::PathBuf,
    embedded: bool,
    requires_person: bool,
    scope: rule::Scope,
    /// Lower-case header words whose column's cells are all candidates (`column_values`).
    column_keywords: Vec<String>,
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
    /// Ids of embedded or custom detectors to leave out.
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

/// Counts of candidates the engine threw away, so suppression is visible in summaries.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ChunkStats {
    /// Well-formed values on a documentation, test or allow list.
    pub suppressed: u64,
    /// The chunk is a table whose header names people: its rows are people's records.
    pub people_table: bool,
}

/// What a hit of one union pattern means.
#[derive(Clone)]
enum UnionRole {
    /// An ungated detector's pattern: a candidate region for every ungated detector.
    Candidate,
    /// A gating keyword of these detectors.
    Keyword(Vec<usize>),
    /// The pattern of one person-bound or edge-scoped detector, in the variants that include it.
    Member(usize),
}

/// The union regex in one of its four variants, chosen per chunk so that each chunk is passed over
/// once: with the person-bound patterns for a table of people, with the edge-scoped patterns for a
/// text short enough to be all edge.
struct Union {
    regex: Regex,
    roles: Vec<UnionRole>,
}

/// Index of the union variant for a chunk.
fn variant(people_table: bool, all_edge: bool) -> usize {
    usize::from(people_table) * 2 + usize::from(all_edge)
}

/// One case-insensitive pattern per distinct gating keyword, with the detectors it gates. Words
/// of letters, digits and spaces must stand alone (`pin` is not in `spine`); words with punctuation
/// (`P<GBR`, `@`, `a/c`) match anywhere.
fn keyword_patterns(sources: &[DetectorSource]) -> Vec<(String, Vec<usize>)> {
    let mut by_keyword: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, source) in sources.iter().enumerate() {
        for k in &source.spec.keywords {
            let lower = k.to_ascii_lowercase();
            match by_keyword.iter_mut().find(|(w, _)| *w == lower) {
                Some((_, owners)) if !owners.contains(&i) => owners.push(i),
                Some(_) => {}
                None => by_keyword.push((lower, vec![i])),
            }
        }
    }
    by_keyword
        .into_iter()
        .map(|(word, owners)| {
            let escaped = regex_syntax::escape(&word);
            // Boundaries are "not a letter or digit" (so `db_password` has the word `password`); `\b`
            // would count `_` as a letter. The bytes consumed either side only widen the window.
            let pattern = if needs_word_boundaries(&word) {
                format!("(?i)(?:^|[^A-Za-z0-9]){escaped}(?:[^A-Za-z0-9]|$)")
            } else {
                format!("(?i){escaped}")
            };
            (pattern, owners)
        })
        .collect()
}

/// A group of detectors searched only in some regions of a text (near people, at the edges):
/// one union of their patterns finds the spots, and each detector's regex runs only there.
struct Prefilter {
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
    fn open_windows(&self, text: &[u8], regions: &[Range<usize>], windows: &mut [Vec<Range<usize>>]) -> bool {
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
fn build_union(patterns: &[String]) -> Result<Option<Regex>, ConfigError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    Regex::builder()
        .syntax(syntax_config())
        .configure(Regex::config().utf8_empty(false).hybrid_cache_capacity(16 << 20))
        .build_many(patterns)
        .map(Some)
        .map_err(|e| ConfigError::Invalid {
            path: "detectors".into(),
            line: 0,
            column: 0,
            message: format!("detector patterns and keywords do not combine: {e}"),
        })
}

/// All detectors, compiled, with the union regex that finds candidates and keywords in one pass.
pub struct Engine {
    detectors: Vec<Detector>,
    unions: Vec<Option<Union>>,
    ungated: Vec<usize>,
    person_pass: Option<Prefilter>,
    edge_pass: Option<Prefilter>,
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

fn syntax_config() -> syntax::Config {
    // Identifiers are ASCII: byte-oriented classes keep the lazy DFA small and fast, and let `\b` run
    // in the DFA (a Unicode `\b` would force the slow engines).
    syntax::Config::new().unicode(false).utf8(false)
}

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::builder()
        .syntax(syntax_config())
        .configure(Regex::config().utf8_empty(false).hybrid_cache_capacity(8 << 20))
        .build(pattern)
        .map_err(|e| e.to_string())
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
        for id in &selection.disabled {
            if !seen.contains(id) {
                return Err(ConfigError::Invalid {
                    path: "detectors.disabled".into(),
                    line: 0,
                    column: 0,
                    message: format!("no detector has the id \"{id}\""),
                });
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
        for source in sources.iter().filter(|s| in_union(s)) {
            patterns.push(source.spec.regex.get_ref().clone());
            roles.push(UnionRole::Candidate);
        }
        for (pattern, owners) in keyword_patterns(&sources) {
            patterns.push(pattern);
            roles.push(UnionRole::Keyword(owners));
        }
        let mut unions = Vec::with_capacity(4);
        for (people, all_edge) in [(false, false), (false, true), (true, false), (true, true)] {
            debug_assert_eq!(variant(people, all_edge), unions.len());
            let (mut p, mut r) = (patterns.clone(), roles.clone());
            for (i, source) in sources.iter().enumerate() {
                let person = source.spec.requires_person && people;
                let edge = source.spec.scope == rule::Scope::Edges && !source.spec.requires_person && all_edge;
                if person || edge {
                    p.push(source.spec.regex.get_ref().clone());
                    r.push(UnionRole::Member(i));
                }
            }
            unions.push(build_union(&p)?.map(|regex| Union { regex, roles: r }));
        }
        let ungated: Vec<usize> = (0..detectors.len())
            .filter(|&i| {
                !detectors[i].gated && !detectors[i].requires_person && detectors[i].scope == rule::Scope::Anywhere
            })
            .collect();
        let person_pass = Prefilter::build(&sources, |s| s.spec.requires_person)?;
        let edge_pass = Prefilter::build(&sources, |s| s.spec.scope == rule::Scope::Edges && !s.spec.requires_person)?;
        let definitions_digest = digest_definitions(&sources);
        Ok(Engine {
            detectors,
            unions,
            ungated,
            person_pass,
            edge_pass,
            key,
            allowed_fingerprints: HashSet::new(),
            definitions_digest,
        })
    }

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

    /// Scans a whole text as one chunk; convenience for examples and tests.
    pub fn scan_all(&self, text: &[u8]) -> Vec<Finding> {
        let mut found = Vec::new();
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
        let all_edge = chunk.offset == 0 && chunk.last && text.len() <= 2 * EDGE_BYTES;
        let candidate_regions = self.collect_windows(text, variant(people, all_edge), &mut windows);
        if let Some(table) = chunk.table {
            self.open_windows_for_header_keywords(table, text.len(), &mut windows);
        }
        for &i in &self.ungated {
            windows[i].clone_from(&candidate_regions);
        }
        if !all_edge {
            self.open_edge_windows(chunk, &mut windows);
        }
        let mut found: Vec<(Finding, Range<usize>)> = Vec::new();
        self.scan_windows(chunk, &mut windows, &mut stats, &mut found);
        if let Some(table) = chunk.table {
            self.scan_column_values(table, chunk, &mut stats, &mut found);
        }
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

    /// One pass of the union regex over the chunk: a candidate hit opens a region for every ungated
    /// detector (returned, merged), a keyword hit opens a window for the detectors it gates.
    fn collect_windows(&self, text: &[u8], variant: usize, windows: &mut [Vec<Range<usize>>]) -> Vec<Range<usize>> {
        let mut regions: Vec<Range<usize>> = Vec::new();
        let Some(union) = &self.unions[variant] else {
            return regions;
        };
        for m in union.regex.find_iter(Input::new(text)) {
            match &union.roles[m.pattern().as_usize()] {
                UnionRole::Candidate => {
                    let start = m.start().saturating_sub(CANDIDATE_MARGIN);
                    let end = (m.end() + CANDIDATE_MARGIN).min(text.len());
                    match regions.last_mut() {
                        Some(last) if start <= last.end => last.end = last.end.max(end),
                        _ => regions.push(start..end),
                    }
                }
                UnionRole::Keyword(owners) => {
                    for &d in owners {
                        let reach = self.detectors[d].keyword_window;
                        windows[d].push(m.start().saturating_sub(reach)..(m.end() + reach).min(text.len()));
                    }
                }
                UnionRole::Member(d) => {
                    windows[*d]
                        .push(m.start().saturating_sub(CANDIDATE_MARGIN)..(m.end() + CANDIDATE_MARGIN).min(text.len()));
                }
            }
        }
        regions
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

    /// Edge-scoped detectors (markings) look at the first and last [`EDGE_BYTES`] of a text: page
    /// and document headers and footers, watermarks, properties.
    fn open_edge_windows(&self, chunk: &TextChunk<'_>, windows: &mut [Vec<Range<usize>>]) {
        let Some(pass) = &self.edge_pass else {
            return;
        };
        let len = chunk.text.len();
        let mut edges = Vec::new();
        if chunk.offset == 0 {
            edges.push(0..EDGE_BYTES.min(len));
        }
        if chunk.last {
            edges.push(len.saturating_sub(EDGE_BYTES)..len);
        }
        merge_ranges(&mut edges);
        pass.open_windows(chunk.text, &edges, windows);
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
    /// detector: the values sit in rows far below the header.
    fn open_windows_for_header_keywords(&self, table: &TableHeader, len: usize, windows: &mut [Vec<Range<usize>>]) {
        let Some(union) = &self.unions[0] else {
            return;
        };
        for cell in table.cells() {
            for m in union.regex.find_iter(Input::new(cell.as_bytes())) {
                if let UnionRole::Keyword(owners) = &union.roles[m.pattern().as_usize()] {
                    for &d in owners {
                        windows[d].push(0..len);
                    }
                }
            }
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
        let search_end = (window.end + WINDOW_TAIL).min(chunk.text.len());
        let input = Input::new(chunk.text).range(window.start..search_end);
        let mut emit = |span: Range<usize>, whole: Range<usize>, needs_context: bool| {
            let starts_in_window = whole.start < window.end;
            if !starts_in_window || !chunk.owned.contains(&whole.start) || is_part_of_longer_number(chunk.text, &whole)
            {
                return;
            }
            if d.requires_person && is_inside_email_address(chunk.text, whole.start, whole.end) {
                return;
            }
            if d.class == DetectorClass::Marking && is_inside_code_block(chunk.text, &whole) {
                return;
            }
            if let Some(finding) = self.judge(index, chunk, span, whole.clone(), needs_context, stats) {
                out(finding, whole);
            }
        };
        if d.value_groups.is_empty() {
            for m in d.regex.find_iter(input) {
                emit(m.range(), m.range(), false);
            }
            return;
        }
        // An alternative without a value group is its whole match.
        for caps in d.regex.captures_iter(input) {
            let Some(whole) = caps.get_match() else { continue };
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
        let suppressed = verdict == Verdict::Suppressed || d.allowlist.contains(&normalised);
        if suppressed {
            stats.suppressed += 1;
            return None;
        }
        // Words count near the value or in the header of its column.
        let near = |c: &ContextMatcher| {
            c.is_near(chunk.text, whole.clone())
                || chunk
                    .table
                    .and_then(|t| t.column_at(chunk.text, chunk.offset, whole.start))
                    .is_some_and(|h| c.is_in(h))
        };
        let has_context = || d.context.as_ref().is_some_and(near);
        let confidence = match verdict {
            Verdict::Invalid | Verdict::Suppressed => return None,
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
        let demoted = d.demote.iter().filter(|demote| demote.confidence < confidence).find(|demote| near(demote));
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

fn compile_detector(source: &DetectorSource) -> Result<Detector, ConfigError> {
    let spec = &source.spec;
    let regex =
        compile(spec.regex.get_ref()).map_err(|e| source.error_at(spec.regex.span(), format!("bad regex: {e}")))?;
    let value_groups = regex
        .group_info()
        .pattern_names(regex_automata::PatternID::ZERO)
        .enumerate()
        .filter_map(|(i, name)| match name {
            Some(n) if n.starts_with("value") => Some((i, false)),
            Some(n) if n.starts_with("context_value") => Some((i, true)),
            _ => None,
        })
        .collect();
    let context = spec
        .context
        .as_ref()
        .map(ContextMatcher::new)
        .transpose()
        .map_err(|e| source.error_at(spec.id.span(), format!("bad context words: {e}")))?;
    if spec.demote.iter().any(|d| d.required) {
        return Err(source.error_at(spec.id.span(), "`required` has no meaning for demote words".to_string()));
    }
    let demote = spec
        .demote
        .iter()
        .map(ContextMatcher::new)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| source.error_at(spec.id.span(), format!("bad demote words: {e}")))?;
    let validator = *spec.validator.get_ref();
    let normalisation = validator.normalisation();
    let allowlist = spec.allowlist.iter().map(|v| normalise(v.as_bytes(), normalisation)).collect();
    let examples = spec.examples.iter().map(|e| (line_of(&source.text, e.span().start), e.get_ref().clone())).collect();
    Ok(Detector {
        id: spec.id.get_ref().clone(),
        class: spec.class,
        regex,
        value_groups,
        validator,
        normalisation,
        confidence: spec.confidence,
        context,
        demote,
        gated: !spec.keywords.is_empty(),
        keyword_window: spec.keyword_window,
        allowlist,
        mask: spec.mask,
        examples,
        description: spec.description.clone(),
        path: source.path.clone(),
        embedded: source.path.starts_with(builtin::EMBEDDED_ROOT),
        requires_person: spec.requires_person,
        scope: spec.scope,
        column_keywords: spec.column_values.iter().map(|k| k.to_ascii_lowercase()).collect(),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Words made only of letters, digits and spaces must stand alone (`pin` is not in `spine`); words
/// with punctuation (`P<GBR`, `@`, `a/c`) are literal and match anywhere.
pub(crate) fn needs_word_boundaries(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
}

/// True when `header` holds one of the lower-case `keywords` as a whole word: `Password` and
/// `login_password` name a password column, `Spinner` does not name a PIN column.
fn names_keyword(header: &str, keywords: &[String]) -> bool {
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
fn is_inside_code_block(text: &[u8], whole: &Range<usize>) -> bool {
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
fn is_part_of_longer_number(text: &[u8], span: &Range<usize>) -> bool {
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
fn is_number_inside_a_name_or_path(text: &[u8], whole: &Range<usize>) -> bool {
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
    group_before || group_after
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

    #[test]
    fn ranges_merge_when_they_overlap_or_touch() {
        let mut r = vec![10..20, 0..5, 5..7, 15..30, 40..41];
        merge_ranges(&mut r);
        assert_eq!(r, vec![0..7, 10..30, 40..41]);
    }

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
