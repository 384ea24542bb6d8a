//! `@rx`: a regular expression with PCRE's semantics as ModSecurity compiles it (DOTALL and
//! MULTILINE, bytes, no UTF), run by regex-automata in linear time. A pattern that engine cannot
//! run (lookaround, backreferences) is a load error, never a silent skip.

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

#[derive(Clone, Debug)]
pub struct Rx {
    regex: Regex,
}

impl Rx {
    pub fn compile(pattern: &str) -> Result<Rx, String> {
        let syntax = syntax::Config::new().unicode(false).utf8(false).dot_matches_new_line(true).multi_line(true);
        let regex = Regex::builder()
            .syntax(syntax)
            .build(pattern)
            .map_err(|e| format!("regex \"{pattern}\" does not compile: {}", first_line(&e.to_string())))?;
        Ok(Rx { regex })
    }

    pub fn matches(&self, value: &[u8], captures: Option<&mut Vec<Vec<u8>>>) -> bool {
        let Some(out) = captures else {
            return self.regex.is_match(value);
        };
        let mut caps = self.regex.create_captures();
        self.regex.captures(value, &mut caps);
        if !caps.is_match() {
            return false;
        }
        out.clear();
        for group in 0..caps.group_len().min(10) {
            out.push(caps.get_group(group).map(|span| value[span.range()].to_vec()).unwrap_or_default());
        }
        true
    }
}

fn first_line(message: &str) -> String {
    message.lines().rfind(|l| !l.trim().is_empty()).unwrap_or(message).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_newline_and_anchors_match_lines() {
        assert!(Rx::compile("a.b").unwrap().matches(b"a\nb", None));
        assert!(Rx::compile("^b$").unwrap().matches(b"a\nb\nc", None));
        assert!(Rx::compile("(?i)admin").unwrap().matches(b"xADMINx", None));
        assert!(Rx::compile("\\xff").unwrap().matches(b"\xff", None));
        let mut caps = Vec::new();
        assert!(Rx::compile("(\\d+)-(\\d+)").unwrap().matches(b"x 12-34", Some(&mut caps)));
        assert_eq!(caps, vec![b"12-34".to_vec(), b"12".to_vec(), b"34".to_vec()]);
        assert!(Rx::compile("(?=x)").is_err());
    }
}
