//! `@contains`: the parameter occurs somewhere in the value.

pub fn matches(value: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || value.windows(needle.len()).any(|w| w == needle)
}
