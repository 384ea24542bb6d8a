//! Everything that touches nginx: the module definition and its directives, configuration merge,
//! the access-phase handler, the request view the engine reads, client-certificate access through
//! OpenSSL, header rewriting and logging. This folder is the only place with `unsafe`; each block
//! says why it holds.
#![allow(unsafe_code)]

mod access;
mod client_cert;
mod conf;
mod directives;
mod fault;
mod guard;
mod headers;
mod log;
mod request_body;
mod request_context;
mod request_view;
mod response;
mod variables;

use std::ffi::{c_char, c_void};
use std::ptr;

use ngx::ffi::{
    ngx_array_push, ngx_conf_t, ngx_cycle_t, ngx_http_handler_pt, ngx_http_module_t,
    ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_http_phases_NGX_HTTP_LOG_PHASE, ngx_int_t,
    ngx_module_t, NGX_HTTP_MODULE, NGX_LOG_ALERT, NGX_LOG_EMERG, NGX_LOG_NOTICE,
};
use ngx::http::{HttpModule, HttpModuleLocationConf, HttpModuleMainConf, NgxHttpCoreModule};

use conf::{LocationConf, MainConf};
use guard::guarded;

const NGX_OK: ngx_int_t = 0;
const NGX_ERROR: ngx_int_t = -1;
const NGX_CONF_OK: *mut c_char = ptr::null_mut();
const NGX_CONF_ERROR: *mut c_char = usize::MAX as *mut c_char;

pub struct Module;

impl HttpModule for Module {
    fn module() -> &'static ngx_module_t {
        // SAFETY: nginx writes the module's index fields while loading, before any request or
        // configuration callback runs; afterwards the static is only read.
        unsafe { &*ptr::addr_of!(ngx_http_secrules_module) }
    }
}

impl Module {
    /// This module's slot in per-request context arrays.
    fn module_index() -> usize {
        Self::module().ctx_index
    }
}

// SAFETY: create_main_conf below allocates exactly a MainConf for this module.
unsafe impl HttpModuleMainConf for Module {
    type MainConf = MainConf;
}

// SAFETY: create_loc_conf below allocates exactly a LocationConf for this module.
unsafe impl HttpModuleLocationConf for Module {
    type LocationConf = LocationConf;
}

/// Allocates a value in the configuration pool; the pool's cleanup drops it with the cycle, so a
/// reload frees the old configuration's rulesets.
unsafe fn allocate_in_conf_pool<T: Default>(cf: *mut ngx_conf_t) -> *mut c_void {
    ngx::core::Pool::from_ngx_pool((*cf).pool).allocate(T::default()) as *mut c_void
}

unsafe extern "C" fn create_main_conf(cf: *mut ngx_conf_t) -> *mut c_void {
    // SAFETY: nginx passes the configuration being parsed; its pool outlives the cycle's use.
    guarded((*cf).log, ptr::null_mut(), || unsafe {
        allocate_in_conf_pool::<MainConf>(cf)
    })
}

unsafe extern "C" fn create_loc_conf(cf: *mut ngx_conf_t) -> *mut c_void {
    // SAFETY: as above.
    guarded((*cf).log, ptr::null_mut(), || unsafe {
        allocate_in_conf_pool::<LocationConf>(cf)
    })
}

unsafe extern "C" fn merge_loc_conf(
    cf: *mut ngx_conf_t,
    parent: *mut c_void,
    child: *mut c_void,
) -> *mut c_char {
    guarded((*cf).log, NGX_CONF_ERROR, || {
        // SAFETY: nginx hands us two LocationConf values this module created; parent and child
        // are distinct allocations, and configuration parsing is single-threaded.
        let (parent, child) = unsafe {
            (
                &*(parent as *const LocationConf),
                &mut *(child as *mut LocationConf),
            )
        };
        // SAFETY: `cf` is the live http configuration context during merge.
        let Some(main) = Module::main_conf_mut(unsafe { &*cf }) else {
            return NGX_CONF_ERROR;
        };
        let merged = child.merge(parent, &mut main.rulesets);
        for notice in main.rulesets.take_notices() {
            // SAFETY: `cf` is live during merge.
            log::log_line(unsafe { (*cf).log }, NGX_LOG_NOTICE as usize, &notice);
        }
        match merged {
            Ok(()) => NGX_CONF_OK,
            Err(error) => {
                // Logged on the cycle log, not with ngx_conf_log_error: during merge nginx's
                // "current line" is the end of the http block, which would mislead; the error
                // names the rule's own file and line.
                // SAFETY: `cf` is live during merge.
                log::log_line(
                    unsafe { (*cf).log },
                    NGX_LOG_EMERG as usize,
                    &format!("secrules: {error}"),
                );
                NGX_CONF_ERROR
            }
        }
    })
}

unsafe extern "C" fn preconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
    // SAFETY: nginx passes the configuration about to be parsed.
    guarded((*cf).log, NGX_ERROR, || unsafe {
        variables::add_variables(cf)
    })
}

unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
    guarded((*cf).log, NGX_ERROR, || {
        // SAFETY: `cf` is the live http configuration context during postconfiguration.
        let Some(core) = NgxHttpCoreModule::main_conf_mut(unsafe { &*cf }) else {
            return NGX_ERROR;
        };
        // The access phase has no ngx-rust helper; pushing onto the phase's handler array is how
        // C modules register too. nginx runs a phase's handlers last-registered first, so ours runs
        // before the built-in access modules (allow/deny, auth_basic, auth_request).
        let phase = &mut core.phases[ngx_http_phases_NGX_HTTP_ACCESS_PHASE as usize].handlers;
        // SAFETY: `phase` is an ngx_array_t of ngx_http_handler_pt created by the core module.
        let slot = unsafe { ngx_array_push(phase) } as *mut ngx_http_handler_pt;
        if slot.is_null() {
            return NGX_ERROR;
        }
        // SAFETY: `slot` points to a fresh element of the handler array.
        unsafe { *slot = Some(access::access_handler) };
        let phase = &mut core.phases[ngx_http_phases_NGX_HTTP_LOG_PHASE as usize].handlers;
        // SAFETY: as above, the log phase's handler array.
        let slot = unsafe { ngx_array_push(phase) } as *mut ngx_http_handler_pt;
        if slot.is_null() {
            return NGX_ERROR;
        }
        // SAFETY: `slot` points to a fresh element of the handler array.
        unsafe { *slot = Some(response::log_phase_handler) };
        // SAFETY: postconfiguration runs once per configuration cycle, single-threaded.
        unsafe { response::install_filters() };
        NGX_OK
    })
}

/// Worker start: arms fault injection when the configuration passed `SECRULES_FAULT_INJECTION`
/// to the workers (see fault.rs); logged at alert so it cannot go unnoticed in production.
unsafe extern "C" fn init_process(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    // SAFETY: nginx passes the worker's live cycle.
    let log = unsafe { (*cycle).log };
    // A failure here must not stop the worker (nginx would respawn it in a loop).
    guarded(log, NGX_OK, || {
        if let Some(points) = fault::arm_from_environment() {
            log::log_line(
                log,
                NGX_LOG_ALERT as usize,
                &format!("secrules: fault injection armed in this worker: {points}"),
            );
        }
        NGX_OK
    })
}

static NGX_HTTP_SECRULES_MODULE_CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(preconfiguration),
    postconfiguration: Some(postconfiguration),
    create_main_conf: Some(create_main_conf),
    init_main_conf: None,
    create_srv_conf: None,
    merge_srv_conf: None,
    create_loc_conf: Some(create_loc_conf),
    merge_loc_conf: Some(merge_loc_conf),
};

// What `load_module` looks up: the modules of this library, their names, and where ours goes
// among nginx's own (ngx-rust's `ngx_modules!` exports an empty order, which appends the module
// last; a filter appended last runs first, before nginx's copy filter has read file buffers into
// memory, and phase 4 would see no static file's bytes).

/// Module names, null-terminated, as nginx's C code reads them.
#[repr(transparent)]
pub struct CStrList<const N: usize>([*const c_char; N]);
// SAFETY: the pointers are to 'static string literals, never written through.
unsafe impl<const N: usize> Sync for CStrList<N> {}

#[repr(transparent)]
pub struct ModuleList([*const ngx_module_t; 2]);
// SAFETY: nginx reads the list while loading, in the master process, before any other thread
// exists; the one module it points to is ours, which nginx writes only then.
unsafe impl Sync for ModuleList {}

#[no_mangle]
#[allow(non_upper_case_globals)]
pub static ngx_modules: ModuleList =
    ModuleList([ptr::addr_of!(ngx_http_secrules_module), ptr::null()]);

#[no_mangle]
#[allow(non_upper_case_globals)]
pub static ngx_module_names: CStrList<2> =
    CStrList([c"ngx_http_secrules_module".as_ptr(), ptr::null()]);

/// nginx puts the module before the first of the names after its own that is loaded. As
/// ModSecurity-nginx does: the body filter runs after the copy filter (bodies in memory) and
/// before gzip (bodies as the upstream sent them), the header filter likewise.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static ngx_module_order: CStrList<21> = CStrList([
    c"ngx_http_chunked_filter_module".as_ptr(),
    c"ngx_http_v2_filter_module".as_ptr(),
    c"ngx_http_v3_filter_module".as_ptr(),
    c"ngx_http_range_header_filter_module".as_ptr(),
    c"ngx_http_gzip_filter_module".as_ptr(),
    c"ngx_http_secrules_module".as_ptr(),
    c"ngx_http_postpone_filter_module".as_ptr(),
    c"ngx_http_ssi_filter_module".as_ptr(),
    c"ngx_http_charset_filter_module".as_ptr(),
    c"ngx_http_xslt_filter_module".as_ptr(),
    c"ngx_http_image_filter_module".as_ptr(),
    c"ngx_http_sub_filter_module".as_ptr(),
    c"ngx_http_addition_filter_module".as_ptr(),
    c"ngx_http_gunzip_filter_module".as_ptr(),
    c"ngx_http_userid_filter_module".as_ptr(),
    c"ngx_http_headers_filter_module".as_ptr(),
    c"ngx_http_copy_filter_module".as_ptr(),
    c"ngx_http_range_body_filter_module".as_ptr(),
    c"ngx_http_not_modified_filter_module".as_ptr(),
    c"ngx_http_slice_filter_module".as_ptr(),
    ptr::null(),
]);

#[used]
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static mut ngx_http_secrules_module: ngx_module_t = ngx_module_t {
    ctx: ptr::addr_of!(NGX_HTTP_SECRULES_MODULE_CTX) as _,
    commands: ptr::addr_of_mut!(directives::COMMANDS) as _,
    type_: NGX_HTTP_MODULE as _,
    init_process: Some(init_process),
    ..ngx_module_t::default()
};
