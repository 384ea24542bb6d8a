//! Directives, inheritance and configuration errors through the real nginx.

mod common;

use common::nginx::{temp_prefix, test_config, write_conf};
use common::{curl, free_port, EchoBackend, Nginx};

fn get(port: u16, path: &str, headers: &[&str]) -> u16 {
    let mut args: Vec<String> = Vec::new();
    for header in headers {
        args.extend(["-H".to_string(), header.to_string()]);
    }
    args.push(format!("http://127.0.0.1:{port}{path}"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(&refs).status
}

const ADMIN_RULE: &str = r#"SecRule REQUEST_HEADERS:user "@streq admin" "id:1002,phase:1,deny,status:403,log,msg:'admin user blocked'""#;

/// `rule` as the argument of an nginx directive in single quotes.
fn quoted(rule: &str) -> String {
    format!("'{}'", rule.replace('\'', "\\'"))
}

#[test]
fn children_inherit_and_override_including_off_under_on() {
    let port = free_port();
    let nginx = Nginx::with_http(
        "merge",
        &format!(
            r#"
    secrules on;
    secrule {admin};
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "root\n"; }}
        location /app/ {{ alias html/; }}
        location /off/ {{
            secrules off;
            alias html/;
            location /off/again/ {{ secrules on; alias html/; }}
        }}
        location /ms-off/ {{ modsecurity off; alias html/; }}
        location /extra/ {{
            secrule 'SecRule REQUEST_HEADERS:user "@streq guest" "id:1003,phase:1,deny,status:406"';
            alias html/;
        }}
        location /teapot/ {{
            secrule 'SecRule REQUEST_HEADERS:user "@streq admin" "id:1004,phase:1,deny,status:418"';
            alias html/;
        }}
        location /detect/ {{ secrule 'SecRuleEngine DetectionOnly'; alias html/; }}
    }}
"#,
            admin = quoted(ADMIN_RULE)
        ),
        &[port],
    );
    assert_eq!(get(port, "/app/index.html", &["user: admin"]), 403);
    assert_eq!(get(port, "/app/index.html", &["user: user"]), 200);
    assert_eq!(get(port, "/off/index.html", &["user: admin"]), 200);
    assert_eq!(get(port, "/off/again/index.html", &["user: admin"]), 403);
    assert_eq!(get(port, "/ms-off/index.html", &["user: admin"]), 200);
    // A location's own rules come after the inherited ones.
    assert_eq!(get(port, "/extra/index.html", &["user: guest"]), 406);
    assert_eq!(get(port, "/extra/index.html", &["user: admin"]), 403);
    assert_eq!(get(port, "/teapot/index.html", &["user: admin"]), 403);
    // A child switching the engine to DetectionOnly logs but lets the request through.
    assert_eq!(get(port, "/detect/index.html", &["user: admin"]), 200);
    let log = nginx.error_log();
    let warning = log
        .lines()
        .find(|l| l.contains("ModSecurity: Warning."))
        .expect("DetectionOnly logs the match");
    assert!(warning.contains("[id \"1002\"]"), "{warning}");
}

#[test]
fn modsecurity_nginx_directive_names_work_unchanged() {
    let port = free_port();
    let prefix = temp_prefix("modsec-names");
    std::fs::write(
        prefix.join("conf/modsecurity.conf"),
        format!("SecRuleEngine On\n# a comment\n{ADMIN_RULE}\n"),
    )
    .unwrap();
    write_conf(
        &prefix,
        &format!(
            r#"
    modsecurity on;
    modsecurity_rules_file modsecurity.conf;
    server {{
        listen 127.0.0.1:{port};
        modsecurity_transaction_id "tx-$connection-$connection_requests";
        location / {{ alias html/; }}
        location /inline/ {{
            modsecurity_rules '
                SecRule REQUEST_URI "@contains forbidden" "id:3001,phase:1,deny,status:403,msg:\'inline rule\'"
            ';
            alias html/;
        }}
    }}
"#
        ),
    );
    let (ok, output) = test_config(&prefix);
    assert!(ok, "{output}");
    let nginx = Nginx::start(&prefix, &[port]);
    assert_eq!(get(port, "/index.html", &["user: admin"]), 403);
    assert_eq!(get(port, "/index.html", &["user: user"]), 200);
    assert_eq!(get(port, "/inline/forbidden", &[]), 403);
    let lines = nginx.rule_log_lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    // relative rules file resolved against the conf prefix, and reported with its line
    let rules_file = prefix.join("conf/modsecurity.conf");
    assert!(
        lines[0].contains(&format!("[file \"{}\"] [line \"3\"]", rules_file.display())),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("[unique_id \"tx-"), "{}", lines[0]);
    assert!(
        lines[1].contains("[id \"3001\"]") && lines[1].contains("[msg \"inline rule\"]"),
        "{}",
        lines[1]
    );
    // the inline rule's file and line are nginx.conf's
    assert!(lines[1].contains("nginx.conf\"]"), "{}", lines[1]);
}

