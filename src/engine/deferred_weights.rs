//! Int8 convolution weights kept int8 through the load and dequantised panel by panel as each
//! matrix product reads them.
//!
//! Why: folding the bundled model's int8 weights to float32 (84 MB) and tract packing that copy for
//! its kernels (84 MB more) were most of the native model load, nearly all of it first-touch page
//! faults of fresh memory; onnxruntime's session does neither (it runs `DequantizeLinear` at every
//! inference). Here a weight whose only reader is a convolution gets a float32 *placeholder* of
//! the right shape, never written (calloc'd), so that tract declutters and plans the graph as
//! before; when tract's codegen wires the packing of that weight for the chosen kernel
//! (`OptMatMulPack` on a constant), [`PackDeferredWeights`] replaces it, before tract's `PropConst`
//! can evaluate it, with the int8 values already in the kernel's panel order ([`Int8Panels`]).
//! At each use, a panel is dequantised into the product's scratch buffer with the fold's own
//! arithmetic, `(q - zero) * scale` in f32, so the kernel reads the same float32 values as before:
//! results are bit-identical.
//!
//! If any placeholder is read otherwise (a pass folding it into another constant) or is not
//! packed, the load is not trusted: [`Deferred::check_all_packed`] fails and the caller loads again
//! with every weight folded (the way it was before).

use std::alloc::Layout;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tract_linalg::mmm::{MMMInputFormat, MMMInputValue, PackedExoticFact, PackedMatrixStorage};
use tract_linalg::pack::PackedFormat;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::matmul::pack::DynPackedExoticFact;
use tract_onnx::tract_core::optim::{OptimizerSession, TypedPass};

/// One deferred weight: `rows × depth` integers (row-major, the convolution's `[O, I, kh, kw]`),
/// each row with its zero point and scale.
pub struct DeferredWeight {
    /// The `DequantizeLinear` output it is (for messages).
    pub name: String,
    pub values: Vec<u8>,
    pub signed: bool,
    pub rows: usize,
    pub depth: usize,
    pub zeros: Vec<f32>,
    pub scales: Vec<f32>,
}

/// The deferred weights of one load, by the address of their placeholder's data.
#[derive(Default)]
pub struct Deferred {
    by_address: Mutex<HashMap<usize, Arc<DeferredWeight>>>,
    packed: Mutex<usize>,
    total: usize,
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Deferred({} weights)", self.total)
    }
}

impl Deferred {
    pub fn new(weights: Vec<(usize, DeferredWeight)>) -> Deferred {
        let total = weights.len();
        Deferred {
            by_address: Mutex::new(weights.into_iter().map(|(a, w)| (a, Arc::new(w))).collect()),
            packed: Mutex::new(0),
            total,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many placeholders there were.
    pub fn len(&self) -> usize {
        self.total
    }

    fn take(&self, address: usize) -> Option<Arc<DeferredWeight>> {
        self.by_address.lock().ok()?.remove(&address)
    }

    /// Fails unless every placeholder went to its packing and nowhere else.
    pub fn check_all_packed(&self) -> TractResult<()> {
        let packed = *self.packed.lock().map_err(|_| format_err!("poisoned"))?;
        let left: Vec<String> = self
            .by_address
            .lock()
            .map_err(|_| format_err!("poisoned"))?
            .values()
            .map(|w| w.name.clone())
            .collect();
        ensure!(
            packed == self.total && left.is_empty(),
            "{packed} of {} deferred int8 weights reached their packing (not: {left:?})",
            self.total
        );
        Ok(())
    }
}

/// The address of a tensor's data (how a placeholder is recognised).
pub fn address(t: &Tensor) -> usize {
    // SAFETY: only the address is taken, nothing is read.
    unsafe { t.as_ptr_unchecked::<u8>() as usize }
}

/// A weight matrix in a kernel's packed f32 layout, held as integers: panels of `r` rows, each
/// `depth` steps of `r` values (then padding), dequantised on use.
#[derive(Clone, Hash, PartialEq, Eq)]
pub struct Int8Panels {
    fact: PackedExoticFact,
    r: usize,
    /// Values per panel, padding included (what tract's packed panel holds).
    panel_len: usize,
    values: Arc<Vec<u8>>,
    signed: bool,
    /// Per padded row: zero point and scale, as bits (for `Hash`).
    zeros: Arc<Vec<u32>>,
    scales: Arc<Vec<u32>>,
    rows: usize,
}

impl fmt::Debug for Int8Panels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Int8Panels({}x{}, r={})", self.rows, self.fact.k, self.r)
    }
}

