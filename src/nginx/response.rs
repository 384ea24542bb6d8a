//! Phases 3, 4 and 5. The response header filter runs phase 3 on the upstream's status and
//! headers (a deny replaces the response with the rule's status before anything was sent). When
//! phase 4 applies (response body access, a listed media type), the header and the body are held
//! back until the body is complete or `SecResponseBodyLimit` is reached, so a phase-4 deny sends
//! the client the rule's status and none of the blocked body; otherwise the response streams
//! through untouched. A log-phase handler runs phase 5 once the response is gone.

use std::ptr;

use ngx::ffi::{
    ngx_alloc_chain_link, ngx_buf_t, ngx_chain_t, ngx_create_temp_buf,
    ngx_http_filter_finalize_request, ngx_http_output_body_filter_pt,
    ngx_http_output_header_filter_pt, ngx_http_request_t, ngx_http_top_body_filter,
    ngx_http_top_header_filter, ngx_int_t, ngx_pcalloc, ngx_table_elt_t, NGX_HTTP_HEAD,
    NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_LOG_ALERT, NGX_LOG_ERR,
};

use crate::compile::BodyLimitAction;
use crate::engine::Intervention;

use super::access::write_log;
use super::fault;
use super::guard::{guarded, guarded_with};
use super::log::log_line;
use super::request_context::{self, ResponseStage};
use super::request_view::{bytes, NginxRequest};
use ngx::http::HttpModuleLocationConf;

const NGX_ERROR: ngx_int_t = -1;
const NGX_OK: ngx_int_t = 0;
/// nginx's NGX_HTTP_CLOSE: finalize without a response.
const NGX_HTTP_CLOSE: ngx_int_t = 444;

/// The header filter after ours, set once at configuration time.
static mut NEXT_HEADER_FILTER: ngx_http_output_header_filter_pt = None;
/// The body filter after ours.
static mut NEXT_BODY_FILTER: ngx_http_output_body_filter_pt = None;

/// Puts our header filter at the top of nginx's chain.
///
/// # Safety
/// Only from postconfiguration, which nginx runs single-threaded before any request.
pub unsafe fn install_filters() {
    // SAFETY: configuration time, single-threaded; the statics are read only by the filter.
    unsafe {
        NEXT_HEADER_FILTER = ngx_http_top_header_filter;
        ngx_http_top_header_filter = Some(header_filter);
        NEXT_BODY_FILTER = ngx_http_top_body_filter;
        ngx_http_top_body_filter = Some(body_filter);
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

unsafe fn next_body_filter(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: as for the header filter.
    match unsafe { *ptr::addr_of!(NEXT_BODY_FILTER) } {
        Some(next) => unsafe { next(r, chain) },
        None => NGX_ERROR,
    }
}

unsafe extern "C" fn header_filter(r: *mut ngx_http_request_t) -> ngx_int_t {
    guarded_with(
        || unsafe {
            match phase_3(r) {
                Some(rc) => rc,
                None => next_header_filter(r),
            }
        },
        // SAFETY: the request is still live; nothing was sent yet (the header is ours to send).
        |what| unsafe {
            match response_failed(r, what) {
                Failure::Closed => answer_with(r, NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t),
                Failure::Open => next_header_filter(r),
            }
        },
    )
}

enum Failure {
    Closed,
    Open,
}

/// An internal error in phase 3 or 4: logged at `alert`; the request's context is marked failed,
/// so the filters let the rest of the response through; `secrules_on_error` decides whether the
/// response is replaced by a 500 (closed, the default; when the header is already out, the
/// connection is cut instead) or goes on uninspected (open).
///
/// # Safety
/// `r` is a live request.
unsafe fn response_failed(r: *mut ngx_http_request_t, what: &str) -> Failure {
    let open = super::Module::location_conf(&*r).is_some_and(|conf| conf.fails_open());
    log_line(
        (*(*r).connection).log,
        NGX_LOG_ALERT as usize,
        &format!(
            "secrules: internal error: {what}; {}",
            if open {
                "the response goes on uninspected (secrules_on_error open)"
            } else {
                "the response is replaced by a 500 (secrules_on_error closed)"
            }
        ),
    );
    if let Some(context) = request_context::find(r) {
        // What phase 4 held back is released by the caller (open) or dropped (closed).
        let held = std::mem::take(&mut context.response_body);
        context.mark_failed();
        context.response_body = held;
    }
    if open {
        Failure::Open
    } else {
        Failure::Closed
    }
}

/// Runs phase 3 for the main request's response once; Some(rc) when it answered instead.
///
/// # Safety
/// `r` is the live request nginx passed to the header filter; its headers_out list and strings
/// belong to its pool and outlive this call.
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
    fault::inject(r, fault::Point::HeaderFilter);
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
        headers.push((
            b"Content-Length".to_vec(),
            out.content_length_n.to_string().into_bytes(),
        ));
    }
    let protocol: &[u8] = if (*r).http_version >= 2000 {
        b"HTTP/2.0"
    } else {
        b"HTTP/1.1"
    };
    transaction.set_response_headers(out.status as u16, protocol, headers);
    let view = NginxRequest::new(r, unique_id);
    let intervention = transaction.run_phase(3, &view);
    write_log((*(*r).connection).log, transaction);
    if let Some(intervention) = intervention {
        return Some(answer_instead(r, &intervention));
    }
    let has_body = (*r).header_only() == 0
        && !matches!(out.status, 204 | 304)
        && (*r).method != NGX_HTTP_HEAD as usize;
    if has_body && transaction.wants_response_body() {
        // Held back: the header goes out with the body once phase 4 let it pass. Bodies must come
        // in memory so they can be read here (nginx reads file buffers for us).
        context.response = ResponseStage::BufferingBody;
        (*r).set_filter_need_in_memory(1);
        return Some(NGX_OK);
    }
    None
}

