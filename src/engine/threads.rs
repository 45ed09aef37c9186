//! How many cores one inference uses: tract-linalg's matrix multiplications (≈ 85 % of the time)
//! split their tiles over a rayon pool (`multithread-mm`), and our depthwise convolutions and max
//! pools their planes (through tract's executor, `par_chunks_mut`). Natively a pool of our own; in the wasm
//! threads build rayon's global pool, which wasm-bindgen-rayon fills with Web Workers
//! ([`use_rayon_global_pool`]).
//!
//! Note: tract's `Executor::multithread(1)` still goes through rayon; one thread is
//! `Executor::SingleThread` here.

#[cfg(all(target_arch = "wasm32", feature = "threads"))]
use tract_linalg::multithread::current_tract_executor;
use tract_linalg::multithread::{multithread_tract_scope, set_default_executor, Executor};

/// The number of cores of this machine (1 when unknown).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A set of threads that tract's matrix multiplications may use, shared by every caller.
#[derive(Clone, Debug)]
pub struct MatmulThreads {
    executor: Executor,
    threads: usize,
}

impl MatmulThreads {
    /// `threads` threads (at least 1); one means no pool at all.
    pub fn new(threads: usize) -> MatmulThreads {
        let threads = threads.max(1);
        #[cfg(not(target_arch = "wasm32"))]
        let executor = if threads == 1 {
            Executor::SingleThread
        } else {
            Executor::multithread_with_name(threads, "vibe-opsy-matmul")
        };
        #[cfg(target_arch = "wasm32")]
        let executor = if threads == 1 {
            Executor::SingleThread
        } else {
            Executor::RayonGlobal
        };
        MatmulThreads { executor, threads }
    }

    /// One thread: the caller's.
    pub fn single() -> MatmulThreads {
        MatmulThreads {
            executor: Executor::SingleThread,
            threads: 1,
        }
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `f` (on this thread) with tract's matrix multiplications on these threads.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        multithread_tract_scope(self.executor.clone(), f)
    }

    /// Makes these threads the default for every thread of the process (the CLI).
    pub fn make_default(&self) {
        set_default_executor(self.executor.clone());
    }
}

/// Below this many elements of work a row-parallel step (tract's element-wise ops, our depthwise
/// convolutions and pools) runs on the calling worker alone in the wasm threads build; tract's
/// default is 32,768. Why: handing half of a step to another Web Worker costs ≈ 0.1–0.3 ms there
/// (waking it through `Atomics.notify`, then waiting for its half), so a step of less than about
/// half a millisecond ran slower on 2 threads than on 1 (`bench/wasm-profile.mjs`: the middle
/// flow's depthwise convolutions, 1.7 M multiply-adds each, 0.30 ms on one thread, 0.3–0.6 ms on
/// two; the ReLUs and residual additions 1.6× slower on two).
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub const WASM_ELEMENT_THRESHOLD: usize = 1 << 21;

/// Sends every matrix multiplication to rayon's global pool (wasm threads build: call once
/// `initThreadPool(n)` has resolved), and keeps steps too small to gain from it on one worker
/// ([`WASM_ELEMENT_THRESHOLD`]).
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub fn use_rayon_global_pool() {
    tract_linalg::multithread::set_threading_element_threshold(WASM_ELEMENT_THRESHOLD);
    set_default_executor(Executor::RayonGlobal);
}

/// Runs `f` on a worker of rayon's global pool when tract's work goes to that pool from a thread
/// outside it (the wasm threads build: the classifier's Web Worker); else here.
///
/// Why: from outside the pool every parallel step of an inference (≈ 90 of them: products,
/// depthwise convolutions, pools) is injected into the pool and waits for a sleeping worker to be
/// woken through `Atomics.notify`, then wakes the caller again. Run on a worker, the steps split
/// from there: that worker computes at once and only the others need waking; the caller blocks
/// once per inference.
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    // The executor is checked first: `rayon::current_num_threads` would start a global pool if
    // none had been built (only wasm-bindgen-rayon's `initThreadPool` may build it here).
    let pooled = matches!(current_tract_executor(), Executor::RayonGlobal)
        && rayon::current_thread_index().is_none()
        && rayon::current_num_threads() > 1;
    if pooled {
        rayon::scope(|_| f())
    } else {
        f()
    }
}
