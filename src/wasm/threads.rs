//! Wasm threads (Cargo feature `threads`: the package's threaded engine, built by
//! `scripts/build-wasm.sh` with the pinned nightly, `+atomics` and build-std; measured by
//! `bench/wasm-threads.sh`): tract's matrix multiplications spread their tiles
//! over a wasm-bindgen-rayon pool of Web Workers. Needs a cross-origin-isolated page (COOP + COEP,
//! which `vibe-opsy serve` sends) and must run off the main thread (workers block on atomics).

use wasm_bindgen::prelude::*;

pub use wasm_bindgen_rayon::init_thread_pool;

/// Sends tract's matmul to rayon's global pool: call after `initThreadPool(n)` has resolved.
#[wasm_bindgen(js_name = useThreadPool)]
pub fn use_thread_pool() {
    crate::engine::threads::use_rayon_global_pool();
}
