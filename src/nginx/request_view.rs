//! [`RequestView`] over nginx's own request: the engine reads nginx's buffers directly, and the
//! client certificate is fetched and parsed only if something asks for it.

use std::cell::OnceCell;

use ngx::ffi::{
    ngx_connection_local_sockaddr, ngx_http_request_t, ngx_inet_get_port, ngx_str_t,
    ngx_table_elt_t,
};

use super::client_cert::{self, PeerCertificate};
use crate::engine::RequestView;
use crate::mtls::ClientCertificate;

pub struct NginxRequest {
    r: *mut ngx_http_request_t,
    unique_id: Vec<u8>,
    peer: OnceCell<Option<PeerCertificate>>,
    certificate: OnceCell<Option<ClientCertificate>>,
    server_addr: OnceCell<Vec<u8>>,
}

/// The bytes of an nginx string (empty when unset).
///
/// # Safety
/// `s` must describe memory valid for the lifetime `'a`.
pub unsafe fn bytes<'a>(s: &ngx_str_t) -> &'a [u8] {
    if s.data.is_null() || s.len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(s.data, s.len)
    }
}

impl NginxRequest {
    /// # Safety
    /// `r` must be a live request that outlives the returned view; the view is used only on the
    /// worker thread, within the handler call that created it.
    pub unsafe fn new(r: *mut ngx_http_request_t, unique_id: Vec<u8>) -> NginxRequest {
        NginxRequest {
            r,
            unique_id,
            peer: OnceCell::new(),
            certificate: OnceCell::new(),
            server_addr: OnceCell::new(),
        }
    }

    fn request(&self) -> &ngx_http_request_t {
        // SAFETY: `new`'s contract keeps `r` alive for as long as `self`.
        unsafe { &*self.r }
    }

    fn peer(&self) -> Option<&PeerCertificate> {
        // SAFETY: `new`'s contract keeps `r` alive for as long as `self`.
        self.peer
            .get_or_init(|| unsafe { client_cert::read(self.r) })
            .as_ref()
    }
}

impl RequestView for NginxRequest {
    fn remote_addr(&self) -> &[u8] {
        // SAFETY: the connection and its address text live as long as the request.
        unsafe { bytes(&(*self.request().connection).addr_text) }
    }

    fn remote_port(&self) -> u16 {
        // SAFETY: as above; ngx_inet_get_port only reads the sockaddr.
        unsafe { ngx_inet_get_port((*self.request().connection).sockaddr) }
    }

    fn method(&self) -> &[u8] {
        // SAFETY: request fields point into the request's buffers/pool (or static strings).
        unsafe { bytes(&self.request().method_name) }
    }

    fn uri(&self) -> &[u8] {
        // SAFETY: as above.
        unsafe { bytes(&self.request().unparsed_uri) }
    }

    fn query_string(&self) -> &[u8] {
        // SAFETY: as above.
        unsafe { bytes(&self.request().args) }
    }

    fn protocol(&self) -> &[u8] {
        // SAFETY: as above.
        unsafe { bytes(&self.request().http_protocol) }
    }

    fn request_line(&self) -> &[u8] {
        // SAFETY: as above.
        unsafe { bytes(&self.request().request_line) }
    }

    fn for_each_header<'s>(&'s self, f: &mut dyn FnMut(&'s [u8], &'s [u8])) {
        // SAFETY: headers_in.headers is an ngx_list_t of ngx_table_elt_t owned by the request.
        unsafe {
            let mut part =
                &self.request().headers_in.headers.part as *const ngx::ffi::ngx_list_part_t;
            while !part.is_null() {
                let elements = (*part).elts as *const ngx_table_elt_t;
                for i in 0..(*part).nelts {
                    let header = &*elements.add(i);
                    f(bytes(&header.key), bytes(&header.value));
                }
                part = (*part).next;
            }
        }
    }

    fn path(&self) -> &[u8] {
        // SAFETY: as above.
        unsafe { bytes(&self.request().uri) }
    }

    fn hostname(&self) -> &[u8] {
        self.server_addr.get_or_init(|| {
            let mut buffer = [0u8; 64];
            let mut text = ngx_str_t {
                len: buffer.len(),
                data: buffer.as_mut_ptr(),
            };
            // SAFETY: the connection is live; nginx writes at most `text.len` bytes into `buffer`
            // (a listening socket on a wildcard address is resolved with getsockname).
            let rc =
                unsafe { ngx_connection_local_sockaddr(self.request().connection, &mut text, 0) };
            if rc != 0 {
                return Vec::new();
            }
            // SAFETY: on success `text` describes the bytes nginx wrote into `buffer`.
            unsafe { bytes(&text) }.to_vec()
        })
    }

    fn server_port(&self) -> u16 {
        // hostname() resolves a wildcard listening address to the connection's own first.
        self.hostname();
        // SAFETY: the connection and its local sockaddr live as long as the request.
        unsafe { ngx_inet_get_port((*self.request().connection).local_sockaddr) }
    }

    fn unique_id(&self) -> &[u8] {
        &self.unique_id
    }

    fn ssl_client_verify(&self) -> &[u8] {
        self.peer()
            .map(|peer| peer.verify.as_slice())
            .unwrap_or(b"")
    }

    fn ssl_client_certificate(&self) -> Option<&ClientCertificate> {
        self.certificate
            .get_or_init(|| {
                let der = self.peer()?.verified_der.as_deref()?;
                // A certificate OpenSSL verified but x509-cert cannot parse is treated as absent:
                // rules then see no identity rather than a guessed one.
                ClientCertificate::from_der(der).ok()
            })
            .as_ref()
    }
}
