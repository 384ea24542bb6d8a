//! Which input bytes a transformation needs to produce some output bytes: if `<` is what a
//! pattern needs after `t:urlDecodeUni,t:htmlEntityDecode`, the raw value must hold one of `<`,
//! `%`, `&` (or `+`, had the pattern needed a space). A value with none of them is ruled out
//! before any transformation runs (see `RuleLink::prefilter`).
//!
//! Each answer is a superset: a byte that may be produced some way not listed here would let a
//! rule be skipped that could have matched, so anything not worked out gives up (None). The test
//! below checks each answer against the transformations themselves on many generated inputs.

use super::Transformation;
use crate::engine::byte_set::ByteSet;

/// The bytes a value must hold one of for `chain` to turn it into a value holding one of
/// `wanted`, or None when any value could.
pub fn through_chain(chain: &[Transformation], wanted: ByteSet) -> Option<ByteSet> {
    chain
        .iter()
        .rev()
        .try_fold(wanted, |wanted, step| through(*step, wanted))
        .filter(|needed| !needed.is_full())
}

fn through(step: Transformation, wanted: ByteSet) -> Option<ByteSet> {
    use Transformation as T;
    let mut needed = wanted;
    let mut add_if = |condition: bool, bytes: &[u8]| {
        if condition {
            for &b in bytes {
                needed.insert(b);
            }
        }
    };
    let space = wanted.contains(b' ');
    const WHITESPACE: &[u8] = b" \t\n\r\x0b\x0c";
    match step {
        // Every byte can come from `%HH`; a space also from `+`.
        T::UrlDecode | T::UrlDecodeUni => {
            add_if(true, b"%");
            add_if(space, b"+");
        }
        T::HtmlEntityDecode => add_if(true, b"&"),
        T::JsDecode | T::CssDecode | T::EscapeSeqDecode => add_if(true, b"\\"),
        T::Lowercase => add_if(true, &upper_of(&wanted)),
        T::Uppercase => add_if(true, &lower_of(&wanted)),
        T::CmdLine => {
            add_if(true, &upper_of(&wanted));
            add_if(space, b" ,;\t\r\n");
        }
        T::CompressWhitespace => add_if(space, WHITESPACE),
        T::ReplaceNulls => add_if(space, b"\0"),
        T::NormalizePathWin => add_if(wanted.contains(b'/'), b"\\"),
        // A comment becomes a space (unterminated) or, closing at the very end, a NUL.
        T::RemoveComments => add_if(space || wanted.contains(0), b"/<"),
        T::ReplaceComments => add_if(space, b"/"),
        // Multi-byte UTF-8 becomes `%uHHHH` in lower-case hex.
        T::Utf8ToUnicode => {
            let encoded = b"%u0123456789abcdef".iter().any(|&b| wanted.contains(b));
            if encoded {
                needed.insert_range(0x80, 0xff);
            }
        }
        // These only remove or keep bytes.
        T::RemoveNulls
        | T::RemoveWhitespace
        | T::RemoveCommentsChar
        | T::NormalizePath
        | T::Trim
        | T::TrimLeft
        | T::TrimRight => {}
        T::Base64Decode
        | T::Base64DecodeExt
        | T::Base64Encode
        | T::HexDecode
        | T::HexEncode
        | T::SqlHexDecode
        | T::UrlEncode
        | T::Length
        | T::Md5
        | T::Sha1
        | T::ParityEven7bit
        | T::ParityOdd7bit
        | T::ParityZero7bit => return None,
    }
    Some(needed)
}

fn upper_of(set: &ByteSet) -> Vec<u8> {
    set.bytes()
        .filter(u8::is_ascii_lowercase)
        .map(|b| b.to_ascii_uppercase())
        .collect()
}

