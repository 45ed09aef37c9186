//! A measuring knob for native builds: `VIBE_OPSY_MMM_KERNEL=<tract kernel name>` (e.g.
//! `fma_mmm_f32_16x5`) makes tract run that kernel for every f32 matrix product it can reach
//! (not the matrix × vector ones), ahead of tract's own cost model. For comparing kernels on a
//! machine with `vibe-opsy bench` (see BENCHMARKS.md, "Native"); unset, nothing changes.

use std::sync::LazyLock;

use tract_linalg::isa::{Arch, IsaSet};
use tract_linalg::mmm::{Query, Suitable};
use tract_linalg::mmm_tiers::MmmTier;
use tract_onnx::prelude::DatumType;

static PINNED: LazyLock<Option<&'static str>> = LazyLock::new(|| {
    std::env::var("VIBE_OPSY_MMM_KERNEL")
        .ok()
        .filter(|k| !k.is_empty())
        .map(|k| &*Box::leak(k.into_boxed_str()))
});

fn preferred(_isa: &IsaSet, dt: DatumType, query: &Query, _suitable: &[Suitable]) -> Option<&'static str> {
    match (dt, query.n) {
        (DatumType::F32, Some(1)) => None,
        (DatumType::F32, _) => *PINNED,
        _ => None,
    }
}

inventory::submit! {
    MmmTier {
        arch: Some(Arch::X86_64),
        precedence: 200,
        name: "vibe-opsy-pinned-by-env",
        applies: |_| PINNED.is_some(),
        preferred,
    }
}
