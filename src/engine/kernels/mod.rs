//! Matrix-multiplication kernels registered in tract-linalg's kernel registry.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm_matmul;

#[cfg(target_arch = "x86_64")]
pub mod amd_avx512;
#[cfg(target_arch = "x86_64")]
pub mod pinned;

/// How the kernel packs a product's left and right operands, where it is known before tract's
/// codegen picks kernels: the wasm builds send every f32 product but matrix × vector ones to one
/// kernel ([`wasm_matmul`]). Natively tract picks per shape (and [`amd_avx512`] per CPU): `None`.
pub fn weight_packings() -> Option<(tract_linalg::pack::PackedFormat, tract_linalg::pack::PackedFormat)> {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use tract_linalg::pack::PackedFormat;
        let kernel = wasm_matmul::kernel_4x8();
        let (a, b) = kernel.packings().first()?;
        Some((
            a.downcast_ref::<PackedFormat>()?.clone(),
            b.downcast_ref::<PackedFormat>()?.clone(),
        ))
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    None
}
