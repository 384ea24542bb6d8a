//! The JSON body processor. Arguments are named as libmodsecurity names them: `json.` followed by
//! the path of keys, `.` between levels, and array elements as `array_N`:
//! `{"a":{"b":"c"},"d":[1,2]}` gives `json.a.b=c`, `json.d.array_0=1`, `json.d.array_1=2`.
//! Numbers keep their text, `true`/`false` are words, `null` is empty. The parser keeps its own
//! stack instead of recursing, so nesting depth costs heap, not the worker's stack, and stops at
//! the configured depth limit.

/// Parses `body` into (name, value) arguments, at most `max_args` of them.
pub fn arguments(
    body: &[u8],
    depth_limit: usize,
    max_args: usize,
) -> Result<super::Arguments, String> {
    let mut parser = Parser { input: body, at: 0 };
    let mut out = Vec::new();
    // Each open container: its name part, whether it is an array, and its element counter.
    let mut stack: Vec<Container> = Vec::new();
    let mut key: Vec<u8> = b"json".to_vec();
    parser.skip_whitespace();
    let mut expect_value = true;
    loop {
        parser.skip_whitespace();
        if expect_value {
            match parser.peek() {
                Some(b'{') | Some(b'[') => {
                    let array = parser.next() == Some(b'[');
                    if stack.len() >= depth_limit {
                        return Err(format!("JSON depth limit ({depth_limit}) exceeded"));
                    }
                    stack.push(Container {
                        name: std::mem::take(&mut key),
                        array,
                        count: 0,
                    });
                    parser.skip_whitespace();
                    let close = if array { b']' } else { b'}' };
                    if parser.peek() == Some(close) {
                        parser.next();
                        close_container(&mut stack);
                        expect_value = false;
                        if stack.is_empty() {
                            break;
                        }
                        continue;
                    }
                    if !array {
                        key = parser.object_key()?;
                    }
                    continue;
                }
                Some(_) => {
                    let value = parser.scalar()?;
                    if out.len() < max_args {
                        out.push((argument_name(&stack, &key), value));
                    }
                    if let Some(top) = stack.last_mut() {
                        if top.array {
                            top.count += 1;
                        }
                    }
                    expect_value = false;
                    if stack.is_empty() {
                        break;
                    }
                }
                None => return Err("unexpected end of JSON".to_string()),
            }
        } else {
            let top = stack.last().expect("a value inside a container");
            match parser.next() {
                Some(b',') => {
                    if !top.array {
                        parser.skip_whitespace();
                        key = parser.object_key()?;
                    } else {
                        key.clear();
                    }
                    expect_value = true;
                }
                Some(b']') if top.array => {
                    close_container(&mut stack);
                    if stack.is_empty() {
                        break;
                    }
                }
                Some(b'}') if !top.array => {
                    close_container(&mut stack);
                    if stack.is_empty() {
                        break;
                    }
                }
                Some(other) => {
                    return Err(format!(
                        "unexpected '{}' at byte {}",
                        other.escape_ascii(),
                        parser.at - 1
                    ))
                }
                None => return Err("unexpected end of JSON".to_string()),
            }
        }
    }
    parser.skip_whitespace();
    if parser.at < body.len() {
        return Err(format!("trailing data at byte {}", parser.at));
    }
    Ok(out)
}

struct Container {
    name: Vec<u8>,
    array: bool,
    count: usize,
}

fn close_container(stack: &mut Vec<Container>) {
    stack.pop();
    if let Some(parent) = stack.last_mut() {
        if parent.array {
            parent.count += 1;
        }
    }
}

/// `json.a.b`, `json.d.array_0`.
fn argument_name(stack: &[Container], key: &[u8]) -> Vec<u8> {
    let mut name = Vec::new();
    for container in stack {
        name.extend_from_slice(&container.name);
        if container.array {
            name.extend_from_slice(format!(".array_{}", container.count).as_bytes());
        } else {
            name.push(b'.');
        }
    }
    if stack.last().is_some_and(|c| !c.array) || stack.is_empty() {
        name.extend_from_slice(key);
    }
    name
}

