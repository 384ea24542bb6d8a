//! The Native (`SecAuditLogFormat Native`) record: ModSecurity's multipart text, sections
//! `--<boundary>-A--` ... `--<boundary>-Z--`, laid out as libmodsecurity's
//! `toOldAuditLogFormat` writes them (D, G, I, J and K are empty there too).

use std::fmt::Write;

use super::record::Record;

impl Record<'_> {
    /// The record in Native format; `boundary` tells records apart (8 hex digits is usual).
    pub fn to_native(&self, boundary: &str) -> String {
        let mut out = String::with_capacity(1024);
        let section = |out: &mut String, letter: char| {
            let _ = writeln!(out, "---{boundary}---{letter}--");
        };
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        section(&mut out, 'A');
        let _ = writeln!(
            out,
            "{} {} {} {} {} {}",
            self.time.common_log(),
            text(self.unique_id),
            text(self.client_ip),
            self.client_port,
            text(self.host_ip),
            self.host_port
        );
        if self.parts.has(b'B') {
            section(&mut out, 'B');
            let method = if self.method.is_empty() {
                "-".into()
            } else {
                text(self.method)
            };
            let _ = writeln!(
                out,
                "{method} {} HTTP/{}",
                text(self.uri),
                self.http_version()
            );
            for (name, value) in &self.request_headers {
                let _ = writeln!(out, "{}: {}", text(name), text(value));
            }
            out.push('\n');
        }
        if let Some(body) = self.request_body.filter(|b| !b.is_empty()) {
            if self.parts.has(b'C') {
                section(&mut out, 'C');
                let _ = writeln!(out, "{}\n", text(body));
            }
        }
        if self.parts.has(b'D') {
            section(&mut out, 'D');
            out.push('\n');
        }
        if let Some(body) = self.response_body.filter(|b| !b.is_empty()) {
            if self.parts.has(b'E') {
                section(&mut out, 'E');
                let _ = writeln!(out, "{}\n", super::error_log::hex_escaped(body, false));
            }
        }
        if self.parts.has(b'F') {
            section(&mut out, 'F');
            let _ = writeln!(out, "HTTP/{} {}", self.http_version(), self.http_code);
            for (name, value) in self.response_headers {
                let _ = writeln!(out, "{}: {}", text(name), text(value));
            }
        }
        out.push('\n');
        for letter in ['G', 'H', 'I', 'J', 'K'] {
            if !self.parts.has(letter as u8) {
                continue;
            }
            section(&mut out, letter);
            if letter == 'H' {
                for message in &self.messages {
                    let _ = writeln!(out, "{}", message.log_line());
                }
            }
            out.push('\n');
        }
        section(&mut out, 'Z');
        out.push('\n');
        out
    }
}
