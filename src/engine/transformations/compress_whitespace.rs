//! `t:compressWhitespace`: every run of whitespace (C `isspace`: space, `\t \n \v \f \r`) becomes
//! one space. Unlike ModSecurity 2, libmodsecurity does not count 0xa0 (no-break space) as one.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        if is_space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
    (out != input).then_some(out)
}
