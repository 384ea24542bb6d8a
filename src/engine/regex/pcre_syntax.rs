//! PCRE's pattern syntax, as ModSecurity compiles it (non-UTF, bytes), rewritten for
//! regex-syntax. PCRE is lenient where regex-syntax is strict or reads the same text otherwise:
//! a `{` that does not start a quantifier is a literal, `[` inside a class is a literal, an
//! escaped punctuation character is that character (regex-syntax reads `\<` as a word
//! boundary), `\v` and `\h` are classes, `\x{HH}` is a byte, and non-ASCII text in the pattern
//! is a sequence of bytes (so `[´’]` is a class of those bytes). Anything the rewrite cannot give
//! the same meaning (lookaround, backreferences, possessive quantifiers, atomic groups, `\Q..\E`,
//! `\Z`, ...) returns `None`: such a pattern runs on the backtracking engine instead.

/// regex-syntax text with PCRE's meaning, or None when only a backtracking engine can run it.
pub fn translate(pattern: &str) -> Option<String> {
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut i = 0;
    // Inside a character class: where it started (to know whether `]` is its first member).
    let mut class_start: Option<usize> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match class_start {
            None => match b {
                b'\\' => i += escape(bytes, i, false, &mut out)?,
                b'[' => {
                    out.push('[');
                    i += 1;
                    if bytes.get(i) == Some(&b'^') {
                        out.push('^');
                        i += 1;
                    }
                    class_start = Some(i);
                    // `]` first in a class is a literal in both syntaxes.
                    if bytes.get(i) == Some(&b']') {
                        out.push_str("\\]");
                        i += 1;
                    }
                }
                b'{' => match quantifier_len(&bytes[i..]) {
                    Some(len) => {
                        out.push_str(&pattern[i..i + len]);
                        i += len;
                        reject_possessive(bytes, i)?;
                    }
                    None => {
                        out.push_str("\\{");
                        i += 1;
                    }
                },
                b'}' => {
                    out.push_str("\\}");
                    i += 1;
                }
                b'*' | b'+' | b'?' => {
                    out.push(b as char);
                    i += 1;
                    // `a?+`, `a*+`, `a++`: possessive; `a??`, `a*?`: lazy (same in both).
                    if bytes.get(i) == Some(&b'?') {
                        out.push('?');
                        i += 1;
                    } else {
                        reject_possessive(bytes, i)?;
                    }
                }
                b'(' => {
                    if bytes.get(i + 1) == Some(&b'?') {
                        // Only plain groups, named groups and flag groups mean the same.
                        let rest = &bytes[i + 2..];
                        let supported = rest.first().is_some_and(|c| {
                            matches!(c, b':' | b'i' | b's' | b'm' | b'x' | b'-' | b')')
                        }) || rest.starts_with(b"P<")
                            || (rest.starts_with(b"<")
                                && rest.get(1).is_some_and(|c| c.is_ascii_alphabetic()));
                        if !supported {
                            return None;
                        }
                    }
                    out.push('(');
                    i += 1;
                }
                0x80..=0xff => {
                    push_byte(&mut out, b);
                    i += 1;
                }
                _ => {
                    out.push(b as char);
                    i += 1;
                }
            },
            Some(start) => match b {
                b'\\' => i += escape(bytes, i, true, &mut out)?,
                b']' if i > start => {
                    out.push(']');
                    class_start = None;
                    i += 1;
                }
                b'[' => {
                    // POSIX classes (`[:alpha:]`) mean the same; any other `[` is a literal.
                    match posix_class_len(&bytes[i..]) {
                        Some(len) => {
                            out.push_str(&pattern[i..i + len]);
                            i += len;
                        }
                        None => {
                            out.push_str("\\[");
                            i += 1;
                        }
                    }
                }
                // regex-syntax reads `&&`, `--`, `~~` as set operations.
                b'&' | b'~' => {
                    push_byte(&mut out, b);
                    i += 1;
                }
                b'-' if bytes.get(i + 1) == Some(&b'-') => {
                    push_byte(&mut out, b);
                    i += 1;
                }
                0x80..=0xff => {
                    push_byte(&mut out, b);
                    i += 1;
                }
                _ => {
                    out.push(b as char);
                    i += 1;
                }
            },
        }
    }
    if class_start.is_some() {
        return None;
    }
    Some(out)
}

