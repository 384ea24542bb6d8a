//! nginx variables with the verdict, for `log_format`, `add_header`, `map` and `if`
//! (what ModSecurity-nginx never offered: ModSecurity-nginx#60, ModSecurity#3449).
//!
//! | variable | value |
//! |---|---|
//! | `$secrules_action` | `pass`, `deny`, `drop`, `detected`; empty before rules ran |
//! | `$secrules_status` | the status the rules answered with; empty when they did not |
//! | `$secrules_rule_ids` | ids of the logged matches, comma separated |
//! | `$secrules_anomaly_score` | CRS's inbound anomaly score |
//! | `$secrules_client_fingerprint` | the verified client certificate's fingerprint |
//!
//! All are "not cacheable": nginx asks again at each use, so `add_header` (response headers,
//! after phase 3) and `access_log` (after the response) see the verdict as it is then.

use ngx::ffi::{
    ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_http_variable_value_t, ngx_int_t,
    ngx_pnalloc, ngx_str_t, NGX_HTTP_VAR_NOCACHEABLE,
};
use ngx::http::HttpModuleLocationConf;
use ngx::ngx_string;

use super::guard::guarded;
use super::request_context;
use super::request_view::NginxRequest;
use super::Module;
use crate::engine::{RequestView, Transaction};

const NGX_OK: ngx_int_t = 0;
const NGX_ERROR: ngx_int_t = -1;

type Getter = fn(*mut ngx_http_request_t, Option<&Transaction>) -> Option<Vec<u8>>;

const VARIABLES: [(ngx_str_t, Getter); 5] = [
    (ngx_string!("secrules_action"), |_, tx| {
        tx.map(|tx| tx.action().as_bytes().to_vec())
    }),
    (ngx_string!("secrules_status"), |_, tx| {
        tx.and_then(|tx| tx.intervention())
            .map(|i| i.status.to_string().into_bytes())
    }),
    (ngx_string!("secrules_rule_ids"), |_, tx| {
        tx.map(|tx| tx.rule_ids().into_bytes())
    }),
    (ngx_string!("secrules_anomaly_score"), |_, tx| {
        tx.and_then(|tx| tx.anomaly_score()).map(<[u8]>::to_vec)
    }),
    (ngx_string!("secrules_client_fingerprint"), |r, _| {
        // SAFETY: nginx calls variable getters with a live request.
        unsafe { client_fingerprint(r) }
    }),
];

/// Registers the variables; from preconfiguration, so that configuration text can use them.
///
/// # Safety
/// `cf` is the configuration being parsed.
pub unsafe fn add_variables(cf: *mut ngx_conf_t) -> ngx_int_t {
    for (index, (name, _)) in VARIABLES.iter().enumerate() {
        let mut name = *name;
        // SAFETY: nginx copies the name into the configuration pool; `cf` is live.
        let variable =
            unsafe { ngx_http_add_variable(cf, &mut name, NGX_HTTP_VAR_NOCACHEABLE as _) };
        if variable.is_null() {
            return NGX_ERROR;
        }
        // SAFETY: `variable` is the element nginx just added, ours to fill.
        unsafe {
            (*variable).get_handler = Some(get_variable);
            (*variable).data = index;
        }
    }
    NGX_OK
}

unsafe extern "C" fn get_variable(
    r: *mut ngx_http_request_t,
    v: *mut ngx_http_variable_value_t,
    data: usize,
) -> ngx_int_t {
    // SAFETY: nginx calls getters with a live request whose connection has a log.
    let log = unsafe { (*(*r).connection).log };
    guarded(log, NGX_ERROR, || unsafe {
        // Subrequests (SSI, auth_request) report the verdict of the request they belong to.
        let main = (*r).main;
        let transaction = request_context::find(main).and_then(|c| c.transaction.as_ref());
        let Some((_, getter)) = VARIABLES.get(data) else {
            return NGX_ERROR;
        };
        match getter(main, transaction) {
            Some(value) => set_value(r, v, &value),
            None => {
                (*v).set_not_found(1);
                NGX_OK
            }
        }
    })
}

/// Copies `value` into the request's pool and points the variable at it.
///
/// # Safety
/// `r` is a live request and `v` the value nginx asked us to fill.
unsafe fn set_value(
    r: *mut ngx_http_request_t,
    v: *mut ngx_http_variable_value_t,
    value: &[u8],
) -> ngx_int_t {
    let data = if value.is_empty() {
        std::ptr::null_mut()
    } else {
        let data = ngx_pnalloc((*r).pool, value.len()) as *mut u8;
        if data.is_null() {
            return NGX_ERROR;
        }
        std::ptr::copy_nonoverlapping(value.as_ptr(), data, value.len());
        data
    };
    (*v).set_len(value.len() as u32);
    (*v).data = data;
    (*v).set_valid(1);
    (*v).set_no_cacheable(1);
    (*v).set_not_found(0);
    NGX_OK
}

/// The verified client certificate's fingerprint, with the digest the location's
/// `secrules_client_cert_fingerprint` chose; None without a verified certificate.
///
/// # Safety
/// `r` is a live main request.
unsafe fn client_fingerprint(r: *mut ngx_http_request_t) -> Option<Vec<u8>> {
    let conf = Module::location_conf(&*r)?;
    let view = NginxRequest::new(r, Vec::new());
    let certificate = view.ssl_client_certificate()?;
    Some(conf.digest().hex_of(certificate).as_bytes().to_vec())
}
