//! `t:htmlEntityDecode`: `&#DDD;`, `&#xHH;` and the named entities `&quot; &amp; &lt; &gt; &nbsp;`
//! become one byte each. As libmodsecurity: the `;` is optional; a numeric entity keeps only the
//! low byte of its value (`&#321;` is 0x41), with any number of digits (leading zeros are allowed:
//! 3.0.14 fixed a bypass through them) and a value too large for a C `long` saturating to 0xff;
//! `&nbsp;` is the byte 0xa0; anything else (`&#xZZ;`, `&foo;`, a lone `&`) is kept as it is.
//! Names must match the whole alphanumeric run (case-insensitively): `&ltx;` is not `<`.

const NAMED: [(&[u8], u8); 5] = [
    (b"quot", b'"'),
    (b"amp", b'&'),
    (b"lt", b'<'),
    (b"gt", b'>'),
    (b"nbsp", 0xa0),
];

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'&') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'&' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        match entity(&input[i + 1..]) {
            Entity::Byte(b, used) => {
                out.push(b);
                i += 1 + used;
                // the terminating `;` is optional and swallowed when present
                if input.get(i) == Some(&b';') {
                    i += 1;
                }
            }
            Entity::Keep(len) => {
                out.extend_from_slice(&input[i..i + 1 + len]);
                i += 1 + len;
            }
        }
    }
    Some(out)
}

enum Entity {
    /// Decoded to this byte, from this many bytes after the `&` (not counting a `;`).
    Byte(u8, usize),
    /// Not an entity: copy the `&` and this many bytes after it verbatim, then go on scanning.
    Keep(usize),
}

fn entity(rest: &[u8]) -> Entity {
    match rest {
        [b'#', b'x' | b'X', digits @ ..] if !digits.is_empty() => {
            let n = digits.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            match n {
                0 => Entity::Keep(2),
                _ => Entity::Byte(low_byte(&digits[..n], 16), 2 + n),
            }
        }
        [b'#', b'x' | b'X'] => Entity::Keep(2),
        [b'#', digits @ ..] if !digits.is_empty() => {
            let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
            match n {
                0 => Entity::Keep(1),
                _ => Entity::Byte(low_byte(&digits[..n], 10), 1 + n),
            }
        }
        [b'#'] => Entity::Keep(1),
        _ => {
            let n = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let name = &rest[..n];
            match NAMED
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(name))
            {
                Some(&(_, b)) if n > 0 => Entity::Byte(b, n),
                _ => Entity::Keep(n),
            }
        }
    }
}

/// The low byte of the number `digits` (valid digits in `radix`), as `(unsigned char)strtol()`:
/// a value beyond `i64::MAX` saturates, so its low byte is 0xff.
fn low_byte(digits: &[u8], radix: u32) -> u8 {
    let mut value: i64 = 0;
    for &d in digits {
        let digit = char::from(d).to_digit(radix).unwrap_or(0);
        match value
            .checked_mul(i64::from(radix))
            .and_then(|v| v.checked_add(i64::from(digit)))
        {
            Some(v) => value = v,
            None => return 0xff,
        }
    }
    (value & 0xff) as u8
}
