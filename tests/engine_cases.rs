//! Whole-transaction cases run through the engine without nginx: rules + request -> status,
//! logged rule ids and log text. Each case is data; the test asserts how many ran.

use std::sync::Arc;

use secrules::compile::{RuleSource, Ruleset};
use secrules::engine::{LogLevel, RequestView, Transaction};
use secrules::mtls::{ClientCertificate, SubjectAltName};

/// A request as plain data.
struct Request {
    remote_addr: &'static str,
    method: &'static str,
    uri: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    verify: &'static str,
    certificate: Option<ClientCertificate>,
}

impl Request {
    fn get(uri: &'static str) -> Request {
        Request { remote_addr: "192.0.2.10", method: "GET", uri, headers: vec![("Host", "api.example")], verify: "", certificate: None }
    }
    fn header(mut self, name: &'static str, value: &'static str) -> Request {
        self.headers.push((name, value));
        self
    }
    fn from(mut self, addr: &'static str) -> Request {
        self.remote_addr = addr;
        self
    }
    fn with_certificate(mut self, subject: &str) -> Request {
        self.verify = "SUCCESS";
        self.certificate = Some(ClientCertificate {
            sha1_hex: "ab".repeat(20),
            sha256_hex: "cd".repeat(32),
            subject_dn: subject.to_string(),
            issuer_dn: "CN=Hospital Test CA,O=Hospital Network".into(),
            serial_hex: "1F".into(),
            subject_alt_names: vec![SubjectAltName::Dns("orders.general.example".into())],
        });
        self
    }
}

impl RequestView for Request {
    fn remote_addr(&self) -> &[u8] {
        self.remote_addr.as_bytes()
    }
    fn remote_port(&self) -> u16 {
        40000
    }
    fn method(&self) -> &[u8] {
        self.method.as_bytes()
    }
    fn uri(&self) -> &[u8] {
        self.uri.as_bytes()
    }
    fn query_string(&self) -> &[u8] {
        self.uri.split_once('?').map_or("", |(_, q)| q).as_bytes()
    }
    fn protocol(&self) -> &[u8] {
        b"HTTP/1.1"
    }
    fn request_line(&self) -> &[u8] {
        // leaked once per call site is fine in a test
        Box::leak(format!("{} {} HTTP/1.1", self.method, self.uri).into_boxed_str()).as_bytes()
    }
    fn for_each_header(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        for (name, value) in &self.headers {
            f(name.as_bytes(), value.as_bytes());
        }
    }
    fn path(&self) -> &[u8] {
        self.uri.split('?').next().unwrap().as_bytes()
    }
    fn hostname(&self) -> &[u8] {
        b"198.51.100.1"
    }
    fn server_port(&self) -> u16 {
        443
    }
    fn unique_id(&self) -> &[u8] {
        b"tx-1"
    }
    fn ssl_client_verify(&self) -> &[u8] {
        self.verify.as_bytes()
    }
    fn ssl_client_certificate(&self) -> Option<&ClientCertificate> {
        self.certificate.as_ref()
    }
}

struct Case {
    name: &'static str,
    rules: &'static str,
    request: Request,
    /// The status the transaction answers with (None: the request goes on).
    status: Option<u16>,
    /// Rule ids of the logged lines, in order.
    logged: &'static [u64],
    /// Text every logged line (if any) must contain.
    log_contains: &'static [&'static str],
}

fn run(case: &Case) -> (Option<u16>, Vec<u64>, Vec<(LogLevel, String)>) {
    let ruleset = Ruleset::load(&[RuleSource::Inline {
        text: case.rules.to_string(),
        origin: "/etc/nginx/waf.conf".into(),
        line: 1,
    }])
    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let mut transaction = Transaction::new(Arc::new(ruleset));
    let intervention = transaction.run_phase(1, &case.request).or_else(|| transaction.run_phase(2, &case.request));
    let log: Vec<(LogLevel, String)> = transaction.take_log().into_iter().map(|m| (m.level, m.text)).collect();
    let ids = log
        .iter()
        .map(|(_, text)| {
            let start = text.find("[id \"").expect("id in line") + 5;
            text[start..].split('"').next().unwrap().parse().unwrap()
        })
        .collect();
    (intervention.map(|i| i.status), ids, log)
}

