//! Matrix-multiplication kernels registered in tract-linalg's kernel registry.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm_matmul;

#[cfg(target_arch = "x86_64")]
pub mod amd_avx512;
#[cfg(target_arch = "x86_64")]
pub mod pinned;
