//! The loopback backend the CRS tests expect (go-ftw's "albedo"): every path answers 200 with an
//! empty body, except `POST /reflect`, which answers with the status, headers and body its JSON
//! request asks for, so response-phase rules see a chosen response.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

pub struct ReflectBackend {
    pub port: u16,
}

impl ReflectBackend {
    pub fn start() -> ReflectBackend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || serve(stream));
            }
        });
        ReflectBackend { port }
    }
}

fn serve(stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some(request_line) = read_line_lossy(&mut reader) else {
        return;
    };
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let Some(line) = read_line_lossy(&mut reader) else {
            return;
        };
        if line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            }
        }
    }
    let body = if chunked {
        read_chunked(&mut reader)
    } else {
        let mut body = vec![0u8; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        body
    };
    let path = request_line.split(' ').nth(1).unwrap_or("/");
    let response = if path.starts_with("/reflect") {
        reflect(&body)
    } else {
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
    };
    let mut stream = stream;
    let _ = stream.write_all(&response);
}

/// One line of the request head; header values may hold any byte (invalid UTF-8 included), so
/// the line is read as bytes and converted lossily. None at the end of the stream.
fn read_line_lossy(reader: &mut impl BufRead) -> Option<String> {
    let mut line = Vec::new();
    match reader.read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(String::from_utf8_lossy(&line).into_owned()),
    }
}

fn read_chunked(reader: &mut impl BufRead) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line).unwrap_or(0) == 0 {
            return body;
        }
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
            .unwrap_or(0);
        if size == 0 {
            let mut trailer = String::new();
            let _ = reader.read_line(&mut trailer);
            return body;
        }
        let mut chunk = vec![0u8; size + 2];
        if reader.read_exact(&mut chunk).is_err() {
            return body;
        }
        chunk.truncate(size);
        body.extend_from_slice(&chunk);
    }
}

/// `{"status": 200, "headers": {...}, "body": "...", "encodedBody": "<base64>"}`.
fn reflect(request_body: &[u8]) -> Vec<u8> {
    let spec: Value = serde_json::from_slice(request_body).unwrap_or(Value::Null);
    let status = spec.get("status").and_then(Value::as_u64).unwrap_or(200);
    let body: Vec<u8> = match (spec.get("encodedBody"), spec.get("body")) {
        (Some(Value::String(encoded)), _) if !encoded.is_empty() => {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap_or_default()
        }
        (_, Some(Value::String(body))) => body.clone().into_bytes(),
        _ => Vec::new(),
    };
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    let mut has_content_type = false;
    if let Some(Value::Object(headers)) = spec.get("headers") {
        for (name, value) in headers {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            if name.eq_ignore_ascii_case("content-type") {
                has_content_type = true;
            }
            if name.eq_ignore_ascii_case("content-length")
                || name.eq_ignore_ascii_case("connection")
            {
                continue;
            }
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    if !has_content_type && !body.is_empty() {
        head.push_str(&format!("Content-Type: {}\r\n", sniff_content_type(&body)));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut response = head.into_bytes();
    response.extend_from_slice(&body);
    response
}

fn reason(status: u64) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// What Go's `http.DetectContentType` answers for the bodies the tests reflect (albedo lets Go's
/// server sniff): HTML by its leading tags, XML by `<?xml`, otherwise UTF-8 text.
fn sniff_content_type(body: &[u8]) -> &'static str {
    let start = body
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
        .unwrap_or(body.len());
    let text = &body[start..];
    const HTML_TAGS: &[&str] = &[
        "<!DOCTYPE HTML",
        "<HTML",
        "<HEAD",
        "<SCRIPT",
        "<IFRAME",
        "<H1",
        "<DIV",
        "<FONT",
        "<TABLE",
        "<A",
        "<STYLE",
        "<TITLE",
        "<B",
        "<BODY",
        "<BR",
        "<P",
        "<!--",
    ];
    for tag in HTML_TAGS {
        let tag = tag.as_bytes();
        if text.len() > tag.len()
            && text[..tag.len()].eq_ignore_ascii_case(tag)
            && matches!(text[tag.len()], b' ' | b'>')
        {
            return "text/html; charset=utf-8";
        }
    }
    if text.starts_with(b"<?xml") {
        return "text/xml; charset=utf-8";
    }
    if body
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x1b'))
    {
        return "application/octet-stream";
    }
    "text/plain; charset=utf-8"
}
