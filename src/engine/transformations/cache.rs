//! Within one phase many rules apply transformation chains to the same value: CRS's XSS rules
//! share one six-step chain over every argument, its SQL rules another, and some thirty distinct
//! chains reach every argument. Most of them share steps: many start with `urlDecodeUni`, and on a
//! clean value most steps change nothing, so the chains meet again on the same bytes. The cache
//! therefore keeps the result of each single step on each value it met, as well as each whole
//! chain's: a chain seen before on a value is one lookup, and a new one computes only the steps
//! no other chain has computed on the same bytes.
//!
//! A value is known by its address and length. That names its content only while the bytes
//! cannot change or move: the caller offers only values borrowed from request data, which stays
//! put for the whole phase (the cache lives no longer than one phase), and every intermediate
//! result is a buffer the cache owns and never changes nor drops before the cache itself.
//!
//! A step is a chain of one transformation, so a step result is also that one-step chain's whole
//! result: both live in one map.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::{apply_with_map, Transformation, UnicodeMap};
use crate::engine::byte_set::ByteSet;
use crate::engine::regex::Subject;

/// (input address, input length, chain code)
type Key = (usize, usize, u64);

/// In `run`, the value the chain started from, before its index is known.
const ORIGINAL: u32 = u32::MAX;

type Outcomes = HashMap<Key, u32, BuildHasherDefault<KeyHasher>>;

pub struct ChainCache {
    /// What each chain, and each single step, made of each input: an index into `results`.
    outcomes: Outcomes,
    /// Every distinct result: the original values (their bytes are the caller's) and every
    /// changed one.
    results: Vec<Transformed>,
}

struct Transformed {
    /// None: the value the caller passed (the original value is the only result of its own
    /// chains that the cache does not hold).
    changed: Option<Vec<u8>>,
    /// The bytes the result holds, once a pattern has asked; shared by every chain ending there.
    present: OnceCell<ByteSet>,
}

impl Transformed {
    fn new(changed: Option<Vec<u8>>) -> Transformed {
        Transformed {
            changed,
            present: OnceCell::new(),
        }
    }
}

thread_local! {
    /// The last phase's cache, emptied, with its room: the next phase does not grow its table
    /// again from nothing (a 20 KB JSON body's phase fills some 60,000 entries, and growing to
    /// that rehashes them all several times).
    static SPARE: Cell<Option<(Outcomes, Vec<Transformed>)>> = const { Cell::new(None) };
}

/// The largest table kept for the next phase, in entries (of 32 bytes): a few MB at most stay
/// allocated per thread after an unusually large request.
const SPARE_AT_MOST: usize = 1 << 17;

impl Default for ChainCache {
    fn default() -> ChainCache {
        let (outcomes, results) = SPARE
            .try_with(Cell::take)
            .ok()
            .flatten()
            .unwrap_or_default();
        ChainCache { outcomes, results }
    }
}