const HOSPITAL: &str = r#"
SecRuleEngine On
SecRule REMOTE_ADDR "@ipMatch 34.242.209.15" "id:1001,phase:1,deny,status:403,log,msg:'blocked IP'"
SecRule REQUEST_HEADERS:user "@streq admin" "id:1002,phase:1,deny,status:403,log,msg:'admin user blocked'"
SecRule SSL_CLIENT_S_DN "!@rx (?:^|,)O=General Hospital(?:,|$)" "id:2001,phase:1,deny,status:403,msg:'certificate not issued to a known hospital'"
"#;

#[test]
fn transactions() {
    let cases = vec![
        Case {
            name: "blocked address",
            rules: HOSPITAL,
            request: Request::get("/").from("34.242.209.15").with_certificate("CN=a,O=General Hospital"),
            status: Some(403),
            logged: &[1001],
            log_contains: &[
                "ModSecurity: Access denied with code 403 (phase 1). Matched \"Operator `IpMatch' with parameter `34.242.209.15' against variable `REMOTE_ADDR' (Value: `34.242.209.15' ) [file \"/etc/nginx/waf.conf\"] [line \"3\"] [id \"1001\"] [rev \"\"] [msg \"blocked IP\"] [data \"\"] [severity \"0\"] [ver \"\"] [maturity \"0\"] [accuracy \"0\"] [hostname \"198.51.100.1\"] [uri \"/\"] [unique_id \"tx-1\"] [ref \"\"]",
            ],
        },
        Case {
            name: "admin header, any case of the name",
            rules: HOSPITAL,
            request: Request::get("/").header("USER", "admin").with_certificate("CN=a,O=General Hospital"),
            status: Some(403),
            logged: &[1002],
            log_contains: &["against variable `REQUEST_HEADERS:USER' (Value: `admin' )", "[msg \"admin user blocked\"]"],
        },
        Case {
            name: "user: user passes",
            rules: HOSPITAL,
            request: Request::get("/").header("user", "user").with_certificate("CN=a,OU=x,O=General Hospital,C=NL"),
            status: None,
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "another organisation's certificate",
            rules: HOSPITAL,
            request: Request::get("/").with_certificate("CN=a,O=General Hospitality"),
            status: Some(403),
            logged: &[2001],
            log_contains: &["Operator `Rx' with parameter `(?:^|,)O=General Hospital(?:,|$)' against variable `SSL_CLIENT_S_DN'"],
        },
        Case {
            name: "no verified certificate counts as not a hospital",
            rules: HOSPITAL,
            request: Request::get("/"),
            status: Some(403),
            logged: &[2001],
            log_contains: &[],
        },
        Case {
            name: "DetectionOnly logs a warning and lets the request through",
            rules: "SecRuleEngine DetectionOnly\nSecRule REQUEST_HEADERS:user \"@streq admin\" \"id:5,phase:1,deny\"",
            request: Request::get("/").header("user", "admin"),
            status: None,
            logged: &[5],
            log_contains: &["ModSecurity: Warning. Matched"],
        },
        Case {
            name: "engine off runs nothing",
            rules: "SecRuleEngine Off\nSecRule REQUEST_HEADERS:user \"@streq admin\" \"id:5,phase:1,deny\"",
            request: Request::get("/").header("user", "admin"),
            status: None,
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "nolog denies silently; status and phase 2",
            rules: "SecRule ARGS:q \"@contains drop\" \"id:6,phase:2,deny,status:406,nolog\"",
            request: Request::get("/search?q=a+drop+table"),
            status: Some(406),
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "urlDecodeUni and lowercase before the operator",
            rules: "SecRule ARGS \"@streq admin\" \"id:7,phase:1,deny,t:none,t:urlDecodeUni,t:lowercase\"",
            request: Request::get("/?u=%2541%u0044min"),
            status: Some(403),
            logged: &[7],
            log_contains: &["against variable `ARGS:u' (Value: `admin' )"],
        },
        Case {
            name: "chain needs every link",
            rules: "SecRule REQUEST_METHOD \"@streq GET\" \"id:8,phase:1,deny,chain\"\nSecRule REQUEST_URI \"@beginsWith /admin\" \"\"",
            request: Request::get("/public"),
            status: None,
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "chain matched, logged with the chain starter's id",
            rules: "SecRule REQUEST_METHOD \"@streq GET\" \"id:8,phase:1,deny,chain,msg:'admin area'\"\nSecRule REQUEST_URI \"@beginsWith /admin\" \"\"",
            request: Request::get("/admin/users"),
            status: Some(403),
            logged: &[8],
            log_contains: &["[msg \"admin area\"]", "against variable `REQUEST_URI'"],
        },
        Case {
            name: "pass rules log warnings and go on; setvar and macros",
            rules: "SecRule REQUEST_HEADERS:x-probe \"@rx ^(\\w+)$\" \"id:9,phase:1,pass,log,capture,setvar:tx.score=+5,msg:'probe %{TX.0}',logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"\n\
                    SecRule TX:score \"@ge 5\" \"id:10,phase:1,deny,status:429,msg:'score %{tx.score}'\"",
            request: Request::get("/").header("X-Probe", "hello"),
            status: Some(429),
            logged: &[9, 10],
            log_contains: &["[msg \""],
        },
        Case {
            name: "exclusions and counts",
            rules: "SecRule ARGS|!ARGS:token \"@contains '\" \"id:11,phase:1,deny\"\nSecRule &ARGS \"@gt 3\" \"id:12,phase:1,deny,status:413\"",
            request: Request::get("/?token=a'b&x=1&y=2&z=3"),
            status: Some(413),
            logged: &[12],
            log_contains: &["against variable `ARGS' (Value: `4' )"],
        },
        Case {
            name: "SSL_CLIENT_SAN by kind, fingerprint",
            rules: "SecRule SSL_CLIENT_SAN:dns \"@endsWith .general.example\" \"id:13,phase:1,pass,log\"\nSecRule SSL_CLIENT_FINGERPRINT \"@streq abababababababababababababababababababab\" \"id:14,phase:1,deny\"",
            request: Request::get("/").with_certificate("CN=x,O=General Hospital"),
            status: Some(403),
            logged: &[13, 14],
            log_contains: &[],
        },
        Case {
            name: "control bytes in values are escaped in the log",
            rules: "SecRule REQUEST_HEADERS:x-evil \"@contains bad\" \"id:15,phase:1,deny\"",
            request: Request::get("/").header("x-evil", "bad\n[id \"999\"]"),
            status: Some(403),
            logged: &[15],
            log_contains: &["(Value: `bad\\x0a[id \\x22999\\x22]' )"],
        },
        Case {
            name: "block takes the phase's SecDefaultAction, status included",
            rules: "SecDefaultAction \"phase:1,log,auditlog,deny,status:418\"\n\
                    SecRule REQUEST_HEADERS:user \"@streq admin\" \"id:20,phase:1,block\"",
            request: Request::get("/").header("user", "admin"),
            status: Some(418),
            logged: &[20],
            log_contains: &["Access denied with code 418 (phase 1)"],
        },
        Case {
            name: "block without a default action passes",
            rules: "SecRule REQUEST_HEADERS:user \"@streq admin\" \"id:21,phase:1,block\"",
            request: Request::get("/").header("user", "admin"),
            status: None,
            logged: &[21],
            log_contains: &["ModSecurity: Warning."],
        },
        Case {
            name: "SecDefaultAction nolog and transformations are inherited unless t:none",
            rules: "SecDefaultAction \"phase:1,nolog,pass,t:lowercase\"\n\
                    SecRule REQUEST_HEADERS:user \"@streq admin\" \"id:22,phase:1,deny\"\n\
                    SecRule REQUEST_HEADERS:x \"@streq ADMIN\" \"id:23,phase:1,deny,t:none,log\"",
            request: Request::get("/").header("user", "ADMIN"),
            status: Some(403),
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "skipAfter jumps past the marker in the same phase",
            rules: "SecRule REQUEST_METHOD \"@streq GET\" \"id:30,phase:1,pass,nolog,skipAfter:END_CHECKS\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:31,phase:1,deny\"\n\
                    SecMarker END_CHECKS\n\
                    SecRule REQUEST_URI \"@contains /x\" \"id:32,phase:1,deny,status:404\"",
            request: Request::get("/x"),
            status: Some(404),
            logged: &[32],
            log_contains: &[],
        },
        Case {
            name: "skip:1 skips the next rule",
            rules: "SecAction \"id:33,phase:1,pass,nolog,skip:1\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:34,phase:1,deny\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:35,phase:1,deny,status:409\"",
            request: Request::get("/"),
            status: Some(409),
            logged: &[35],
            log_contains: &[],
        },
        Case {
            name: "ctl:ruleRemoveById and ruleRemoveByTag at run time",
            rules: "SecRule REQUEST_HEADERS:x-test \"@rx .\" \"id:40,phase:1,pass,nolog,ctl:ruleRemoveById=41-42,ctl:ruleRemoveByTag=noisy\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:41,phase:1,deny\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:43,phase:1,deny,tag:'noisy'\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:44,phase:2,deny,status:410\"",
            request: Request::get("/").header("x-test", "1"),
            status: Some(410),
            logged: &[44],
            log_contains: &[],
        },
        Case {
            name: "ctl:ruleRemoveTargetById drops one argument from a rule",
            rules: "SecAction \"id:45,phase:1,pass,nolog,ctl:ruleRemoveTargetById=46;ARGS:password\"\n\
                    SecRule ARGS \"@contains '\" \"id:46,phase:1,deny\"",
            request: Request::get("/?password=a'b&user=ok"),
            status: None,
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "ctl:ruleEngine=DetectionOnly for this transaction",
            rules: "SecRule REQUEST_HEADERS:x-canary \"@streq 1\" \"id:47,phase:1,pass,nolog,ctl:ruleEngine=DetectionOnly\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:48,phase:1,deny\"",
            request: Request::get("/").header("x-canary", "1"),
            status: None,
            logged: &[48],
            log_contains: &["ModSecurity: Warning."],
        },
        Case {
            name: "macros in operator parameters (anomaly scoring)",
            rules: "SecAction \"id:50,phase:1,pass,nolog,setvar:tx.inbound_threshold=5\"\n\
                    SecRule ARGS \"@pm union select\" \"id:51,phase:1,pass,nolog,setvar:tx.score=+5\"\n\
                    SecRule TX:SCORE \"@ge %{tx.inbound_threshold}\" \"id:52,phase:1,deny,msg:'score %{tx.score}'\"",
            request: Request::get("/?q=1+UNION+all"),
            status: Some(403),
            logged: &[52],
            log_contains: &["Operator `Ge' with parameter `5' against variable `TX:score' (Value: `5' )", "[msg \"score 5\"]"],
        },
        Case {
            name: "multiMatch sees the value before the transformation",
            rules: "SecRule ARGS:a \"@streq %41\" \"id:53,phase:1,deny,t:urlDecode,multiMatch\"",
            request: Request::get("/?a=%2541"),
            status: Some(403),
            logged: &[53],
            log_contains: &[],
        },
        Case {
            name: "@within",
            rules: "SecRule REQUEST_METHOD \"!@within GET HEAD POST\" \"id:54,phase:1,deny,status:405\"",
            request: Request { method: "PUT", ..Request::get("/") },
            status: Some(405),
            logged: &[54],
            log_contains: &[],
        },
        Case {
            name: "SecRuleRemoveById (ranges), ByTag and ByMsg remove rules loaded before them",
            rules: "SecRule REQUEST_URI \"@contains /\" \"id:60,phase:1,deny\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:61,phase:1,deny\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:62,phase:1,deny,tag:'legacy'\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:63,phase:1,deny,msg:'old check'\"\n\
                    SecRuleRemoveById 60-61\n\
                    SecRuleRemoveByTag legacy\n\
                    SecRuleRemoveByMsg \"old check\"\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:64,phase:1,deny,status:402\"",
            request: Request::get("/"),
            status: Some(402),
            logged: &[64],
            log_contains: &[],
        },
        Case {
            name: "SecRuleUpdateTargetById excludes an argument; ByTag adds a target",
            rules: "SecRule ARGS \"@contains '\" \"id:65,phase:1,deny\"\n\
                    SecRule ARGS_GET:x \"@streq never\" \"id:66,phase:1,deny,status:406,tag:'extend'\"\n\
                    SecRuleUpdateTargetById 65 \"!ARGS:password\"\n\
                    SecRuleUpdateTargetByTag extend \"REQUEST_HEADERS:x-extra\"",
            request: Request::get("/?password=a'b").header("x-extra", "never"),
            status: Some(406),
            logged: &[66],
            log_contains: &["against variable `REQUEST_HEADERS:x-extra'"],
        },
        Case {
            name: "cookies, file name and base name, server variables",
            rules: "SecRule REQUEST_COOKIES:session \"@streq x=y\" \"id:70,phase:1,pass,log\"\n\
                    SecRule REQUEST_FILENAME \"@streq /a b/c.php\" \"id:71,phase:1,pass,log\"\n\
                    SecRule REQUEST_BASENAME \"@streq c.php\" \"id:72,phase:1,pass,log\"\n\
                    SecRule SERVER_NAME \"@streq api.example\" \"id:73,phase:1,pass,log\"\n\
                    SecRule SERVER_PORT \"@eq 443\" \"id:74,phase:1,pass,log\"\n\
                    SecRule &REQUEST_COOKIES_NAMES \"@eq 2\" \"id:75,phase:1,pass,log\"",
            request: Request::get("/a%20b/c.php?x=1").header("Cookie", "a=1; session=x=y"),
            status: None,
            logged: &[70, 71, 72, 73, 74, 75],
            log_contains: &[],
        },
        Case {
            name: "MATCHED_VARS in a chain holds every match of the previous link",
            rules: "SecRule ARGS \"@rx ^\\d+$\" \"id:76,phase:1,deny,chain\"\n\
                    SecRule MATCHED_VARS \"@streq 42\" \"\"",
            request: Request::get("/?a=7&b=x&c=42"),
            status: Some(403),
            logged: &[76],
            log_contains: &["against variable `MATCHED_VARS:ARGS:c' (Value: `42' )"],
        },
        Case {
            name: "ARGS_COMBINED_SIZE",
            rules: "SecRule ARGS_COMBINED_SIZE \"@gt 10\" \"id:77,phase:1,deny,status:414\"",
            request: Request::get("/?abc=defgh&ij=kl"),
            status: Some(414),
            logged: &[77],
            log_contains: &["(Value: `12' )"],
        },
    ];
    let mut ran = 0;
    for case in &cases {
        let (status, ids, log) = run(case);
        assert_eq!(status, case.status, "{}: {log:?}", case.name);
        assert_eq!(ids, case.logged, "{}: {log:?}", case.name);
        for (level, text) in &log {
            assert!(!text.contains('\n'), "{}: {text}", case.name);
            let expected_level = if status.is_some() && text.contains("Access denied") { LogLevel::Error } else { LogLevel::Info };
            assert_eq!(*level, expected_level, "{}: {text}", case.name);
            for expected in case.log_contains {
                if ids.len() == 1 {
                    assert!(text.contains(expected), "{}: expected {expected:?} in {text}", case.name);
                }
            }
        }
        ran += 1;
    }
    assert_eq!(ran, 31);
}