/// Replaces the response with the intervention's status (or closes the connection for `drop`).
///
/// # Safety
/// `r` is a live main request whose header has not been sent.
unsafe fn answer_instead(r: *mut ngx_http_request_t, intervention: &Intervention) -> ngx_int_t {
    let status = if intervention.drop {
        NGX_HTTP_CLOSE
    } else {
        match intervention.status {
            status @ 400..=599 => status as ngx_int_t,
            _ => 403,
        }
    };
    answer_with(r, status)
}

/// Replaces the response with `status` (444: close the connection).
///
/// # Safety
/// `r` is a live main request whose header has not been sent.
unsafe fn answer_with(r: *mut ngx_http_request_t, status: ngx_int_t) -> ngx_int_t {
    // Drops what the upstream sent and answers with the rule's status instead; our context
    // survives (nginx keeps the calling module's ctx).
    let module = ptr::addr_of_mut!(super::ngx_http_secrules_module);
    ngx_http_filter_finalize_request(r, module, status)
}

unsafe extern "C" fn body_filter(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    guarded_with(
        || unsafe { hold_body_for_phase_4(r, chain) },
        // SAFETY: `r` and `chain` are still what nginx passed; buffers we consumed are empty.
        |what| unsafe {
            let held = (*r).header_sent() == 0;
            match response_failed(r, what) {
                Failure::Closed if held => {
                    answer_with(r, NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t)
                }
                Failure::Closed => NGX_ERROR,
                Failure::Open => release_held(r, chain, false),
            }
        },
    )
}

