//! Phases 3 and 5: the response header filter runs phase 3 on the upstream's status and headers
//! (a deny replaces the response with the rule's status before anything was sent), and a
//! log-phase handler runs phase 5 once the response is gone (nothing there can change it).

use std::ptr;

use ngx::ffi::{
    ngx_http_filter_finalize_request, ngx_http_output_header_filter_pt, ngx_http_request_t, ngx_http_top_header_filter,
    ngx_int_t, ngx_table_elt_t,
};

use super::access::write_log;
use super::guard::guarded;
use super::request_context::{self, ResponseStage};
use super::request_view::{bytes, NginxRequest};

const NGX_ERROR: ngx_int_t = -1;
const NGX_OK: ngx_int_t = 0;
/// nginx's NGX_HTTP_CLOSE: finalize without a response.
const NGX_HTTP_CLOSE: ngx_int_t = 444;

/// The header filter after ours, set once at configuration time.
static mut NEXT_HEADER_FILTER: ngx_http_output_header_filter_pt = None;

/// Puts our header filter at the top of nginx's chain.
///
/// # Safety
/// Only from postconfiguration, which nginx runs single-threaded before any request.
pub unsafe fn install_filters() {
    // SAFETY: configuration time, single-threaded; the statics are read only by the filter.
    unsafe {
        NEXT_HEADER_FILTER = ngx_http_top_header_filter;
        ngx_http_top_header_filter = Some(header_filter);
    }
}

unsafe fn next_header_filter(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: written once at configuration time, before any request; the chain always ends in
    // nginx's own header filter, so it is set whenever our filter runs.
    match unsafe { *ptr::addr_of!(NEXT_HEADER_FILTER) } {
        Some(next) => unsafe { next(r) },
        None => NGX_ERROR,
    }
}

unsafe extern "C" fn header_filter(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls header filters with a live request whose connection has a log.
    let log = unsafe { (*(*r).connection).log };
    guarded(log, NGX_ERROR, || unsafe {
        match phase_3(r) {
            Some(rc) => rc,
            None => next_header_filter(r),
        }
    })
}

/// Runs phase 3 for the main request's response once; Some(rc) when it answered instead.
unsafe fn phase_3(r: *mut ngx_http_request_t) -> Option<ngx_int_t> {
    if r != (*r).main {
        return None;
    }
    let context = request_context::find(r)?;
    // The error page a deny produces passes through this filter again.
    if context.response != ResponseStage::NotStarted {
        return None;
    }
    context.response = ResponseStage::HeadersInspected;
    let transaction = context.transaction.as_mut()?;
    let unique_id = context.unique_id.clone().unwrap_or_default();
    let out = &(*r).headers_out;
    let mut headers = Vec::new();
    let mut part = &out.headers.part as *const ngx::ffi::ngx_list_part_t;
    while !part.is_null() {
        let elements = (*part).elts as *const ngx_table_elt_t;
        for i in 0..(*part).nelts {
            let header = &*elements.add(i);
            // A hash of 0 marks a header another filter deleted.
            if header.hash != 0 {
                headers.push((bytes(&header.key).to_vec(), bytes(&header.value).to_vec()));
            }
        }
        part = (*part).next;
    }
    // nginx keeps these two outside the list until its own header filter writes them.
    if out.content_type.len > 0 {
        headers.push((b"Content-Type".to_vec(), bytes(&out.content_type).to_vec()));
    }
    if out.content_length.is_null() && out.content_length_n >= 0 {
        headers.push((b"Content-Length".to_vec(), out.content_length_n.to_string().into_bytes()));
    }
    let protocol: &[u8] = if (*r).http_version >= 2000 { b"HTTP/2.0" } else { b"HTTP/1.1" };
    transaction.set_response_headers(out.status as u16, protocol, headers);
    let view = NginxRequest::new(r, unique_id);
    let intervention = transaction.run_phase(3, &view);
    write_log((*(*r).connection).log, transaction);
    let intervention = intervention?;
    let status = if intervention.drop {
        NGX_HTTP_CLOSE
    } else {
        match intervention.status {
            status @ 400..=599 => status as ngx_int_t,
            _ => 403,
        }
    };
    // Drops what the upstream sent and answers with the rule's status instead; our context
    // survives (nginx keeps the calling module's ctx).
    let module = ptr::addr_of_mut!(super::ngx_http_secrules_module);
    Some(ngx_http_filter_finalize_request(r, module, status))
}

/// Log phase: phase 5, for rules that only record (setvar, log lines).
pub unsafe extern "C" fn log_phase_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls log-phase handlers with a live request whose connection has a log.
    let log = unsafe { (*(*r).connection).log };
    guarded(log, NGX_OK, || unsafe {
        if r != (*r).main {
            return NGX_OK;
        }
        let Some(context) = request_context::find(r) else {
            return NGX_OK;
        };
        if context.logging_done {
            return NGX_OK;
        }
        context.logging_done = true;
        let unique_id = context.unique_id.clone().unwrap_or_default();
        if let Some(transaction) = context.transaction.as_mut() {
            let view = NginxRequest::new(r, unique_id);
            // The response is gone: whatever phase 5 decides cannot change it.
            let _ = transaction.run_phase(5, &view);
            write_log(log, transaction);
        }
        NGX_OK
    })
}
