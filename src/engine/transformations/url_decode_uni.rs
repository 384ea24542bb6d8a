//! `t:urlDecodeUni`: like `t:urlDecode`, plus IIS's `%uXXXX`. As libmodsecurity does without a
//! unicode map: a code point in the full-width ASCII block (U+FF01-U+FF5E) becomes its ASCII
//! character; any other becomes its low byte.

use super::hex_value;

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
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
            if i + 5 < input.len() && matches!(input[i + 1], b'u' | b'U') {
                let digits: Option<Vec<u8>> = input[i + 2..i + 6].iter().map(|&d| hex_value(d)).collect();
                if let Some(d) = digits {
                    let code = (d[0] as u32) << 12 | (d[1] as u32) << 8 | (d[2] as u32) << 4 | d[3] as u32;
                    out.push(if (0xff01..=0xff5e).contains(&code) { (code - 0xfee0) as u8 } else { (code & 0xff) as u8 });
                    i += 6;
                    continue;
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
