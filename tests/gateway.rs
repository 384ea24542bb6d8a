//! The hospital gateway through the real nginx: mTLS client identity forwarded (and never
//! forgeable), rules on the client address, headers and certificate, and reliable blocking.

mod common;

use std::sync::OnceLock;

use common::{curl, free_port, EchoBackend, Nginx, Pki, Response};

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        Pki::generate(&std::env::temp_dir().join(format!("secrules-pki-{}", std::process::id())))
    })
}

const RULES: &str = r#"
        secrule 'SecRuleEngine On';
        secrule 'SecRule REMOTE_ADDR "@ipMatch 34.242.209.15" "id:1001,phase:1,deny,status:403,log,msg:\'blocked IP\'"';
        secrule 'SecRule REQUEST_HEADERS:user "@streq admin" "id:1002,phase:1,deny,status:403,log,msg:\'admin user blocked\'"';
"#;

/// Ports of the gateway's servers.
struct Gateway {
    nginx: Nginx,
    _backend: EchoBackend,
    /// `ssl_verify_client on`
    mtls: u16,
    /// `ssl_verify_client optional_no_ca`
    no_ca: u16,
    /// `ssl_verify_client optional`
    optional: u16,
    /// plain HTTP
    plain: u16,
}

impl Gateway {
    fn start(name: &str) -> Gateway {
        let pki = pki();
        let backend = EchoBackend::start();
        let (mtls, no_ca, optional, plain) = (free_port(), free_port(), free_port(), free_port());
        let upstream = format!("http://127.0.0.1:{}", backend.port);
        // What nginx itself knows, forwarded under other names so tests can compare.
        let nginx_view = r#"
            proxy_set_header x-nginx-fingerprint $ssl_client_fingerprint;
            proxy_set_header x-nginx-verify $ssl_client_verify;
            proxy_set_header x-nginx-s-dn $ssl_client_s_dn;
            proxy_set_header x-nginx-i-dn $ssl_client_i_dn;
"#;
        // proxy_set_header of the identity names, as an operator might write them.
        let psh = format!(
            r#"
        location /psh-client-var/ {{
            proxy_pass {upstream};
            proxy_set_header ssl-client-verify $http_ssl_client_verify;
            proxy_set_header ssl-client-fingerprint $http_ssl_client_fingerprint;
        }}
        location /psh-empty/ {{ proxy_pass {upstream}; proxy_set_header ssl-client-fingerprint ""; }}
        location /psh-nginx-var/ {{
            proxy_pass {upstream};
            proxy_set_header ssl-client-fingerprint $ssl_client_fingerprint;
            proxy_set_header ssl-client-verify $ssl_client_verify;
        }}
"#
        );
        let tls = format!(
            "ssl_certificate {}; ssl_certificate_key {};",
            pki.path("server.crt"),
            pki.path("server.key")
        );
        let http = format!(
            r#"
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    secrules on;
    secrules_client_cert_headers on;
    underscores_in_headers on;
{RULES}
    server {{
        listen 127.0.0.1:{mtls} ssl http2;
        {tls}
        ssl_client_certificate {ca};
        ssl_verify_client on;
        location / {{ proxy_pass {upstream}; {nginx_view} }}
        location /hospital-only/ {{
            secrule 'SecRule SSL_CLIENT_S_DN "!@rx (?:^|,)O=General Hospital(?:,|$)" "id:2001,phase:1,deny,status:403,msg:\'certificate not issued to a known hospital\'"';
            proxy_pass {upstream};
        }}
        location /sha256/ {{
            secrules_client_cert_fingerprint sha256;
            secrules_client_cert_xfcc on;
            proxy_pass {upstream};
        }}
        location /no-waf/ {{ secrules off; proxy_pass {upstream}; {nginx_view} }}
        location /no-identity/ {{ secrules_client_cert_headers off; proxy_pass {upstream}; }}
        location /satisfy-any/ {{ satisfy any; allow all; proxy_pass {upstream}; }}
        location /static/ {{ alias html/; }}
        location /redirect-to-identity/ {{ secrules_client_cert_headers off; try_files /nonexistent @with-identity; }}
        location @with-identity {{ proxy_pass {upstream}; }}
{psh}
    }}
    server {{
        listen 127.0.0.1:{no_ca} ssl http2;
        {tls}
        ssl_verify_client optional_no_ca;
        location / {{ proxy_pass {upstream}; {nginx_view} }}
    }}
    server {{
        listen 127.0.0.1:{optional} ssl http2;
        {tls}
        ssl_client_certificate {ca};
        ssl_verify_client optional;
        location / {{ proxy_pass {upstream}; {nginx_view} }}
    }}
    server {{
        listen 127.0.0.1:{plain};
        location / {{ proxy_pass {upstream}; {nginx_view} }}
{psh}
    }}
"#,
            ca = pki.path("ca.crt"),
        );
        let nginx = Nginx::with_http(name, &http, &[mtls, no_ca, optional, plain]);
        Gateway {
            nginx,
            _backend: backend,
            mtls,
            no_ca,
            optional,
            plain,
        }
    }

