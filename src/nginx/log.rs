//! Writing to nginx's logs. Lines go through `ngx_log_error_core` so nginx adds its usual
//! context (`client:`, `server:`, `request:` for request logs) and honours `error_log` levels.

use ngx::ffi::{ngx_log_error_core, ngx_log_t, ngx_uint_t};

use crate::engine::LogLevel;

/// Writes `text` to `log` at nginx level `level` (NGX_LOG_*), if that level is enabled.
pub fn log_line(log: *mut ngx_log_t, level: usize, text: &str) {
    if log.is_null() {
        return;
    }
    // SAFETY: `log` is a live ngx_log_t owned by the cycle, connection or configuration that
    // handed it to us; "%*s" reads exactly `text.len()` bytes from `text`, which outlives the call.
    unsafe {
        if level as ngx_uint_t > (*log).log_level {
            return;
        }
        ngx_log_error_core(
            level as ngx_uint_t,
            log,
            0,
            c"%*s".as_ptr(),
            text.len(),
            text.as_ptr(),
        );
    }
}

/// nginx's level for an engine log message.
pub fn nginx_level(level: LogLevel) -> usize {
    use ngx::ffi::{NGX_LOG_ERR, NGX_LOG_INFO, NGX_LOG_WARN};
    (match level {
        LogLevel::Error => NGX_LOG_ERR,
        LogLevel::Warn => NGX_LOG_WARN,
        LogLevel::Info => NGX_LOG_INFO,
    }) as usize
}
