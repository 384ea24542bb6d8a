//! `t:length`: the value's length in bytes, as decimal text.

pub fn apply(input: &[u8]) -> Vec<u8> {
    input.len().to_string().into_bytes()
}
