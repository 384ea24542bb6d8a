//! What operators read, through the engine without nginx: error-log lines field by field
//! (macros, escaping, truncation, DetectionOnly, nolog/noauditlog) and audit records parsed as
//! JSON, with parts, relevance, ctl changes, the Native format and the writers.

use std::sync::Arc;

use secrules::compile::{RuleSource, Ruleset};
use secrules::engine::{LogLevel, Transaction};
use secrules::tool::RawRequest;
use serde_json::Value;

fn ruleset(rules: &str) -> Arc<Ruleset> {
    Arc::new(try_ruleset(rules).unwrap_or_else(|e| panic!("{e}")))
}

fn try_ruleset(rules: &str) -> Result<Ruleset, secrules::compile::ConfigError> {
    Ruleset::load(&[RuleSource::Inline {
        text: rules.to_string(),
        origin: "/etc/nginx/waf.conf".into(),
        line: 1,
    }])
}

fn request(raw: &str) -> RawRequest {
    let mut request = RawRequest::parse(raw.replace('\n', "\r\n").as_bytes()).unwrap();
    request.remote_addr = b"192.0.2.7".to_vec();
    request.remote_port = 51234;
    request.server_addr = b"198.51.100.1".to_vec();
    request.server_port = 8443;
    request.unique_id = b"req-42".to_vec();
    request
}

/// Runs phases 1 and 2 (with the body) as nginx does; returns the status and the log.
fn run(tx: &mut Transaction, request: &RawRequest) -> (Option<u16>, Vec<(LogLevel, String)>) {
    let mut status = tx.run_phase(1, request);
    if status.is_none() && tx.wants_request_body() {
        status = tx.set_request_body(request.body().to_vec(), request.content_type());
    }
    if status.is_none() {
        status = tx.run_phase(2, request);
    }
    let log = tx
        .take_log()
        .into_iter()
        .map(|m| (m.level, m.text))
        .collect();
    (status.map(|i| i.status), log)
}

/// `[name "value"]` fields of a log line, in order.
fn fields(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find(" [") {
        let after = &rest[open + 2..];
        let Some(space) = after.find(" \"") else {
            break;
        };
        let name = &after[..space];
        let value_start = &after[space + 2..];
        let Some(end) = value_start.find("\"]") else {
            break;
        };
        out.push((name.to_string(), value_start[..end].to_string()));
        rest = &value_start[end + 2..];
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no [{name}] in {fields:?}"))
}

const GET_ATTACK: &str = "GET /shop/item?q=attack&user=alice HTTP/1.1\nHost: shop.example\nUser-Agent: curl/8\nAccept: */*\nAccept: text/html\n\n";

const METADATA_RULE: &str = r#"
SecRuleEngine On
SecRule ARGS:q "@contains ATTACK" "id:1001,phase:1,deny,status:406,t:none,t:uppercase,msg:'attack in %{MATCHED_VAR_NAME} by %{ARGS.user}',logdata:'seen %{MATCHED_VAR}',tag:'app/shop',tag:'say \"hi\"',severity:CRITICAL,rev:'3',ver:'shop/1.2',maturity:7,accuracy:8"
"#;

#[test]
fn error_log_line_field_by_field() {
    let mut tx = Transaction::new(ruleset(METADATA_RULE));
    let (status, log) = run(&mut tx, &request(GET_ATTACK));
    assert_eq!(status, Some(406));
    assert_eq!(log.len(), 1);
    let (level, line) = &log[0];
    assert_eq!(*level, LogLevel::Error);
    assert!(
        line.starts_with("ModSecurity: Access denied with code 406 (phase 1). Matched \"Operator `Contains' with parameter `ATTACK' against variable `ARGS:q' (Value: `ATTACK' ) [file "),
        "{line}"
    );
    let f = fields(line);
    let names: Vec<&str> = f.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "file",
            "line",
            "id",
            "rev",
            "msg",
            "data",
            "severity",
            "ver",
            "maturity",
            "accuracy",
            "tag",
            "tag",
            "hostname",
            "uri",
            "unique_id",
            "ref"
        ]
    );
    assert_eq!(field(&f, "file"), "/etc/nginx/waf.conf");
    assert_eq!(field(&f, "line"), "3");
    assert_eq!(field(&f, "id"), "1001");
    assert_eq!(field(&f, "rev"), "3");
    assert_eq!(field(&f, "msg"), "attack in ARGS:q by alice");
    assert_eq!(field(&f, "data"), "seen ATTACK");
    assert_eq!(field(&f, "severity"), "2");
    assert_eq!(field(&f, "ver"), "shop/1.2");
    assert_eq!(field(&f, "maturity"), "7");
    assert_eq!(field(&f, "accuracy"), "8");
    assert_eq!(f[10].1, "app/shop");
    // A quote in a tag is escaped as libmodsecurity does, so it cannot end the field early.
    assert_eq!(f[11].1, "say \\x22hi\\x22");
    assert_eq!(field(&f, "hostname"), "198.51.100.1");
    assert_eq!(field(&f, "uri"), "/shop/item");
    // Where it matched in the value, where the value is in the request, its transformations.
    assert_eq!(field(&f, "ref"), "o0,6v17,6t:uppercase");
    assert_eq!(tx.action(), "deny");
    assert_eq!(tx.rule_ids(), "1001");
}

