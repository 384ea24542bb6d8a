//! Every transformation against ModSecurity v3's behaviour, as data: `tests/data/transformations.tsv`
//! holds one case a line, `chain<TAB>input<TAB>expected`. The chain is transformation names joined
//! by `,`; a name ending in `@CODEPAGE` runs with the unicode map for that code page read from
//! `tests/data/unicode.mapping`. Input and expected are bytes: `\xNN`, `\t`, `\n`, `\r`, `\\` are
//! escapes, everything else is literal. Blank lines and lines starting with `#` are skipped. The
//! test asserts how many cases ran, so a case lost to a parsing slip fails it.

use std::borrow::Cow;

use secrules::engine::transformations::{
    apply, apply_with_map, unicode_map, Transformation, UnicodeMap,
};

const CASES: &str = include_str!("data/transformations.tsv");
const MAPPING: &str = include_str!("data/unicode.mapping");

fn unescape(field: &str, line: usize) -> Vec<u8> {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'x') => {
                let hex = field
                    .get(i + 2..i + 4)
                    .unwrap_or_else(|| panic!("line {line}: short \\x escape"));
                out.push(
                    u8::from_str_radix(hex, 16)
                        .unwrap_or_else(|_| panic!("line {line}: bad \\x{hex}")),
                );
                i += 4;
                continue;
            }
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'\\') => out.push(b'\\'),
            other => panic!("line {line}: unknown escape {other:?}"),
        }
        i += 2;
    }
    out
}

/// Shows bytes the way the data file writes them.
fn escape(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'\\' => "\\\\".to_string(),
            b'\t' => "\\t".to_string(),
            b'\n' => "\\n".to_string(),
            b'\r' => "\\r".to_string(),
            0x20..=0x7e => char::from(b).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

#[test]
fn transformations_behave_as_modsecurity_v3() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for (n, line) in CASES.lines().enumerate() {
        let line_no = n + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [chain, input, expected] = fields[..] else {
            panic!(
                "line {line_no}: want 3 tab-separated fields, got {}",
                fields.len()
            );
        };
        let mut map: Option<UnicodeMap> = None;
        let chain: Vec<Transformation> = chain
            .split(',')
            .map(|name| {
                let name = match name.split_once('@') {
                    Some((name, codepage)) => {
                        let codepage = codepage
                            .parse()
                            .unwrap_or_else(|_| panic!("line {line_no}: bad code page"));
                        map = Some(
                            unicode_map::parse(MAPPING, codepage)
                                .unwrap_or_else(|e| panic!("line {line_no}: {e}")),
                        );
                        name
                    }
                    None => name,
                };
                Transformation::from_name(name).unwrap_or_else(|e| panic!("line {line_no}: {e}"))
            })
            .collect();
        let input = unescape(input, line_no);
        let expected = unescape(expected, line_no);
        let out = apply_with_map(&chain, Cow::Borrowed(&input), map.as_ref());
        if *out != expected[..] {
            failures.push(format!(
                "line {line_no}: {}: {} -> {} (want {})",
                fields[0],
                escape(&input),
                escape(&out),
                escape(&expected)
            ));
        }
        if map.is_none() {
            // the plain entry point agrees when no map is involved
            assert_eq!(apply(&chain, Cow::Borrowed(&input)), out, "line {line_no}");
        }
        ran += 1;
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ran, CASE_COUNT);
}

const CASE_COUNT: usize = 248;

#[test]
fn every_name_round_trips_and_matches_case_insensitively() {
    for name in TRANSFORMATION_NAMES {
        let t = Transformation::from_name(name).unwrap();
        assert_eq!(t.name(), name);
        assert_eq!(
            Transformation::from_name(&name.to_ascii_uppercase()).unwrap(),
            t
        );
    }
    assert_eq!(
        Transformation::from_name("normalisePath").unwrap(),
        Transformation::NormalizePath
    );
    assert_eq!(
        Transformation::from_name("normalisePathWin").unwrap(),
        Transformation::NormalizePathWin
    );
    assert!(Transformation::from_name("none").is_err());
    assert!(Transformation::from_name("urlDecodeUnicode").is_err());
}

/// No transformation may panic, whatever the bytes: every one runs on every short byte string
/// built from an alphabet of the characters the decoders care about.
#[test]
fn no_transformation_panics_on_any_short_input() {
    let alphabet = b"\\%u&#x;/.*-<!>=0fF9A\x00\xc3\xa9\xe2\xf0\x80\xff+ \n";
    let all: Vec<Transformation> = TRANSFORMATION_NAMES
        .iter()
        .map(|n| Transformation::from_name(n).unwrap())
        .collect();
    let map = unicode_map::parse(MAPPING, 20127).unwrap();
    let mut input = Vec::new();
    let mut count = 0u64;
    // every string of length <= 3 over the alphabet, then longer pseudo-random mixes
    let mut stack = vec![Vec::new()];
    while let Some(prefix) = stack.pop() {
        for t in &all {
            let _ = t.apply_once(&prefix, Some(&map));
        }
        count += 1;
        if prefix.len() < 3 {
            for &b in alphabet {
                let mut next = prefix.clone();
                next.push(b);
                stack.push(next);
            }
        }
    }
    for round in 0..5000u32 {
        input.clear();
        let mut seed = round.wrapping_mul(2_654_435_761);
        for _ in 0..(round % 29) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            input.push(alphabet[seed as usize % alphabet.len()]);
        }
        for t in &all {
            let _ = t.apply_once(&input, Some(&map));
        }
    }
    assert_eq!(count, 1 + 30 + 30 * 30 + 30 * 30 * 30);
}

const TRANSFORMATION_NAMES: [&str; 35] = [
    "base64Decode",
    "base64DecodeExt",
    "base64Encode",
    "cmdLine",
    "compressWhitespace",
    "cssDecode",
    "escapeSeqDecode",
    "hexDecode",
    "hexEncode",
    "htmlEntityDecode",
    "jsDecode",
    "length",
    "lowercase",
    "md5",
    "normalizePath",
    "normalizePathWin",
    "parityEven7bit",
    "parityOdd7bit",
    "parityZero7bit",
    "removeComments",
    "removeCommentsChar",
    "removeNulls",
    "removeWhitespace",
    "replaceComments",
    "replaceNulls",
    "sha1",
    "sqlHexDecode",
    "trim",
    "trimLeft",
    "trimRight",
    "uppercase",
    "urlDecode",
    "urlDecodeUni",
    "urlEncode",
    "utf8toUnicode",
];
