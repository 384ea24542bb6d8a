//! `@endsWith`: the value ends with the parameter.

pub fn matches(value: &[u8], suffix: &[u8]) -> bool {
    value.ends_with(suffix)
}
