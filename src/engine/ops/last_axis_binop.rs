//! f32 `Add`, `Sub` and `Mul` of a tensor and a constant vector along its last axis, swapped in
//! for tract's generic binary op after optimisation.
//!
//! Why: a Keras `Normalization` layer exported to ONNX starts the bundled model with
//! `(image - mean) * (1 / std)`, per channel of an NHWC image: two binary ops whose constant
//! operand has shape `[1, 1, 1, 3]`. tract 0.23.9 has fast paths for a scalar or a same-shape
//! operand only, so these broadcast through ndarray's generic `Zip`, ≈ 13 ns per value on wasm:
//! ≈ 1.2 % of a warm inference for 2 × 194k values. Here it is one contiguous loop, the constant
//! repeating every `C` values.
//!
//! Same arithmetic, same operand order: bit-identical to tract (tested natively and in headless
//! Chromium).

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::math::{Add, Mul, Sub};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arith {
    Add,
    Sub,
    Mul,
}

/// `tensor ∘ constant` (or `constant ∘ tensor` when `constant_first`), the constant a vector of
/// the tensor's last-axis length, given as the op's input `1 - tensor_slot`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LastAxisBinOp {
    pub arith: Arith,
    /// Which input is the full tensor (the other is the constant vector).
    pub tensor_slot: usize,
    pub shape: TVec<usize>,
}

/// Replaces each eligible f32 `TypedBinOp`; returns how many.
pub fn replace_last_axis_binops(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in 0..model.nodes().len() {
        let Some(ours) = replacement(model, model.node(id))? else {
            continue;
        };
        model.node_mut(id).op = Box::new(ours);
        replaced += 1;
    }
    Ok(replaced)
}

fn replacement(model: &TypedModel, node: &TypedNode) -> TractResult<Option<LastAxisBinOp>> {
    let Some(op) = node.op_as::<TypedBinOp>() else {
        return Ok(None);
    };
    let mini = &op.0;
    let arith = if mini.is::<Add>() {
        Arith::Add
    } else if mini.is::<Sub>() {
        Arith::Sub
    } else if mini.is::<Mul>() {
        Arith::Mul
    } else {
        return Ok(None);
    };
    if node.inputs.len() != 2 || op.1.is_some_and(|dt| dt != DatumType::F32) {
        return Ok(None);
    }
    let facts = model.node_input_facts(node.id)?;
    let output = &node.outputs[0].fact;
    let Some(shape) = output.shape.as_concrete().map(TVec::from) else {
        return Ok(None);
    };
    let Some(&channels) = shape.last() else {
        return Ok(None);
    };
    let is_vector = |slot: usize| {
        model.node(node.inputs[slot].node).op_is::<Const>()
            && facts[slot].konst.as_ref().is_some_and(|k| {
                k.datum_type() == DatumType::F32
                    && k.rank() == shape.len()
                    && k.shape().last() == Some(&channels)
                    && k.len() == channels
            })
    };
    let is_tensor = |slot: usize| {
        facts[slot].datum_type == DatumType::F32
            && facts[slot].konst.is_none()
            && facts[slot].shape.as_concrete() == Some(&shape[..])
    };
    let tensor_slot = match (is_tensor(0) && is_vector(1), is_tensor(1) && is_vector(0)) {
        (true, _) => 0,
        (_, true) => 1,
        _ => return Ok(None),
    };
    if output.datum_type != DatumType::F32 || channels == 0 {
        return Ok(None);
    }
    Ok(Some(LastAxisBinOp {
        arith,
        tensor_slot,
        shape,
    }))
}

