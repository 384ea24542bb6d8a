//! `t:urlDecode`: `%XX` to its byte and `+` to a space; invalid escapes are kept as they are.
//! The decoder is shared with `t:urlDecodeUni`, which adds `%uXXXX`.

use super::hex_value;

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    decode(input, None)
}

/// Decodes `%XX` and `+`; with `percent_u`, also `%uXXXX`, each code point mapped to one byte by it.
pub fn decode(input: &[u8], percent_u: Option<&dyn Fn(u32) -> u8>) -> Option<Vec<u8>> {
    if !input.iter().any(|&b| b == b'%' || b == b'+') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        if b == b'%' {
            if let Some(map) = percent_u {
                if i + 5 < input.len() && matches!(input[i + 1], b'u' | b'U') {
                    let digits: Option<Vec<u8>> =
                        input[i + 2..i + 6].iter().map(|&d| hex_value(d)).collect();
                    if let Some(d) = digits {
                        out.push(map(d
                            .iter()
                            .fold(0, |code, &digit| code << 4 | u32::from(digit))));
                        i += 6;
                        continue;
                    }
                }
            }
            if i + 2 < input.len() {
                if let (Some(h), Some(l)) = (hex_value(input[i + 1]), hex_value(input[i + 2])) {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b);
        i += 1;
    }
    Some(out)
}
