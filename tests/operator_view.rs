//! What operators see through the real nginx: the JSON audit log (records field by field, ids
//! shared with `$request_id` and the error log), the `$secrules_*` variables in `add_header` and
//! `log_format`, DetectionOnly, records that never interleave across workers, and audit
//! configuration errors at `nginx -t`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::nginx::{temp_prefix, test_config, write_conf};
use common::{curl, free_port, Nginx, Pki};
use serde_json::Value;

/// Lines of a file once it has at least `count` of them (nginx writes the access log and the
/// audit record in the log phase, which may finish just after curl got the response).
fn lines_when(path: &Path, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= count || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A response header from `curl -i` output.
fn header(response: &str, name: &str) -> Option<String> {
    response
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

fn rules(audit_log: &Path) -> String {
    format!(
        r#"
        secrule 'SecRuleEngine On
            SecAuditEngine RelevantOnly
            SecAuditLogParts ABCFHZ
            SecAuditLogFormat JSON
            SecAuditLogType Serial
            SecAuditLog {audit}
            SecAction "id:900,phase:1,pass,nolog,setvar:tx.blocking_inbound_anomaly_score=0"
            SecRule ARGS:q "@contains attack" "id:1001,phase:1,deny,status:403,log,msg:\'attack in %{{MATCHED_VAR_NAME}}\',tag:\'demo\',setvar:tx.blocking_inbound_anomaly_score=+5"
            SecRule ARGS:w "@contains warn" "id:1002,phase:1,pass,log,msg:\'warning\',setvar:tx.blocking_inbound_anomaly_score=+3"';
"#,
        audit = audit_log.display()
    )
}

#[test]
fn audit_log_variables_and_detection_only_through_nginx() {
    let prefix = temp_prefix("operator-view");
    let audit = prefix.join("logs/audit.json");
    let port = free_port();
    std::fs::create_dir_all(prefix.join("html/detect")).unwrap();
    std::fs::write(prefix.join("html/detect/index.html"), "detect ok\n").unwrap();
    let http = format!(
        r#"
    log_format verdict '$request_id|$secrules_action|$secrules_status|$secrules_rule_ids|$secrules_anomaly_score|$secrules_client_fingerprint|$uri';
    server {{
        listen 127.0.0.1:{port};
        secrules on;
        secrules_transaction_id $request_id;
        access_log logs/verdict.log verdict;
        add_header X-Secrules-Action $secrules_action always;
        add_header X-Secrules-Rules $secrules_rule_ids always;
        add_header X-Secrules-Score $secrules_anomaly_score always;
{rules}
        location / {{ }}
        location /detect/ {{ secrule 'SecRuleEngine DetectionOnly'; }}
    }}
"#,
        rules = rules(&audit)
    );
    write_conf(&prefix, &http);
    let (ok, output) = test_config(&prefix);
    assert!(ok, "{output}");
    let nginx = Nginx::start(&prefix, &[port]);
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");

    let blocked = curl(&["-i", &url("/?q=attack")]);
    assert_eq!(blocked.status, 403);
    assert_eq!(
        header(&blocked.body, "X-Secrules-Action").as_deref(),
        Some("deny")
    );
    assert_eq!(
        header(&blocked.body, "X-Secrules-Rules").as_deref(),
        Some("1001")
    );
    assert_eq!(
        header(&blocked.body, "X-Secrules-Score").as_deref(),
        Some("5")
    );

    let warned = curl(&["-i", &url("/?w=warn")]);
    assert_eq!(warned.status, 200);
    assert_eq!(
        header(&warned.body, "X-Secrules-Action").as_deref(),
        Some("pass")
    );
    assert_eq!(
        header(&warned.body, "X-Secrules-Rules").as_deref(),
        Some("1002")
    );

    let detected = curl(&["-i", &url("/detect/?q=attack")]);
    assert_eq!(detected.status, 200, "DetectionOnly changes no response");
    assert!(detected.body.ends_with("detect ok\n"));
    assert_eq!(
        header(&detected.body, "X-Secrules-Action").as_deref(),
        Some("detected")
    );

    let clean = curl(&["-i", &url("/")]);
    assert_eq!(clean.status, 200);
    assert_eq!(
        header(&clean.body, "X-Secrules-Action").as_deref(),
        Some("pass")
    );

    // The access log: one line per request, the verdict in it.
    let verdicts = lines_when(&prefix.join("logs/verdict.log"), 4);
    let fields: Vec<Vec<&str>> = verdicts.iter().map(|l| l.split('|').collect()).collect();
    assert_eq!(fields.len(), 4, "{verdicts:?}");
    assert_eq!(fields[0][1..], ["deny", "403", "1001", "5", "-", "/"][..]);
    assert_eq!(
        fields[1][1..],
        ["pass", "-", "1002", "3", "-", "/index.html"][..]
    );
    assert_eq!(
        fields[2][1..],
        ["detected", "-", "1001", "5", "-", "/detect/index.html"][..]
    );
    assert_eq!(
        fields[3][1..],
        ["pass", "-", "", "0", "-", "/index.html"][..]
    );
    let request_ids: Vec<&str> = fields.iter().map(|f| f[0]).collect();

    // The audit log: RelevantOnly writes the three requests with logged matches, not the clean one.
    let records: Vec<Value> = lines_when(&audit, 3)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(records.len(), 3);
    let t = &records[0]["transaction"];
    assert_eq!(
        t["unique_id"], request_ids[0],
        "$request_id is the transaction id"
    );
    assert_eq!(t["client_ip"], "127.0.0.1");
    assert_eq!(t["host_ip"], "127.0.0.1");
    assert_eq!(t["host_port"], port);
    assert!(t["client_port"].as_u64().unwrap() > 0);
    assert_eq!(t["request"]["method"], "GET");
    assert_eq!(t["request"]["http_version"].as_f64(), Some(1.1));
    assert_eq!(t["request"]["uri"], "/?q=attack");
    assert_eq!(t["request"]["headers"]["Host"], format!("127.0.0.1:{port}"));
    assert_eq!(t["response"]["http_code"], 403);
    assert_eq!(t["producer"]["secrules_engine"], "Enabled");
    let details = &t["messages"][0]["details"];
    assert_eq!(t["messages"][0]["message"], "attack in ARGS:q");
    assert_eq!(details["ruleId"], "1001");
    assert_eq!(details["tags"], serde_json::json!(["demo"]));
    assert!(details["file"]
        .as_str()
        .unwrap()
        .ends_with("conf/nginx.conf"));
    assert_eq!(records[1]["transaction"]["unique_id"], request_ids[1]);
    assert_eq!(records[1]["transaction"]["response"]["http_code"], 200);
    let t = &records[2]["transaction"];
    assert_eq!(t["unique_id"], request_ids[2]);
    assert_eq!(t["response"]["http_code"], 200);
    assert_eq!(t["producer"]["secrules_engine"], "DetectionOnly");
    assert_eq!(t["messages"][0]["details"]["ruleId"], "1001");

    // The error log: the same ids; the blocking line at error, the DetectionOnly one at info.
    let lines = nginx.rule_log_lines();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(
        lines[0].contains("[error]")
            && lines[0].contains("ModSecurity: Access denied with code 403 (phase 1).")
    );
    assert!(lines[0].contains(&format!("[unique_id \"{}\"]", request_ids[0])));
    assert!(lines[1].contains("[info]") && lines[1].contains("ModSecurity: Warning."));
    assert!(lines[2].contains("[info]") && lines[2].contains("ModSecurity: Warning."));
    assert!(lines[2].contains("[id \"1001\"]"));
    assert!(lines[2].contains(&format!("[unique_id \"{}\"]", request_ids[2])));
}

#[test]
fn client_fingerprint_variable() {
    let pki = Pki::generate(
        &std::env::temp_dir().join(format!("secrules-pki-operator-{}", std::process::id())),
    );
    let port = free_port();
    let http = format!(
        r#"
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert}; ssl_certificate_key {key};
        ssl_client_certificate {ca};
        ssl_verify_client optional;
        location / {{ return 200 "fp=$secrules_client_fingerprint\n"; }}
        location /sha256/ {{
            secrules_client_cert_fingerprint sha256;
            return 200 "fp=$secrules_client_fingerprint\n";
        }}
    }}
"#,
        cert = pki.path("server.crt"),
        key = pki.path("server.key"),
        ca = pki.path("ca.crt"),
    );
    let nginx = Nginx::with_http("fingerprint-var", &http, &[port]);
    let url = format!("https://127.0.0.1:{port}/");
    let mut args = pki.curl_client("general");
    args.push(url.clone());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let response = curl(&args);
    assert_eq!(
        response.body,
        format!("fp={}\n", pki.fingerprint("general", "sha1"))
    );
    let mut args = pki.curl_client("general");
    args.push(format!("{url}sha256/"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(
        curl(&args).body,
        format!("fp={}\n", pki.fingerprint("general", "sha256"))
    );
    let mut args = pki.curl_anonymous();
    args.push(url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(curl(&args).body, "fp=\n", "no certificate: empty");
    drop(nginx);
}

#[test]
fn records_of_several_workers_never_interleave() {
    let prefix = temp_prefix("audit-workers");
    let audit = prefix.join("logs/audit.json");
    let port = free_port();
    let http = format!(
        r#"
    server {{
        listen 127.0.0.1:{port};
        secrules on;
        secrules_transaction_id $request_id;
        secrule 'SecAuditEngine On
            SecAuditLogFormat JSON
            SecAuditLog {audit}';
        location / {{ }}
    }}
"#,
        audit = audit.display()
    );
    let conf = write_conf(&prefix, &http);
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        text.replace("worker_processes 1;", "worker_processes 4;"),
    )
    .unwrap();
    let _nginx = Nginx::start(&prefix, &[port]);
    // Large records (a 6 KB header each, under nginx's 8 KB header buffers) from concurrent clients over 4 workers.
    let big = format!("X-Big: {}", "b".repeat(6 * 1024));
    let (threads, per_thread) = (8, 25);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let url = format!("http://127.0.0.1:{port}/");
                let mut args = vec!["-H", &big];
                let urls: Vec<String> = (0..per_thread).map(|i| format!("{url}?n={i}")).collect();
                for url in &urls {
                    args.extend(["-o", "/dev/null", url.as_str()]);
                }
                // One curl, several requests on one connection.
                let status = std::process::Command::new("curl")
                    .args(["-sS", "--max-time", "30"])
                    .args(&args)
                    .status()
                    .unwrap();
                assert!(status.success());
            });
        }
    });
    let elapsed = started.elapsed();
    let total = threads * per_thread;
    let lines = lines_when(&audit, total);
    assert_eq!(lines.len(), total);
    let mut ids = std::collections::HashSet::new();
    for line in &lines {
        let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let t = &record["transaction"];
        assert_eq!(
            t["request"]["headers"]["X-Big"].as_str().unwrap().len(),
            6 * 1024
        );
        assert!(ids.insert(t["unique_id"].as_str().unwrap().to_string()));
    }
    eprintln!(
        "{total} requests with 6 KB audit records over 4 workers in {elapsed:?} ({} bytes of audit log)",
        std::fs::metadata(&audit).unwrap().len()
    );
}

#[test]
fn audit_configuration_errors_fail_nginx_t() {
    let cases = [
        (
            "secrule 'SecAuditEngine On\n SecAuditLog /nonexistent/dir/audit.log';",
            "cannot open audit log /nonexistent/dir/audit.log",
        ),
        ("secrule 'SecAuditEngine On';", "no SecAuditLog file is set"),
        ("secrule 'SecAuditLogFormat XML';", "SecAuditLogFormat"),
    ];
    for (directive, expected) in cases {
        let prefix = temp_prefix("audit-conf");
        let port = free_port();
        write_conf(
            &prefix,
            &format!(
                "server {{ listen 127.0.0.1:{port}; secrules on; {directive} location / {{ }} }}"
            ),
        );
        let (ok, output) = test_config(&prefix);
        assert!(!ok, "{directive}: nginx -t passed");
        assert!(output.contains(expected), "{directive}: {output}");
        assert!(
            output.contains("conf/nginx.conf:"),
            "{directive}: names the file: {output}"
        );
        let _ = std::fs::remove_dir_all(&prefix);
    }
}
