//! Panics must not cross into nginx: since Rust 1.81 a panic escaping an `extern "C"` function
//! aborts the worker, taking every connection it serves with it. Every entry point nginx calls
//! runs its body through [`guarded`] or [`guarded_with`], which turn a panic into an `alert` log
//! line and the caller's fallback: a fail-closed value, or for request handlers what
//! `secrules_on_error` says (see `access.rs`).
//!
//! The fallback itself runs unguarded and must stay trivial; if it panicked too, the worker would
//! abort exactly as it would have without the guard.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use ngx::ffi::{ngx_log_t, NGX_LOG_ALERT};

use super::log::log_line;

thread_local! {
    /// How many guarded calls are running on this thread (a guarded body may reach another
    /// guarded entry point, e.g. the body post handler restarting the phases).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Where the last panic inside a guarded call happened, recorded by the hook.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces the default hook, which prints to stderr (nginx points stderr at the error log,
/// where a bare "thread panicked" line has no level and no request context), with one that
/// records the location for the guard's alert line. Panics outside a guarded call (none are
/// expected: everything nginx calls is guarded) still go to the previous hook.
fn install_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                return previous(info);
            }
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            LOCATION.with(|slot| *slot.borrow_mut() = location);
        }));
    });
}

/// Runs `body`; if it panics, logs the panic at `alert` on `log` and returns `on_panic`.
/// For configuration-time entry points and those where failing closed is the only sensible
/// answer.
pub fn guarded<T>(log: *mut ngx_log_t, on_panic: T, body: impl FnOnce() -> T) -> T {
    guarded_with(body, |what| {
        log_line(
            log,
            NGX_LOG_ALERT as usize,
            &format!("secrules: internal error: {what}"),
        );
        on_panic
    })
}

/// Runs `body`; if it panics, hands `fallback` a description of the panic (message and source
/// location) and returns what it returns. The fallback must log the error at `alert`.
pub fn guarded_with<T>(body: impl FnOnce() -> T, fallback: impl FnOnce(&str) -> T) -> T {
    install_hook();
    DEPTH.with(|depth| depth.set(depth.get() + 1));
    // AssertUnwindSafe: after a panic nothing the body touched is used again, except the request
    // context, which the fallbacks mark as failed so later handlers leave it alone.
    let result = catch_unwind(AssertUnwindSafe(body));
    DEPTH.with(|depth| depth.set(depth.get() - 1));
    match result {
        Ok(value) => value,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            // A payload whose own Drop panics must not escape either.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
            let what = match LOCATION.with(|slot| slot.borrow_mut().take()) {
                Some(location) => format!("panic at {location}: {message}"),
                None => format!("panic: {message}"),
            };
            fallback(&what)
        }
    }
}
