//! `@validateUtf8Encoding`: matches when the value is not valid UTF-8 (overlong forms, surrogates,
//! truncated sequences and code points over U+10FFFF included, as Rust's decoder rejects them).

pub fn finds_invalid(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_err()
}