#[test]
fn persistent_collections_outlive_the_transaction() {
    let ruleset = Arc::new(
        Ruleset::load(&[RuleSource::Inline {
            text: "SecAction \"id:80,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},setvar:ip.hits=+1\"\n\
                   SecRule REQUEST_HEADERS:x-reset \"@streq 1\" \"id:82,phase:1,pass,nolog,setvar:!ip.hits\"\n\
                   SecRule IP:hits \"@ge 3\" \"id:81,phase:1,deny,status:429,setvar:ip.blocked=1,expirevar:ip.blocked=3600\""
                .into(),
            origin: "/etc/nginx/waf.conf".into(),
            line: 1,
        }])
        .unwrap(),
    );
    let status = |request: &Request| Transaction::new(Arc::clone(&ruleset)).run_phase(1, request).map(|i| i.status);
    let client = || Request::get("/").from("192.0.2.10");
    let statuses: Vec<Option<u16>> = (0..4).map(|_| status(&client())).collect();
    assert_eq!(statuses, vec![None, None, Some(429), Some(429)]);
    // another address has its own record
    assert_eq!(status(&Request::get("/").from("192.0.2.11")), None);
    // deleting the variable resets the count for that address
    assert_eq!(status(&client().header("x-reset", "1")), None);
    let statuses: Vec<Option<u16>> = (0..3).map(|_| status(&client())).collect();
    assert_eq!(statuses, vec![None, None, Some(429)]);
}

