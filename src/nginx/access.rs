//! The access-phase handler: run phase 1 of the location's rules, read the body when phase 2
//! needs it (without blocking the worker), run phase 2, deny or continue, and hand the upstream
//! the verified client identity.

use std::sync::Arc;

use ngx::ffi::{
    ngx_http_complex_value, ngx_http_core_run_phases, ngx_http_finalize_request,
    ngx_http_read_client_request_body, ngx_http_request_t, ngx_int_t, ngx_log_t, ngx_str_t,
    NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_LOG_ALERT,
};
use ngx::http::HttpModuleLocationConf;

use super::conf::LocationConf;
use super::fault;
use super::guard::{guarded, guarded_with};
use super::headers::forward_client_identity;
use super::log::{log_line, nginx_level};
use super::request_body;
use super::request_context::{self, RequestContext, RulesStage};
use super::request_view::{bytes, NginxRequest};
use super::Module;
use crate::engine::{Intervention, Transaction};

const NGX_OK: ngx_int_t = 0;
const NGX_AGAIN: ngx_int_t = -2;
const NGX_DECLINED: ngx_int_t = -5;
const NGX_DONE: ngx_int_t = -4;
const INTERNAL_ERROR: ngx_int_t = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;

pub unsafe extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request whose connection has a log.
    let log = unsafe { (*(*r).connection).log };
    guarded_with(
        || unsafe { handle(r) },
        // SAFETY: the request is still live; only the module's own state may be inconsistent.
        |what| unsafe { inspection_failed(r, log, what, request_context::find(r)) },
    )
}

/// An internal error while inspecting `r` (a panic the guard caught, or memory nginx refused):
/// logged at `alert`, the rules are not run again for this request, and `secrules_on_error`
/// decides: `closed` (the default) answers 500, `open` lets the request go on as if the rules had
/// passed it. Either way the client-identity headers are rewritten before the upstream sees the
/// request: failing open skips the WAF, never the mTLS identity.
///
/// # Safety
/// `r` is the live request the access handler was called with, `context` its context if any.
unsafe fn inspection_failed(
    r: *mut ngx_http_request_t,
    log: *mut ngx_log_t,
    what: &str,
    mut context: Option<&mut RequestContext>,
) -> ngx_int_t {
    let open = Module::location_conf(&*r).is_some_and(|conf| conf.fails_open());
    log_line(
        log,
        NGX_LOG_ALERT as usize,
        &format!(
            "secrules: internal error: {what}; {}",
            if open {
                "the request goes on uninspected (secrules_on_error open)"
            } else {
                "the request is answered with 500 (secrules_on_error closed)"
            }
        ),
    );
    if let Some(context) = context.as_deref_mut() {
        context.mark_failed();
    }
    let identity_pending = !context.as_ref().is_some_and(|c| c.identity_forwarded);
    if !open {
        return INTERNAL_ERROR;
    }
    let Some(conf) = Module::location_conf(&*r) else {
        return NGX_DECLINED;
    };
    if identity_pending && conf.forwards_client_identity() {
        // Its own guard: if the identity code itself is what failed, the request cannot go on.
        let forwarded = guarded(log, Err(()), || unsafe {
            let view = NginxRequest::new(r, Vec::new());
            forward_client_identity(r, conf, &view)
        });
        if forwarded.is_err() {
            return INTERNAL_ERROR;
        }
        if let Some(context) = context {
            context.identity_forwarded = true;
        }
    }
    NGX_DECLINED
}

/// # Safety
/// `r` must be the live request nginx passed to the access handler.
unsafe fn handle(r: *mut ngx_http_request_t) -> ngx_int_t {
    // Subrequests share the main request's headers and were inspected with it.
    if r != (*r).main {
        return NGX_DECLINED;
    }
    let Some(conf) = Module::location_conf(&*r) else {
        return NGX_DECLINED;
    };
    let runs_rules = conf.is_enabled() && conf.ruleset.is_some();
    if !runs_rules && !conf.forwards_client_identity() {
        return NGX_DECLINED;
    }
    let log = (*(*r).connection).log;
    let Some(context) = request_context::get_or_create(r) else {
        return inspection_failed(r, log, "no memory for the request context", None);
    };
    if context.waiting_for_body {
        // Woken by an event before the body is complete; the post handler resumes us.
        return NGX_DONE;
    }
    // After an internal redirect the access phase runs again; what was done for the client
    // request is not done twice.
    let run_rules = runs_rules && context.rules != RulesStage::Done;
    let forward_identity = conf.forwards_client_identity() && !context.identity_forwarded;
    if !run_rules && !forward_identity {
        return NGX_DECLINED;
    }

    let unique_id = context
        .unique_id
        .get_or_insert_with(|| transaction_id(r, conf))
        .clone();
    let view = NginxRequest::new(r, unique_id);
    if run_rules {
        fault::inject(r, fault::Point::Access);
        match run_rules_until_body(r, conf, context, &view) {
            Verdict::Continue => {}
            Verdict::Answer(rc) => return rc,
        }
    }
    if forward_identity {
        context.identity_forwarded = true;
        if forward_client_identity(r, conf, &view).is_err() {
            return INTERNAL_ERROR;
        }
    }
    NGX_DECLINED
}

enum Verdict {
    Continue,
    /// Return this to nginx's access phase now.
    Answer(ngx_int_t),
}

