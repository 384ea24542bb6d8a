//! `t:cmdLine`: what a Windows or Unix shell would ignore. Deletes `\ " ' ^`; turns each run of
//! spaces, tabs, CR, LF, `,` and `;` into one space; drops that space before `/` and `(`; lower-cases
//! ASCII letters. (`C^OMMAND /C DIR` is `command/c dir`.)

pub fn apply(input: &[u8]) -> Option<Vec<u8>> {
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