struct Parser<'a> {
    input: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// `"key"` then `:`.
    fn object_key(&mut self) -> Result<Vec<u8>, String> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(format!("expected an object key at byte {}", self.at));
        }
        let key = self.string()?;
        self.skip_whitespace();
        if self.next() != Some(b':') {
            return Err(format!(
                "expected ':' at byte {}",
                self.at.saturating_sub(1)
            ));
        }
        Ok(key)
    }

    fn scalar(&mut self) -> Result<Vec<u8>, String> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b't') => self.word(b"true").map(|_| b"true".to_vec()),
            Some(b'f') => self.word(b"false").map(|_| b"false".to_vec()),
            Some(b'n') => self.word(b"null").map(|_| Vec::new()),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(other) => Err(format!(
                "unexpected '{}' at byte {}",
                other.escape_ascii(),
                self.at
            )),
            None => Err("unexpected end of JSON".to_string()),
        }
    }

    fn word(&mut self, word: &[u8]) -> Result<(), String> {
        if self.input[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(format!("invalid literal at byte {}", self.at))
        }
    }

    /// The number's text as written, checked against JSON's grammar.
    fn number(&mut self) -> Result<Vec<u8>, String> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.at += 1;
            }
            p.at > from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        if !digits(self) {
            return Err(format!("invalid number at byte {start}"));
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(format!("invalid number at byte {start}"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(format!("invalid number at byte {start}"));
            }
        }
        Ok(self.input[start..self.at].to_vec())
    }

    /// A string, escapes decoded; the result must be valid UTF-8 (as yajl checks).
    fn string(&mut self) -> Result<Vec<u8>, String> {
        let start = self.at;
        self.at += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            match self.next() {
                None => return Err(format!("unterminated string starting at byte {start}")),
                Some(b'"') => break,
                Some(b'\\') => match self.next() {
                    Some(b'"') => out.push(b'"'),
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'/') => out.push(b'/'),
                    Some(b'b') => out.push(0x08),
                    Some(b'f') => out.push(0x0c),
                    Some(b'n') => out.push(b'\n'),
                    Some(b'r') => out.push(b'\r'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'u') => {
                        let c = self.unicode_escape()?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => {
                        return Err(format!(
                            "invalid escape at byte {}",
                            self.at.saturating_sub(1)
                        ))
                    }
                },
                Some(b) if b < 0x20 => {
                    return Err(format!(
                        "control character in string at byte {}",
                        self.at - 1
                    ))
                }
                Some(b) => out.push(b),
            }
        }
        if std::str::from_utf8(&out).is_err() {
            return Err(format!("invalid UTF-8 in string starting at byte {start}"));
        }
        Ok(out)
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .input
            .get(self.at..self.at + 4)
            .ok_or("truncated \\u escape")?;
        let text = std::str::from_utf8(digits).map_err(|_| "invalid \\u escape".to_string())?;
        let value = u32::from_str_radix(text, 16)
            .map_err(|_| format!("invalid \\u escape at byte {}", self.at))?;
        self.at += 4;
        Ok(value)
    }

    /// `\uXXXX`, with surrogate pairs joined.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&first) {
            if self.input.get(self.at..self.at + 2) != Some(b"\\u") {
                return Err("unpaired surrogate in \\u escape".to_string());
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xdc00..0xe000).contains(&second) {
                return Err("unpaired surrogate in \\u escape".to_string());
            }
            0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| "invalid \\u escape".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(body: &str) -> Vec<(String, String)> {
        arguments(body.as_bytes(), 10_000, 1000)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn names_as_libmodsecurity_gives_them() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                r#"{"a":{"b":"c"},"d":[1,2]}"#,
                &[
                    ("json.a.b", "c"),
                    ("json.d.array_0", "1"),
                    ("json.d.array_1", "2"),
                ],
            ),
            (
                r#" { "q" : "drop table" , "n": -1.5e3, "t": true, "f": false, "z": null } "#,
                &[
                    ("json.q", "drop table"),
                    ("json.n", "-1.5e3"),
                    ("json.t", "true"),
                    ("json.f", "false"),
                    ("json.z", ""),
                ],
            ),
            (
                r#"[1,[2,3],{"k":"v"}]"#,
                &[
                    ("json.array_0", "1"),
                    ("json.array_1.array_0", "2"),
                    ("json.array_1.array_1", "3"),
                    ("json.array_2.k", "v"),
                ],
            ),
            (
                r#"{"e":{},"f":[],"g":"\u0041\ud83d\ude00\n"}"#,
                &[("json.g", "A\u{1F600}\n")],
            ),
            (r#""just a string""#, &[("json", "just a string")]),
        ];
        for (body, expected) in cases {
            assert_eq!(args(body), pairs(expected), "{body}");
        }
        assert_eq!(cases.len(), 5);
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        let bad = [
            "",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "{\"a\":tru}",
            "\"\\x\"",
            "\"\\ud800\"",
            "01x",
            "[1]]",
            "{\"a\":\"b\u{1}\"}",
            "-",
            "1.",
            "nul",
        ];
        for body in bad {
            assert!(
                arguments(body.as_bytes(), 100, 100).is_err(),
                "{body:?} accepted"
            );
        }
        assert!(arguments(b"\"\xff\"", 100, 100).is_err());
        let deep = "[".repeat(100_000);
        assert!(arguments(deep.as_bytes(), 10_000, 100)
            .unwrap_err()
            .contains("depth"));
        assert_eq!(arguments(b"[[[1]]]", 3, 100).unwrap().len(), 1);
        assert!(arguments(b"[[[[1]]]]", 3, 100).is_err());
        assert_eq!(arguments(b"[1,2,3]", 100, 2).unwrap().len(), 2);
    }
}
