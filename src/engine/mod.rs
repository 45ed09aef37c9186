//! The engine: everything that touches tract. It loads an ONNX model, optimises it and runs it on
//! f32 tensors; it knows nothing about skin lesions, manifests or images (the [`crate::classifier`]
//! drives it through [`Engine`] and [`ModelSpec`]).
//!
//! # What vibe-opsy overrides in the pinned tract (`=0.23.9`)
//!
//! Nothing in tract is patched: each change below is a pass, an op or a kernel of our own, swapped
//! in through tract's public API. Upgrading tract means re-checking each row: the test named in it
//! fails if the override no longer does what it says (or is no longer needed, for the first two).
//!
//! | Override | What and why | Pinned by |
//! |---|---|---|
//! | [`passes::declutter`] | tract's declutter with its `ChangeAxes` pass (found by its `Debug` name) replaced by one that never starts at a large constant: the copying of weights was ≈ half of the model load | `tests/declutter.rs`: `tract_declutter_has_the_pass_vibe_opsy_replaces`, `bundled_model_declutters_to_the_same_graph_as_with_tract` |
//! | [`passes::const_axes`] | run just before tract's `PropConst` in the declutter: a weight whose only consumer is an `Identity` or an `AxisOp` is taken over by it in place, where `PropConst` deep-copies it (every convolution kernel goes through such a chain: ≈ 30 % of the model load) | `tests/declutter.rs`: `a_weights_identity_and_reshapes_take_it_over_without_a_copy`, `bundled_model_declutters_to_the_same_graph_as_with_tract` |
//! | [`passes::optimizer`] | a copy of `OptimizerSession::optimize` and `ModelPatch::apply` without tract's dead duplicate-node scan (≈ 20 % of the optimisation on wasm) | `tests/declutter.rs`: `bundled_model_optimises_to_the_same_graph_as_with_tract` |
//! | [`ops::depthwise`] | tract's depthwise `Conv` (stride 1, channels first) replaced before codegen by a loop over zero-padded planes that vectorises (AVX2/AVX-512 picked at run time natively, SIMD128 on wasm), planes split over tract's executor (Xception's 34: 24.5 → 9.3 ms per native inference at 1 thread, 19.7 → 6.8 at 2) | `ops::depthwise` unit test `equals_tract`; `tests/wasm_browser.rs`: `depthwise_conv_equals_tract` |
//! | [`ops::maxpool`] | tract's `OptMaxPool` replaced after optimisation by a vectorised pool, planes split over tract's executor (wasm: SIMD128, ≈ 8 % of an inference there; natively a separable loop, AVX2/AVX-512 at run time: Xception's four pools 9.3 → ≈ 4 ms at 1 thread, 8.8 → ≈ 3 at 2) | `ops::maxpool` unit tests `equals_tract_bit_for_bit`; `tests/wasm_browser.rs`: `max_pool_equals_tract_bit_for_bit` |
//! | [`ops::last_axis_binop`] | `TypedBinOp` Add/Sub/Mul by a constant last-axis vector replaced by one loop (the model's normalisation layer) | `ops::last_axis_binop` unit tests; `tests/declutter.rs`: `bundled_model_normalisation_runs_on_last_axis_binops`; `tests/wasm_browser.rs`: `last_axis_binop_equals_tract_bit_for_bit` |
//! | [`kernels::wasm_matmul`] (wasm32 + simd128 only) | a 4×8 f32 GEMM kernel and an `MmmTier` registered with `inventory` ahead of tract's 8×8 wasm kernel (1.2–1.5× on GEMM) | `tests/wasm_browser.rs`: `tract_dispatches_f32_gemm_to_it_and_gemv_to_its_own`, `fused_operations_match_scalar_arithmetic`, `load_tile_and_leaky_relu` |
//! | [`kernels::amd_avx512`] (x86-64, AMD CPUs with AVX-512 only) | an `MmmTier` above tract's that gives the f32 products tract's AMD cost model sends to the 16×12 tile the 32×6 tile instead (those products 25–45 % faster on Zen 4, an inference ≈ 8 % faster at 1 thread) | `tests/kernel_choice.rs`: `on_amd_avx512_the_16x12_tile_is_replaced_and_nothing_else_changes` (on other CPUs it checks that tract's choice is untouched) |
//! | [`weights`] | int8 `DequantizeLinear` over initializers folded to f32 constants before tract sees them (tract's folding took ≈ 3.5 s on wasm) | `tests/weights.rs`: `folded_weights_equal_tracts_dequantize_linear_bit_for_bit`, `unsupported_dequantize_linear_is_left_to_tract` |
//! | [`deferred_weights`] | the int8 weights of pointwise convolutions not folded at load: a marked float32 placeholder goes through tract's declutter and planning, and a pass run first in each codegen round replaces its packing (`OptMatMulPack`) by the integers in the kernel's panel order, dequantised into tract's packed float32 layout by the first products that read them (the load wrote two float32 copies: model load −25–35 %, warm inference unchanged, bit-identical); any other reader of a placeholder makes the load start again with every weight folded | `tests/deferred_weights.rs`: `int8_panels_are_tracts_packing_of_the_folded_weight`, `bundled_model_gives_the_same_bits_with_its_weights_kept_int8`, `a_weight_read_otherwise_is_folded_like_the_others` |
//! | [`heap`] (wasm32 only) | the heap reserved in two large steps before a load (fewer `memory.grow`) | behaviour-neutral; the parity tests in `tests/wasm_browser.rs` and `tests/node/` run through it |
//! | [`model`] | the protobuf decoded with `prost` straight from the bytes (`proto_model_for_read` copies them first); an extra output outlet for the domain check's features | `tests/reference_parity.rs`, `tests/domain_check.rs` |
//! | [`weight_bytes`] | the protobuf decoded without copying its large int8 weights (their `raw_data` left out, read in place by [`weights`], put back for tract where not folded) | `tests/weights.rs`: `bundled_model_decoded_in_place_gives_the_same_message_and_weights`; unit tests |
//! | [`head`] | the nodes after the features (and the vector input) copied into a second small model, so new metadata for a seen image runs only them | `tests/metadata_rerun.rs`: `new_metadata_for_a_seen_image_gives_the_whole_models_answer` |
//!
//! Whole-model parity with onnxruntime (`tests/reference_parity.rs`, `tests/wasm_browser.rs`,
//! `tests/node/`) checks all of them together, in every runtime.

pub mod deferred_weights;
pub mod head;
pub mod heap;
pub mod kernels;
pub mod model;
pub mod onnx_proto;
pub mod ops;
pub mod passes;
#[cfg(any(not(target_arch = "wasm32"), feature = "threads"))]
pub mod threads;
pub mod warmup;
pub mod weight_bytes;
pub mod weights;

pub use model::{Engine, EngineError, EngineOutput, LoadTimings, ModelSpec, OpTime};
