//! The client identity headers the upstream receives. A client must never be able to present an
//! identity itself: every copy it sent (in any case, with `_` for `-`) is removed before ours are
//! added, whatever the TLS state.

use std::mem::size_of;

use ngx::ffi::{
    ngx_hash_key, ngx_http_request_t, ngx_list_init, ngx_list_push, ngx_str_t, ngx_table_elt_t,
};

use super::conf::LocationConf;
use super::request_view::{bytes, NginxRequest};
use crate::engine::RequestView;
use crate::mtls::{
    is_identity_header, FINGERPRINT_HEADER, ISSUER_DN_HEADER, SUBJECT_DN_HEADER, VERIFY_HEADER,
    XFCC_HEADER,
};

/// Removes client-sent identity headers and adds the ones the configuration asks for.
///
/// # Safety
/// `r` must be the live main request `view` was made from.
pub unsafe fn forward_client_identity(
    r: *mut ngx_http_request_t,
    conf: &LocationConf,
    view: &NginxRequest,
) -> Result<(), ()> {
    remove_identity_headers(r)?;
    let certificate = view.ssl_client_certificate();
    if conf.client_cert_headers == 1 {
        let verify = match view.ssl_client_verify() {
            b"" => b"NONE".as_slice(),
            status => status,
        };
        add_header(r, VERIFY_HEADER, verify)?;
        if let Some(certificate) = certificate {
            add_header(
                r,
                FINGERPRINT_HEADER,
                conf.digest().hex_of(certificate).as_bytes(),
            )?;
            add_header(r, SUBJECT_DN_HEADER, certificate.subject_dn.as_bytes())?;
            add_header(r, ISSUER_DN_HEADER, certificate.issuer_dn.as_bytes())?;
        }
    }
    if conf.xfcc == 1 {
        if let Some(certificate) = certificate {
            add_header(r, XFCC_HEADER, certificate.xfcc().as_bytes())?;
        }
    }
    Ok(())
}

/// nginx lists cannot drop elements, so when a client sent any identity header the list is
/// rebuilt without them. Other pointers into the old elements (`headers_in.host`, ...) stay
/// valid: the old elements remain in the request pool unchanged.
unsafe fn remove_identity_headers(r: *mut ngx_http_request_t) -> Result<(), ()> {
    let mut kept: Vec<ngx_table_elt_t> = Vec::new();
    let mut removed = false;
    let mut part = &(*r).headers_in.headers.part as *const ngx::ffi::ngx_list_part_t;
    while !part.is_null() {
        let elements = (*part).elts as *const ngx_table_elt_t;
        for i in 0..(*part).nelts {
            let header = *elements.add(i);
            if is_identity_header(bytes(&header.key)) {
                removed = true;
            } else {
                kept.push(header);
            }
        }
        part = (*part).next;
    }
    if !removed {
        return Ok(());
    }
    let list = &mut (*r).headers_in.headers;
    if ngx_list_init(
        list,
        (*r).pool,
        kept.len().max(1) + 4,
        size_of::<ngx_table_elt_t>(),
    ) != 0
    {
        return Err(());
    }
    for header in kept {
        let slot = ngx_list_push(list) as *mut ngx_table_elt_t;
        if slot.is_null() {
            return Err(());
        }
        *slot = header;
    }
    Ok(())
}

/// Appends a request header. `hash` and `lowcase_key` are set as nginx's parser sets them, so a
/// `proxy_set_header` of the same name replaces ours the way it replaces any client header.
unsafe fn add_header(r: *mut ngx_http_request_t, name: &str, value: &[u8]) -> Result<(), ()> {
    let pool = (*r).pool;
    let key = ngx_str_t::from_bytes(pool, name.as_bytes()).ok_or(())?;
    let value = ngx_str_t::from_bytes(pool, value).ok_or(())?;
    let slot = ngx_list_push(&mut (*r).headers_in.headers) as *mut ngx_table_elt_t;
    if slot.is_null() {
        return Err(());
    }
    // The names are constants in lowercase already, so the key doubles as lowcase_key.
    (*slot).hash = ngx_hash_key(key.data, key.len);
    (*slot).key = key;
    (*slot).value = value;
    (*slot).lowcase_key = key.data;
    #[cfg(ngx_table_elt_has_next)]
    {
        (*slot).next = std::ptr::null_mut();
    }
    Ok(())
}
