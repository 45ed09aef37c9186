//! A 4×8 f32 matrix-multiplication kernel for tract on wasm32 + simd128, registered ahead of
//! tract's own wasm kernels.
//!
//! Why: ≈ 90 % of an inference is matrix multiplication (Xception's pointwise convolutions), and
//! tract 0.23.9 runs every wasm f32 GEMM on its 8×8 kernel: 16 vector accumulators plus operands,
//! more than the 15 vector registers V8 can allocate on x86-64, so accumulators are spilled on
//! every step. Eight accumulators (4 rows × 8 columns) stay in registers; the four row values
//! are broadcast straight from memory (`v128.load32_splat`, one instruction on x86 and ARM).
//! Side by side (`bench/wasm-kernels/`): 1.2–1.35× tract's kernel in Node and Chromium, and
//! 1.4–1.5× with `+relaxed-simd` (fused multiply-add).
//!
//! How: tract-linalg collects kernels and dispatch tiers with `inventory`; this module submits
//! one more kernel and a tier of higher precedence that names it for every f32 GEMM (matrix ×
//! vector stays on tract's GEMV kernels). Nothing in tract is patched.
use std::arch::wasm32::*;
use std::sync::LazyLock;

use tract_linalg::isa::{Arch, IsaSet};
use tract_linalg::mmm::{DynKernel, FusedKerSpec, MatMatMul, Query, Suitable};
use tract_linalg::mmm_routines::MmmRoutine;
use tract_linalg::mmm_tiers::MmmTier;
use tract_linalg::pack::Packing;
use tract_linalg::Scaler;
use tract_onnx::prelude::DatumType;

/// The kernel's name in tract's registry (what `MmmDispatch::pick` answers).
pub const KERNEL_NAME: &str = "vibe_opsy_wasm_f32_4x8";
const MR: usize = 4;
const NR: usize = 8;

// The `relaxed-simd` feature builds the second module the package picks where the engine
// validates relaxed SIMD: only this kernel uses it (fused multiply-add), nothing else changes.
#[cfg(any(feature = "relaxed-simd", target_feature = "relaxed-simd"))]
macro_rules! madd {
    ($acc:expr, $a:expr, $b:expr) => {
        f32x4_relaxed_madd($a, $b, $acc)
    };
}

#[cfg(not(any(feature = "relaxed-simd", target_feature = "relaxed-simd")))]
macro_rules! madd {
    ($acc:expr, $a:expr, $b:expr) => {
        f32x4_add($acc, f32x4_mul($a, $b))
    };
}

/// Accumulators: `acc[row][half]`, columns 0–3 in half 0 and 4–7 in half 1.
type Tile = [[v128; 2]; MR];

#[inline(always)]
fn each(acc: &mut Tile, f: impl Fn(v128) -> v128) {
    for row in acc.iter_mut() {
        for v in row.iter_mut() {
            *v = f(*v);
        }
    }
}

/// `op(row value, acc)` for each row; `flipped` gives `op(acc, row value)`.
///
/// # Safety
/// `rows` must point to `MR` readable f32 values.
#[inline(always)]
unsafe fn per_row(acc: &mut Tile, rows: *const f32, flipped: bool, op: fn(v128, v128) -> v128) {
    for (r, row) in acc.iter_mut().enumerate() {
        // SAFETY: r < MR and the caller guarantees MR values at `rows`.
        let s = f32x4_splat(unsafe { *rows.add(r) });
        for v in row.iter_mut() {
            *v = if flipped { op(*v, s) } else { op(s, *v) };
        }
    }
}

/// `op(column values, acc)` for each row; `flipped` gives `op(acc, column values)`.
///
/// # Safety
/// `cols` must point to `NR` (8) readable f32 values.
#[inline(always)]
unsafe fn per_col(acc: &mut Tile, cols: *const f32, flipped: bool, op: fn(v128, v128) -> v128) {
    // SAFETY: the caller guarantees 8 values at `cols`: two unaligned 16-byte loads (`v128_load`
    // has no alignment requirement).
    let c = unsafe {
        [
            v128_load(cols as *const v128),
            v128_load(cols.add(4) as *const v128),
        ]
    };
    for row in acc.iter_mut() {
        for (v, c) in row.iter_mut().zip(c) {
            *v = if flipped { op(*v, c) } else { op(c, *v) };
        }
    }
}

/// Reads an MR×NR tile with arbitrary strides (contiguous rows take the vector path).
///
/// # Safety
/// For every row r < MR and column c < NR, `ptr + r * row_stride + c * col_stride` (in bytes)
/// must be a readable f32 of one allocation.
#[inline(always)]
unsafe fn read_tile(ptr: *const u8, row_stride: isize, col_stride: isize) -> Tile {
    let mut t = [[f32x4_splat(0.0); 2]; MR];
    for (r, row) in t.iter_mut().enumerate() {
        // SAFETY: the row start is inside the tile the caller vouches for.
        let p = unsafe { ptr.offset(row_stride * r as isize) };
        if col_stride == 4 {
            // SAFETY: contiguous row: 8 f32 from `p`, read as two unaligned 16-byte loads.
            unsafe {
                row[0] = v128_load(p as *const v128);
                row[1] = v128_load(p.add(16) as *const v128);
            }
        } else {
            // SAFETY: c < NR, so each address is one of the tile's values (caller's contract).
            let x = |c: isize| unsafe { *(p.offset(col_stride * c) as *const f32) };
            row[0] = f32x4(x(0), x(1), x(2), x(3));
            row[1] = f32x4(x(4), x(5), x(6), x(7));
        }
    }
    t
}

