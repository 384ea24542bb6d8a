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
    pub parameter: std::sync::Arc<str>,
    /// libmodsecurity's `[ref]`: offsets and transformations of every match of the rule (see
    /// [`crate::audit::reference`]).
    pub reference: crate::audit::reference::Reference,
}

/// How much of a matched value a [`RuleMatch`] keeps.
pub const VALUE_KEPT: usize = 4096;

/// One logged rule match: what the error-log line and the audit record's `messages` show.
/// Built once at the match (macros expanded then), owned, so it outlives the phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    pub id: u64,
    pub phase: u8,
    pub file: std::sync::Arc<str>,
    pub line: usize,
    /// The status when the rule denied the request (`Access denied with code N`).
    pub blocked: Option<u16>,
    /// `msg`, macros expanded.
    pub message: String,
    /// `Matched "Operator ..."` (or libmodsecurity's wording for SecAction and libinjection).
    pub matched: String,
    /// The variable that matched (`ARGS:q`), and its value after the transformations (at
    /// most [`VALUE_KEPT`] bytes): for the rules tool, which shows them whole.
    pub variable: String,
    pub value: Vec<u8>,
    /// Where the rule matched: `o`/`v` offsets and the transformations (libmodsecurity's
    /// `m_reference`), before the 200-character limit of log lines.
    pub reference: String,
    /// `logdata`, macros expanded, before the 200-character limit of log lines.
    pub data: String,
    pub severity: u8,
    pub rev: String,
    pub ver: String,
    pub maturity: u8,
    pub accuracy: u8,
    pub tags: Vec<String>,
    pub hostname: String,
    pub uri: String,
    pub unique_id: String,
    /// The match goes to the error log (`log`, not `nolog`).
    pub error_log: bool,
    /// The match goes to the audit record (not `noauditlog`, not `nolog` unless `auditlog`).
    pub audit_log: bool,
}

impl RuleMatch {
    /// What `rule`'s match says; `blocked` is the status when the rule denied the request.
    pub fn new(
        rule: &Rule,
        blocked: Option<u16>,
        matched: &MatchedValue,
        ctx: &EvalContext,
    ) -> RuleMatch {
        let expand = |m: &Option<crate::engine::macros::Macro>| {
            m.as_ref()
                .map(|m| String::from_utf8_lossy(&m.expand(ctx)).into_owned())
                .unwrap_or_default()
        };
        let meta = &rule.metadata;
        let request = ctx.request;
        RuleMatch {
            id: rule.id,
            phase: rule.phase,
            file: rule.file.clone(),
            line: rule.line,
            blocked,
            message: expand(&meta.msg),
            matched: match_text(matched),
            variable: matched.variable.clone(),
            value: matched.value[..matched.value.len().min(VALUE_KEPT)].to_vec(),
            reference: matched.reference.text(&rule.links, ctx),
            data: expand(&meta.logdata),
            severity: meta.severity.unwrap_or(0),
            rev: meta.rev.clone(),
            ver: meta.ver.clone(),
            maturity: meta.maturity,
            accuracy: meta.accuracy,
            tags: meta.tags.clone(),
            hostname: String::from_utf8_lossy(request.hostname()).into_owned(),
            uri: String::from_utf8_lossy(request.path()).into_owned(),
            unique_id: String::from_utf8_lossy(request.unique_id()).into_owned(),
            error_log: rule.log,
            audit_log: rule.auditlog.unwrap_or(rule.log),
        }
    }

    /// The error-log line. As libmodsecurity's `RuleMessage::log`, rev, data, ver and tags have
    /// `"` and `\` escaped too (a tag cannot end its field early), and the whole line has every
    /// byte outside printable ASCII escaped.
    pub fn log_line(&self) -> String {
        let mut out = String::with_capacity(512);
        match self.blocked {
            Some(status) => {
                let _ = write!(
                    out,
                    "ModSecurity: Access denied with code {status} (phase {}). ",
                    self.phase
                );
            }
            None => out.push_str("ModSecurity: Warning. "),
        }
        out.push_str(&self.matched);
        let quoted = |text: &str| hex_escaped(text.as_bytes(), true);
        let _ = write!(out, " [file \"{}\"]", self.file);
        let _ = write!(out, " [line \"{}\"]", self.line);
        let _ = write!(out, " [id \"{}\"]", self.id);
        let _ = write!(out, " [rev \"{}\"]", quoted(&self.rev));
        let _ = write!(out, " [msg \"{}\"]", self.message);
        let _ = write!(out, " [data \"{}\"]", quoted(&limit_to(200, &self.data)));
        let _ = write!(out, " [severity \"{}\"]", self.severity);
        let _ = write!(out, " [ver \"{}\"]", quoted(&self.ver));
        let _ = write!(out, " [maturity \"{}\"]", self.maturity);
        let _ = write!(out, " [accuracy \"{}\"]", self.accuracy);
        for tag in &self.tags {
            let _ = write!(out, " [tag \"{}\"]", quoted(tag));
        }
        let _ = write!(out, " [hostname \"{}\"]", self.hostname);
        let _ = write!(out, " [uri \"{}\"]", limit_to(200, &self.uri));
        let _ = write!(out, " [unique_id \"{}\"]", self.unique_id);
        let _ = write!(out, " [ref \"{}\"]", limit_to(200, &self.reference));
        hex_escaped(out.as_bytes(), false)
    }
}

/// The `Matched "..."` part: what the operator matched, where.
fn match_text(matched: &MatchedValue) -> String {
    if matched.operator == "UnconditionalMatch" && matched.variable.is_empty() {
        "Unconditional match in SecAction.".into()
    } else if matched.operator == "DetectSQLi" {
        // libmodsecurity's own wording for the libinjection operators.
        "detected SQLi using libinjection.".into()
    } else if matched.operator == "DetectXSS" {
        "detected XSS using libinjection.".into()
    } else {
        format!(
            "Matched \"Operator `{}' with parameter `{}' against variable `{}' (Value: `{}' )",
            matched.operator,
            limit_to(200, &matched.parameter),
            matched.variable,
            limit_to(100, &hex_escaped(&matched.value, true)),
        )
    }
}

/// libmodsecurity's `limitTo`: at most `limit` characters, then how many were left out.
pub(crate) fn limit_to(limit: usize, text: &str) -> String {
    let count = text.chars().count();
    if count <= limit {
        return text.to_string();
    }
    let kept: String = text.chars().take(limit).collect();
    format!("{kept} ({} characters omitted)", count - limit)
}

/// libmodsecurity's `toHexIfNeeded`: bytes outside printable ASCII as `\xNN`, and with
/// `quotes`, `"` and `\\` too.
pub(crate) fn hex_escaped(bytes: &[u8], quotes: bool) -> String {
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