#[test]
fn truncation_limits_of_log_lines() {
    let long_value = "v".repeat(150);
    let long_param = "p".repeat(250);
    let long_path = format!("/{}", "u".repeat(249));
    let rules = format!(
        r#"
SecRule ARGS:a "@contains v" "id:1,phase:1,pass,log,msg:'m',logdata:'%{{MATCHED_VAR}}%{{MATCHED_VAR}}'"
SecRule REQUEST_URI "!@streq {long_param}" "id:2,phase:1,pass,log"
"#
    );
    let mut tx = Transaction::new(ruleset(&rules));
    let raw = format!("GET {long_path}?a={long_value} HTTP/1.1\nHost: h\n\n");
    let (status, log) = run(&mut tx, &request(&raw));
    assert_eq!(status, None);
    assert_eq!(log.len(), 2);
    let first = &log[0].1;
    // Value: 100 characters, then how many were left out.
    assert!(
        first.contains(&format!(
            "(Value: `{} (50 characters omitted)' )",
            "v".repeat(100)
        )),
        "{first}"
    );
    let f = fields(first);
    assert_eq!(
        field(&f, "data"),
        format!("{} (100 characters omitted)", "v".repeat(200))
    );
    assert_eq!(
        field(&f, "uri"),
        format!("/{} (50 characters omitted)", "u".repeat(199))
    );
    let second = &log[1].1;
    assert!(
        second.contains(&format!(
            "with parameter `{} (50 characters omitted)'",
            "p".repeat(200)
        )),
        "{second}"
    );
    // No bytes outside printable ASCII reach the log, whatever the request holds.
    let mut tx = Transaction::new(ruleset(
        r#"SecRule ARGS:a "@contains x" "id:3,phase:1,pass,log,t:urlDecode""#,
    ));
    let (_, log) = run(
        &mut tx,
        &request("GET /?a=x%0a%22%5c%ff HTTP/1.1\nHost: h\n\n"),
    );
    assert!(
        log[0].1.contains("(Value: `x\\x0a\\x22\\x5c\\xff' )"),
        "{}",
        log[0].1
    );
}

#[test]
fn detection_only_logs_warnings_and_audits_without_blocking() {
    let rules = format!(
        "{}\nSecRuleEngine DetectionOnly\nSecAuditEngine RelevantOnly\nSecAuditLogFormat JSON\nSecAuditLog /dev/null\n",
        METADATA_RULE
    );
    let mut tx = Transaction::new(ruleset(&rules));
    let req = request(GET_ATTACK);
    let (status, log) = run(&mut tx, &req);
    assert_eq!(status, None, "DetectionOnly changes no response");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, LogLevel::Info);
    assert!(log[0]
        .1
        .starts_with("ModSecurity: Warning. Matched \"Operator `Contains'"));
    assert_eq!(field(&fields(&log[0].1), "id"), "1001");
    assert_eq!(tx.action(), "detected");
    assert!(tx.intervention().is_none());
    let record: Value = serde_json::from_str(&tx.audit_record(&req, 200).unwrap()).unwrap();
    let t = &record["transaction"];
    assert_eq!(t["response"]["http_code"], 200);
    assert_eq!(t["producer"]["secrules_engine"], "DetectionOnly");
    assert_eq!(t["messages"][0]["details"]["ruleId"], "1001");
    assert_eq!(t["messages"][0]["message"], "attack in ARGS:q by alice");
}

