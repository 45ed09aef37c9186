//! Axis changes of a weight applied to the weight itself, without copying it.
//!
//! Why: tract's `PropConst` folds an axis op (`AxisOp`: reshape, add or remove a unit axis, move
//! an axis) whose input is a constant by evaluating it on that constant. The evaluation takes
//! the tensor by value while something else still holds it (the constant's node and fact, or,
//! when `PropConst` walks a chain such as the `Identity` → `AxisOp` a convolution's declutter
//! puts on its kernel, the previous step's result, which it keeps), so the whole weight is
//! deep-copied first, even for a reshape that only changes the shape. On the bundled Xception
//! every convolution kernel goes through such a chain: those copies (84 MB of fresh memory and
//! its page faults) were ≈ 30 % of the model load (`perf`, BENCHMARKS.md "Native").
//!
//! [`AxisOpsOnWeights`] runs just before `PropConst` and does the same fold in place: when a
//! constant's only consumer is an axis op or an identity, it takes the tensor out of the constant
//! (which is left dead, and dropped by the next compaction), applies the op to it (a reshape
//! touches no value; moving an axis is the one permuted copy tract makes too) and turns the axis
//! op into the constant. The graph that results is the one `PropConst` would give: a test checks the
//! decluttered bundled model node for node against tract's.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::identity::Identity;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::optim::{OptimizerSession, TypedPass};

#[derive(Clone, Debug, Default)]
pub struct AxisOpsOnWeights;

impl TypedPass for AxisOpsOnWeights {
    fn reset(&mut self) -> TractResult<()> {
        Ok(())
    }

    fn next(
        &mut self,
        _session: &mut OptimizerSession,
        _model: &TypedModel,
    ) -> TractResult<Option<TypedModelPatch>> {
        Ok(None)
    }

    fn run_direct(&mut self, model: &mut TypedModel) -> TractResult<bool> {
        let outputs = model.output_outlets()?.to_vec();
        let mut changed = false;
        for id in 0..model.nodes.len() {
            let Some(konst) = foldable_input(model, id, &outputs) else {
                continue;
            };
            let axis_op = model.nodes[id].op_as::<AxisOp>().cloned();
            let tensor = take_tensor(&mut model.nodes[konst])?;
            // An identity's fact holds the constant too (its output fact is its input's).
            let fact = &mut model.nodes[id].outputs[0].fact;
            fact.konst = None;
            fact.uniform = None;
            let mut tensor = Arc::try_unwrap(tensor).unwrap_or_else(|shared| shared.deep_clone());
            if let Some(axis_op) = axis_op {
                axis_op.change_tensor(&mut tensor, false).with_context(|| {
                    format!("applying {axis_op:?} to the constant {}", model.nodes[konst].name)
                })?;
            }
            let op = Const::new(tensor.into_arc_tensor())?;
            let fact = op.output_facts(&[])?.remove(0);
            let node = &mut model.nodes[id];
            node.op = Box::new(op);
            node.inputs.clear();
            node.outputs[0].fact = fact;
            changed = true;
        }
        Ok(changed)
    }
}

/// The constant node feeding node `id`, when `id` is an axis op (with a shape known as numbers)
/// or an identity on a plain constant that has no other consumer (and is no model output).
fn foldable_input(model: &TypedModel, id: usize, outputs: &[OutletId]) -> Option<usize> {
    let node = &model.nodes[id];
    match node.op_as::<AxisOp>() {
        Some(AxisOp::Reshape(_, from, to)) => {
            if from.iter().chain(to.iter()).any(|d| d.to_usize().is_err()) {
                return None;
            }
        }
        Some(_) => (),
        None if node.op_is::<Identity>() => (),
        None => return None,
    }
    let [input] = node.inputs.as_slice() else {
        return None;
    };
    let source = &model.nodes[input.node];
    let konst = source.op_as::<Const>()?;
    let single_consumer = source.outputs.len() == 1 && source.outputs[0].successors.len() == 1;
    (single_consumer
        && !outputs.contains(input)
        && konst.exotic_fact().is_none()
        && konst.val().is_plain()
        && node.outputs[0].fact.exotic_fact.is_none())
    .then_some(input.node)
}

/// Takes the tensor out of a constant node, leaving a scalar constant with no consumer in its
/// place (its fact updated to match), so that the tensor's last holder is the caller.
fn take_tensor(node: &mut TypedNode) -> TractResult<Arc<Tensor>> {
    let placeholder = Const::new(rctensor0(0f32))?;
    let fact = placeholder.output_facts(&[])?.remove(0);
    let old = std::mem::replace(&mut node.op, Box::new(placeholder));
    node.outputs[0].fact = fact;
    node.outputs[0].successors.clear();
    let konst = old
        .downcast_ref::<Const>()
        .ok_or_else(|| format_err!("{} is not a constant", node.name))?;
    Ok(konst.val().clone())
}
