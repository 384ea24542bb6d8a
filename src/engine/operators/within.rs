//! `@within`: the value occurs inside the parameter (the reverse of `@contains`); an empty value
//! does not match.

pub fn matches(value: &[u8], list: &[u8]) -> bool {
    !value.is_empty() && list.windows(value.len()).any(|w| w == value)
}
