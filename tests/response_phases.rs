//! Phases 3 (response status and headers) and 5 (logging) through the real nginx.

mod common;

use common::reflect_backend::ReflectBackend;
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

/// Waits for nginx's error log to satisfy `done` (the log phase runs after the response has
/// left, so curl can be faster than it); the log as last read.
fn wait_for_log_until(nginx: &Nginx, done: impl Fn(&str) -> bool) -> String {
    for _ in 0..50 {
        let log = nginx.error_log();
        if done(&log) {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    nginx.error_log()
}

/// Waits for nginx to write a log line containing `text`.
fn wait_for_log(nginx: &Nginx, text: &str) -> String {
    let log = wait_for_log_until(nginx, |log| log.contains(text));
    assert!(log.contains(text), "no log line with {text:?}:\n{log}");
    log
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

    // Phase 5 ran for each request, the denied ones too. It runs after the response left, so
    // the log is read until the line of the last request is there.
    let count = |log: &str| log.lines().filter(|l| l.contains("[id \"5001\"]")).count();
    let wait_for_count = |at_least: usize| wait_for_log_until(&nginx, |log| count(log) >= at_least);
    let log = wait_for_count(2);
    assert_eq!(count(&log), 2, "{log}");
    assert_eq!(get(port, "/status/y", &["user: admin"]).status, 403);
    let log_after = wait_for_count(3);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(count(&nginx.error_log()), 3, "{log_after}");
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

/// Static files reach the body filter as file buffers unless nginx's copy filter reads them into
/// memory first: the module's filters must sit after it, or phase 4 sees nothing and the file
/// never reaches the client (found serving a static file with CRS's response body settings).
#[test]
fn phase_4_inspects_static_files_and_sends_them_whole() {
    let port = free_port();
    let nginx = Nginx::with_http(
        "phase4static",
        &format!(
            r#"
    secrules on;
    secrule 'SecResponseBodyAccess On';
    secrule 'SecResponseBodyMimeType text/plain text/html';
    secrule 'SecResponseBodyLimit 1048576';
    secrule 'SecRule RESPONSE_BODY "@contains leaked-secret" "id:4101,phase:4,deny,status:403"';
    types {{ text/plain txt; text/html html; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ root html; }}
        location /gzip/ {{ alias html/; gzip on; gzip_min_length 1; gzip_types text/plain; }}
        location /nosendfile/ {{ alias html/; sendfile off; }}
    }}
"#
        ),
        &[port],
    );
    let html = nginx.prefix.join("html");
    let big: String = (0..40_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(html.join("small.txt"), "static ok\n").unwrap();
    std::fs::write(html.join("big.txt"), &big).unwrap();
    std::fs::write(html.join("secret.txt"), format!("{big}leaked-secret\n")).unwrap();
    // `--compressed` asks for gzip and decodes it.
    let get = |path: &str| curl(&["--compressed", &format!("http://127.0.0.1:{port}{path}")]);
    for prefix in ["/", "/gzip/", "/nosendfile/"] {
        let small = get(&format!("{prefix}small.txt"));
        assert_eq!(
            (small.status, small.body.as_str()),
            (200, "static ok\n"),
            "{prefix}"
        );
        let whole = get(&format!("{prefix}big.txt"));
        assert_eq!(whole.status, 200, "{prefix}");
        assert!(
            whole.body == big,
            "{prefix}: {} of {} bytes",
            whole.body.len(),
            big.len()
        );
        let denied = get(&format!("{prefix}secret.txt"));
        assert_eq!(denied.status, 403, "{prefix}");
        assert!(
            !denied.body.contains("line 1"),
            "{prefix}: blocked file leaked"
        );
    }
    let lines = nginx.rule_log_lines();
    let blocked = lines.iter().filter(|l| l.contains("[id \"4101\"]")).count();
    assert_eq!(blocked, 3, "{lines:?}");
}

/// nginx with CRS v4 at paranoia level 1, blocking, with response body access as people deploy
/// it, in one server whose `locations` the caller writes.
fn nginx_with_crs_v4(name: &str, port: u16, locations: &str) -> Nginx {
    let crs = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/crs/v4.28.0")
        .canonicalize()
        .expect("../shared/crs beside the project");
    let prefix = common::nginx::temp_prefix(name);
    let rules = prefix.join("conf/crs-v4-pl1.conf");
    std::fs::write(
        &rules,
        format!(
            "SecRuleEngine On\n\
             SecRequestBodyAccess On\n\
             SecResponseBodyAccess On\n\
             SecResponseBodyMimeType text/plain text/html application/json\n\
             Include {crs}/crs-setup.conf.example\n\
             Include {crs}/rules/*.conf\n",
            crs = crs.display()
        ),
    )
    .unwrap();
    common::nginx::write_conf(
        &prefix,
        &format!(
            "server {{\n listen 127.0.0.1:{port};\n secrules on;\n secrules_file {rules};\n{locations}\n}}\n",
            rules = rules.display()
        ),
    );
    Nginx::start(&prefix, &[port])
}

#[test]
fn crs_v4_blocks_an_upstream_leaking_a_sql_error_at_pl1() {
    let backend = ReflectBackend::start();
    let port = free_port();
    let nginx = nginx_with_crs_v4(
        "sqlleak",
        port,
        &format!(
            "location / {{ proxy_pass http://127.0.0.1:{}; }}",
            backend.port
        ),
    );
    let leak = "<html><body>Error: You have an error in your SQL syntax; check the manual that \
                corresponds to your MySQL server version for the right syntax to use near ''' at line 1</body></html>";
    // The page travels base64-encoded so that the request itself carries no HTML for the
    // inbound rules to object to.
    let ask = |body: &str| {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(body);
        let spec = serde_json::json!({ "status": 200, "headers": {"Content-Type": "text/html"}, "encodedBody": encoded });
        curl(&[
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &spec.to_string(),
            &format!("http://127.0.0.1:{port}/reflect"),
        ])
    };
    let clean = ask("<html><body>Patient record saved.</body></html>");
    assert_eq!(clean.status, 200, "{}", nginx.error_log());
    assert!(clean.body.contains("Patient record saved."));

    let blocked = ask(leak);
    assert_eq!(blocked.status, 403, "{}", nginx.error_log());
    assert!(
        !blocked.body.contains("SQL syntax"),
        "the blocked body leaked: {}",
        blocked.body
    );
    let log = nginx.error_log();
    let denial = log
        .lines()
        .find(|l| l.contains("Access denied with code 403 (phase 4)"))
        .unwrap_or_else(|| panic!("no phase-4 denial:\n{log}"));
    assert!(denial.contains("[id \"959100\"]"), "{denial}");
    assert!(
        log.lines()
            .any(|l| l.contains("[id \"951230\"]") && l.contains("mysql")),
        "the MySQL error rule did not match:\n{log}"
    );
}

/// The worker's (current, peak) resident memory in kB.
fn worker_memory(prefix: &std::path::Path) -> (u64, u64) {
    let master = std::fs::read_to_string(prefix.join("logs/nginx.pid")).unwrap();
    let master = master.trim();
    let children =
        std::fs::read_to_string(format!("/proc/{master}/task/{master}/children")).unwrap();
    let worker = children.split_whitespace().next().expect("one worker");
    let status = std::fs::read_to_string(format!("/proc/{worker}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A backend that answers every request with `size` bytes of application/octet-stream, written
/// in 64 KiB pieces as they are sent.
fn streaming_backend(size: usize) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line.trim() != "" {
                    line.clear();
                }
                let mut stream = stream;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes());
                let piece = vec![b'x'; 65536];
                let mut sent = 0;
                while sent < size {
                    let n = piece.len().min(size - sent);
                    if stream.write_all(&piece[..n]).is_err() {
                        return;
                    }
                    sent += n;
                }
            });
        }
    });
    port
}

