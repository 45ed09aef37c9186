//! On AMD CPUs with AVX-512 (Zen 4 and later, which run 512-bit instructions on 256-bit units),
//! the f32 products tract would give its 16×12 tile run on the 32×6 tile instead.
//!
//! Why: tract's AMD AVX-512 cost model picks 16×12 for some shapes (on the bundled model: the
//! large early products and the 961×728×728 one, 30–45 % of the matrix time), yet on these
//! CPUs 16×12 is the slowest AVX-512 f32 tile — in tract's own calibration data
//! (`amd_avx512.txt`: 0.217 vs 0.149 ms for 32×6 at 1024², 0.858 vs 0.602 at 1024×4096) and in
//! ours: one broadcast of B per FMA against one per two for 32×6, with the same 12 accumulators.
//! Per node on an AMD EPYC (1 thread, `VIBE_OPSY_MMM_KERNEL` per kernel, BENCHMARKS.md "Native"):
//! each of those products 25–45 % faster on 32×6, a whole inference ≈ 8 % faster.
//!
//! Every other choice stays tract's: this tier asks tract's tiers first and only answers when
//! their answer is 16×12. Intel CPUs (where tract measured 16×12 as its fastest tile) and
//! `TRACT_X86_KIND=intel|other` are left alone. The values are the same up to float
//! summation order, which parity tests bound as before.

use tract_linalg::isa::{Arch, IsaSet};
use tract_linalg::mmm::{Query, Suitable};
use tract_linalg::mmm_tiers::{self, MmmTier};
use tract_onnx::prelude::DatumType;

/// Above tract's own tiers (1–8), below the measuring knob of [`super::pinned`] (200).
pub const PRECEDENCE: u8 = 100;
pub const SLOW_TILE: &str = "avx512_mmm_f32_16x12";
pub const REPLACEMENT: &str = "avx512_mmm_f32_32x6";

/// Whether tract would treat this CPU as AMD: its `TRACT_X86_KIND` override first, then CPUID.
pub fn is_amd() -> bool {
    match std::env::var("TRACT_X86_KIND") {
        Ok(kind) => kind == "amd",
        Err(_) => {
            // The vendor string is EBX, EDX, ECX of CPUID leaf 0.
            // SAFETY: CPUID and its leaf 0 exist on every x86-64 CPU (the intrinsic is safe
            // from Rust 1.87; `unsafe` keeps the crate's rust-version 1.85 building).
            #[allow(unused_unsafe)]
            let leaf = unsafe { std::arch::x86_64::__cpuid(0) };
            let mut vendor = [0u8; 12];
            vendor[..4].copy_from_slice(&leaf.ebx.to_le_bytes());
            vendor[4..8].copy_from_slice(&leaf.edx.to_le_bytes());
            vendor[8..].copy_from_slice(&leaf.ecx.to_le_bytes());
            &vendor == b"AuthenticAMD"
        }
    }
}

fn preferred(isa: &IsaSet, dt: DatumType, query: &Query, suitable: &[Suitable]) -> Option<&'static str> {
    if dt != DatumType::F32 || query.n == Some(1) {
        return None;
    }
    let below: Vec<&'static MmmTier> = mmm_tiers::for_isa(isa)
        .into_iter()
        .filter(|t| t.precedence < PRECEDENCE)
        .collect();
    let theirs = mmm_tiers::preferred(isa, &below, dt, query, suitable)?;
    let replacement_suits = suitable.iter().any(|(mmm, _, _)| mmm.name() == REPLACEMENT);
    (suitable[theirs].0.name() == SLOW_TILE && replacement_suits).then_some(REPLACEMENT)
}

inventory::submit! {
    MmmTier {
        arch: Some(Arch::X86_64),
        precedence: PRECEDENCE,
        name: "vibe-opsy-amd-avx512-no-16x12",
        applies: |isa| isa.has(tract_linalg::isa::Isa::X86_64Avx512f) && is_amd(),
        preferred,
    }
}
