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
    assert!(!denied.body.contains("GET /leak/secret"), "the upstream's body leaked: {}", denied.body);
    let lines = nginx.rule_log_lines();
    assert!(lines.iter().any(|l| l.contains("Access denied with code 502 (phase 3)") && l.contains("[id \"3001\"]")), "{lines:?}");

    let passed = get(port, "/status/x", &[]);
    assert_eq!(passed.status, 200);
    assert!(passed.body.contains("GET /status/x"), "{}", passed.body);
    let log = wait_for_log(&nginx, "[id \"3002\"]");
    assert!(log.lines().any(|l| l.contains("ModSecurity: Warning.") && l.contains("against variable `RESPONSE_STATUS' (Value: `200' )")), "{log}");

    // Phase 5 ran for each request, the denied ones too.
    let log = wait_for_log(&nginx, "logging phase ran");
    assert_eq!(get(port, "/status/y", &["user: admin"]).status, 403);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let log_after = nginx.error_log();
    let count = |log: &str| log.lines().filter(|l| l.contains("[id \"5001\"]")).count();
    assert!(count(&log) >= 2, "{log}");
    assert_eq!(count(&log_after), count(&log) + 1, "{log_after}");
}
