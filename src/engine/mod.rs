//! The per-request side: a [`Transaction`] runs one phase's rules of a compiled
//! [`Ruleset`](crate::compile::Ruleset) against a [`RequestView`] and says whether to intervene.
#![forbid(unsafe_code)]

mod request;

pub use request::RequestView;
