//! What ingress-nginx (v1.13-v1.15, rootfs/etc/nginx/template/nginx.tmpl) renders for an Ingress
//! with mTLS and ModSecurity annotations, run on the real nginx with secrules, both ways the README
//! describes:
//!
//! - drop-in: the module file is `etc/nginx/modules/ngx_http_modsecurity_module.so`, loaded by the
//!   template's own `load_module` line, and configured only by what the controller renders from
//!   the ConfigMap (`enable-modsecurity`) and the annotations (`enable-modsecurity`,
//!   `enable-owasp-core-rules`, `modsecurity-snippet`, `auth-tls-*`, `auth-url`,
//!   `configuration-snippet`);
//! - own directives: `load_module ngx_http_secrules_module.so` in the ConfigMap's `main-snippet`
//!   and `secrules*` lines in a `server-snippet`, ModSecurity left off.
//!
//! Both must pass the seed's checks: 400 without a certificate, 200 with the identity headers
//! (fingerprint included), 403 for a blocked client address behind the load balancer, 403 for
//! `user: admin`, and CRS v4 blocking an SQL injection.
//!
//! Left out of the template's output, because stock nginx lacks them: the lua directives
//! (`ssl_certificate_by_lua_file` becomes a static `ssl_certificate`, `balancer_by_lua` a plain
//! upstream), `more_set_headers`, `http2 on;` (nginx 1.25.1 and later only; HTTP/2 is tested in
//! tests/gateway.rs), and the controller's real paths (here under the test's prefix).

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{curl, free_port, EchoBackend, Nginx, Pki, Response};

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        Pki::generate(&std::env::temp_dir().join(format!("secrules-pki-{}", std::process::id())))
    })
}

/// The ConfigMap's `modsecurity-snippet`: the image's ModSecurity configuration, blocking on, and
/// a rule for every server. It lands inside `modsecurity_rules '...'` at http level, so it holds no
/// single quote (the controller does not escape them, for ModSecurity either).
fn configmap_snippet(etc: &str) -> String {
    format!(
        r#"Include {etc}/modsecurity/modsecurity.conf
SecRuleEngine On
SecRule REQUEST_HEADERS:user "@streq admin" "id:1002,phase:1,deny,status:403,log,msg:admin-user-blocked""#
    )
}

/// The Ingress's `modsecurity-snippet` annotation (in `modsecurity_rules '...'` in its location).
const INGRESS_SNIPPET: &str = r#"SecRule REMOTE_ADDR "@ipMatch 34.242.209.15" "id:1001,phase:1,deny,status:403,log,msg:blocked-ip""#;

#[derive(Clone, Copy, PartialEq)]
enum Way {
    DropIn,
    OwnDirectives,
}

struct Rendered {
    nginx: Nginx,
    _backend: EchoBackend,
    https: u16,
    status: u16,
}

