//! `t:utf8toUnicode`: every UTF-8 multi-byte sequence becomes `%uHHHH` (lower-case hex, at least
//! four digits: `%u00e9`, `%u20ac`, `%u1f600`). ASCII is kept. libmodsecurity's quirks, kept so
//! rules see the same bytes: a lead byte (0xc0-0xf7) whose continuation bytes are missing or
//! wrong is dropped (the bytes after it are then read on their own); a stray continuation byte or
//! 0xf8-0xff stays as it is; 0xf5-0xf7 is copied and still decoded; an overlong form or a
//! surrogate (U+D800-U+DFFF) is decoded and followed by its lead byte; a NUL byte is dropped
//! unless it is the last byte.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_ascii() && !input.contains(&0) {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        let len = match c {
            0x00..=0x7f => {
                // libmodsecurity writes a NUL without advancing its output, so the next byte
                // overwrites it; only a final NUL survives
                if c != 0 || i + 1 == input.len() {
                    out.push(c);
                }
                i += 1;
                continue;
            }
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        if c >= 0xf5 {
            out.push(c);
        }
        let tail = input
            .get(i + 1..i + len)
            .filter(|t| t.len() == len - 1 && t.iter().all(|&b| b & 0xc0 == 0x80));
        let Some(tail) = tail else {
            i += 1;
            continue;
        };
        let lead_bits = match len {
            2 => c & 0x1f,
            3 => c & 0x0f,
            _ => c & 0x07,
        };
        let code = tail.iter().fold(u32::from(lead_bits), |code, &b| {
            code << 6 | u32::from(b & 0x3f)
        });
        out.extend_from_slice(format!("%u{code:04x}").as_bytes());
        let shortest = match len {
            2 => 0x80,
            3 => 0x800,
            _ => 0x10000,
        };
        if (0xd800..=0xdfff).contains(&code) {
            out.push(c);
        }
        if code < shortest {
            out.push(c);
        }
        i += len;
    }
    Some(out)
}
