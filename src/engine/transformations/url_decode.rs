//! `t:urlDecode`: `%XX` to its byte and `+` to a space; invalid escapes are kept as they are.

use super::hex_value;

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if !input.iter().any(|&b| b == b'%' || b == b'+') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' if i + 2 < input.len() => {
                match (hex_value(input[i + 1]), hex_value(input[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}
