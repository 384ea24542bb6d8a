//! Ruling rule links out by bytes, before values are transformed or searched. A link's
//! `prefilter` (see `RuleLink::prefilter`) is the set of bytes a value must hold one of for the
//! link to match it. A value without any is skipped; a link none of whose targets' values holds
//! any is skipped whole, without collecting its values: on clean traffic, most links of CRS.

use super::byte_set::{self, ByteSet};
use super::transformations::ChainCache;
use super::variables::{Target, Value, UNNUMBERED};
use super::EvalContext;
use crate::compile::{Entry, RuleLink};

/// Whether `value` holds none of the bytes `link` needs. The value's byte set is worked out once
/// per phase (kept by the transformation cache as the empty chain's); long values are not tested.
pub fn ruled_out(link: &RuleLink, value: &Value, chains: &mut ChainCache) -> bool {
    let Some(needed) = &link.prefilter else {
        return false;
    };
    match bytes_of(value, chains) {
        Some(present) => !needed.intersects(&present),
        None => false,
    }
}

/// The bytes `value` holds, or None for a value too long to be worth reading whole.
fn bytes_of(value: &Value, chains: &mut ChainCache) -> Option<ByteSet> {
    if value.value.len() > byte_set::LONGEST_TESTED {
        return None;
    }
    let (_, kept) = chains.apply(&[], &value.value, value.stable, None);
    Some(match kept {
        Some(cell) => *cell.get_or_init(|| ByteSet::of(&value.value)),
        None => ByteSet::of(&value.value),
    })
}

/// For each target of request data used in a phase, the bytes held by any of its values: the
/// values stay the same through the phase, so this is worked out once per target and phase.
/// CRS's rules repeat a few dozen target lists, each rule with its own copy: targets are known
/// by their identity (text), numbered per phase at load time, so each distinct one is read once
/// and found again by its number.
#[derive(Default)]
pub struct TargetBytes {
    /// By slot: None while not worked out; then the union (None: some value is too long to
    /// tell).
    union: Vec<Option<Option<ByteSet>>>,
}

impl TargetBytes {
    /// Whether no value of any of `link`'s targets can match: each target is request data and
    /// none of its values holds a byte the link needs. (Values that `ctl:ruleRemoveTargetById`
    /// removes are a subset, so they change nothing here.)
    pub fn rule_out(
        &mut self,
        link: &RuleLink,
        ctx: &EvalContext,
        chains: &mut ChainCache,
    ) -> bool {
        link.prefilter.is_some()
            && link
                .targets
                .iter()
                .all(|target| self.target_ruled_out(link, target, ctx, chains))
    }

    /// Whether no value of `target` (one of `link`'s) can match: it is request data and none of
    /// its values holds a byte the link needs.
    pub fn target_ruled_out(
        &mut self,
        link: &RuleLink,
        target: &Target,
        ctx: &EvalContext,
        chains: &mut ChainCache,
    ) -> bool {
        let Some(needed) = &link.prefilter else {
            return false;
        };
        target.is_request_data()
            && self
                .of(target, ctx, chains)
                .is_some_and(|present| !needed.intersects(&present))
    }

    fn of(
        &mut self,
        target: &Target,
        ctx: &EvalContext,
        chains: &mut ChainCache,
    ) -> Option<ByteSet> {
        let slot = target.slot as usize;
        if let Some(Some(known)) = self.union.get(slot) {
            return *known;
        }
        let mut values = Vec::new();
        target.values(ctx, &mut values);
        let union = values.iter().try_fold(ByteSet::default(), |all, value| {
            Some(all.union(bytes_of(value, chains)?))
        });
        if target.slot == UNNUMBERED {
            return union;
        }
        if self.union.len() <= slot {
            self.union.resize(slot + 1, None);
        }
        self.union[slot] = Some(union);
        union
    }
}

/// What ruling a phase's rules out by bytes reads of them, side by side: for each entry, the
/// bytes its first link needs and the slots of that link's targets. On clean traffic most rules
/// are ruled out this way; read from the rules themselves (each its own allocation, its links
/// and targets more), that cost a cache miss or several per rule in an nginx worker, where the
/// rule set does not stay in cache between requests. Here the phase's screen is a few kilobytes.
#[derive(Debug, Default)]
pub struct PhaseScreen {
    /// By entry index.
    rules: Vec<RuleScreen>,
    /// The slot lists the rules' ranges point into.
    slots: Vec<u32>,
}

#[derive(Clone, Copy, Debug)]
struct RuleScreen {
    needed: ByteSet,
    /// `slots[first..end]`; empty when the rule cannot be ruled out by bytes alone (no
    /// prefilter, a target that is not request data or has no slot, no targets at all).
    first: u32,
    end: u32,
}

impl PhaseScreen {
    pub fn of(entries: &[Entry]) -> PhaseScreen {
        let mut screen = PhaseScreen::default();
        for entry in entries {
            let first = screen.slots.len() as u32;
            let mut rule = RuleScreen {
                needed: ByteSet::default(),
                first,
                end: first,
            };
            let link = match entry {
                Entry::Rule(rule) => rule.links.first(),
                Entry::Marker(_) => None,
            };
            if let Some((link, needed)) = link.and_then(|l| Some((l, l.prefilter?))) {
                let screenable = !link.targets.is_empty()
                    && link
                        .targets
                        .iter()
                        .all(|t| t.is_request_data() && t.slot != UNNUMBERED);
                if screenable {
                    screen.slots.extend(link.targets.iter().map(|t| t.slot));
                    rule.needed = needed;
                    rule.end = screen.slots.len() as u32;
                }
            }
            screen.rules.push(rule);
        }
        screen
    }
}

impl TargetBytes {
    /// Whether entry `index` of the phase is ruled out by what is known already: each target of
    /// its first link has had its bytes worked out and none holds one the link needs. (False
    /// does not mean the rule matches, only that the rule itself must be read.)
    pub fn screens_out(&self, screen: &PhaseScreen, index: usize) -> bool {
        let Some(rule) = screen.rules.get(index) else {
            return false;
        };
        let slots = &screen.slots[rule.first as usize..rule.end as usize];
        !slots.is_empty()
            && slots
                .iter()
                .all(|&slot| match self.union.get(slot as usize) {
                    Some(Some(Some(present))) => !rule.needed.intersects(present),
                    _ => false,
                })
    }
}
