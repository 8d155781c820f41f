//! The shared machinery of Rolo's property-based fuzz tests (`tests/fuzz.rs` of `interchange`,
//! `carddav` and `device_api`; see `docs/fuzzing.md`). A dev-dependency only.
//!
//! * [`run`] runs one property for [`cases`] cases (`ROLO_FUZZ_CASES`, 256 by default), with
//!   no failure-persistence files, and prints `fuzz <name>: <n> cases (<time>)` to stderr.
//! * [`CountingAlloc`] counts the bytes the process has allocated; a fuzz test binary installs
//!   it as its `#[global_allocator]`, and [`bounded`] then checks that what a parser allocates
//!   at its peak stays within [`alloc_bound`] of its input: what catches decompression and
//!   dimension bombs.
//!
//! The counters are process-wide (a parser may hand work to other threads: SQLite's, say), so
//! [`run`] lets one property run at a time in a test binary: the tests of one binary otherwise
//! run on several threads and would count each other's allocations.
#![deny(clippy::unwrap_used, clippy::expect_used)]
// A global allocator is an `unsafe impl`; and a failed property fails its test by panicking.
#![allow(unsafe_code, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

pub use proptest;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Cases per property when `ROLO_FUZZ_CASES` is not set: enough to be useful on every
/// `make test`, few enough to keep the whole fuzz run to seconds in a debug build.
pub const DEFAULT_CASES: u32 = 256;

/// Bytes the process holds now, and the most it held since the last [`measure`] began.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Allocations made, to tell whether [`CountingAlloc`] is installed.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Bytes the process may hold at once: past this an allocation fails (and the test binary
/// aborts, naming the size), so that a bomb that slipped past a parser's limits fails the test
/// instead of taking the machine's memory.
pub const HARD_LIMIT: usize = 2 << 30;
/// One property at a time per test binary (see the module documentation).
static GATE: Mutex<()> = Mutex::new(());

/// The system allocator, counting the bytes held and their peak, and refusing to hold more than
/// [`HARD_LIMIT`]. Install it in a fuzz test
/// binary with `#[global_allocator] static ALLOC: fuzz_support::CountingAlloc = fuzz_support::CountingAlloc;`.
pub struct CountingAlloc;

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

/// Whether `bytes` more would stay within [`HARD_LIMIT`].
fn fits(bytes: usize) -> bool {
    CURRENT.load(Ordering::Relaxed).saturating_add(bytes) <= HARD_LIMIT
}

fn shrank(bytes: usize) {
    CURRENT.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is passed on to `System` unchanged, or refused with a null pointer (an
// allocation failure, which the contract allows); the counters only observe it.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !fits(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract is `System`'s.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !fits(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !fits(new_size.saturating_sub(layout.size())) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

/// Whether this process allocates through [`CountingAlloc`].
pub fn installed() -> bool {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    drop(std::hint::black_box(Box::new(0u64)));
    ALLOCATIONS.load(Ordering::Relaxed) != before
}

/// Runs `f` and returns its result with the most bytes held at once while it ran, beyond what
/// was held when it started.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    let peak = PEAK.load(Ordering::Relaxed);
    (r, peak.saturating_sub(base))
}

/// The most a parser may allocate at once for an input of `input_len` bytes: 64 bytes per input
/// byte, plus 8 MiB. A parser's tree, decoded text and copies stay well within 64 times its
/// input; the 8 MiB cover fixed costs (a zip reader's buffers, a runtime's first request). A bomb
/// (a few KB unpacking to gigabytes, or a grid of billions of cells) does not.
pub const fn alloc_bound(input_len: usize) -> usize {
    64 * input_len + (8 << 20)
}

/// Runs `f` (one parse of an input of `input_len` bytes) and fails the case if it allocated
/// more than [`alloc_bound`] at its peak.
pub fn bounded<R>(what: &str, input_len: usize, f: impl FnOnce() -> R) -> Result<R, TestCaseError> {
    let (r, peak) = measure(f);
    let bound = alloc_bound(input_len);
    if peak > bound {
        return Err(TestCaseError::fail(format!(
            "{what} allocated {peak} bytes at its peak for {input_len} bytes of input (the bound is {bound})"
        )));
    }
    Ok(r)
}

/// Holds off every property of this test binary while the guard lives: for a test that is not
/// a property but allocates much (see the module documentation).
pub fn alone() -> MutexGuard<'static, ()> {
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Cases per property: `ROLO_FUZZ_CASES`, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var("ROLO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// The random seed: `ROLO_FUZZ_SEED` (a number) fixes it, so a run sees the same cases every
/// time (`make test` fixes one: a red run comes from a change, not from a draw); unset, every
/// run draws new cases (campaigns, see docs/fuzzing.md).
pub fn seed() -> Option<u64> {
    std::env::var("ROLO_FUZZ_SEED").ok().and_then(|v| v.trim().parse().ok())
}

/// The proptest configuration of every property: [`cases`] cases, [`seed`], and no
/// `proptest-regressions` files (a failure prints its minimal input; a real bug gets a plain
/// regression test next to the parser).
pub fn config() -> Config {
    let rng_seed = seed().map_or(RngSeed::Random, RngSeed::Fixed);
    Config { cases: cases(), failure_persistence: None, rng_seed, ..Config::default() }
}

/// Checks the property `test` on [`cases`] values of `strategy`, one property at a time in this
/// process, and prints `fuzz <name>: <n> cases (<time>)` to stderr (past the test harness's
/// capture, so that `cargo test` shows it). Panics with the minimal failing input on failure.
pub fn run<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let _one_at_a_time = alone();
    assert!(
        installed(),
        "install fuzz_support::CountingAlloc as the test binary's global allocator"
    );
    let config = config();
    // A panic a parser catches (or proptest, to shrink it) prints its message without a
    // backtrace: capturing one (`RUST_BACKTRACE=1`) allocates tens of MB inside the measured
    // parse. A failure still shows its message and minimal input.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    let started = Instant::now();
    let result = TestRunner::new(config.clone()).run(&strategy, test);
    let took = started.elapsed();
    std::panic::set_hook(hook);
    match result {
        Ok(()) => {
            // Written to the stream itself: the harness captures only `eprintln!`.
            let _ = writeln!(std::io::stderr(), "fuzz {name}: {} cases ({took:.1?})", config.cases);
        }
        Err(e) => {
            let seed = seed().map_or("random".to_string(), |s| s.to_string());
            panic!("fuzz {name} failed after {took:.1?} (ROLO_FUZZ_SEED {seed}): {e}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_grows_with_the_input() {
        assert_eq!(alloc_bound(0), 8 << 20);
        assert_eq!(alloc_bound(1 << 20), 72 << 20);
    }
}
