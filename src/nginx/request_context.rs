//! Per-request state kept between the module's handler calls. nginx clears module contexts on
//! an internal redirect (`error_page`, `try_files`, named locations), yet rules must not run twice
//! for one client request; the context is therefore also registered as a pool cleanup, where it
//! survives the redirect and can be found again.

use ngx::ffi::{ngx_http_request_t, ngx_pool_cleanup_add};

use crate::engine::Transaction;

/// How far the rules got for this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulesStage {
    NotStarted,
    /// Phase 1 ran; nginx is reading the body for phase 2.
    ReadingBody,
    /// Phases 1 and 2 ran (or the request was denied): later passes through the access phase
    /// (after internal redirects) do not run them again.
    Done,
}

/// How far the response side got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseStage {
    NotStarted,
    /// Phase 3 ran (or was skipped): the filters let everything after pass, the error page
    /// of a deny included.
    HeadersInspected,
    /// Phase 4 wants the body: the header and the body are held back until it ran.
    BufferingBody,
}

pub struct RequestContext {
    pub rules: RulesStage,
    /// The body read finished after the handler returned NGX_DONE: its post handler must
    /// restart the phases.
    pub waiting_for_body: bool,
    /// The identity headers were rewritten. Tracked apart from `rules_ran`: a redirect from a
    /// location without identity forwarding to one with it must still strip client copies.
    pub identity_forwarded: bool,
    /// The transaction id, fixed at the first pass so phase 1 and 2 lines share it.
    pub unique_id: Option<Vec<u8>>,
    /// Kept for the phases that run after the access phase (response and logging).
    pub transaction: Option<Transaction>,
    pub response: ResponseStage,
    /// The response body held back for phase 4.
    pub response_body: Vec<u8>,
    /// Phase 5 ran (the log phase can be reached twice with `post_action`).
    pub logging_done: bool,
}

impl RequestContext {
    /// Inspecting the request failed internally: the rules are not run again for it, and the
    /// response filters and the log phase, which find no transaction, let everything pass.
    pub fn mark_failed(&mut self) {
        self.rules = RulesStage::Done;
        self.waiting_for_body = false;
        self.response = ResponseStage::HeadersInspected;
        self.response_body = Vec::new();
        // Dropped under its own guard: it may be in whatever state the failure left it.
        let transaction = self.transaction.take();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(transaction)));
    }
}

unsafe extern "C" fn drop_context(data: *mut std::ffi::c_void) {
    // The pool's cleanup has no log of its own; the cycle's is the one nginx itself uses here.
    // SAFETY: ngx_cycle is the live cycle of this worker.
    let log = unsafe { (*ngx::ffi::ngx_cycle).log };
    // SAFETY: `data` is the Box leaked in `get_or_create`, dropped exactly once, by the pool.
    let context = unsafe { Box::from_raw(data as *mut RequestContext) };
    super::guard::guarded(log, (), move || drop(context));
}

/// The request's context, created on first use.
///
/// # Safety
/// `r` must be a live main request of a worker; the returned reference is valid until the
/// request's pool is destroyed and must not be held across another call of this function.
pub unsafe fn get_or_create<'r>(r: *mut ngx_http_request_t) -> Option<&'r mut RequestContext> {
    if let Some(found) = find(r) {
        return Some(found);
    }
    let cleanup = ngx_pool_cleanup_add((*r).pool, 0);
    if cleanup.is_null() {
        return None;
    }
    let context = Box::into_raw(Box::new(RequestContext {
        rules: RulesStage::NotStarted,
        waiting_for_body: false,
        identity_forwarded: false,
        unique_id: None,
        transaction: None,
        response: ResponseStage::NotStarted,
        response_body: Vec::new(),
        logging_done: false,
    }));
    (*cleanup).handler = Some(drop_context);
    (*cleanup).data = context as *mut _;
    set_module_ctx(r, context);
    Some(&mut *context)
}

unsafe fn set_module_ctx(r: *mut ngx_http_request_t, context: *mut RequestContext) {
    let index = super::Module::module_index();
    *(*r).ctx.add(index) = context as *mut _;
}

/// Finds the context through the module ctx slot, or, after an internal redirect cleared it,
/// through the pool's cleanup list.
pub unsafe fn find<'r>(r: *mut ngx_http_request_t) -> Option<&'r mut RequestContext> {
    let index = super::Module::module_index();
    let slot = *(*r).ctx.add(index) as *mut RequestContext;
    if !slot.is_null() {
        return Some(&mut *slot);
    }
    let mut cleanup = (*(*r).pool).cleanup;
    while !cleanup.is_null() {
        let ours: unsafe extern "C" fn(*mut std::ffi::c_void) = drop_context;
        if (*cleanup)
            .handler
            .is_some_and(|handler| std::ptr::fn_addr_eq(handler, ours))
        {
            let context = (*cleanup).data as *mut RequestContext;
            set_module_ctx(r, context);
            return Some(&mut *context);
        }
        cleanup = (*cleanup).next;
    }
    None
}
