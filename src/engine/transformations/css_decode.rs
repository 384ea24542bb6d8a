//! `t:cssDecode`: CSS 2 escapes. `\` and 1-6 hex digits is one byte, as libmodsecurity: the last
//! two digits (one digit alone is its value), except that a 4-digit escape, or a 5/6-digit one
//! padded with zeros to 4 significant digits, in the full-width ASCII block (FF01-FF5E) becomes
//! the ASCII character; one whitespace after the hex digits is eaten. A backslash before a newline
//! removes both; before anything else it is dropped and the character kept (`\"` is `"`); a
//! trailing backslash is dropped.

use super::hex_value;

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'\\') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        i += 1;
        let rest = &input[i..];
        let digits = rest
            .iter()
            .take(6)
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if digits > 0 {
            out.push(escaped_byte(&rest[..digits]));
            i += digits;
            // the one whitespace that ends an escape (C isspace)
            if input
                .get(i)
                .is_some_and(|&b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
            {
                i += 1;
            }
        } else if let Some(&c) = rest.first() {
            if c != b'\n' {
                out.push(c);
            }
            i += 1;
        }
    }
    Some(out)
}

/// The byte for 1-6 hex digits, following libmodsecurity's per-length rules.
fn escaped_byte(digits: &[u8]) -> u8 {
    let value = |d: u8| hex_value(d).unwrap_or(0);
    let n = digits.len();
    if n == 1 {
        return value(digits[0]);
    }
    let low = value(digits[n - 2]) << 4 | value(digits[n - 1]);
    // only a code point that fits in 16 bits can be full-width ASCII
    let sixteen_bit = match n {
        4 => true,
        5 => digits[0] == b'0',
        6 => digits[0] == b'0' && digits[1] == b'0',
        _ => false,
    };
    if sixteen_bit {
        let high = value(digits[n - 4]) << 4 | value(digits[n - 3]);
        super::js_decode::full_width_to_ascii(high, low)
    } else {
        low
    }
}
