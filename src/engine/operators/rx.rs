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
            .build(&pcre_to_regex_syntax(pattern))
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

/// Rewrites the PCRE spellings regex-automata reads differently: `\x{HH}` (a byte in PCRE's
/// non-UTF mode, a code point to regex-syntax) becomes `\xHH`.
fn pcre_to_regex_syntax(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        if let Some(hex) = escape.strip_prefix("\\x{").and_then(|h| h.split_once('}')).map(|(h, _)| h) {
            if (1..=2).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push_str(&format!("\\x{:0>2}", hex));
                rest = &escape[4 + hex.len()..];
                continue;
            }
        }
        // Any other escape is copied whole, so `\\x{..}` (an escaped backslash) stays as it is.
        let len = escape[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
        out.push_str(&escape[..len]);
        rest = &escape[len..];
    }
    out.push_str(rest);
    out
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
        // PCRE's \x{HH} is a byte here, as in ModSecurity's non-UTF mode
        let rx = Rx::compile("^[\\x7f-\\x{ff}]+$").unwrap();
        assert!(rx.matches(b"\x80\xff", None));
        assert!(!rx.matches(b"a", None));
        assert_eq!(pcre_to_regex_syntax("a\\\\x{41}\\x{7}"), "a\\\\x{41}\\x07");
    }
}
