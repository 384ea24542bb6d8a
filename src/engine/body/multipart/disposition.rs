//! A part's `Content-Disposition: form-data; name="..."; filename="..."`, parsed as
//! libmodsecurity parses it: only `name`, `filename` and `filename*` parameters, values quoted
//! with `"` (or `'`, which is flagged as invalid quoting) or bare tokens, `\"` and `\\` escapes
//! inside quotes. Errors are libmodsecurity's negative codes, shown in REQBODY_ERROR_MSG.

/// What the parameters found: the part's name and file name, and the MULTIPART_NAME /
/// MULTIPART_FILENAME values seen on the way.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub names: Vec<Vec<u8>>,
    pub filenames: Vec<Vec<u8>>,
    pub invalid_quoting: bool,
}

/// Characters of a charset name besides letters and digits (RFC 2978).
const CHARSET_SPECIAL: &[u8] = b"!#$%&+-^_`{}~";
/// Characters of an RFC 5987 attribute value besides letters and digits.
const ATTR_SPECIAL: &[u8] = b"!#$&+-.^_`~";

/// Parses `value` into `name` and `filename` (which may already hold values from an earlier
/// header: a second one is an error, as in libmodsecurity).
pub fn parse(
    value: &[u8],
    name: &mut Vec<u8>,
    filename: &mut Vec<u8>,
    found: &mut Found,
) -> Result<(), i32> {
    let Some(rest) = value.strip_prefix(b"form-data") else {
        return Err(-1);
    };
    let mut s = Scanner { text: rest, at: 0 };
    s.skip_blanks();
    if s.done() {
        return Ok(());
    }
    if s.peek() != Some(b';') {
        return Err(-2);
    }
    s.at += 1;
    let mut filename_star: Vec<u8> = Vec::new();
    while !s.done() {
        s.skip_blanks();
        if s.done() {
            return Err(-3);
        }
        let start = s.at;
        while s.peek().is_some_and(|c| !matches!(c, b'=' | b'\t' | b' ')) {
            s.at += 1;
        }
        if s.done() {
            return Err(-4);
        }
        let parameter = &s.text[start..s.at];
        s.skip_blanks();
        if s.done() {
            return Err(-5);
        }
        if s.peek() != Some(b'=') {
            return Err(-13);
        }
        s.at += 1;
        s.skip_blanks();
        if s.done() {
            return Err(-6);
        }
        let mut quote = None;
        let parameter_value = if parameter == b"filename*" {
            extended_value(&mut s)?
        } else if let Some(q @ (b'"' | b'\'')) = s.peek() {
            quote = Some(q);
            if q == b'\'' {
                found.invalid_quoting = true;
            }
            quoted_value(&mut s, q, found)?
        } else {
            let start = s.at;
            while s.peek().is_some_and(is_token) {
                s.at += 1;
            }
            s.text[start..s.at].to_vec()
        };
        match parameter {
            b"name" => {
                check_quotes(&parameter_value, quote, found);
                found.names.push(parameter_value.clone());
                if !name.is_empty() {
                    return Err(-14);
                }
                *name = parameter_value;
            }
            b"filename" => {
                check_quotes(&parameter_value, quote, found);
                found.filenames.push(parameter_value.clone());
                if !filename.is_empty() {
                    return Err(-15);
                }
                *filename = parameter_value;
            }
            b"filename*" => {
                if !filename_star.is_empty() {
                    return Err(-20);
                }
                filename_star = parameter_value;
            }
            _ => return Err(-11),
        }
        if !s.done() {
            s.skip_blanks();
            match s.peek() {
                None => {}
                Some(b';') => s.at += 1,
                Some(_) => {
                    if s.at > 0 && matches!(s.text[s.at - 1], b'\'' | b'"') {
                        found.invalid_quoting = true;
                    }
                    return Err(-12);
                }
            }
        }
    }
    if !filename_star.is_empty() && filename.is_empty() {
        return Err(-21);
    }
    Ok(())
}

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }
    fn done(&self) -> bool {
        self.at >= self.text.len()
    }
    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }
}

/// `"..."` or `'...'`: `\` escapes only the quote and itself (another `\x` is kept whole, as
/// browsers send it). An unterminated quote ends the value at the end of the header, with the
/// invalid-quoting flag (libmodsecurity reads past the end of its string there).
fn quoted_value(s: &mut Scanner, quote: u8, found: &mut Found) -> Result<Vec<u8>, i32> {
    s.at += 1;
    if s.done() {
        return Err(-7);
    }
    let mut value = Vec::new();
    loop {
        let Some(c) = s.peek() else {
            found.invalid_quoting = true;
            return Ok(value);
        };
        if c == b'\\' {
            match s.text.get(s.at + 1) {
                None => return Err(-8),
                Some(&next) if next == quote || next == b'\\' => s.at += 1,
                Some(_) => {}
            }
        } else if c == quote {
            s.at += 1;
            return Ok(value);
        }
        value.push(s.text[s.at]);
        s.at += 1;
    }
}