#[test]
fn a_large_streamed_response_passes_with_the_worker_memory_flat() {
    const SIZE: usize = 256 << 20;
    let backend = streaming_backend(SIZE);
    let port = free_port();
    // nginx's own buffering to disk is switched off: the worker alone carries the stream.
    let nginx = nginx_with_crs_v4(
        "stream",
        port,
        &format!(
            r#"
        proxy_buffering off;
        location /off/ {{
            secrule 'SecResponseBodyAccess Off';
            proxy_pass http://127.0.0.1:{backend};
        }}
        location /unlisted/ {{
            proxy_pass http://127.0.0.1:{backend};
        }}"#
        ),
    );
    let download = |path: &str| -> (u16, u64) {
        let output = std::process::Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "120",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{size_download}",
            ])
            .arg(format!("http://127.0.0.1:{port}{path}"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (status, size) = text.split_once(' ').unwrap();
        (status.parse().unwrap(), size.parse().unwrap())
    };
    // Warm up: the rule set and the worker's pools are in place before measuring.
    download("/off/warmup");
    let (before, _) = worker_memory(&nginx.prefix);
    for path in ["/off/big", "/unlisted/big"] {
        let (status, size) = download(path);
        assert_eq!(
            (status, size),
            (200, SIZE as u64),
            "{path}: {}",
            nginx.error_log()
        );
    }
    let (after, peak) = worker_memory(&nginx.prefix);
    eprintln!(
        "streamed 2 x {} MiB: worker RSS {before} kB before, {after} kB after, peak {peak} kB",
        SIZE >> 20
    );
    // 512 MiB went through; the worker's peak stays within a few MiB of where it started.
    assert!(
        peak < before + 16 * 1024,
        "worker peak RSS grew from {before} kB to {peak} kB while streaming"
    );
}