impl fmt::Display for Int8Panels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Int8Panels {
    /// `w` laid out in `format`'s panels (what `format.prepare_one` does with the float32 matrix).
    pub fn pack(w: &DeferredWeight, format: &PackedFormat) -> TractResult<Int8Panels> {
        ensure!(format.dt == f32::datum_type(), "not an f32 packing: {format:?}");
        ensure!(w.values.len() == w.rows * w.depth && w.zeros.len() == w.rows && w.scales.len() == w.rows);
        let r = format.r;
        let panel_len = format.single_panel_len(w.depth);
        ensure!(panel_len >= w.depth * r);
        let panels = w.rows.div_ceil(r);
        let mut values = vec![0u8; panels * panel_len];
        for (p, panel) in values.chunks_exact_mut(panel_len).enumerate() {
            for row in 0..r.min(w.rows - p * r) {
                let src = &w.values[(p * r + row) * w.depth..][..w.depth];
                for (k, &q) in src.iter().enumerate() {
                    panel[k * r + row] = q;
                }
            }
        }
        let padded = |v: &[f32]| -> Arc<Vec<u32>> {
            let mut bits: Vec<u32> = v.iter().map(|x| x.to_bits()).collect();
            bits.resize(panels * r, 0);
            Arc::new(bits)
        };
        Ok(Int8Panels {
            fact: PackedExoticFact {
                format: Box::new(format.clone()),
                mn: w.rows.to_dim(),
                k: w.depth,
            },
            r,
            panel_len,
            values: Arc::new(values),
            signed: w.signed,
            zeros: padded(&w.zeros),
            scales: padded(&w.scales),
            rows: w.rows,
        })
    }

    fn row_params(&self, panel: usize) -> (&[f32], &[f32]) {
        let cast = |v: &[u32]| -> &[f32] {
            // SAFETY: u32 and f32 have the same size and alignment; every bit pattern is an f32.
            unsafe { std::slice::from_raw_parts(v.as_ptr() as *const f32, v.len()) }
        };
        let range = panel * self.r..(panel + 1) * self.r;
        (&cast(&self.zeros)[range.clone()], &cast(&self.scales)[range])
    }
}

