// Microbenchmark of wasm f32 GEMM micro-kernels on tract-style packed panels (A: k-major
// panels of MR rows, B: k-major panels of NR columns), the shapes of the model's largest
// pointwise convolutions. Built and run by bench/wasm-kernels/run.sh.
#![allow(clippy::missing_safety_doc)]
use std::arch::wasm32::*;

#[cfg(target_feature = "relaxed-simd")]
macro_rules! madd { ($acc:expr, $a:expr, $b:expr) => { f32x4_relaxed_madd($a, $b, $acc) }; }
#[cfg(not(target_feature = "relaxed-simd"))]
macro_rules! madd { ($acc:expr, $a:expr, $b:expr) => { f32x4_add($acc, f32x4_mul($a, $b)) }; }

#[no_mangle]
pub extern "C" fn alloc(n: usize) -> *mut f32 {
    let mut v = vec![0.0f32; n + 16];
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    // align 16
    ((p as usize + 15) & !15) as *mut f32
}

// generic kernel MR x NR with splat-load of A
macro_rules! kernel_splat {
    ($name:ident, $mr:literal, $nv:literal) => {
        #[inline(never)]
        unsafe fn $name(k: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize) {
            let mut acc = [[f32x4_splat(0.0); $nv]; $mr];
            let mut a = a;
            let mut b = b as *const v128;
            for _ in 0..k {
                let mut bv = [f32x4_splat(0.0); $nv];
                for j in 0..$nv { bv[j] = v128_load(b.add(j)); }
                for r in 0..$mr {
                    let s = v128_load32_splat(a.add(r) as *const u32);
                    for j in 0..$nv { acc[r][j] = madd!(acc[r][j], s, bv[j]); }
                }
                a = a.add($mr);
                b = b.add($nv);
            }
            for r in 0..$mr { for j in 0..$nv { v128_store((c.add(r * ldc) as *mut v128).add(j), acc[r][j]); } }
        }
    };
}
kernel_splat!(k4x8_splat, 4, 2);
kernel_splat!(k5x8_splat, 5, 2);
kernel_splat!(k6x8_splat, 6, 2);
kernel_splat!(k8x8_splat, 8, 2);
kernel_splat!(k4x12_splat, 4, 3);
kernel_splat!(k4x16_splat, 4, 4);
kernel_splat!(k3x16_splat, 3, 4);
kernel_splat!(k2x16_splat, 2, 4);

#[inline(never)]
unsafe fn k8x8_shuf(k: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize) {
    let mut acc = [[f32x4_splat(0.0); 2]; 8];
    let a = a as *const v128;
    let b = b as *const v128;
    for i in 0..k {
        let alo = v128_load(a.add(2 * i));
        let ahi = v128_load(a.add(2 * i + 1));
        let blo = v128_load(b.add(2 * i));
        let bhi = v128_load(b.add(2 * i + 1));
        let s = [
            i32x4_shuffle::<0, 0, 0, 0>(alo, alo), i32x4_shuffle::<1, 1, 1, 1>(alo, alo),
            i32x4_shuffle::<2, 2, 2, 2>(alo, alo), i32x4_shuffle::<3, 3, 3, 3>(alo, alo),
            i32x4_shuffle::<0, 0, 0, 0>(ahi, ahi), i32x4_shuffle::<1, 1, 1, 1>(ahi, ahi),
            i32x4_shuffle::<2, 2, 2, 2>(ahi, ahi), i32x4_shuffle::<3, 3, 3, 3>(ahi, ahi),
        ];
        for r in 0..8 { acc[r][0] = madd!(acc[r][0], s[r], blo); acc[r][1] = madd!(acc[r][1], s[r], bhi); }
    }
    for r in 0..8 { for j in 0..2 { v128_store((c.add(r * ldc) as *mut v128).add(j), acc[r][j]); } }
}

