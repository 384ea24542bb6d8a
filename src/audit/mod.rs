//! What operators read: the error-log line of a rule match, in libmodsecurity's format.
#![forbid(unsafe_code)]

pub mod config;
pub mod error_log;
pub mod native;
pub mod record;
pub mod time;
pub mod writer;
