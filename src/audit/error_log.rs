//! The error-log line of a rule match, byte-compatible with libmodsecurity's (`RuleMessage::log`)
//! so fail2ban filters and log pipelines written for ModSecurity keep working:
//!
//! `ModSecurity: Access denied with code 403 (phase 1). Matched "Operator `IpMatch' with
//! parameter `34.242.209.15' against variable `REMOTE_ADDR' (Value: `34.242.209.15' )
//! [file "..."] [line "3"] [id "1001"] [rev ""] [msg "blocked IP"] [data ""] [severity "0"]
//! [ver ""] [maturity "0"] [accuracy "0"] [hostname "..."] [uri "/"] [unique_id "..."] [ref ""]`
//!
//! Limits as libmodsecurity's: parameter 200 characters, value 100, data 200, uri 200. Bytes
//! outside printable ASCII are written `\xNN`, so a request cannot split log lines; in the matched
//! value `"` and `\` are written `\x22` and `\x5c` too (libmodsecurity leaves them), so a request
//! cannot forge a `[id "..."]` field that log parsers would read before the real one.

use std::fmt::Write;

use crate::compile::Rule;
use crate::engine::EvalContext;

/// What an operator matched, for the `Matched "..."` part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedValue {
    pub variable: String,
    pub value: Vec<u8>,
    pub operator: &'static str,
    pub parameter: String,
}

/// The line for `rule`'s match; `blocked` is the status when the rule denied the request.
pub fn line(
    rule: &Rule,
    blocked: Option<u16>,
    matched: &MatchedValue,
    ctx: &EvalContext,
) -> String {
    let mut out = String::with_capacity(512);
    match blocked {
        Some(status) => {
            let _ = write!(
                out,
                "ModSecurity: Access denied with code {status} (phase {}). ",
                rule.phase
            );
        }
        None => out.push_str("ModSecurity: Warning. "),
    }
    if matched.operator == "UnconditionalMatch" && matched.variable.is_empty() {
        out.push_str("Unconditional match in SecAction.");
    } else if matched.operator == "DetectSQLi" {
        // libmodsecurity's own wording for the libinjection operators.
        out.push_str("detected SQLi using libinjection.");
    } else if matched.operator == "DetectXSS" {
        out.push_str("detected XSS using libinjection.");
    } else {
        let _ = write!(
            out,
            "Matched \"Operator `{}' with parameter `{}' against variable `{}' (Value: `{}' )",
            matched.operator,
            limit_to(200, &matched.parameter),
            matched.variable,
            limit_to(100, &hex_escaped(&matched.value, true)),
        );
    }
    let expand = |m: &Option<crate::engine::macros::Macro>| {
        m.as_ref()
            .map(|m| String::from_utf8_lossy(&m.expand(ctx)).into_owned())
            .unwrap_or_default()
    };
    let meta = &rule.metadata;
    let _ = write!(out, " [file \"{}\"]", rule.file);
    let _ = write!(out, " [line \"{}\"]", rule.line);
    let _ = write!(out, " [id \"{}\"]", rule.id);
    let _ = write!(out, " [rev \"{}\"]", meta.rev);
    let _ = write!(out, " [msg \"{}\"]", expand(&meta.msg));
    let _ = write!(out, " [data \"{}\"]", limit_to(200, &expand(&meta.logdata)));
    let _ = write!(out, " [severity \"{}\"]", meta.severity.unwrap_or(0));
    let _ = write!(out, " [ver \"{}\"]", meta.ver);
    let _ = write!(out, " [maturity \"{}\"]", meta.maturity);
    let _ = write!(out, " [accuracy \"{}\"]", meta.accuracy);
    for tag in &meta.tags {
        let _ = write!(out, " [tag \"{tag}\"]");
    }
    let request = ctx.request;
    let _ = write!(
        out,
        " [hostname \"{}\"]",
        String::from_utf8_lossy(request.hostname())
    );
    let _ = write!(
        out,
        " [uri \"{}\"]",
        limit_to(200, &String::from_utf8_lossy(request.path()))
    );
    let _ = write!(
        out,
        " [unique_id \"{}\"]",
        String::from_utf8_lossy(request.unique_id())
    );
    out.push_str(" [ref \"\"]");
    hex_escaped(out.as_bytes(), false)
}

/// libmodsecurity's `limitTo`: at most `limit` characters, then how many were left out.
fn limit_to(limit: usize, text: &str) -> String {
    let count = text.chars().count();
    if count <= limit {
        return text.to_string();
    }
    let kept: String = text.chars().take(limit).collect();
    format!("{kept} ({} characters omitted)", count - limit)
}

/// libmodsecurity's `toHexIfNeeded`: bytes outside printable ASCII as `\xNN`, and with
/// `quotes`, `"` and `\\` too.
fn hex_escaped(bytes: &[u8], quotes: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (32..=126).contains(&b) && !(quotes && (b == b'"' || b == b'\\')) {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_escapes() {
        assert_eq!(limit_to(3, "abcdef"), "abc (3 characters omitted)");
        assert_eq!(limit_to(6, "abcdef"), "abcdef");
        assert_eq!(
            hex_escaped(b"a\nb\x7f\xff\"c", false),
            "a\\x0ab\\x7f\\xff\"c"
        );
        assert_eq!(hex_escaped(b"[id \"9\"]\\", true), "[id \\x229\\x22]\\x5c");
    }
}
