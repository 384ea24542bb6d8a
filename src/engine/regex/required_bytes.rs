//! A cheap test that rules a pattern out before its automaton runs: the bytes of which every
//! match must contain at least one. `(?i)union\s+select` cannot match a value without a `u` or
//! `U`; `<script` none without a `<`. Most CRS patterns need some punctuation most clean values
//! lack, so on clean traffic most searches end at a 256-bit test instead of a scan.
//!
//! The set is derived from the pattern's syntax tree, conservatively: a part that may match the
//! empty string requires nothing, an alternation requires the union of its branches, a sequence
//! whatever its rarest part requires.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::engine::byte_set::ByteSet;

/// The bytes every match of `hir` must contain one of, or None if some match may contain any
/// (or no) bytes.
pub fn required_bytes(hir: &Hir) -> Option<ByteSet> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(literal) => literal
            .0
            .iter()
            .map(|&b| ByteSet::of(&[b]))
            .min_by_key(ByteSet::weight),
        HirKind::Class(class) => class_bytes(class),
        HirKind::Repetition(repetition) if repetition.min == 0 => None,
        HirKind::Repetition(repetition) => required_bytes(&repetition.sub),
        HirKind::Capture(capture) => required_bytes(&capture.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required_bytes)
            .min_by_key(ByteSet::weight),
        HirKind::Alternation(branches) => branches
            .iter()
            .map(required_bytes)
            .try_fold(ByteSet::default(), |all, branch| Some(all.union(branch?))),
    }
}

/// The bytes a class matches. A Unicode class with anything beyond ASCII could match several
/// bytes per character: no requirement is claimed for it.
fn class_bytes(class: &Class) -> Option<ByteSet> {
    let mut set = ByteSet::default();
    match class {
        Class::Bytes(bytes) => {
            for range in bytes.iter() {
                set.insert_range(range.start(), range.end());
            }
        }
        Class::Unicode(unicode) => {
            for range in unicode.iter() {
                let (start, end) = (range.start() as u32, range.end() as u32);
                if end > 0x7f {
                    return None;
                }
                set.insert_range(start as u8, end as u8);
            }
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::util::syntax;

    fn required(pattern: &str) -> Option<Vec<u8>> {
        let config = syntax::Config::new().unicode(false).utf8(false);
        let hir = syntax::parse_with(pattern, &config).unwrap();
        required_bytes(&hir).map(|set| set.bytes().collect())
    }

    #[test]
    fn the_rarest_part_of_a_sequence_and_every_branch_of_an_alternation() {
        assert_eq!(required("<script"), Some(b"<".to_vec()));
        assert_eq!(required("(?i)a<b"), Some(b"<".to_vec()));
        assert_eq!(required("(?i)ab"), Some(b"Aa".to_vec()));
        assert_eq!(required("x[<>]|'"), Some(b"'<>".to_vec()));
        assert_eq!(required("(?:<|\\()+z"), Some(b"(<".to_vec()));
        assert_eq!(required("^\\s*$"), None);
        assert_eq!(required("a|b?"), None);
        assert_eq!(required("(?:a<)?"), None);
        assert_eq!(required("\\b"), None);
        assert_eq!(required("a{0,3}b"), Some(b"b".to_vec()));
    }
}