#[test]
fn nolog_silences_and_noauditlog_keeps_the_line() {
    let rules = r#"
SecAuditEngine RelevantOnly
SecAuditLogFormat JSON
SecAuditLog /dev/null
SecRule ARGS:a "@streq quiet" "id:11,phase:1,pass,log,noauditlog,msg:'in the error log only'"
SecRule ARGS:a "@streq silent" "id:12,phase:1,pass,nolog,msg:'nowhere'"
SecRule ARGS:a "@streq audit" "id:13,phase:1,pass,nolog,auditlog,msg:'in the audit log only'"
"#;
    let rules = ruleset(rules);
    let case = |value: &str| {
        let mut tx = Transaction::new(rules.clone());
        let req = request(&format!("GET /?a={value} HTTP/1.1\nHost: h\n\n"));
        let (_, log) = run(&mut tx, &req);
        let record = tx.audit_record(&req, 200);
        (log, record, tx.rule_ids())
    };
    let (log, record, ids) = case("quiet");
    assert_eq!(log.len(), 1);
    assert_eq!(field(&fields(&log[0].1), "id"), "11");
    assert!(
        record.is_none(),
        "noauditlog: not relevant for the audit log"
    );
    assert_eq!(ids, "11");
    let (log, record, ids) = case("silent");
    assert!(log.is_empty());
    assert!(record.is_none());
    assert_eq!(ids, "");
    let (log, record, ids) = case("audit");
    assert!(log.is_empty());
    let record: Value = serde_json::from_str(&record.expect("auditlog: relevant")).unwrap();
    assert_eq!(
        record["transaction"]["messages"][0]["details"]["ruleId"],
        "13"
    );
    assert_eq!(ids, "13");
}

/// `log`/`nolog` and `auditlog`/`noauditlog` of a phase's SecDefaultAction reach the rules of
/// that phase that do not say otherwise (libmodsecurity runs the default's logging actions
/// first, then the rule's), and no rule of another phase.
#[test]
fn default_action_logging_is_inherited_per_phase() {
    let rules = ruleset(
        r#"
SecAuditEngine RelevantOnly
SecAuditLogFormat JSON
SecAuditLog /dev/null
SecRequestBodyAccess On
SecDefaultAction "phase:1,log,noauditlog,pass"
SecDefaultAction "phase:2,nolog,auditlog,pass"
SecRule ARGS:a "@streq x" "id:21,phase:1,pass"
SecRule ARGS:a "@streq x" "id:22,phase:1,pass,auditlog"
SecRule ARGS:a "@streq x" "id:23,phase:1,pass,nolog"
SecRule ARGS:a "@streq x" "id:24,phase:2,pass"
SecRule ARGS:a "@streq x" "id:25,phase:2,pass,log,noauditlog"
SecRule ARGS:a "@streq x" "id:26,phase:3,pass"
SecRule ARGS:a "@streq x" "id:27,phase:2,pass,nolog"
"#,
    );
    let mut tx = Transaction::new(rules);
    let req = request("GET /?a=x HTTP/1.1\nHost: h\n\n");
    let (_, log) = run(&mut tx, &req);
    tx.set_response_headers(200, b"HTTP/1.1", Vec::new());
    tx.run_phase(3, &req);
    let mut log_ids: Vec<String> = log
        .iter()
        .map(|(_, l)| field(&fields(l), "id").to_string())
        .collect();
    log_ids.extend(
        tx.take_log()
            .iter()
            .map(|m| field(&fields(&m.text), "id").to_string()),
    );
    // 21 and 22 log by the phase-1 default, 25 by its own `log`; 26's phase has no default: `log`.
    assert_eq!(log_ids, ["21", "22", "25", "26"]);
    let record: Value = serde_json::from_str(&tx.audit_record(&req, 200).unwrap()).unwrap();
    let audited: Vec<&str> = record["transaction"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["details"]["ruleId"].as_str().unwrap())
        .collect();
    // 21 left out by the default's noauditlog, 22 put back by its own auditlog, 24 audited
    // (not logged) by the phase-2 default, 25 left out by its own noauditlog, 27 by its own
    // nolog, which runs after the default's auditlog (as CRS's nolog rules expect).
    assert_eq!(audited, ["22", "24", "26"]);
    assert_eq!(tx.rule_ids(), "21,22,24,25,26");
}

