//! `@validateByteRange 10,13,32-126`: matches when the value holds a byte outside the ranges.

#[derive(Debug)]
pub struct ByteRanges {
    allowed: [bool; 256],
}

impl ByteRanges {
    pub fn parse(param: &str) -> Result<ByteRanges, String> {
        let mut allowed = [false; 256];
        let bad = |item: &str| {
            format!("@validateByteRange: \"{item}\" is not a byte or a range of bytes")
        };
        for item in param.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (low, high) = match item.split_once('-') {
                Some((l, h)) => (l.trim(), h.trim()),
                None => (item, item),
            };
            let low: u8 = low.parse().map_err(|_| bad(item))?;
            let high: u8 = high.parse().map_err(|_| bad(item))?;
            if low > high {
                return Err(bad(item));
            }
            allowed[low as usize..=high as usize]
                .iter_mut()
                .for_each(|a| *a = true);
        }
        Ok(ByteRanges { allowed })
    }

    /// The positions of the bytes outside the ranges.
    pub fn outside(&self, value: &[u8]) -> Vec<usize> {
        (0..value.len())
            .filter(|&i| !self.allowed[value[i] as usize])
            .collect()
    }

    pub fn finds_outside(&self, value: &[u8]) -> bool {
        value.iter().any(|&b| !self.allowed[b as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_outside_the_ranges_match() {
        let ranges = ByteRanges::parse("10, 13, 32-126").unwrap();
        assert!(!ranges.finds_outside(b"hello world\r\n"));
        assert!(ranges.finds_outside(b"nul\0"));
        assert!(ranges.finds_outside(b"\xff"));
        assert!(ByteRanges::parse("1-300").is_err());
        assert!(ByteRanges::parse("9-1").is_err());
    }
}