/// The controller image's files under `prefix`: the module under the name the chosen way loads,
/// `/etc/nginx/modsecurity/modsecurity.conf` (the main directives of libmodsecurity v3.0.14's
/// recommended file, as the image edits it: `SecAuditLogType Concurrent`, a storage directory) and
/// `/etc/nginx/owasp-modsecurity-crs/nginx-modsecurity.conf` (one `Include` per CRS file, as the
/// image's build script writes it). Returns the module's path and the number of CRS includes.
fn install_image_files(prefix: &Path, way: Way) -> (PathBuf, usize) {
    let etc = prefix.join("etc/nginx");
    for dir in ["modules", "modsecurity", "owasp-modsecurity-crs"] {
        std::fs::create_dir_all(etc.join(dir)).unwrap();
    }
    std::fs::create_dir_all(prefix.join("var/log/audit")).unwrap();
    let module = etc.join("modules").join(match way {
        Way::DropIn => "ngx_http_modsecurity_module.so",
        Way::OwnDirectives => "ngx_http_secrules_module.so",
    });
    std::fs::copy(common::module_path(), &module).unwrap();

    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unicode.mapping"),
        etc.join("modsecurity/unicode.mapping"),
    )
    .unwrap();
    std::fs::write(
        etc.join("modsecurity/modsecurity.conf"),
        format!(
            r#"SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',severity:2"
SecPcreMatchLimit 1000
SecPcreMatchLimitRecursion 1000
SecRule TX:/^MSC_/ "!@streq 0" "id:200005,phase:2,t:none,deny,msg:'ModSecurity internal error flagged: %{{MATCHED_VAR_NAME}}'"
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html text/xml
SecResponseBodyLimit 524288
SecResponseBodyLimitAction ProcessPartial
SecTmpDir /tmp/
SecDataDir /tmp/
SecAuditEngine RelevantOnly
SecAuditLogRelevantStatus "^(?:5|4(?!04))"
SecAuditLogParts ABIJDEFHZ
SecAuditLogType Concurrent
SecAuditLog {log}
SecArgumentSeparator &
SecCookieFormat 0
SecUnicodeMapFile unicode.mapping 20127
SecStatusEngine Off
SecAuditLogStorageDir {audit}/
"#,
            log = prefix.join("var/log/modsec_audit.log").display(),
            audit = prefix.join("var/log/audit").display(),
        ),
    )
    .unwrap();

    let crs = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/crs/v4.28.0")
        .canonicalize()
        .expect("../shared/crs beside the project");
    let mut rules: Vec<PathBuf> = std::fs::read_dir(crs.join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            // the image renames the two exclusion examples into place; they hold only comments
            name.ends_with(".conf") || name.ends_with("-CRS.conf.example")
        })
        .collect();
    rules.sort();
    let mut includes = format!("Include {}\n", crs.join("crs-setup.conf.example").display());
    for rule in &rules {
        includes += &format!("Include {}\n", rule.display());
    }
    std::fs::write(
        etc.join("owasp-modsecurity-crs/nginx-modsecurity.conf"),
        includes,
    )
    .unwrap();
    (module, rules.len())
}

