//! `t:replaceComments`: every C comment `/* ... */` becomes one space; an unterminated comment
//! runs to the end and also becomes one space. A `*/` with no opening is left alone.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if !input.windows(2).any(|w| w == b"/*") {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_comment = false;
    let mut i = 0;
    while i < input.len() {
        let pair = input.get(i..i + 2);
        if !in_comment && pair == Some(b"/*") {
            in_comment = true;
            i += 2;
        } else if in_comment && pair == Some(b"*/") {
            in_comment = false;
            out.push(b' ');
            i += 2;
        } else {
            if !in_comment {
                out.push(input[i]);
            }
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    Some(out)
}
