//! Transformations (`t:name`): each rewrites a value before the operator sees it. One file per
//! transformation; each is `fn(&[u8]) -> Option<Vec<u8>>`, returning None when the value is
//! unchanged so the common case allocates nothing.

mod base64_decode;
mod base64_decode_ext;
mod base64_encode;
mod cache;
mod cmd_line;
mod compress_whitespace;
mod css_decode;
mod escape_seq_decode;
mod hex_decode;
mod hex_encode;
mod html_entity_decode;
mod js_decode;
mod length;
mod lowercase;
pub(crate) mod md5;
mod normalize_path;
mod parity;
pub mod preimage;
mod remove_comments;
mod remove_comments_char;
mod remove_nulls;
mod remove_whitespace;
mod replace_comments;
mod replace_nulls;
mod sha1;
mod sql_hex_decode;
mod trim;
pub mod unicode_map;
mod uppercase;
mod url_decode;
mod url_decode_uni;
mod url_encode;
mod utf8_to_unicode;

use std::borrow::Cow;

pub use cache::ChainCache;
pub use unicode_map::UnicodeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transformation {
    Base64Decode,
    Base64DecodeExt,
    Base64Encode,
    CmdLine,
    CompressWhitespace,
    CssDecode,
    EscapeSeqDecode,
    HexDecode,
    HexEncode,
    HtmlEntityDecode,
    JsDecode,
    Length,
    Lowercase,
    Md5,
    NormalizePath,
    NormalizePathWin,
    ParityEven7bit,
    ParityOdd7bit,
    ParityZero7bit,
    RemoveComments,
    RemoveCommentsChar,
    RemoveNulls,
    RemoveWhitespace,
    ReplaceComments,
    ReplaceNulls,
    Sha1,
    SqlHexDecode,
    Trim,
    TrimLeft,
    TrimRight,
    Uppercase,
    UrlDecode,
    UrlDecodeUni,
    UrlEncode,
    Utf8ToUnicode,
}

