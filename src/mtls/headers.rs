//! The identity headers' names, and the test for client-sent copies that must be removed.

pub const FINGERPRINT_HEADER: &str = "ssl-client-fingerprint";
pub const VERIFY_HEADER: &str = "ssl-client-verify";
pub const SUBJECT_DN_HEADER: &str = "ssl-client-subject-dn";
pub const ISSUER_DN_HEADER: &str = "ssl-client-issuer-dn";
pub const XFCC_HEADER: &str = "x-forwarded-client-cert";

const IDENTITY_HEADERS: [&str; 5] = [
    FINGERPRINT_HEADER,
    VERIFY_HEADER,
    SUBJECT_DN_HEADER,
    ISSUER_DN_HEADER,
    XFCC_HEADER,
];

/// Whether a client-sent header `name` would pass for an identity header at some backend:
/// compared ASCII case-insensitively, with `_` equal to `-` because CGI, WSGI and PHP map both to
/// the same variable (`HTTP_SSL_CLIENT_FINGERPRINT`).
pub fn is_identity_header(name: &[u8]) -> bool {
    IDENTITY_HEADERS.iter().any(|identity| {
        identity.len() == name.len()
            && identity.bytes().zip(name).all(|(i, &n)| {
                let n = if n == b'_' {
                    b'-'
                } else {
                    n.to_ascii_lowercase()
                };
                i == n
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_headers_match_in_any_case_and_with_underscores() {
        let cases: [(&[u8], bool); 14] = [
            (b"ssl-client-fingerprint", true),
            (b"SSL-Client-Fingerprint", true),
            (b"ssl_client_fingerprint", true),
            (b"SSL_CLIENT-VERIFY", true),
            (b"ssl_client_subject_dn", true),
            (b"Ssl-Client-Issuer_Dn", true),
            (b"X-Forwarded-Client-Cert", true),
            (b"x_forwarded_client_cert", true),
            (b"ssl-client-fingerprints", false),
            (b"ssl-client-fingerprint ", false),
            (b"ssl-client", false),
            (b"x-forwarded-for", false),
            (b"", false),
            (b"ssl-client-verify\0", false),
        ];
        for (name, expected) in cases {
            assert_eq!(
                is_identity_header(name),
                expected,
                "{}",
                String::from_utf8_lossy(name)
            );
        }
        for name in IDENTITY_HEADERS {
            assert!(
                is_identity_header(name.as_bytes())
                    && is_identity_header(name.to_uppercase().as_bytes())
            );
        }
    }
}
