#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The evaluation corpus: every JSON case under `tests/corpus/` goes through
//! `xacct_policy::cli::evaluate_json` and must give the decision AWS documents.
//!
//! Each file holds an array of cases. A case is the CLI input (`request`,
//! `policies`) plus `name`, `source` (the AWS page or seed it comes from) and
//! `expect`: either `decision` (with optional `matched_sids` that must all
//! appear in the output's `matched`) or `error_contains` for documents IAM
//! rejects. All failures are collected and reported together, so one run shows
//! everything. Set `XACCT_CORPUS_FILTER=<substring>` to run only matching case
//! names.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The corpus must not silently shrink.
const MIN_CASES: usize = 150;

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("corpus");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// Checks one case; returns a description of the mismatch, if any.
fn check_case(case: &Value) -> Result<(), String> {
    let expect = case.get("expect").ok_or_else(|| "case has no `expect`".to_owned())?;
    let input = serde_json::to_string(case).map_err(|e| e.to_string())?;
    let result = xacct_policy::cli::evaluate_json(&input);

    if let Some(wanted) = expect.get("error_contains").and_then(Value::as_str) {
        return match result {
            Err(err) => {
                let message = err.to_string();
                if message.contains(wanted) {
                    Ok(())
                } else {
                    Err(format!("expected an error containing {wanted:?}, got error {message:?}"))
                }
            }
            Ok(out) => Err(format!(
                "expected an error containing {wanted:?}, got decision {} ({})",
                out["decision"], out["reason"]
            )),
        };
    }

    let wanted = expect
        .get("decision")
        .and_then(Value::as_str)
        .ok_or_else(|| "`expect` has neither `decision` nor `error_contains`".to_owned())?;
    let out =
        result.map_err(|err| format!("expected {wanted}, got error {:?}", err.to_string()))?;
    let got = out["decision"].as_str().unwrap_or("<missing>");
    if got != wanted {
        return Err(format!(
            "expected {wanted}, got {got} (reason: {}; matched: {})",
            out["reason"], out["matched"]
        ));
    }
    if let Some(sids) = expect.get("matched_sids").and_then(Value::as_array) {
        let matched: BTreeSet<&str> = out["matched"]
            .as_array()
            .map(|m| m.iter().filter_map(|s| s["sid"].as_str()).collect())
            .unwrap_or_default();
        let missing: Vec<&str> =
            sids.iter().filter_map(Value::as_str).filter(|sid| !matched.contains(sid)).collect();
        if !missing.is_empty() {
            return Err(format!(
                "decision {got} as expected, but matched lacks Sids {missing:?} (matched: {})",
                out["matched"]
            ));
        }
    }
    Ok(())
}

#[test]
fn corpus_matches_documented_aws_decisions() {
    let filter = std::env::var("XACCT_CORPUS_FILTER").ok();
    let mut names = BTreeSet::new();
    let mut total = 0usize;
    let mut failures = Vec::new();

    for file in corpus_files() {
        let text = fs::read_to_string(&file).unwrap();
        let cases: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", file.display()));
        let cases = cases
            .as_array()
            .unwrap_or_else(|| panic!("{} must hold an array of cases", file.display()));
        let file_name = file.file_name().unwrap().to_string_lossy().into_owned();

        for case in cases {
            let name = case["name"]
                .as_str()
                .unwrap_or_else(|| panic!("a case in {file_name} has no name"));
            assert!(
                case["source"].as_str().is_some_and(|s| !s.is_empty()),
                "case {name} in {file_name} has no source"
            );
            assert!(names.insert(name.to_owned()), "duplicate case name {name}");
            total += 1;
            if filter.as_deref().is_some_and(|f| !name.contains(f)) {
                continue;
            }
            if let Err(why) = check_case(case) {
                failures.push(format!("{file_name} :: {name}: {why}"));
            }
        }
    }

    assert!(total >= MIN_CASES, "corpus has {total} cases, expected at least {MIN_CASES}");
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
