//! The labelled policy corpus (`tests/data/make-policy-corpus.py`: a staff laptop's home folder
//! and a USB stick, 176 files, each with its true category and broken rules) scanned by the real
//! binary. Precision and recall are computed per rule and per category, printed, and must be at
//! least 0.95 each.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{json_lines, Tree};

#[derive(Default)]
struct Counts {
    true_positive: u32,
    false_positive: u32,
    false_negative: u32,
}

impl Counts {
    fn precision(&self) -> f64 {
        let called = self.true_positive + self.false_positive;
        if called == 0 {
            1.0
        } else {
            f64::from(self.true_positive) / f64::from(called)
        }
    }

    fn recall(&self) -> f64 {
        let actual = self.true_positive + self.false_negative;
        if actual == 0 {
            1.0
        } else {
            f64::from(self.true_positive) / f64::from(actual)
        }
    }

    fn add(&mut self, expected: bool, got: bool) {
        match (expected, got) {
            (true, true) => self.true_positive += 1,
            (false, true) => self.false_positive += 1,
            (true, false) => self.false_negative += 1,
            (false, false) => {}
        }
    }
}

#[test]
#[allow(clippy::print_stdout, reason = "the test reports the figures it measured (cargo test -- --nocapture)")]
fn rules_and_categories_reach_095_precision_and_recall_on_the_labelled_corpus() {
    let tree = Tree::new();
    let out = tree.path("corpus");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/make-policy-corpus.py");
    assert!(Command::new("python3").arg(&script).arg(&out).status().unwrap().success());
    let truth: BTreeMap<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("truth.json")).unwrap()).unwrap();
    assert!(truth.len() >= 150, "the corpus has {} files", truth.len());
    let scan = tree
        .command()
        .args(["--format", "json"])
        .arg("--config")
        .arg(out.join("config.toml"))
        .arg(out.join("home"))
        .arg(out.join("usb"))
        .output()
        .unwrap();
    let records: BTreeMap<String, Value> = json_lines(&scan.stdout)
        .into_iter()
        .filter(|r| r["type"] == "file")
        .map(|r| (r["path"].as_str().unwrap().to_string(), r))
        .collect();

    let mut by_rule: BTreeMap<String, Counts> = BTreeMap::new();
    let mut by_category: BTreeMap<String, Counts> = BTreeMap::new();
    let mut locations_right = 0;
    for (path, expected) in &truth {
        let record = records.get(path);
        // A file with nothing to report has no record: it is not sensitive and breaks no rule.
        let got_category = record.map_or("not_sensitive", |r| r["classification"].as_str().unwrap());
        let got_rules: BTreeSet<&str> = record
            .map(|r| r["violations"].as_array().unwrap().iter().map(|v| v["rule"].as_str().unwrap()).collect())
            .unwrap_or_default();
        let want_rules: BTreeSet<&str> =
            expected["rules"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for rule in got_rules.union(&want_rules) {
            by_rule.entry((*rule).to_string()).or_default().add(want_rules.contains(rule), got_rules.contains(rule));
        }
        let want_category = expected["category"].as_str().unwrap();
        for category in ["public", "not_sensitive", "confidential", "highly_confidential"] {
            by_category
                .entry(category.to_string())
                .or_default()
                .add(want_category == category, got_category == category);
        }
        let want_location = expected["location"].as_str().unwrap();
        if record.is_none_or(|r| r["location"]["kind"] == want_location) {
            locations_right += 1;
        }
    }

    let mut report = String::from("measure                                          precision  recall  (tp/fp/fn)\n");
    let mut below = Vec::new();
    for (name, counts) in by_rule
        .iter()
        .map(|(k, v)| (format!("rule {k}"), v))
        .chain(by_category.iter().map(|(k, v)| (format!("category {k}"), v)))
    {
        report.push_str(&format!(
            "{name:<48} {:>9.3} {:>7.3}  ({}/{}/{})\n",
            counts.precision(),
            counts.recall(),
            counts.true_positive,
            counts.false_positive,
            counts.false_negative
        ));
        if counts.precision() < 0.95 || counts.recall() < 0.95 {
            below.push(name);
        }
    }
    report.push_str(&format!("locations right: {locations_right} of {}\n", truth.len()));
    println!("{report}");
    assert!(by_rule.len() >= 8, "every rule is exercised: {:?}", by_rule.keys().collect::<Vec<_>>());
    assert!(below.is_empty(), "below 0.95: {below:?}\n{report}");
    assert_eq!(locations_right, truth.len(), "{report}");
}
