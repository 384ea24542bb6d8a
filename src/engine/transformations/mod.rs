//! Transformations (`t:name`): each rewrites a value before the operator sees it. One file per
//! transformation; each is `fn(&[u8]) -> Option<Vec<u8>>`, returning None when the value is
//! unchanged so the common case allocates nothing.

mod compress_whitespace;
mod length;
mod lowercase;
mod remove_nulls;
mod trim;
mod url_decode;
mod url_decode_uni;

use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transformation {
    Lowercase,
    UrlDecode,
    UrlDecodeUni,
    Trim,
    TrimLeft,
    TrimRight,
    CompressWhitespace,
    RemoveNulls,
    Length,
}

impl Transformation {
    /// The transformation called `name`; `t:none` is handled by the caller (it clears the list).
    pub fn from_name(name: &str) -> Result<Transformation, String> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "lowercase" => Transformation::Lowercase,
            "urldecode" => Transformation::UrlDecode,
            "urldecodeuni" => Transformation::UrlDecodeUni,
            "trim" => Transformation::Trim,
            "trimleft" => Transformation::TrimLeft,
            "trimright" => Transformation::TrimRight,
            "compresswhitespace" => Transformation::CompressWhitespace,
            "removenulls" => Transformation::RemoveNulls,
            "length" => Transformation::Length,
            _ => return Err(format!("unknown or unsupported transformation \"{name}\"")),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Transformation::Lowercase => "lowercase",
            Transformation::UrlDecode => "urlDecode",
            Transformation::UrlDecodeUni => "urlDecodeUni",
            Transformation::Trim => "trim",
            Transformation::TrimLeft => "trimLeft",
            Transformation::TrimRight => "trimRight",
            Transformation::CompressWhitespace => "compressWhitespace",
            Transformation::RemoveNulls => "removeNulls",
            Transformation::Length => "length",
        }
    }

    fn apply_once(&self, input: &[u8]) -> Option<Vec<u8>> {
        match self {
            Transformation::Lowercase => lowercase::apply(input),
            Transformation::UrlDecode => url_decode::apply(input),
            Transformation::UrlDecodeUni => url_decode_uni::apply(input),
            Transformation::Trim => trim::both(input),
            Transformation::TrimLeft => trim::left(input),
            Transformation::TrimRight => trim::right(input),
            Transformation::CompressWhitespace => compress_whitespace::apply(input),
            Transformation::RemoveNulls => remove_nulls::apply(input),
            Transformation::Length => Some(length::apply(input)),
        }
    }
}

/// Applies `chain` in order.
pub fn apply<'v>(chain: &[Transformation], value: Cow<'v, [u8]>) -> Cow<'v, [u8]> {
    chain.iter().fold(value, |value, t| match t.apply_once(&value) {
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
mod tests {
    use super::*;

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
