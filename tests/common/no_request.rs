//! A request with nothing in it, for driving operators directly through the engine API.

use secrules::engine::RequestView;
use secrules::mtls::ClientCertificate;

/// Operators see no request here; a macro-free parameter never asks for one.
pub struct NoRequest;

impl RequestView for NoRequest {
    fn remote_addr(&self) -> &[u8] {
        b""
    }
    fn remote_port(&self) -> u16 {
        0
    }
    fn method(&self) -> &[u8] {
        b""
    }
    fn uri(&self) -> &[u8] {
        b""
    }
    fn query_string(&self) -> &[u8] {
        b""
    }
    fn protocol(&self) -> &[u8] {
        b""
    }
    fn request_line(&self) -> &[u8] {
        b""
    }
    fn for_each_header<'s>(&'s self, _f: &mut dyn FnMut(&'s [u8], &'s [u8])) {}
    fn path(&self) -> &[u8] {
        b""
    }
    fn hostname(&self) -> &[u8] {
        b""
    }
    fn server_port(&self) -> u16 {
        0
    }
    fn unique_id(&self) -> &[u8] {
        b""
    }
    fn ssl_client_verify(&self) -> &[u8] {
        b""
    }
    fn ssl_client_certificate(&self) -> Option<&ClientCertificate> {
        None
    }
}