impl Drop for ChainCache {
    fn drop(&mut self) {
        if self.outcomes.capacity() > SPARE_AT_MOST {
            return;
        }
        let mut outcomes = std::mem::take(&mut self.outcomes);
        let mut results = std::mem::take(&mut self.results);
        outcomes.clear();
        results.clear();
        // (during the thread's exit there is no next phase to keep them for)
        let _ = SPARE.try_with(|spare| spare.set(Some((outcomes, results))));
    }
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
        // An empty value is not kept: every empty slice may have the same address, and the
        // empty results of steps are known by that same address (see `run`).
        let code = match chain_code(chain) {
            Some(code) if stable && !value.is_empty() => code,
            _ => return (uncached(chain, value, unicode_map), None),
        };
        let key = (value.as_ptr() as usize, value.len(), code);
        let index = match self.outcomes.get(&key) {
            Some(&index) => index,
            None => self.run(chain, value, unicode_map, key),
        };
        let result = &self.results[index as usize];
        (
            Cow::Borrowed(result.changed.as_deref().unwrap_or(value)),
            Some(&result.present),
        )
    }

    /// For `multiMatch`: tests `value` as it came, then what each step of `chain` made of it
    /// whenever that differs from the candidate before, until `test` passes; returns the
    /// candidate that passed. The steps are kept like those of any chain: CRS's multiMatch rules
    /// share their first steps with each other and with other rules.
    pub fn first_candidate(
        &mut self,
        chain: &[Transformation],
        value: &[u8],
        stable: bool,
        unicode_map: Option<&UnicodeMap>,
        mut test: impl FnMut(&Subject) -> bool,
    ) -> Option<Vec<u8>> {
        if !stable || value.is_empty() {
            return uncached_candidates(chain, value, unicode_map, test);
        }
        let key = (value.as_ptr() as usize, value.len(), 0);
        let mut current = self.original(key);
        let mut tested = None;
        for step in std::iter::once(None).chain(chain.iter().map(Some)) {
            if let Some(step) = step {
                current = self.step(current, *step, value, unicode_map, key);
            }
            let bytes_of = |index: u32| {
                let result: &Transformed = &self.results[index as usize];
                result.changed.as_deref().unwrap_or(value)
            };
            if tested
                .is_some_and(|before| before == current || bytes_of(before) == bytes_of(current))
            {
                continue;
            }
            tested = Some(current);
            let result = &self.results[current as usize];
            let bytes = result.changed.as_deref().unwrap_or(value);
            if test(&Subject::with_byte_set(bytes, &result.present)) {
                return Some(bytes.to_vec());
            }
        }
        None
    }

    /// Runs `chain` on `value` step by step, reusing each step already computed on the same
    /// bytes, and keeps the outcome under `key`. Out of line: the lookup above is the hot path.
    #[inline(never)]
    fn run(
        &mut self,
        chain: &[Transformation],
        value: &[u8],
        unicode_map: Option<&UnicodeMap>,
        key: Key,
    ) -> u32 {
        let mut current = ORIGINAL;
        for step in chain {
            current = self.step(current, *step, value, unicode_map, key);
        }
        if current == ORIGINAL {
            // the empty chain
            current = self.original(key);
        }
        if chain.len() != 1 {
            // (a one-step chain is its step, kept above)
            self.outcomes.insert(key, current);
        }
        current
    }

    /// What `step` makes of the result `current` (ORIGINAL: `value` itself), computed only if no
    /// chain computed it before on the same bytes.
    fn step(
        &mut self,
        current: u32,
        step: Transformation,
        value: &[u8],
        unicode_map: Option<&UnicodeMap>,
        key: Key,
    ) -> u32 {
        let input = match current {
            ORIGINAL => value,
            index => self.results[index as usize]
                .changed
                .as_deref()
                .unwrap_or(value),
        };
        // A step is the chain of that one transformation. (Empty results may share an address,
        // which is harmless: their content is all the same.)
        let step_key = (input.as_ptr() as usize, input.len(), step as u64 + 1);
        let vacant = match self.outcomes.entry(step_key) {
            Entry::Occupied(known) => return *known.get(),
            Entry::Vacant(vacant) => vacant,
        };
        match step.apply_once(input, unicode_map) {
            Some(changed) => {
                let index = self.results.len() as u32;
                self.results.push(Transformed::new(Some(changed)));
                vacant.insert(index);
                index
            }
            // the original value is given an index only when a result is the value itself
            None if current == ORIGINAL => {
                let index = self.original(key);
                self.outcomes.insert(step_key, index);
                index
            }
            None => {
                vacant.insert(current);
                current
            }
        }
    }

    /// The index of `key`'s original value, given one if it has none yet.
    fn original(&mut self, key: Key) -> u32 {
        let next = self.results.len() as u32;
        let index = *self.outcomes.entry((key.0, key.1, 0)).or_insert(next);
        if index == next {
            self.results.push(Transformed::new(None));
        }
        index
    }
}

/// `first_candidate` for a value the cache does not keep.
fn uncached_candidates(
    chain: &[Transformation],
    value: &[u8],
    unicode_map: Option<&UnicodeMap>,
    mut test: impl FnMut(&Subject) -> bool,
) -> Option<Vec<u8>> {
    let mut current = Cow::Borrowed(value);
    if test(&Subject::new(&current)) {
        return Some(current.into_owned());
    }
    for step in chain {
        let next = apply_with_map(std::slice::from_ref(step), current.clone(), unicode_map);
        if next != current && test(&Subject::new(&next)) {
            return Some(next.into_owned());
        }
        current = next;
    }
    None
}

