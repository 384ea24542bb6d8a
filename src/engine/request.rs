//! What the engine may ask of a request. The nginx side implements [`RequestView`] over nginx's
//! own request structures, so nothing is copied unless a rule reads it; tests implement it over
//! plain data.

use crate::mtls::ClientCertificate;

/// A read-only view of one HTTP request, borrowed for the duration of one phase.
pub trait RequestView {
    /// Client address as text, after nginx's realip module (`REMOTE_ADDR`).
    fn remote_addr(&self) -> &[u8];
    fn remote_port(&self) -> u16;
    /// `REQUEST_METHOD`, e.g. `GET`.
    fn method(&self) -> &[u8];
    /// The request target exactly as the client sent it, query included (`REQUEST_URI`).
    fn uri(&self) -> &[u8];
    /// The part of the request target after the first `?`, empty if none (`QUERY_STRING`).
    fn query_string(&self) -> &[u8];
    /// e.g. `HTTP/1.1` (`REQUEST_PROTOCOL`).
    fn protocol(&self) -> &[u8];
    /// The first line of the request, without CRLF (`REQUEST_LINE`).
    fn request_line(&self) -> &[u8];
    /// Every request header in the order received, duplicates included.
    fn for_each_header<'s>(&'s self, f: &mut dyn FnMut(&'s [u8], &'s [u8]));
    /// The decoded path, without the query string (the `[uri ...]` of log lines).
    fn path(&self) -> &[u8];
    /// The server address the request arrived on (the `[hostname ...]` of log lines, which
    /// libmodsecurity fills with the server's IP address).
    fn hostname(&self) -> &[u8];
    /// The server port the request arrived on (`SERVER_PORT`).
    fn server_port(&self) -> u16;
    /// The transaction id (`UNIQUE_ID`, the `[unique_id ...]` of log lines).
    fn unique_id(&self) -> &[u8];
    /// nginx's `$ssl_client_verify`: `SUCCESS`, `FAILED:<reason>`, `NONE`; empty on plain HTTP.
    fn ssl_client_verify(&self) -> &[u8];
    /// The client certificate, only when nginx verified it (`SSL_CLIENT_VERIFY` is `SUCCESS`).
    fn ssl_client_certificate(&self) -> Option<&ClientCertificate>;
}