fn check(cases: &[Case]) -> usize {
    let mut ran = 0;
    for case in cases {
        let (status, ids, log) = run(case);
        assert_eq!(status, case.status, "{}: {log:?}", case.name);
        assert_eq!(ids, case.logged, "{}: {log:?}", case.name);
        for expected in case.log_contains {
            assert!(log.iter().any(|(_, text)| text.contains(expected)), "{}: expected {expected:?} in {log:?}", case.name);
        }
        ran += 1;
    }
    ran
}

#[test]
fn rule_language_as_crs_uses_it() {
    let cases = vec![
        Case {
            name: "SecRuleRemoveById before the rule it removes (libmodsecurity applies it anyway)",
            rules: "SecRuleRemoveById 12\nSecRule ARGS \"@contains x\" \"id:12,phase:1,deny\"\nSecRule ARGS \"@contains x\" \"id:13,phase:1,deny\"",
            request: Request::get("/?a=x"),
            status: Some(403),
            logged: &[13],
            log_contains: &[],
        },
        Case {
            name: "SecRuleUpdateActionById turns a deny into a logged pass with a new msg",
            rules: "SecRule ARGS \"@contains x\" \"id:20,phase:1,deny,msg:'old'\"\nSecRuleUpdateActionById 20 \"pass,msg:'new %{MATCHED_VAR}'\"",
            request: Request::get("/?a=x1"),
            status: None,
            logged: &[20],
            log_contains: &["[msg \"new x1\"]"],
        },
        Case {
            name: "SecRuleUpdateActionById with t:none replaces the transformations",
            rules: "SecRule ARGS \"@streq ABC\" \"id:21,phase:1,deny,t:lowercase\"\nSecRuleUpdateActionById 21 \"t:none\"",
            request: Request::get("/?a=ABC"),
            status: Some(403),
            logged: &[21],
            log_contains: &[],
        },
        Case {
            name: "%{rule.msg} and %{rule.id} in setvar (CRS 3.3.4's reputation rules)",
            rules: "SecAction \"id:30,phase:1,pass,nolog,msg:'remember me',setvar:tx.reason=%{rule.msg}/%{rule.id}\"\nSecRule TX:reason \"@streq remember me/30\" \"id:31,phase:1,deny\"",
            request: Request::get("/"),
            status: Some(403),
            logged: &[31],
            log_contains: &[],
        },
        Case {
            name: "drop stops the transaction like deny",
            rules: "SecRule REQUEST_HEADERS:user \"@streq admin\" \"id:40,phase:1,drop,msg:'dropped'\"",
            request: Request::get("/").header("user", "admin"),
            status: Some(403),
            logged: &[40],
            log_contains: &["[msg \"dropped\"]"],
        },
        Case {
            name: "ctl:auditLogParts is accepted and changes nothing",
            rules: "SecRule ARGS \"@contains x\" \"id:50,phase:1,pass,nolog,ctl:auditLogParts=+E\"\nSecRule ARGS \"@contains x\" \"id:51,phase:1,deny\"",
            request: Request::get("/?a=x"),
            status: Some(403),
            logged: &[51],
            log_contains: &[],
        },
        Case {
            name: "response variables are empty before the response (phase 1)",
            rules: "SecRule &RESPONSE_HEADERS \"@eq 0\" \"id:60,phase:1,deny\"",
            request: Request::get("/"),
            status: Some(403),
            logged: &[60],
            log_contains: &[],
        },
        Case {
            name: "@geoLookup without a database never matches",
            rules: "SecRule REMOTE_ADDR \"@geoLookup\" \"id:70,phase:1,deny\"\nSecRule &GEO \"@eq 0\" \"id:71,phase:1,deny\"",
            request: Request::get("/"),
            status: Some(403),
            logged: &[71],
            log_contains: &[],
        },
        Case {
            name: "PCRE leniency: a literal { and an escaped < in a class",
            rules: "SecRule ARGS \"@rx ^\\(\\s*\\)\\s+{\" \"id:80,phase:1,deny\"\nSecRule ARGS \"@rx [\\<]x\" \"id:81,phase:1,deny\"",
            request: Request::get("/?a=()%20%7B"),
            status: Some(403),
            logged: &[80],
            log_contains: &[],
        },
        Case {
            name: "a lookahead runs on the backtracking engine",
            rules: "SecRule ARGS \"@rx <\\?(?!xml)\" \"id:90,phase:1,deny\"",
            request: Request::get("/?a=%3C%3Fphp"),
            status: Some(403),
            logged: &[90],
            log_contains: &[],
        },
        Case {
            name: "the lookahead lets what it excludes pass",
            rules: "SecRule ARGS \"@rx <\\?(?!xml)\" \"id:91,phase:1,deny\"",
            request: Request::get("/?a=%3C%3Fxml"),
            status: None,
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "a key regex selects case-insensitively, as libmodsecurity",
            rules: "SecRule ARGS:/^user/ \"@streq admin\" \"id:92,phase:1,deny\"",
            request: Request::get("/?USERNAME=admin"),
            status: Some(403),
            logged: &[92],
            log_contains: &[],
        },
    ];
    assert_eq!(check(&cases), 12);
}

