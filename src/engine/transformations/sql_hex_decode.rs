//! `t:sqlHexDecode`: SQL hex literals `0xHHHH...` (the `x` in either case) become their bytes; the
//! literal ends at the first pair that is not two hex digits (an odd last digit is kept as text).

use super::hex_value;

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut changed = false;
    let mut i = 0;
    while i < input.len() {
        let pair =
            |at: usize| Some(hex_value(*input.get(at)?)? << 4 | hex_value(*input.get(at + 1)?)?);
        if input[i] == b'0'
            && matches!(input.get(i + 1), Some(b'x' | b'X'))
            && pair(i + 2).is_some()
        {
            i += 2;
            while let Some(b) = pair(i) {
                out.push(b);
                i += 2;
            }
            changed = true;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}
