//! Sets of bytes, for the cheap tests that rule a rule out before it runs: a pattern needs one of
//! some bytes in any value it matches (see `regex/required_bytes.rs`); a transformation chain can
//! only produce such a byte from some bytes of its input (`transformations/preimage.rs`).

/// Values longer than this are not tested against a set: reading them whole to build theirs may
/// cost more than the searches it would save (a search may stop after a few bytes, or skip
/// through the value with its own literal prefilter).
pub const LONGEST_TESTED: usize = 2048;

/// A set of bytes, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    /// The bytes that occur in `bytes`.
    pub fn of(bytes: &[u8]) -> ByteSet {
        let mut set = ByteSet::default();
        for &b in bytes {
            set.insert(b);
        }
        set
    }

    /// Every byte.
    pub fn full() -> ByteSet {
        ByteSet([u64::MAX; 4])
    }

    pub fn is_full(&self) -> bool {
        self.0 == [u64::MAX; 4]
    }

    pub fn contains(&self, byte: u8) -> bool {
        self.0[(byte >> 6) as usize] & (1 << (byte & 63)) != 0
    }

    pub fn insert(&mut self, byte: u8) {
        self.0[(byte >> 6) as usize] |= 1 << (byte & 63);
    }

    pub fn insert_range(&mut self, start: u8, end: u8) {
        for byte in start..=end {
            self.insert(byte);
        }
    }

    pub fn union(self, other: ByteSet) -> ByteSet {
        ByteSet(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }

    /// How likely a clean value is to hold one of these bytes: the smaller, the better the set
    /// rules values out.
    pub fn weight(&self) -> u32 {
        self.bytes().map(commonness).sum()
    }

    /// The rarest byte of a literal (in both cases when it is compared case-insensitively):
    /// what any value holding the literal holds. None for the empty literal.
    pub fn rarest_of(literal: &[u8], ascii_case_insensitive: bool) -> Option<ByteSet> {
        literal
            .iter()
            .map(|&b| match ascii_case_insensitive {
                true => ByteSet::of(&[b.to_ascii_lowercase(), b.to_ascii_uppercase()]),
                false => ByteSet::of(&[b]),
            })
            .min_by_key(ByteSet::weight)
    }

    pub fn intersects(&self, other: &ByteSet) -> bool {
        (self.0[0] & other.0[0])
            | (self.0[1] & other.0[1])
            | (self.0[2] & other.0[2])
            | (self.0[3] & other.0[3])
            != 0
    }

    pub fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&b| self.contains(b))
    }
}

/// A rough guess at how common a byte is in request data (headers, arguments, JSON): letters and
/// digits are everywhere, a few separators often, the rest rarely.
fn commonness(byte: u8) -> u32 {
    match byte {
        b'a'..=b'z' => 40,
        b'A'..=b'Z' | b'0'..=b'9' => 25,
        b' ' | b'/' | b'.' | b'-' | b'_' | b'=' | b',' | b';' | b':' => 20,
        b'&' | b'%' | b'+' | b'(' | b')' | b'*' | b'"' => 8,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::ByteSet;

    #[test]
    fn a_value_without_a_required_byte_cannot_match() {
        let set = ByteSet::of(b"<");
        assert!(set.intersects(&ByteSet::of(b"a<b")));
        assert!(!set.intersects(&ByteSet::of(b"walking-shoes")));
        assert!(ByteSet::of(&[0xff]).intersects(&ByteSet::of(b"\x00\xff")));
        assert!(ByteSet::full().is_full() && !ByteSet::of(b"a").is_full());
        assert_eq!(ByteSet::of(b"ba").bytes().collect::<Vec<_>>(), b"ab");
        let rarest = |literal: &[u8], nocase| ByteSet::rarest_of(literal, nocase).unwrap();
        assert_eq!(rarest(b"/etc/passwd", false), ByteSet::of(b"/"));
        assert_eq!(rarest(b"select", true), ByteSet::of(b"sS"));
        assert_eq!(ByteSet::rarest_of(b"", true), None);
    }
}
