//! `vibe-opsy`: classify skin-lesion photos, evaluate on a HAM10000-style folder, benchmark, serve.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The command line is native only; the wasm build is the library (see `src/wasm`).
#[cfg(target_arch = "wasm32")]
fn main() {}