impl Transformation {
    /// The transformation called `name` (any case, as ModSecurity's parser); `t:none` is handled by
    /// the caller (it clears the list).
    pub fn from_name(name: &str) -> Result<Transformation, String> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "base64decode" => Transformation::Base64Decode,
            "base64decodeext" => Transformation::Base64DecodeExt,
            "base64encode" => Transformation::Base64Encode,
            "cmdline" => Transformation::CmdLine,
            "compresswhitespace" => Transformation::CompressWhitespace,
            "cssdecode" => Transformation::CssDecode,
            "escapeseqdecode" => Transformation::EscapeSeqDecode,
            "hexdecode" => Transformation::HexDecode,
            "hexencode" => Transformation::HexEncode,
            "htmlentitydecode" => Transformation::HtmlEntityDecode,
            "jsdecode" => Transformation::JsDecode,
            "length" => Transformation::Length,
            "lowercase" => Transformation::Lowercase,
            "md5" => Transformation::Md5,
            "normalizepath" | "normalisepath" => Transformation::NormalizePath,
            "normalizepathwin" | "normalisepathwin" => Transformation::NormalizePathWin,
            "parityeven7bit" => Transformation::ParityEven7bit,
            "parityodd7bit" => Transformation::ParityOdd7bit,
            "parityzero7bit" => Transformation::ParityZero7bit,
            "removecomments" => Transformation::RemoveComments,
            "removecommentschar" => Transformation::RemoveCommentsChar,
            "removenulls" => Transformation::RemoveNulls,
            "removewhitespace" => Transformation::RemoveWhitespace,
            "replacecomments" => Transformation::ReplaceComments,
            "replacenulls" => Transformation::ReplaceNulls,
            "sha1" => Transformation::Sha1,
            "sqlhexdecode" => Transformation::SqlHexDecode,
            "trim" => Transformation::Trim,
            "trimleft" => Transformation::TrimLeft,
            "trimright" => Transformation::TrimRight,
            "uppercase" => Transformation::Uppercase,
            "urldecode" => Transformation::UrlDecode,
            "urldecodeuni" => Transformation::UrlDecodeUni,
            "urlencode" => Transformation::UrlEncode,
            "utf8tounicode" => Transformation::Utf8ToUnicode,
            _ => return Err(format!("unknown or unsupported transformation \"{name}\"")),
        })
    }

    /// The name as ModSecurity's reference manual spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Transformation::Base64Decode => "base64Decode",
            Transformation::Base64DecodeExt => "base64DecodeExt",
            Transformation::Base64Encode => "base64Encode",
            Transformation::CmdLine => "cmdLine",
            Transformation::CompressWhitespace => "compressWhitespace",
            Transformation::CssDecode => "cssDecode",
            Transformation::EscapeSeqDecode => "escapeSeqDecode",
            Transformation::HexDecode => "hexDecode",
            Transformation::HexEncode => "hexEncode",
            Transformation::HtmlEntityDecode => "htmlEntityDecode",
            Transformation::JsDecode => "jsDecode",
            Transformation::Length => "length",
            Transformation::Lowercase => "lowercase",
            Transformation::Md5 => "md5",
            Transformation::NormalizePath => "normalizePath",
            Transformation::NormalizePathWin => "normalizePathWin",
            Transformation::ParityEven7bit => "parityEven7bit",
            Transformation::ParityOdd7bit => "parityOdd7bit",
            Transformation::ParityZero7bit => "parityZero7bit",
            Transformation::RemoveComments => "removeComments",
            Transformation::RemoveCommentsChar => "removeCommentsChar",
            Transformation::RemoveNulls => "removeNulls",
            Transformation::RemoveWhitespace => "removeWhitespace",
            Transformation::ReplaceComments => "replaceComments",
            Transformation::ReplaceNulls => "replaceNulls",
            Transformation::Sha1 => "sha1",
            Transformation::SqlHexDecode => "sqlHexDecode",
            Transformation::Trim => "trim",
            Transformation::TrimLeft => "trimLeft",
            Transformation::TrimRight => "trimRight",
            Transformation::Uppercase => "uppercase",
            Transformation::UrlDecode => "urlDecode",
            Transformation::UrlDecodeUni => "urlDecodeUni",
            Transformation::UrlEncode => "urlEncode",
            Transformation::Utf8ToUnicode => "utf8toUnicode",
        }
    }

    /// This transformation on `input`; None when the value is unchanged. `unicode_map` is the
    /// rule set's `SecUnicodeMapFile` table, used by `urlDecodeUni` only.
    pub fn apply_once(&self, input: &[u8], unicode_map: Option<&UnicodeMap>) -> Option<Vec<u8>> {
        match self {
            Transformation::Base64Decode => base64_decode::apply(input),
            Transformation::Base64DecodeExt => base64_decode_ext::apply(input),
            Transformation::Base64Encode => base64_encode::apply(input),
            Transformation::CmdLine => cmd_line::apply(input),
            Transformation::CompressWhitespace => compress_whitespace::apply(input),
            Transformation::CssDecode => css_decode::apply(input),
            Transformation::EscapeSeqDecode => escape_seq_decode::apply(input),
            Transformation::HexDecode => hex_decode::apply(input),
            Transformation::HexEncode => hex_encode::apply(input),
            Transformation::HtmlEntityDecode => html_entity_decode::apply(input),
            Transformation::JsDecode => js_decode::apply(input),
            Transformation::Length => Some(length::apply(input)),
            Transformation::Lowercase => lowercase::apply(input),
            Transformation::Md5 => Some(md5::apply(input)),
            Transformation::NormalizePath => normalize_path::unix(input),
            Transformation::NormalizePathWin => normalize_path::windows(input),
            Transformation::ParityEven7bit => parity::even(input),
            Transformation::ParityOdd7bit => parity::odd(input),
            Transformation::ParityZero7bit => parity::zero(input),
            Transformation::RemoveComments => remove_comments::apply(input),
            Transformation::RemoveCommentsChar => remove_comments_char::apply(input),
            Transformation::RemoveNulls => remove_nulls::apply(input),
            Transformation::RemoveWhitespace => remove_whitespace::apply(input),
            Transformation::ReplaceComments => replace_comments::apply(input),
            Transformation::ReplaceNulls => replace_nulls::apply(input),
            Transformation::Sha1 => Some(sha1::apply(input)),
            Transformation::SqlHexDecode => sql_hex_decode::apply(input),
            Transformation::Trim => trim::both(input),
            Transformation::TrimLeft => trim::left(input),
            Transformation::TrimRight => trim::right(input),
            Transformation::Uppercase => uppercase::apply(input),
            Transformation::UrlDecode => url_decode::apply(input),
            Transformation::UrlDecodeUni => url_decode_uni::apply(input, unicode_map),
            Transformation::UrlEncode => url_encode::apply(input),
            Transformation::Utf8ToUnicode => utf8_to_unicode::apply(input),
        }
    }
}

