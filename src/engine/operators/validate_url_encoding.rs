//! `@validateUrlEncoding`: matches when a `%` is not followed by two hex digits (a truncated or
//! non-hexadecimal escape), as ModSecurity checks it.

pub fn finds_invalid(value: &[u8]) -> bool {
    first_invalid(value).is_some()
}

/// Where the first bad escape starts.
pub fn first_invalid(value: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%' {
            if i + 2 >= value.len()
                || !value[i + 1].is_ascii_hexdigit()
                || !value[i + 2].is_ascii_hexdigit()
            {
                return Some(i);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_need_two_hex_digits() {
        assert!(!super::finds_invalid(b"a%20b%7e"));
        assert!(super::finds_invalid(b"a%2"));
        assert!(super::finds_invalid(b"a%zzb"));
        assert!(super::finds_invalid(b"%"));
    }
}
