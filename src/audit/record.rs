//! One audit record, in libmodsecurity's JSON schema (`Transaction::toJSON`): one object per
//! line, so a record is one `write(2)` and log shippers read it line by line.
//!
//! ```text
//! {"transaction":{"client_ip","time_stamp","server_id","client_port","host_ip","host_port",
//!  "unique_id","request":{"method","http_version","uri","body"(C),"headers"(B)},
//!  "response":{"body"(E),"http_code","headers"(F)},
//!  "producer"(H):{"modsecurity","connector","secrules_engine","components"},
//!  "messages"(H):[{"message","details":{"match","reference","ruleId","file","lineNumber",
//!  "data","severity","ver","rev","tags","maturity","accuracy"}}]}}
//! ```
//!
//! As in libmodsecurity, `http_version`, `http_code` and the ports are numbers and the rule
//! fields strings. Headers a request repeats are joined with `, ` so no JSON reader drops one
//! (libmodsecurity repeats the key).

use std::fmt::Write;

use super::config::Parts;
use super::error_log::RuleMatch;
use super::time::Utc;

/// Everything a record can show; `parts` chooses what it does.
pub struct Record<'a> {
    pub time: Utc,
    pub server_id: &'a str,
    pub client_ip: &'a [u8],
    pub client_port: u16,
    pub host_ip: &'a [u8],
    pub host_port: u16,
    pub unique_id: &'a [u8],
    pub method: &'a [u8],
    /// `HTTP/1.1` as the request line says it.
    pub protocol: &'a [u8],
    /// The request target as sent.
    pub uri: &'a [u8],
    pub request_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub request_body: Option<&'a [u8]>,
    pub http_code: u16,
    pub response_headers: &'a [(Vec<u8>, Vec<u8>)],
    pub response_body: Option<&'a [u8]>,
    /// `Enabled`, `DetectionOnly` or `Disabled`, libmodsecurity's names.
    pub engine: &'static str,
    pub components: &'a [String],
    pub messages: Vec<&'a RuleMatch>,
    pub parts: Parts,
}

/// What the record says produced it.
pub const PRODUCER: &str = concat!("secrules v", env!("CARGO_PKG_VERSION"), " (Linux)");
pub const CONNECTOR: &str = concat!("secrules-nginx v", env!("CARGO_PKG_VERSION"));

impl Record<'_> {
    /// The HTTP version as a JSON number (`1.1`, `2.0`); 0 if the request line had none.
    pub fn http_version(&self) -> &str {
        let text = self.protocol.strip_prefix(b"HTTP/").unwrap_or_default();
        let numeric = !text.is_empty()
            && text.iter().all(|b| b.is_ascii_digit() || *b == b'.')
            && text[0].is_ascii_digit()
            && text.iter().filter(|&&b| b == b'.').count() <= 1
            && text.last().is_some_and(u8::is_ascii_digit);
        if numeric {
            std::str::from_utf8(text).unwrap_or("0")
        } else {
            "0"
        }
    }

    /// The record as one line of JSON, newline included.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(1024);
        out.push_str("{\"transaction\":{");
        field(&mut out, "client_ip", self.client_ip);
        field(&mut out, "time_stamp", self.time.asctime().as_bytes());
        field(&mut out, "server_id", self.server_id.as_bytes());
        let _ = write!(out, "\"client_port\":{},", self.client_port);
        field(&mut out, "host_ip", self.host_ip);
        let _ = write!(out, "\"host_port\":{},", self.host_port);
        field(&mut out, "unique_id", self.unique_id);

        out.push_str("\"request\":{");
        field(&mut out, "method", dash_if_empty(self.method));
        let _ = write!(out, "\"http_version\":{},", self.http_version());
        field(&mut out, "uri", self.uri);
        if self.parts.has(b'C') {
            field(&mut out, "body", self.request_body.unwrap_or_default());
        }
        if self.parts.has(b'B') {
            headers(&mut out, &self.request_headers);
        }
        close(&mut out, '}');
        out.push(',');

        out.push_str("\"response\":{");
        if self.parts.has(b'E') {
            field(&mut out, "body", self.response_body.unwrap_or_default());
        }
        let _ = write!(out, "\"http_code\":{},", self.http_code);
        if self.parts.has(b'F') {
            headers(&mut out, self.response_headers);
        }
        close(&mut out, '}');

        if self.parts.has(b'H') {
            out.push_str(",\"producer\":{");
            field(&mut out, "modsecurity", PRODUCER.as_bytes());
            field(&mut out, "connector", CONNECTOR.as_bytes());
            field(&mut out, "secrules_engine", self.engine.as_bytes());
            out.push_str("\"components\":[");
            for (i, component) in self.components.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(&mut out, component.as_bytes());
            }
            out.push_str("]},\"messages\":[");
            for (i, message) in self.messages.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                rule_message(&mut out, message);
            }
            out.push(']');
        }
        out.push_str("}}\n");
        out
    }
}

fn rule_message(out: &mut String, m: &RuleMatch) {
    out.push('{');
    field(out, "message", m.message.as_bytes());
    out.push_str("\"details\":{");
    field(out, "match", m.matched.as_bytes());
    field(out, "reference", m.reference.as_bytes());
    field(out, "ruleId", m.id.to_string().as_bytes());
    field(out, "file", m.file.as_bytes());
    field(out, "lineNumber", m.line.to_string().as_bytes());
    field(out, "data", m.data.as_bytes());
    field(out, "severity", m.severity.to_string().as_bytes());
    field(out, "ver", m.ver.as_bytes());
    field(out, "rev", m.rev.as_bytes());
    out.push_str("\"tags\":[");
    for (i, tag) in m.tags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, tag.as_bytes());
    }
    out.push_str("],");
    field(out, "maturity", m.maturity.to_string().as_bytes());
    field(out, "accuracy", m.accuracy.to_string().as_bytes());
    close(out, '}');
    out.push('}');
}

fn dash_if_empty(value: &[u8]) -> &[u8] {
    if value.is_empty() {
        b"-"
    } else {
        value
    }
}

/// `"headers":{...},` with repeated names joined.
fn headers(out: &mut String, list: &[(Vec<u8>, Vec<u8>)]) {
    let mut joined: Vec<(&[u8], Vec<u8>)> = Vec::with_capacity(list.len());
    for (name, value) in list {
        match joined
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some((_, existing)) => {
                existing.extend_from_slice(b", ");
                existing.extend_from_slice(value);
            }
            None => joined.push((name, value.clone())),
        }
    }
    out.push_str("\"headers\":{");
    for (name, value) in &joined {
        string(out, name);
        out.push(':');
        string(out, value);
        out.push(',');
    }
    close(out, '}');
    out.push(',');
}

/// `"name":"value",`
fn field(out: &mut String, name: &str, value: &[u8]) {
    string(out, name.as_bytes());
    out.push(':');
    string(out, value);
    out.push(',');
}

/// Ends an object or array whose last member left a trailing comma.
fn close(out: &mut String, bracket: char) {
    if out.ends_with(',') {
        out.pop();
    }
    out.push(bracket);
}

/// A JSON string. Bytes that are not UTF-8 become U+FFFD: JSON has no way to carry them.
pub fn string(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape() {
        let mut out = String::new();
        string(&mut out, b"a\"b\\c\nd\x01\xff");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001\u{fffd}\"");
    }
}
