//! The layering of `ARCHITECTURE.md`, checked: every `use crate::X` and `crate::X::` in the
//! library's sources (`src/`, the binaries and test modules aside) must be an edge that
//! [`LAYERS`] allows. The table is ordered from the ground up and a row may name only rows above
//! it, so an allowed graph has no circle and no upward import. A new module needs a row; a new
//! import across modules needs its edge written here, on purpose.
//!
//! The checker reads the sources as text (comments, strings and `#[cfg(test)]` items left out);
//! its own tests below show that it fails on a made-up source that breaks the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What every module may import: errors, time and the operating system.
const FLOOR: &[&str] = &["error", "clock", "platform"];

/// Each top-level module of the library, from the ground up, with the modules it may import
/// besides the floor. A row names only rows above it.
const LAYERS: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("clock", &[]),
    ("platform", &["error"]),
    ("fsutil", &[]),
    ("private", &[]),
    ("paths", &[]),
    ("cli", &[]),
    ("walk", &["fsutil"]),
    ("extract", &["fsutil"]),
    ("detect", &["extract"]),
    ("classify", &["detect"]),
    ("keyfile", &["detect", "fsutil", "paths", "private"]),
    ("locate", &["fsutil"]),
    ("policy", &["classify", "detect", "extract", "locate"]),
    ("analysis", &["classify", "detect", "extract"]),
    ("report", &["classify", "detect", "extract", "locate", "policy"]),
    ("deliver", &["fsutil", "paths", "policy", "private", "report"]),
    ("worker", &["analysis", "detect"]),
    ("scan", &["analysis", "classify", "detect", "extract", "fsutil", "locate", "policy", "report", "walk", "worker"]),
    ("agent", &["analysis", "fsutil", "locate", "policy", "private", "report", "scan", "walk"]),
    (
        "config",
        &[
            "agent", "deliver", "detect", "extract", "fsutil", "keyfile", "locate", "paths", "policy", "report",
            "scan", "worker",
        ],
    ),
];

/// Imports the table forbids that the code still has, each with what cuts it. The check fails
/// when one is gone from the code, so this list only shrinks.
const NOT_YET_CUT: &[(&str, &str, &str)] = &[];

/// The modules named by `crate::` paths in one Rust source, outside comments, strings and
/// `#[cfg(test)]` items.
fn crate_imports(source: &str) -> BTreeSet<String> {
    let code = without_tests(&code_only(source));
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `dlp_crate::`, `$crate::`: not this crate's path
        }
        match after.trim_start().strip_prefix('{') {
            Some(group) => found.extend(group_heads(group)),
            None => found.extend(identifier(after.trim_start())),
        }
    }
    found
}

/// The first identifier of each entry of a `{a::b, c, d::{e}}` group (its text after `{`).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut entry_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => entry_start = true,
            c if entry_start && !c.is_whitespace() => {
                entry_start = false;
                heads.extend(identifier(&group[i..]));
            }
            _ => {}
        }
    }
    heads
}

fn identifier(text: &str) -> Option<String> {
    let end = text.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(text.len());
    (end > 0).then(|| text[..end].to_string())
}

