//! `@within`: the value occurs inside the parameter (the reverse of `@contains`); an empty value
//! does not match.

pub fn matches(value: &[u8], list: &[u8]) -> bool {
    let Some((&first, rest)) = value.split_first() else {
        return false;
    };
    // Compared only where the first byte agrees: CRS checks every header name against lists
    // of a hundred bytes.
    list.windows(value.len())
        .any(|window| window[0] == first && &window[1..] == rest)
}
