//! The rule sets people deploy load with zero errors, and with as many rules (a chain counting
//! once) and markers per phase as libmodsecurity loads from the same files. libmodsecurity is
//! asked directly: `tests/oracle/rule_counts.cc` is built against libmodsecurity-dev and run on
//! the same files.

use std::path::{Path, PathBuf};
use std::process::Command;

use secrules::compile::{RuleSource, Ruleset};

fn shared_crs() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crs");
    assert!(
        dir.is_dir(),
        "the CRS test data is expected at {}",
        dir.display()
    );
    dir.canonicalize().unwrap()
}

/// Builds the oracle once per test binary run (the tests run in parallel: a second build
/// would overwrite the program while the first test runs it).
fn oracle() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(build_oracle).clone()
}

fn build_oracle() -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rule_counts_oracle");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/rule_counts.cc");
    let status = Command::new("g++")
        .args(["-std=c++17", "-O0", "-o"])
        .arg(&out)
        .arg(&source)
        .arg("-lmodsecurity")
        .status()
        .expect("g++ runs (package g++)");
    assert!(
        status.success(),
        "building the libmodsecurity oracle failed (packages libmodsecurity-dev, g++)"
    );
    out
}

/// (rules, markers) per phase 1-5, as libmodsecurity loads `files`.
fn libmodsecurity_counts(files: &[PathBuf]) -> Vec<(usize, usize)> {
    let output = Command::new(oracle())
        .args(files)
        .output()
        .expect("oracle runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "libmodsecurity did not load the files: {text}"
    );
    let counts: Vec<(usize, usize)> = text
        .lines()
        .map(|line| {
            let fields: Vec<usize> = line
                .split_whitespace()
                .skip(2)
                .map(|n| n.parse().unwrap())
                .collect();
            (fields[0], fields[1])
        })
        .collect();
    assert_eq!(counts.len(), 5, "{text}");
    counts
}

fn secrules_counts(files: &[PathBuf]) -> Vec<(usize, usize)> {
    let sources: Vec<RuleSource> = files.iter().cloned().map(RuleSource::File).collect();
    let ruleset = Ruleset::load(&sources)
        .unwrap_or_else(|e| panic!("secrules does not load the rule set: {e}"));
    let rules = ruleset.loaded_rule_count_per_phase();
    let markers = ruleset.marker_count_per_phase();
    (0..5).map(|i| (rules[i], markers[i])).collect()
}

#[test]
fn crs_v4_with_its_ci_configuration() {
    let files = vec![shared_crs().join("test-config/main-v4.conf")];
    let ours = secrules_counts(&files);
    assert_eq!(ours, libmodsecurity_counts(&files));
    // CRS v4.28.0's own inventory (shared/crs/README.md) plus the CI configuration's rules.
    assert!(ours.iter().map(|c| c.0).sum::<usize>() > 600, "{ours:?}");
}

#[test]
fn debian_crs_3_3_4() {
    let mut files = vec![PathBuf::from("/etc/modsecurity/crs/crs-setup.conf")];
    let mut rules: Vec<PathBuf> = std::fs::read_dir("/usr/share/modsecurity-crs/rules")
        .expect("Debian's modsecurity-crs package is installed")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    rules.sort();
    assert_eq!(rules.len(), 32, "the rule files of CRS 3.3.4");
    files.extend(rules);
    let ours = secrules_counts(&files);
    assert_eq!(ours, libmodsecurity_counts(&files));
}
