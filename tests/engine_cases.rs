//! Whole-transaction cases run through the engine without nginx: rules + request -> status,
//! logged rule ids and log text. Each case is data; the test asserts how many ran.

mod common;

use std::sync::Arc;

use common::request::Request;
use secrules::compile::{RuleSource, Ruleset};
use secrules::engine::{LogLevel, Transaction};
use secrules::mtls::{ClientCertificate, SubjectAltName};

/// The cases' requests: a client at 192.0.2.10 asking api.example, served on 198.51.100.1:443.
impl Request {
    fn to_api(method: &'static str, uri: &str) -> Request {
        let mut request = Request::new(method, uri).header("Host", "api.example");
        request.remote_addr = "192.0.2.10".into();
        request.hostname = "198.51.100.1".into();
        request.server_port = 443;
        request.unique_id = "tx-1".into();
        request
    }
    fn get(uri: &str) -> Request {
        Request::to_api("GET", uri)
    }
    /// A POST with this Content-Type and body.
    fn post(uri: &str, content_type: &str, body: &[u8]) -> Request {
        let mut request = Request::to_api("POST", uri).header("Content-Type", content_type);
        request.body = body.to_vec();
        request
    }
    /// A multipart POST whose body's `\n` become `\r\n`, as go-ftw sends CRS's test bodies.
    fn multipart(boundary: &str, body: &str) -> Request {
        Request::post(
            "/upload",
            &format!("multipart/form-data; boundary={boundary}"),
            body.replace('\n', "\r\n").as_bytes(),
        )
    }
    fn from(mut self, addr: &str) -> Request {
        self.remote_addr = addr.into();
        self
    }
    fn with_certificate(mut self, subject: &str) -> Request {
        self.verify = "SUCCESS".into();
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
    let request = &case.request;
    let intervention = transaction.run_phase(1, request).or_else(|| {
        if !request.body.is_empty() {
            let content_type = request.content_type();
            if let Some(refused) =
                transaction.set_request_body(request.body.clone(), content_type.as_bytes())
            {
                return Some(refused);
            }
        }
        transaction.run_phase(2, request)
    });
    let log: Vec<(LogLevel, String)> = transaction
        .take_log()
        .into_iter()
        .map(|m| (m.level, m.text))
        .collect();
    let ids = log
        .iter()
        .map(|(_, text)| {
            // lines of the engine itself (a body over a limit) have no rule id: 0
            text.find("[id \"").map_or(0, |at| {
                text[at + 5..].split('"').next().unwrap().parse().unwrap()
            })
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

/// Two fields (one on two lines) and a file, as a browser sends them (with `\r\n` once sent).
const MULTIPART_FORM: &str = "--XyZ\n\
Content-Disposition: form-data; name=\"user\"\n\
\n\
admin\n\
--XyZ\n\
Content-Disposition: form-data; name=\"note\"\n\
Content-Type: text/plain\n\
\n\
line 1\n\
line 2\n\
--XyZ\n\
Content-Disposition: form-data; name=\"upload\"; filename=\"a.php\"\n\
\n\
<?php system($cmd);\n\
--XyZ--\n";

/// CRS v4.28.0's multipart rules (922110-922150, 920120; actions cut down) behind the body checks of
/// CRS's CI configuration (200002-200004), in DetectionOnly as there.
const CRS_MULTIPART: &str = r#"
SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}'"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation'"
SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "id:200004,phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'"
SecRule &MULTIPART_PART_HEADERS "@gt 0" "id:922140,phase:2,pass,t:none,nolog,setvar:'tx.multipart_headers_content_counter=0'"
SecRule MULTIPART_PART_HEADERS "@rx ^content-type\s*:\s*(.*)$" "id:922150,phase:2,pass,capture,t:none,t:lowercase,nolog,setvar:'tx.multipart_headers_content_types_%{tx.multipart_headers_content_counter}=%{tx.1}',setvar:'tx.multipart_headers_content_counter=+1'"
SecRule TX:/MULTIPART_HEADERS_CONTENT_TYPES_*/ "!@rx ^(?:(?:\*|[^!\"\(\),/:-\?\[-\]\{\}]+)/(?:\*|[^!\"\(\),/:-\?\[-\]\{\}]+)|\*)(?:[\s\x0b]*;[\s\x0b]*(?:charset[\s\x0b]*=[\s\x0b]*\"?(?:iso-8859-15?|utf-8|windows-1252)\b\"?|(?:[^\s\x0b-\"\(\),/:-\?\[-\]c\{\}]|c(?:[^!\"\(\),/:-\?\[-\]h\{\}]|h(?:[^!\"\(\),/:-\?\[-\]a\{\}]|a(?:[^!\"\(\),/:-\?\[-\]r\{\}]|r(?:[^!\"\(\),/:-\?\[-\]s\{\}]|s(?:[^!\"\(\),/:-\?\[-\]e\{\}]|e[^!\"\(\),/:-\?\[-\]t\{\}]))))))[^!\"\(\),/:-\?\[-\]\{\}]*[\s\x0b]*=[\s\x0b]*[^!\(\),/:-\?\[-\]\{\}]+);?)*(?:[\s\x0b]*,[\s\x0b]*(?:(?:\*|[^!\"\(\),/:-\?\[-\]\{\}]+)/(?:\*|[^!\"\(\),/:-\?\[-\]\{\}]+)|\*)(?:[\s\x0b]*;[\s\x0b]*(?:charset[\s\x0b]*=[\s\x0b]*\"?(?:iso-8859-15?|utf-8|windows-1252)\b\"?|(?:[^\s\x0b-\"\(\),/:-\?\[-\]c\{\}]|c(?:[^!\"\(\),/:-\?\[-\]h\{\}]|h(?:[^!\"\(\),/:-\?\[-\]a\{\}]|a(?:[^!\"\(\),/:-\?\[-\]r\{\}]|r(?:[^!\"\(\),/:-\?\[-\]s\{\}]|s(?:[^!\"\(\),/:-\?\[-\]e\{\}]|e[^!\"\(\),/:-\?\[-\]t\{\}]))))))[^!\"\(\),/:-\?\[-\]\{\}]*[\s\x0b]*=[\s\x0b]*[^!\(\),/:-\?\[-\]\{\}]+);?)*)*$" "id:922110,phase:2,block,capture,t:none,t:lowercase,msg:'Illegal MIME Multipart Header content-type: charset parameter',logdata:'Matched Data: %{MATCHED_VAR} found within Content-Type multipart form'"
SecRule MULTIPART_PART_HEADERS "@rx content-transfer-encoding:(.*)" "id:922120,phase:2,block,capture,t:none,t:lowercase,msg:'Content-Transfer-Encoding was deprecated by rfc7578 in 2015 and should not be used'"
SecRule MULTIPART_PART_HEADERS "@rx [^\x21-\x7E][\x21-\x39\x3B-\x7E]*:" "id:922130,phase:2,block,capture,t:none,t:lowercase,msg:'Multipart header contains characters outside of valid range'"
SecRule FILES|FILES_NAMES "!@rx (?i)^(?:&(?:(?:[acegilnorsuz]acut|[aeiou]grav|[aino]tild)e|[c-elnr-tz]caron|(?:[cgklnr-t]cedi|[aeiouy]um)l|[aceg-josuwy]circ|[au]ring|a(?:mp|pos)|nbsp|oslash);|[^\"';=\x5c])*$" "id:920120,phase:2,block,t:none,t:urlDecodeUni,msg:'Attempted multipart/form-data bypass',logdata:'%{MATCHED_VAR}'"
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
                "ModSecurity: Access denied with code 403 (phase 1). Matched \"Operator `IpMatch' with parameter `34.242.209.15' against variable `REMOTE_ADDR' (Value: `34.242.209.15' ) [file \"/etc/nginx/waf.conf\"] [line \"3\"] [id \"1001\"] [rev \"\"] [msg \"blocked IP\"] [data \"\"] [severity \"0\"] [ver \"\"] [maturity \"0\"] [accuracy \"0\"] [hostname \"198.51.100.1\"] [uri \"/\"] [unique_id \"tx-1\"] [ref \"v0,13\"]",
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
            request: Request::to_api("PUT", "/"),
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
        Case {
            name: "multipart: fields are ARGS_POST and ARGS, file parts are not",
            rules: "SecRequestBodyAccess On\n\
                    SecRule ARGS_POST:user \"@streq admin\" \"id:300,phase:2,pass,log\"\n\
                    SecRule ARGS:note \"@rx ^line 1\\r\\nline 2$\" \"id:301,phase:2,pass,log\"\n\
                    SecRule &ARGS_POST \"@eq 2\" \"id:302,phase:2,pass,log\"\n\
                    SecRule ARGS_NAMES \"@streq upload\" \"id:303,phase:2,pass,log\"\n\
                    SecRule REQBODY_PROCESSOR \"@streq MULTIPART\" \"id:304,phase:2,pass,log\"\n\
                    SecRule REQBODY_ERROR \"@eq 0\" \"id:305,phase:2,pass,log\"\n\
                    SecRule MULTIPART_STRICT_ERROR \"@eq 0\" \"id:306,phase:2,pass,log\"",
            request: Request::multipart("XyZ", MULTIPART_FORM),
            status: None,
            logged: &[300, 301, 302, 304, 305, 306],
            log_contains: &[],
        },
        Case {
            name: "multipart: FILES, FILES_NAMES, FILES_SIZES, FILES_COMBINED_SIZE, FILES_TMP_CONTENT",
            rules: "SecRequestBodyAccess On\n\
                    SecRule FILES:upload \"@streq a.php\" \"id:310,phase:2,pass,log\"\n\
                    SecRule FILES_NAMES \"@streq upload\" \"id:311,phase:2,pass,log\"\n\
                    SecRule FILES_SIZES:upload \"@eq 19\" \"id:312,phase:2,pass,log\"\n\
                    SecRule FILES_COMBINED_SIZE \"@eq 19\" \"id:313,phase:2,pass,log\"\n\
                    SecRule FILES_TMP_CONTENT:upload \"@beginsWith <?php\" \"id:314,phase:2,pass,log\"\n\
                    SecRule &FILES_TMPNAMES \"@eq 0\" \"id:315,phase:2,pass,log\"\n\
                    SecRule MULTIPART_FILENAME \"@streq a.php\" \"id:316,phase:2,pass,log\"\n\
                    SecRule &MULTIPART_NAME \"@eq 3\" \"id:317,phase:2,deny,status:418\"",
            request: Request::multipart("XyZ", MULTIPART_FORM),
            status: Some(418),
            logged: &[310, 311, 312, 313, 314, 315, 316, 317],
            log_contains: &[],
        },
        Case {
            name: "multipart: MULTIPART_PART_HEADERS lines have no CRLF (libmodsecurity 3.0.10)",
            rules: "SecRequestBodyAccess On\n\
                    SecRule &MULTIPART_PART_HEADERS:note \"@eq 2\" \"id:320,phase:2,pass,log\"\n\
                    SecRule MULTIPART_PART_HEADERS \"@rx ^content-type: text/plain$\" \"id:321,phase:2,deny,t:lowercase\"",
            request: Request::multipart("XyZ", MULTIPART_FORM),
            status: Some(403),
            logged: &[320, 321],
            log_contains: &["against variable `MULTIPART_PART_HEADERS:note' (Value: `content-type: text/plain' )"],
        },
        Case {
            name: "multipart: data before the first boundary is a strict error",
            rules: CRS_MULTIPART,
            request: Request::multipart("XyZ", &format!("preamble\n{MULTIPART_FORM}")),
            status: None,
            logged: &[200003],
            log_contains: &[],
        },
        Case {
            name: "multipart: LF-only lines are a strict error",
            rules: "SecRequestBodyAccess On\n\
                    SecRule MULTIPART_LF_LINE \"@eq 1\" \"id:330,phase:2,pass,log\"\n\
                    SecRule MULTIPART_CRLF_LF_LINES \"@eq 0\" \"id:331,phase:2,pass,log\"\n\
                    SecRule MULTIPART_STRICT_ERROR \"!@eq 0\" \"id:200003,phase:2,deny,status:400\"",
            request: Request::post("/", "multipart/form-data; boundary=XyZ", MULTIPART_FORM.as_bytes()),
            status: Some(400),
            logged: &[330, 331, 200003],
            log_contains: &[],
        },
        Case {
            name: "multipart: a name in single quotes is invalid quoting",
            rules: "SecRequestBodyAccess On\n\
                    SecRule MULTIPART_INVALID_QUOTING \"@eq 1\" \"id:332,phase:2,pass,log\"\n\
                    SecRule ARGS_POST:a \"@streq v\" \"id:333,phase:2,pass,log\"\n\
                    SecRule MULTIPART_STRICT_ERROR \"!@eq 0\" \"id:200003,phase:2,deny,status:400\"",
            request: Request::multipart("XyZ", "--XyZ\nContent-Disposition: form-data; name='a'\n\nv\n--XyZ--\n"),
            status: Some(400),
            logged: &[332, 333, 200003],
            log_contains: &[],
        },
        Case {
            name: "multipart: no boundary in the Content-Type is a body error",
            rules: CRS_MULTIPART,
            request: Request::post("/", "multipart/form-data", b"--XyZ\r\n"),
            status: None,
            logged: &[200002, 200003],
            log_contains: &[],
        },
        Case {
            name: "multipart: REQBODY_ERROR_MSG says why",
            rules: "SecRequestBodyAccess On\n\
                    SecRule REQBODY_ERROR \"!@eq 0\" \"id:200002,phase:2,deny,status:400,logdata:'%{reqbody_error_msg}'\"",
            request: Request::post("/", "multipart/form-data; charset=utf-8", b"--XyZ\r\n"),
            status: Some(400),
            logged: &[200002],
            log_contains: &["[data \"Multipart parsing error: Multipart: Boundary not found in C-T.\"]"],
        },
        Case {
            name: "multipart: ctl:requestBodyProcessor=MULTIPART on another Content-Type",
            rules: "SecRequestBodyAccess On\n\
                    SecRule REQUEST_HEADERS:Content-Type \"@beginsWith text/\" \"id:340,phase:1,pass,nolog,ctl:requestBodyProcessor=MULTIPART\"\n\
                    SecRule REQBODY_ERROR \"!@eq 0\" \"id:341,phase:2,deny,status:400,logdata:'%{reqbody_error_msg}'\"",
            request: Request::post("/", "text/plain", b"--XyZ\r\n"),
            status: Some(400),
            logged: &[341],
            log_contains: &["[data \"Multipart parsing error: Multipart: Invalid MIME type.\"]"],
        },
        Case {
            name: "multipart: SecRequestBodyNoFilesLimit does not count files",
            rules: "SecRequestBodyAccess On\n\
                    SecRuleEngine On\nSecRequestBodyNoFilesLimit 300\n\
                    SecRule FILES_SIZES:f \"@eq 1000\" \"id:350,phase:2,deny,status:409\"",
            request: Request::multipart("XyZ", &format!("--XyZ\nContent-Disposition: form-data; name=f; filename=a.bin\n\n{}\n--XyZ--\n", "x".repeat(1000))),
            status: Some(409),
            logged: &[350],
            log_contains: &[],
        },
        Case {
            name: "multipart: form fields over SecRequestBodyNoFilesLimit are refused",
            rules: "SecRequestBodyAccess On\n\
                    SecRuleEngine On\nSecRequestBodyNoFilesLimit 300\n\
                    SecRule REQUEST_URI \"@contains /\" \"id:351,phase:2,deny,status:409\"",
            request: Request::multipart("XyZ", &format!("--XyZ\nContent-Disposition: form-data; name=f\n\n{}\n--XyZ--\n", "x".repeat(1000))),
            status: Some(413),
            logged: &[0],
            log_contains: &["Request body no files data length (1042 bytes) is larger than the configured limit (300 bytes)."],
        },
        Case {
            name: "CRS 922110-1: a part with charset=utf-7",
            rules: CRS_MULTIPART,
            request: Request::multipart("----WebKitFormBoundary", "------WebKitFormBoundary\nContent-Disposition: form-data; name=\"username\"\nContent-Type: text/plain; charset=utf-7\n\n+ADw-img+ACA-src+AD0-x+AD4-\n------WebKitFormBoundary--\n"),
            status: None,
            logged: &[922110],
            log_contains: &["[data \"Matched Data: text/plain; charset=utf-7 found within Content-Type multipart form\"]"],
        },
        Case {
            name: "CRS 922110-2: utf-7 first, utf-8 last",
            rules: CRS_MULTIPART,
            request: Request::multipart("----WebKitFormBoundary", "------WebKitFormBoundary\nContent-Disposition: form-data; name=\"username\"\nContent-Type: text/plain; charset=utf-7\n\n+ADw-img+ACA-src+AD0-x+AD4-\n------WebKitFormBoundary\nContent-Disposition: form-data; name=\"dummy\"\nContent-Type: text/plain; charset=utf-8\n\ntest\n------WebKitFormBoundary--\n"),
            status: None,
            logged: &[922110],
            log_contains: &[],
        },
        Case {
            name: "CRS 922110-5: utf-8 parts pass (the 3.0.9 trailing CRLF made them fail)",
            rules: CRS_MULTIPART,
            request: Request::multipart("----WebKitFormBoundary", "------WebKitFormBoundary\nContent-Disposition: form-data; name=\"field1\"\nContent-Type: text/plain; charset=utf-8\n\nvalue1\n------WebKitFormBoundary\nContent-Disposition: form-data; name=\"field2\"\nContent-Type: text/plain; charset=utf-8\n\nvalue2\n------WebKitFormBoundary--\n"),
            status: None,
            logged: &[],
            log_contains: &[],
        },
        Case {
            name: "CRS 922100-1's body: the _charset_ part is in MULTIPART_PART_HEADERS and ARGS",
            rules: "SecRequestBodyAccess On\n\
                    SecRule &MULTIPART_PART_HEADERS:_charset_ \"!@eq 0\" \"id:922100,phase:2,pass,log,logdata:'Matched Data: %{ARGS._charset_}'\"",
            request: Request::multipart("boundary", "--boundary\nContent-disposition: form-data; name=\"_charset_\"\n\nutf-7\n--boundary\nContent-disposition: form-data; name=\"positive\"\nContent-Type: text/plain\n\nLet me see if I can use utf-7.\n--boundary--\n"),
            status: None,
            logged: &[922100],
            log_contains: &["[data \"Matched Data: utf-7\"]"],
        },
        Case {
            name: "CRS 922120-1: Content-Transfer-Encoding (and charset=utf-7)",
            rules: CRS_MULTIPART,
            request: Request::multipart("boundary", "--boundary\nContent-Disposition: form-data; name=\"flavors\"\nContent-Transfer-Encoding: 8bit\nContent-Type: text/plain; charset=utf-7\n\nPineapple. Pizza.\n--boundary--\n"),
            status: None,
            logged: &[922110, 922120],
            log_contains: &[],
        },
        Case {
            name: "CRS 922130-2: a control character in a part header name",
            rules: CRS_MULTIPART,
            request: Request::post("/post", "multipart/form-data; boundary=boundary", b"--boundary\r\nContent-Disposition\x0e: form-data; name=\"file\"; filename=\"1.php\"\r\nContent-Disposition: form-data; name=\"post\"\r\n\r\n<?php var_dump(file_get_contents(\"/etc/passwd\"));\r\n--boundary--"),
            status: None,
            logged: &[200002],
            log_contains: &["[data \"Multipart parsing error: Multipart: Invalid part header (contains invalid character).\"]"],
        },
        Case {
            name: "CRS 920120-1: a file name with '='",
            rules: CRS_MULTIPART,
            request: Request::multipart("--------397236876", "----------397236876\nContent-Disposition: form-data; name=\"fileRap\"; filename=\"file=.txt\"\nContent-Type: text/plain\n\n555-555-0199@example.com\n----------397236876--\n"),
            status: None,
            logged: &[920120],
            log_contains: &["[data \"file=.txt\"]"],
        },
        Case {
            name: "CRS 920120-4: a plain file name passes",
            rules: CRS_MULTIPART,
            request: Request::multipart("---------------------------265001916915724", "-----------------------------265001916915724\nContent-Disposition: form-data; name=\"file\"; filename=\"test\"\nContent-Type: application/octet-stream\n\nhelloworld\n-----------------------------265001916915724--\n"),
            status: None,
            logged: &[],
            log_contains: &[],
        },
    ];
    let mut ran = 0;
    for case in &cases {
        let (status, ids, log) = run(case);
        assert_eq!(status, case.status, "{}: {log:?}", case.name);
        assert_eq!(ids, case.logged, "{}: {log:?}", case.name);
        for (level, text) in &log {
            assert!(!text.contains('\n'), "{}: {text}", case.name);
            let expected_level = if status.is_some() && text.contains("Access denied") {
                LogLevel::Error
            } else {
                LogLevel::Info
            };
            assert_eq!(*level, expected_level, "{}: {text}", case.name);
            for expected in case.log_contains {
                if ids.len() == 1 {
                    assert!(
                        text.contains(expected),
                        "{}: expected {expected:?} in {text}",
                        case.name
                    );
                }
            }
        }
        ran += 1;
    }
    assert_eq!(ran, 50);
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
    let status = |request: &Request| {
        Transaction::new(Arc::clone(&ruleset))
            .run_phase(1, request)
            .map(|i| i.status)
    };
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
            assert!(
                log.iter().any(|(_, text)| text.contains(expected)),
                "{}: expected {expected:?} in {log:?}",
                case.name
            );
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
        Case {
            name: "setvar runs once per matched value, as libmodsecurity (checked with its 3.0.9)",
            rules: "SecRule ARGS \"@rx a\" \"id:1,phase:1,pass,nolog,setvar:tx.n=+1\"\nSecRule TX:n \"@eq 2\" \"id:2,phase:1,pass,log\"\nSecRule TX:n \"@eq 1\" \"id:3,phase:1,pass,log\"",
            request: Request::get("/?x=a1&y=a2"),
            status: None,
            logged: &[2],
            log_contains: &[],
        },
        Case {
            name: "a chain starter's setvar stays when a later link fails, as libmodsecurity",
            rules: "SecRule ARGS:x \"@rx a\" \"id:10,phase:1,pass,nolog,setvar:tx.m=+1,chain\"\nSecRule ARGS:y \"@rx NOPE\" \"t:none\"\nSecRule TX:m \"@eq 1\" \"id:11,phase:1,pass,log\"",
            request: Request::get("/?x=a1&y=a2"),
            status: None,
            logged: &[11],
            log_contains: &[],
        },
        Case {
            name: "the log line and capture show the last matched value, as libmodsecurity",
            rules: "SecRule ARGS \"@rx (a)(\\d)\" \"id:20,phase:1,pass,log,capture,logdata:'%{TX.2} %{MATCHED_VAR_NAME}'\"",
            request: Request::get("/?x=a1&y=a2"),
            status: None,
            logged: &[20],
            log_contains: &["against variable `ARGS:y' (Value: `a2' )", "[data \"2 ARGS:y\"]"],
        },
        Case {
            name: "setvar names expand macros (CRS 922150's per-part content types)",
            rules: "SecAction \"id:30,phase:1,pass,nolog,setvar:tx.i=0\"\nSecRule ARGS \"@rx (.*)\" \"id:31,phase:1,pass,nolog,capture,setvar:'tx.seen_%{tx.i}=%{tx.1}',setvar:tx.i=+1\"\nSecRule TX:seen_1 \"@streq a2\" \"id:32,phase:1,pass,log\"",
            request: Request::get("/?x=a1&y=a2"),
            status: None,
            logged: &[32],
            log_contains: &[],
        },
        Case {
            name: "a TX walk goes in name order whatever the order of the writes: the last match is logged",
            rules: "SecAction \"id:60,phase:1,pass,nolog,setvar:tx.walk_c=3,setvar:tx.walk_a=1,setvar:tx.walk_d=4,setvar:tx.walk_b=2\"\nSecRule TX:/^walk_/ \"@rx \\d\" \"id:61,phase:1,pass,log,logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"",
            request: Request::get("/"),
            status: None,
            logged: &[61],
            log_contains: &["against variable `TX:walk_d' (Value: `4' )", "[data \"TX:walk_d=4\"]"],
        },
        Case {
            name: "REQBODY_PROCESSOR is known in phase 1 from the Content-Type (CRS 920400)",
            rules: "SecRule REQBODY_PROCESSOR \"@streq MULTIPART\" \"id:40,phase:1,pass,log\"",
            request: Request::multipart("b", "--b\nContent-Disposition: form-data; name=\"a\"\n\nx\n--b--\n"),
            status: None,
            logged: &[40],
            log_contains: &[],
        },
        Case {
            name: "@detectSQLi with capture puts libinjection's fingerprint in TX:0; libmodsecurity's wording",
            rules: "SecRule ARGS \"@detectSQLi\" \"id:50,phase:1,pass,log,capture,logdata:'fingerprint %{TX.0}'\"",
            request: Request::get("/?q=1%27%20or%20%271%27%3D%271"),
            status: None,
            logged: &[50],
            log_contains: &["ModSecurity: Warning. detected SQLi using libinjection. [file", "[data \"fingerprint s&sos\"]"],
        },
        Case {
            name: "@detectXSS",
            rules: "SecRule ARGS \"@detectXSS\" \"id:51,phase:1,deny\"",
            request: Request::get("/?q=%3Cscript%3Ealert(1)%3C/script%3E"),
            status: Some(403),
            logged: &[51],
            log_contains: &["Access denied with code 403 (phase 1). detected XSS using libinjection."],
        },
    ];
    assert_eq!(check(&cases), 20);
}

