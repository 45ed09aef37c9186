//! `vibe-opsy`: classify skin-lesion photos, evaluate on a HAM10000-style folder, benchmark, serve.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