/// A configuration error case: rules text, the rules' file (None: inline in nginx.conf) and what
/// `nginx -t` must print.
struct BadConfig {
    name: &'static str,
    rules_file: Option<&'static str>,
    nginx_directive: &'static str,
    expected: &'static [&'static str],
}

#[test]
fn bad_rules_make_nginx_t_fail_with_file_line_and_reason() {
    let cases = [
        BadConfig {
            name: "unknown operator",
            rules_file: Some(
                "SecRuleEngine On\n\nSecRule ARGS \"@frobnicate x\" \"id:1,phase:1,deny\"\n",
            ),
            nginx_directive: "secrules_file rules.conf;",
            expected: &["rules.conf:3", "frobnicate"],
        },
        BadConfig {
            name: "unknown variable",
            rules_file: Some("SecRule NOT_A_VARIABLE \"@rx x\" \"id:1,phase:1,deny\"\n"),
            nginx_directive: "secrules_file rules.conf;",
            expected: &["rules.conf:1", "NOT_A_VARIABLE"],
        },
        BadConfig {
            name: "unknown action",
            rules_file: Some("# first\nSecRule ARGS \"@rx x\" \"id:1,phase:1,explode\"\n"),
            nginx_directive: "secrules_file rules.conf;",
            expected: &["rules.conf:2", "explode"],
        },
        BadConfig {
            name: "audit log sent over HTTPS",
            rules_file: Some(
                "SecAuditEngine On\nSecAuditLogType HTTPS\nSecAuditLog https://siem.example/\n",
            ),
            nginx_directive: "secrules_file rules.conf;",
            expected: &[
                "rules.conf:2",
                "SecAuditLogType HTTPS is not supported",
                "blocking",
            ],
        },
        BadConfig {
            name: "unknown directive",
            rules_file: Some("SecRuleEngine On\nSecFrobnicate On\n"),
            nginx_directive: "secrules_file rules.conf;",
            expected: &["rules.conf:2", "SecFrobnicate"],
        },
        BadConfig {
            name: "regex that does not compile",
            rules_file: Some("SecRule ARGS \"@rx (unclosed\" \"id:77,phase:1,deny\"\n"),
            nginx_directive: "secrules_file rules.conf;",
            expected: &["rules.conf:1", "77"],
        },
        BadConfig {
            name: "unterminated quote",
            rules_file: Some("SecRule ARGS \"@rx x\" \"id:1,phase:1,deny\n"),
            nginx_directive: "secrules_file rules.conf;",
            expected: &["rules.conf:1"],
        },
        BadConfig {
            name: "missing rules file",
            rules_file: None,
            nginx_directive: "secrules_file missing.conf;",
            expected: &["missing.conf", "not found", "nginx.conf:"],
        },
        BadConfig {
            name: "inline rule error",
            rules_file: None,
            nginx_directive: "secrule 'SecRule ARGS \"@rx x\" \"id:1,phase:1,nonsense:1\"';",
            expected: &["nginx.conf:", "nonsense"],
        },
        BadConfig {
            name: "bad ipMatch",
            rules_file: Some("SecRule REMOTE_ADDR \"@ipMatch 300.1.1.1\" \"id:5,phase:1,deny\"\n"),
            nginx_directive: "modsecurity_rules_file rules.conf;",
            expected: &["rules.conf:1", "300.1.1.1"],
        },
    ];
    let mut ran = 0;
    for case in &cases {
        let prefix = temp_prefix("bad-config");
        if let Some(text) = case.rules_file {
            std::fs::write(prefix.join("conf/rules.conf"), text).unwrap();
        }
        write_conf(
            &prefix,
            &format!(
                "server {{ listen 127.0.0.1:{}; secrules on; {} }}",
                free_port(),
                case.nginx_directive
            ),
        );
        let (ok, output) = test_config(&prefix);
        assert!(!ok, "{}: nginx -t passed:\n{output}", case.name);
        for expected in case.expected {
            assert!(
                output.contains(expected),
                "{}: expected {expected:?} in:\n{output}",
                case.name
            );
        }
        let _ = std::fs::remove_dir_all(&prefix);
        ran += 1;
    }
    assert_eq!(ran, 10);
}

