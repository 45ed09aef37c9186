//! 2-D depthwise convolution (one filter per channel, stride 1, no dilation) over f32 channels-first
//! tensors, swapped in for tract's `Conv` before codegen would turn it into its `DepthWise` op.
//!
//! Why: Xception's 34 depthwise 3×3 convolutions (NCHW once tract has imported the graph) are
//! ≈ 14 % of a native inference at one thread in tract 0.23.9's `DepthWise` (24.5 of 171 ms,
//! `vibe-opsy bench --profile`): the middle flow's 16 × 16 planes run ≈ 2.5 GFMA/s through its zone
//! walk, and splitting them over threads gained little (24.5 → 19.7 ms at 2). Here each channel's
//! plane is copied once into a zero-padded scratch plane, and every output row is then one loop
//! over the row, all taps accumulated in registers (3 × 3: nine shifted slices), which the compiler
//! vectorises: SSE/AVX2/AVX-512 natively (picked at run time), SIMD128 on wasm. The planes are split
//! over tract's executor (`par_chunks_mut`: the native pool, or wasm-bindgen-rayon's in the threads
//! build).
//!
//! Same arithmetic as tract's generic loop: the bias, then each tap in kernel order (rows, then
//! columns), `acc + k * x` with no fused multiply-add. A tap in the padding adds `k * 0`, which
//! leaves the sum as it is (but for the sign of a zero sum), where tract skips it.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::cnn::Conv;
use tract_onnx::tract_core::ops::nn::DataFormat;

/// The convolution, in plain numbers (stride 1 and no dilation are checked when it is built).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Geometry {
    /// Channels, input height and width.
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// Output height and width.
    pub oh: usize,
    pub ow: usize,
    /// Kernel height and width.
    pub kh: usize,
    pub kw: usize,
    /// Padding before (top, left); the padding after follows from the output size.
    pub pt: usize,
    pub pl: usize,
}

impl Geometry {
    /// Width of a zero-padded input row (`ow + kw - 1`, the input's width plus both paddings).
    fn padded_w(&self) -> usize {
        self.ow + self.kw - 1
    }

    /// Height of the zero-padded input plane.
    fn padded_h(&self) -> usize {
        self.oh + self.kh - 1
    }
}

#[derive(Debug, Clone)]
pub struct DepthwiseConv2d {
    pub geometry: Geometry,
    /// `c × kh × kw`: each channel's taps, rows then columns.
    pub kernel: Arc<Vec<f32>>,
    /// One per channel.
    pub bias: Arc<Vec<f32>>,
    /// Full output shape (with the batch axis when the input has one).
    pub output_shape: TVec<usize>,
}

/// Weights compare by their bits (tract's `DynEq` wants `Eq`, which `f32` is not).
impl PartialEq for DepthwiseConv2d {
    fn eq(&self, other: &Self) -> bool {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        self.geometry == other.geometry
            && self.output_shape == other.output_shape
            && bits(&self.kernel) == bits(&other.kernel)
            && bits(&self.bias) == bits(&other.bias)
    }
}

impl Eq for DepthwiseConv2d {}