impl Rendered {
    fn start(name: &str, way: Way) -> Rendered {
        let pki = pki();
        let backend = EchoBackend::start();
        let (https, http, status) = (free_port(), free_port(), free_port());
        let prefix = common::nginx::temp_prefix(name);
        let (module, crs_files) = install_image_files(&prefix, way);
        // CRS v4.28.0 has 26 rule files plus the two exclusion examples.
        assert!(crs_files >= 28, "{crs_files} CRS files");
        let etc = prefix.join("etc/nginx");
        let etc = etc.display();
        let upstream = backend.port;
        let (ca, cert, key) = (
            pki.path("ca.crt"),
            pki.path("server.crt"),
            pki.path("server.key"),
        );
        let drop_in = way == Way::DropIn;

        // ConfigMap main-snippet (own directives) or the template's own load_module (drop-in).
        let load = format!("load_module {};", module.display());
        // ConfigMap enable-modsecurity: "true" (http block) and the modsecurity off; lines the
        // template adds to internal servers and locations when it is set.
        let http_modsecurity = if drop_in {
            format!(
                "modsecurity on;\n\n    modsecurity_rules '\n      {}\n    ';\n",
                configmap_snippet(&etc.to_string())
            )
        } else {
            String::new()
        };
        let internal_off = if drop_in { "modsecurity off;" } else { "" };
        // buildModSecurityForLocation with the ConfigMap on and the annotations
        // enable-modsecurity, enable-owasp-core-rules, modsecurity-snippet and
        // modsecurity-transaction-id.
        let location_modsecurity = if drop_in {
            format!(
                "modsecurity_rules '\n{INGRESS_SNIPPET}\n';\nmodsecurity_transaction_id \"$req_id\";\nmodsecurity_rules_file {etc}/owasp-modsecurity-crs/nginx-modsecurity.conf;\n"
            )
        } else {
            String::new()
        };
        // server-snippet annotation (own directives) / configuration-snippet (drop-in: the
        // identity headers, fingerprint included, which ingress-nginx does not forward itself).
        let server_snippet = if drop_in {
            String::new()
        } else {
            let rules: String = configmap_snippet(&etc.to_string())
                .lines()
                .skip(1) // the Include: the own-directives way does not enable ModSecurity's file
                .chain([INGRESS_SNIPPET])
                .map(|l| format!("        secrule '{l}';\n"))
                .collect();
            format!(
                "        secrules on;\n{rules}        secrules_file {etc}/owasp-modsecurity-crs/nginx-modsecurity.conf;\n        secrules_client_cert_headers on;\n"
            )
        };
        let configuration_snippet = if drop_in {
            "secrules_client_cert_headers on;"
        } else {
            ""
        };

        let conf = format!(
            r#"
# Configuration checksum: 0

# setup custom paths that do not require root access
pid logs/nginx.pid;

{load}

# (daemon off; is given on the command line by the test harness)
# (the controller runs nginx as www-data itself; the test harness is root)
user root;

worker_processes 1;

worker_rlimit_nofile 1024;

worker_shutdown_timeout 240s ;

error_log logs/error.log notice;

events {{
    multi_accept        on;
    worker_connections  256;
    use                 epoll;
}}

http {{
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;

    real_ip_header      X-Forwarded-For;

    real_ip_recursive   on;
    set_real_ip_from    127.0.0.1/32;

    {http_modsecurity}
    aio                 threads;

    tcp_nopush          on;
    tcp_nodelay         on;

    log_subrequest      on;

    reset_timedout_connection on;

    keepalive_timeout  75s;
    keepalive_requests 1000;

    client_body_buffer_size         8k;
    client_header_buffer_size       1k;
    large_client_header_buffers     4 8k;

    http2_max_concurrent_streams    128;

    types_hash_max_size             2048;
    server_names_hash_max_size      1024;
    server_names_hash_bucket_size   64;
    map_hash_bucket_size            64;

    underscores_in_headers          off;
    ignore_invalid_headers          on;

    # Reverse proxies can detect if a client provides a X-Request-ID header, and pass it on to the backend server.
    # If no such header is provided, it can provide a random value.
    map $http_x_request_id $req_id {{
        default   $http_x_request_id;
        ""        $request_id;
    }}

    # Create a variable that contains the literal $ character.
    # This works because the geo module will not resolve variables.
    geo $literal_dollar {{
        default "$";
    }}

    server_name_in_redirect off;
    port_in_redirect        off;

    ssl_protocols TLSv1.2 TLSv1.3;

    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 10m;

    upstream upstream_balancer {{
        server 127.0.0.1:{upstream}; # placeholder (balancer_by_lua in the controller)

        keepalive 320;
        keepalive_time 1h;
        keepalive_timeout  60s;
        keepalive_requests 10000;
    }}

    ## start server _
    server {{
        server_name _ ;

        listen 127.0.0.1:{http} default_server reuseport backlog=511 ;

        set $proxy_upstream_name "-";

        location / {{
            set $proxy_upstream_name "upstream-default-backend";
            proxy_pass http://upstream_balancer;
        }}
    }}
    ## end server _

    ## start server orders.clinic.example
    server {{
        server_name orders.clinic.example ;

        listen 127.0.0.1:{https} ssl;

        set $proxy_upstream_name "-";

        ssl_certificate {cert};
        ssl_certificate_key {key};

        # PEM sha: 0
        ssl_client_certificate                  {ca};
        ssl_verify_client                       on;
        ssl_verify_depth                        1;

        location = /_external-auth-Lw-Prefix {{
            internal;

            access_log off;

            # Ensure that modsecurity will not run on an internal location as this is not accessible from outside
            {internal_off}

            proxy_pass_request_body     off;
            proxy_set_header            Content-Length          "";
            proxy_set_header            X-Forwarded-Proto       "";
            proxy_set_header            X-Request-ID            $req_id;

            proxy_set_header            Host                    auth.clinic.example;
            proxy_set_header            X-Original-URL          $scheme://$http_host$request_uri;
            proxy_set_header            X-Original-Method       $request_method;
            proxy_set_header            X-Sent-From             "nginx-ingress-controller";
            proxy_set_header            X-Real-IP               $remote_addr;
            proxy_set_header            X-Forwarded-For         $remote_addr;

            proxy_http_version 1.1;
            proxy_ssl_server_name       on;
            proxy_pass_request_headers  on;

            client_max_body_size        1m;

            set $target http://127.0.0.1:{upstream}/auth;
            proxy_pass $target;
        }}

        location / {{

            set $namespace      "clinic";
            set $ingress_name   "orders";
            set $service_name   "orders";
            set $service_port   "8080";
            set $location_path  "/";

            set $pass_access_scheme  $scheme;

            set $pass_server_port    $server_port;

            set $best_http_host      $http_host;
            set $pass_port           $pass_server_port;

            set $proxy_alternative_upstream_name "";

            {location_modsecurity}

            # this location requires authentication
            auth_request        /_external-auth-Lw-Prefix;
            auth_request_set    $auth_cookie $upstream_http_set_cookie;

            port_in_redirect off;

            set $balancer_ewma_score -1;
            set $proxy_upstream_name "clinic-orders-8080";
            set $proxy_host          $proxy_upstream_name;

            client_max_body_size                    1m;

            proxy_set_header Host                   $best_http_host;

            # Pass the extracted client certificate to the backend
            proxy_set_header ssl-client-cert        $ssl_client_escaped_cert;
            proxy_set_header ssl-client-verify      $ssl_client_verify;
            proxy_set_header ssl-client-subject-dn  $ssl_client_s_dn;
            proxy_set_header ssl-client-issuer-dn   $ssl_client_i_dn;

            # Allow websocket connections
            proxy_set_header                        Upgrade           $http_upgrade;

            proxy_set_header X-Request-ID           $req_id;
            proxy_set_header X-Real-IP              $remote_addr;
            proxy_set_header X-Forwarded-For        $remote_addr;
            proxy_set_header X-Forwarded-Host       $best_http_host;
            proxy_set_header X-Forwarded-Port       $pass_port;
            proxy_set_header X-Forwarded-Proto      $pass_access_scheme;
            proxy_set_header X-Forwarded-Scheme     $pass_access_scheme;
            proxy_set_header X-Scheme               $pass_access_scheme;

            # Pass the original X-Forwarded-For
            proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;

            # mitigate HTTPoxy Vulnerability
            # https://www.nginx.com/blog/mitigating-the-httpoxy-vulnerability-with-nginx/
            proxy_set_header Proxy                  "";

            # Custom headers to proxied server

            proxy_connect_timeout                   5s;
            proxy_send_timeout                      60s;
            proxy_read_timeout                      60s;

            proxy_buffering                         off;
            proxy_buffer_size                       4k;
            proxy_buffers                           4 4k;

            proxy_max_temp_file_size                1024m;

            proxy_request_buffering                 on;
            proxy_http_version                      1.1;

            proxy_cookie_domain                     off;
            proxy_cookie_path                       off;

            # In case of errors try the next upstream server before returning an error
            proxy_next_upstream                     error timeout;
            proxy_next_upstream_timeout             0;
            proxy_next_upstream_tries               3;

            {configuration_snippet}

            proxy_pass http://upstream_balancer;

            proxy_redirect                          off;

        }}

        # Custom code snippet configured in the configuration configmap
{server_snippet}
    }}
    ## end server orders.clinic.example

    # backend for when default-backend-service is not configured or it does not have endpoints
    server {{
        listen 127.0.0.1:{status};
        set $proxy_upstream_name "internal";

        # Ensure that modsecurity will not run on an internal location as this is not accessible from outside
        {internal_off}

        keepalive_timeout 0;
        gzip off;

        access_log off;

        location /healthz {{
            return 200;
        }}

        location /nginx_status {{
            stub_status on;
        }}

        location / {{
            return 404;
        }}
    }}
}}
"#
        );
        std::fs::write(prefix.join("conf/nginx.conf"), conf).unwrap();
        let (ok, output) = common::nginx::test_config(&prefix);
        assert!(ok, "nginx -t failed:\n{output}");
        Rendered {
            nginx: Nginx::start(&prefix, &[https, http, status]),
            _backend: backend,
            https,
            status,
        }
    }

