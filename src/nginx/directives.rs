//! The directive table. Flags and enums use nginx's own slot setters; rule sources need their
//! own setters because they accumulate in order and remember where they were written.

use std::ffi::{c_char, c_void};
use std::path::PathBuf;
use std::ptr;

use ngx::ffi::{
    ngx_command_t, ngx_conf_enum_t, ngx_conf_full_name, ngx_conf_set_enum_slot,
    ngx_conf_set_flag_slot, ngx_conf_t, ngx_http_set_complex_value_slot, ngx_str_t, ngx_uint_t,
    NGX_CONF_FLAG, NGX_CONF_TAKE1, NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF,
    NGX_HTTP_SRV_CONF, NGX_LOG_EMERG,
};
use ngx::ngx_string;

use super::conf::{LocationConf, DIGEST_SHA1, DIGEST_SHA256, ON_ERROR_CLOSED, ON_ERROR_OPEN};
use super::guard::guarded;
use super::{NGX_CONF_ERROR, NGX_CONF_OK};
use crate::compile::RuleSource;

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;

const fn command(
    name: ngx_str_t,
    args: u32,
    set: unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char,
    offset: usize,
    post: *mut c_void,
) -> ngx_command_t {
    ngx_command_t {
        name,
        type_: (ANY_LEVEL | args) as ngx_uint_t,
        set: Some(set),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset,
        post,
    }
}

/// One `name -> value` entry of an `ngx_conf_enum_t` table.
const fn choice(name: ngx_str_t, value: ngx_uint_t) -> ngx_conf_enum_t {
    ngx_conf_enum_t { name, value }
}

/// The terminating entry nginx looks for.
const END_OF_CHOICES: ngx_conf_enum_t = choice(
    ngx_str_t {
        len: 0,
        data: ptr::null_mut(),
    },
    0,
);

static mut FINGERPRINT_DIGESTS: [ngx_conf_enum_t; 3] = [
    choice(ngx_string!("sha1"), DIGEST_SHA1),
    choice(ngx_string!("sha256"), DIGEST_SHA256),
    END_OF_CHOICES,
];

static mut ON_ERROR: [ngx_conf_enum_t; 3] = [
    choice(ngx_string!("closed"), ON_ERROR_CLOSED),
    choice(ngx_string!("open"), ON_ERROR_OPEN),
    END_OF_CHOICES,
];

const ENABLED: usize = std::mem::offset_of!(LocationConf, enabled);
const TRANSACTION_ID: usize = std::mem::offset_of!(LocationConf, transaction_id);

// nginx keeps a pointer to this table and its (`post`) enum table for the process lifetime.
pub static mut COMMANDS: [ngx_command_t; 13] = [
    command(
        ngx_string!("secrules"),
        NGX_CONF_FLAG,
        ngx_conf_set_flag_slot,
        ENABLED,
        ptr::null_mut(),
    ),
    command(
        ngx_string!("secrules_file"),
        NGX_CONF_TAKE1,
        set_rules_file,
        0,
        ptr::null_mut(),
    ),
    command(
        ngx_string!("secrule"),
        NGX_CONF_TAKE1,
        set_inline_rules,
        0,
        ptr::null_mut(),
    ),
    command(
        ngx_string!("secrules_transaction_id"),
        NGX_CONF_TAKE1,
        ngx_http_set_complex_value_slot,
        TRANSACTION_ID,
        ptr::null_mut(),
    ),
    command(
        ngx_string!("secrules_client_cert_headers"),
        NGX_CONF_FLAG,
        ngx_conf_set_flag_slot,
        std::mem::offset_of!(LocationConf, client_cert_headers),
        ptr::null_mut(),
    ),
    command(
        ngx_string!("secrules_client_cert_fingerprint"),
        NGX_CONF_TAKE1,
        ngx_conf_set_enum_slot,
        std::mem::offset_of!(LocationConf, fingerprint_digest),
        // Only the address is taken here; nginx reads the table while parsing.
        ptr::addr_of_mut!(FINGERPRINT_DIGESTS) as *mut c_void,
    ),
    command(
        ngx_string!("secrules_client_cert_xfcc"),
        NGX_CONF_FLAG,
        ngx_conf_set_flag_slot,
        std::mem::offset_of!(LocationConf, xfcc),
        ptr::null_mut(),
    ),
    // No ModSecurity-nginx equivalent (it has no guard: an internal error there is whatever
    // libmodsecurity does), so only our name.
    command(
        ngx_string!("secrules_on_error"),
        NGX_CONF_TAKE1,
        ngx_conf_set_enum_slot,
        std::mem::offset_of!(LocationConf, on_error),
        ptr::addr_of_mut!(ON_ERROR) as *mut c_void,
    ),
    // ModSecurity-nginx's names, same meaning, so existing configurations load unchanged.
    command(
        ngx_string!("modsecurity"),
        NGX_CONF_FLAG,
        ngx_conf_set_flag_slot,
        ENABLED,
        ptr::null_mut(),
    ),
    command(
        ngx_string!("modsecurity_rules_file"),
        NGX_CONF_TAKE1,
        set_rules_file,
        0,
        ptr::null_mut(),
    ),
    command(
        ngx_string!("modsecurity_rules"),
        NGX_CONF_TAKE1,
        set_inline_rules,
        0,
        ptr::null_mut(),
    ),
    command(
        ngx_string!("modsecurity_transaction_id"),
        NGX_CONF_TAKE1,
        ngx_http_set_complex_value_slot,
        TRANSACTION_ID,
        ptr::null_mut(),
    ),
    ngx_command_t::empty(),
];