    fn get(&self, port: u16, path: &str, client: Option<&str>, headers: &[&str]) -> Response {
        let pki = pki();
        let scheme = if port == self.plain { "http" } else { "https" };
        let mut args: Vec<String> = match client {
            Some(name) if scheme == "https" => pki.curl_client(name),
            _ => pki.curl_anonymous(),
        };
        for header in headers {
            args.push("-H".into());
            args.push(header.to_string());
        }
        args.push(format!("{scheme}://127.0.0.1:{port}{path}"));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        curl(&refs)
    }
}

const SPOOFS: &[&str] = &[
    "ssl-client-fingerprint: 0000000000000000000000000000000000000000",
    "SSL-Client-Verify: SUCCESS",
    "ssl-client-subject-dn: CN=admin,O=General Hospital",
    "Ssl-Client-Issuer-Dn: CN=Hospital Test CA,O=Hospital Network",
    "ssl_client_fingerprint: 1111111111111111111111111111111111111111",
    "x-forwarded-client-cert: Hash=abc;Subject=\"CN=admin\"",
];

/// No header the client sent under an identity name reached the backend.
fn assert_no_spoof_reached(response: &Response) {
    let echoed = common::backend::headers_in_echo(&response.body);
    for (name, value) in &echoed {
        assert!(
            !value.contains("0000000000")
                && !value.contains("1111111111")
                && !value.contains("CN=admin"),
            "spoofed value reached the backend: {name}: {value}\n{}",
            response.body
        );
        assert!(
            !name.eq_ignore_ascii_case("ssl_client_fingerprint"),
            "underscore spoof reached backend"
        );
    }
}

#[test]
fn a_client_without_certificate_gets_400() {
    let gw = Gateway::start("no-cert");
    assert_eq!(gw.get(gw.mtls, "/", None, &[]).status, 400);
}

#[test]
fn an_untrusted_certificate_gets_400() {
    let gw = Gateway::start("rogue");
    assert_eq!(gw.get(gw.mtls, "/", Some("rogue"), &[]).status, 400);
}

#[test]
fn a_verified_client_reaches_the_backend_with_its_identity() {
    let gw = Gateway::start("identity");
    let pki = pki();
    let response = gw.get(gw.mtls, "/", Some("general"), &[]);
    assert_eq!(response.status, 200, "{}", gw.nginx.error_log());
    let fingerprint = response
        .backend_header("ssl-client-fingerprint")
        .expect("fingerprint forwarded");
    assert_eq!(fingerprint, pki.fingerprint("general", "sha1"));
    assert_eq!(fingerprint.len(), 40);
    assert_eq!(
        Some(fingerprint),
        response.backend_header("x-nginx-fingerprint")
    );
    assert_eq!(
        response.backend_header("ssl-client-verify").as_deref(),
        Some("SUCCESS")
    );
    let subject = response.backend_header("ssl-client-subject-dn").unwrap();
    assert_eq!(subject, pki.dn("general", "-subject"));
    assert_eq!(subject, "CN=svc-orders,OU=Orders,O=General Hospital,C=NL");
    assert_eq!(Some(subject), response.backend_header("x-nginx-s-dn"));
    let issuer = response.backend_header("ssl-client-issuer-dn").unwrap();
    assert_eq!(issuer, pki.dn("general", "-issuer"));
    assert_eq!(Some(issuer), response.backend_header("x-nginx-i-dn"));
}