#[test]
fn response_phases_see_the_response() {
    let rules = "SecRule RESPONSE_STATUS \"@streq 500\" \"id:1,phase:3,deny,status:502\"\n\
                 SecRule RESPONSE_HEADERS:Content-Type \"@contains json\" \"id:2,phase:3,pass,log\"\n\
                 SecRule RESPONSE_BODY \"@contains SQL syntax\" \"id:3,phase:4,deny\"";
    let load = || {
        Arc::new(
            Ruleset::load(&[RuleSource::Inline {
                text: rules.into(),
                origin: "t".into(),
                line: 1,
            }])
            .unwrap(),
        )
    };
    let request = Request::get("/");

    let mut transaction = Transaction::new(load());
    transaction.set_response_headers(
        500,
        b"HTTP/1.1",
        vec![(b"Content-Type".to_vec(), b"text/html".to_vec())],
    );
    assert_eq!(
        transaction.run_phase(3, &request).map(|i| i.status),
        Some(502)
    );

    let mut transaction = Transaction::new(load());
    transaction.set_response_headers(
        200,
        b"HTTP/1.1",
        vec![(b"content-type".to_vec(), b"application/json".to_vec())],
    );
    assert_eq!(transaction.run_phase(3, &request), None);
    assert_eq!(transaction.take_log().len(), 1);
    transaction.set_response_body(b"You have an error in your SQL syntax near".to_vec());
    assert_eq!(
        transaction.run_phase(4, &request).map(|i| i.status),
        Some(403)
    );
}

