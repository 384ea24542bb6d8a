//! `@detectXSS`: libinjection's cross-site scripting detector (the pure-Rust port
//! `libinjectionrs`, checked against the C libinjection libmodsecurity embeds by
//! tests/libinjection_differential.rs).

pub fn matches(value: &[u8]) -> bool {
    // As for @detectSQLi: a panic in the detector counts as an attack (fail closed).
    std::panic::catch_unwind(|| libinjectionrs::detect_xss(value).is_injection()).unwrap_or(true)
}
