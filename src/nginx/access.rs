//! The access-phase handler: run phases 1 and 2 of the location's rules, deny or continue, and
//! hand the upstream the verified client identity.

use std::sync::Arc;

use ngx::ffi::{
    ngx_http_complex_value, ngx_http_finalize_request, ngx_http_request_t, ngx_int_t, ngx_str_t,
    NGX_HTTP_INTERNAL_SERVER_ERROR,
};
use ngx::http::HttpModuleLocationConf;

use super::conf::LocationConf;
use super::guard::guarded;
use super::headers::forward_client_identity;
use super::log::{log_line, nginx_level};
use super::request_context;
use super::request_view::{bytes, NginxRequest};
use super::Module;
use crate::engine::{Intervention, Transaction};

const NGX_DECLINED: ngx_int_t = -5;
const NGX_DONE: ngx_int_t = -4;

pub unsafe extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request whose connection has a log.
    let log = unsafe { (*(*r).connection).log };
    // Fail closed: a request whose inspection broke must not reach the upstream.
    guarded(log, NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t, || unsafe { handle(r) })
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
    let Some(context) = request_context::get_or_create(r) else {
        return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    };
    // After an internal redirect the access phase runs again; what was done for the client
    // request is not done twice.
    let run_rules = runs_rules && !context.rules_ran;
    let forward_identity = conf.forwards_client_identity() && !context.identity_forwarded;
    if !run_rules && !forward_identity {
        return NGX_DECLINED;
    }

    let view = NginxRequest::new(r, transaction_id(r, conf));
    if let (true, Some(ruleset)) = (run_rules, &conf.ruleset) {
        context.rules_ran = true;
        let mut transaction = Transaction::new(Arc::clone(ruleset));
        let intervention = run_request_phases(&mut transaction, &view);
        for message in transaction.take_log() {
            log_line((*(*r).connection).log, nginx_level(message.level), &message.text);
        }
        context.transaction = Some(transaction);
        if let Some(intervention) = intervention {
            return deny(r, &intervention);
        }
    }
    if forward_identity {
        context.identity_forwarded = true;
        if forward_client_identity(r, conf, &view).is_err() {
            return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
        }
    }
    NGX_DECLINED
}

fn run_request_phases(transaction: &mut Transaction, view: &NginxRequest) -> Option<Intervention> {
    // Phase 2 (request body) runs here too until body reading lands; without a body its rules
    // see the same request as phase 1.
    transaction.run_phase(1, view).or_else(|| transaction.run_phase(2, view))
}

/// Answers the request with the rule's status. The request is finalized here rather than by
/// returning the status: under `satisfy any`, a 403 returned from the access phase is only a vote
/// that another access module (`allow all`, auth_basic) can overrule.
unsafe fn deny(r: *mut ngx_http_request_t, intervention: &Intervention) -> ngx_int_t {
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
        let mut value = ngx_str_t { len: 0, data: std::ptr::null_mut() };
        if ngx_http_complex_value(r, conf.transaction_id, &mut value) == 0 && value.len > 0 {
            return bytes(&value).to_vec();
        }
    }
    random_id()
}

fn random_id() -> Vec<u8> {
    // Not a secret, only unique: nginx's own PRNG and the clock are enough.
    let words = [ngx::ffi::ngx_random() as u64, ngx::ffi::ngx_random() as u64, ngx::ffi::ngx_time() as u64];
    let mut id = String::with_capacity(40);
    for word in words {
        id.push_str(&format!("{:x}", word));
    }
    id.into_bytes()
}

