//! What operators read: the error-log line of a rule match, in libmodsecurity's format.
#![forbid(unsafe_code)]

pub mod error_log;
