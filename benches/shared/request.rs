//! A request as plain data, for driving the engine without nginx: the one [`RequestView`] of the
//! tests (`tests/common/mod.rs`) and the engine benchmarks (`traffic.rs`), which include this file
//! with `#[path]`. `Request::default()` is a request with nothing in it (for operators run
//! directly: a macro-free parameter never asks for the request); `Request::new` one with a method
//! and target. Its parts are split once, when built, so a benchmark times the engine and not the
//! view.
// Each includer uses a part of it.
#![allow(dead_code)]

use secrules::engine::RequestView;
use secrules::mtls::ClientCertificate;

#[derive(Clone, Debug, Default)]
pub struct Request {
    pub remote_addr: String,
    pub remote_port: u16,
    /// Method and target as given to `new`, which derives path, query and request line from them.
    pub method: &'static str,
    pub uri: String,
    path: String,
    query: String,
    protocol: String,
    request_line: String,
    pub headers: Vec<(String, String)>,
    pub hostname: String,
    pub server_port: u16,
    pub unique_id: String,
    /// `$ssl_client_verify`: empty on plain HTTP.
    pub verify: String,
    pub certificate: Option<ClientCertificate>,
    /// The body phase 2 gets; empty: none.
    pub body: Vec<u8>,
}

impl Request {
    /// `METHOD TARGET HTTP/1.1` with no headers, from 127.0.0.1:40000 to 127.0.0.1:80. The path
    /// is the target up to `?`, left encoded.
    pub fn new(method: &'static str, uri: &str) -> Request {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        Request {
            remote_addr: "127.0.0.1".into(),
            remote_port: 40000,
            method,
            uri: uri.into(),
            path: path.into(),
            query: query.into(),
            protocol: "HTTP/1.1".into(),
            request_line: format!("{method} {uri} HTTP/1.1"),
            hostname: "127.0.0.1".into(),
            server_port: 80,
            ..Request::default()
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The Content-Type header, or "" without one.
    pub fn content_type(&self) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map_or("", |(_, v)| v.as_str())
    }
}

impl RequestView for Request {
    fn remote_addr(&self) -> &[u8] {
        self.remote_addr.as_bytes()
    }
    fn remote_port(&self) -> u16 {
        self.remote_port
    }
    fn method(&self) -> &[u8] {
        self.method.as_bytes()
    }
    fn uri(&self) -> &[u8] {
        self.uri.as_bytes()
    }
    fn query_string(&self) -> &[u8] {
        self.query.as_bytes()
    }
    fn protocol(&self) -> &[u8] {
        self.protocol.as_bytes()
    }
    fn request_line(&self) -> &[u8] {
        self.request_line.as_bytes()
    }
    fn for_each_header<'s>(&'s self, f: &mut dyn FnMut(&'s [u8], &'s [u8])) {
        for (name, value) in &self.headers {
            f(name.as_bytes(), value.as_bytes());
        }
    }
    fn path(&self) -> &[u8] {
        self.path.as_bytes()
    }
    fn hostname(&self) -> &[u8] {
        self.hostname.as_bytes()
    }
    fn server_port(&self) -> u16 {
        self.server_port
    }
    fn unique_id(&self) -> &[u8] {
        self.unique_id.as_bytes()
    }
    fn ssl_client_verify(&self) -> &[u8] {
        self.verify.as_bytes()
    }
    fn ssl_client_certificate(&self) -> Option<&ClientCertificate> {
        self.certificate.as_ref()
    }
}
