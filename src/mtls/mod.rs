//! Client-certificate facts computed from the DER nginx's TLS layer verified: fingerprints,
//! RFC 2253 subject and issuer, serial, subject alternative names, and the header forms
//! (`ssl-client-*`, Envoy's `x-forwarded-client-cert`) forwarded to the upstream.
#![forbid(unsafe_code)]

mod dn;
mod headers;

use std::fmt::Write;
use std::net::IpAddr;

use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::AnyRef;
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName as SubjectAltNameExtension;
use x509_cert::Certificate;

pub use headers::{
    is_identity_header, FINGERPRINT_HEADER, ISSUER_DN_HEADER, SUBJECT_DN_HEADER, VERIFY_HEADER,
    XFCC_HEADER,
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
    /// Parses a DER certificate. Anything `x509-cert` rejects is an error: truncated or garbage
    /// input, trailing bytes, a serial number longer than 21 bytes, a name using a string type the
    /// `der` crate does not know (UniversalString) or a subjectAltName that does not decode.
    pub fn from_der(der: &[u8]) -> Result<ClientCertificate, CertificateError> {
        let certificate =
            Certificate::from_der(der).map_err(|e| CertificateError(e.to_string()))?;
        let names = raw_names(der).map_err(|e| CertificateError(format!("name: {e}")))?;
        Ok(ClientCertificate {
            sha1_hex: hex_lower(&Sha1::digest(der)),
            sha256_hex: hex_lower(&Sha256::digest(der)),
            subject_dn: dn::rfc2253(names.subject)
                .map_err(|e| CertificateError(format!("subject: {e}")))?,
            issuer_dn: dn::rfc2253(names.issuer)
                .map_err(|e| CertificateError(format!("issuer: {e}")))?,
            serial_hex: serial_hex(certificate.tbs_certificate.serial_number.as_bytes()),
            subject_alt_names: subject_alt_names(&certificate.tbs_certificate)?,
        })
    }

    /// One element of Envoy's `x-forwarded-client-cert`, as Envoy writes it with
    /// `set_current_client_cert_details { subject: true, uri: true, dns: true }`:
    ///
    /// ```text
    /// Hash=<sha256 hex>;Subject="<subject DN>";URI=<uri SAN>;...;DNS=<dns SAN>;...
    /// ```
    ///
    /// * `Hash`: SHA-256 of the DER, 64 lowercase hex digits.
    /// * `Subject`: the RFC 2253 subject exactly as `subject_dn` (and nginx's `$ssl_client_s_dn`),
    ///   always in double quotes and otherwise unchanged, as Envoy does. RFC 2253 already escapes
    ///   every `"` and `\` in it with a backslash, and control and non-ASCII bytes as `\XX`, so
    ///   the quoted string cannot end early and holds no byte a header cannot carry.
    /// * `URI`: one pair per URI SAN in certificate order; a lone empty `URI=` when there is none
    ///   (Envoy keeps the key).
    /// * `DNS`: one pair per DNS SAN in certificate order; no key when there is none.
    ///
    /// Envoy writes SAN values verbatim. Here a value containing `,`, `;`, `=`, `"` or `\` is
    /// double-quoted with `"` and `\` backslash-escaped, as Envoy's header documentation asks,
    /// so that a SAN cannot add pairs or elements; a SAN containing control characters is left
    /// out, since no escaping makes it safe in a header.
    pub fn xfcc(&self) -> String {
        let mut out = format!("Hash={};Subject=\"{}\"", self.sha256_hex, self.subject_dn);
        let mut uris = 0;
        for san in &self.subject_alt_names {
            if let SubjectAltName::Uri(uri) = san {
                uris += usize::from(push_xfcc_pair(&mut out, "URI", uri));
            }
        }
        if uris == 0 {
            out.push_str(";URI=");
        }
        for san in &self.subject_alt_names {
            if let SubjectAltName::Dns(dns) = san {
                push_xfcc_pair(&mut out, "DNS", dns);
            }
        }
        out
    }
}

fn push_xfcc_pair(out: &mut String, key: &str, value: &str) -> bool {
    if value.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return false;
    }
    let _ = write!(out, ";{key}=");
    if value.contains([',', ';', '=', '"', '\\']) {
        out.push('"');
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
    true
}

/// The content of the issuer and subject `Name`s as encoded in the certificate.
struct RawNames<'a> {
    issuer: &'a [u8],
    subject: &'a [u8],
}

/// Certificate ::= SEQUENCE { tbsCertificate, .. }; TBSCertificate ::= SEQUENCE { [0] version
/// OPTIONAL, serialNumber, signature, issuer, validity, subject, .. }.
fn raw_names(der: &[u8]) -> x509_cert::der::Result<RawNames<'_>> {
    let certificate = AnyRef::from_der(der)?;
    let tbs = dn::elements(certificate.value())?;
    let (tbs, _) = tbs.first().ok_or(Tag::Sequence.value_error())?;
    let fields = dn::elements(tbs.value())?;
    let skip = usize::from(
        fields
            .first()
            .is_some_and(|(f, _)| f.tag().is_context_specific()),
    );
    let field = |i: usize| {
        fields
            .get(skip + i)
            .map(|(f, _)| f.value())
            .ok_or(Tag::Sequence.value_error())
    };
    Ok(RawNames {
        issuer: field(2)?,
        subject: field(4)?,
    })
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
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
    let start = magnitude
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(magnitude.len());
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

fn subject_alt_names(
    tbs: &x509_cert::TbsCertificate,
) -> Result<Vec<SubjectAltName>, CertificateError> {
    let Some(extensions) = &tbs.extensions else {
        return Ok(Vec::new());
    };
    let Some(extension) = extensions
        .iter()
        .find(|e| e.extn_id == x509_cert::der::oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME)
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
