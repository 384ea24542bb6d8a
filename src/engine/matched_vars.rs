//! MATCHED_VARS: the name and value of every match of the last link that matched. Rewritten for
//! every link that matches (CRS's paranoia-level and anomaly-score checks match on every
//! request), so the entries keep their buffers: a name or value no longer than one written
//! before is copied without allocating.

#[derive(Debug, Default)]
pub struct MatchedVars {
    entries: Vec<(String, Vec<u8>)>,
    len: usize,
}

impl MatchedVars {
    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds an entry, written by `write` into emptied buffers.
    pub fn push_with(&mut self, write: impl FnOnce(&mut String, &mut Vec<u8>)) {
        if self.len == self.entries.len() {
            self.entries.push(Default::default());
        }
        let (name, value) = &mut self.entries[self.len];
        name.clear();
        value.clear();
        write(name, value);
        self.len += 1;
    }

    pub fn last(&self) -> Option<(&str, &[u8])> {
        let (name, value) = self.entries[..self.len].last()?;
        Some((name, value))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries[..self.len]
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_slice()))
    }
}

/// `to` made equal to `from`, in `to`'s buffer.
pub fn overwrite(to: &mut Vec<u8>, from: &[u8]) {
    to.clear();
    to.extend_from_slice(from);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_written_after_a_clear_replace_the_old_ones() {
        let mut vars = MatchedVars::default();
        for (name, value) in [("ARGS:a", "1"), ("ARGS:bb", "22")] {
            vars.push_with(|n, v| {
                n.push_str(name);
                v.extend_from_slice(value.as_bytes());
            });
        }
        vars.clear();
        assert!(vars.is_empty() && vars.last().is_none());
        vars.push_with(|n, v| {
            n.push_str("TX:x");
            v.push(b'9');
        });
        let all: Vec<_> = vars.iter().collect();
        assert_eq!(all, [("TX:x", &b"9"[..])]);
        assert_eq!(vars.last(), Some(("TX:x", &b"9"[..])));
    }
}
