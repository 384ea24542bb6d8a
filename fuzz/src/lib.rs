//! What the fuzz targets share: rule sets loaded once per process, and requests run through the
//! engine's public API exactly as the rules tool runs them (phases 1, 2 with the body, 5).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use secrules::compile::{RuleSource, Ruleset};
use secrules::tool::{self, RawRequest};

/// Rules as inline text, with an origin in a folder that does not exist, so a relative
/// `Include` or data file cannot resolve.
pub fn inline(text: &str) -> RuleSource {
    RuleSource::Inline {
        text: text.to_owned(),
        origin: "/nonexistent-secrules-fuzz/fuzz.conf".to_owned(),
        line: 1,
    }
}

/// The CRS v4 configuration the CRS project's CI uses (DetectionOnly, paranoia level 4: every
/// rule runs on every request). `SECRULES_FUZZ_CRS_CONF` points at another entry file.
pub fn crs_conf() -> PathBuf {
    std::env::var_os("SECRULES_FUZZ_CRS_CONF")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/crs/test-config/main-v4.conf")
        })
}

/// CRS v4, loaded on the first call.
pub fn crs() -> Arc<Ruleset> {
    static CRS: OnceLock<Arc<Ruleset>> = OnceLock::new();
    CRS.get_or_init(|| {
        let conf = crs_conf();
        let conf = conf
            .canonicalize()
            .unwrap_or_else(|e| panic!("CRS entry file {}: {e}", conf.display()));
        Arc::new(Ruleset::load(&[RuleSource::File(conf)]).expect("CRS v4 loads"))
    })
    .clone()
}

/// Body processing on, the processor chosen from the Content-Type as CRS CI's base
/// configuration does, and one rule reading everything the processors produce (so names,
/// values and XML nodes are all walked).
pub fn body_rules() -> Arc<Ruleset> {
    static RULES: OnceLock<Arc<Ruleset>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let text = r#"
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 1048576
SecRequestBodyNoFilesLimit 1048576
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" "id:1,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:2,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule ARGS|ARGS_NAMES|ARGS_POST|FILES|FILES_NAMES|FILES_SIZES|FILES_TMPNAMES|MULTIPART_PART_HEADERS|XML:/*|XML://@*|REQBODY_ERROR|REQBODY_ERROR_MSG|MULTIPART_STRICT_ERROR|MULTIPART_UNMATCHED_BOUNDARY|REQUEST_BODY "@rx (?i)fuzz" "id:3,phase:2,pass,log,t:none,t:urlDecodeUni,t:lowercase"
SecRule REQBODY_ERROR "!@eq 0" "id:4,phase:2,deny,status:400,log"
"#;
            Arc::new(Ruleset::load(&[inline(text)]).expect("body rules load"))
        })
        .clone()
}

/// `POST /` with `content_type` and `body` through [`body_rules`].
pub fn post_body(content_type: &[u8], body: &[u8]) {
    let mut raw = b"POST /fuzz?a=1 HTTP/1.1\r\nHost: fuzz\r\nContent-Type: ".to_vec();
    raw.extend_from_slice(content_type);
    raw.extend_from_slice(format!("\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
    raw.extend_from_slice(body);
    // A Content-Type with a line break is not a request nginx would hand the module.
    if let Ok(request) = RawRequest::parse(&raw) {
        evaluate(body_rules(), &request);
    }
}

/// Runs `request` through `ruleset` (phases 1, 2, 5) and builds the rules tool's report, which
/// walks every match, log line and variable it printed.
pub fn evaluate(ruleset: Arc<Ruleset>, request: &RawRequest) {
    let evaluation = tool::evaluate(ruleset, request);
    let _ = tool::report(&evaluation, request);
}
