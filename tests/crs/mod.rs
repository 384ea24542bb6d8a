//! The CRS regression suite runner: go-ftw's test files, request building and judging, with the
//! real nginx and the module in between.
#![allow(dead_code)]

pub mod request;
pub mod runner;
pub mod suite;
