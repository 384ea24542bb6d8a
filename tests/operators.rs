//! Every operator against data cases (tests/data/operators.tsv), through the public engine API
//! without nginx. The suite asserts how many cases ran.

mod common;

use std::path::Path;

use common::request::Request;
use secrules::engine::operators::Operator;
use secrules::engine::{EvalContext, TransactionState};

/// `\xNN`, `\t`, `\n`, `\\` and `\e` (the empty string) as bytes.
fn unescape(text: &str) -> Vec<u8> {
    if text == "\\e" {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'x' if i + 3 < bytes.len()
                    && bytes[i + 2].is_ascii_hexdigit()
                    && bytes[i + 3].is_ascii_hexdigit() =>
                {
                    out.push(u8::from_str_radix(&text[i + 2..i + 4], 16).unwrap());
                    i += 4;
                    continue;
                }
                b't' => out.push(b'\t'),
                b'n' => out.push(b'\n'),
                b'\\' => out.push(b'\\'),
                _ => {
                    // Anything else (a regex escape such as `\d` or `\x{41}`) is kept as written.
                    out.extend_from_slice(&bytes[i..i + 2]);
                }
            }
            i += 2;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[test]
fn operators_as_modsecurity_defines_them() {
    let data = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/operators.tsv"),
    )
    .unwrap();
    let state = TransactionState::default();
    let request = Request::default();
    let ctx = EvalContext {
        request: &request,
        state: &state,
    };
    let mut ran = 0;
    let mut failures = Vec::new();
    for (number, line) in data.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, parameter, input, expected] = fields[..] else {
            panic!(
                "line {}: expected 4 tab-separated fields: {line:?}",
                number + 1
            );
        };
        // Regex parameters keep their backslashes; the other operators take bytes.
        let parameter = if name == "rx" {
            if parameter == "\\e" {
                String::new()
            } else {
                parameter.to_string()
            }
        } else {
            String::from_utf8(unescape(parameter)).unwrap()
        };
        let operator = Operator::compile(name, &parameter, Path::new("/"))
            .unwrap_or_else(|e| panic!("line {}: {e}", number + 1));
        let matched = operator.matches(&unescape(input), None, &ctx);
        let wanted = match expected {
            "match" => true,
            "no" => false,
            other => panic!("line {}: expected match or no, not {other:?}", number + 1),
        };
        if matched != wanted {
            failures.push(format!(
                "line {}: @{name} {parameter:?} on {input:?}: got {matched}",
                number + 1
            ));
        }
        ran += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(ran, 92);
}
