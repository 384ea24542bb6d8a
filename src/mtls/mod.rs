//! Client-certificate facts computed from the DER nginx's TLS layer verified: fingerprints,
//! RFC 2253 subject and issuer, serial, subject alternative names, and the header forms
//! (`ssl-client-*`, Envoy's `x-forwarded-client-cert`) forwarded to the upstream.
#![forbid(unsafe_code)]

/// Everything secrules derives from one client certificate. Built once per request, only when a
/// rule or the header forwarding needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// SHA-1 of the DER, 40 lowercase hex digits (= nginx's `$ssl_client_fingerprint`).
    pub sha1_hex: String,
    /// SHA-256 of the DER, 64 lowercase hex digits.
    pub sha256_hex: String,
    /// RFC 2253 subject (= nginx's `$ssl_client_s_dn`).
    pub subject_dn: String,
    /// RFC 2253 issuer (= nginx's `$ssl_client_i_dn`).
    pub issuer_dn: String,
    /// Serial number, uppercase hex (= nginx's `$ssl_client_serial`).
    pub serial_hex: String,
    /// Subject alternative names in certificate order.
    pub subject_alt_names: Vec<SubjectAltName>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectAltName {
    Dns(String),
    Uri(String),
    Email(String),
    Ip(std::net::IpAddr),
}
