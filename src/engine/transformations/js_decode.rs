//! `t:jsDecode`: JavaScript escapes. `\uHHHH` keeps only its low byte, except that full-width ASCII
//! (U+FF01-U+FF5E) becomes the ASCII character; `\xHH` is a byte; `\OOO` is octal, at most three
//! digits and only while the value fits a byte (`\400` is `\40` then `0`); `\a \b \f \n \r \t \v`
//! are the C controls; any other escaped character is itself (`\'`, `\\`, and also an invalid `\x`
//! or `\u`, which lose only the backslash). A trailing lone backslash stays. The `x` and `u` must
//! be lower case, as in libmodsecurity.

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
        let rest = &input[i + 1..];
        if let Some((b, used)) = unicode_escape(rest)
            .or_else(|| hex_escape(rest))
            .or_else(|| octal_escape(rest))
        {
            out.push(b);
            i += 1 + used;
        } else if let Some(&c) = rest.first() {
            out.push(control(c));
            i += 2;
        } else {
            out.push(b'\\');
            i += 1;
        }
    }
    Some(out)
}

fn unicode_escape(rest: &[u8]) -> Option<(u8, usize)> {
    let [b'u', h1, h2, l1, l2, ..] = *rest else {
        return None;
    };
    let (h1, h2, l1, l2) = (
        hex_value(h1)?,
        hex_value(h2)?,
        hex_value(l1)?,
        hex_value(l2)?,
    );
    Some((full_width_to_ascii(h1 << 4 | h2, l1 << 4 | l2), 5))
}

/// The byte libmodsecurity keeps for the code point `high`:`low` in its `\u`/`%u` decoders.
pub(crate) fn full_width_to_ascii(high: u8, low: u8) -> u8 {
    // U+FF01-U+FF5E mirror ASCII 0x21-0x7e: browsers and some back ends fold them
    if high == 0xff && (0x01..0x5f).contains(&low) {
        low + 0x20
    } else {
        low
    }
}

fn hex_escape(rest: &[u8]) -> Option<(u8, usize)> {
    let [b'x', h, l, ..] = *rest else { return None };
    Some((hex_value(h)? << 4 | hex_value(l)?, 3))
}

/// `\O`, `\OO`, `\OOO`: a third digit only when the first is 0-3, so the value stays a byte.
pub(crate) fn octal_escape(rest: &[u8]) -> Option<(u8, usize)> {
    let digits = rest
        .iter()
        .take(3)
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    if digits == 0 {
        return None;
    }
    let digits = if digits == 3 && rest[0] > b'3' {
        2
    } else {
        digits
    };
    let value = rest[..digits]
        .iter()
        .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
    Some(((value & 0xff) as u8, digits))
}

/// The C control escapes; anything else stands for itself.
pub(crate) fn control(c: u8) -> u8 {
    match c {
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 0x0b,
        other => other,
    }
}
