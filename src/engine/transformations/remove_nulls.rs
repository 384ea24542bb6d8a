//! `t:removeNulls`: drop NUL bytes.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    input
        .contains(&0)
        .then(|| input.iter().copied().filter(|&b| b != 0).collect())
}
