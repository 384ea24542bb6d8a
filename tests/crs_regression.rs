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

/// For looking into one stage: with SECRULES_CRS_DUMP=DIR every request is also written to
/// DIR/<rule>-<test>-<stage>.http, byte for byte as sent.
fn dump_requests(stages: &[Stage]) {
    let Some(dir) = std::env::var_os("SECRULES_CRS_DUMP").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for stage in stages {
        let name = format!("{}-{}-{}.http", stage.rule_id, stage.test_id, stage.stage);
        std::fs::write(dir.join(name), crs::request::build(&stage.input)).unwrap();
    }
}

fn run(name: &str, rules: &Path, stages: &[Stage]) -> Report {
    dump_requests(stages);
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
    // Files marked `enabled: false` need crs-setup values the suite's own CI did not set
    // (ARG_NAME_LENGTH, MAX_NUM_ARGS, CRS_VALIDATE_UTF8_ENCODING...); the legacy ftw skipped
    // them, so does this run, and says how many.
    let (enabled, disabled): (Vec<PathBuf>, Vec<PathBuf>) =
        files.iter().cloned().partition(|f| suite::is_enabled(f));
    let stages: Vec<Stage> = enabled
        .iter()
        .flat_map(|f| suite::load_file(f, Dialect::LegacyFtw))
        .collect();
    let skipped: usize = disabled
        .iter()
        .map(|f| suite::load_file(f, Dialect::LegacyFtw).len())
        .sum();
    let _ = writeln!(
        std::io::stderr(),
        "crs-v3.3.4: {skipped} stages skipped in {} files marked `enabled: false`: {:?}",
        disabled.len(),
        disabled
            .iter()
            .map(|f| f.file_name().unwrap())
            .collect::<Vec<_>>()
    );
    let report = run(
        "crs-v3",
        &project().join("tests/data/crs-v3-ci.conf"),
        &stages,
    );
    publish("crs-v3.3.4", stages.len(), &report);
    assert_eq!(files.len(), 178, "test files read");
    assert!(stages.len() > 2300, "{} stages read", stages.len());
    assert_eq!(report.passed + report.failures.len(), stages.len());
    check_floor("crs-v3-passing.txt", report.passed);
}

/// libmodsecurity's answer for each raw request: the rule ids it logged, or None when it could
/// not parse the request. `tests/oracle/libmodsecurity_verdicts.cc` runs phases 1, 2 and 5 as
/// the nginx connector does (no response: the oracle has no upstream).
fn libmodsecurity_ids(rules: &Path, requests: &[Vec<u8>]) -> Vec<Option<Vec<u32>>> {
    let oracle = common::libmodsecurity_oracle("libmodsecurity_verdicts");
    let mut input = Vec::new();
    for request in requests {
        input.extend_from_slice(format!("{}\n", request.len()).as_bytes());
        input.extend_from_slice(request);
    }
    let records = std::env::temp_dir().join(format!("secrules-oracle-{}", std::process::id()));
    std::fs::write(&records, &input).unwrap();
    let output = std::process::Command::new(&oracle)
        .arg(rules)
        .stdin(std::fs::File::open(&records).unwrap())
        .output()
        .expect("the oracle runs");
    let _ = std::fs::remove_file(&records);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "oracle failed: {text}");
    let answers: Vec<Option<Vec<u32>>> = text
        .lines()
        .map(|line| {
            line.strip_prefix("ids").map(|ids| {
                let mut ids: Vec<u32> = ids
                    .split_whitespace()
                    .map(|id| id.parse().unwrap())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            })
        })
        .collect();
    assert_eq!(answers.len(), requests.len(), "one answer per request");
    answers
}

/// Why secrules and libmodsecurity 3.0.9 may log different rules for the same request: rows of
/// `rule id, side, tests (* for all), reason` in tests/data/crs-v4-differential.tsv.
struct Explanation {
    rule_id: u32,
    only_in: String,
    tests: Vec<String>,
}

fn explanations() -> Vec<Explanation> {
    let path = project().join("tests/data/crs-v4-differential.tsv");
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert!(
                fields.len() == 4 && !fields[3].trim().is_empty(),
                "{}: rule, side, tests, reason: {line}",
                path.display()
            );
            Explanation {
                rule_id: fields[0].parse().unwrap(),
                only_in: fields[1].to_string(),
                tests: fields[2].split(',').map(str::to_string).collect(),
            }
        })
        .collect()
}

fn has_xml_body(input: &crs::suite::Input) -> bool {
    let raw = crs::request::build(input);
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..head_end])
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("content-type:") && l.contains("xml"))
}

/// Response-side rules (phases 3 and 4: ids 950000-959999) run only here: the oracle has no
/// upstream response.
fn request_side(id: u32) -> bool {
    !(950_000..960_000).contains(&id)
}

#[test]
fn crs_v4_differential_against_libmodsecurity() {
    let crs = shared_crs();
    let rules = crs.join("test-config/main-v4.conf");
    let files = suite::yaml_files(&crs.join("v4.28.0/tests/regression/tests"));
    let mut stages: Vec<Stage> = files
        .iter()
        .flat_map(|f| suite::load_file(f, Dialect::GoFtw))
        .collect();
    // Where nginx answers or rewrites the request before any module runs, the two cannot see
    // the same request.
    suite::apply_overrides(
        &mut stages,
        &suite::load_overrides(&crs.join("test-config/nginx-platform-only-overrides.yaml")),
    );
    stages.retain(|s| s.overridden.is_none());
    let requests: Vec<Vec<u8>> = stages
        .iter()
        .map(|s| crs::request::build(&s.input))
        .collect();
    let theirs = libmodsecurity_ids(&rules, &requests);
    let mut runner = Runner::start("crs-differential", &rules);
    let explanations = explanations();
    let mut unexplained = Vec::new();
    let (mut compared, mut explained) = (0, 0);
    let mut answered_by_nginx = 0;
    for (stage, theirs) in stages.iter().zip(theirs) {
        let Some(theirs) = theirs else { continue };
        let outcome = runner.run_stage(stage);
        // In DetectionOnly the module never answers; the backend answers 200 except where a
        // test asks /reflect for another status. Any other answer is nginx's own (400, 414,
        // 505...), given before the module saw the request.
        if stage.input.uri.starts_with("/reflect") || outcome.status == Some(200) {
            compared += 1;
        } else {
            answered_by_nginx += 1;
            continue;
        }
        let ours = outcome.ids;
        let test = format!("{}-{}", stage.rule_id, stage.test_id);
        let differences = ours
            .iter()
            .filter(|id| !theirs.contains(id))
            .map(|&id| (id, "secrules"))
            .chain(
                theirs
                    .iter()
                    .filter(|id| !ours.contains(id))
                    .map(|&id| (id, "libmodsecurity")),
            )
            .filter(|(id, _)| request_side(*id));
        for (id, only_in) in differences {
            if explanations.iter().any(|e| {
                e.rule_id == id
                    && e.only_in == only_in
                    && (e.tests == ["*"]
                        || e.tests.contains(&test)
                        || (e.tests == ["xml-bodies"] && has_xml_body(&stage.input)))
            }) {
                explained += 1;
            } else {
                unexplained.push(format!("{test} stage {}: {id}\t{only_in}", stage.stage));
            }
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "differential: {compared} stages compared with libmodsecurity 3.0.9 ({answered_by_nginx} answered by nginx itself), \
         {explained} explained differences, {} unexplained",
        unexplained.len()
    );
    assert!(compared > 4900, "{compared} stages compared");
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences (rule, side):\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
