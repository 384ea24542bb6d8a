//! What operators read: the error-log line of a rule match and the audit record of a
//! transaction, in libmodsecurity's formats, and the audit log writers.
#![forbid(unsafe_code)]

pub mod config;
pub mod error_log;
pub mod native;
pub mod record;
pub mod reference;
pub mod time;
pub mod writer;
