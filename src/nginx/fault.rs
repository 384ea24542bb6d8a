//! Fault injection, so tests/faults.rs can check what an internal error does to a request
//! (`secrules_on_error`) and that the worker survives it.
//!
//! Armed only by the environment variable `SECRULES_FAULT_INJECTION` in a worker process,
//! read once at worker start. nginx clears its workers' environment except for variables the
//! configuration lists with the `env` directive, so arming it takes write access to nginx.conf
//! (`env SECRULES_FAULT_INJECTION=panic-in-access;`), which already gives full control of the
//! server: no client can reach it. Once armed, only requests carrying
//! `X-Secrules-Fault: <point>` fail; the others run normally, which lets the test see the same
//! worker serve the next request. A cargo feature would be as safe but needs a second build of
//! the module for the test; this costs one atomic load per request when not armed.
//!
//! Value: comma-separated points, `panic-in-access`, `panic-in-header-filter`,
//! `panic-in-body-filter`.

use std::sync::atomic::{AtomicU8, Ordering};

use ngx::ffi::ngx_http_request_t;

use super::request_view::NginxRequest;
use crate::engine::RequestView;

#[derive(Clone, Copy)]
pub enum Point {
    Access = 1,
    HeaderFilter = 2,
    BodyFilter = 4,
}

impl Point {
    fn name(self) -> &'static str {
        match self {
            Point::Access => "access",
            Point::HeaderFilter => "header-filter",
            Point::BodyFilter => "body-filter",
        }
    }
}

static ARMED: AtomicU8 = AtomicU8::new(0);

/// Reads `SECRULES_FAULT_INJECTION`; from the worker's init_process. Returns the armed points'
/// names for a log line, or None when nothing is armed.
pub fn arm_from_environment() -> Option<String> {
    let value = std::env::var("SECRULES_FAULT_INJECTION").ok()?;
    let mut armed = 0;
    for point in [Point::Access, Point::HeaderFilter, Point::BodyFilter] {
        if value
            .split(',')
            .any(|v| v.trim() == format!("panic-in-{}", point.name()))
        {
            armed |= point as u8;
        }
    }
    ARMED.store(armed, Ordering::Relaxed);
    (armed != 0).then_some(value)
}

/// Panics if `point` is armed and the request asks for it.
///
/// # Safety
/// `r` is a live request.
pub unsafe fn inject(r: *mut ngx_http_request_t, point: Point) {
    if ARMED.load(Ordering::Relaxed) & point as u8 == 0 {
        return;
    }
    let mut asked = false;
    NginxRequest::new(r, Vec::new()).for_each_header(&mut |name, value| {
        asked |= name.eq_ignore_ascii_case(b"x-secrules-fault") && value == point.name().as_bytes();
    });
    if asked {
        panic!(
            "fault injected in {} (SECRULES_FAULT_INJECTION)",
            point.name()
        );
    }
}
