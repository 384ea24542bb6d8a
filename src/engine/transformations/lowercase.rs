//! `t:lowercase`: ASCII letters to lower case (bytes, no Unicode case folding, as ModSecurity).

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    input
        .iter()
        .any(u8::is_ascii_uppercase)
        .then(|| input.to_ascii_lowercase())
}
