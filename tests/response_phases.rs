//! Phases 3 (response status and headers) and 5 (logging) through the real nginx.

mod common;

use common::{curl, free_port, EchoBackend, Nginx};

fn get(port: u16, path: &str, headers: &[&str]) -> common::Response {
    let mut args: Vec<String> = Vec::new();
    for header in headers {
        args.extend(["-H".to_string(), header.to_string()]);
    }
    args.push(format!("http://127.0.0.1:{port}{path}"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(&refs)
}

/// Waits for nginx to write a log line containing `text` (the log phase runs after the response
/// has left, so curl can be faster than it).
fn wait_for_log(nginx: &Nginx, text: &str) -> String {
    for _ in 0..50 {
        let log = nginx.error_log();
        if log.contains(text) {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("no log line with {text:?}:\n{}", nginx.error_log());
}

#[test]
fn phase_3_denies_on_response_headers_before_anything_is_sent() {
    let backend = EchoBackend::start();
    let port = free_port();
    let upstream = format!("http://127.0.0.1:{}", backend.port);
    let nginx = Nginx::with_http(
        "phase3",
        &format!(
            r#"
    secrules on;
    secrule 'SecRule REQUEST_HEADERS:user "@streq admin" "id:1001,phase:1,deny,status:403"';
    secrule 'SecAction "id:5001,phase:5,pass,log,msg:\'logging phase ran\'"';
    server {{
        listen 127.0.0.1:{port};
        location /leak/ {{
            secrule 'SecRule RESPONSE_HEADERS:Content-Type "@contains text/plain" "id:3001,phase:3,deny,status:502,msg:\'plain text from upstream\'"';
            proxy_pass {upstream};
        }}
        location /status/ {{
            secrule 'SecRule RESPONSE_STATUS "@streq 200" "id:3002,phase:3,pass,log,msg:\'status seen\'"';
            proxy_pass {upstream};
        }}
    }}
"#
        ),
        &[port],
    );
    let denied = get(port, "/leak/secret", &[]);
    assert_eq!(denied.status, 502);
    assert!(
        !denied.body.contains("GET /leak/secret"),
        "the upstream's body leaked: {}",
        denied.body
    );
    let lines = nginx.rule_log_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Access denied with code 502 (phase 3)")
                && l.contains("[id \"3001\"]")),
        "{lines:?}"
    );

    let passed = get(port, "/status/x", &[]);
    assert_eq!(passed.status, 200);
    assert!(passed.body.contains("GET /status/x"), "{}", passed.body);
    let log = wait_for_log(&nginx, "[id \"3002\"]");
    assert!(
        log.lines().any(|l| l.contains("ModSecurity: Warning.")
            && l.contains("against variable `RESPONSE_STATUS' (Value: `200' )")),
        "{log}"
    );

    // Phase 5 ran for each request, the denied ones too.
    let log = wait_for_log(&nginx, "logging phase ran");
    assert_eq!(get(port, "/status/y", &["user: admin"]).status, 403);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log_after = nginx.error_log();
    let count = |log: &str| log.lines().filter(|l| l.contains("[id \"5001\"]")).count();
    assert!(count(&log) >= 2, "{log}");
    assert_eq!(count(&log_after), count(&log) + 1, "{log_after}");
}

#[test]
fn phase_4_inspects_held_back_bodies_and_never_leaks_a_blocked_one() {
    let backend = EchoBackend::start();
    let port = free_port();
    let upstream = format!("http://127.0.0.1:{}", backend.port);
    let nginx = Nginx::with_http(
        "phase4",
        &format!(
            r#"
    secrules on;
    secrule 'SecResponseBodyAccess On';
    secrule 'SecRule RESPONSE_BODY "@contains leaked-secret" "id:4001,phase:4,deny,status:403,msg:\'secret in the response\'"';
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass {upstream}; }}
        location /partial/ {{
            secrule 'SecResponseBodyLimit 100';
            secrule 'SecResponseBodyLimitAction ProcessPartial';
            proxy_pass {upstream};
        }}
        location /reject/ {{
            secrule 'SecResponseBodyLimit 100';
            proxy_pass {upstream};
        }}
        location /html-only/ {{
            secrule 'SecResponseBodyMimeType text/html';
            proxy_pass {upstream};
        }}
        location /off/ {{
            secrule 'SecResponseBodyAccess Off';
            proxy_pass {upstream};
        }}
    }}
"#
        ),
        &[port],
    );
    // The echo backend answers text/plain with the request head: the path ends up in the body.
    let denied = get(port, "/leaked-secret", &[]);
    assert_eq!(denied.status, 403);
    assert!(
        !denied.body.contains("leaked-secret"),
        "blocked body leaked: {}",
        denied.body
    );
    let lines = nginx.rule_log_lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("(phase 4)") && l.contains("against variable `RESPONSE_BODY'")),
        "{lines:?}"
    );

    let clean = get(port, "/clean", &[]);
    assert_eq!(clean.status, 200);
    assert!(clean.body.contains("GET /clean HTTP/1.0"), "{}", clean.body);

    // Past the limit: ProcessPartial inspects the first 100 bytes only and sends everything.
    let filler = format!("x-filler: {}", "f".repeat(300));
    let partial = get(port, "/partial/a", &[&filler, "x-tail: leaked-secret"]);
    assert_eq!(partial.status, 200);
    assert!(
        partial.body.contains("leaked-secret") && partial.body.contains(&"f".repeat(300)),
        "{}",
        partial.body
    );
    // Reject answers 403, as libmodsecurity does.
    assert_eq!(get(port, "/reject/a", &[&filler]).status, 403);
    assert!(nginx
        .error_log()
        .contains("Response body is larger than the configured limit (100 bytes)"));
    // A body that arrives in many pieces is held until complete, then inspected whole.
    let big = "b".repeat(300_000);
    let file = std::env::temp_dir().join(format!("secrules-phase4-{}", std::process::id()));
    for (tail, status) in [("clean", 200), ("leaked-secret", 403)] {
        std::fs::write(&file, format!("{big}{tail}")).unwrap();
        let data = format!("@{}", file.display());
        let url = format!("http://127.0.0.1:{port}/big");
        let response = curl(&["-X", "POST", "--data-binary", &data, &url]);
        assert_eq!(response.status, status, "{tail}");
        if status == 200 {
            assert!(
                response.body.ends_with(&format!("{big}clean")),
                "body cut: {} bytes",
                response.body.len()
            );
        } else {
            assert!(!response.body.contains("bbbbbbbb"), "blocked body leaked");
        }
    }
    let _ = std::fs::remove_file(&file);
    // Media types not listed, and body access off, stream through uninspected.
    assert_eq!(get(port, "/html-only/leaked-secret", &[]).status, 200);
    assert_eq!(get(port, "/off/leaked-secret", &[]).status, 200);
}