const AUDITED: &str = r#"
SecRuleEngine On
SecRequestBodyAccess On
SecAuditEngine On
SecAuditLogFormat JSON
SecAuditLog /dev/null
SecComponentSignature "OWASP_CRS/4.28.0"
SecAction "id:900,phase:1,pass,nolog,setvar:tx.blocking_inbound_anomaly_score=0"
SecRule ARGS:note "@rx drop table" "id:2001,phase:2,pass,log,t:lowercase,msg:'SQL in %{MATCHED_VAR_NAME}',logdata:'%{MATCHED_VAR}',tag:'attack-sqli',tag:'OWASP_CRS',severity:WARNING,ver:'OWASP_CRS/4.28.0',setvar:tx.blocking_inbound_anomaly_score=+5"
"#;

const POST_NOTE: &str = "POST /notes?x=1 HTTP/1.1\nHost: notes.example\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 18\n\nnote=DROP TABLE t;";

#[test]
fn json_record_in_libmodsecuritys_schema() {
    let mut tx = Transaction::new(ruleset(AUDITED));
    let req = request(POST_NOTE);
    let (status, _) = run(&mut tx, &req);
    assert_eq!(status, None);
    tx.set_response_headers(
        200,
        b"HTTP/1.1",
        vec![(b"Content-Type".to_vec(), b"text/plain".to_vec())],
    );
    assert_eq!(tx.anomaly_score(), Some(&b"5"[..]));
    let text = tx.audit_record(&req, 200).expect("SecAuditEngine On");
    assert!(
        text.ends_with('\n') && text.matches('\n').count() == 1,
        "one line"
    );
    let record: Value = serde_json::from_str(&text).unwrap();
    let t = &record["transaction"];
    assert_eq!(t.as_object().unwrap().len(), 11, "{t}");
    assert_eq!(t["client_ip"], "192.0.2.7");
    assert_eq!(t["client_port"], 51234);
    assert_eq!(t["host_ip"], "198.51.100.1");
    assert_eq!(t["host_port"], 8443);
    assert_eq!(t["unique_id"], "req-42");
    assert_eq!(t["server_id"].as_str().unwrap().len(), 40);
    // C's %c: "Mon Nov 23 08:52:54 2026"
    let stamp = t["time_stamp"].as_str().unwrap();
    let words: Vec<&str> = stamp.split_whitespace().collect();
    assert_eq!(words.len(), 5, "{stamp}");
    assert_eq!(words[3].len(), 8, "{stamp}");
    let request = &t["request"];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["http_version"].as_f64(), Some(1.1));
    assert_eq!(request["uri"], "/notes?x=1");
    assert_eq!(request["body"], "note=DROP TABLE t;");
    assert_eq!(request["headers"]["Host"], "notes.example");
    assert_eq!(request["headers"]["Content-Length"], "18");
    let response = &t["response"];
    assert_eq!(response["http_code"], 200);
    assert_eq!(response["headers"]["Content-Type"], "text/plain");
    assert!(response.get("body").is_none(), "E is not a default part");
    let producer = &t["producer"];
    assert!(producer["modsecurity"]
        .as_str()
        .unwrap()
        .starts_with("secrules v"));
    assert!(producer["connector"]
        .as_str()
        .unwrap()
        .starts_with("secrules-nginx v"));
    assert_eq!(producer["secrules_engine"], "Enabled");
    assert_eq!(
        producer["components"],
        serde_json::json!(["OWASP_CRS/4.28.0"])
    );
    let messages = t["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "the nolog SecAction is not a message");
    assert_eq!(messages[0]["message"], "SQL in ARGS:note");
    let d = &messages[0]["details"];
    assert_eq!(
        d["match"],
        "Matched \"Operator `Rx' with parameter `drop table' against variable `ARGS:note' (Value: `drop table t;' )"
    );
    // libmodsecurity 3.0.9 writes the same for this rule and request.
    assert_eq!(d["reference"], "o0,10v118,13t:lowercase");
    assert_eq!(d["ruleId"], "2001");
    assert_eq!(d["file"], "/etc/nginx/waf.conf");
    assert_eq!(d["lineNumber"], "9");
    assert_eq!(d["data"], "drop table t;");
    assert_eq!(d["severity"], "4");
    assert_eq!(d["ver"], "OWASP_CRS/4.28.0");
    assert_eq!(d["rev"], "");
    assert_eq!(d["tags"], serde_json::json!(["attack-sqli", "OWASP_CRS"]));
    assert_eq!(d["maturity"], "0");
    assert_eq!(d["accuracy"], "0");
}