#[inline(never)]
unsafe fn k4x8_shuf(k: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize) {
    let mut acc = [[f32x4_splat(0.0); 2]; 4];
    let a = a as *const v128;
    let b = b as *const v128;
    for i in 0..k {
        let av = v128_load(a.add(i));
        let blo = v128_load(b.add(2 * i));
        let bhi = v128_load(b.add(2 * i + 1));
        let s = [
            i32x4_shuffle::<0, 0, 0, 0>(av, av), i32x4_shuffle::<1, 1, 1, 1>(av, av),
            i32x4_shuffle::<2, 2, 2, 2>(av, av), i32x4_shuffle::<3, 3, 3, 3>(av, av),
        ];
        for r in 0..4 { acc[r][0] = madd!(acc[r][0], s[r], blo); acc[r][1] = madd!(acc[r][1], s[r], bhi); }
    }
    for r in 0..4 { for j in 0..2 { v128_store((c.add(r * ldc) as *mut v128).add(j), acc[r][j]); } }
}

// 4x8 splat with k unrolled by 2
#[inline(never)]
unsafe fn k4x8_splat_u2(k: usize, a: *const f32, b: *const f32, c: *mut f32, ldc: usize) {
    let mut acc = [[f32x4_splat(0.0); 2]; 4];
    let mut a = a;
    let mut b = b as *const v128;
    let mut i = 0;
    while i + 2 <= k {
        for u in 0..2 {
            let blo = v128_load(b.add(2 * u));
            let bhi = v128_load(b.add(2 * u + 1));
            for r in 0..4 {
                let s = v128_load32_splat(a.add(4 * u + r) as *const u32);
                acc[r][0] = madd!(acc[r][0], s, blo);
                acc[r][1] = madd!(acc[r][1], s, bhi);
            }
        }
        a = a.add(8); b = b.add(4); i += 2;
    }
    while i < k {
        let blo = v128_load(b); let bhi = v128_load(b.add(1));
        for r in 0..4 { let s = v128_load32_splat(a.add(r) as *const u32); acc[r][0] = madd!(acc[r][0], s, blo); acc[r][1] = madd!(acc[r][1], s, bhi); }
        a = a.add(4); b = b.add(2); i += 1;
    }
    for r in 0..4 { for j in 0..2 { v128_store((c.add(r * ldc) as *mut v128).add(j), acc[r][j]); } }
}

type K = unsafe fn(usize, *const f32, *const f32, *mut f32, usize);
fn pick(id: u32) -> (K, usize, usize) {
    match id {
        0 => (k8x8_shuf, 8, 8),
        1 => (k4x8_shuf, 4, 8),
        2 => (k4x8_splat, 4, 8),
        3 => (k5x8_splat, 5, 8),
        4 => (k6x8_splat, 6, 8),
        5 => (k8x8_splat, 8, 8),
        6 => (k4x12_splat, 4, 12),
        7 => (k4x16_splat, 4, 16),
        8 => (k3x16_splat, 3, 16),
        9 => (k2x16_splat, 2, 16),
        10 => (k4x8_splat_u2, 4, 8),
        _ => (k4x8_splat, 4, 8),
    }
}

/// runs a whole M×N×K product with pre-packed panels (contents irrelevant for timing); returns checksum
#[no_mangle]
pub unsafe extern "C" fn run(id: u32, m: usize, n: usize, k: usize, a: *const f32, b: *const f32, c: *mut f32) -> f32 {
    let (f, mr, nr) = pick(id);
    let mt = m / mr; let nt = n / nr;
    if id >= 100 { return 0.0; }
    for i in 0..mt {
        for j in 0..nt {
            f(k, a.add(i * mr * k), b.add(j * nr * k), c.add(i * mr * n + j * nr), n);
        }
    }
    *c
}
#[no_mangle]
pub extern "C" fn tile(id: u32) -> u32 { let (_, mr, nr) = pick(id); (mr * 100 + nr) as u32 }
