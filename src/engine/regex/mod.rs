//! Regular expressions with PCRE's meaning as ModSecurity compiles them (DOTALL | MULTILINE,
//! bytes, no UTF). Nearly every pattern runs on regex-automata, in time linear in the input.
//! The few that need backtracking (lookaround, backreferences, possessive quantifiers, atomic
//! groups) run on PCRE2 itself, whose default match and depth limits bound the work; the rule
//! set lists them at load time so nobody is surprised.

use std::cell::OnceCell;

mod line_start;
mod pcre_syntax;
mod required_bytes;

pub use line_start::{line_start_literals, LineStart};

use crate::engine::byte_set::{self, ByteSet};

use regex_automata::meta;
use regex_automata::util::syntax;

/// A value to search, with the set of bytes it holds worked out at most once however many
/// patterns look at it: the transformation cache keeps the set beside each value it keeps.
pub struct Subject<'s> {
    bytes: &'s [u8],
    present: Option<&'s OnceCell<ByteSet>>,
}

impl<'s> Subject<'s> {
    pub fn new(bytes: &'s [u8]) -> Subject<'s> {
        Subject {
            bytes,
            present: None,
        }
    }

    /// `bytes`, whose byte set is (or will be) kept in `present`.
    pub fn with_byte_set(bytes: &'s [u8], present: &'s OnceCell<ByteSet>) -> Subject<'s> {
        Subject {
            bytes,
            present: Some(present),
        }
    }

