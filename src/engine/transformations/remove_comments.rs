//! `t:removeComments`: delete `/* ... */` and `<!-- ... -->` comments, and everything from `--` or
//! `#` to the end (SQL and shell line comments). An unterminated block comment becomes one space.
//! libmodsecurity's quirks, kept so rules see the same bytes: the byte right after a closing `*/`
//! or `-->` is copied without being looked at (so it never starts a comment), and when the comment
//! closes at the very end that copied byte is the string's terminating NUL, so the result ends in
//! a 0x00 byte (`/*x*/` becomes `\0`).

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    let opens = |w: &[u8]| {
        w.starts_with(b"/*") || w.starts_with(b"<!--") || w.starts_with(b"--") || w[0] == b'#'
    };
    if !(0..input.len()).any(|i| opens(&input[i..])) {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_comment = false;
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        if !in_comment {
            if rest.starts_with(b"/*") {
                in_comment = true;
                i += 2;
            } else if rest.starts_with(b"<!--") {
                in_comment = true;
                i += 4;
            } else if rest.starts_with(b"--") || rest[0] == b'#' {
                break;
            } else {
                out.push(rest[0]);
                i += 1;
            }
        } else {
            let close = if rest.starts_with(b"*/") {
                2
            } else if rest.starts_with(b"-->") {
                3
            } else {
                0
            };
            if close > 0 {
                in_comment = false;
                i += close;
                out.push(input.get(i).copied().unwrap_or(0));
            }
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    Some(out)
}
