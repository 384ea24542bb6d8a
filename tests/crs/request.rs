//! The bytes go-ftw (v2) sends for a stage: its request line, headers and body rules, quirks
//! included, because the WAF sees exactly these bytes.

use super::suite::Input;

/// The raw request for `input`.
pub fn build(input: &Input) -> Vec<u8> {
    if let Some(raw) = &input.raw_request {
        return raw.clone();
    }
    let mut headers = input.headers.clone();
    let mut data = input.data.clone();
    if !data.is_empty() && input.autocomplete_headers {
        if !has_header(&headers, "Content-Type") {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        data = encode_form_data(&headers, data);
    }
    // Applied whatever autocomplete says; an existing "\r\n" becomes "\r\r\n", as in go-ftw.
    if input.multipart_lf_to_crlf
        && headers.iter().any(|(name, value)| {
            same_header(name, "Content-Type")
                && value.to_lowercase().contains("multipart/form-data;")
        })
    {
        data = replace_lf_with_crlf(&data);
    }
    if input.autocomplete_headers {
        if !has_header(&headers, "Connection") {
            headers.push(("Connection".into(), "close".into()));
        }
        if !has_header(&headers, "Content-Length")
            && (!data.is_empty() || method_has_body(&input.method))
        {
            headers.push(("Content-Length".into(), data.len().to_string()));
        }
    }
    let mut out = format!("{} {} {}\r\n", input.method, input.uri, input.version).into_bytes();
    for (name, value) in &headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&data);
    out
}

/// go-ftw's unanchored-in-the-middle `^POST|PUT|PATCH|DELETE$`.
fn method_has_body(method: &str) -> bool {
    method.starts_with("POST")
        || method.contains("PUT")
        || method.contains("PATCH")
        || method.ends_with("DELETE")
}

/// Header names compare as Go's canonical MIME keys do: ASCII case-insensitively.
fn same_header(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| same_header(n, name))
}

/// For a form body that holds no escapes (`url.QueryUnescape` would change nothing: no `%`, no
/// `+`), go-ftw escapes each key and value with `url.QueryEscape`, keeping `&` and `=`, and drops
/// a trailing `&`.
fn encode_form_data(headers: &[(String, String)], data: Vec<u8>) -> Vec<u8> {
    let is_form = headers.iter().any(|(name, value)| {
        same_header(name, "Content-Type")
            && value.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !is_form || data.contains(&b'%') || data.contains(&b'+') {
        return data;
    }
    let mut escaped = Vec::with_capacity(data.len() * 2);
    let mut remaining: &[u8] = &data;
    while !remaining.is_empty() {
        let token = match remaining.iter().position(|&b| b == b'&') {
            Some(amp) => {
                let token = &remaining[..amp];
                remaining = &remaining[amp + 1..];
                token
            }
            None => std::mem::take(&mut remaining),
        };
        match token.iter().position(|&b| b == b'=') {
            Some(eq) => {
                query_escape(&token[..eq], &mut escaped);
                escaped.push(b'=');
                query_escape(&token[eq + 1..], &mut escaped);
            }
            None => query_escape(token, &mut escaped),
        }
        escaped.push(b'&');
    }
    escaped.pop();
    escaped
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, the rest `%XX`.
fn query_escape(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(format!("%{b:02X}").as_bytes()),
        }
    }
}

fn replace_lf_with_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// go-ftw's marker request: `GET /status/200` carrying the marker header, which the marker rule
/// (999999) logs.
pub fn marker(header_name: &str, marker: &str) -> Vec<u8> {
    build(&Input {
        method: "GET".into(),
        uri: "/status/200".into(),
        version: "HTTP/1.1".into(),
        headers: vec![
            ("Accept".into(), "*/*".into()),
            ("User-Agent".into(), "go-ftw test agent".into()),
            ("Host".into(), "localhost".into()),
            (header_name.into(), marker.into()),
        ],
        data: Vec::new(),
        autocomplete_headers: true,
        raw_request: None,
        multipart_lf_to_crlf: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(data: &str) -> String {
        let input = Input {
            method: "POST".into(),
            uri: "/".into(),
            version: "HTTP/1.1".into(),
            data: data.as_bytes().to_vec(),
            autocomplete_headers: true,
            ..Input::default()
        };
        let raw = String::from_utf8(build(&input)).unwrap();
        raw.split_once("\r\n\r\n").unwrap().1.to_string()
    }

    #[test]
    fn form_bodies_are_escaped_as_go_ftw_does() {
        assert_eq!(form("a=b c&d=<x>&"), "a=b+c&d=%3Cx%3E");
        assert_eq!(form("a=%3C&b=c d"), "a=%3C&b=c d");
        assert_eq!(form("x&&y"), "x&&y");
        assert_eq!(form("k=v=w"), "k=v%3Dw");
    }
}
