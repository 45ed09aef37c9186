//! 2-D max pooling over f32 tensors, channels first (NCHW) or last (NHWC), swapped in for
//! tract's `OptMaxPool` after optimisation.
//!
//! Why: tract 0.23.9 pools one kernel tap at a time over a whole output row (re-reading and
//! re-writing the row for each of the 9 taps of a 3×3 window, strided taps through a generic
//! iterator) and that does not vectorise on wasm: Xception's four 3×3 stride-2 pools (NCHW once
//! tract has imported the graph) took ≈ 8 % of an inference in Node and Chromium. Here each output
//! value is computed once in a register: channels first, four neighbouring outputs per `f32x4`
//! (their strided taps gathered); channels last, 16 channels at a time. `f32x4.pmax` on wasm.
//! Natively (where tract's pool is faster than that loop without SIMD) channels first is separable:
//! each output row's window rows folded column by column in one loop the compiler vectorises
//! (AVX2/AVX-512 picked at run time), then the windows' columns. Channels-first planes are split
//! over tract's executor (the native pool, wasm-bindgen-rayon's in the threads build).
//!
//! The result is bit-identical to tract's: same taps (padding excluded), same fold order
//! (kernel rows, then columns), same comparison (`if acc < v { v } else { acc }`, which is exactly
//! wasm's `pmax`), same start value (`f32::MIN`).

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::cnn::OptMaxPool;

/// The window, in plain numbers (all checked when the op is built from tract's).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Window {
    /// Input height, width, channels.
    pub h: usize,
    pub w: usize,
    pub c: usize,
    /// Output height and width.
    pub oh: usize,
    pub ow: usize,
    /// Kernel size, strides, padding before (top, left).
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub pt: usize,
    pub pl: usize,
    /// NHWC / HWC (else NCHW / CHW).
    pub channels_last: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MaxPool2d {
    pub window: Window,
    /// Full output shape (with the batch axis when the input has one).
    pub output_shape: TVec<usize>,
}

impl MaxPool2d {
    /// The equivalent of `op` on an input of `input_shape`, or `None` when it is not a plain 2-D
    /// f32 max pool over a dense tensor (dilations, index outputs stay with tract).
    pub fn replacing(op: &OptMaxPool, input: &TypedFact) -> Option<Self> {
        if input.datum_type != f32::datum_type() || op.with_index_outputs.is_some() {
            return None;
        }
        let shape = input.shape.as_concrete()?;
        let geo = op.geometry.to_concrete(shape).ok()?;
        let patch = &geo.patch;
        let spec = &patch.spec;
        if patch.rank() != 2 || spec.dilations.iter().any(|&d| d != 1) {
            return None;
        }
        let (ish, osh) = (&geo.input_shape, &geo.output_shape);
        let (h, w, c) = (ish.hw_dims()[0], ish.hw_dims()[1], *ish.c());
        let channels_last = op.pool_spec.data_format.c_is_last();
        if !channels_last && spec.kernel_shape[..] == [2, 2] {
            // tract has a vectorised path of its own for that one.
            return None;
        }
        let dense = if channels_last {
            *ish.c_stride() == 1 && *ish.w_stride() == c && *ish.h_stride() == w * c
        } else {
            *ish.w_stride() == 1 && *ish.h_stride() == w && *ish.c_stride() == h * w
        };
        if !dense || *osh.c() != c || ish.n().copied().unwrap_or(1) != osh.n().copied().unwrap_or(1) {
            return None;
        }
        let window = Window {
            h,
            w,
            c,
            oh: patch.output_shape[0],
            ow: patch.output_shape[1],
            kh: spec.kernel_shape[0],
            kw: spec.kernel_shape[1],
            sh: spec.strides[0],
            sw: spec.strides[1],
            pt: patch.pad_before[0],
            pl: patch.pad_before[1],
            channels_last,
        };
        // Empty inputs and degenerate windows stay with tract (the loops below assume neither).
        let sizes = [
            window.h, window.w, window.c, window.sh, window.sw, window.kh, window.kw,
        ];
        if sizes.contains(&0) {
            return None;
        }
        Some(MaxPool2d {
            window,
            output_shape: osh.shape.iter().copied().collect(),
        })
    }
}

