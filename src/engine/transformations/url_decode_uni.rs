//! `t:urlDecodeUni`: like `t:urlDecode`, plus IIS's `%uXXXX` (the `u` in either case). As
//! libmodsecurity: with a unicode map (`SecUnicodeMapFile`), a code point the map has becomes its
//! mapped byte; otherwise, or without a map, it becomes its low byte, except that full-width ASCII
//! (U+FF01-U+FF5E) becomes the ASCII character (low byte + 0x20). An invalid `%u` keeps the `%u`.

use super::unicode_map::UnicodeMap;

pub fn apply(input: &[u8], map: Option<&UnicodeMap>) -> Option<Vec<u8>> {
    let to_byte = |code: u32| match map.and_then(|m| m.get(code)) {
        Some(b) => b,
        None => super::js_decode::full_width_to_ascii((code >> 8) as u8, code as u8),
    };
    super::url_decode::decode(input, Some(&to_byte))
}
