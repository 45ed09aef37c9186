//! `vibe-opsy`: classify skin-lesion photos, evaluate on a HAM10000-style folder, benchmark, serve.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    // The model load reuses the memory it frees (src/native/heap_reuse.rs).
    vibe_opsy::native::heap_reuse::keep_freed_memory_for_reuse();
    cli::main()
}

/// The command line is native only; the wasm build is the library (see `src/wasm`).
#[cfg(target_arch = "wasm32")]
fn main() {}
