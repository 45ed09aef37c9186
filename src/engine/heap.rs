//! Grows the wasm heap for a model load in a few large steps instead of many small ones.
//!
//! Why: Rust's allocator on wasm32 (dlmalloc) grows linear memory by what each request needs,
//! and every `memory.grow` costs V8 a fixed fraction of a millisecond (Node, 64 KiB at a time:
//! 0.22 ms per grow). Loading the bundled model grew it 95 times; with the two reservations of
//! `Engine::load`, 19 times, and the model parse in Node went from ≈ 120–145 to ≈ 75–82 ms, with
//! the same heap size at the end. Allocating and freeing one block of what the load is about to
//! use anyway makes dlmalloc grow once and then serve the load's allocations from that free
//! space; wasm memory never shrinks, so this costs no memory the load would not have taken.
//! Natively there is nothing to do.

/// Makes room for `bytes` of allocations ahead of time (wasm32; a no-op elsewhere). A request
/// that cannot be met is dropped: the allocations then grow the heap as usual.
pub fn reserve(bytes: usize) {
    #[cfg(target_arch = "wasm32")]
    {
        use std::alloc::{alloc, dealloc, Layout};
        let Ok(layout) = Layout::from_size_align(bytes, 16) else {
            return;
        };
        if layout.size() == 0 {
            return;
        }
        // SAFETY: the layout has a non-zero size; the block is freed with the same layout, and
        // only if it was allocated. `black_box` keeps the pair from being optimised away.
        unsafe {
            let block = std::hint::black_box(alloc(layout));
            if !block.is_null() {
                dealloc(block, layout);
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = bytes;
}
