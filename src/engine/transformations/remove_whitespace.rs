//! `t:removeWhitespace`: drop every whitespace byte (C `isspace`: space, `\t \n \v \f \r`) and, as
//! libmodsecurity, every 0xa0 (Latin-1 no-break space) and every 0xc2 byte (the lead byte of the
//! UTF-8 no-break space, removed even when it starts some other character).

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    let removed = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0 | 0xc2);
    input
        .iter()
        .any(removed)
        .then(|| input.iter().copied().filter(|b| !removed(b)).collect())
}
