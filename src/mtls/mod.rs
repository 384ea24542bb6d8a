//! Client-certificate facts computed from the DER nginx's TLS layer verified: fingerprints,
//! RFC 2253 subject and issuer, serial, subject alternative names, and the header forms
//! (`ssl-client-*`, Envoy's `x-forwarded-client-cert`) forwarded to the upstream.
#![forbid(unsafe_code)]

mod dn;
mod headers;

use std::fmt::Write;
use std::net::IpAddr;

use x509_cert::der::Decode;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName as SubjectAltNameExtension;
use x509_cert::Certificate;

pub use headers::{
    is_identity_header, FINGERPRINT_HEADER, ISSUER_DN_HEADER, SUBJECT_DN_HEADER, VERIFY_HEADER, XFCC_HEADER,
};

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
    Ip(IpAddr),
}

impl SubjectAltName {
    /// The kind as rules name it (`SSL_CLIENT_SAN:dns`).
    pub fn kind(&self) -> &'static str {
        match self {
            SubjectAltName::Dns(_) => "dns",
            SubjectAltName::Uri(_) => "uri",
            SubjectAltName::Email(_) => "email",
            SubjectAltName::Ip(_) => "ip",
        }
    }

    pub fn value(&self) -> String {
        match self {
            SubjectAltName::Dns(v) | SubjectAltName::Uri(v) | SubjectAltName::Email(v) => v.clone(),
            SubjectAltName::Ip(ip) => ip.to_string(),
        }
    }
}

/// The certificate could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateError(pub String);

impl std::fmt::Display for CertificateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "client certificate: {}", self.0)
    }
}

impl std::error::Error for CertificateError {}

/// The digest `ssl-client-fingerprint` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerprintDigest {
    Sha1,
    Sha256,
}

impl FingerprintDigest {
    pub fn hex_of<'c>(&self, certificate: &'c ClientCertificate) -> &'c str {
        match self {
            FingerprintDigest::Sha1 => &certificate.sha1_hex,
            FingerprintDigest::Sha256 => &certificate.sha256_hex,
        }
    }
}

impl ClientCertificate {
    pub fn from_der(der: &[u8]) -> Result<ClientCertificate, CertificateError> {
        let certificate = Certificate::from_der(der).map_err(|e| CertificateError(e.to_string()))?;
        let tbs = &certificate.tbs_certificate;
        Ok(ClientCertificate {
            sha1_hex: hex_lower(&Sha1::digest(der)),
            sha256_hex: hex_lower(&Sha256::digest(der)),
            subject_dn: dn::rfc2253(&tbs.subject),
            issuer_dn: dn::rfc2253(&tbs.issuer),
            serial_hex: serial_hex(tbs.serial_number.as_bytes()),
            subject_alt_names: subject_alt_names(tbs)?,
        })
    }

    /// One element of Envoy's `x-forwarded-client-cert`:
    /// `Hash=<sha256 hex>;Subject="<RFC 2253 subject>";URI=<uri>;DNS=<dns>`, with `URI=` and `DNS=`
    /// once per SAN of that kind in certificate order, and `"` and `\` in the subject escaped with
    /// a backslash (Envoy quotes values that may contain `,`, `;` or `=`).
    pub fn xfcc(&self) -> String {
        let mut out = format!("Hash={};Subject=\"", self.sha256_hex);
        for c in self.subject_dn.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        for san in &self.subject_alt_names {
            if let SubjectAltName::Uri(uri) = san {
                let _ = write!(out, ";URI={uri}");
            }
        }
        for san in &self.subject_alt_names {
            if let SubjectAltName::Dns(dns) = san {
                let _ = write!(out, ";DNS={dns}");
            }
        }
        out
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// OpenSSL's `i2a_ASN1_INTEGER` (nginx's `$ssl_client_serial`): uppercase hex of the magnitude,
/// two digits per byte, `-` before a negative number, `00` for zero.
fn serial_hex(der_content: &[u8]) -> String {
    let negative = der_content.first().is_some_and(|b| b & 0x80 != 0);
    let magnitude: Vec<u8> = if negative {
        // two's complement -> magnitude
        let mut m: Vec<u8> = der_content.iter().map(|b| !b).collect();
        for byte in m.iter_mut().rev() {
            let (v, carry) = byte.overflowing_add(1);
            *byte = v;
            if !carry {
                break;
            }
        }
        m
    } else {
        der_content.to_vec()
    };
    let start = magnitude.iter().position(|&b| b != 0).unwrap_or(magnitude.len());
    let digits = &magnitude[start..];
    if digits.is_empty() {
        return "00".to_string();
    }
    let mut out = String::from(if negative { "-" } else { "" });
    for b in digits {
        let _ = write!(out, "{b:02X}");
    }
    out
}

fn subject_alt_names(tbs: &x509_cert::TbsCertificate) -> Result<Vec<SubjectAltName>, CertificateError> {
    let Some(extensions) = &tbs.extensions else {
        return Ok(Vec::new());
    };
    let Some(extension) =
        extensions.iter().find(|e| e.extn_id == x509_cert::der::oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME)
    else {
        return Ok(Vec::new());
    };
    let names = SubjectAltNameExtension::from_der(extension.extn_value.as_bytes())
        .map_err(|e| CertificateError(format!("subjectAltName: {e}")))?;
    Ok(names
        .0
        .into_iter()
        .filter_map(|name| match name {
            GeneralName::DnsName(v) => Some(SubjectAltName::Dns(v.to_string())),
            GeneralName::UniformResourceIdentifier(v) => Some(SubjectAltName::Uri(v.to_string())),
            GeneralName::Rfc822Name(v) => Some(SubjectAltName::Email(v.to_string())),
            GeneralName::IpAddress(octets) => match octets.as_bytes() {
                &[a, b, c, d] => Some(SubjectAltName::Ip(IpAddr::from([a, b, c, d]))),
                bytes if bytes.len() == 16 => {
                    let mut v6 = [0u8; 16];
                    v6.copy_from_slice(bytes);
                    Some(SubjectAltName::Ip(IpAddr::from(v6)))
                }
                _ => None,
            },
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests;