/// Rewrites the escape at `bytes[at]` (a backslash); returns its length in the pattern.
fn escape(bytes: &[u8], at: usize, in_class: bool, out: &mut String) -> Option<usize> {
    let next = *bytes.get(at + 1)?;
    match next {
        b'd' | b'D' | b'w' | b'W' | b's' | b'S' | b'n' | b'r' | b't' | b'f' | b'a' => {
            out.push('\\');
            out.push(next as char);
            Some(2)
        }
        b'b' | b'B' | b'A' | b'z' if !in_class => {
            out.push('\\');
            out.push(next as char);
            Some(2)
        }
        // In a class, PCRE's `\b` is a backspace.
        b'b' if in_class => {
            push_byte(out, 0x08);
            Some(2)
        }
        b'e' => {
            push_byte(out, 0x1b);
            Some(2)
        }
        // PCRE's vertical and horizontal white space classes (non-UTF mode).
        b'v' | b'V' | b'h' | b'H' => {
            let members = if next.eq_ignore_ascii_case(&b'v') {
                "\\n\\x0b\\x0c\\r\\x85"
            } else {
                "\\t \\xa0"
            };
            let negated = next.is_ascii_uppercase();
            if in_class {
                // A negated class inside a class has no simple spelling here.
                if negated {
                    return None;
                }
                out.push_str(members);
            } else {
                out.push_str(if negated { "[^" } else { "[" });
                out.push_str(members);
                out.push(']');
            }
            Some(2)
        }
        b'x' => {
            let rest = &bytes[at + 2..];
            if rest.first() == Some(&b'{') {
                let close = rest.iter().position(|&c| c == b'}')?;
                let value =
                    u32::from_str_radix(std::str::from_utf8(&rest[1..close]).ok()?, 16).ok()?;
                // Non-UTF PCRE has no character above 0xff.
                push_byte(out, u8::try_from(value).ok()?);
                Some(2 + close + 1)
            } else {
                let digits = rest
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .count();
                let value = if digits == 0 {
                    0
                } else {
                    u8::from_str_radix(std::str::from_utf8(&rest[..digits]).ok()?, 16).ok()?
                };
                push_byte(out, value);
                Some(2 + digits)
            }
        }
        // Escaped punctuation (and any non-alphanumeric byte) is that byte in PCRE.
        c if !c.is_ascii_alphanumeric() => {
            push_byte(out, c);
            Some(2)
        }
        // Backreferences, octal, \Z, \G, \K, \Q..\E, \c, \p, \R, ...
        _ => None,
    }
}

/// `{n}`, `{n,}` or `{n,m}`: the length of the quantifier at the start of `bytes`.
fn quantifier_len(bytes: &[u8]) -> Option<usize> {
    let close = bytes.iter().position(|&c| c == b'}')?;
    let inner = &bytes[1..close];
    let (low, high) = match inner.iter().position(|&c| c == b',') {
        Some(comma) => (&inner[..comma], &inner[comma + 1..]),
        None => (inner, &b"0"[..]),
    };
    let valid = !low.is_empty()
        && low.iter().all(u8::is_ascii_digit)
        && high.iter().all(u8::is_ascii_digit);
    valid.then_some(close + 1)
}

/// `[:alpha:]`, `[:^digit:]`: the length of the POSIX class at the start of `bytes`.
fn posix_class_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(1) != Some(&b':') {
        return None;
    }
    let end = bytes.windows(2).position(|w| w == b":]")?;
    let name = &bytes[2..end];
    let name = name.strip_prefix(b"^").unwrap_or(name);
    (!name.is_empty() && name.iter().all(u8::is_ascii_lowercase)).then_some(end + 2)
}

fn reject_possessive(bytes: &[u8], at: usize) -> Option<()> {
    (bytes.get(at) != Some(&b'+')).then_some(())
}

fn push_byte(out: &mut String, byte: u8) {
    out.push_str(&format!("\\x{byte:02x}"));
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn pcre_leniency_becomes_explicit() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a{2,3}b{1}", Some("a{2,3}b{1}")),
            ("^\\(\\s*\\)\\s+{", Some("^\\x28\\s*\\x29\\s+\\{")),
            ("{{.*?}}", Some("\\{\\{.*?\\}\\}")),
            ("x{,3}", Some("x\\{,3\\}")),
            ("[a[b]", Some("[a\\[b]")),
            ("[[:alpha:]_]", Some("[[:alpha:]_]")),
            ("[\\<>]", Some("[\\x3c>]")),
            ("\\<script", Some("\\x3cscript")),
            ("[]a]", Some("[\\]a]")),
            ("[^]a]", Some("[^\\]a]")),
            ("[a&&b]", Some("[a\\x26\\x26b]")),
            ("[a--]", Some("[a\\x2d-]")),
            ("[´]", Some("[\\xc2\\xb4]")),
            ("\\x{ff}\\x41\\x4", Some("\\xff\\x41\\x04")),
            ("\\v\\H", Some("[\\n\\x0b\\x0c\\r\\x85][^\\t \\xa0]")),
            ("[\\b]\\b", Some("[\\x08]\\b")),
            ("(?i:a)(?<n>b)(?P<m>c)", Some("(?i:a)(?<n>b)(?P<m>c)")),
            ("a*?b+?", Some("a*?b+?")),
            ("a++", None),
            ("a{2}+", None),
            ("(?=x)", None),
            ("(?!x)", None),
            ("(?<=x)", None),
            ("(?>x)", None),
            ("(a)\\1", None),
            ("\\Qa.b\\E", None),
            ("a\\Z", None),
            ("[abc", None),
        ];
        for (pattern, expected) in cases {
            assert_eq!(translate(pattern).as_deref(), *expected, "{pattern}");
        }
        assert_eq!(cases.len(), 28);
    }
}
