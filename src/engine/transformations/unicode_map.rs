//! The code-point-to-byte table `t:urlDecodeUni` uses for `%uXXXX` once `SecUnicodeMapFile path
//! codepage` is set. The file (ModSecurity's `unicode.mapping`) is whitespace-separated tokens:
//! a section starts with its code page number (`20127 (US-ASCII)`), followed by `hhhh:hh` pairs
//! (code point, byte), and ends at the next token without a `:`.
//!
//! As libmodsecurity, a loaded map also sends the IDNA full stops U+3002, U+FF0E, U+FF61 (and
//! U+002E) to `.`, and a code point above U+FFFF in the file is ignored. Unlike libmodsecurity,
//! which silently loads only those four dots, a code page that the file does not have is an error.

use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnicodeMap {
    codepage: u32,
    bytes: HashMap<u16, u8>,
}

impl UnicodeMap {
    /// The byte for `code_point`, if the map has one.
    pub fn get(&self, code_point: u32) -> Option<u8> {
        u16::try_from(code_point)
            .ok()
            .and_then(|c| self.bytes.get(&c).copied())
    }

    pub fn codepage(&self) -> u32 {
        self.codepage
    }

    /// How many code points the map has (the four dots included).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Reads the section for `codepage` from the text of a mapping file.
pub fn parse(text: &str, codepage: u32) -> Result<UnicodeMap, String> {
    let mut bytes: HashMap<u16, u8> = [0x3002, 0xff61, 0xff0e, 0x002e]
        .into_iter()
        .map(|c| (c, b'.'))
        .collect();
    let mut tokens = text.split_ascii_whitespace();
    let found = tokens
        .by_ref()
        .any(|t| !t.contains(':') && leading_number(t) == Some(codepage));
    if !found {
        return Err(format!("unicode map: no code page {codepage} in the file"));
    }
    let mut mappings = 0;
    for token in tokens {
        let Some((code, byte)) = token.split_once(':') else {
            // the section's name, e.g. `(US-ASCII)`, comes before its pairs
            if mappings == 0 {
                continue;
            }
            break;
        };
        let bad = || format!("unicode map: code page {codepage}: bad mapping \"{token}\"");
        let code = u32::from_str_radix(code, 16).map_err(|_| bad())?;
        let byte = u32::from_str_radix(byte, 16).map_err(|_| bad())?;
        mappings += 1;
        if let Ok(code) = u16::try_from(code) {
            // libmodsecurity stores an int and writes it to a char: only the low byte counts
            bytes.insert(code, (byte & 0xff) as u8);
        }
    }
    if mappings == 0 {
        return Err(format!("unicode map: code page {codepage} has no mappings"));
    }
    Ok(UnicodeMap { codepage, bytes })
}

/// The decimal number a token starts with (`atol`), None when it does not start with a digit.
fn leading_number(token: &str) -> Option<u32> {
    let digits = token.bytes().take_while(u8::is_ascii_digit).count();
    token[..digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "(MAC - Roman)\n\n1250  (ANSI - Central Europe)\n00a1:21 00c0:41\n\n\
                          20127 (US-ASCII)\n00c0:41 ff01:21 2018:27 1f600:3f 0100:141\n\n20261 (T.61)\n00c0:58\n";

    #[test]
    fn reads_only_the_chosen_section() {
        let map = parse(SAMPLE, 20127).unwrap();
        assert_eq!(map.get(0xc0), Some(b'A'));
        assert_eq!(map.get(0x2018), Some(b'\''));
        assert_eq!(map.get(0xa1), None);
        assert_eq!(map.get(0x1f600), None);
        assert_eq!(map.get(0x100), Some(0x41));
        assert_eq!(map.get(0x3002), Some(b'.'));
        assert_eq!(map.codepage(), 20127);
        assert_eq!(parse(SAMPLE, 1250).unwrap().get(0xc0), Some(b'A'));
        assert_eq!(parse(SAMPLE, 20261).unwrap().get(0xc0), Some(b'X'));
    }

    #[test]
    fn rejects_missing_or_malformed_sections() {
        assert!(parse(SAMPLE, 437).is_err());
        assert!(parse("(MAC - Roman)\n", 0).is_err());
        assert!(parse("20127 (US-ASCII)\n00zz:41\n", 20127).is_err());
        assert!(parse("20127 (US-ASCII)\n", 20127).is_err());
        assert!(parse("", 20127).is_err());
    }
}
