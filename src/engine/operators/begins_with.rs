//! `@beginsWith`: the value starts with the parameter.

pub fn matches(value: &[u8], prefix: &[u8]) -> bool {
    value.starts_with(prefix)
}