/// Replaces every `OptMaxPool` of an optimised model that [`MaxPool2d`] covers.
/// Returns how many were replaced.
pub fn replace_max_pools(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in 0..model.nodes().len() {
        let node = model.node(id);
        let Some(op) = node.op_as::<OptMaxPool>() else {
            continue;
        };
        let input = model.outlet_fact(node.inputs[0])?;
        let Some(ours) = MaxPool2d::replacing(op, input) else {
            continue;
        };
        if ours.output_facts(&[input])?[0] != node.outputs[0].fact {
            continue;
        }
        model.node_mut(id).op = Box::new(ours);
        replaced += 1;
    }
    Ok(replaced)
}

impl Op for MaxPool2d {
    fn name(&self) -> StaticName {
        "MaxPool2d".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let w = &self.window;
        Ok(vec![format!(
            "{}x{} stride {}x{} pad {}x{} over {}x{}x{} ({})",
            w.kh,
            w.kw,
            w.sh,
            w.sw,
            w.pt,
            w.pl,
            w.h,
            w.w,
            w.c,
            if w.channels_last {
                "channels last"
            } else {
                "channels first"
            }
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for MaxPool2d {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let plain = input.try_as_plain_ram()?;
        let input = plain.as_slice::<f32>()?;
        let w = &self.window;
        let (in_image, out_image) = (w.h * w.w * w.c, w.oh * w.ow * w.c);
        let images = input.len().checked_div(in_image).unwrap_or(0);
        let expected: usize = self.output_shape.iter().product();
        if input.len() != images * in_image || expected != images * out_image {
            bail!("MaxPool2d: input of {} values for {:?}", input.len(), w);
        }
        // SAFETY: f32 has no invalid bit patterns, and the pooling below writes every output value
        // (one per output position and channel of each image; the sizes are checked above).
        let mut output = unsafe { Tensor::uninitialized::<f32>(&self.output_shape)? };
        {
            let mut out_plain = output.try_as_plain_ram_mut()?;
            let out = out_plain.as_slice_mut::<f32>()?;
            if w.channels_last {
                for (image, out) in input
                    .chunks_exact(in_image.max(1))
                    .zip(out.chunks_exact_mut(out_image.max(1)))
                {
                    pool_pixels(w, image, out);
                }
            } else {
                // The planes of every image, one after the other: split over tract's executor.
                let (plane, out_plane) = (w.h * w.w, w.oh * w.ow);
                // The work, for the executor's threshold: each input value for each window row
                // and column (a pooled value costs far more than a multiply-add of a convolution).
                let work = input.len().saturating_mul(w.kh * w.kw);
                tract_linalg::multithread::par_chunks_mut(out, out_plane.max(1), work, |first, out| {
                    let planes = input.get(first * plane..).unwrap_or_default();
                    pool_planes(w, planes, out);
                    Ok(())
                })?;
            }
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

impl TypedOp for MaxPool2d {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(&*self.output_shape)))
    }

    as_op!();
}

/// tract's comparison (wasm's `pmax`): a NaN tap never wins.
#[inline(always)]
fn fold_max(acc: f32, v: f32) -> f32 {
    if acc < v {
        v
    } else {
        acc
    }
}

/// The taps of output coordinate `o` that land inside an input axis of `len`: `start..end` in
/// kernel positions.
fn taps(o: usize, stride: usize, pad: usize, kernel: usize, len: usize) -> std::ops::Range<usize> {
    let first = (o * stride) as isize - pad as isize;
    let start = (-first).clamp(0, kernel as isize) as usize;
    let end = (len as isize - first).clamp(start as isize, kernel as isize) as usize;
    start..end
}

/// Consecutive `h × w` planes into their outputs (as many as `out` holds). Natively the
/// separable loop, with the widest vector instructions the CPU has; on wasm the SIMD128 one.
fn pool_planes(w: &Window, planes: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { x86::pool_planes_avx512(w, planes, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { x86::pool_planes_avx2(w, planes, out) };
        }
    }
    pool_planes_any(w, planes, out)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{pool_planes_any, Window};

    #[target_feature(enable = "avx512f")]
    pub unsafe fn pool_planes_avx512(w: &Window, planes: &[f32], out: &mut [f32]) {
        pool_planes_any(w, planes, out)
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn pool_planes_avx2(w: &Window, planes: &[f32], out: &mut [f32]) {
        pool_planes_any(w, planes, out)
    }
}

#[inline(always)]
fn pool_planes_any(w: &Window, planes: &[f32], out: &mut [f32]) {
    let (plane, out_plane) = (w.h * w.w, w.oh * w.ow);
    #[cfg(not(target_arch = "wasm32"))]
    let mut column_max = vec![f32::MIN; w.w];
    for (plane, out) in planes
        .chunks_exact(plane.max(1))
        .zip(out.chunks_exact_mut(out_plane.max(1)))
    {
        #[cfg(target_arch = "wasm32")]
        pool_plane(w, plane, out);
        #[cfg(not(target_arch = "wasm32"))]
        pool_plane_separable(w, plane, out, &mut column_max);
    }
}

/// Output columns whose window lies entirely inside the input row: `start..end`.
fn interior_columns(w: &Window) -> std::ops::Range<usize> {
    let start = w.pl.div_ceil(w.sw).min(w.ow);
    let end = if w.w + w.pl >= w.kw {
        ((w.w + w.pl - w.kw) / w.sw + 1).min(w.ow)
    } else {
        0
    };
    start..end.max(start)
}

/// One `h × w` channel plane into its `oh × ow` output, on wasm: interior outputs four at a
/// time, the border one by one.
#[cfg(target_arch = "wasm32")]
fn pool_plane(w: &Window, plane: &[f32], out: &mut [f32]) {
    let interior = interior_columns(w);
    for oy in 0..w.oh {
        let rows = taps(oy, w.sh, w.pt, w.kh, w.h);
        let Some(iy0) = (oy * w.sh + rows.start)
            .checked_sub(w.pt)
            .filter(|_| !rows.is_empty())
        else {
            out[oy * w.ow..(oy + 1) * w.ow].fill(f32::MIN);
            continue;
        };
        let out_row = &mut out[oy * w.ow..(oy + 1) * w.ow];
        let input_rows = &plane[iy0 * w.w..(iy0 + rows.len()) * w.w];
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        let vector_end = simd::pool_row_interior(w, input_rows, interior.clone(), out_row);
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        let vector_end = interior.start;
        for ox in (0..interior.start).chain(vector_end..w.ow) {
            let cols = taps(ox, w.sw, w.pl, w.kw, w.w);
            let mut acc = f32::MIN;
            if let Some(ix0) = (ox * w.sw + cols.start).checked_sub(w.pl) {
                for row in input_rows.chunks_exact(w.w) {
                    for &v in &row[ix0..ix0 + cols.len()] {
                        acc = fold_max(acc, v);
                    }
                }
            }
            out_row[ox] = acc;
        }
    }
}

/// One `h × w` channel plane into its `oh × ow` output, natively: for each output row, the
/// maximum of its window's input rows, column by column (`column_max`, `w` values; one
/// contiguous loop that vectorises), then of each window's columns in that row. The same
/// maximum as tract's row-by-row fold (only which of a +0 and a -0 is kept could differ).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn pool_plane_separable(w: &Window, plane: &[f32], out: &mut [f32], column_max: &mut [f32]) {
    let interior = interior_columns(w);
    for (oy, out_row) in out.chunks_exact_mut(w.ow).enumerate().take(w.oh) {
        let rows = taps(oy, w.sh, w.pt, w.kh, w.h);
        let Some(iy0) = (oy * w.sh + rows.start)
            .checked_sub(w.pt)
            .filter(|_| !rows.is_empty())
        else {
            out_row.fill(f32::MIN);
            continue;
        };
        let (Some(input_rows), Some(column_max)) = (
            plane.get(iy0 * w.w..(iy0 + rows.len()) * w.w),
            column_max.get_mut(..w.w),
        ) else {
            return;
        };
        if let [r0, r1, r2] = input_rows.chunks_exact(w.w).collect::<TVec<_>>()[..] {
            // Three rows (Xception's): one pass.
            for (x, acc) in column_max.iter_mut().enumerate() {
                *acc = fold_max(fold_max(fold_max(f32::MIN, r0[x]), r1[x]), r2[x]);
            }
        } else {
            column_max.fill(f32::MIN);
            for row in input_rows.chunks_exact(w.w) {
                for (acc, &v) in column_max.iter_mut().zip(row) {
                    *acc = fold_max(*acc, v);
                }
            }
        }
        let column_max = &*column_max;
        if w.kw == 3 && w.sw == 2 && !interior.is_empty() {
            // Xception's windows: three columns, two apart (every tap inside the row).
            let first = interior.start * 2 - w.pl;
            let n = interior.len();
            let taps = &column_max[first..first + 2 * n + 1];
            for (o, t) in out_row[interior.clone()]
                .iter_mut()
                .zip(taps.windows(3).step_by(2))
            {
                *o = fold_max(fold_max(fold_max(f32::MIN, t[0]), t[1]), t[2]);
            }
        } else {
            for ox in interior.clone() {
                let ix0 = ox * w.sw - w.pl;
                out_row[ox] = column_max[ix0..ix0 + w.kw]
                    .iter()
                    .fold(f32::MIN, |acc, &v| fold_max(acc, v));
            }
        }
        for ox in (0..interior.start).chain(interior.end..w.ow) {
            let cols = taps(ox, w.sw, w.pl, w.kw, w.w);
            out_row[ox] = match (ox * w.sw + cols.start).checked_sub(w.pl) {
                Some(ix0) => column_max[ix0..ix0 + cols.len()]
                    .iter()
                    .fold(f32::MIN, |acc, &v| fold_max(acc, v)),
                None => f32::MIN,
            };
        }
    }
}

/// One `h × w × c` image into its `oh × ow × c` output.
fn pool_pixels(w: &Window, image: &[f32], out: &mut [f32]) {
    let c = w.c;
    for oy in 0..w.oh {
        let rows = taps(oy, w.sh, w.pt, w.kh, w.h);
        // In bounds whenever the range is not empty (then `rows.start >= pt - oy * sh`).
        let iy0 = (oy * w.sh + rows.start).checked_sub(w.pt);
        for ox in 0..w.ow {
            let cols = taps(ox, w.sw, w.pl, w.kw, w.w);
            let ix0 = (ox * w.sw + cols.start).checked_sub(w.pl);
            let Some(pixel) = out.get_mut((oy * w.ow + ox) * c..(oy * w.ow + ox + 1) * c) else {
                return;
            };
            match (iy0, ix0) {
                (Some(iy0), Some(ix0)) => {
                    let first = (iy0 * w.w + ix0) * c;
                    pool_pixel(image, first, w.w * c, rows.len(), cols.len(), c, pixel);
                }
                _ => pixel.fill(f32::MIN),
            }
        }
    }
}

/// Max over `ny × nx` input pixels starting at `first` (rows `row_stride` apart, pixels `c`
/// apart), folded row by row, into `out` (`c` channels).
#[inline(always)]
fn pool_pixel(
    image: &[f32],
    first: usize,
    row_stride: usize,
    ny: usize,
    nx: usize,
    c: usize,
    out: &mut [f32],
) {
    if ny == 0 || nx == 0 {
        out.fill(f32::MIN);
        return;
    }
    let last = first + (ny - 1) * row_stride + (nx - 1) * c + c;
    let Some(window) = image.get(first..last) else {
        out.fill(f32::MIN);
        return;
    };
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = simd::pool_channels(window, row_stride, ny, nx, c, out);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = 0;
    for ch in done..c {
        let mut acc = f32::MIN;
        for y in 0..ny {
            for x in 0..nx {
                acc = fold_max(acc, window[y * row_stride + x * c + ch]);
            }
        }
        out[ch] = acc;
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use super::Window;
    use std::arch::wasm32::*;

    /// Outputs `interior` of one output row, four at a time, from the `rows` of the input that
    /// its windows cover (`w.w` values each); returns where it stopped (the caller does the rest
    /// of the interior, fewer than 4, one by one).
    #[inline(always)]
    pub fn pool_row_interior(
        w: &Window,
        rows: &[f32],
        interior: std::ops::Range<usize>,
        out: &mut [f32],
    ) -> usize {
        let (sw, kw) = (w.sw, w.kw);
        let mut ox = interior.start;
        while ox + 4 <= interior.end {
            let mut acc = f32x4_splat(f32::MIN);
            // Every window of outputs ox..ox + 4 is inside the row (interior), so the taps
            // `first + kx + lane * sw` are too.
            let first = ox * sw - w.pl;
            for row in rows.chunks_exact(w.w) {
                let taps = &row[first..first + 3 * sw + kw];
                for kx in 0..kw {
                    let v = if sw == 1 {
                        let four = &taps[kx..kx + 4];
                        // SAFETY: `four` holds 4 f32 (unaligned loads are fine on wasm).
                        unsafe { v128_load(four.as_ptr() as *const v128) }
                    } else {
                        f32x4(taps[kx], taps[kx + sw], taps[kx + 2 * sw], taps[kx + 3 * sw])
                    };
                    acc = f32x4_pmax(acc, v);
                }
            }
            let four = &mut out[ox..ox + 4];
            // SAFETY: `four` holds 4 f32.
            unsafe { v128_store(four.as_mut_ptr() as *mut v128, acc) };
            ox += 4;
        }
        ox
    }

    /// The channels of `out` in blocks of 16 then 4; returns how many were done (the rest,
    /// fewer than 4, is the caller's). `window` holds every tap (checked by the caller).
    #[inline(always)]
    pub fn pool_channels(
        window: &[f32],
        row_stride: usize,
        ny: usize,
        nx: usize,
        c: usize,
        out: &mut [f32],
    ) -> usize {
        let base = window.as_ptr();
        let dst = out.as_mut_ptr();
        let mut ch = 0;
        // SAFETY: the taps read are `y * row_stride + x * c + ch + 0..16` with y < ny, x < nx,
        // ch + 16 <= c, all inside `window` (whose length the caller checked), and the stores are
        // inside `out` (length c).
        unsafe {
            while ch + 16 <= c {
                let mut acc = [f32x4_splat(f32::MIN); 4];
                for y in 0..ny {
                    for x in 0..nx {
                        let p = base.add(y * row_stride + x * c + ch);
                        for (i, a) in acc.iter_mut().enumerate() {
                            *a = f32x4_pmax(*a, v128_load(p.add(4 * i) as *const v128));
                        }
                    }
                }
                for (i, a) in acc.iter().enumerate() {
                    v128_store(dst.add(ch + 4 * i) as *mut v128, *a);
                }
                ch += 16;
            }
            while ch + 4 <= c {
                let mut acc = f32x4_splat(f32::MIN);
                for y in 0..ny {
                    for x in 0..nx {
                        let p = base.add(y * row_stride + x * c + ch);
                        acc = f32x4_pmax(acc, v128_load(p as *const v128));
                    }
                }
                v128_store(dst.add(ch) as *mut v128, acc);
                ch += 4;
            }
        }
        ch
    }
}

/// Checks the op against tract's own on Xception's pools and on awkward windows (channels not a
/// multiple of 4, no batch axis, valid and explicit padding): both replaced and bit-identical. For the
/// tests (native, and wasm where the SIMD path runs).
#[cfg(any(test, feature = "test-support"))]
pub fn check_against_tract() -> Result<(), String> {
    use tract_onnx::tract_core::ops::cnn::PaddingSpec;
    type Case = (bool, Vec<usize>, [usize; 2], [usize; 2], PaddingSpec);
    let cases: Vec<Case> = vec![
        // Xception's pools as tract imports them (NCHW), and channels last.
        (
            false,
            vec![1, 128, 124, 124],
            [3, 3],
            [2, 2],
            PaddingSpec::SameUpper,
        ),
        (
            false,
            vec![1, 728, 31, 31],
            [3, 3],
            [2, 2],
            PaddingSpec::SameUpper,
        ),
        (
            true,
            vec![1, 125, 125, 128],
            [3, 3],
            [2, 2],
            PaddingSpec::SameUpper,
        ),
        (true, vec![1, 16, 16, 728], [3, 3], [2, 2], PaddingSpec::SameUpper),
        // Strides 1 and 3, no batch axis, channel counts that are not a multiple of 4, valid
        // and explicit padding.
        (false, vec![1, 3, 10, 13], [3, 3], [1, 1], PaddingSpec::SameUpper),
        (false, vec![5, 17, 23], [3, 2], [3, 3], PaddingSpec::Valid),
        (
            false,
            vec![2, 2, 9, 14],
            [2, 3],
            [1, 2],
            PaddingSpec::Explicit(tvec![1, 2], tvec![0, 1]),
        ),
        (true, vec![9, 11, 7], [3, 3], [2, 2], PaddingSpec::SameUpper),
        (true, vec![1, 10, 9, 21], [2, 3], [1, 2], PaddingSpec::Valid),
        (
            true,
            vec![2, 6, 5, 19],
            [3, 2],
            [2, 1],
            PaddingSpec::Explicit(tvec![2, 1], tvec![1, 1]),
        ),
    ];
    for (channels_last, shape, kernel, strides, padding) in cases {
        let case = format!(
            "{shape:?} channels last {channels_last} kernel {kernel:?} strides {strides:?} {padding:?}"
        );
        let (tract, ours, replaced) = compare_with_tract(channels_last, &shape, kernel, strides, padding)
            .map_err(|e| format!("{case}: {e:#}"))?;
        if replaced != 1 {
            return Err(format!("{case}: {replaced} ops replaced"));
        }
        let same =
            tract.len() == ours.len() && tract.iter().zip(&ours).all(|(a, b)| a.to_bits() == b.to_bits());
        if !same {
            return Err(format!("{case}: outputs differ"));
        }
    }
    Ok(())
}

/// Runs `MaxPool(kernel, strides, padding)` over a `shape` (channels first or last, with or without
/// the batch axis) of pseudo-random values, once as tract optimises it and once with its `OptMaxPool`
/// replaced; returns both outputs and how many ops were replaced.
#[cfg(any(test, feature = "test-support"))]
fn compare_with_tract(
    channels_last: bool,
    shape: &[usize],
    kernel: [usize; 2],
    strides: [usize; 2],
    padding: tract_onnx::tract_core::ops::cnn::PaddingSpec,
) -> TractResult<(Vec<f32>, Vec<f32>, usize)> {
    use tract_onnx::tract_core::ops::cnn::{MaxPool, PoolSpec};
    use tract_onnx::tract_core::ops::nn::DataFormat;
    let (format, channels) = match (channels_last, shape.len() == 4) {
        (true, true) => (DataFormat::NHWC, shape[3]),
        (true, false) => (DataFormat::HWC, shape[2]),
        (false, true) => (DataFormat::NCHW, shape[1]),
        (false, false) => (DataFormat::CHW, shape[0]),
    };
    let mut model = TypedModel::default();
    let source = model.add_source("input", f32::fact(shape))?;
    let spec = PoolSpec {
        data_format: format,
        kernel_shape: kernel.iter().copied().collect(),
        padding,
        dilations: None,
        strides: Some(strides.iter().copied().collect()),
        input_channels: channels,
        output_channels: channels,
    };
    let pooled = model.wire_node("pool", MaxPool::new(spec, None), &[source])?;
    model.select_output_outlets(&pooled)?;
    let tract = model.into_optimized()?;
    let mut ours = tract.clone();
    let replaced = replace_max_pools(&mut ours)?;
    // Values with ties, negatives and a spread of magnitudes.
    let values = super::testing::TestValues::new(7.0).take(shape.iter().product());
    let run = |m: TypedModel| super::testing::run_once(m, shape, &values);
    Ok((run(tract)?, run(ours)?, replaced))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_clip_the_window_to_the_input() {
        // 3 wide, stride 2, one pixel of padding before, input of 5.
        assert_eq!(taps(0, 2, 1, 3, 5), 1..3);
        assert_eq!(taps(1, 2, 1, 3, 5), 0..3);
        assert_eq!(taps(2, 2, 1, 3, 5), 0..2);
        // Window past the end entirely.
        assert_eq!(taps(4, 2, 0, 3, 5), 0..0);
    }

    #[test]
    fn equals_tract_bit_for_bit() {
        check_against_tract().unwrap();
    }
}