#[test]
fn parts_choose_the_contents_and_ctl_changes_them() {
    let record = |extra: &str| {
        let rules = format!("{AUDITED}\n{extra}");
        let mut tx = Transaction::new(ruleset(&rules));
        let req = request(POST_NOTE);
        run(&mut tx, &req);
        tx.set_response_headers(200, b"HTTP/1.1", vec![(b"X-A".to_vec(), b"1".to_vec())]);
        tx.set_response_body(b"the page".to_vec());
        let text = tx.audit_record(&req, 200).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["transaction"].clone()
    };
    let t = record("SecAuditLogParts AZ");
    assert!(t["request"].get("headers").is_none());
    assert!(t["request"].get("body").is_none());
    assert!(t["response"].get("headers").is_none());
    assert!(t.get("producer").is_none() && t.get("messages").is_none());
    assert_eq!(t["request"]["method"], "POST", "A is always there");
    let t = record("SecAuditLogParts ABCEFHZ");
    assert_eq!(t["response"]["body"], "the page");
    assert_eq!(t["response"]["headers"]["X-A"], "1");
    let t =
        record(r#"SecAction "id:3,phase:1,pass,nolog,ctl:auditLogParts=+E,ctl:auditLogParts=-B""#);
    assert_eq!(t["response"]["body"], "the page");
    assert!(t["request"].get("headers").is_none());
    assert_eq!(t["request"]["body"], "note=DROP TABLE t;");
}

#[test]
fn relevance_and_ctl_audit_engine() {
    let rules = r#"
SecAuditEngine RelevantOnly
SecAuditLogRelevantStatus "^(?:5|403)"
SecAuditLog /dev/null
SecRule ARGS:off "@streq 1" "id:1,phase:1,pass,nolog,ctl:auditEngine=Off"
SecRule ARGS:m "@streq 1" "id:2,phase:1,pass,log"
"#;
    let rules = ruleset(rules);
    let wants = |query: &str, status: u16| {
        let mut tx = Transaction::new(rules.clone());
        let req = request(&format!("GET /?{query} HTTP/1.1\nHost: h\n\n"));
        run(&mut tx, &req);
        tx.wants_audit_record(status)
    };
    assert!(!wants("a=1", 200));
    assert!(!wants("a=1", 404));
    assert!(wants("a=1", 503));
    assert!(wants("a=1", 403));
    assert!(wants("m=1", 200), "a logged match is relevant");
    assert!(!wants("m=1&off=1", 503), "ctl:auditEngine=Off wins");
    // An engine Off by configuration can be switched on for one transaction.
    let rules = ruleset(
        r#"
SecAuditEngine Off
SecRule REQUEST_HEADERS:X-Trace "@streq yes" "id:5,phase:1,pass,nolog,ctl:auditEngine=On"
"#,
    );
    let mut tx = Transaction::new(rules.clone());
    let req = request("GET / HTTP/1.1\nHost: h\nX-Trace: yes\n\n");
    run(&mut tx, &req);
    assert!(tx.wants_audit_record(200));
    let mut tx = Transaction::new(rules);
    run(&mut tx, &request("GET / HTTP/1.1\nHost: h\n\n"));
    assert!(!tx.wants_audit_record(200));
}

#[test]
fn native_format_sections() {
    let rules = format!(
        "{METADATA_RULE}\nSecAuditEngine On\nSecAuditLogFormat Native\nSecAuditLog /dev/null\n"
    );
    let mut tx = Transaction::new(ruleset(&rules));
    let req = request(GET_ATTACK);
    run(&mut tx, &req);
    let text = tx.audit_record(&req, 406).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let boundary = lines[0]
        .strip_prefix("---")
        .and_then(|l| l.strip_suffix("---A--"))
        .unwrap_or_else(|| panic!("{text}"));
    let sections: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix(&format!("---{boundary}---")))
        .collect();
    assert_eq!(sections, ["A--", "B--", "F--", "H--", "Z--"], "{text}");
    assert!(
        lines[1].ends_with("req-42 192.0.2.7 51234 198.51.100.1 8443"),
        "{text}"
    );
    assert!(lines[1].starts_with('[') && lines[1].contains(" +0000] "));
    assert_eq!(lines[3], "GET /shop/item?q=attack&user=alice HTTP/1.1");
    assert!(text.contains("\nHost: shop.example\n"));
    assert!(text.contains("\nHTTP/1.1 406\n"));
    assert!(text.contains("\nModSecurity: Access denied with code 406 (phase 1). Matched"));
}