/// Writes the tile with arbitrary strides (contiguous rows take the vector path).
///
/// # Safety
/// For every row r < MR and column c < NR, `ptr + r * row_stride + c * col_stride` (in bytes)
/// must be a writable f32 of one allocation that nothing else accesses during the call.
#[inline(always)]
unsafe fn write_tile(acc: &Tile, ptr: *mut u8, row_stride: isize, col_stride: isize) {
    for (r, row) in acc.iter().enumerate() {
        // SAFETY: the row start is inside the tile the caller vouches for.
        let p = unsafe { ptr.offset(row_stride * r as isize) };
        if col_stride == 4 {
            // SAFETY: contiguous row: 8 f32 from `p`, written as two unaligned 16-byte stores.
            unsafe {
                v128_store(p as *mut v128, row[0]);
                v128_store(p.add(16) as *mut v128, row[1]);
            }
        } else {
            // SAFETY: two v128 are 32 bytes with no invalid bit patterns for f32.
            let lanes: [f32; 8] = unsafe { std::mem::transmute(*row) };
            for (c, x) in lanes.iter().enumerate() {
                // SAFETY: c < NR: one of the tile's values (caller's contract).
                unsafe { *(p.offset(col_stride * c as isize) as *mut f32) = *x };
            }
        }
    }
}

/// Runs one tile's program: tract hands a list of fused operations ending with `Done`.
///
/// # Safety
/// Every pointer in `spec` must be valid for what it describes (tract's `FusedKerSpec` contract for
/// an MR×NR kernel): MR row values, NR column values, MR×NR tiles with their strides, and `k`×MR
/// and `k`×NR packed panels for `AddMatMul`.
#[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
unsafe fn kernel(spec: &[FusedKerSpec<f32>]) -> isize {
    let mut acc: Tile = [[f32x4_splat(0.0); 2]; MR];
    for op in spec {
        match *op {
            FusedKerSpec::Done => break,
            FusedKerSpec::Clear => acc = [[f32x4_splat(0.0); 2]; MR],
            // the tile is given row-major, MR rows of NR values
            // SAFETY: tract passes an MR×NR row-major tile (the kernel's contract).
            FusedKerSpec::LoadTile(_cols, rows) => unsafe {
                acc = read_tile(rows as *const u8, (NR * 4) as isize, 4)
            },
            FusedKerSpec::ScalarMin(a) => each(&mut acc, |v| f32x4_min(f32x4_splat(a), v)),
            FusedKerSpec::ScalarMax(a) => each(&mut acc, |v| f32x4_max(f32x4_splat(a), v)),
            FusedKerSpec::ScalarAdd(a) => each(&mut acc, |v| f32x4_add(f32x4_splat(a), v)),
            FusedKerSpec::ScalarMul(a) => each(&mut acc, |v| f32x4_mul(f32x4_splat(a), v)),
            FusedKerSpec::ScalarSub(a) => each(&mut acc, |v| f32x4_sub(f32x4_splat(a), v)),
            FusedKerSpec::ScalarSubF(a) => each(&mut acc, |v| f32x4_sub(v, f32x4_splat(a))),
            FusedKerSpec::LeakyRelu(a) => each(&mut acc, |v| {
                let positive = f32x4_gt(v, f32x4_splat(0.0));
                v128_bitselect(v, f32x4_mul(f32x4_splat(a), v), positive)
            }),
            FusedKerSpec::PerRowMin(p)
            | FusedKerSpec::PerRowMax(p)
            | FusedKerSpec::PerRowAdd(p)
            | FusedKerSpec::PerRowMul(p)
            | FusedKerSpec::PerRowSub(p)
            | FusedKerSpec::PerRowSubF(p) => {
                let (f, flipped) = binary_op(op);
                // SAFETY: tract passes MR row values for per-row operations.
                unsafe { per_row(&mut acc, p, flipped, f) }
            }
            FusedKerSpec::PerColMin(p)
            | FusedKerSpec::PerColMax(p)
            | FusedKerSpec::PerColAdd(p)
            | FusedKerSpec::PerColMul(p)
            | FusedKerSpec::PerColSub(p)
            | FusedKerSpec::PerColSubF(p) => {
                let (f, flipped) = binary_op(op);
                // SAFETY: tract passes NR column values for per-column operations.
                unsafe { per_col(&mut acc, p, flipped, f) }
            }
            FusedKerSpec::QScale(shift, policy, mult) => {
                let s = Scaler::from_fuse_params(shift, policy, mult).scale;
                each(&mut acc, |v| f32x4_mul(f32x4_splat(s), v))
            }
            FusedKerSpec::RoundingShiftRight(shift, _) => {
                let s = 2f32.powi(-(shift as i32));
                each(&mut acc, |v| f32x4_mul(f32x4_splat(s), v))
            }
            FusedKerSpec::ShiftLeft(shift) => {
                let s = 2f32.powi(shift as i32);
                each(&mut acc, |v| f32x4_mul(f32x4_splat(s), v))
            }
            FusedKerSpec::AddUnicast(tile) => {
                // SAFETY: tract passes an MR×NR tile with its byte strides.
                let t = unsafe { read_tile(tile.ptr, tile.row_byte_stride, tile.col_byte_stride) };
                for (row, t) in acc.iter_mut().zip(t) {
                    row[0] = f32x4_add(row[0], t[0]);
                    row[1] = f32x4_add(row[1], t[1]);
                }
            }
            // SAFETY: tract passes MR row values and NR column values.
            FusedKerSpec::AddRowColProducts(rows, cols) => unsafe {
                let c = [
                    v128_load(cols as *const v128),
                    v128_load(cols.add(4) as *const v128),
                ];
                for (r, row) in acc.iter_mut().enumerate() {
                    let s = f32x4_splat(*rows.add(r));
                    row[0] = madd!(row[0], s, c[0]);
                    row[1] = madd!(row[1], s, c[1]);
                }
            },
            // SAFETY: tract passes the output tile, ours alone for this call, with its byte strides.
            FusedKerSpec::Store(tile) => unsafe {
                write_tile(&acc, tile.ptr, tile.row_byte_stride, tile.col_byte_stride)
            },
            // A packed k-major in panels of MR values, B in panels of NR values.
            FusedKerSpec::AddMatMul { k, pa, pb, .. } =>
            // SAFETY: tract passes k×MR values at `pa` and k×NR at `pb`; loads are unaligned-safe.
            unsafe {
                let a = pa as *const f32;
                let b = pb as *const v128;
                for i in 0..k {
                    let b0 = v128_load(b.add(2 * i));
                    let b1 = v128_load(b.add(2 * i + 1));
                    for (r, row) in acc.iter_mut().enumerate() {
                        let s = v128_load32_splat(a.add(MR * i + r) as *const u32);
                        row[0] = madd!(row[0], s, b0);
                        row[1] = madd!(row[1], s, b1);
                    }
                }
            },
        }
    }
    0
}

