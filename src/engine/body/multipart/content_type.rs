//! The boundary of a `multipart/form-data` Content-Type, checked the way libmodsecurity checks
//! it: one `;` and whitespace only between the media type and `boundary`, `boundary` in lower
//! case and only once, quoting all or nothing, RFC 2046 characters (a `;charset=...` after the
//! boundary is tolerated and cut off).

use super::Flags;

const MEDIA_TYPE: &[u8] = b"multipart/form-data";
/// Longer Content-Type values are refused.
const MAX_LENGTH: usize = 1024;
const PARAMETER: &[u8] = b"boundary";

/// The boundary, or libmodsecurity's message for why there is none. Sets the
/// `missing_semicolon`, `boundary_whitespace` and `boundary_quoted` flags on the way.
pub fn boundary(header: &[u8], flags: &mut Flags) -> Result<Vec<u8>, &'static str> {
    if header.is_empty() {
        return Err("Multipart: Content-Type header not available.");
    }
    if header.len() > MAX_LENGTH {
        return Err("Multipart: Invalid boundary in C-T (length).");
    }
    if header.len() < MEDIA_TYPE.len()
        || !header[..MEDIA_TYPE.len()].eq_ignore_ascii_case(MEDIA_TYPE)
    {
        return Err("Multipart: Invalid MIME type.");
    }
    if boundary_parameters(header) > 1 {
        return Err("Multipart: Multiple boundary parameters in C-T.");
    }
    // The parameter name is looked for case-sensitively, as libmodsecurity does.
    let Some(at) = find(header, PARAMETER) else {
        return Err(if boundary_parameters(header) > 0 {
            "Multipart: Invalid boundary in C-T (case sensitivity)."
        } else {
            "Multipart: Boundary not found in C-T."
        });
    };
    let mut seen_semicolon = false;
    for &c in &header[MEDIA_TYPE.len().min(at)..at] {
        if is_space(c) {
            continue;
        }
        if c == b';' && !seen_semicolon {
            seen_semicolon = true;
        } else {
            return Err("Multipart: Invalid boundary in C-T (malformed).");
        }
    }
    if !seen_semicolon {
        flags.missing_semicolon = true;
    }
    let name_end = at + PARAMETER.len();
    let Some(equals) = header[name_end..]
        .iter()
        .position(|&c| c == b'=')
        .map(|p| name_end + p)
    else {
        return Err("Multipart: Invalid boundary in C-T (malformed).");
    };
    for &c in &header[name_end..equals] {
        if !is_space(c) {
            return Err("Multipart: Invalid boundary in C-T (parameter name).");
        }
        flags.boundary_whitespace = true;
    }
    let value = &header[equals + 1..];
    if value.first().is_some_and(|&c| is_space(c)) {
        flags.boundary_whitespace = true;
    }
    let mut boundary = if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
        flags.boundary_quoted = true;
        value[1..value.len() - 1].to_vec()
    } else {
        if value.first() == Some(&b'"') || (value.len() >= 2 && value.last() == Some(&b'"')) {
            return Err("Multipart: Invalid boundary in C-T (quote).");
        }
        value.to_vec()
    };
    // libmodsecurity gives up silently here (no error, body not parsed); an empty boundary is
    // an error in this engine.
    if boundary.is_empty() {
        return Err("Multipart: Invalid boundary in C-T (empty).");
    }
    if boundary_parameters(&boundary) != 0 {
        return Err("Multipart: Invalid boundary in C-T (content).");
    }
    if !valid_characters(&boundary) {
        if let Some(semicolon) = boundary.iter().position(|&c| c == b';') {
            boundary.truncate(semicolon);
        }
    }
    if !valid_characters(&boundary) {
        return Err("Multipart: Invalid boundary in C-T (characters).");
    }
    if boundary.is_empty() {
        return Err("Multipart: Invalid boundary in C-T (empty).");
    }
    Ok(boundary)
}

