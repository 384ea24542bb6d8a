//! `t:removeCommentsChar`: delete the comment markers themselves, keeping what is between them:
//! `/*`, `*/`, `<!--`, `-->`, `--` and `#`.

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    // Every marker holds `/*`, `*/`, `--` or `#` (`<!--` and `-->` contain `--`): without one,
    // nothing is removed.
    let marker =
        input.contains(&b'#') || input.windows(2).any(|w| matches!(w, b"/*" | b"*/" | b"--"));
    if !marker {
        return None;
    }
    remove(input)
}

fn remove(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        let marker = [&b"/*"[..], b"*/", b"<!--", b"-->", b"--", b"#"]
            .into_iter()
            .find(|m| rest.starts_with(m));
        match marker {
            Some(m) => i += m.len(),
            None => {
                out.push(rest[0]);
                i += 1;
            }
        }
    }
    (out.len() != input.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shortcut_agrees_with_the_removal() {
        super::super::tests::assert_same_on_every_string(
            b"a/*-<>#!",
            5,
            super::apply,
            super::remove,
        );
    }
}
