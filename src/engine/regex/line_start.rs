//! What a pattern anchored with `^` needs at the start of a value: `/^header_name_920450_/` can
//! only select keys that begin `header_name_920450_` (in any case). CRS picks TX variables out of
//! the hundred or so a transaction holds this way, twice per request; comparing a few bytes
//! instead of searching each key leaves the search for the keys that can match.
//!
//! Patterns are compiled multi-line, as ModSecurity does: `^` also matches after a line feed, so
//! a value holding one is always searched.

use regex_syntax::hir::literal::Extractor;
use regex_syntax::hir::Look;

/// The literals (in lower case) one of which begins every match of `pattern` at a line start, if
/// every match begins at a line start and the literals are known and few. Case is not told apart:
/// the answer holds for the pattern compiled with or without `(?i)`.
pub fn line_start_literals(pattern: &str) -> Option<LineStart> {
    let translated = super::pcre_syntax::translate(pattern)?;
    let syntax = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .dot_matches_new_line(true)
        .multi_line(true)
        .build()
        .parse(&translated)
        .ok()?;
    let anchors = syntax.properties().look_set_prefix();
    if !anchors.contains(Look::Start) && !anchors.contains(Look::StartLF) {
        return None;
    }
    let found = Extractor::new().extract(&syntax);
    // Exact literals are whole matches: `^msc_` matches a value if and only if it begins with
    // `msc_` (or a line of it does). The extractor reads other assertions as empty, so `^id$` or
    // `^ab\b` also give exact literals although they need more than a prefix: with any assertion
    // besides the leading anchor, the regex decides. Inline flags could make part of the pattern
    // case-sensitive again, which the answer here, blind to case, would not see.
    let other_assertions = !syntax
        .properties()
        .look_set()
        .remove(Look::Start)
        .remove(Look::StartLF)
        .is_empty();
    let inline_flags = pattern
        .split("(?")
        .skip(1)
        .any(|after| after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-'));
    let decides = found.is_exact() && !inline_flags && !other_assertions;
    let mut literals: Vec<Vec<u8>> = found
        .literals()?
        .iter()
        .map(|literal| literal.as_bytes().to_ascii_lowercase())
        .collect();
    literals.sort();
    literals.dedup();
    let useful =
        !literals.is_empty() && literals.len() <= 16 && literals.iter().all(|l| !l.is_empty());
    useful.then_some(LineStart { literals, decides })
}

#[derive(Clone, Debug)]
pub struct LineStart {
    literals: Vec<Vec<u8>>,
    /// The literals are all the pattern matches.
    decides: bool,
}

impl LineStart {
    /// Whether the pattern, compiled case-insensitively, matches `value`, when the literals
    /// answer that: always when `value` begins with none of them (and has a single line), and
    /// when the pattern is nothing but its anchor and its literals.
    pub fn matches(&self, value: &[u8]) -> Option<bool> {
        if value.contains(&b'\n') {
            return None;
        }
        let begins = |literal: &Vec<u8>| {
            value.len() >= literal.len() && value[..literal.len()].eq_ignore_ascii_case(literal)
        };
        match self.literals.iter().any(begins) {
            false => Some(false),
            true => self.decides.then_some(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::regex::Regex;

    #[test]
    fn anchored_literals_are_found_in_either_case() {
        let start = line_start_literals("^header_name_920450_").expect("anchored literal");
        assert_eq!(start.matches(b"header_name_920450_accept"), Some(true));
        assert_eq!(start.matches(b"HEADER_name_920450_x"), Some(true));
        assert_eq!(start.matches(b"anomaly_score"), Some(false));
        assert_eq!(start.matches(b"header_name_9204"), Some(false));
        assert_eq!(start.matches(b"x\nheader_name_920450_"), None);
        let either = line_start_literals("^(?:msc_|modsec_)").expect("two literals");
        assert_eq!(either.matches(b"MSC_PCRE_LIMITS_EXCEEDED"), Some(true));
        assert_eq!(either.matches(b"modsec_x"), Some(true));
        assert_eq!(either.matches(b"ms"), Some(false));
        let open = line_start_literals("^ab+c").expect("a prefix, not the whole match");
        assert_eq!(open.matches(b"abbc"), None);
        assert_eq!(open.matches(b"ac"), Some(false));
        // Other assertions leave the answer to the regex, except where no literal begins.
        let whole = line_start_literals("^id$").expect("a literal with an end anchor");
        assert_eq!(whole.matches(b"identity"), None);
        assert_eq!(whole.matches(b"name"), Some(false));
    }

    #[test]
    fn unanchored_or_open_patterns_give_nothing() {
        assert!(line_start_literals("header_name").is_none());
        assert!(line_start_literals("^a|b").is_none());
        assert!(line_start_literals("^.*$").is_none());
        assert!(line_start_literals("^[a-z]+_x").is_none());
    }

    /// Whatever the literals answer is what the pattern (as selectors compile it, with `(?i)`)
    /// answers.
    #[test]
    fn never_rules_out_a_match() {
        let patterns = [
            "^msc_",
            "^header_name_920450_",
            "^(?:ab|cd)e",
            "^ab?c",
            "^x(?:y|z)",
            "^ab+",
            "^a(?-i)b",
            "^id$",
            "^ab\\b",
            "^(?:ab|abc)",
        ];
        let values: Vec<Vec<u8>> = [
            "msc_a",
            "MSC_",
            "a\nmsc_",
            "header_name_920450_",
            "abe",
            "CDE",
            "ace",
            "abc",
            "ac",
            "xy",
            "XZ",
            "zz\nxz",
            "",
            "\n",
            "m",
            "header",
            "aB",
            "AB",
            "abbb",
            "id",
            "ID",
            "identity",
            "ab c",
            "abx",
        ]
        .iter()
        .map(|v| v.as_bytes().to_vec())
        .collect();
        let mut checked = 0;
        for pattern in patterns {
            let start = line_start_literals(pattern).expect(pattern);
            let regex = Regex::new(&format!("(?i){pattern}")).expect(pattern);
            for value in &values {
                if let Some(answer) = start.matches(value) {
                    assert_eq!(answer, regex.is_match(value), "{pattern} on {value:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 100, "only {checked} answers checked");
    }
}