#[test]
fn spoofed_identity_headers_never_reach_the_backend() {
    let gw = Gateway::start("spoof");
    let pki = pki();

    // Verified client: its real identity replaces the forged one, once.
    let verified = gw.get(gw.mtls, "/", Some("other"), SPOOFS);
    assert_eq!(verified.status, 200);
    assert_no_spoof_reached(&verified);
    assert_eq!(
        verified.backend_headers("ssl-client-fingerprint"),
        vec![pki.fingerprint("other", "sha1")]
    );
    assert_eq!(
        verified.backend_headers("ssl-client-verify"),
        vec!["SUCCESS".to_string()]
    );
    assert_eq!(
        verified.backend_headers("ssl-client-subject-dn"),
        vec![pki.dn("other", "-subject")]
    );

    // Plain HTTP: nothing to forward but the fact that there is no certificate.
    let plain = gw.get(gw.plain, "/", None, SPOOFS);
    assert_eq!(plain.status, 200);
    assert_no_spoof_reached(&plain);
    assert_eq!(
        plain.backend_headers("ssl-client-verify"),
        vec!["NONE".to_string()]
    );
    assert!(plain.backend_header("ssl-client-fingerprint").is_none());

    // TLS without a client certificate.
    let anonymous = gw.get(gw.optional, "/", None, SPOOFS);
    assert_eq!(anonymous.status, 200);
    assert_no_spoof_reached(&anonymous);
    assert_eq!(
        anonymous.backend_headers("ssl-client-verify"),
        vec!["NONE".to_string()]
    );
    assert!(anonymous.backend_header("ssl-client-fingerprint").is_none());

    // optional_no_ca lets an unverified certificate through: its identity is not forwarded.
    let unverified = gw.get(gw.no_ca, "/", Some("rogue"), SPOOFS);
    assert_eq!(unverified.status, 200);
    assert_no_spoof_reached(&unverified);
    let nginx_verify = unverified.backend_header("x-nginx-verify").unwrap();
    assert!(nginx_verify.starts_with("FAILED:"), "{nginx_verify}");
    assert_eq!(
        unverified.backend_headers("ssl-client-verify"),
        vec![nginx_verify]
    );
    assert!(unverified
        .backend_header("ssl-client-fingerprint")
        .is_none());
    assert!(unverified.backend_header("ssl-client-subject-dn").is_none());

    // The WAF being off for a location does not turn the identity protection off.
    let no_waf = gw.get(gw.mtls, "/no-waf/", Some("other"), SPOOFS);
    assert_eq!(no_waf.status, 200);
    assert_no_spoof_reached(&no_waf);
    assert_eq!(
        no_waf.backend_headers("ssl-client-fingerprint"),
        vec![pki.fingerprint("other", "sha1")]
    );
}

#[test]
fn a_redirect_into_a_location_with_identity_forwarding_still_strips_spoofs() {
    let gw = Gateway::start("redirect-identity");
    let response = gw.get(gw.mtls, "/redirect-to-identity/", Some("general"), SPOOFS);
    assert_eq!(response.status, 200, "{}", gw.nginx.error_log());
    assert_no_spoof_reached(&response);
    assert_eq!(
        response.backend_headers("ssl-client-fingerprint"),
        vec![pki().fingerprint("general", "sha1")]
    );
}