/// While phase 4 waits for the body: copies what arrives (marking nginx's buffers consumed, so
/// the upstream can reuse them), and once the body is complete or the limit reached, runs phase 4
/// and either answers with the rule's status or sends the held header and body on.
///
/// # Safety
/// `r` and `chain` are what nginx passed to the body filter: a live request and a chain of links
/// whose buffers' `pos..last` are readable memory (`filter_need_in_memory` asked for that).
unsafe fn hold_body_for_phase_4(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    if r != (*r).main {
        return next_body_filter(r, chain);
    }
    let Some(context) = request_context::find(r) else {
        return next_body_filter(r, chain);
    };
    if context.response != ResponseStage::BufferingBody {
        return next_body_filter(r, chain);
    }
    let Some(transaction) = context.transaction.as_mut() else {
        return NGX_ERROR;
    };
    let (limit, limit_action) = transaction.response_body_limit();
    let mut complete = false;
    let mut link = chain;
    while !link.is_null() {
        let buf: *mut ngx_buf_t = (*link).buf;
        if !buf.is_null() {
            let b = &mut *buf;
            if !b.pos.is_null() && b.last > b.pos {
                let len = b.last.offset_from(b.pos) as usize;
                context
                    .response_body
                    .extend_from_slice(std::slice::from_raw_parts(b.pos, len));
                b.pos = b.last;
            }
            if b.last_buf() != 0 {
                complete = true;
            }
        }
        link = (*link).next;
    }
    let over_limit = context.response_body.len() > limit;
    if !complete && !over_limit {
        return NGX_OK;
    }
    fault::inject(r, fault::Point::BodyFilter);
    let log = (*(*r).connection).log;
    let unique_id = context.unique_id.clone().unwrap_or_default();
    let view = NginxRequest::new(r, unique_id);
    let intervention = if over_limit && limit_action == BodyLimitAction::Reject {
        transaction.reject_response_body_over_limit()
    } else {
        let inspected = context.response_body.len().min(limit);
        transaction.set_response_body(context.response_body[..inspected].to_vec());
        transaction.run_phase(4, &view)
    };
    write_log(log, transaction);
    context.response = ResponseStage::HeadersInspected;
    if let Some(intervention) = intervention {
        context.response_body = Vec::new();
        return answer_instead(r, &intervention);
    }
    release_held(r, ptr::null_mut(), complete)
}

/// Sends what phase 4 held back: the header (unless it is out already), then the held body,
/// then `rest` (links whose buffers were consumed into the held body are empty by now, but may
/// carry `last_buf`).
///
/// # Safety
/// `r` is a live main request; `rest` is null or a chain nginx passed to the body filter.
unsafe fn release_held(
    r: *mut ngx_http_request_t,
    rest: *mut ngx_chain_t,
    complete: bool,
) -> ngx_int_t {
    if (*r).header_sent() == 0 {
        let rc = next_header_filter(r);
        if rc == NGX_ERROR || rc > NGX_OK || (*r).header_only() != 0 {
            return rc;
        }
    }
    let held = request_context::find(r)
        .map(|context| std::mem::take(&mut context.response_body))
        .unwrap_or_default();
    if held.is_empty() && !rest.is_null() {
        return next_body_filter(r, rest);
    }
    let out = held_buffer(r, &held, complete);
    if out.is_null() {
        return NGX_ERROR;
    }
    (*out).next = rest;
    next_body_filter(r, out)
}

/// One buffer in the request's pool holding `bytes`, marked last when the body is complete.
///
/// # Safety
/// `r` is a live request; the buffer and link live in its pool.
unsafe fn held_buffer(r: *mut ngx_http_request_t, bytes: &[u8], last: bool) -> *mut ngx_chain_t {
    let pool = (*r).pool;
    let buf = if bytes.is_empty() {
        ngx_pcalloc(pool, std::mem::size_of::<ngx_buf_t>()) as *mut ngx_buf_t
    } else {
        ngx_create_temp_buf(pool, bytes.len())
    };
    let link = ngx_alloc_chain_link(pool);
    if buf.is_null() || link.is_null() {
        return ptr::null_mut();
    }
    if !bytes.is_empty() {
        ptr::copy_nonoverlapping(bytes.as_ptr(), (*buf).pos, bytes.len());
        (*buf).last = (*buf).pos.add(bytes.len());
    }
    if last {
        (*buf).set_last_buf(1);
    } else {
        (*buf).set_flush(1);
    }
    (*link).buf = buf;
    (*link).next = ptr::null_mut();
    link
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
            // What the client got, as `$status` tells it (an error page's status included).
            let status = match (*r).err_status {
                0 => (*r).headers_out.status,
                err => err,
            };
            if let Err(error) = transaction.write_audit_log(&view, status as u16) {
                log_line(log, NGX_LOG_ERR as usize, &format!("secrules: {error}"));
            }
        }
        NGX_OK
    })
}
