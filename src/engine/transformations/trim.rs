//! `t:trim`, `t:trimLeft`, `t:trimRight`: remove whitespace at the ends.

fn is_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub fn left(input: &[u8]) -> Option<Vec<u8>> {
    let start = input
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(input.len());
    (start > 0).then(|| input[start..].to_vec())
}

pub fn right(input: &[u8]) -> Option<Vec<u8>> {
    let end = input
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(0, |p| p + 1);
    (end < input.len()).then(|| input[..end].to_vec())
}

pub fn both(input: &[u8]) -> Option<Vec<u8>> {
    match left(input) {
        Some(trimmed) => Some(right(&trimmed).unwrap_or(trimmed)),
        None => right(input),
    }
}
