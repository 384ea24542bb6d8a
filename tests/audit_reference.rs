//! The `[ref "..."]` of error-log lines and the `reference` of audit messages: match offsets,
//! where the value came from in the request, and the transformations, as libmodsecurity 3
//! writes them. Checked field by field against values read from libmodsecurity 3.0.9, and
//! differentially against libmodsecurity itself (its C API, `tests/oracle/`) on the same rules
//! and requests.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use secrules::compile::{RuleSource, Ruleset};
use secrules::engine::Transaction;
use secrules::tool::RawRequest;

mod common;

/// Rules whose matches cover each way libmodsecurity places a value and each operator that
/// reports offsets. All `pass`: the oracle sees the log lines of non-disruptive matches.
const RULES: &str = r#"SecRuleEngine On
SecRequestBodyAccess On
SecDefaultAction "phase:1,log,pass,t:lowercase"
SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:100,phase:1,pass,nolog,t:none,ctl:requestBodyProcessor=JSON"
SecRule ARGS:q "@rx att(a)(x)?(c)k" "id:1,phase:1,pass,t:none,t:urlDecodeUni,t:lowercase,msg:'groups'"
SecRule REQUEST_HEADERS:User-Agent "@contains evil" "id:2,phase:1,pass"
SecRule ARGS "@pm foo bar" "id:3,phase:1,pass"
SecRule REQUEST_URI "@beginsWith /shop" "id:4,phase:1,pass,t:none,chain"
  SecRule ARGS_NAMES "@streq user" "t:none"
SecRule REQUEST_COOKIES:sess "@endsWith zz" "id:5,phase:1,pass,t:none"
SecRule QUERY_STRING|REQUEST_LINE|REQUEST_FILENAME|REQUEST_BASENAME|REQUEST_PROTOCOL|REQUEST_METHOD|REQUEST_URI|REQUEST_URI_RAW "@rx ." "id:6,phase:1,pass,t:none"
SecRule REMOTE_ADDR "@ipMatch 127.0.0.1" "id:7,phase:1,pass,t:none"
SecRule ARGS_POST:b "@rx secret" "id:8,phase:2,pass,log,t:none"
SecRule REQUEST_BODY "@rx secret" "id:9,phase:2,pass,log,t:none"
SecRule ARGS:m "@rx X" "id:10,phase:1,pass,multiMatch,t:none,t:uppercase,t:lowercase"
SecRule REQUEST_COOKIES_NAMES|REQUEST_HEADERS_NAMES "@rx ^(?:sess|x-probe)$" "id:11,phase:1,pass"
SecRule REQUEST_HEADERS:X-Probe "@within one two three" "id:12,phase:1,pass,t:none"
SecRule ARGS_GET_NAMES "@rx ^q$" "id:13,phase:1,pass,t:none"
SecRule ARGS:bytes "@validateByteRange 97-122" "id:14,phase:1,pass,t:none"
SecRule ARGS_GET:enc "@validateUrlEncoding" "id:15,phase:1,pass,t:none"
SecRule ARGS:utf "@validateUtf8Encoding" "id:16,phase:1,pass,t:none"
SecRule ARGS:json.a "@rx ^v" "id:17,phase:2,pass,log,t:none"
SecRule ARGS "@rx o" "id:18,phase:1,pass,t:none"
SecRule REQUEST_HEADERS:X-Probe "!@rx zzz" "id:19,phase:1,pass,t:none"
SecRule REQUEST_HEADERS:Host "@rx shop" "id:20,phase:1,pass,t:none,t:compressWhitespace,t:removeNulls"
"#;

const REQUESTS: [&str; 4] = [
    "GET /shop/item?user=x&q=Att%61ck&m=x&bytes=abC9&enc=%zz&utf=%c3%28 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: very evil one\r\nCookie: a=1; sess=abzz\r\nX-Probe: two\r\n\r\n",
    "POST /shop/item?foo=barfoo&m=x HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: curl/8\r\nAccept: */*\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\n\r\na=1&b=mysecret",
    "POST /api/v%31/do HTTP/1.0\r\nHost: api.shop.example\r\nContent-Type: application/json\r\nContent-Length: 24\r\nCookie:  sess=zz;other=2 \r\n\r\n{\"a\":\"value\",\"b\":\"word\"}",
    "GET /a/b/BASE.php?one=two&&q=attack HTTP/1.1\r\nHost: shop.example\r\nX-Probe: three\r\n\r\n",
];

fn ruleset(rules: &str) -> Arc<Ruleset> {
    Arc::new(
        Ruleset::load(&[RuleSource::Inline {
            text: rules.to_string(),
            origin: "/etc/nginx/waf.conf".into(),
            line: 1,
        }])
        .unwrap_or_else(|e| panic!("{e}")),
    )
}

/// `[name "value"]` of a log line.
fn field(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!(" [{name} \""))? + name.len() + 4;
    let end = line[start..].find("\"]")?;
    Some(line[start..start + end].to_string())
}

/// id -> [ref] of every logged line.
fn refs(lines: &[String]) -> BTreeMap<u64, String> {
    lines
        .iter()
        .filter_map(|line| {
            let id = field(line, "id")?.parse().ok()?;
            Some((id, field(line, "ref")?))
        })
        .collect()
}