#[test]
fn unicode_map_file_decides_what_url_decode_uni_makes_of_percent_u() {
    let dir = std::env::temp_dir().join(format!("secrules-unicode-map-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mapping = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/crs/test-config/unicode.mapping");
    std::fs::copy(&mapping, dir.join("unicode.mapping")).unwrap();
    // %u00c0 is À: code page 20127 maps it to A; without a map urlDecodeUni keeps the low byte.
    let rule = "SecRule ARGS \"@streq A\" \"id:1,phase:1,deny,t:none,t:urlDecodeUni\"";
    std::fs::write(
        dir.join("with-map.conf"),
        format!("SecUnicodeMapFile unicode.mapping 20127\n{rule}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("without-map.conf"), format!("{rule}\n")).unwrap();
    let request = Request::get("/?a=%25u00c0");
    let status = |file: &str| {
        let ruleset = Ruleset::load(&[RuleSource::File(dir.join(file))]).unwrap();
        Transaction::new(Arc::new(ruleset))
            .run_phase(1, &request)
            .map(|i| i.status)
    };
    assert_eq!(status("with-map.conf"), Some(403));
    assert_eq!(status("without-map.conf"), None);
    std::fs::write(
        dir.join("bad.conf"),
        "SecUnicodeMapFile missing.mapping 20127\n",
    )
    .unwrap();
    let error = Ruleset::load(&[RuleSource::File(dir.join("bad.conf"))]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("bad.conf:1: SecUnicodeMapFile: cannot read"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