/// `filename*=charset'[language]'percent-encoded`: the encoded file name, as written.
fn extended_value(s: &mut Scanner) -> Result<Vec<u8>, i32> {
    let charset_start = s.at;
    while s
        .peek()
        .is_some_and(|c| c.is_ascii_alphanumeric() || CHARSET_SPECIAL.contains(&c))
    {
        s.at += 1;
    }
    if s.peek() != Some(b'\'') || s.at == charset_start {
        return Err(-16);
    }
    s.at += 1;
    while s.peek().is_some_and(|c| c != b'\'') {
        s.at += 1;
    }
    if s.peek() != Some(b'\'') {
        return Err(-17);
    }
    s.at += 1;
    let start = s.at;
    while let Some(c) = s.peek() {
        if c == b';' {
            break;
        }
        if c == b'%' {
            let hex = |i: usize| s.text.get(i).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(s.at + 1) && hex(s.at + 2)) {
                return Err(-18);
            }
            s.at += 3;
        } else if c.is_ascii_alphanumeric() || ATTR_SPECIAL.contains(&c) {
            s.at += 1;
        } else {
            return Err(-19);
        }
    }
    Ok(s.text[start..s.at].to_vec())
}

/// A `'` inside a value that was not in double quotes is flagged.
fn check_quotes(value: &[u8], quote: Option<u8>, found: &mut Found) {
    if quote != Some(b'"') && value.contains(&b'\'') {
        found.invalid_quoting = true;
    }
}

/// RFC 2045 token characters.
fn is_token(c: u8) -> bool {
    (33..127).contains(&c) && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(value: &str) -> (Result<(), i32>, String, String, Found) {
        let (mut name, mut filename, mut found) = (Vec::new(), Vec::new(), Found::default());
        let result = parse(value.as_bytes(), &mut name, &mut filename, &mut found);
        (
            result,
            String::from_utf8(name).unwrap(),
            String::from_utf8(filename).unwrap(),
            found,
        )
    }

    #[test]
    fn names_and_file_names() {
        let (r, n, f, found) = run(r#"form-data; name="a b"; filename="c.txt""#);
        assert_eq!(
            (r, n.as_str(), f.as_str(), found.invalid_quoting),
            (Ok(()), "a b", "c.txt", false)
        );
        assert_eq!(found.names, vec![b"a b".to_vec()]);
        assert_eq!(found.filenames, vec![b"c.txt".to_vec()]);
        let (r, n, f, _) = run("form-data;name=plain;filename=x.php");
        assert_eq!((r, n.as_str(), f.as_str()), (Ok(()), "plain", "x.php"));
        let (r, n, _, _) = run(r#"form-data; name="q\"uo\\te\d""#);
        assert_eq!((r, n.as_str()), (Ok(()), r#"q"uo\te\d"#));
        let (r, _, f, _) =
            run("form-data; name=f; filename=\"a.txt\"; filename*=UTF-8''%c3%a4.txt");
        assert_eq!((r, f.as_str()), (Ok(()), "a.txt"));
        assert_eq!(run("form-data").0, Ok(()));
    }

    #[test]
    fn invalid_quoting() {
        let (r, n, _, found) = run("form-data; name='a'");
        assert_eq!((r, n.as_str(), found.invalid_quoting), (Ok(()), "a", true));
        let (r, n, _, found) = run("form-data; name=a'b");
        assert_eq!(
            (r, n.as_str(), found.invalid_quoting),
            (Ok(()), "a'b", true)
        );
        let (r, _, _, found) = run("form-data; name=a b");
        assert_eq!((r, found.invalid_quoting), (Err(-12), false));
        let (_, _, _, found) = run(r#"form-data; name="it's""#);
        assert!(!found.invalid_quoting);
        let (r, _, _, found) = run(r#"form-data; name="a"x"#);
        assert_eq!((r, found.invalid_quoting), (Err(-12), true));
        let (r, n, _, found) = run(r#"form-data; name="open"#);
        assert_eq!(
            (r, n.as_str(), found.invalid_quoting),
            (Ok(()), "open", true)
        );
    }

    #[test]
    fn error_codes() {
        let cases = [
            ("attachment; name=a", -1),
            ("form-data x", -2),
            ("form-data; ", -3),
            ("form-data; name", -4),
            ("form-data; name ", -5),
            ("form-data; name=", -6),
            ("form-data; name=\"", -7),
            ("form-data; name=\"a\\", -8),
            ("form-data; size=1", -11),
            ("form-data; name=a b", -12),
            ("form-data; name x", -13),
            ("form-data; name=a; name=b", -14),
            ("form-data; name=a; filename=b; filename=c", -15),
            ("form-data; name=a; filename*=''x", -16),
            ("form-data; name=a; filename*=utf-8'en", -17),
            ("form-data; name=a; filename*=utf-8''%4", -18),
            ("form-data; name=a; filename*=utf-8''a b", -19),
            (
                "form-data; name=a; filename*=utf-8''a; filename*=utf-8''b",
                -20,
            ),
            ("form-data; name=a; filename*=utf-8''a", -21),
        ];
        for (value, code) in cases {
            assert_eq!(run(value).0, Err(code), "{value}");
        }
    }
}
