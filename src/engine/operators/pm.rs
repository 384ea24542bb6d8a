//! `@pm` and `@pmFromFile`: any of a set of phrases occurs in the value, case-insensitively
//! (ASCII), found in one pass by an Aho-Corasick automaton built at load time. `@pm` takes
//! space-separated phrases; `@pmFromFile` takes files (space-separated paths, relative to the
//! rule file) with one phrase per line, `#` starting a comment line.

use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::engine::byte_set::ByteSet;

#[derive(Debug)]
pub struct Phrases {
    automaton: AhoCorasick,
    /// The rarest byte of each phrase (both cases): a value holds one if it holds a phrase.
    required: Option<ByteSet>,
}

impl Phrases {
    pub fn from_parameter(param: &str) -> Result<Phrases, String> {
        Phrases::build(
            param
                .split_ascii_whitespace()
                .map(str::as_bytes)
                .map(<[u8]>::to_vec)
                .collect(),
        )
    }

    pub fn from_files(param: &str, base_dir: &Path) -> Result<Phrases, String> {
        let mut phrases = Vec::new();
        for file in param.split_ascii_whitespace() {
            let path = base_dir.join(file);
            let text = std::fs::read(&path)
                .map_err(|e| format!("@pmFromFile: cannot read \"{}\": {e}", path.display()))?;
            for line in text.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line).trim_ascii();
                if !line.is_empty() && !line.starts_with(b"#") {
                    phrases.push(line.to_vec());
                }
            }
        }
        Phrases::build(phrases)
    }

    fn build(phrases: Vec<Vec<u8>>) -> Result<Phrases, String> {
        if phrases.is_empty() {
            return Err("@pm needs at least one phrase".to_string());
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&phrases)
            .map_err(|e| format!("@pm: {e}"))?;
        let required = phrases
            .iter()
            .map(|phrase| ByteSet::rarest_of(phrase, true))
            .try_fold(ByteSet::default(), |all, rarest| Some(all.union(rarest?)));
        Ok(Phrases {
            automaton,
            required,
        })
    }

    pub fn required_bytes(&self) -> Option<ByteSet> {
        self.required
    }

    /// Where the phrase found lies (offset, length).
    pub fn span(&self, value: &[u8]) -> Option<(usize, usize)> {
        self.automaton.find(value).map(|m| (m.start(), m.len()))
    }

    /// With `captures`, TX:0 becomes the phrase found, as ModSecurity's `capture` does for @pm.
    pub fn matches(&self, value: &[u8], captures: Option<&mut Vec<Vec<u8>>>) -> bool {
        match self.automaton.find(value) {
            Some(found) => {
                if let Some(out) = captures {
                    out.clear();
                    out.push(value[found.range()].to_vec());
                }
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_case_insensitively_anywhere() {
        let pm = Phrases::from_parameter("union select  /etc/passwd").unwrap();
        let mut caps = Vec::new();
        assert!(pm.matches(b"xx UNION yy", Some(&mut caps)));
        assert_eq!(caps, vec![b"UNION".to_vec()]);
        assert!(pm.matches(b"cat /ETC/passwd", None));
        assert!(!pm.matches(b"unio", None));
        assert!(Phrases::from_parameter("  ").is_err());
    }
}