#[test]
fn response_phases_see_the_response() {
    let rules = "SecRule RESPONSE_STATUS \"@streq 500\" \"id:1,phase:3,deny,status:502\"\n\
                 SecRule RESPONSE_HEADERS:Content-Type \"@contains json\" \"id:2,phase:3,pass,log\"\n\
                 SecRule RESPONSE_BODY \"@contains SQL syntax\" \"id:3,phase:4,deny\"";
    let load = || Arc::new(Ruleset::load(&[RuleSource::Inline { text: rules.into(), origin: "t".into(), line: 1 }]).unwrap());
    let request = Request::get("/");

    let mut transaction = Transaction::new(load());
    transaction.set_response_headers(500, b"HTTP/1.1", vec![(b"Content-Type".to_vec(), b"text/html".to_vec())]);
    assert_eq!(transaction.run_phase(3, &request).map(|i| i.status), Some(502));

    let mut transaction = Transaction::new(load());
    transaction.set_response_headers(200, b"HTTP/1.1", vec![(b"content-type".to_vec(), b"application/json".to_vec())]);
    assert_eq!(transaction.run_phase(3, &request), None);
    assert_eq!(transaction.take_log().len(), 1);
    transaction.set_response_body(b"You have an error in your SQL syntax near".to_vec());
    assert_eq!(transaction.run_phase(4, &request).map(|i| i.status), Some(403));
}