    fn get(&self, path: &str, client: Option<&str>, headers: &[&str]) -> Response {
        let pki = pki();
        let mut args = match client {
            Some(name) => pki.curl_client(name),
            None => pki.curl_anonymous(),
        };
        for header in headers {
            args.extend(["-H".to_string(), header.to_string()]);
        }
        args.push(format!("https://127.0.0.1:{}{path}", self.https));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        curl(&refs)
    }
}

/// The seed's checks on one rendered configuration.
fn seed_checks(way: Way, name: &str) {
    let r = Rendered::start(name, way);
    let pki = pki();

    // auth-tls-verify-client "on": no certificate, or one from another CA, is refused.
    assert_eq!(r.get("/", None, &[]).status, 400);
    assert_eq!(r.get("/", Some("rogue"), &[]).status, 400);

    // A verified client reaches the backend with its identity; a client's own identity headers
    // never do.
    let ok = r.get(
        "/",
        Some("general"),
        &["ssl-client-fingerprint: 0000000000000000000000000000000000000000"],
    );
    assert_eq!(ok.status, 200, "{}\n{}", ok.body, r.nginx.error_log());
    assert_eq!(
        ok.backend_headers("ssl-client-fingerprint"),
        vec![pki.fingerprint("general", "sha1")]
    );
    // ingress-nginx's own proxy_set_header lines win over the module's headers of the same
    // names (nginx's proxy module drops request headers it sets itself): one value each.
    assert_eq!(ok.backend_headers("ssl-client-verify"), vec!["SUCCESS"]);
    assert_eq!(
        ok.backend_headers("ssl-client-subject-dn"),
        vec![pki.dn("general", "-subject")]
    );
    let cert = ok
        .backend_header("ssl-client-cert")
        .expect("auth-tls-pass-certificate-to-upstream");
    assert!(cert.starts_with("-----BEGIN%20CERTIFICATE-----"), "{cert}");

    // Rules from the modsecurity-snippet (or the server-snippet): the client address behind the
    // load balancer, and the user header.
    let ip = r.get("/", Some("general"), &["X-Forwarded-For: 34.242.209.15"]);
    assert_eq!(ip.status, 403, "{}", r.nginx.error_log());
    assert_eq!(
        r.get("/", Some("general"), &["X-Forwarded-For: 34.242.209.16"])
            .status,
        200
    );
    assert_eq!(
        r.get(
            "/",
            Some("general"),
            &["user: admin", "X-Request-ID: ingress-tx-1"]
        )
        .status,
        403
    );
    assert_eq!(r.get("/", Some("general"), &["user: user"]).status, 200);

    // enable-owasp-core-rules: CRS v4 at paranoia level 1 blocks an SQL injection.
    let sqli = r.get("/?id=1%27%20OR%20%271%27%3D%271", Some("general"), &[]);
    assert_eq!(sqli.status, 403, "{}", r.nginx.error_log());
    let lines = r.nginx.rule_log_lines();
    // (at the template's default error-log-level, notice, only the blocking rule's line shows)
    assert!(
        lines.iter().any(|l| l.contains("[id \"949110\"]")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("[id \"1001\"]")),
        "{lines:#?}"
    );
    let admin = lines
        .iter()
        .find(|l| l.contains("[id \"1002\"]"))
        .expect("rule 1002 logged");
    if way == Way::DropIn {
        // modsecurity-transaction-id: "$req_id" (the client's X-Request-ID)
        assert!(admin.contains("[unique_id \"ingress-tx-1\"]"), "{admin}");
    }

    // The controller's status server: the ConfigMap's rules (user: admin) do not run there
    // (modsecurity off; with the drop-in; no http-level rules with own directives).
    let status = curl(&[
        "-H",
        "user: admin",
        &format!("http://127.0.0.1:{}/nginx_status", r.status),
    ]);
    assert_eq!(status.status, 200);
    assert!(
        status.body.starts_with("Active connections:"),
        "{}",
        status.body
    );
}

#[test]
fn drop_in_as_ngx_http_modsecurity_module_passes_the_seed_checks() {
    seed_checks(Way::DropIn, "ingress-dropin");
}

#[test]
fn own_directives_in_snippets_pass_the_seed_checks() {
    seed_checks(Way::OwnDirectives, "ingress-own");
}
