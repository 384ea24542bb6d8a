//! Panics must not cross into nginx: since Rust 1.81 a panic escaping an `extern "C"` function
//! aborts the worker, taking every connection it serves with it. Every entry point nginx calls
//! runs its body through [`guarded`], which turns a panic into an `alert` log line and the
//! caller's fail-closed value.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ngx::ffi::{ngx_log_t, NGX_LOG_ALERT};

use super::log::log_line;

/// Runs `body`; if it panics, logs the panic at `alert` on `log` and returns `on_panic`.
pub fn guarded<T>(log: *mut ngx_log_t, on_panic: T, body: impl FnOnce() -> T) -> T {
    // AssertUnwindSafe: after a panic nothing the body touched is used again; the request
    // or configuration step it served fails as a whole.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            log_line(
                log,
                NGX_LOG_ALERT as usize,
                &format!("secrules: internal error: {what}"),
            );
            on_panic
        }
    }
}