/// C's `isspace`.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How many times `boundary` (any case) appears with a `=` somewhere after it.
fn boundary_parameters(text: &[u8]) -> usize {
    let lower = text.to_ascii_lowercase();
    let Some(last_equals) = lower.iter().rposition(|&c| c == b'=') else {
        return 0;
    };
    let mut count = 0;
    let mut from = 0;
    while let Some(at) = find(&lower[from..], PARAMETER) {
        let end = from + at + PARAMETER.len();
        if end <= last_equals {
            count += 1;
        }
        from = end;
    }
    count
}

/// RFC 2046's boundary characters; a space only inside.
fn valid_characters(boundary: &[u8]) -> bool {
    boundary.iter().enumerate().all(|(i, &c)| {
        c.is_ascii_alphanumeric()
            || (c == b' ' && i + 1 < boundary.len())
            || matches!(
                c,
                b'\'' | b'(' | b')' | b'+' | b'_' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &str) -> (Result<String, &'static str>, Flags) {
        let mut flags = Flags::default();
        let result = boundary(header.as_bytes(), &mut flags).map(|b| String::from_utf8(b).unwrap());
        (result, flags)
    }

    #[test]
    fn accepted_boundaries_and_their_flags() {
        let (b, f) = parse("multipart/form-data; boundary=----WebKitFormBoundary");
        assert_eq!(b.unwrap(), "----WebKitFormBoundary");
        assert_eq!(f, Flags::default());
        let (b, f) = parse("Multipart/Form-Data; boundary=\"a b\"");
        assert_eq!(b.unwrap(), "a b");
        assert!(f.boundary_quoted && !f.missing_semicolon);
        let (b, f) = parse("multipart/form-data boundary=x");
        assert_eq!(b.unwrap(), "x");
        assert!(f.missing_semicolon);
        let (b, f) = parse("multipart/form-data; boundary = x");
        assert_eq!(b.unwrap(), " x");
        assert!(f.boundary_whitespace);
        let (b, _) = parse("multipart/form-data; boundary=x; charset=utf-8");
        assert_eq!(b.unwrap(), "x");
    }

    #[test]
    fn refused_content_types() {
        let cases = [
            ("", "Multipart: Content-Type header not available."),
            ("text/plain; boundary=x", "Multipart: Invalid MIME type."),
            (
                "multipart/form-data",
                "Multipart: Boundary not found in C-T.",
            ),
            (
                "multipart/form-data; Boundary=x",
                "Multipart: Invalid boundary in C-T (case sensitivity).",
            ),
            (
                "multipart/form-data; boundary=x; boundary=y",
                "Multipart: Multiple boundary parameters in C-T.",
            ),
            (
                "multipart/form-data; charset=utf-8; boundary=x",
                "Multipart: Invalid boundary in C-T (malformed).",
            ),
            (
                "multipart/form-data; boundary",
                "Multipart: Invalid boundary in C-T (malformed).",
            ),
            (
                "multipart/form-data; boundaryx=y",
                "Multipart: Invalid boundary in C-T (parameter name).",
            ),
            (
                "multipart/form-data; boundary=\"x",
                "Multipart: Invalid boundary in C-T (quote).",
            ),
            (
                "multipart/form-data; boundary=x\"",
                "Multipart: Invalid boundary in C-T (quote).",
            ),
            (
                "multipart/form-data; boundary=a{b}",
                "Multipart: Invalid boundary in C-T (characters).",
            ),
            (
                "multipart/form-data; boundary=x ",
                "Multipart: Invalid boundary in C-T (characters).",
            ),
            (
                "multipart/form-data; boundary=",
                "Multipart: Invalid boundary in C-T (empty).",
            ),
            (
                "multipart/form-data; boundary=\"\"",
                "Multipart: Invalid boundary in C-T (empty).",
            ),
            (
                "multipart/form-data; boundary=;x",
                "Multipart: Invalid boundary in C-T (empty).",
            ),
        ];
        for (header, message) in cases {
            assert_eq!(parse(header).0, Err(message), "{header}");
        }
        let long = format!("multipart/form-data; boundary={}", "a".repeat(1000));
        assert_eq!(
            parse(&long).0,
            Err("Multipart: Invalid boundary in C-T (length).")
        );
    }
}
