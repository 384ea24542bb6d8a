//! `t:hexEncode`: every byte as two lower-case hex digits.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    let digits = b"0123456789abcdef";
    Some(
        input
            .iter()
            .flat_map(|&b| [digits[usize::from(b >> 4)], digits[usize::from(b & 0x0f)]])
            .collect(),
    )
}