/// The directive's single argument.
///
/// # Safety
/// `cf` must be the configuration being parsed, for a directive declared with one argument.
unsafe fn argument(cf: *mut ngx_conf_t) -> *mut ngx_str_t {
    // args holds the directive name followed by its arguments.
    ((*(*cf).args).elts as *mut ngx_str_t).add(1)
}

/// `secrules_file PATH` / `modsecurity_rules_file PATH`: a relative path is taken from nginx's
/// configuration prefix, like `include`.
unsafe extern "C" fn set_rules_file(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded((*cf).log, NGX_CONF_ERROR, || {
        // SAFETY: nginx calls this for our TAKE1 directive with our LocationConf as `conf`.
        let (conf, path) = unsafe { (&mut *(conf as *mut LocationConf), argument(cf)) };
        // SAFETY: ngx_conf_full_name rewrites `path` in place with memory from the cycle pool.
        if unsafe { ngx_conf_full_name((*cf).cycle, path, 1) } != 0 {
            return NGX_CONF_ERROR;
        }
        // SAFETY: `path` now holds the full name, valid for the cycle.
        let full =
            PathBuf::from(String::from_utf8_lossy(unsafe { (*path).as_bytes() }).into_owned());
        if !full.is_file() {
            ngx::ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "secrules: rules file \"{}\" not found",
                full.display()
            );
            return NGX_CONF_ERROR;
        }
        conf.own_sources.push(RuleSource::File(full));
        NGX_CONF_OK
    })
}

/// `secrule 'SecLang text'` / `modsecurity_rules '...'`: kept with the file and line it was
/// written at, so rule errors and log lines point at nginx.conf.
unsafe extern "C" fn set_inline_rules(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    guarded((*cf).log, NGX_CONF_ERROR, || {
        // SAFETY: nginx calls this for our TAKE1 directive with our LocationConf as `conf`;
        // conf_file is the file being parsed.
        let (conf, text, file, line) = unsafe {
            let file = &*(*cf).conf_file;
            (
                &mut *(conf as *mut LocationConf),
                (*argument(cf)).as_bytes(),
                file.file.name.as_bytes(),
                file.line,
            )
        };
        // nginx's current line is where the directive ended; a multi-line text started earlier.
        let line = line
            .saturating_sub(text.iter().filter(|&&b| b == b'\n').count())
            .max(1);
        let Ok(text) = std::str::from_utf8(text) else {
            ngx::ngx_conf_log_error!(NGX_LOG_EMERG, cf, "secrules: rules text is not valid UTF-8");
            return NGX_CONF_ERROR;
        };
        conf.own_sources.push(RuleSource::Inline {
            text: text.to_owned(),
            origin: String::from_utf8_lossy(file).into_owned(),
            line,
        });
        NGX_CONF_OK
    })
}
