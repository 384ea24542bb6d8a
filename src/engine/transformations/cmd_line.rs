//! `t:cmdLine`: what a Windows or Unix shell would ignore. Deletes `\ " ' ^`; turns each run of
//! spaces, tabs, CR, LF, `,` and `;` into one space; drops that space before `/` and `(`; lower-cases
//! ASCII letters. (`C^OMMAND /C DIR` is `command/c dir`.)

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
    if unchanged(input) {
        return None;
    }
    rewrite(input)
}

/// True when `rewrite` would give the input back, found without building anything: no byte to
/// delete, to lower-case or to turn into a space, and every space alone and not before `/` or `(`.
fn unchanged(input: &[u8]) -> bool {
    let plain = |b: u8| {
        !matches!(
            b,
            b'"' | b'\'' | b'\\' | b'^' | b',' | b';' | b'\t' | b'\r' | b'\n'
        ) && !b.is_ascii_uppercase()
    };
    input.iter().all(|&b| plain(b))
        && !input
            .windows(2)
            .any(|w| w[0] == b' ' && matches!(w[1], b' ' | b'/' | b'('))
}

fn rewrite(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        match b {
            b'"' | b'\'' | b'\\' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !in_space {
                    out.push(b' ');
                    in_space = true;
                }
            }
            b'/' | b'(' => {
                if in_space {
                    out.pop();
                }
                in_space = false;
                out.push(b);
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                in_space = false;
            }
        }
    }
    (out != input).then_some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shortcut_agrees_with_the_rewrite() {
        super::super::tests::assert_same_on_every_string(
            b"aA ,/(\"^\\",
            5,
            super::apply,
            super::rewrite,
        );
    }
}
