//! # secrules
//!
//! An NGINX dynamic module (`ngx_http_secrules_module.so`) that gives an API gateway two things:
//!
//! * **mTLS client identity**: the certificate nginx verified is read from the SSL session,
//!   fingerprinted and forwarded to the upstream (see [`mtls`]); copies a client sent itself are
//!   always removed.
//! * **A SecLang WAF**: ModSecurity rule files are parsed ([`seclang`]), compiled once into an
//!   immutable [`compile::Ruleset`] shared by every location that uses the same rules, and run per
//!   request by an [`engine::Transaction`] in nginx's access phase.
//!
//! Everything except `src/nginx/` is plain safe Rust that runs without nginx: the parser, compiler,
//! evaluator, certificate handling and log formatting are tested on their own
//! (`cargo test --no-default-features` needs no nginx tree at all). `src/nginx/` is the
//! only place that touches nginx types, and every `unsafe` block there says why it holds.
#![deny(unsafe_code)]

pub mod audit;
pub mod compile;
pub mod engine;
pub mod mtls;
pub mod seclang;
pub mod tool;

// Unit tests and engine-only builds run without nginx, whose symbols only exist inside nginx.
#[cfg(all(feature = "nginx-module", not(test)))]
mod nginx;