/// Applies `chain` in order, without a unicode map.
pub fn apply<'v>(chain: &[Transformation], value: Cow<'v, [u8]>) -> Cow<'v, [u8]> {
    apply_with_map(chain, value, None)
}

/// Applies `chain` in order; `urlDecodeUni` maps `%uXXXX` through `unicode_map` when given.
pub fn apply_with_map<'v>(
    chain: &[Transformation],
    value: Cow<'v, [u8]>,
    unicode_map: Option<&UnicodeMap>,
) -> Cow<'v, [u8]> {
    chain
        .iter()
        .fold(value, |value, t| match t.apply_once(&value, unicode_map) {
            Some(changed) => Cow::Owned(changed),
            None => value,
        })
}

/// Value of a hex digit, for the decoders.
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Asserts that `shortcut` (a transformation that first checks whether there is anything to
    /// do) gives what `full` (the same without the check) gives, on every string of up to
    /// `max_len` bytes from `alphabet`.
    pub(crate) fn assert_same_on_every_string(
        alphabet: &[u8],
        max_len: usize,
        shortcut: fn(&[u8]) -> Option<Vec<u8>>,
        full: fn(&[u8]) -> Option<Vec<u8>>,
    ) {
        let mut checked = 0;
        let mut current = vec![Vec::new()];
        for _ in 0..=max_len {
            let mut next = Vec::new();
            for input in &current {
                assert_eq!(shortcut(input), full(input), "{input:?}");
                checked += 1;
                for &b in alphabet {
                    next.push([&input[..], &[b]].concat());
                }
            }
            current = next;
        }
        let expected: usize = (0..=max_len as u32).map(|n| alphabet.len().pow(n)).sum();
        assert_eq!(checked, expected);
    }

    #[test]
    fn transformations_as_modsecurity_defines_them() {
        let cases: &[(&str, &[u8], &[u8])] = &[
            ("lowercase", b"AdMiN", b"admin"),
            ("urlDecode", b"a%20b+c%2", b"a b c%2"),
            ("urlDecode", b"%zz%41", b"%zzA"),
            ("urlDecodeUni", b"%u0041%u00e9%41+", b"A\xe9A "),
            ("urlDecodeUni", b"%uff41", b"a"),
            ("urlDecodeUni", b"%u12", b"%u12"),
            ("trim", b" \t x y \n", b"x y"),
            ("trimLeft", b"  x ", b"x "),
            ("trimRight", b"  x ", b"  x"),
            ("compressWhitespace", b"a  \t\n b", b"a b"),
            ("removeNulls", b"a\0b\0", b"ab"),
            ("length", b"hello", b"5"),
        ];
        for (name, input, expected) in cases {
            let t = Transformation::from_name(name).unwrap();
            let out = apply(&[t], Cow::Borrowed(input));
            assert_eq!(&*out, *expected, "{name}");
        }
        assert_eq!(cases.len(), 12);
    }
}
