//! The client certificate as nginx's TLS layer left it: verification status and DER bytes,
//! read from the SSL object of the request's connection through the OpenSSL nginx already links.

use std::ffi::CStr;
use std::ptr;

use ngx::ffi::{
    i2d_X509, ngx_http_request_t, ngx_ssl_ocsp_get_status, SSL_get1_peer_certificate,
    SSL_get_verify_result, X509_free, X509_verify_cert_error_string, X509_V_OK,
};

/// What the TLS handshake established about the client.
pub struct PeerCertificate {
    /// `SUCCESS`, `FAILED:<reason>` or `NONE`, exactly as nginx's `$ssl_client_verify`.
    pub verify: Vec<u8>,
    /// The DER of the client certificate, only when `verify` is `SUCCESS`.
    pub verified_der: Option<Vec<u8>>,
}

/// Reads the client certificate of `r`'s connection; `None` on plain HTTP.
///
/// # Safety
/// `r` must be a live request of this worker.
pub unsafe fn read(r: *mut ngx_http_request_t) -> Option<PeerCertificate> {
    let connection = (*r).connection;
    // HTTP/2 streams carry a copy of the TLS connection's `ssl` pointer, so this covers them too.
    if connection.is_null()
        || (*connection).ssl.is_null()
        || (*(*connection).ssl).connection.is_null()
    {
        return None;
    }
    let ssl = (*(*connection).ssl).connection;
    let cert = SSL_get1_peer_certificate(ssl);
    if cert.is_null() {
        return Some(PeerCertificate {
            verify: b"NONE".to_vec(),
            verified_der: None,
        });
    }
    let verify = verify_status(connection, SSL_get_verify_result(ssl));
    let verified_der = if verify == b"SUCCESS" {
        der_of(cert)
    } else {
        None
    };
    X509_free(cert);
    Some(PeerCertificate {
        verify,
        verified_der,
    })
}

/// nginx's `$ssl_client_verify` for a connection with a peer certificate: the chain result, then
/// (when nginx checks it) the certificate's OCSP status.
unsafe fn verify_status(
    connection: *mut ngx::ffi::ngx_connection_t,
    result: std::ffi::c_long,
) -> Vec<u8> {
    if result != X509_V_OK as std::ffi::c_long {
        let reason = CStr::from_ptr(X509_verify_cert_error_string(result));
        return [b"FAILED:".as_slice(), reason.to_bytes()].concat();
    }
    let mut reason: *const std::ffi::c_char = ptr::null();
    if ngx_ssl_ocsp_get_status(connection, &mut reason) == 0 {
        return b"SUCCESS".to_vec();
    }
    let reason = if reason.is_null() {
        b"".as_slice()
    } else {
        CStr::from_ptr(reason).to_bytes()
    };
    [b"FAILED:".as_slice(), reason].concat()
}

unsafe fn der_of(cert: *mut ngx::ffi::X509) -> Option<Vec<u8>> {
    let len = i2d_X509(cert, ptr::null_mut());
    if len <= 0 {
        return None;
    }
    let mut der = vec![0u8; len as usize];
    let mut out = der.as_mut_ptr();
    // i2d_X509 writes exactly `len` bytes (the length it just reported) and advances `out`.
    if i2d_X509(cert, &mut out) != len {
        return None;
    }
    Some(der)
}