#[test]
fn http2_requests_get_the_same_identity_and_rules() {
    let gw = Gateway::start("http2");
    let pki = pki();
    let mut args = pki.curl_client("general");
    args.push("--http2".into());
    for header in SPOOFS {
        args.extend(["-H".to_string(), header.to_string()]);
    }
    args.push(format!("https://127.0.0.1:{}/", gw.mtls));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let response = curl(&refs);
    assert_eq!(response.status, 200, "{}", response.body);
    // nginx writes the access log line after the response has left, so curl can be faster than it.
    let access_log = wait_for_access_log_line(&gw);
    assert!(
        access_log
            .lines()
            .last()
            .unwrap_or_default()
            .contains("\"GET / HTTP/2.0\""),
        "not HTTP/2: {access_log}"
    );
    assert_no_spoof_reached(&response);
    assert_eq!(
        response.backend_headers("ssl-client-fingerprint"),
        vec![pki.fingerprint("general", "sha1")]
    );
    assert_eq!(
        response.backend_headers("ssl-client-verify"),
        vec!["SUCCESS".to_string()]
    );

    let mut denied = pki.curl_client("general");
    denied.extend([
        "--http2".into(),
        "-H".into(),
        "user: admin".into(),
        format!("https://127.0.0.1:{}/", gw.mtls),
    ]);
    let refs: Vec<&str> = denied.iter().map(String::as_str).collect();
    assert_eq!(curl(&refs).status, 403);
}

#[test]
fn sha256_fingerprint_and_envoy_xfcc_are_options() {
    let gw = Gateway::start("xfcc");
    let pki = pki();
    let response = gw.get(gw.mtls, "/sha256/", Some("general"), SPOOFS);
    assert_eq!(response.status, 200);
    assert_no_spoof_reached(&response);
    let sha256 = pki.fingerprint("general", "sha256");
    assert_eq!(
        response.backend_headers("ssl-client-fingerprint"),
        vec![sha256.clone()]
    );
    let xfcc = response.backend_headers("x-forwarded-client-cert");
    assert_eq!(
        xfcc,
        vec![format!(
            "Hash={sha256};Subject=\"{}\";URI=spiffe://general.example/orders;DNS=orders.general.example",
            pki.dn("general", "-subject")
        )]
    );
}

#[test]
fn identity_headers_can_be_switched_off_per_location() {
    let gw = Gateway::start("identity-off");
    let response = gw.get(
        gw.mtls,
        "/no-identity/",
        Some("general"),
        &["ssl-client-fingerprint: 00"],
    );
    assert_eq!(response.status, 200);
    // Off means the module leaves the request alone, as without the module.
    assert_eq!(
        response.backend_headers("ssl-client-fingerprint"),
        vec!["00".to_string()]
    );
    assert!(response.backend_header("ssl-client-verify").is_none());
}

#[test]
fn a_blocked_address_behind_the_load_balancer_gets_403() {
    let gw = Gateway::start("ipmatch");
    let blocked = gw.get(
        gw.mtls,
        "/",
        Some("general"),
        &["X-Forwarded-For: 34.242.209.15"],
    );
    assert_eq!(blocked.status, 403);
    let lines = gw.nginx.rule_log_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert!(line.contains("[error]"), "{line}");
    assert!(line.contains("ModSecurity: Access denied with code 403 (phase 1). Matched \"Operator `IpMatch' with parameter `34.242.209.15' against variable `REMOTE_ADDR' (Value: `34.242.209.15' )"), "{line}");
    assert!(
        line.contains("[id \"1001\"]") && line.contains("[msg \"blocked IP\"]"),
        "{line}"
    );
    assert!(
        line.contains("[file \"") && line.contains("nginx.conf\"] [line \""),
        "{line}"
    );

    let other = gw.get(
        gw.mtls,
        "/",
        Some("general"),
        &["X-Forwarded-For: 34.242.209.16"],
    );
    assert_eq!(other.status, 200);
    assert_eq!(gw.nginx.rule_log_lines().len(), 1);
}

#[test]
fn the_user_header_rule_blocks_admin_only() {
    let gw = Gateway::start("user");
    assert_eq!(
        gw.get(gw.mtls, "/", Some("general"), &["user: admin"])
            .status,
        403
    );
    assert_eq!(
        gw.get(gw.mtls, "/", Some("general"), &["USER: admin"])
            .status,
        403
    );
    assert_eq!(
        gw.get(gw.mtls, "/", Some("general"), &["user: user"])
            .status,
        200
    );
    assert_eq!(gw.get(gw.mtls, "/", Some("general"), &[]).status, 200);
    assert_eq!(gw.get(gw.plain, "/", None, &["user: admin"]).status, 403);
    let lines = gw.nginx.rule_log_lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines
        .iter()
        .all(|l| l.contains("[id \"1002\"]") && l.contains("[msg \"admin user blocked\"]")));
    // The location that turns the WAF off lets it through.
    assert_eq!(
        gw.get(gw.mtls, "/no-waf/", Some("general"), &["user: admin"])
            .status,
        200
    );
}