/// `out[k * r + row] = (q - zeros[row]) * scales[row]`: the fold's arithmetic.
#[inline(always)]
fn dequantize_panel(q: &[u8], signed: bool, zeros: &[f32], scales: &[f32], out: &mut [f32]) {
    let r = zeros.len();
    if signed {
        for (qs, os) in q.chunks_exact(r).zip(out.chunks_exact_mut(r)) {
            for (((o, &q), &z), &s) in os.iter_mut().zip(qs).zip(zeros).zip(scales) {
                *o = (f32::from(q as i8) - z) * s;
            }
        }
    } else {
        for (qs, os) in q.chunks_exact(r).zip(out.chunks_exact_mut(r)) {
            for (((o, &q), &z), &s) in os.iter_mut().zip(qs).zip(zeros).zip(scales) {
                *o = (f32::from(q) - z) * s;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dequantize_panel_avx512(q: &[u8], signed: bool, zeros: &[f32], scales: &[f32], out: &mut [f32]) {
    dequantize_panel(q, signed, zeros, scales, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dequantize_panel_avx2(q: &[u8], signed: bool, zeros: &[f32], scales: &[f32], out: &mut [f32]) {
    dequantize_panel(q, signed, zeros, scales, out)
}

impl MMMInputValue for Int8Panels {
    fn format(&self) -> &dyn MMMInputFormat {
        &*self.fact.format
    }

    fn scratch_panel_buffer_layout(&self) -> Option<Layout> {
        let format = self.fact.format.downcast_ref::<PackedFormat>()?;
        Some(format.single_panel_layout(self.fact.k, 4))
    }

    fn panel_bytes(&self, i: usize, buffer: Option<*mut u8>) -> TractResult<*const u8> {
        let buffer = buffer.context("Int8Panels needs a scratch panel")?;
        let q = self
            .values
            .get(i * self.panel_len..(i + 1) * self.panel_len)
            .context("panel out of range")?;
        // SAFETY: tract hands a buffer of `scratch_panel_buffer_layout()`: `panel_len` f32 values,
        // aligned, used by this operand alone during the call.
        let out = unsafe { std::slice::from_raw_parts_mut(buffer as *mut f32, self.panel_len) };
        let (zeros, scales) = self.row_params(i);
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked just above).
                unsafe { dequantize_panel_avx512(q, self.signed, zeros, scales, out) };
                return Ok(buffer);
            }
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { dequantize_panel_avx2(q, self.signed, zeros, scales, out) };
                return Ok(buffer);
            }
        }
        dequantize_panel(q, self.signed, zeros, scales, out);
        Ok(buffer)
    }

    fn mn(&self) -> usize {
        self.rows
    }

    fn k(&self) -> usize {
        self.fact.k
    }

    fn exotic_fact(&self) -> &dyn ExoticFact {
        &self.fact
    }

    fn extract_at_mn_f16(&self, mn: usize, slice: &mut [f16]) -> TractResult<()> {
        let mut f = vec![0f32; slice.len()];
        self.extract_at_mn_f32(mn, &mut f)?;
        for (o, x) in slice.iter_mut().zip(f) {
            *o = f16::from_f32(x);
        }
        Ok(())
    }

    fn extract_at_mn_f32(&self, mn: usize, slice: &mut [f32]) -> TractResult<()> {
        ensure!(mn < self.rows && slice.len() == self.fact.k);
        let (p, row) = (mn / self.r, mn % self.r);
        let (zeros, scales) = self.row_params(p);
        let q = &self.values[p * self.panel_len..];
        for (k, o) in slice.iter_mut().enumerate() {
            let v = q[k * self.r + row];
            let v = if self.signed {
                f32::from(v as i8)
            } else {
                f32::from(v)
            };
            *o = (v - zeros[row]) * scales[row];
        }
        Ok(())
    }
}

/// The codegen pass (run first in each round, before tract's `PropConst`): every `OptMatMulPack`
/// of a placeholder becomes a constant of [`Int8Panels`].
#[derive(Debug, Clone)]
pub struct PackDeferredWeights(pub Arc<Deferred>);

impl TypedPass for PackDeferredWeights {
    fn reset(&mut self) -> TractResult<()> {
        Ok(())
    }

    fn next(
        &mut self,
        _session: &mut OptimizerSession,
        model: &TypedModel,
    ) -> TractResult<Option<TypedModelPatch>> {
        for node in model.eval_order()? {
            let node = model.node(node);
            if node.op.name() != "OptMatMulPack" || node.inputs.len() != 1 {
                continue;
            }
            let input = node.inputs[0];
            let Some(konst) = model.outlet_fact(input)?.konst.clone() else {
                continue;
            };
            if konst.datum_type() != f32::datum_type() {
                continue;
            }
            let Some(weight) = self.0.take(address(&konst)) else {
                continue;
            };
            // The placeholder must have no other reader: its values are not the weight's.
            let readers = model.outlet_successors(input);
            ensure!(
                readers.len() == 1,
                "a deferred weight ({}) has other readers than its packing: {:?}",
                model.node(input.node).name,
                readers
                    .iter()
                    .map(|r| format!("{} ({})", model.node(r.node).name, model.node(r.node).op.name()))
                    .collect::<Vec<_>>()
            );
            let patch = pack_patch(model, node, &weight)?;
            *self.0.packed.lock().map_err(|_| format_err!("poisoned"))? += 1;
            return Ok(Some(patch));
        }
        Ok(None)
    }
}

/// The patch replacing `node` (an `OptMatMulPack` of `weight`'s placeholder) by its packed constant.
fn pack_patch(model: &TypedModel, node: &TypedNode, weight: &DeferredWeight) -> TractResult<TypedModelPatch> {
    let input_fact = model.outlet_fact(node.inputs[0])?;
    let output_fact = &node.outputs[0].fact;
    let packers = &output_fact
        .exotic_fact
        .as_ref()
        .and_then(|f| f.downcast_ref::<DynPackedExoticFact>())
        .context("OptMatMulPack without its packed fact")?
        .packers;
    ensure!(packers.len() == 1, "more than one packing for a deferred weight");
    let format = packers[0]
        .downcast_ref::<PackedFormat>()
        .context("a deferred weight packed in a format that is not PackedFormat")?;
    // Where k and mn are in the input: the op's own axes mapping ('K' and 'M').
    let mapping = node.op.axes_mapping(&[input_fact], &[output_fact])?;
    let axis = |repr: char| -> TractResult<usize> {
        mapping
            .iter_all_axes()
            .find(|a| a.repr == repr)
            .and_then(|a| a.inputs[0].first().copied())
            .with_context(|| format!("no {repr} axis"))
    };
    let (k_axis, mn_axis) = (axis('K')?, axis('M')?);
    let shape = input_fact.shape.as_concrete().context("symbolic weight shape")?;
    let others_are_one = shape
        .iter()
        .enumerate()
        .all(|(i, &d)| i == k_axis || i == mn_axis || d == 1);
    ensure!(
        others_are_one && mn_axis < k_axis && shape[mn_axis] == weight.rows && shape[k_axis] == weight.depth,
        "deferred weight {}x{} packed as {shape:?} (k axis {k_axis}, mn axis {mn_axis})",
        weight.rows,
        weight.depth
    );
    let panels = Int8Panels::pack(weight, format)?;
    let out_shape: TVec<usize> = output_fact
        .shape
        .as_concrete()
        .context("symbolic pack output")?
        .into();
    let tensor =
        PackedMatrixStorage::new_batched(&out_shape, tvec![Box::new(panels) as Box<dyn MMMInputValue>])
            .into_tensor(f32::datum_type());
    let konst = Const::new_with_opt_exotic_fact(tensor.into_arc_tensor(), output_fact.exotic_fact.clone())?;
    TypedModelPatch::replace_single_op(model, node, &[], konst)
}
