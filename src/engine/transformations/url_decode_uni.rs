//! `t:urlDecodeUni`: like `t:urlDecode`, plus IIS's `%uXXXX`. As libmodsecurity does without a
//! unicode map: a code point in the full-width ASCII block (U+FF01-U+FF5E) becomes its ASCII
//! character; any other becomes its low byte.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    super::url_decode::decode(input, Some(code_point_to_byte))
}

fn code_point_to_byte(code: u32) -> u8 {
    if (0xff01..=0xff5e).contains(&code) {
        (code - 0xfee0) as u8
    } else {
        (code & 0xff) as u8
    }
}
