//! Which f32 matrix kernel tract runs natively, with vibe-opsy's tier
//! (`src/engine/kernels/amd_avx512.rs`) registered beside tract's.
#![cfg(target_arch = "x86_64")]

use tract_linalg::mmm::Query;
use tract_linalg::mmm_tiers;
use tract_linalg::MmmDispatch;
use tract_onnx::prelude::DatumType;
use vibe_opsy::engine::kernels::amd_avx512::{is_amd, PRECEDENCE, REPLACEMENT, SLOW_TILE};

/// The kernel tract's own tiers (without ours) would pick, and the one the dispatch picks.
fn theirs_and_ours(m: usize, k: usize, n: usize) -> (String, String) {
    let dispatch = MmmDispatch::native();
    let query = Query::plain(DatumType::F32, Some(m), Some(k), Some(n));
    let suitable = dispatch.suitable(&query);
    let below: Vec<_> = dispatch
        .tiers()
        .iter()
        .copied()
        .filter(|t| t.precedence < PRECEDENCE)
        .collect();
    let isa = tract_linalg::isa::native();
    let theirs = mmm_tiers::preferred(&isa, &below, DatumType::F32, &query, &suitable)
        .map(|ix| suitable[ix].0.name().to_string())
        .unwrap_or_default();
    let ours = dispatch.pick(&query).expect("a kernel").0.name().to_string();
    (theirs, ours)
}

/// Whether the tier applies: AVX-512, and an AMD CPU as tract sees it.
fn amd_with_avx512() -> bool {
    is_amd() && std::arch::is_x86_feature_detected!("avx512f")
}

/// Shapes of the bundled model's products (m, k, n), some of which tract's AMD cost model gives
/// the 16×12 tile, plus a matrix × vector one.
const SHAPES: [(usize, usize, usize); 6] = [
    (961, 728, 728),
    (64, 288, 15376),
    (15376, 128, 128),
    (728, 728, 256),
    (2048, 1536, 64),
    (32, 27, 15876),
];

#[test]
fn on_amd_avx512_the_16x12_tile_is_replaced_and_nothing_else_changes() {
    let mut replaced = 0;
    for (m, k, n) in SHAPES {
        let (theirs, ours) = theirs_and_ours(m, k, n);
        if amd_with_avx512() && theirs == SLOW_TILE {
            assert_eq!(ours, REPLACEMENT, "{m}×{k}×{n}");
            replaced += 1;
        } else {
            assert_eq!(
                ours, theirs,
                "{m}×{k}×{n}: only tract's 16×12 pick on AMD AVX-512 is changed"
            );
        }
    }
    eprintln!(
        "{replaced} of {} shapes moved from {SLOW_TILE} to {REPLACEMENT} on this CPU",
        SHAPES.len()
    );
    let gemv = theirs_and_ours(728, 728, 1);
    assert_eq!(gemv.0, gemv.1, "matrix × vector products keep tract's kernel");
}