/// Phase 1, then (once nginx has the body, if phase 2 wants it) phase 2. Re-entered when the
/// body read completes asynchronously.
unsafe fn run_rules_until_body(
    r: *mut ngx_http_request_t,
    conf: &LocationConf,
    context: &mut RequestContext,
    view: &NginxRequest,
) -> Verdict {
    let Some(ruleset) = &conf.ruleset else {
        return Verdict::Continue;
    };
    let log: *mut ngx_log_t = (*(*r).connection).log;
    if context.rules == RulesStage::NotStarted {
        let mut transaction = Transaction::new(Arc::clone(ruleset));
        let intervention = transaction.run_phase(1, view);
        write_log(log, &mut transaction);
        let wants_body = transaction.wants_request_body();
        context.transaction = Some(transaction);
        if let Some(intervention) = intervention {
            context.rules = RulesStage::Done;
            return Verdict::Answer(deny(r, &intervention));
        }
        if wants_body && request_body::is_expected(r) {
            context.rules = RulesStage::ReadingBody;
            // nginx counts the read as a reference on the request; the post handler drops it.
            let rc = ngx_http_read_client_request_body(r, Some(body_read));
            if rc == NGX_AGAIN {
                context.waiting_for_body = true;
                return Verdict::Answer(NGX_DONE);
            }
            if rc != NGX_OK {
                // An error status from nginx (413 over client_max_body_size, 400, ...).
                context.rules = RulesStage::Done;
                return Verdict::Answer(rc);
            }
        }
    }
    let Some(transaction) = context.transaction.as_mut() else {
        return Verdict::Answer(inspection_failed(
            r,
            log,
            "the transaction is gone",
            Some(context),
        ));
    };
    if context.rules == RulesStage::ReadingBody {
        let Some(body) = request_body::read_all(r) else {
            return Verdict::Answer(inspection_failed(
                r,
                log,
                "the request body could not be read into memory",
                Some(context),
            ));
        };
        let intervention = transaction.set_request_body(body, request_body::content_type(r));
        write_log(log, transaction);
        if let Some(intervention) = intervention {
            context.rules = RulesStage::Done;
            return Verdict::Answer(deny(r, &intervention));
        }
    }
    context.rules = RulesStage::Done;
    let intervention = transaction.run_phase(2, view);
    write_log(log, transaction);
    match intervention {
        Some(intervention) => Verdict::Answer(deny(r, &intervention)),
        None => Verdict::Continue,
    }
}

/// Called by nginx when the whole body is in (synchronously, from
/// `ngx_http_read_client_request_body`, or later from an event).
unsafe extern "C" fn body_read(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls the post handler with a live request whose connection has a log.
    let log = unsafe { (*(*r).connection).log };
    // The read held a reference on the request; dropped first, so that nothing below can leak it.
    let main = (*r).main;
    (*main).set_count((*main).count() - 1);
    // Only our own bookkeeping runs guarded; restarting the phases is nginx's code, and our
    // access handler it reaches again has its own guard. (Should the guard fire, the request is
    // not resumed: we cannot tell whether nginx called us from inside the access handler.)
    let resume = guarded(log, false, || unsafe {
        request_context::find(r)
            .is_some_and(|context| std::mem::replace(&mut context.waiting_for_body, false))
    });
    if resume {
        // Woken by an event after the access handler returned NGX_DONE: restart the phases there.
        resume_phases(r);
    }
}

/// The access phase stopped at our NGX_DONE; run the phases from it again.
///
/// # Safety
/// `r` is a live request whose access phase returned NGX_DONE.
unsafe fn resume_phases(r: *mut ngx_http_request_t) {
    (*r).write_event_handler = Some(ngx_http_core_run_phases);
    ngx_http_core_run_phases(r);
}

pub(super) unsafe fn write_log(log: *mut ngx::ffi::ngx_log_t, transaction: &mut Transaction) {
    for message in transaction.take_log() {
        log_line(log, nginx_level(message.level), &message.text);
    }
}

/// Answers the request with the rule's status. The request is finalized here rather than by
/// returning the status: under `satisfy any`, a 403 returned from the access phase is only a vote
/// that another access module (`allow all`, auth_basic) can overrule.
unsafe fn deny(r: *mut ngx_http_request_t, intervention: &Intervention) -> ngx_int_t {
    if intervention.drop {
        // nginx's NGX_HTTP_CLOSE: the connection is closed without a response.
        ngx_http_finalize_request(r, 444);
        return NGX_DONE;
    }
    let status = match intervention.status {
        status @ 400..=599 => status,
        _ => 403,
    };
    ngx_http_finalize_request(r, status as ngx_int_t);
    NGX_DONE
}

/// The transaction id: `secrules_transaction_id`'s value, or a random one.
unsafe fn transaction_id(r: *mut ngx_http_request_t, conf: &LocationConf) -> Vec<u8> {
    if !conf.transaction_id.is_null() {
        let mut value = ngx_str_t {
            len: 0,
            data: std::ptr::null_mut(),
        };
        if ngx_http_complex_value(r, conf.transaction_id, &mut value) == 0 && value.len > 0 {
            return bytes(&value).to_vec();
        }
    }
    random_id()
}

fn random_id() -> Vec<u8> {
    // Not a secret, only unique: nginx's own PRNG and the clock are enough.
    let words = [
        ngx::ffi::ngx_random() as u64,
        ngx::ffi::ngx_random() as u64,
        ngx::ffi::ngx_time() as u64,
    ];
    let mut id = String::with_capacity(40);
    for word in words {
        id.push_str(&format!("{:x}", word));
    }
    id.into_bytes()
}