/// Our log lines for `raw`, the connection as the oracle describes it (127.0.0.1:40000).
fn our_lines(rules: &Arc<Ruleset>, raw: &str) -> Vec<String> {
    let mut request = RawRequest::parse(raw.as_bytes()).unwrap();
    request.remote_addr = b"127.0.0.1".to_vec();
    request.remote_port = 40000;
    let mut tx = Transaction::new(Arc::clone(rules));
    assert!(tx.run_phase(1, &request).is_none());
    if tx.wants_request_body() {
        assert!(tx
            .set_request_body(request.body().to_vec(), request.content_type())
            .is_none());
    }
    assert!(tx.run_phase(2, &request).is_none());
    tx.take_log().into_iter().map(|m| m.text).collect()
}

/// libmodsecurity's log lines for each request (the oracle prints them with ORACLE_VERBOSE).
fn libmodsecurity_lines(rules: &str, requests: &[&str]) -> Vec<Vec<String>> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let oracle = common::libmodsecurity_oracle("libmodsecurity_verdicts_ref");
    let rules_file = dir.join(format!("reference-rules-{}.conf", std::process::id()));
    std::fs::write(&rules_file, rules).unwrap();
    let answers = requests
        .iter()
        .map(|raw| {
            let mut child = std::process::Command::new(&oracle)
                .arg(&rules_file)
                .env("ORACLE_VERBOSE", "1")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the oracle runs");
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin
                .write_all(format!("{}\n{raw}", raw.len()).as_bytes())
                .unwrap();
            drop(stdin);
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(stdout.starts_with("ids"), "oracle: {stdout}");
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .collect();
    let _ = std::fs::remove_file(&rules_file);
    answers
}

/// The same rules and requests through libmodsecurity 3 and secrules: every rule logs in both,
/// with the same `[ref]`.
#[test]
fn reference_matches_libmodsecurity() {
    let rules = ruleset(RULES);
    let theirs = libmodsecurity_lines(RULES, &REQUESTS);
    let mut compared = 0;
    for (raw, their_lines) in REQUESTS.iter().zip(&theirs) {
        let ours = refs(&our_lines(&rules, raw));
        let theirs = refs(their_lines);
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "logged ids for {raw:?}"
        );
        for (id, reference) in &theirs {
            assert_eq!(&ours[id], reference, "[ref] of rule {id} for {raw:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, 38, "references compared");
}

/// Values read from libmodsecurity 3.0.9 (nginx + ModSecurity-nginx) for the same rule and
/// request, so the grammar is pinned even where the oracle is not installed: groups of `@rx`
/// (`o` each), the argument's place after its decoded name (`v24,6`), the trail as
/// `t:name,...`; every match of a rule concatenated; the chain's links in order; the
/// 200-character limit of the line, and the JSON `reference` whole.
#[test]
fn reference_grammar_field_by_field() {
    let rules = ruleset(RULES);
    let lines = our_lines(&rules, REQUESTS[0]);
    let refs = refs(&lines);
    assert_eq!(refs[&1], "o0,6o3,1o4,1v24,6t:urlDecodeUni,t:lowercase");
    assert_eq!(refs[&2], "o5,4v107,13t:lowercase");
    assert_eq!(refs[&4], "o0,5v4,62v15,4");
    assert_eq!(refs[&5], "o2,2v139,4");
    assert_eq!(refs[&7], "v0,9");
    assert_eq!(refs[&10], "o0,1v35,1t:uppercase");
    assert_eq!(refs[&11], "o0,4v134,4t:lowercaseo0,7v144,7t:lowercase");
    assert_eq!(refs[&12], "o4,3v153,3");
    assert_eq!(refs[&14], "o2,1o3,1v43,4");
    assert_eq!(refs[&15], "o0,3v52,3");
    assert_eq!(refs[&16], "o0,2v60,2");
    assert_eq!(refs[&19], "v153,3");
    assert_eq!(refs[&20], "o0,4v82,12t:compressWhitespace,t:removeNulls");

    // Long enough to be cut in the line, whole in the audit record.
    let many: String = (0..40).map(|i| format!("a{i}=o&")).collect();
    let raw = format!("GET /?{many} HTTP/1.1\r\nHost: h\r\n\r\n");
    let rules = ruleset(
        "SecAuditEngine On\nSecAuditLogFormat JSON\nSecAuditLog /dev/null\n\
         SecRule ARGS \"@rx o\" \"id:18,phase:1,pass,log,t:none\"",
    );
    let mut request = RawRequest::parse(raw.as_bytes()).unwrap();
    request.remote_addr = b"127.0.0.1".to_vec();
    let mut tx = Transaction::new(rules);
    tx.run_phase(1, &request);
    let line = tx.take_log().remove(0).text;
    let reference = field(&line, "ref").unwrap();
    let whole: String = (0..40)
        .map(|i| {
            let at = 6 + (0..i).map(|j| format!("a{j}=o&").len()).sum::<usize>();
            format!("o0,1v{},1", at + format!("a{i}=").len())
        })
        .collect();
    assert!(whole.len() > 200);
    assert_eq!(
        reference,
        format!(
            "{} ({} characters omitted)",
            &whole[..200],
            whole.len() - 200
        )
    );
    let record = tx.audit_record(&request, 200).unwrap();
    let json: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(
        json["transaction"]["messages"][0]["details"]["reference"],
        serde_json::Value::String(whole)
    );
}
