//! A [`RequestView`] over a raw HTTP/1.x request as bytes (request line, headers, blank line,
//! body), for running rules without nginx: the rules tool and tests.

use crate::engine::RequestView;
use crate::mtls::ClientCertificate;

/// A parsed raw request; what the bytes cannot say (addresses, ports, the transaction id) has
/// settable defaults.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub remote_addr: Vec<u8>,
    pub remote_port: u16,
    pub server_addr: Vec<u8>,
    pub server_port: u16,
    pub unique_id: Vec<u8>,
    request_line: Vec<u8>,
    method: Vec<u8>,
    uri: Vec<u8>,
    protocol: Vec<u8>,
    path: Vec<u8>,
    query: Vec<u8>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
}

impl RawRequest {
    /// Parses `METHOD TARGET HTTP/x.y`, header lines up to an empty line (CRLF or LF), and the
    /// rest as the body. A chunked body is decoded, as nginx hands the module a decoded one.
    pub fn parse(raw: &[u8]) -> Result<RawRequest, String> {
        let (head, body) = split_head(raw);
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
        let request_line = lines.next().unwrap_or_default().to_vec();
        let mut parts = request_line.split(|&b| b == b' ').filter(|p| !p.is_empty());
        let (Some(method), Some(uri)) = (parts.next(), parts.next()) else {
            return Err("the first line is not \"METHOD TARGET HTTP/x.y\"".into());
        };
        // An origin-form, absolute-form or asterisk target: anything else is not a request line.
        let target_ok = uri.starts_with(b"/") || uri.contains(&b':') || uri == b"*";
        if !target_ok {
            return Err(format!(
                "\"{}\" is not a request target",
                String::from_utf8_lossy(uri)
            ));
        }
        let protocol = parts.next().unwrap_or(b"HTTP/1.0").to_vec();
        let mut headers = Vec::new();
        for line in lines {
            if line.is_empty() {
                continue;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                return Err(format!(
                    "header line without a colon: {}",
                    String::from_utf8_lossy(line)
                ));
            };
            headers.push((
                line[..colon].trim_ascii().to_vec(),
                line[colon + 1..].trim_ascii().to_vec(),
            ));
        }
        let chunked = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case(b"transfer-encoding") && v.eq_ignore_ascii_case(b"chunked")
        });
        let body = if chunked {
            dechunk(body)?
        } else {
            body.to_vec()
        };
        let (target, query) = match uri.iter().position(|&b| b == b'?') {
            Some(q) => (&uri[..q], &uri[q + 1..]),
            None => (uri, &b""[..]),
        };
        Ok(RawRequest {
            remote_addr: b"127.0.0.1".to_vec(),
            remote_port: 40000,
            server_addr: b"127.0.0.1".to_vec(),
            server_port: 80,
            unique_id: b"secrules-check".to_vec(),
            method: method.to_vec(),
            uri: uri.to_vec(),
            protocol,
            path: percent_decoded(target),
            query: query.to_vec(),
            request_line,
            headers,
            body,
        })
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The Content-Type header, empty if none.
    pub fn content_type(&self) -> &[u8] {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
            .map_or(&b""[..], |(_, v)| v.as_slice())
    }
}

/// Head and body, split at the first empty line.
fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    for (at, separator) in [(find(raw, b"\r\n\r\n"), 4), (find(raw, b"\n\n"), 2)] {
        if let Some(at) = at {
            return (&raw[..at], &raw[at + separator..]);
        }
    }
    (raw, &[])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = find(body, b"\n").ok_or("chunked body: missing chunk size line")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text
            .trim()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        let size = usize::from_str_radix(&size_text, 16)
            .map_err(|_| format!("chunked body: bad chunk size {size_text:?}"))?;
        body = &body[line_end + 1..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body
            .get(..size)
            .ok_or("chunked body: chunk shorter than its size")?;
        out.extend_from_slice(chunk);
        body = &body[size..];
        body = body
            .strip_prefix(b"\r\n")
            .or_else(|| body.strip_prefix(b"\n"))
            .unwrap_or(body);
    }
}

/// The path as nginx decodes it for `$uri` (percent-decoding only).
fn percent_decoded(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if path[i] == b'%' && i + 2 < path.len() {
            if let (Some(h), Some(l)) = (hex(path[i + 1]), hex(path[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(path[i]);
        i += 1;
    }
    out
}

impl RequestView for RawRequest {
    fn remote_addr(&self) -> &[u8] {
        &self.remote_addr
    }
    fn remote_port(&self) -> u16 {
        self.remote_port
    }
    fn method(&self) -> &[u8] {
        &self.method
    }
    fn uri(&self) -> &[u8] {
        &self.uri
    }
    fn query_string(&self) -> &[u8] {
        &self.query
    }
    fn protocol(&self) -> &[u8] {
        &self.protocol
    }
    fn request_line(&self) -> &[u8] {
        &self.request_line
    }
    fn for_each_header<'s>(&'s self, f: &mut dyn FnMut(&'s [u8], &'s [u8])) {
        for (name, value) in &self.headers {
            f(name, value);
        }
    }
    fn path(&self) -> &[u8] {
        &self.path
    }
    fn hostname(&self) -> &[u8] {
        &self.server_addr
    }
    fn server_port(&self) -> u16 {
        self.server_port
    }
    fn unique_id(&self) -> &[u8] {
        &self.unique_id
    }
    fn ssl_client_verify(&self) -> &[u8] {
        b""
    }
    fn ssl_client_certificate(&self) -> Option<&ClientCertificate> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_line_headers_and_body() {
        let r = RawRequest::parse(
            b"POST /a%20b?x=1&y=2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.method(), b"POST");
        assert_eq!(r.path(), b"/a b");
        assert_eq!(r.query_string(), b"x=1&y=2");
        assert_eq!(r.body(), b"abcde");
        let r = RawRequest::parse(b"GET /%4 HTTP/1.0\nA: 1\n\n").unwrap();
        assert_eq!(r.path(), b"/%4");
        assert!(RawRequest::parse(b"nonsense\n\n").is_err());
    }
}