    pub fn bytes(&self) -> &'s [u8] {
        self.bytes
    }

    fn present(&self) -> ByteSet {
        match self.present {
            Some(cell) => *cell.get_or_init(|| ByteSet::of(self.bytes)),
            None => ByteSet::of(self.bytes),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Regex {
    engine: Engine,
}

#[derive(Clone, Debug)]
enum Engine {
    /// With the bytes every match contains one of, when there are such bytes.
    Linear(meta::Regex, Option<ByteSet>),
    Backtracking(pcre2::bytes::Regex),
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, String> {
        if let Some(translated) = pcre_syntax::translate(pattern) {
            let syntax = syntax::Config::new()
                .unicode(false)
                .utf8(false)
                .dot_matches_new_line(true)
                .multi_line(true);
            // utf8_empty(false): values are bytes, not UTF-8. With the default, an empty match
            // next to a byte >= 0x80 is treated as splitting a code point, and the forward and
            // reverse searches disagree: `(?m)^.*$` on "\xae..." panicked inside regex-automata
            // ("reverse search must match if forward search does"; found by fuzzing CRS).
            let config = meta::Config::new().utf8_empty(false);
            if let Some((hir, regex)) =
                syntax::parse_with(&translated, &syntax)
                    .ok()
                    .and_then(|hir| {
                        let regex = meta::Regex::builder()
                            .configure(config)
                            .build_from_hir(&hir);
                        Some((hir, regex.ok()?))
                    })
            {
                let required = required_bytes::required_bytes(&hir);
                return Ok(Regex {
                    engine: Engine::Linear(regex, required),
                });
            }
        }
        // PCRE2 is the authority on what a pattern means: whatever it rejects is an error.
        let regex = pcre2::bytes::RegexBuilder::new()
            .dotall(true)
            .multi_line(true)
            .jit_if_available(true)
            .build(pattern)
            .map_err(|e| format!("regex \"{pattern}\" does not compile: {e}"))?;
        Ok(Regex {
            engine: Engine::Backtracking(regex),
        })
    }

    /// Whether the value holds a byte that every match needs (long values are not tested).
    fn may_match(required: &Option<ByteSet>, subject: &Subject) -> bool {
        match required {
            Some(set) if subject.bytes.len() <= byte_set::LONGEST_TESTED => {
                set.intersects(&subject.present())
            }
            _ => true,
        }
    }

    /// The bytes every match contains one of, when the pattern has such bytes.
    pub fn required_bytes(&self) -> Option<ByteSet> {
        match &self.engine {
            Engine::Linear(_, required) => *required,
            Engine::Backtracking(_) => None,
        }
    }

    /// Whether this pattern needs the backtracking engine.
    pub fn is_backtracking(&self) -> bool {
        matches!(self.engine, Engine::Backtracking(_))
    }

    pub fn is_match(&self, value: &[u8]) -> bool {
        self.is_match_subject(&Subject::new(value))
    }

    pub fn is_match_subject(&self, subject: &Subject) -> bool {
        let value = subject.bytes;
        match &self.engine {
            Engine::Linear(regex, required) => {
                Self::may_match(required, subject) && regex.is_match(value)
            }
            // Hitting PCRE2's match limit is no match, as in ModSecurity.
            Engine::Backtracking(regex) => regex.is_match(value).unwrap_or(false),
        }
    }

    /// Matches and, on a match, puts groups 0-9 into `groups` (an empty value for a group that
    /// did not take part).
    pub fn captures(&self, value: &[u8], groups: &mut Vec<Vec<u8>>) -> bool {
        self.captures_subject(&Subject::new(value), groups)
    }

    pub fn captures_subject(&self, subject: &Subject, groups: &mut Vec<Vec<u8>>) -> bool {
        let value = subject.bytes;
        groups.clear();
        match &self.engine {
            Engine::Linear(regex, required) => {
                // Most values do not match: the search without groups is far cheaper.
                if !Self::may_match(required, subject) || !regex.is_match(value) {
                    return false;
                }
                let mut caps = regex.create_captures();
                regex.captures(value, &mut caps);
                if !caps.is_match() {
                    return false;
                }
                for group in 0..caps.group_len().min(10) {
                    groups.push(
                        caps.get_group(group)
                            .map(|span| value[span.range()].to_vec())
                            .unwrap_or_default(),
                    );
                }
            }
            Engine::Backtracking(regex) => {
                let Ok(Some(caps)) = regex.captures(value) else {
                    return false;
                };
                for group in 0..caps.len().min(10) {
                    groups.push(
                        caps.get(group)
                            .map(|m| m.as_bytes().to_vec())
                            .unwrap_or_default(),
                    );
                }
            }
        }
        true
    }

    /// Where the first match and each of its groups that took part lie (group order, unset
    /// groups left out): what libmodsecurity writes as `oOFFSET,LENGTH` in a log line's `[ref]`.
    pub fn group_spans(&self, value: &[u8]) -> Vec<(usize, usize)> {
        match &self.engine {
            Engine::Linear(regex, _) => {
                let mut caps = regex.create_captures();
                regex.captures(value, &mut caps);
                (0..caps.group_len())
                    .filter_map(|group| caps.get_group(group))
                    .map(|span| (span.start, span.len()))
                    .collect()
            }
            Engine::Backtracking(regex) => match regex.captures(value) {
                Ok(Some(caps)) => (0..caps.len())
                    .filter_map(|group| caps.get(group))
                    .map(|m| (m.start(), m.end() - m.start()))
                    .collect(),
                _ => Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    /// fuzz/regressions/transaction_crs/crash-a801d2e8...: CRS's `^.*$` on a header name whose
    /// first byte is not ASCII made regex-automata panic. Empty matches between any two bytes
    /// are fine, as in PCRE without UTF.
    #[test]
    fn empty_matches_next_to_non_ascii_bytes() {
        let mut groups = Vec::new();
        let cases: [(&str, &[u8], &[u8]); 6] = [
            ("^.*$", b"\xaeontent-length", b"\xaeontent-length"),
            ("^.*$", b"\x80", b"\x80"),
            ("^.*$", b"\xae\n", b"\xae\n"),
            ("(?m:^).*", b"\xff", b"\xff"),
            (".*$", b"\xae", b"\xae"),
            ("x*", b"\xe9", b""),
        ];
        for (pattern, input, group_0) in cases {
            let regex = Regex::new(pattern).unwrap();
            assert!(!regex.is_backtracking(), "{pattern}");
            assert!(regex.is_match(input), "{pattern} on {input:?}");
            assert!(regex.captures(input, &mut groups), "{pattern} on {input:?}");
            assert_eq!(groups[0], group_0, "{pattern} on {input:?}");
        }
    }

    #[test]
    fn pcre_meaning_on_both_engines() {
        // (pattern, input, matches, needs backtracking)
        let cases: &[(&str, &[u8], bool, bool)] = &[
            ("a.b", b"a\nb", true, false),
            ("^b$", b"a\nb\nc", true, false),
            ("(?i)admin", b"xADMINx", true, false),
            ("\\xff", b"\xff", true, false),
            ("^[\\x7f-\\x{ff}]+$", b"\x80\xff", true, false),
            ("^[\\x7f-\\x{ff}]+$", b"a", false, false),
            ("\\w", b"\xe9", false, false),
            ("^\\(\\s*\\)\\s+{", b"() {", true, false),
            ("[\\<]script", b"<script", true, false),
            ("\\<script", b"a<script", true, false),
            ("\\<script", b"a script", false, false),
            ("[´’]", "’".as_bytes(), true, false),
            ("[´’]", b"\xe2", true, false),
            ("<\\?(?!xml)", b"<?php", true, true),
            ("<\\?(?!xml)", b"<?xml", false, true),
            ("(a)\\1", b"aa", true, true),
            ("a++a", b"aaa", false, true),
            ("\\d\\Z", b"1\n", true, true),
        ];
        for (pattern, input, matches, backtracking) in cases {
            let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(regex.is_match(input), *matches, "{pattern} on {input:?}");
            assert_eq!(regex.is_backtracking(), *backtracking, "{pattern}");
        }
        assert_eq!(cases.len(), 18);
        assert!(Regex::new("(").is_err());
        assert!(
            Regex::new("a{2").is_ok(),
            "PCRE reads an unfinished quantifier as literals"
        );
    }

    #[test]
    fn captures_on_both_engines() {
        let mut groups = Vec::new();
        assert!(Regex::new("(\\d+)-(\\d+)")
            .unwrap()
            .captures(b"x 12-34", &mut groups));
        assert_eq!(
            groups,
            vec![b"12-34".to_vec(), b"12".to_vec(), b"34".to_vec()]
        );
        assert!(Regex::new("(\\d+)(?=-)")
            .unwrap()
            .captures(b"x 12-34", &mut groups));
        assert_eq!(groups, vec![b"12".to_vec(), b"12".to_vec()]);
    }
}