#[test]
fn a_reload_with_bad_rules_keeps_the_old_rules_serving() {
    let port = free_port();
    let prefix = temp_prefix("reload");
    let rules = prefix.join("conf/rules.conf");
    std::fs::write(&rules, format!("{ADMIN_RULE}\n")).unwrap();
    write_conf(&prefix, &format!("server {{ listen 127.0.0.1:{port}; secrules on; secrules_file rules.conf; location / {{ alias html/; }} }}"));
    let mut nginx = Nginx::start(&prefix, &[port]);
    assert_eq!(get(port, "/index.html", &["user: admin"]), 403);

    std::fs::write(
        &rules,
        "SecRule REQUEST_HEADERS:user \"@streq admin\" \"id:1002,phase:1,deny,status:403,bogus\"\n",
    )
    .unwrap();
    // `nginx -s reload` parses the configuration first and refuses, naming the problem.
    let (ok, output) = nginx.signal("reload");
    assert!(!ok, "{output}");
    assert!(
        output.contains("rules.conf:1") && output.contains("bogus"),
        "{output}"
    );
    // A SIGHUP (systemctl reload) makes the master try, fail, and keep the old configuration.
    nginx.hup();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !nginx.error_log().contains("bogus") {
        assert!(
            std::time::Instant::now() < deadline,
            "reload error not logged:\n{}",
            nginx.error_log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(nginx.is_running());
    assert_eq!(get(port, "/index.html", &["user: admin"]), 403);
    assert_eq!(get(port, "/index.html", &["user: user"]), 200);

    // A good reload takes effect.
    std::fs::write(
        &rules,
        "SecRule REQUEST_HEADERS:user \"@streq user\" \"id:1005,phase:1,deny,status:403\"\n",
    )
    .unwrap();
    assert!(nginx.signal("reload").0);
    // Until the old worker has finished its graceful exit it may still take a connection.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while get(port, "/index.html", &["user: user"]) != 403
        || get(port, "/index.html", &["user: admin"]) != 200
    {
        assert!(
            std::time::Instant::now() < deadline,
            "new rules not in force:\n{}",
            nginx.error_log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn internal_redirects_and_subrequests_run_rules_once() {
    let port = free_port();
    let backend = EchoBackend::start();
    let nginx = Nginx::with_http(
        "once",
        &format!(
            r#"
    secrules on;
    secrule 'SecRule REQUEST_HEADERS:x-probe "@streq yes" "id:4001,phase:1,pass,log,msg:\'probe seen\'"';
    server {{
        listen 127.0.0.1:{port};
        location /redirect/ {{ try_files /nonexistent @named; }}
        location @named {{ proxy_pass http://127.0.0.1:{b}; }}
        location /missing/ {{ error_page 404 = /fallback/index.html; alias html/nothing/; }}
        location /fallback/ {{ alias html/; }}
        location /auth/ {{ auth_request /check; alias html/; }}
        location = /check {{ proxy_pass http://127.0.0.1:{b}; }}
    }}
"#,
            b = backend.port
        ),
        &[port],
    );
    let mut expected_lines = 0;
    for path in ["/redirect/x", "/missing/index.html", "/auth/index.html"] {
        assert_eq!(get(port, path, &["x-probe: yes"]), 200, "{path}");
        expected_lines += 1;
        let lines = nginx.rule_log_lines();
        assert_eq!(lines.len(), expected_lines, "{path}: {lines:?}");
        assert!(
            lines.last().unwrap().contains("ModSecurity: Warning.")
                && lines.last().unwrap().contains("[id \"4001\"]")
        );
    }
}

#[test]
fn backtracking_patterns_are_listed_at_load_and_drop_closes_the_connection() {
    let port = free_port();
    let nginx = Nginx::with_http(
        "backtracking",
        &format!(
            r#"
    secrules on;
    secrule 'SecRule ARGS "@rx <\?(?!xml)" "id:3001,phase:1,deny,status:403"';
    secrule 'SecRule REQUEST_HEADERS:user "@streq intruder" "id:3002,phase:1,drop"';
    server {{
        listen 127.0.0.1:{port};
        location / {{ alias html/; }}
    }}
"#
        ),
        &[port],
    );
    // At load time nginx 1.22 logs to stderr, as `nginx -t` shows; newer nginx already writes
    // to the configured error log while it reads the configuration.
    let (ok, output) = test_config(&nginx.prefix);
    assert!(ok, "{output}");
    let output = output + &nginx.error_log();
    let notice = output
        .lines()
        .find(|l| l.contains("backtracking regex engine"))
        .unwrap_or_else(|| panic!("no notice:\n{output}"));
    assert!(
        notice.contains("[notice]") && notice.contains("3001 ("),
        "{notice}"
    );
    assert_eq!(
        get(port, "/index.html?a=%3C%3Fphp", &[]),
        403,
        "{}",
        nginx.error_log()
    );
    assert_eq!(get(port, "/index.html?a=%3C%3Fxml", &[]), 200);
    // drop: no response at all (curl reports status 0, "empty reply").
    assert_eq!(get(port, "/index.html", &["user: intruder"]), 0);
    assert_eq!(get(port, "/index.html", &["user: friend"]), 200);
}
