//! Within one phase many rules apply the same transformation chain to the same value: CRS's XSS
//! rules share one six-step chain over every argument, its SQL rules another. The cache keeps
//! each (value, chain) result for the rest of the phase, so each is computed once.
//!
//! A value is known by its address and length. That names its content only while the bytes
//! cannot change or move: the caller offers only values borrowed from request data, which stays
//! put for the whole phase (the cache lives no longer than one phase).

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{apply_with_map, Transformation, UnicodeMap};
use crate::engine::byte_set::ByteSet;

/// (value address, value length, chain code)
type Key = (usize, usize, u64);

#[derive(Default)]
pub struct ChainCache {
    results: HashMap<Key, Transformed, BuildHasherDefault<KeyHasher>>,
}

struct Transformed {
    /// None: the chain left the value as it was.
    changed: Option<Box<[u8]>>,
    /// The bytes the result holds, once a pattern has asked.
    present: OnceCell<ByteSet>,
}

impl ChainCache {
    /// `chain` applied to `value`. `stable` says the value's bytes stay where they are, unchanged,
    /// until the end of the phase; only then is the result kept.
    ///
    /// With the result comes, for a kept result, where its byte set is kept (see
    /// [`crate::engine::regex::Subject`]). The empty chain is kept too, for that set.
    pub fn apply<'c>(
        &'c mut self,
        chain: &[Transformation],
        value: &'c [u8],
        stable: bool,
        unicode_map: Option<&UnicodeMap>,
    ) -> (Cow<'c, [u8]>, Option<&'c OnceCell<ByteSet>>) {
        let code = chain_code(chain);
        let (true, Some(code)) = (stable, code) else {
            return (
                apply_with_map(chain, Cow::Borrowed(value), unicode_map),
                None,
            );
        };
        let key = (value.as_ptr() as usize, value.len(), code);
        let result: &'c Transformed = self.results.entry(key).or_insert_with(|| {
            let changed = match apply_with_map(chain, Cow::Borrowed(value), unicode_map) {
                Cow::Borrowed(_) => None,
                Cow::Owned(changed) => Some(changed.into_boxed_slice()),
            };
            Transformed {
                changed,
                present: OnceCell::new(),
            }
        });
        (
            Cow::Borrowed(result.changed.as_deref().unwrap_or(value)),
            Some(&result.present),
        )
    }
}

/// A chain of up to nine transformations as a number, 7 bits per step (there are fewer than 127
/// transformations): equal codes are equal chains, and only the empty chain is 0. Longer chains
/// are not cached.
fn chain_code(chain: &[Transformation]) -> Option<u64> {
    if chain.len() > 9 {
        return None;
    }
    Some(
        chain
            .iter()
            .fold(0u64, |code, t| (code << 7) | (*t as u64 + 1)),
    )
}

/// The keys are addresses and small numbers: one multiply-rotate per word is enough, and far
/// cheaper than the default SipHash.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_chains_share_results_and_unstable_values_are_not_kept() {
        let mut cache = ChainCache::default();
        let value = b"A%41".to_vec();
        let decode = [Transformation::UrlDecode, Transformation::Lowercase];
        assert_eq!(&*cache.apply(&decode, &value, true, None).0, b"aa");
        assert_eq!(&*cache.apply(&decode.clone(), &value, true, None).0, b"aa");
        assert_eq!(cache.results.len(), 1);
        // Another chain, the same value: its own entry.
        let lowercase = [Transformation::Lowercase];
        assert_eq!(&*cache.apply(&lowercase, &value, true, None).0, b"a%41");
        assert_eq!(cache.results.len(), 2);
        assert_eq!(&*cache.apply(&decode, b"B", false, None).0, b"b");
        assert_eq!(cache.results.len(), 2);
        assert!(cache.apply(&[], &value, true, None).1.is_some());
        assert_eq!(cache.results.len(), 3);
        assert_ne!(
            chain_code(&[Transformation::Lowercase, Transformation::Trim]),
            chain_code(&[Transformation::Trim, Transformation::Lowercase])
        );
    }
}