/// Runs one tile program on the kernel directly (for tests: tract normally calls it).
///
/// # Safety
/// Every pointer in `spec` must be valid for the tile it describes (MR×NR f32 values, MR row
/// values, NR column values, `k`×MR and `k`×NR packed panels), and `spec` must end with `Done`.
#[cfg(any(test, feature = "test-support"))]
pub unsafe fn run_tile_program(spec: &[FusedKerSpec<f32>]) -> isize {
    // SAFETY: the caller upholds `kernel`'s contract (the same as this function's).
    unsafe { kernel(spec) }
}

/// The lane operation of a per-row or per-column spec, and whether the accumulator comes first.
#[inline(always)]
fn binary_op(op: &FusedKerSpec<f32>) -> (fn(v128, v128) -> v128, bool) {
    match op {
        FusedKerSpec::PerRowMin(_) | FusedKerSpec::PerColMin(_) => (f32x4_min, false),
        FusedKerSpec::PerRowMax(_) | FusedKerSpec::PerColMax(_) => (f32x4_max, false),
        FusedKerSpec::PerRowAdd(_) | FusedKerSpec::PerColAdd(_) => (f32x4_add, false),
        FusedKerSpec::PerRowMul(_) | FusedKerSpec::PerColMul(_) => (f32x4_mul, false),
        FusedKerSpec::PerRowSubF(_) | FusedKerSpec::PerColSubF(_) => (f32x4_sub, true),
        _ => (f32x4_sub, false),
    }
}

static KERNEL: LazyLock<DynKernel<MR, NR, f32>> = LazyLock::new(|| {
    let mut k = DynKernel::<MR, NR, f32>::new(KERNEL_NAME, kernel, f32::packing(MR), f32::packing(NR));
    k.arch = Some(Arch::Wasm32Simd128);
    k
});

/// The kernel as tract's registry holds it.
pub fn kernel_4x8() -> Box<dyn MatMatMul> {
    KERNEL.mmm()
}

fn preferred(_isa: &IsaSet, dt: DatumType, query: &Query, _suitable: &[Suitable]) -> Option<&'static str> {
    match (dt, query.n) {
        // matrix × vector: tract's GEMV kernels
        (DatumType::F32, Some(1)) => None,
        (DatumType::F32, _) => Some(KERNEL_NAME),
        _ => None,
    }
}

inventory::submit! {
    MmmRoutine { make: kernel_4x8 }
}

inventory::submit! {
    MmmTier {
        arch: Some(Arch::Wasm32Simd128),
        // tract's own wasm tier is precedence 1
        precedence: 10,
        name: "vibe-opsy-wasm-4x8",
        applies: |_| true,
        preferred,
    }
}