#[test]
fn rules_check_which_hospital_a_certificate_was_issued_to() {
    let gw = Gateway::start("hospital");
    assert_eq!(
        gw.get(gw.mtls, "/hospital-only/", Some("general"), &[])
            .status,
        200
    );
    assert_eq!(
        gw.get(gw.mtls, "/hospital-only/", Some("other"), &[])
            .status,
        403
    );
    let lines = gw.nginx.rule_log_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("[id \"2001\"]")
            && lines[0].contains("certificate not issued to a known hospital")
    );
    // The location's rule comes on top of the inherited ones.
    assert_eq!(
        gw.get(
            gw.mtls,
            "/hospital-only/",
            Some("general"),
            &["user: admin"]
        )
        .status,
        403
    );
}

#[test]
fn satisfy_any_with_allow_all_cannot_bypass_a_deny() {
    let gw = Gateway::start("satisfy");
    assert_eq!(
        gw.get(gw.mtls, "/satisfy-any/", Some("general"), &["user: admin"])
            .status,
        403
    );
    assert_eq!(
        gw.get(gw.mtls, "/satisfy-any/", Some("general"), &["user: user"])
            .status,
        200
    );
}

#[test]
fn static_content_is_protected_too() {
    let gw = Gateway::start("static");
    assert_eq!(
        gw.get(
            gw.mtls,
            "/static/index.html",
            Some("general"),
            &["user: admin"]
        )
        .status,
        403
    );
    let ok = gw.get(gw.mtls, "/static/index.html", Some("general"), &[]);
    assert_eq!((ok.status, ok.body.trim()), (200, "static ok"));
}

