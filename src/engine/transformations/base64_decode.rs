//! `t:base64Decode`: strict Base64, as libmodsecurity gets it from mbed TLS. The value is cut at
//! its first NUL byte (the C string ends there). Spaces before a line end or at the very end, and
//! `\n` / `\r\n` line ends, are ignored. Anything else that is not in the alphabet (a space inside
//! a line, `-`, `_`, a lone `\r`, more than two `=`, a letter after `=`) makes the whole result
//! empty: unlike ModSecurity 2, nothing is decoded up to the bad character. A final group of fewer
//! than four characters is dropped (`VGVzdA` is `Tes`); `=` padding is optional.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    let text = input.split(|&b| b == 0).next().unwrap_or_default();
    Some(decode(text).unwrap_or_default())
}

/// The 6-bit value of a Base64 alphabet character.
pub(crate) fn value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// None when mbed TLS would reject the input.
fn decode(text: &[u8]) -> Option<Vec<u8>> {
    // mbed TLS validates everything first
    let mut symbols = Vec::with_capacity(text.len());
    let mut padding = 0;
    let mut i = 0;
    while i < text.len() {
        let spaces = text[i..].iter().take_while(|&&b| b == b' ').count();
        i += spaces;
        let Some(&b) = text.get(i) else { break };
        if b == b'\n' || text[i..].starts_with(b"\r\n") {
            i += 1;
            continue;
        }
        if spaces > 0 {
            return None;
        }
        if b == b'=' {
            padding += 1;
            if padding > 2 {
                return None;
            }
            symbols.push(None);
        } else {
            let v = value(b)?;
            if padding > 0 {
                return None;
            }
            symbols.push(Some(v));
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    for group in symbols.chunks_exact(4) {
        let pads = group.iter().filter(|s| s.is_none()).count();
        let bits = group
            .iter()
            .fold(0u32, |acc, s| acc << 6 | u32::from(s.unwrap_or(0)));
        let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        out.extend_from_slice(&bytes[..3usize.saturating_sub(pads)]);
    }
    Some(out)
}
