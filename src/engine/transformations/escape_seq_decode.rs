//! `t:escapeSeqDecode`: ANSI C escapes: `\a \b \f \n \r \t \v \\ \? \' \"`, `\xHH` (`x` or `X`,
//! exactly two hex digits) and `\O` to `\OOO` octal (the value keeps its low byte: `\777` is 0xff).
//! As libmodsecurity, an unrecognised escape (`\z`, `\8`, `\x` without two hex digits) loses its
//! backslash and keeps the next character; a trailing backslash stays.

use super::hex_value;

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'\\') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let (b, next) = match (input[i], input.get(i + 1)) {
            (b'\\', Some(&c)) => decode(&input[i + 1..]).unwrap_or((c, 1)),
            (b, _) => {
                out.push(b);
                i += 1;
                continue;
            }
        };
        out.push(b);
        i += 1 + next;
    }
    Some(out)
}

/// The byte for the escape after a backslash, and how many bytes it used.
fn decode(rest: &[u8]) -> Option<(u8, usize)> {
    match *rest {
        [c @ (b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' | b'?' | b'\'' | b'"'), ..] => {
            Some((super::js_decode::control(c), 1))
        }
        [b'x' | b'X', h, l, ..] => Some((hex_value(h)? << 4 | hex_value(l)?, 3)),
        [b'0'..=b'7', ..] => {
            let digits = rest
                .iter()
                .take(3)
                .take_while(|b| (b'0'..=b'7').contains(b))
                .count();
            let value = rest[..digits]
                .iter()
                .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
            Some(((value & 0xff) as u8, digits))
        }
        _ => None,
    }
}
