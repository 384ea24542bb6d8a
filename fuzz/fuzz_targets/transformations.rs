//! Every transformation: the first byte picks one, the rest is the value.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use secrules::engine::transformations::{unicode_map, Transformation, UnicodeMap};

use Transformation::*;

/// Every transformation by its SecLang name (checked against the enum below at start).
const NAMES: &str =
    "base64Decode base64DecodeExt base64Encode cmdLine compressWhitespace cssDecode \
    escapeSeqDecode hexDecode hexEncode htmlEntityDecode jsDecode length lowercase md5 \
    normalizePath normalizePathWin parityEven7bit parityOdd7bit parityZero7bit removeComments \
    removeCommentsChar removeNulls removeWhitespace replaceComments replaceNulls sha1 \
    sqlHexDecode trim trimLeft trimRight uppercase urlDecode urlDecodeUni urlEncode utf8toUnicode";

/// Variants in the match in `listed`; NAMES must name as many distinct ones.
const VARIANTS: usize = 35;

fn all() -> &'static [Transformation] {
    static ALL: OnceLock<Vec<Transformation>> = OnceLock::new();
    ALL.get_or_init(|| {
        let all: Vec<Transformation> = NAMES
            .split_whitespace()
            .map(|name| Transformation::from_name(name).expect("a transformation name"))
            .collect();
        let distinct = (0..all.len())
            .filter(|&i| !all[..i].contains(&all[i]))
            .count();
        assert_eq!(distinct, VARIANTS, "every transformation, each once");
        all
    })
}

/// Fails to compile when a transformation is added: count it in VARIANTS and name it in NAMES.
#[allow(dead_code)]
fn listed(t: Transformation) {
    match t {
        Base64Decode | Base64DecodeExt | Base64Encode | CmdLine | CompressWhitespace
        | CssDecode | EscapeSeqDecode | HexDecode | HexEncode | HtmlEntityDecode | JsDecode
        | Length | Lowercase | Md5 | NormalizePath | NormalizePathWin | ParityEven7bit
        | ParityOdd7bit | ParityZero7bit | RemoveComments | RemoveCommentsChar | RemoveNulls
        | RemoveWhitespace | ReplaceComments | ReplaceNulls | Sha1 | SqlHexDecode | Trim
        | TrimLeft | TrimRight | Uppercase | UrlDecode | UrlDecodeUni | UrlEncode
        | Utf8ToUnicode => {}
    }
}

/// CRS CI's code page 20127 table, when the shared CRS folder is there (urlDecodeUni uses it).
fn map() -> Option<&'static UnicodeMap> {
    static MAP: OnceLock<Option<UnicodeMap>> = OnceLock::new();
    MAP.get_or_init(|| {
        let path = secrules_fuzz::crs_conf().with_file_name("unicode.mapping");
        let text = std::fs::read_to_string(path).ok()?;
        unicode_map::parse(&text, 20127).ok()
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, value)) = data.split_first() else {
        return;
    };
    let all = all();
    let transformation = all[pick as usize % all.len()];
    // Odd selectors run with the unicode map, even ones without (urlDecodeUni differs).
    let map = if pick as usize / all.len() % 2 == 1 {
        map()
    } else {
        None
    };
    let once = transformation.apply_once(value, map);
    // A transformation that reports a change must not hand back the same bytes forever: apply
    // it again to the output, as a t: chain of the same name would.
    if let Some(output) = once {
        let _ = transformation.apply_once(&output, map);
    }
});