impl Op for LastAxisBinOp {
    fn name(&self) -> StaticName {
        "LastAxisBinOp".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let c = self.shape.last().copied().unwrap_or(0);
        let order = if self.tensor_slot == 0 {
            "tensor, vector"
        } else {
            "vector, tensor"
        };
        Ok(vec![format!(
            "{:?}({order}) over {:?}, vector of {c}",
            self.arith, self.shape
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for LastAxisBinOp {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (a, b) = args_2!(inputs);
        let (tensor, vector) = if self.tensor_slot == 0 { (a, b) } else { (b, a) };
        let (tensor, vector) = (tensor.try_as_plain_ram()?, vector.try_as_plain_ram()?);
        let (x, k) = (tensor.as_slice::<f32>()?, vector.as_slice::<f32>()?);
        let len: usize = self.shape.iter().product();
        ensure!(
            x.len() == len && k.len() == self.shape.last().copied().unwrap_or(0) && !k.is_empty(),
            "LastAxisBinOp: {} and {} values for {:?}",
            x.len(),
            k.len(),
            self.shape
        );
        // SAFETY: f32 has no invalid bit patterns, and the loop below writes every value (`out` and
        // `x` have the same length, checked above, and are walked in whole rows of `k.len()`).
        let mut output = unsafe { Tensor::uninitialized::<f32>(&self.shape)? };
        {
            let mut plain = output.try_as_plain_ram_mut()?;
            let out = plain.as_slice_mut::<f32>()?;
            let rows = x.chunks_exact(k.len()).zip(out.chunks_exact_mut(k.len()));
            match (self.arith, self.tensor_slot) {
                (Arith::Add, 0) => rows.for_each(|(x, o)| apply(x, k, o, |x, k| x + k)),
                (Arith::Add, _) => rows.for_each(|(x, o)| apply(x, k, o, |x, k| k + x)),
                (Arith::Sub, 0) => rows.for_each(|(x, o)| apply(x, k, o, |x, k| x - k)),
                (Arith::Sub, _) => rows.for_each(|(x, o)| apply(x, k, o, |x, k| k - x)),
                (Arith::Mul, 0) => rows.for_each(|(x, o)| apply(x, k, o, |x, k| x * k)),
                (Arith::Mul, _) => rows.for_each(|(x, o)| apply(x, k, o, |x, k| k * x)),
            }
        }
        Ok(tvec!(output.into_tvalue()))
    }
}

#[inline(always)]
fn apply(x: &[f32], k: &[f32], out: &mut [f32], f: impl Fn(f32, f32) -> f32) {
    for ((x, k), o) in x.iter().zip(k).zip(out) {
        *o = f(*x, *k);
    }
}

impl TypedOp for LastAxisBinOp {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(&*self.shape)))
    }

    as_op!();
}

/// Runs `arith` on `tensor` (of `shape`) and the vector `k` through tract's own op and through
/// [`LastAxisBinOp`], in both operand orders, and says whether each pair is bit-identical (for
/// tests, native and wasm).
#[cfg(any(test, feature = "test-support"))]
pub fn check_against_tract(arith: Arith, shape: &[usize], tensor: &[f32], k: &[f32]) -> TractResult<bool> {
    let mut all_equal = true;
    for tensor_slot in [0, 1] {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact(shape))?;
        let mut k_shape = vec![1; shape.len()];
        if let Some(last) = k_shape.last_mut() {
            *last = k.len();
        }
        let vector = model.add_const("k", Tensor::from_shape(&k_shape, k)?)?;
        let mini: Box<dyn tract_onnx::tract_core::ops::binary::BinMiniOp> = match arith {
            Arith::Add => Box::new(Add),
            Arith::Sub => Box::new(Sub),
            Arith::Mul => Box::new(Mul),
        };
        let inputs = if tensor_slot == 0 {
            [x, vector]
        } else {
            [vector, x]
        };
        let y = model.wire_node("op", TypedBinOp(mini, None), &inputs)?;
        model.select_output_outlets(&y)?;
        let input = Tensor::from_shape(shape, tensor)?;
        let tracts = model
            .clone()
            .into_runnable()?
            .run(tvec![input.clone().into_tvalue()])?;
        ensure!(replace_last_axis_binops(&mut model)? == 1, "not replaced");
        let ours = model.into_runnable()?.run(tvec![input.into_tvalue()])?;
        let bits = |t: &TValue| -> TractResult<Vec<u32>> {
            Ok(t.try_as_plain_ram()?
                .as_slice::<f32>()?
                .iter()
                .map(|v| v.to_bits())
                .collect())
        };
        all_equal &= bits(&ours[0])? == bits(&tracts[0])?;
    }
    Ok(all_equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.37 + seed).sin() * 300.0).collect()
    }

    #[test]
    fn bit_identical_to_tract() {
        for arith in [Arith::Add, Arith::Sub, Arith::Mul] {
            for shape in [vec![1, 5, 7, 3], vec![2, 4], vec![11]] {
                let n: usize = shape.iter().product();
                let c = *shape.last().unwrap();
                let ok = check_against_tract(arith, &shape, &values(n, 0.5), &values(c, 1.5)).unwrap();
                assert!(ok, "{arith:?} {shape:?}");
            }
        }
    }

    #[test]
    fn leaves_other_broadcasts_to_tract() {
        let mut model = TypedModel::default();
        let x = model.add_source("x", f32::fact([1, 3, 4, 4])).unwrap();
        // per channel on an NCHW tensor: not the last axis
        let k = model
            .add_const("k", Tensor::from_shape(&[1, 3, 1, 1], &[1f32, 2., 3.]).unwrap())
            .unwrap();
        let y = model
            .wire_node("op", TypedBinOp(Box::new(Sub), None), &[x, k])
            .unwrap();
        model.select_output_outlets(&y).unwrap();
        assert_eq!(replace_last_axis_binops(&mut model).unwrap(), 0);
    }
}
