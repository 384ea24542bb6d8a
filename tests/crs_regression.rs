//! The CRS project's regression suite through the real nginx with the module, judged as go-ftw
//! judges it. CRS v4.28.0 (go-ftw format) with its CI configuration, and the legacy CRS 3.3.4
//! suite against Debian's CRS 3.3.4 rules.
//!
//! `SECRULES_CRS_TESTS` points the v4 run at another tests folder (with `SECRULES_CRS_CONF` for
//! its configuration). The passing counts are kept in `tests/data/crs-*-passing.txt`: fewer
//! passing stages fail the test. The report (every failure with what was expected and what
//! happened) is printed and written to `target/<profile>/../tmp/crs-*-report.txt`.

mod common;
mod crs;

use std::io::Write;
use std::path::{Path, PathBuf};

use crs::runner::Runner;
use crs::suite::{self, Dialect, Stage};

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shared_crs() -> PathBuf {
    let dir = project().join("../shared/crs");
    assert!(
        dir.is_dir(),
        "the CRS test data is expected at {}",
        dir.display()
    );
    dir.canonicalize().unwrap()
}

struct Report {
    passed: usize,
    failures: Vec<String>,
}

fn run(name: &str, rules: &Path, stages: &[Stage]) -> Report {
    let mut runner = Runner::start(name, rules);
    let mut report = Report {
        passed: 0,
        failures: Vec::new(),
    };
    for stage in stages {
        let outcome = runner.run_stage(stage);
        if outcome.passed {
            report.passed += 1;
        } else {
            let overridden = stage
                .overridden
                .as_ref()
                .map_or(String::new(), |r| format!(" (overridden: {r})"));
            report.failures.push(format!(
                "{}: {}{overridden} [{}]",
                stage.name(),
                outcome.detail,
                stage.file.display()
            ));
        }
    }
    report
}

/// Prints the report past the test harness's capture (it is the point of the run) and keeps it
/// in a file.
fn publish(name: &str, total: usize, report: &Report) {
    let mut text = format!(
        "{name}: {total} stages, {} passed, {} failed\n",
        report.passed,
        report.failures.len()
    );
    for failure in &report.failures {
        text.push_str("  FAILED ");
        text.push_str(failure);
        text.push('\n');
    }
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-report.txt"));
    std::fs::write(&file, &text).unwrap();
    let _ = writeln!(
        std::io::stderr(),
        "{text}(report written to {})",
        file.display()
    );
}

/// The floor kept in the repository: the number of stages that passed when it was last raised.
fn check_floor(floor_file: &str, passed: usize) {
    let path = project().join("tests/data").join(floor_file);
    let floor: usize = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}: no count", path.display()));
    assert!(
        passed >= floor,
        "{passed} stages passed, fewer than the {floor} recorded in {}",
        path.display()
    );
    if passed > floor {
        let _ = writeln!(
            std::io::stderr(),
            "{passed} stages pass, more than the {floor} in {}: raise it",
            path.display()
        );
    }
}

#[test]
fn crs_v4_regression_suite() {
    let crs = shared_crs();
    let custom = std::env::var_os("SECRULES_CRS_TESTS").map(PathBuf::from);
    let tests_dir = custom
        .clone()
        .unwrap_or_else(|| crs.join("v4.28.0/tests/regression/tests"));
    let rules = std::env::var_os("SECRULES_CRS_CONF")
        .map(PathBuf::from)
        .unwrap_or_else(|| crs.join("test-config/main-v4.conf"));
    let files = suite::yaml_files(&tests_dir);
    let mut stages: Vec<Stage> = files
        .iter()
        .flat_map(|f| suite::load_file(f, Dialect::GoFtw))
        .collect();
    let ours = project().join("tests/data/crs-v4-nginx-overrides.yaml");
    let mut overrides =
        suite::load_overrides(&crs.join("test-config/nginx-platform-only-overrides.yaml"));
    let withdrawn = suite::withdraw(&mut overrides, &suite::load_withdrawn(&ours));
    overrides.extend(suite::load_overrides(&ours));
    let overridden = suite::apply_overrides(&mut stages, &overrides);
    let report = run("crs-v4", &rules, &stages);
    publish("crs-v4", stages.len(), &report);
    if custom.is_none() {
        // CRS v4.28.0: 323 files, 5,009 stages (shared/crs/README.md); 27 tests overridden.
        assert_eq!(files.len(), 323, "test files read");
        assert_eq!(stages.len(), 5009, "stages read");
        assert_eq!(withdrawn, 1, "platform overrides withdrawn");
        assert!(overridden >= 26, "{overridden} stages overridden");
        check_floor("crs-v4-passing.txt", report.passed);
    }
    assert_eq!(report.passed + report.failures.len(), stages.len());
}

#[test]
fn crs_v3_3_4_legacy_suite() {
    let crs = shared_crs();
    let files = suite::yaml_files(&crs.join("v3.3.4/tests/regression"));
    let stages: Vec<Stage> = files
        .iter()
        .flat_map(|f| suite::load_file(f, Dialect::LegacyFtw))
        .collect();
    let report = run(
        "crs-v3",
        &project().join("tests/data/crs-v3-ci.conf"),
        &stages,
    );
    publish("crs-v3.3.4", stages.len(), &report);
    assert!(stages.len() > 2300, "{} stages read", stages.len());
    assert_eq!(report.passed + report.failures.len(), stages.len());
    check_floor("crs-v3-passing.txt", report.passed);
}
