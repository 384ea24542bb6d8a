//! `t:normalizePath` (`normalisePath`): remove `./` self-references, resolve `dir/../` back
//! references and collapse `//`, as libmodsecurity does: a relative path keeps the `../` it cannot
//! resolve (`a/../../b` is `../b`), an absolute one never goes above `/` (`/../etc` is `/etc`); a
//! trailing `/` is kept only if the input had one; a trailing `/.` or `/..` is resolved.
//! `t:normalizePathWin` (`normalisePathWin`) first turns every `\` into `/`.

pub fn unix(input: &[u8]) -> Option<Vec<u8>> {
    if unchanged(input) {
        return None;
    }
    normalize(input.to_vec()).filter(|out| out != input)
}

pub fn windows(input: &[u8]) -> Option<Vec<u8>> {
    // every `\` is a change (none is left in the result, which is never longer)
    if !input.contains(&b'\\') && unchanged(input) {
        return None;
    }
    let slashed = input
        .iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect();
    normalize(slashed).filter(|out| out != input)
}

/// True when `normalize` surely gives the path back, seen without copying it: the walk changes
/// a path only at two slashes in a row or at a `.` segment end (before a `/` or the end) that
/// follows the start, a `/` or another `.`; anywhere else it copies byte for byte.
fn unchanged(path: &[u8]) -> bool {
    let mut before = None;
    for (i, &b) in path.iter().enumerate() {
        let after = path.get(i + 1);
        match b {
            b'/' if after == Some(&b'/') => return false,
            b'.' if matches!(after, None | Some(b'/'))
                && matches!(before, None | Some(b'/' | b'.')) =>
            {
                return false
            }
            _ => {}
        }
        before = Some(b);
    }
    true
}

/// libmodsecurity's in-place walk: `src` reads, `dst` writes, both in `buf` (`dst <= src`).
fn normalize(mut buf: Vec<u8>) -> Option<Vec<u8>> {
    let (&first, &last) = (buf.first()?, buf.last()?);
    let end = buf.len() - 1;
    let relative = first != b'/';
    let trailing = last == b'/';
    let mut hit_root = false;
    let mut done = false;
    let (mut src, mut dst) = (0usize, 0usize);
    while !done && src <= end && dst <= end {
        // A segment is normalised when its last byte is reached (or the input's last byte).
        let segment_end = if src == end {
            done = true;
            true
        } else {
            buf[src + 1] == b'/'
        };
        if segment_end && !(src != end && buf[src] == b'/') {
            if buf[src] == b'.' {
                if dst > 0 && buf[dst - 1] == b'.' {
                    // `..`: drop it with the segment before, unless nothing is left to drop
                    if relative && (hit_root || dst <= 2) {
                        hit_root = true;
                    } else {
                        let mut d = dst as isize - 3;
                        while d > 0 && buf[d as usize] != b'/' {
                            d -= 1;
                        }
                        if d <= 0 {
                            hit_root = true;
                            d = 0;
                            // keep the root slash when the path ends on the `..`
                            if !relative && src == end {
                                d = 1;
                            }
                        }
                        dst = d as usize;
                        if done {
                            continue;
                        }
                        src += 1;
                    }
                } else if dst == 0 {
                    // leading `./`
                    if done {
                        continue;
                    }
                    src += 1;
                } else if buf[dst - 1] == b'/' {
                    // `/./`
                    if done {
                        continue;
                    }
                    dst -= 1;
                    src += 1;
                }
            } else if dst > 0 {
                hit_root = false;
            }
        }
        if buf[src] == b'/' {
            // only the last of several slashes is copied
            while src < end && buf[src + 1] == b'/' {
                src += 1;
            }
            // a relative path does not start with the slash left by a removed `./` or `../`
            if relative && dst == 0 {
                src += 1;
                continue;
            }
        }
        buf[dst] = buf[src];
        dst += 1;
        src += 1;
    }
    if !trailing && dst > 0 && buf[dst - 1] == b'/' {
        dst -= 1;
    }
    buf.truncate(dst);
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_same_on_every_string;
    use super::*;

    #[test]
    fn the_shortcut_agrees_with_the_walk() {
        assert_same_on_every_string(b"a./\\", 7, unix, |input| {
            normalize(input.to_vec()).filter(|out| out != input)
        });
        assert_same_on_every_string(b"a./\\", 7, windows, |input| {
            let slashed = input.iter().map(|&b| if b == b'\\' { b'/' } else { b });
            normalize(slashed.collect()).filter(|out| out != input)
        });
    }
}