#[test]
fn audit_directive_errors_name_the_line() {
    let error = try_ruleset("SecRuleEngine On\nSecAuditEngine On\n").unwrap_err();
    assert_eq!(
        (error.file.as_str(), error.line),
        ("/etc/nginx/waf.conf", 2)
    );
    assert!(error.reason.contains("no SecAuditLog"), "{error}");
    let error =
        try_ruleset("SecAuditEngine On\nSecAuditLogType Concurrent\nSecAuditLog /dev/null\n")
            .unwrap_err();
    assert!(error.reason.contains("SecAuditLogStorageDir"), "{error}");
    for bad in [
        "SecAuditLogFormat XML",
        "SecAuditLogParts ABX",
        "SecAuditEngine Sometimes",
        "SecAuditLogType HTTPS",
        "SecAuditLogRelevantStatus \"(\"",
    ] {
        let error = try_ruleset(bad).unwrap_err();
        assert_eq!(error.line, 1, "{bad}: {error}");
    }
    // HTTPS: refused, saying why (libmodsecurity would block the worker on each record).
    let error =
        try_ruleset("SecAuditEngine On\nSecAuditLogType HTTPS\nSecAuditLog https://siem/\n")
            .unwrap_err();
    assert_eq!(error.line, 2, "{error}");
    assert!(
        error.reason.contains("HTTPS is not supported") && error.reason.contains("blocking"),
        "{error}"
    );
    // CRS's CI base configuration says SecAuditEngine Off: still fine.
    try_ruleset("SecAuditEngine Off\nSecComponentSignature x").unwrap();
}

