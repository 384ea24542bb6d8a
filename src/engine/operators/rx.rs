//! `@rx`: a regular expression with PCRE's meaning, as ModSecurity compiles it (see
//! [`crate::engine::regex`]). With `capture`, groups 0-9 go to TX:0-9.

use crate::engine::byte_set::ByteSet;
use crate::engine::regex::{Regex, Subject};

#[derive(Clone, Debug)]
pub struct Rx {
    regex: Regex,
}

impl Rx {
    pub fn compile(pattern: &str) -> Result<Rx, String> {
        Ok(Rx {
            regex: Regex::new(pattern)?,
        })
    }

    pub fn matches(&self, value: &Subject, captures: Option<&mut Vec<Vec<u8>>>) -> bool {
        match captures {
            Some(groups) => self.regex.captures_subject(value, groups),
            None => self.regex.is_match_subject(value),
        }
    }

    /// The spans of the match and its groups (see [`Regex::group_spans`]).
    pub fn group_spans(&self, value: &[u8]) -> Vec<(usize, usize)> {
        self.regex.group_spans(value)
    }

    pub fn required_bytes(&self) -> Option<ByteSet> {
        self.regex.required_bytes()
    }

    pub fn is_backtracking(&self) -> bool {
        self.regex.is_backtracking()
    }
}