/// Replaces every `Conv` of a decluttered model that [`DepthwiseConv2d`] covers (before codegen:
/// afterwards tract's `DepthWise` keeps its geometry private). Returns how many were replaced.
pub fn replace_depthwise_convs(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in 0..model.nodes().len() {
        let node = model.node(id);
        let Some(ours) = replacement(model, node)? else {
            continue;
        };
        if ours.output_facts(&[model.outlet_fact(node.inputs[0])?])?[0] != node.outputs[0].fact {
            continue;
        }
        let patch = TypedModelPatch::replace_single_op(model, node, &node.inputs[..1], ours)?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// Whether [`replace_depthwise_convs`] will replace `node` (a depthwise `Conv` that stays channels
/// first); its weights are not copied to find out.
pub fn covers(model: &TypedModel, node: &TypedNode) -> TractResult<bool> {
    Ok(geometry(model, node)?.is_some())
}

/// The geometry of `node` if it is a plain f32 depthwise 2-D convolution with stride 1, no
/// dilation, a channels-first dense input and constant weights; else `None`.
fn geometry(model: &TypedModel, node: &TypedNode) -> TractResult<Option<Geometry>> {
    let Some(conv) = node.op_as::<Conv>() else {
        return Ok(None);
    };
    let spec = &conv.pool_spec;
    let channels = spec.input_channels;
    let depthwise = conv.q_params.is_none()
        && conv.group > 1
        && conv.group == channels
        && spec.output_channels == channels
        && node.inputs.len() == 3
        && matches!(spec.data_format, DataFormat::NCHW | DataFormat::CHW)
        && spec.kernel_shape.len() == 2
        && spec.strides().iter().all(|&s| s == 1)
        && spec.dilations().iter().all(|&d| d == 1);
    if !depthwise {
        return Ok(None);
    }
    let facts = model.node_input_facts(node.id)?;
    let (input, kernel, bias) = (facts[0], facts[1], facts[2]);
    let (Some(shape), Some(kernel), Some(bias)) = (input.shape.as_concrete(), &kernel.konst, &bias.konst)
    else {
        return Ok(None);
    };
    let f32s = [input.datum_type, kernel.datum_type(), bias.datum_type()]
        .iter()
        .all(|&dt| dt == f32::datum_type());
    if !f32s || node.outputs[0].fact.datum_type != f32::datum_type() {
        return Ok(None);
    }
    let input_shape = spec.data_format.shape(shape)?;
    let (h, w) = (input_shape.hw_dims()[0], input_shape.hw_dims()[1]);
    let dense = *input_shape.c() == channels
        && *input_shape.w_stride() == 1
        && *input_shape.h_stride() == w
        && *input_shape.c_stride() == h * w;
    let (kh, kw) = (spec.kernel_shape[0], spec.kernel_shape[1]);
    if !dense || [channels, h, w, kh, kw].contains(&0) {
        return Ok(None);
    }
    let padding = spec.computed_padding(&[h, w]);
    let geometry = Geometry {
        c: channels,
        h,
        w,
        oh: padding[0].convoluted,
        ow: padding[1].convoluted,
        kh,
        kw,
        pt: padding[0].pad_before,
        pl: padding[1].pad_before,
    };
    // Stride 1: the padded plane is the input with both paddings, exactly what the output needs.
    let consistent = geometry.oh > 0
        && geometry.ow > 0
        && geometry.padded_h() == h + padding[0].pad_before + padding[0].pad_after
        && geometry.padded_w() == w + padding[1].pad_before + padding[1].pad_after;
    Ok(consistent.then_some(geometry))
}

/// The equivalent of `node` (see [`geometry`]), or `None`.
fn replacement(model: &TypedModel, node: &TypedNode) -> TractResult<Option<DepthwiseConv2d>> {
    let (Some(geometry), Some(conv)) = (geometry(model, node)?, node.op_as::<Conv>()) else {
        return Ok(None);
    };
    let facts = model.node_input_facts(node.id)?;
    let (Some(shape), Some(kernel), Some(bias)) =
        (facts[0].shape.as_concrete(), &facts[1].konst, &facts[2].konst)
    else {
        return Ok(None);
    };
    let (channels, kh, kw) = (geometry.c, geometry.kh, geometry.kw);
    // [group, 1, kh * kw] whatever the kernel format: one row of taps per channel.
    let kernel = conv.kernel_fmt.kernel_as_group_o_ihw(kernel, conv.group)?;
    if kernel.len() != channels * kh * kw {
        return Ok(None);
    }
    let kernel = kernel.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
    let bias_plain = bias.try_as_plain_ram()?;
    let bias = match bias_plain.as_slice::<f32>()? {
        &[b] => vec![b; channels],
        values if values.len() == channels => values.to_vec(),
        _ => return Ok(None),
    };
    let mut output_shape: TVec<usize> = shape.into();
    let rank = output_shape.len();
    output_shape[rank - 2] = geometry.oh;
    output_shape[rank - 1] = geometry.ow;
    Ok(Some(DepthwiseConv2d {
        geometry,
        kernel: Arc::new(kernel),
        bias: Arc::new(bias),
        output_shape,
    }))
}

impl Op for DepthwiseConv2d {
    fn name(&self) -> StaticName {
        "DepthwiseConv2d".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let g = &self.geometry;
        Ok(vec![format!(
            "{}x{} pad {}x{} over {}x{}x{} (channels first)",
            g.kh, g.kw, g.pt, g.pl, g.c, g.h, g.w
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for DepthwiseConv2d {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let plain = input.try_as_plain_ram()?;
        let input = plain.as_slice::<f32>()?;
        let g = &self.geometry;
        let (plane, out_plane) = (g.h * g.w, g.oh * g.ow);
        let planes = input.len() / plane;
        let total: usize = self.output_shape.iter().product();
        if input.len() != planes * plane || total != planes * out_plane || planes % g.c != 0 {
            bail!("DepthwiseConv2d: input of {} values for {:?}", input.len(), g);
        }
        let (kernel, bias) = (&self.kernel[..], &self.bias[..]);
        // SAFETY: f32 has no invalid bit patterns, and every output value is written below (one
        // output plane per input plane; the sizes are checked above).
        let mut output = unsafe { Tensor::uninitialized::<f32>(&self.output_shape)? };
        {
            let mut out_plain = output.try_as_plain_ram_mut()?;
            let out = out_plain.as_slice_mut::<f32>()?;
            // The work, for the executor's threshold: one multiply-add per tap and output value.
            let work = total.saturating_mul(g.kh * g.kw);
            tract_linalg::multithread::par_chunks_mut(out, out_plane, work, |first, chunk| {
                convolve_planes(g, kernel, bias, input, first, chunk);
                Ok(())
            })?;
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

impl TypedOp for DepthwiseConv2d {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(&*self.output_shape)))
    }

    fn cost(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let fmas = self.output_shape.iter().product::<usize>() * self.geometry.kh * self.geometry.kw;
        Ok(tvec!((Cost::FMA(f32::datum_type()), fmas.into())))
    }

    as_op!();
}

/// Output planes `first..` (as many as `out` holds) of a batch of `c`-channel images: plane `p` is
/// channel `p % c` of image `p / c`. Picks the widest vector instructions the CPU has.
fn convolve_planes(g: &Geometry, kernel: &[f32], bias: &[f32], input: &[f32], first: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { x86::planes_avx512(g, kernel, bias, input, first, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { x86::planes_avx2(g, kernel, bias, input, first, out) };
        }
    }
    planes(g, kernel, bias, input, first, out)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{planes, Geometry};

    #[target_feature(enable = "avx512f")]
    pub unsafe fn planes_avx512(
        g: &Geometry,
        kernel: &[f32],
        bias: &[f32],
        input: &[f32],
        first: usize,
        out: &mut [f32],
    ) {
        planes(g, kernel, bias, input, first, out)
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn planes_avx2(
        g: &Geometry,
        kernel: &[f32],
        bias: &[f32],
        input: &[f32],
        first: usize,
        out: &mut [f32],
    ) {
        planes(g, kernel, bias, input, first, out)
    }
}

/// [`convolve_planes`]'s body, inlined into each instruction-set variant.
#[inline(always)]
fn planes(g: &Geometry, kernel: &[f32], bias: &[f32], input: &[f32], first: usize, out: &mut [f32]) {
    let (plane, out_plane) = (g.h * g.w, g.oh * g.ow);
    let (pw, taps) = (g.padded_w(), g.kh * g.kw);
    // The padding stays zero; each plane overwrites the same inner rectangle.
    let mut padded = vec![0f32; g.padded_h() * pw];
    for (i, out) in out.chunks_exact_mut(out_plane).enumerate() {
        let p = first + i;
        let channel = p % g.c;
        let (Some(image), Some(k)) = (
            input.get(p * plane..(p + 1) * plane),
            kernel.get(channel * taps..(channel + 1) * taps),
        ) else {
            return;
        };
        for (row, padded_row) in image
            .chunks_exact(g.w)
            .zip(padded[g.pt * pw..].chunks_exact_mut(pw))
        {
            padded_row[g.pl..g.pl + g.w].copy_from_slice(row);
        }
        let b = bias.get(channel).copied().unwrap_or(0.0);
        if let Ok(k) = <&[f32; 9]>::try_from(k) {
            if g.kh == 3 {
                plane_3x3(&padded, pw, g.ow, k, b, out);
                continue;
            }
        }
        plane_any(g, &padded, k, b, out);
    }
}

/// One 3 × 3 output plane from its zero-padded input plane (rows `pw` apart): per row, the nine
/// taps as nine shifted slices, summed in kernel order.
#[inline(always)]
fn plane_3x3(padded: &[f32], pw: usize, ow: usize, k: &[f32; 9], bias: f32, out: &mut [f32]) {
    for (y, o) in out.chunks_exact_mut(ow).enumerate() {
        let Some(rows) = padded.get(y * pw..y * pw + 2 * pw + ow + 2) else {
            return;
        };
        let (r0, r1, r2) = (rows, &rows[pw..], &rows[2 * pw..]);
        let (a0, a1, a2) = (&r0[..ow], &r0[1..ow + 1], &r0[2..ow + 2]);
        let (b0, b1, b2) = (&r1[..ow], &r1[1..ow + 1], &r1[2..ow + 2]);
        let (c0, c1, c2) = (&r2[..ow], &r2[1..ow + 1], &r2[2..ow + 2]);
        for x in 0..ow {
            let mut acc = bias;
            acc += k[0] * a0[x];
            acc += k[1] * a1[x];
            acc += k[2] * a2[x];
            acc += k[3] * b0[x];
            acc += k[4] * b1[x];
            acc += k[5] * b2[x];
            acc += k[6] * c0[x];
            acc += k[7] * c1[x];
            acc += k[8] * c2[x];
            o[x] = acc;
        }
    }
}

/// Any kernel size: the output row starts at the bias and takes one tap at a time over the row.
#[inline(always)]
fn plane_any(g: &Geometry, padded: &[f32], k: &[f32], bias: f32, out: &mut [f32]) {
    let (pw, ow) = (g.padded_w(), g.ow);
    for (y, o) in out.chunks_exact_mut(ow).enumerate() {
        o.fill(bias);
        for ky in 0..g.kh {
            let row = &padded[(y + ky) * pw..(y + ky + 1) * pw];
            for kx in 0..g.kw {
                let kv = k[ky * g.kw + kx];
                for (acc, &v) in o.iter_mut().zip(&row[kx..kx + ow]) {
                    *acc += kv * v;
                }
            }
        }
    }
}

/// Checks the op against tract's own depthwise convolution on Xception's shapes and on awkward ones
/// (other kernel sizes, asymmetric and valid padding, no batch axis, a batch of 2, a scalar bias,
/// HWIO kernels, planes narrower than a vector): each replaced, and equal to tract's. For the tests (native, and wasm where SIMD128 runs it).
#[cfg(any(test, feature = "test-support"))]
pub fn check_against_tract() -> Result<(), String> {
    use tract_onnx::tract_core::ops::cnn::{KernelFormat, PaddingSpec};
    let same = || PaddingSpec::SameUpper;
    type Case = (Vec<usize>, [usize; 2], PaddingSpec, KernelFormat, bool);
    let cases: Vec<Case> = vec![
        // Xception's, as tract imports them.
        (vec![1, 728, 16, 16], [3, 3], same(), KernelFormat::OIHW, true),
        (vec![1, 128, 124, 124], [3, 3], same(), KernelFormat::OIHW, true),
        (vec![1, 256, 31, 31], [3, 3], same(), KernelFormat::OIHW, true),
        (vec![1, 1536, 8, 8], [3, 3], same(), KernelFormat::OIHW, true),
        // Other sizes and paddings, no batch axis, a batch of 2, a scalar bias, HWIO.
        (vec![3, 5, 7], [3, 3], same(), KernelFormat::OIHW, false),
        (vec![2, 6, 9, 20], [5, 3], same(), KernelFormat::HWIO, true),
        (
            vec![1, 4, 11, 13],
            [3, 3],
            PaddingSpec::Valid,
            KernelFormat::OIHW,
            true,
        ),
        (
            vec![1, 5, 6, 17],
            [2, 4],
            PaddingSpec::Explicit(tvec![1, 0], tvec![0, 3]),
            KernelFormat::OHWI,
            true,
        ),
        (vec![1, 3, 1, 1], [3, 3], same(), KernelFormat::OIHW, false),
    ];
    for (shape, kernel, padding, format, bias_per_channel) in cases {
        let case = format!("{shape:?} kernel {kernel:?} {padding:?} {format:?}");
        let (tract, ours, replaced) = compare_with_tract(&shape, kernel, padding, format, bias_per_channel)
            .map_err(|e| format!("{case}: {e:#}"))?;
        if replaced != 1 {
            return Err(format!("{case}: {replaced} ops replaced"));
        }
        if tract.len() != ours.len() {
            return Err(format!("{case}: {} values, tract {}", ours.len(), tract.len()));
        }
        // Same arithmetic in the same order as tract's loop: equal values (a zero's sign aside,
        // as a padding tap adds `k * 0` where tract skips it).
        if let Some(i) = (0..ours.len()).find(|&i| tract[i] != ours[i]) {
            return Err(format!("{case}: value {i} is {}, tract {}", ours[i], tract[i]));
        }
    }
    Ok(())
}

/// Runs a depthwise `Conv` over `shape` (channels first, with or without the batch axis) of
/// pseudo-random values and weights, once as tract optimises it and once with it replaced; returns
/// both outputs and how many ops were replaced.
#[cfg(any(test, feature = "test-support"))]
fn compare_with_tract(
    shape: &[usize],
    kernel: [usize; 2],
    padding: tract_onnx::tract_core::ops::cnn::PaddingSpec,
    kernel_fmt: tract_onnx::tract_core::ops::cnn::KernelFormat,
    bias_per_channel: bool,
) -> TractResult<(Vec<f32>, Vec<f32>, usize)> {
    use tract_onnx::tract_core::ops::cnn::{KernelFormat, PoolSpec};
    let (format, channels) = if shape.len() == 4 {
        (DataFormat::NCHW, shape[1])
    } else {
        (DataFormat::CHW, shape[0])
    };
    // Values of either sign and a spread of magnitudes.
    let mut stream = super::testing::TestValues::new(700.0);
    let mut values = |n: usize| stream.take(n);
    let taps = kernel[0] * kernel[1];
    // tract keeps the groups on O in OIHW, on I in the two others.
    let kernel_shape: Vec<usize> = match kernel_fmt {
        KernelFormat::OIHW => vec![channels, 1, kernel[0], kernel[1]],
        KernelFormat::HWIO => vec![kernel[0], kernel[1], channels, 1],
        KernelFormat::OHWI => vec![1, kernel[0], kernel[1], channels],
    };
    let weights = Tensor::from_shape(&kernel_shape, &values(channels * taps))?;
    let bias = if bias_per_channel {
        Tensor::from_shape(&[channels], &values(channels))?
    } else {
        tensor0(0.25f32)
    };
    let input_values = values(shape.iter().product());
    let mut model = TypedModel::default();
    let source = model.add_source("input", f32::fact(shape))?;
    let weights = model.add_const("kernel", weights)?;
    let bias = model.add_const("bias", bias)?;
    let spec = PoolSpec {
        data_format: format,
        kernel_shape: kernel.iter().copied().collect(),
        padding,
        dilations: None,
        strides: None,
        input_channels: channels,
        output_channels: channels,
    };
    let conv = Conv {
        pool_spec: spec,
        kernel_fmt,
        group: channels,
        q_params: None,
    };
    let output = model.wire_node("conv", conv, &[source, weights, bias])?;
    model.select_output_outlets(&output)?;
    let mut ours = model.clone().into_decluttered()?;
    let replaced = replace_depthwise_convs(&mut ours)?;
    let ours = ours.into_optimized()?;
    let tract = model.into_optimized()?;
    let run = |m: TypedModel| super::testing::run_once(m, shape, &input_values);
    Ok((run(tract)?, run(ours)?, replaced))
}

#[cfg(test)]
mod tests {
    #[test]
    fn equals_tract() {
        super::check_against_tract().unwrap();
    }
}