/// The source with comments, string and character literals blanked (kept as spaces, so that
/// nothing inside them counts as code).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let at = |i: usize, s: &str| s.chars().enumerate().all(|(k, c)| chars.get(i + k) == Some(&c));
    while i < chars.len() {
        if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut depth = 0;
            while i < chars.len() {
                if at(i, "/*") {
                    depth += 1;
                    i += 2;
                } else if at(i, "*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if chars[i] == 'r' && (at(i + 1, "\"") || at(i + 1, "#")) && !ident_before(&chars, i) {
            // A raw string: r"...", r#"..."#.
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            if chars.get(i + 1 + hashes) != Some(&'"') {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            i += 2 + hashes;
            while i < chars.len() && !at(i, &close) {
                i += 1;
            }
            i += close.chars().count();
            out.push_str("\"\"");
        } else if chars[i] == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if chars[i] == '\'' && is_char_literal(&chars, i) {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// A `'` that opens a character literal (`'x'`, `'\n'`, `'{'`), not a lifetime (`'a`).
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// The code without the items under `#[cfg(test)]` (or `#[cfg(all(test, ...))]`): test code may
/// reach anywhere.
fn without_tests(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(") {
        let attribute_end = rest[at..].find(']').map_or(rest.len(), |e| at + e + 1);
        let attribute = &rest[at..attribute_end];
        out.push_str(&rest[..at]);
        if !attribute.starts_with("#[cfg(test") && !attribute.starts_with("#[cfg(all(test") {
            out.push_str(attribute);
            rest = &rest[attribute_end..];
            continue;
        }
        // Skip the item: to its first `;` at depth 0, or to the `}` closing its first `{`.
        let item = &rest[attribute_end..];
        let mut depth = 0;
        let mut end = item.len();
        for (i, c) in item.char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The top-level module a source file under `src/` belongs to (`scan/serve.rs` is `scan`);
/// `None` for the crate root and the binaries.
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "bin" && name != "main").then(|| name.to_string())
}

/// The imports of each module (`from` -> `to` -> files), read from `files` (path under `src/`,
/// text).
fn graph(files: &[(String, String)]) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (path, text) in files {
        let Some(from) = module_of(Path::new(path)) else { continue };
        let imports = edges.entry(from.clone()).or_default();
        for to in crate_imports(text).into_iter().filter(|to| *to != from) {
            imports.entry(to).or_default().insert(path.clone());
        }
    }
    edges
}

/// What is wrong with `files` against a table (`layers`, `not_yet_cut`): one line per problem.
fn check(files: &[(String, String)], layers: &[(&str, &[&str])], not_yet_cut: &[(&str, &str, &str)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut above: BTreeSet<&str> = BTreeSet::new();
    for (module, allowed) in layers {
        for to in allowed.iter().filter(|to| !above.contains(*to)) {
            problems.push(format!("table: {module} may import {to}, which is not a row above it"));
        }
        above.insert(module);
    }
    let row = |m: &str| layers.iter().find(|(name, _)| *name == m).map(|(_, allowed)| *allowed);
    let edges = graph(files);
    for module in edges.keys().filter(|m| row(m).is_none()) {
        problems.push(format!("table: module {module} has no row"));
    }
    for (module, _) in layers.iter().filter(|(m, _)| !edges.contains_key(*m)) {
        problems.push(format!("table: row {module} is no module of src/"));
    }
    let exception = |from: &str, to: &str| not_yet_cut.iter().any(|(f, t, _)| *f == from && *t == to);
    for (from, imports) in &edges {
        let Some(allowed) = row(from) else { continue };
        for (to, paths) in imports {
            let floor = FLOOR.contains(&to.as_str()) && !FLOOR.contains(&from.as_str());
            if !floor && !allowed.contains(&to.as_str()) && !exception(from, to) {
                let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
                problems.push(format!("{from} imports {to} ({}): not an edge of the table", paths.join(", ")));
            }
        }
    }
    for (from, to, why) in not_yet_cut {
        if !edges.get(*from).is_some_and(|imports| imports.contains_key(*to)) {
            problems.push(format!("{from} no longer imports {to} ({why}): take it off NOT_YET_CUT"));
        }
    }
    problems
}

/// Every `.rs` file below `dir`, as (path relative to `root`, text).
fn sources(root: &Path, dir: &Path, into: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(root, &path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            into.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn every_import_between_modules_is_an_edge_of_the_layering() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    let problems = check(&files, LAYERS, NOT_YET_CUT);
    assert!(problems.is_empty(), "the layering of ARCHITECTURE.md is broken:\n{}", problems.join("\n"));
}

fn file(path: &str, text: &str) -> (String, String) {
    (path.to_string(), text.to_string())
}

const SMALL: &[(&str, &[&str])] = &[("error", &[]), ("walk", &[]), ("detect", &["walk"]), ("scan", &["detect"])];

#[test]
fn the_checker_fails_on_an_upward_import_and_names_it() {
    let files = [
        file("error.rs", ""),
        file("walk.rs", "use crate::error::FileError;\n"),
        file("detect/mod.rs", "use crate::{walk::WalkItem, error};\n"),
        file("detect/engine.rs", "fn f() { crate::scan::run(); }\n"),
        file("scan.rs", "use crate::detect::Engine;\n"),
    ];
    assert_eq!(check(&files, SMALL, &[]), ["detect imports scan (detect/engine.rs): not an edge of the table"]);
}

#[test]
fn the_checker_reads_groups_and_ignores_comments_strings_and_tests() {
    let source = r##"
        use crate::{
            walk::{WalkItem, walk},
            detect::Engine as E,
        };
        // use crate::agent::Agent;
        /* crate::config::Config /* nested */ crate::config */
        const S: &str = "crate::report::Record";
        const R: &str = r#"crate::deliver"#;
        const C: char = '{';
        fn f<'a>(x: &'a str) -> &'a str { x }
        struct S { v: $crate::nothing }
        #[cfg(test)]
        mod tests {
            use crate::agent::Agent;
            fn g() { crate::config::load(); }
        }
        #[cfg(all(test, unix))]
        use crate::policy::Rule;
        fn h() { crate::scan::run(); }
    "##;
    let found: Vec<String> = crate_imports(source).into_iter().collect();
    assert_eq!(found, ["detect", "scan", "walk"]);
}

#[test]
fn the_checker_fails_on_a_table_with_a_circle_a_missing_row_or_a_stale_exception() {
    let circle: &[(&str, &[&str])] = &[("walk", &["detect"]), ("detect", &["walk"])];
    let files = [file("walk.rs", ""), file("detect.rs", ""), file("cli.rs", "")];
    assert_eq!(
        check(&files, circle, &[("detect", "walk", "a reason")]),
        [
            "table: walk may import detect, which is not a row above it",
            "table: module cli has no row",
            "detect no longer imports walk (a reason): take it off NOT_YET_CUT",
        ]
    );
}
