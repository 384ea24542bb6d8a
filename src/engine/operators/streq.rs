//! `@streq`: the value equals the parameter exactly.

pub fn matches(value: &[u8], expected: &[u8]) -> bool {
    value == expected
}