#[test]
fn unicode_map_file_decides_what_url_decode_uni_makes_of_percent_u() {
    let dir = std::env::temp_dir().join(format!("secrules-unicode-map-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crs/test-config/unicode.mapping");
    std::fs::copy(&mapping, dir.join("unicode.mapping")).unwrap();
    // %u00c0 is À: code page 20127 maps it to A; without a map urlDecodeUni keeps the low byte.
    let rule = "SecRule ARGS \"@streq A\" \"id:1,phase:1,deny,t:none,t:urlDecodeUni\"";
    std::fs::write(dir.join("with-map.conf"), format!("SecUnicodeMapFile unicode.mapping 20127\n{rule}\n")).unwrap();
    std::fs::write(dir.join("without-map.conf"), format!("{rule}\n")).unwrap();
    let request = Request::get("/?a=%25u00c0");
    let status = |file: &str| {
        let ruleset = Ruleset::load(&[RuleSource::File(dir.join(file))]).unwrap();
        Transaction::new(Arc::new(ruleset)).run_phase(1, &request).map(|i| i.status)
    };
    assert_eq!(status("with-map.conf"), Some(403));
    assert_eq!(status("without-map.conf"), None);
    std::fs::write(dir.join("bad.conf"), "SecUnicodeMapFile missing.mapping 20127\n").unwrap();
    let error = Ruleset::load(&[RuleSource::File(dir.join("bad.conf"))]).unwrap_err();
    assert!(error.to_string().contains("bad.conf:1: SecUnicodeMapFile: cannot read"), "{error}");
    let _ = std::fs::remove_dir_all(&dir);
}
