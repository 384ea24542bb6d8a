//! Internal errors (issue 8, item 1): a panic inside the module never reaches nginx. The real
//! nginx runs with fault injection armed through the `env` directive (see src/nginx/fault.rs);
//! requests carrying `X-Secrules-Fault: <point>` panic there. With `secrules_on_error closed`
//! (the default) the request gets a 500, with `open` it goes on as if the rules had passed it;
//! either way an `alert` line names the panic, and the same worker process serves the next
//! request.

mod common;

use common::{curl, free_port, nginx, EchoBackend, Nginx, Response};

const ALL_POINTS: &str = "panic-in-access,panic-in-header-filter,panic-in-body-filter";

struct Setup {
    nginx: Nginx,
    port: u16,
    _backend: EchoBackend,
}

/// Server-level default (closed) with an `open` location, and an `open` server with a `closed`
/// location: the directive is inherited and overridden like any other.
fn start() -> Setup {
    let backend = EchoBackend::start();
    let port = free_port();
    let upstream = format!("http://127.0.0.1:{}", backend.port);
    let http = format!(
        r#"
    secrules on;
    secrule 'SecRuleEngine On
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain
SecRule ARGS "@contains attack" "id:1,phase:1,deny,status:403,log"
SecRule RESPONSE_STATUS "@eq 299" "id:3,phase:3,deny,status:403,log"
SecRule RESPONSE_BODY "@contains never-sent" "id:4,phase:4,deny,status:403,log"';
    add_header X-Worker-Pid $pid always;
    secrules_client_cert_headers on;
    server {{
        listen 127.0.0.1:{port};
        server_name closed.test;
        location / {{ proxy_pass {upstream}; }}
        location /open/ {{ secrules_on_error open; proxy_pass {upstream}; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name open.test;
        secrules_on_error open;
        location / {{ proxy_pass {upstream}; }}
        location /closed/ {{ secrules_on_error closed; proxy_pass {upstream}; }}
    }}
"#
    );
    let prefix = nginx::temp_prefix("faults");
    nginx::write_conf_with_main(
        &prefix,
        &format!("env SECRULES_FAULT_INJECTION={ALL_POINTS};"),
        &http,
    );
    let (ok, output) = nginx::test_config(&prefix);
    assert!(ok, "nginx -t failed:\n{output}");
    Setup {
        nginx: Nginx::start(&prefix, &[port]),
        port,
        _backend: backend,
    }
}

impl Setup {
    /// GET `path` on `host`, with the fault marker for `fault` if given; response headers are
    /// kept (curl -D) so the worker's pid can be read.
    fn get(&self, host: &str, path: &str, fault: Option<&str>) -> Response {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let host = format!("Host: {host}");
        let marker = format!("X-Secrules-Fault: {}", fault.unwrap_or("none"));
        // A client-sent identity header: whatever happens, the upstream must not see it.
        curl(&[
            "-D",
            "-",
            "-H",
            &host,
            "-H",
            &marker,
            "-H",
            "ssl-client-verify: SUCCESS",
            &url,
        ])
    }
}

fn worker_pid(response: &Response) -> String {
    response
        .body
        .lines()
        .find_map(|l| l.strip_prefix("X-Worker-Pid: "))
        .map(|pid| pid.trim().to_string())
        .unwrap_or_else(|| panic!("no X-Worker-Pid in {response:?}"))
}

/// Alert lines written by the module for injected faults.
fn fault_alerts(nginx: &Nginx) -> Vec<String> {
    nginx
        .error_log()
        .lines()
        .filter(|l| l.contains("[alert]") && l.contains("fault injected in"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_panic_fails_closed_or_open_as_configured_and_the_worker_survives() {
    let setup = start();
    let first = setup.get("closed.test", "/", None);
    assert_eq!(first.status, 200, "{first:?}");
    let pid = worker_pid(&first);
    assert!(
        setup
            .nginx
            .error_log()
            .contains("secrules: fault injection armed in this worker: panic-in-access"),
        "{}",
        setup.nginx.error_log()
    );

    // (host, path, fault point, expected status, reaches the backend, expected alert text)
    let cases: [(&str, &str, &str, u16, bool, &str); 12] = [
        (
            "closed.test",
            "/",
            "access",
            500,
            false,
            "the request is answered with 500 (secrules_on_error closed)",
        ),
        (
            "closed.test",
            "/open/",
            "access",
            200,
            true,
            "the request goes on uninspected (secrules_on_error open)",
        ),
        // Failing open skips the rules entirely: an argument rule 1 denies passes too.
        (
            "closed.test",
            "/open/?q=attack",
            "access",
            200,
            true,
            "uninspected (secrules_on_error open)",
        ),
        (
            "open.test",
            "/",
            "access",
            200,
            true,
            "uninspected (secrules_on_error open)",
        ),
        (
            "open.test",
            "/closed/",
            "access",
            500,
            false,
            "answered with 500 (secrules_on_error closed)",
        ),
        (
            "closed.test",
            "/",
            "header-filter",
            500,
            false,
            "the response is replaced by a 500 (secrules_on_error closed)",
        ),
        (
            "closed.test",
            "/open/",
            "header-filter",
            200,
            true,
            "the response goes on uninspected (secrules_on_error open)",
        ),
        (
            "open.test",
            "/closed/",
            "header-filter",
            500,
            false,
            "replaced by a 500 (secrules_on_error closed)",
        ),
        (
            "closed.test",
            "/",
            "body-filter",
            500,
            false,
            "the response is replaced by a 500 (secrules_on_error closed)",
        ),
        (
            "closed.test",
            "/open/",
            "body-filter",
            200,
            true,
            "the response goes on uninspected (secrules_on_error open)",
        ),
        (
            "open.test",
            "/",
            "body-filter",
            200,
            true,
            "goes on uninspected (secrules_on_error open)",
        ),
        (
            "open.test",
            "/closed/",
            "body-filter",
            500,
            false,
            "replaced by a 500 (secrules_on_error closed)",
        ),
    ];
    let mut ran = 0;
    for (host, path, point, status, reaches_backend, alert) in cases {
        let what = format!("{point} fault on {host}{path}");
        let before = fault_alerts(&setup.nginx).len();
        let response = setup.get(host, path, Some(point));
        assert_eq!(response.status, status, "{what}: {response:?}");
        assert_eq!(
            worker_pid(&response),
            pid,
            "{what}: another worker answered"
        );
        // The echo backend answers with the request head it got: its request line shows up.
        let echoed = response.body.contains("GET /");
        assert_eq!(echoed, reaches_backend, "{what}: {response:?}");
        if reaches_backend {
            // Failing open never lets a client-sent identity header through.
            assert!(
                !response
                    .body
                    .to_ascii_lowercase()
                    .contains("ssl-client-verify: success"),
                "{what}: spoofed identity reached the backend: {response:?}"
            );
        }
        let alerts = fault_alerts(&setup.nginx);
        assert_eq!(
            alerts.len(),
            before + 1,
            "{what}: one alert line: {alerts:#?}"
        );
        let line = alerts.last().unwrap();
        assert!(
            line.contains(&format!("fault injected in {point}")),
            "{what}: {line}"
        );
        assert!(line.contains(alert), "{what}: {line}");
        assert!(
            line.contains("panic at src/nginx/fault.rs:"),
            "{what}: {line}"
        );
        // The same worker serves the next request normally, rules included.
        let next = setup.get(host, "/?q=attack", None);
        assert_eq!(next.status, 403, "{what}: the next request: {next:?}");
        assert_eq!(worker_pid(&next), pid, "{what}: the worker was replaced");
        ran += 1;
    }
    assert_eq!(ran, 12);
    let log = setup.nginx.error_log();
    assert!(!log.contains("exited on signal"), "{log}");
    assert!(
        !log.contains("panicked at"),
        "the default panic hook printed: {log}"
    );
}

#[test]
fn secrules_on_error_takes_closed_or_open_only() {
    let prefix = nginx::temp_prefix("faults-conf");
    nginx::write_conf(&prefix, "secrules_on_error ajar;");
    let (ok, output) = nginx::test_config(&prefix);
    assert!(!ok, "{output}");
    assert!(output.contains("invalid value \"ajar\""), "{output}");
    for value in ["closed", "open"] {
        nginx::write_conf(&prefix, &format!("secrules_on_error {value};"));
        let (ok, output) = nginx::test_config(&prefix);
        assert!(ok, "{value}: {output}");
    }
}

#[test]
fn without_the_env_directive_the_marker_header_does_nothing() {
    // The variable in nginx's own environment is not enough: nginx clears it for workers
    // unless the configuration lists it.
    let backend = EchoBackend::start();
    let port = free_port();
    let http = format!(
        "secrules on; secrule 'SecRuleEngine On';\n    server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://127.0.0.1:{}; }} }}",
        backend.port
    );
    let nginx = Nginx::with_http("faults-off", &http, &[port]);
    let response = curl(&[
        "-H",
        "X-Secrules-Fault: access",
        &format!("http://127.0.0.1:{port}/"),
    ]);
    assert_eq!(response.status, 200, "{response:?}");
    assert!(!nginx.error_log().contains("fault injected"));
    assert!(!nginx.error_log().contains("fault injection armed"));
}