fn wait_for_access_log_line(gw: &Gateway) -> String {
    let path = gw.nginx.prefix.join("logs/access.log");
    for _ in 0..50 {
        let log = std::fs::read_to_string(&path).unwrap_or_default();
        if !log.trim().is_empty() {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::fs::read_to_string(&path).unwrap_or_default()
}

/// Spoofs in every spelling nginx accepts: repeated, in odd letter case, with `_` for `-`, mixed
/// with real headers, over HTTP/1.1 and HTTP/2 (where curl sends the names lowercase, as h2
/// requires, and nginx keeps repeated fields as separate headers).
const REPEATED_SPOOFS: &[&str] = &[
    "ssl-client-verify: SUCCESS",
    "SSL-CLIENT-VERIFY: SUCCESS",
    "sSl-ClIeNt-VeRiFy: SUCCESS",
    "ssl_client_verify: SUCCESS",
    "Ssl-Client-Fingerprint: 0000000000000000000000000000000000000000",
    "X-Other: keep-me",
    "ssl-client-fingerprint: 1111111111111111111111111111111111111111",
    "SSL_CLIENT_FINGERPRINT: 1111111111111111111111111111111111111111",
    "ssl-client-subject-dn: CN=admin,O=General Hospital",
    "SSL-Client-Subject-DN: CN=admin,O=General Hospital",
    "ssl-client-issuer-dn: CN=admin",
    "X-Forwarded-Client-Cert: Hash=abc;Subject=\"CN=admin\"",
    "x-forwarded-client-cert: Hash=def",
];

#[test]
fn repeated_and_odd_case_spoofs_over_http1_and_http2_are_all_removed() {
    let gw = Gateway::start("spoof-repeated");
    let pki = pki();
    let mut ran = 0;
    for http in ["--http1.1", "--http2"] {
        for (port, client) in [
            (gw.mtls, Some("general")),
            (gw.optional, None),
            (gw.no_ca, Some("rogue")),
        ] {
            let mut args = match client {
                Some(name) => pki.curl_client(name),
                None => pki.curl_anonymous(),
            };
            args.push(http.into());
            for header in REPEATED_SPOOFS {
                args.extend(["-H".to_string(), header.to_string()]);
            }
            args.push(format!("https://127.0.0.1:{port}/"));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let response = curl(&refs);
            let case = format!("{http} port {port} client {client:?}");
            assert_eq!(response.status, 200, "{case}: {}", response.body);
            assert_no_spoof_reached(&response);
            let verify = response.backend_headers("ssl-client-verify");
            assert_eq!(verify.len(), 1, "{case}: {verify:?}");
            assert_eq!(
                verify,
                vec![response
                    .backend_header("x-nginx-verify")
                    .unwrap_or_else(|| "SUCCESS".into())],
                "{case}"
            );
            let fingerprints = response.backend_headers("ssl-client-fingerprint");
            match client {
                Some("general") => assert_eq!(
                    fingerprints,
                    vec![pki.fingerprint("general", "sha1")],
                    "{case}"
                ),
                _ => assert!(fingerprints.is_empty(), "{case}: {fingerprints:?}"),
            }
            assert!(
                response
                    .backend_headers("x-forwarded-client-cert")
                    .is_empty(),
                "{case}"
            );
            assert_eq!(
                response.backend_headers("x-other"),
                vec!["keep-me".to_string()],
                "{case}"
            );
            for name in ["ssl_client_verify", "ssl_client_fingerprint"] {
                assert!(
                    response.backend_header(name).is_none(),
                    "{case}: {name} reached the backend"
                );
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 6);
}

/// proxy_set_header runs after the module, on what the module left: `$http_ssl_client_*` reads
/// the module's value (the client's copies are gone), `""` removes the header, and nginx's own
/// `$ssl_client_*` variables give the same as the module (`$ssl_client_verify` is `NONE` without
/// TLS too, but an empty `$ssl_client_fingerprint` drops the header).
#[test]
fn proxy_set_header_with_identity_names_sees_only_the_modules_values() {
    let gw = Gateway::start("spoof-proxy-set-header");
    let pki = pki();
    let spoofs = [
        "ssl-client-verify: SUCCESS",
        "ssl-client-fingerprint: 0000000000000000000000000000000000000000",
    ];
    // Plain HTTP: no certificate at all.
    let echoed = gw.get(gw.plain, "/psh-client-var/", None, &spoofs);
    assert_eq!(echoed.status, 200);
    assert_no_spoof_reached(&echoed);
    assert_eq!(
        echoed.backend_headers("ssl-client-verify"),
        vec!["NONE".to_string()]
    );
    assert!(echoed.backend_headers("ssl-client-fingerprint").is_empty());
    let emptied = gw.get(gw.plain, "/psh-empty/", None, &spoofs);
    assert_no_spoof_reached(&emptied);
    assert!(emptied.backend_headers("ssl-client-fingerprint").is_empty());
    let nginx_var = gw.get(gw.plain, "/psh-nginx-var/", None, &spoofs);
    assert_no_spoof_reached(&nginx_var);
    assert!(nginx_var
        .backend_headers("ssl-client-fingerprint")
        .is_empty());
    // A verified client: the same real identity through every spelling.
    let real = pki.fingerprint("general", "sha1");
    for path in ["/psh-client-var/", "/psh-nginx-var/"] {
        let response = gw.get(gw.mtls, path, Some("general"), &spoofs);
        assert_eq!(response.status, 200, "{path}");
        assert_no_spoof_reached(&response);
        assert_eq!(
            response.backend_headers("ssl-client-fingerprint"),
            vec![real.clone()],
            "{path}"
        );
        assert_eq!(
            response.backend_headers("ssl-client-verify"),
            vec!["SUCCESS".to_string()],
            "{path}"
        );
    }
    let emptied = gw.get(gw.mtls, "/psh-empty/", Some("general"), &spoofs);
    assert!(emptied.backend_headers("ssl-client-fingerprint").is_empty());
    assert_eq!(
        emptied.backend_headers("ssl-client-verify"),
        vec!["SUCCESS".to_string()]
    );
}