#[test]
fn serial_and_concurrent_writers() {
    let dir = std::env::temp_dir().join(format!("secrules-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let serial = dir.join("audit.json");
    let rules = format!(
        "{METADATA_RULE}\nSecAuditEngine On\nSecAuditLogFormat JSON\nSecAuditLog {}\n",
        serial.display()
    );
    let rules = ruleset(&rules);
    rules.open_audit_log().unwrap();
    for _ in 0..3 {
        let mut tx = Transaction::new(rules.clone());
        let req = request(GET_ATTACK);
        run(&mut tx, &req);
        assert!(tx.write_audit_log(&req, 406).unwrap());
    }
    let text = std::fs::read_to_string(&serial).unwrap();
    assert_eq!(text.lines().count(), 3);
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!(record["transaction"]["response"]["http_code"], 406);
    }

    let storage = dir.join("storage");
    let index = dir.join("index.log");
    let rules = format!(
        "{METADATA_RULE}\nSecAuditEngine On\nSecAuditLogType Concurrent\nSecAuditLogFormat JSON\nSecAuditLogStorageDir {}\nSecAuditLog {}\n",
        storage.display(),
        index.display()
    );
    let mut tx = Transaction::new(ruleset(&rules));
    let req = request(GET_ATTACK);
    run(&mut tx, &req);
    assert!(tx.write_audit_log(&req, 406).unwrap());
    let index_text = std::fs::read_to_string(&index).unwrap();
    let file = index_text
        .split_whitespace()
        .find(|w| w.starts_with(storage.to_str().unwrap()))
        .unwrap_or_else(|| panic!("{index_text}"));
    assert!(file.ends_with("-req-42"), "{file}");
    assert!(index_text.contains("\"GET /shop/item?q=attack&user=alice HTTP/1.1\" 406"));
    assert!(index_text
        .trim_end()
        .rsplit(' ')
        .next()
        .unwrap()
        .starts_with("md5:"));
    let record: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(record["transaction"]["unique_id"], "req-42");
    // An unwritable SecAuditLog fails at load time, with the directive's line.
    let bad = ruleset("SecAuditEngine On\nSecAuditLog /nonexistent/dir/audit.log\n");
    let error = bad.open_audit_log().unwrap_err();
    assert_eq!(error.line, 2, "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `SecAuditLog2` as libmodsecurity 3.0.9 has it: the Serial writer ignores it (records go to
/// `SecAuditLog` only and the second file is not created); the Concurrent writer opens both
/// files and writes its index lines to the second one only, also after it was rotated away.
#[test]
fn audit_log2_as_libmodsecurity() {
    let dir = std::env::temp_dir().join(format!("secrules-audit2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (first, second) = (dir.join("first.log"), dir.join("second.log"));
    let write = |rules: &Arc<Ruleset>| {
        let mut tx = Transaction::new(rules.clone());
        let req = request(GET_ATTACK);
        run(&mut tx, &req);
        assert!(tx.write_audit_log(&req, 406).unwrap());
    };
    let serial = ruleset(&format!(
        "{METADATA_RULE}\nSecAuditEngine On\nSecAuditLogFormat JSON\nSecAuditLog {}\nSecAuditLog2 {}\n",
        first.display(),
        second.display()
    ));
    serial.open_audit_log().unwrap();
    write(&serial);
    write(&serial);
    assert_eq!(std::fs::read_to_string(&first).unwrap().lines().count(), 2);
    assert!(!second.exists(), "Serial ignores SecAuditLog2");
    std::fs::remove_file(&first).unwrap();

    let storage = dir.join("storage");
    let concurrent = ruleset(&format!(
        "{METADATA_RULE}\nSecAuditEngine On\nSecAuditLogType Concurrent\nSecAuditLogFormat JSON\nSecAuditLogStorageDir {}\nSecAuditLog {}\nSecAuditLog2 {}\n",
        storage.display(),
        first.display(),
        second.display()
    ));
    concurrent.open_audit_log().unwrap();
    assert!(first.exists() && second.exists(), "both opened at load");
    write(&concurrent);
    write(&concurrent);
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "");
    let index = std::fs::read_to_string(&second).unwrap();
    assert_eq!(index.lines().count(), 2, "{index}");
    for line in index.lines() {
        let file = line
            .split(' ')
            .find(|w| w.starts_with(storage.to_str().unwrap()))
            .unwrap();
        // Both records have the same id and second: one file holds both, a line each.
        let text = std::fs::read_to_string(file).unwrap();
        let record: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(record["transaction"]["unique_id"], "req-42");
    }
    // Rotated away: the next index line goes to a new file at the path.
    std::fs::rename(&second, dir.join("second.log.1")).unwrap();
    write(&concurrent);
    assert_eq!(std::fs::read_to_string(&second).unwrap().lines().count(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.join("second.log.1")).unwrap(),
        index
    );

    // SecAuditLog2 without SecAuditLog: the index lines go there too.
    let only_second = ruleset(&format!(
        "{METADATA_RULE}\nSecAuditEngine On\nSecAuditLogType Concurrent\nSecAuditLogStorageDir {}\nSecAuditLog2 {}\n",
        storage.display(),
        dir.join("only.log").display()
    ));
    only_second.open_audit_log().unwrap();
    write(&only_second);
    assert_eq!(
        std::fs::read_to_string(dir.join("only.log"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    // An unwritable SecAuditLog2 fails at load, naming its line.
    let bad = ruleset(&format!(
        "SecAuditEngine On\nSecAuditLogType Concurrent\nSecAuditLogStorageDir {}\nSecAuditLog2 /nonexistent/dir/x.log\n",
        storage.display()
    ));
    assert_eq!(bad.open_audit_log().unwrap_err().line, 4);
    let _ = std::fs::remove_dir_all(&dir);
}
