//! The model load reuses the memory it frees (Linux, glibc): large blocks come from the heap, not
//! from a `mmap` each, and freed memory stays there for the next block.
//!
//! Why: the load folds the int8 weights into ≈ 84 MB of float32 tensors, then tract packs each one
//! into a new tensor of about the same size and frees the float32 one. With glibc's defaults each
//! float32 tensor is a `mmap` of its own (above the 128 KiB threshold, which only rises once
//! something is freed), so freeing it hands its pages back to the system, and every packed copy
//! is written to pages never touched before: a first-touch page fault per 4 KiB, the larger part of
//! the load on the VMs measured (`perf record -e page-faults`; BENCHMARKS.md, "the load is page
//! faults"). With blocks up to 32 MiB taken from the heap and freed memory kept there, the packed
//! copies land in the holes the float32 tensors leave (measured against the build before, 10
//! interleaved rounds: 57,700 → 52,300 page faults per process, the load's median 0.96×; with the
//! in-place int8 of `engine::weight_bytes` too, 50,600 and 0.92×; BENCHMARKS.md, "Native load").
//!
//! The cost is memory the heap keeps after the load instead of returning it (the process's peak
//! stays mapped, up to [`TRIM_THRESHOLD`] of free space at the heap's top); the server reuses it for
//! the activations of every inference anyway. A `GLIBC_TUNABLES` that sets either threshold is left
//! alone.

/// Blocks up to this size come from the heap (glibc's own maximum for its dynamic threshold).
pub const MMAP_THRESHOLD: usize = 32 << 20;

/// Free space at the top of the heap above this is returned to the system.
pub const TRIM_THRESHOLD: usize = 256 << 20;

/// Sets glibc's thresholds so that the load reuses what it frees. Call it first thing in `main`,
/// before the model loads; elsewhere than Linux/glibc it does nothing.
pub fn keep_freed_memory_for_reuse() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let user_tuned = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| {
            t.contains("glibc.malloc.mmap_threshold") || t.contains("glibc.malloc.trim_threshold")
        });
        if user_tuned {
            return;
        }
        // SAFETY: mallopt only changes the allocator's parameters; both values are in range
        // (glibc refuses, returning 0, what is not, and then keeps its defaults).
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int);
        }
    }
}