fn lower_of(set: &ByteSet) -> Vec<u8> {
    set.bytes()
        .filter(u8::is_ascii_uppercase)
        .map(|b| b.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::transformations::UnicodeMap;

    /// Inputs rich in what the decoders react to, from a fixed generator.
    fn inputs() -> Vec<Vec<u8>> {
        const PIECES: &[&[u8]] = &[
            b"%",
            b"%4",
            b"%41",
            b"%u",
            b"%uff21",
            b"%u00e9",
            b"+",
            b"&",
            b"&#",
            b"&#x3c;",
            b"&lt;",
            b"&nbsp;",
            b"&#60",
            b"\\",
            b"\\x3c",
            b"\\u003c",
            b"\\uff1c",
            b"\\74",
            b"\\n",
            b"\\3c ",
            b"/*",
            b"*/",
            b"<!--",
            b"-->",
            b"--",
            b"#",
            b"/",
            b"\\",
            b"./",
            b"../",
            b"A",
            b"z",
            b"Z",
            b"0",
            b"9",
            b"f",
            b"x",
            b"u",
            b" ",
            b"\t",
            b"\n",
            b"\r",
            b"\x0b",
            b",",
            b";",
            b"^",
            b"\"",
            b"'",
            b"\0",
            b"\xc3\xa9",
            b"\xe2\x82\xac",
            b"\xf0\x9f\x98\x80",
            b"\xc0",
            b"\x80",
            b"\xff",
            b"\xa0",
            b"\xc2",
            b"(",
            b"<",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (0..30_000)
            .map(|_| {
                let pieces = 1 + next() % 8;
                (0..pieces)
                    .flat_map(|_| PIECES[(next() % PIECES.len() as u64) as usize].to_vec())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn every_byte_a_transformation_produces_comes_from_its_preimage() {
        let inputs = inputs();
        let map: Option<UnicodeMap> = Some(
            super::super::unicode_map::parse(
                include_str!("../../../tests/data/unicode.mapping"),
                20127,
            )
            .unwrap(),
        );
        // Every transformation (`through` matches them all, so a new one cannot be forgotten
        // there; this list is for the test).
        const NAMES: &str = "base64Decode base64DecodeExt base64Encode cmdLine compressWhitespace
            cssDecode escapeSeqDecode hexDecode hexEncode htmlEntityDecode jsDecode length
            lowercase md5 normalizePath normalizePathWin parityEven7bit parityOdd7bit
            parityZero7bit removeComments removeCommentsChar removeNulls removeWhitespace
            replaceComments replaceNulls sha1 sqlHexDecode trim trimLeft trimRight uppercase
            urlDecode urlDecodeUni urlEncode utf8toUnicode";
        let steps: Vec<Transformation> = NAMES
            .split_whitespace()
            .map(|name| Transformation::from_name(name).unwrap())
            .collect();
        assert_eq!(steps.len(), 35);
        let mut checked = 0usize;
        for step in &steps {
            for input in &inputs {
                let present = ByteSet::of(input);
                for unicode_map in [None, map.as_ref()] {
                    let output = match step.apply_once(input, unicode_map) {
                        Some(output) => output,
                        None => input.clone(),
                    };
                    for byte in ByteSet::of(&output).bytes() {
                        let Some(needed) = through(*step, ByteSet::of(&[byte])) else {
                            continue;
                        };
                        checked += 1;
                        assert!(
                            needed.intersects(&present),
                            "{step:?} made {byte:#04x} from {input:?} ({output:?}) without any of {:?}",
                            needed.bytes().collect::<Vec<_>>()
                        );
                    }
                }
            }
        }
        assert!(checked > 1_000_000, "{checked} bytes checked");
    }

    #[test]
    fn chains_add_up_and_give_up_on_encodings() {
        use Transformation as T;
        let lt = ByteSet::of(b"<");
        let needed = through_chain(&[T::UrlDecodeUni, T::HtmlEntityDecode], lt).unwrap();
        assert_eq!(needed.bytes().collect::<Vec<_>>(), b"%&<");
        let needed = through_chain(&[T::Lowercase], ByteSet::of(b"a")).unwrap();
        assert_eq!(needed.bytes().collect::<Vec<_>>(), b"Aa");
        assert_eq!(through_chain(&[T::Base64Decode], lt), None);
        assert_eq!(through_chain(&[], lt), Some(lt));
    }
}
