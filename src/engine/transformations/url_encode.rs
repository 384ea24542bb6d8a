//! `t:urlEncode`: as libmodsecurity: letters, digits and `*` stay; a space becomes `+`; every other
//! byte becomes `%hh` with lower-case hex.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b == b'*';
    if input.iter().all(|&b| keep(b)) {
        return None;
    }
    let digits = b"0123456789abcdef";
    let mut out = Vec::with_capacity(input.len() * 3);
    for &b in input {
        if keep(b) {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[
                b'%',
                digits[usize::from(b >> 4)],
                digits[usize::from(b & 0x0f)],
            ]);
        }
    }
    Some(out)
}
