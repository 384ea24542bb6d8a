//! `t:compressWhitespace`: every run of whitespace (C `isspace`: space, `\t \n \v \f \r`) becomes
//! one space. Unlike ModSecurity 2, libmodsecurity does not count 0xa0 (no-break space) as one.

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    // unchanged, and nothing to build, when every whitespace is a lone space
    let lone_spaces =
        input.iter().all(|&b| b == b' ' || !is_space(b)) && !input.windows(2).any(|w| w == b"  ");
    if lone_spaces {
        return None;
    }
    compress(input)
}

fn compress(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        if is_space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
    (out != input).then_some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shortcut_agrees_with_the_compression() {
        super::super::tests::assert_same_on_every_string(
            b"a \t\x0b",
            6,
            super::apply,
            super::compress,
        );
    }
}
