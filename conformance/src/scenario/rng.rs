//! The generator's own PRNG, SplitMix64 (Steele, Lea and Flood, 2014): a
//! seed gives the same numbers forever, whatever crate versions change. Its
//! state is a `Cell`, so a number can be drawn while the builder holding the
//! generator is borrowed.

use std::cell::Cell;

/// SplitMix64: a 64-bit state advanced by a constant and mixed.
#[derive(Clone, Debug)]
pub struct Rng {
    state: Cell<u64>,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: Cell::new(seed) }
    }

    pub fn next_u64(&self) -> u64 {
        let state = self.state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.state.set(state);
        mix(state)
    }

    /// A number in `0..n` (`n > 0`), by multiply-and-shift.
    pub fn below(&self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn range(&self, low: u64, high: u64) -> u64 {
        assert!(low <= high, "range({low}, {high})");
        if high - low == u64::MAX {
            return self.next_u64();
        }
        low + self.below(high - low + 1)
    }

    /// True once in `n` times.
    pub fn one_in(&self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// SplitMix64's finaliser: a good 64-bit mixing function on its own.
pub fn mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
