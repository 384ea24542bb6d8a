//! Phase 2 with the request body, through the real nginx: urlencoded arguments, bodies in memory
//! and in nginx's temporary files, chunked and slowly sent bodies, and SecRequestBodyLimit.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::backend::body_in_echo;
use common::{curl, free_port, EchoBackend, Nginx};

const RULES: &str = r#"
    secrule '
        SecRuleEngine On
        SecRequestBodyAccess On
        SecRule ARGS_POST:q "@contains drop table" "id:2001,phase:2,deny,status:403,msg:\'SQL in a form field\'"
        SecRule REQUEST_BODY "@contains evil" "id:2002,phase:2,deny,status:403,msg:\'evil body\'"
        SecRule ARGS:user "@streq admin" "id:2003,phase:2,deny,status:403"
    ';
"#;

struct Setup {
    nginx: Nginx,
    _backend: EchoBackend,
    port: u16,
}

fn start(name: &str) -> Setup {
    let backend = EchoBackend::start();
    let port = free_port();
    let upstream = format!("http://127.0.0.1:{}", backend.port);
    let nginx = Nginx::with_http(
        name,
        &format!(
            r#"
    secrules on;
    client_max_body_size 2m;
    client_body_buffer_size 16k;
{RULES}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass {upstream}; }}
        location /limited/ {{
            secrule 'SecRequestBodyLimit 1000';
            proxy_pass {upstream};
        }}
        location /partial/ {{
            secrule 'SecRequestBodyLimit 1000';
            secrule 'SecRequestBodyLimitAction ProcessPartial';
            proxy_pass {upstream};
        }}
        location /json/ {{
            secrule '
                SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
                SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:\'Failed to parse request body.\',logdata:\'%{{reqbody_error_msg}}\'"
                SecRule ARGS:json.user.roles.array_0 "@streq admin" "id:2005,phase:2,deny,status:403,msg:\'admin role requested\'"
            ';
            proxy_pass {upstream};
        }}
        location /xml/ {{
            secrule '
                SecRule REQUEST_HEADERS:Content-Type "^(?:application|text)/xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
                SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:\'Failed to parse request body.\',logdata:\'%{{reqbody_error_msg}}\'"
                SecRule XML:/* "@contains drop table" "id:2006,phase:2,deny,status:403"
                SecRule XML://@* "@streq admin" "id:2007,phase:2,deny,status:403"
            ';
            proxy_pass {upstream};
        }}
        location /multipart/ {{
            secrule '
                SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:\'Failed to parse request body.\',logdata:\'%{{reqbody_error_msg}}\'"
                SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:\'Multipart request body failed strict validation\'"
                SecRule FILES "@rx \.php$" "id:2008,phase:2,deny,status:403,msg:\'PHP upload\'"
                SecRule FILES_SIZES "@gt 1000" "id:2009,phase:2,deny,status:413"
            ';
            proxy_pass {upstream};
        }}
        location /no-body-access/ {{
            secrule 'SecRequestBodyAccess Off';
            proxy_pass {upstream};
        }}
    }}
"#
        ),
        &[port],
    );
    Setup {
        nginx,
        _backend: backend,
        port,
    }
}

/// POSTs `body` with curl (from a file, so large bodies fit on no command line).
fn post(port: u16, path: &str, body: &str, extra: &[&str]) -> common::Response {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let file = std::env::temp_dir().join(format!(
        "secrules-body-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::write(&file, body).unwrap();
    let data = format!("@{}", file.display());
    let url = format!("http://127.0.0.1:{port}{path}");
    let mut args = vec!["-X", "POST", "--data-binary", &data];
    args.extend_from_slice(extra);
    args.push(&url);
    let response = curl(&args);
    let _ = std::fs::remove_file(&file);
    response
}

#[test]
fn urlencoded_arguments_are_inspected_in_phase_2() {
    let s = start("body-form");
    let blocked = post(s.port, "/", "name=x&q=1%27%3B+drop+table+users", &[]);
    assert_eq!(blocked.status, 403);
    let lines = s.nginx.rule_log_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("Access denied with code 403 (phase 2)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("against variable `ARGS_POST:q' (Value: `1';"),
        "{}",
        lines[0]
    );
    // ARGS holds the body's arguments too
    assert_eq!(post(s.port, "/?x=1", "user=admin", &[]).status, 403);
    // a JSON body is not urlencoded: ARGS_POST stays empty, REQUEST_BODY is there
    let json = post(
        s.port,
        "/",
        r#"{"q":"drop table"}"#,
        &["-H", "Content-Type: application/json"],
    );
    assert_eq!(json.status, 200);
    let ok = post(s.port, "/", "name=x&q=hello", &[]);
    assert_eq!(ok.status, 200);
    assert_eq!(
        body_in_echo(&ok.body),
        "name=x&q=hello",
        "the upstream gets the body unchanged"
    );
}

#[test]
fn large_bodies_from_nginx_temp_files_and_chunked_bodies() {
    let s = start("body-large");
    // 300 KB: far over client_body_buffer_size, so nginx keeps it in a temporary file.
    let clean = "a".repeat(300_000);
    let ok = post(s.port, "/", &clean, &["-H", "Content-Type: text/plain"]);
    assert_eq!(ok.status, 200);
    assert_eq!(body_in_echo(&ok.body).len(), 300_000);
    let evil_at_end = format!("{clean}evil");
    assert_eq!(
        post(
            s.port,
            "/",
            &evil_at_end,
            &["-H", "Content-Type: text/plain"]
        )
        .status,
        403
    );
    assert_eq!(
        post(
            s.port,
            "/",
            "some evil text",
            &[
                "-H",
                "Content-Type: text/plain",
                "-H",
                "Transfer-Encoding: chunked"
            ]
        )
        .status,
        403
    );
    let lines = s.nginx.rule_log_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("[id \"2002\"]")));
}

/// Sends a POST whose body arrives in pieces with pauses, so nginx must wait for it (the
/// handler returns NGX_DONE and is resumed when the body is complete).
fn slow_post(port: u16, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    for piece in body.chunks(body.len().div_ceil(3)) {
        std::thread::sleep(Duration::from_millis(150));
        stream.write_all(piece).unwrap();
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[test]
fn a_slowly_sent_body_is_waited_for_without_blocking() {
    let s = start("body-slow");
    let (status, _) = slow_post(s.port, b"a=1&q=please+drop+table+now&b=2");
    assert_eq!(status, 403);
    // While one client trickles its body, others are served.
    let trickle = std::thread::spawn({
        let port = s.port;
        move || slow_post(port, b"a=1&b=2")
    });
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        curl(&[&format!("http://127.0.0.1:{}/", s.port)]).status,
        200
    );
    let (status, response) = trickle.join().unwrap();
    assert_eq!(status, 200, "{response}");
    assert!(response.ends_with("a=1&b=2"), "{response}");
    let lines = s.nginx.rule_log_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
}

#[test]
fn request_body_limit_rejects_or_inspects_a_part() {
    let s = start("body-limit");
    let big = format!("{}evil", "x".repeat(2000));
    assert_eq!(post(s.port, "/limited/", "small=1", &[]).status, 200);
    assert_eq!(
        post(
            s.port,
            "/limited/",
            &big,
            &["-H", "Content-Type: text/plain"]
        )
        .status,
        413
    );
    let log = s.nginx.error_log();
    assert!(
        log.contains("is larger than the configured limit (1000 bytes)"),
        "{log}"
    );
    // ProcessPartial: only the first 1000 bytes are inspected, the request goes on whole.
    let partial = post(
        s.port,
        "/partial/",
        &big,
        &["-H", "Content-Type: text/plain"],
    );
    assert_eq!(partial.status, 200);
    assert_eq!(body_in_echo(&partial.body).len(), 2004);
    assert_eq!(
        post(
            s.port,
            "/partial/",
            &format!("evil{big}"),
            &["-H", "Content-Type: text/plain"]
        )
        .status,
        403
    );
}

#[test]
fn without_body_access_phase_2_sees_no_body() {
    let s = start("body-off");
    assert_eq!(
        post(s.port, "/no-body-access/", "q=drop table", &[]).status,
        200
    );
    assert_eq!(post(s.port, "/", "q=drop table", &[]).status, 403);
}

#[test]
fn json_bodies_become_arguments_named_as_libmodsecurity_names_them() {
    let s = start("body-json");
    let json = ["-H", "Content-Type: application/json"];
    let denied = post(
        s.port,
        "/json/",
        r#"{"user":{"name":"x","roles":["admin","ops"]}}"#,
        &json,
    );
    assert_eq!(denied.status, 403);
    let lines = s.nginx.rule_log_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("against variable `ARGS:json.user.roles.array_0' (Value: `admin' )"),
        "{}",
        lines[0]
    );

    let ok = post(
        s.port,
        "/json/",
        r#"{"user":{"name":"x","roles":["ops","admin"]}}"#,
        &json,
    );
    assert_eq!(ok.status, 200);
    assert_eq!(
        body_in_echo(&ok.body),
        r#"{"user":{"name":"x","roles":["ops","admin"]}}"#
    );

    let broken = post(s.port, "/json/", r#"{"user": {"name": "x""#, &json);
    assert_eq!(broken.status, 400);
    let lines = s.nginx.rule_log_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[1].contains("[id \"200002\"]") && lines[1].contains("[data \"JSON parsing error: "),
        "{}",
        lines[1]
    );
}

#[test]
fn xml_bodies_give_their_text_and_attributes() {
    let s = start("body-xml");
    let xml = ["-H", "Content-Type: application/xml"];
    assert_eq!(
        post(
            s.port,
            "/xml/",
            "<q><w>1; drop</w><w> table x</w></q>",
            &xml
        )
        .status,
        403
    );
    assert_eq!(
        post(
            s.port,
            "/xml/",
            r#"<user role="admin"><name>x</name></user>"#,
            &xml
        )
        .status,
        403
    );
    // the raw body of an XML request is not REQUEST_BODY (rule 2002 looks for "evil" there)
    let ok = post(s.port, "/xml/", "<note>evil but in XML</note>", &xml);
    assert_eq!(ok.status, 200);
    assert_eq!(body_in_echo(&ok.body), "<note>evil but in XML</note>");
    assert_eq!(post(s.port, "/xml/", "<unclosed>", &xml).status, 400);
    let lines = s.nginx.rule_log_lines();
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l.split("[id \"").nth(1).unwrap().split('"').next().unwrap())
        .collect();
    assert_eq!(ids, vec!["2006", "2007", "200002"], "{lines:?}");
    assert!(
        lines[0].contains("against variable `XML:/*' (Value: `1; drop table x' )"),
        "{}",
        lines[0]
    );
    assert!(
        lines[2].contains("[data \"XML parsing error: "),
        "{}",
        lines[2]
    );
}

#[test]
fn multipart_uploads_are_inspected_and_malformed_ones_refused() {
    let s = start("body-multipart");
    let form = |name: &str, file: &str| {
        let field = format!("note=hello {name}");
        let upload = format!("upload=@{file};filename={name}");
        (field, upload)
    };
    let dir = std::env::temp_dir().join(format!("secrules-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small = dir.join("small.txt");
    std::fs::write(&small, "just text").unwrap();
    let big = dir.join("big.txt");
    std::fs::write(&big, "x".repeat(5000)).unwrap();
    let url = format!("http://127.0.0.1:{}/multipart/", s.port);
    let send = |name: &str, file: &std::path::Path| {
        let (field, upload) = form(name, &file.display().to_string());
        curl(&["-F", &field, "-F", &upload, &url]).status
    };
    assert_eq!(send("report.txt", &small), 200);
    assert_eq!(send("shell.php", &small), 403);
    assert_eq!(send("report.txt", &big), 413);
    // The form fields are arguments too (rule 2001 looks for "drop table" in ARGS_POST:q).
    assert_eq!(
        curl(&["--form-string", "q=1; drop table x", &url]).status,
        403
    );
    // No boundary: the body cannot be parsed, REQBODY_ERROR is set and rule 200002 refuses it.
    let broken = post(
        s.port,
        "/multipart/",
        "--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n",
        &["-H", "Content-Type: multipart/form-data"],
    );
    assert_eq!(broken.status, 400);
    let lines = s.nginx.rule_log_lines();
    let last = lines.last().unwrap();
    assert!(
        last.contains("[id \"200002\"]") && last.contains("Multipart"),
        "{last}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