/// A chain the cache does not keep. Out of line, as `run`: the hot path is the lookup.
#[inline(never)]
fn uncached<'v>(
    chain: &[Transformation],
    value: &'v [u8],
    unicode_map: Option<&UnicodeMap>,
) -> Cow<'v, [u8]> {
    apply_with_map(chain, Cow::Borrowed(value), unicode_map)
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
    use Transformation::*;

    #[test]
    fn equal_chains_share_results_and_unstable_values_are_not_kept() {
        let mut cache = ChainCache::default();
        let value = b"A%41".to_vec();
        let decode = [UrlDecode, Lowercase];
        assert_eq!(&*cache.apply(&decode, &value, true, None).0, b"aa");
        // two changed steps; kept: each step and the chain
        assert_eq!((cache.results.len(), cache.outcomes.len()), (2, 3));
        assert_eq!(&*cache.apply(&decode.clone(), &value, true, None).0, b"aa");
        assert_eq!((cache.results.len(), cache.outcomes.len()), (2, 3));
        // Another chain, the same value: its own outcome, a new result.
        assert_eq!(&*cache.apply(&[Lowercase], &value, true, None).0, b"a%41");
        assert_eq!((cache.results.len(), cache.outcomes.len()), (3, 4));
        assert_eq!(&*cache.apply(&decode, b"B", false, None).0, b"b");
        assert_eq!((cache.results.len(), cache.outcomes.len()), (3, 4));
        // the empty chain: the value itself, now with a byte set
        let (same, present) = cache.apply(&[], &value, true, None);
        assert!(matches!(same, Cow::Borrowed(b) if b.as_ptr() == value.as_ptr()));
        assert!(present.is_some());
        assert_eq!((cache.results.len(), cache.outcomes.len()), (4, 5));
        assert_ne!(
            chain_code(&[Lowercase, Trim]),
            chain_code(&[Trim, Lowercase])
        );
    }

    #[test]
    fn a_new_cache_starts_empty_with_the_room_of_the_last_one() {
        let value = b"%41".to_vec();
        let mut cache = ChainCache::default();
        cache.apply(&[UrlDecode], &value, true, None);
        let room = cache.outcomes.capacity();
        assert!(room > 0);
        drop(cache);
        let cache = ChainCache::default();
        assert_eq!((cache.results.len(), cache.outcomes.len()), (0, 0));
        assert_eq!(cache.outcomes.capacity(), room);
    }

    #[test]
    fn chains_reuse_the_steps_other_chains_computed_on_the_same_bytes() {
        let mut cache = ChainCache::default();
        let value = b"clean value".to_vec();
        // nothing changes: every chain's result is the value itself, with one byte set for all
        let first = cache.apply(&[UrlDecodeUni, HtmlEntityDecode], &value, true, None);
        assert!(matches!(first.0, Cow::Borrowed(b) if b.as_ptr() == value.as_ptr()));
        let first_set: *const OnceCell<ByteSet> = first.1.unwrap();
        let second = cache.apply(&[HtmlEntityDecode, Lowercase], &value, true, None);
        assert!(std::ptr::eq(first_set, second.1.unwrap()));
        assert_eq!(cache.results.len(), 1);
        // urlDecodeUni, htmlEntityDecode, lowercase were each run once; two chains kept
        assert_eq!(cache.outcomes.len(), 1 + 3 + 2);

        // After a change the next steps run on the changed bytes, and are shared from there.
        let encoded = b"%3Cb%3E&lt;".to_vec();
        let chain = [UrlDecodeUni, HtmlEntityDecode, Lowercase];
        assert_eq!(&*cache.apply(&chain, &encoded, true, None).0, b"<b><");
        let results = cache.results.len();
        let other = [UrlDecodeUni, HtmlEntityDecode, RemoveNulls];
        assert_eq!(&*cache.apply(&other, &encoded, true, None).0, b"<b><");
        // removeNulls changed nothing, the two decodings were reused: no new result
        assert_eq!(cache.results.len(), results);
    }

    #[test]
    fn cached_results_are_those_of_the_plain_chain() {
        let values: Vec<Vec<u8>> = [
            &b"plain"[..],
            b"",
            b"\0",
            b"%00%00",
            b"A%2541&amp;\\x41 /*c*/ B",
            b"\xc3\xa9%u0041&#65;\\u0041",
            b"  Mixed Case,,;;  /x ",
        ]
        .iter()
        .map(|v| v.to_vec())
        .collect();
        let steps = [
            UrlDecodeUni,
            UrlDecode,
            HtmlEntityDecode,
            JsDecode,
            CssDecode,
            Utf8ToUnicode,
            RemoveNulls,
            Lowercase,
            CmdLine,
            ReplaceComments,
            CompressWhitespace,
            Trim,
            Length,
        ];
        let mut cache = ChainCache::default();
        let mut checked = 0;
        // every chain of up to three steps, in an order that shares prefixes and middles
        for a in steps {
            for b in steps {
                for c in steps {
                    for chain in [&[a][..], &[a, b], &[a, b, c], &[c, b]] {
                        for value in &values {
                            let plain = apply_with_map(chain, Cow::Borrowed(value), None);
                            let (cached, _) = cache.apply(chain, value, true, None);
                            assert_eq!(cached, plain, "{chain:?} on {value:?}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 13 * 13 * 13 * 4 * 7);
    }
}
