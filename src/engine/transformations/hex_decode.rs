//! `t:hexDecode`: every pair of characters becomes one byte; a final odd character is dropped (a
//! single character gives an empty value: libmodsecurity before 3.0.15 read past the end there).
//! As libmodsecurity, the pairs are not validated: a non-hex character is turned into a "digit" by
//! the same arithmetic (`0z` is 0x23), so the result is deterministic for any input.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    Some(
        input
            .chunks_exact(2)
            .map(|pair| {
                unchecked_hex(pair[0])
                    .wrapping_mul(16)
                    .wrapping_add(unchecked_hex(pair[1]))
            })
            .collect(),
    )
}

/// libmodsecurity's `xsingle2c`: right for hex digits, some byte for anything else.
pub(crate) fn unchecked_hex(c: u8) -> u8 {
    if c >= b'A' {
        (c & 0xdf).wrapping_sub(b'A').wrapping_add(10)
    } else {
        c.wrapping_sub(b'0')
    }
}
