//! `t:base64DecodeExt`: forgiving Base64, as libmodsecurity's `decode_forgiven`: every byte outside
//! the alphabet (including `.`, `-`, whitespace, NUL) is skipped; `=` is skipped too, except that a
//! `=` right after the first character of a 4-character group (not followed by another `=`), or a
//! value ending in such a group, gives an empty result. A trailing partial group still yields its
//! complete bytes (`VGVzdA` is `Test`).

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    Some(decode(input).unwrap_or_default())
}

fn decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    // bits of the byte being assembled
    let mut pending = 0u8;
    let mut count = 0usize;
    // libmodsecurity looks at its last `ch` after the loop: `=`, or the value 61 (`9`), which
    // equals the code of `=`
    let mut last_is_pad_code = false;
    for (i, &b) in input.iter().enumerate() {
        if b == b'=' {
            if input.get(i + 1) != Some(&b'=') && count % 4 == 1 {
                return None;
            }
            last_is_pad_code = true;
            continue;
        }
        let Some(v) = super::base64_decode::value(b) else {
            last_is_pad_code = false;
            continue;
        };
        last_is_pad_code = v == 61;
        match count % 4 {
            0 => pending = v << 2,
            1 => {
                out.push(pending | v >> 4);
                pending = (v & 0x0f) << 4;
            }
            2 => {
                out.push(pending | v >> 2);
                pending = (v & 0x03) << 6;
            }
            _ => out.push(pending | v),
        }
        count += 1;
    }
    if last_is_pad_code && count % 4 == 1 {
        return None;
    }
    Some(out)
}
