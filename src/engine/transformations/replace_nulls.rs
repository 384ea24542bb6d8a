//! `t:replaceNulls`: every NUL byte becomes a space.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    input.contains(&0).then(|| {
        input
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect()
    })
}
