//! `secrules-check`, the rules tool: rule files checked as the module loads them (errors as
//! file:line, exit 1), and a raw HTTP request run through them (matches, transformed values,
//! verdict). Also CRS v4 with its CI configuration, as the module loads it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn check(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_secrules-check"))
        .args(args)
        .output()
        .expect("secrules-check runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("secrules-tool-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const RULES: &str = r#"SecRuleEngine On
SecRequestBodyAccess On
SecAction "id:900,phase:1,pass,nolog,setvar:tx.blocking_inbound_anomaly_score=0"
SecRule ARGS "@rx <script" "id:1001,phase:2,deny,status:403,t:none,t:urlDecodeUni,t:lowercase,msg:'XSS in %{MATCHED_VAR_NAME}',logdata:'%{MATCHED_VAR}',setvar:tx.blocking_inbound_anomaly_score=+5"
"#;

#[test]
fn loads_rules_and_reports_errors_with_file_and_line() {
    let dir = scratch("load");
    let good = write(&dir, "good.conf", RULES);
    let (code, out, _) = check(&[&good]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("ok: 2 rules (phase 1-5: [1, 1, 0, 0, 0])"),
        "{out}"
    );

    // An error in the second file, third line: named as file:line, exit code 1.
    let bad = write(
        &dir,
        "bad.conf",
        "# comment\nSecRule ARGS \"@rx a\" \"id:1,phase:1,pass\"\nSecRule ARGS \"@frobnicate x\" \"id:2,phase:1,pass\"\n",
    );
    let (code, out, err) = check(&[&good, &bad]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.starts_with(&format!("{bad}:3: ")), "{err}");
    assert!(err.contains("@frobnicate"), "{err}");
    // The same rule id in two files is an error too, as in the module.
    let again = write(&dir, "again.conf", "SecAction \"id:900,phase:1,pass\"\n");
    let (code, _, err) = check(&[&good, &again]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&format!("{again}:1: rule id 900 is already used")),
        "{err}"
    );
    // Usage errors are not rule errors.
    assert_eq!(check(&[]).0, 2);
    assert_eq!(check(&[&good, "--bogus"]).0, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn evaluates_a_raw_request() {
    let dir = scratch("eval");
    let rules = write(&dir, "rules.conf", RULES);
    let attack = write(
        &dir,
        "attack.http",
        "POST /form?a=1 HTTP/1.1\r\nHost: example\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nname=%3CSCRIPT%3Ealert(1)",
    );
    let (code, out, err) = check(&[&rules, "--request", &attack]);
    assert_eq!(code, 3, "denied: exit 3\n{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("rule 1001 (phase 2, "))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(lines[at + 1], "  msg:      XSS in ARGS:name");
    assert_eq!(lines[at + 3], "  variable: ARGS:name");
    // After t:urlDecodeUni and t:lowercase.
    assert_eq!(lines[at + 4], "  value:    <script>alert(1)");
    assert!(
        out.contains("rule 900 (phase 1, ") && out.contains(":3) (nolog)"),
        "{out}"
    );
    assert!(out.contains("[Error] ModSecurity: Access denied with code 403 (phase 2)."));
    assert!(out.contains("\nanomaly score: 5\n"), "{out}");
    assert!(out.contains("\nrule ids: 1001\n"), "{out}");
    assert!(
        out.ends_with("verdict: deny 403 (POST /form?a=1)\n"),
        "{out}"
    );

    let clean = write(
        &dir,
        "clean.http",
        "GET /?name=bob HTTP/1.1\nHost: example\n\n",
    );
    let (code, out, _) = check(&[&rules, "--request", &clean]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\nlog lines: 0\n"), "{out}");
    assert!(out.ends_with("verdict: pass (GET /?name=bob)\n"), "{out}");

    let broken = write(&dir, "broken.http", "not a request\n\n");
    assert_eq!(check(&[&rules, "--request", &broken]).0, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn crs_v4_with_its_ci_configuration() {
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crs/test-config/main-v4.conf");
    let main = main.to_string_lossy().into_owned();
    let (code, out, err) = check(&[&main]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok: "), "{out}");
    // A CRS regression-suite style attack: the rules match and score it (DetectionOnly in
    // CRS's CI configuration, so the verdict is detected rather than deny).
    let dir = scratch("crs");
    let request = write(
        &dir,
        "sqli.http",
        "GET /?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: OWASP CRS test agent\r\nAccept: */*\r\n\r\n",
    );
    let (code, out, err) = check(&[&main, "--request", &request]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("rule 942100 (phase 2"),
        "libinjection SQLi rule: {out}"
    );
    let score: u32 = out
        .lines()
        .find_map(|l| l.strip_prefix("anomaly score: "))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(score >= 5, "{out}");
    assert!(
        out.ends_with("verdict: detected (GET /?id=1%27%20OR%20%271%27%3D%271)\n"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
