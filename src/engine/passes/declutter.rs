//! tract's declutter, without copying the weights again and again.
//!
//! Why: tract 0.23.9's `ChangeAxes` pass tries to remove every axis of length 1 it sees, starting
//! from each node, constants included. A 1×1 convolution's kernel (`[O, I, 1, 1]`) has two such
//! axes, a depthwise kernel one; every attempt deep-copies the kernel (`Const::change_axes`) before
//! the convolution refuses the change to its kernel, and the pass is re-run after every patch it
//! applies. On the bundled Xception that copying was ≈ 85 % of the declutter and ≈ half of the
//! model load.
//!
//! Here the same pass runs, except that it never *starts* an exploration at a constant of more
//! than [`WEIGHT_MIN_VALUES`] values. Changes that reach such a constant from elsewhere still
//! apply, so nothing that tract would do is lost on this model: a test checks that the decluttered
//! graph is the same node for node.
//!
//! One more difference, where tract-linalg has a channels-last depthwise routine (its wasm builds):
//! there a depthwise `Conv` asks for its channels to be moved last, which turned 21 of Xception's 34
//! depthwise convolutions channels last in the wasm builds only (and their neighbours with them), so
//! that our channels-first op ([`depthwise`]) could not take them and the wasm graph was not the
//! native one. Those requests are dropped for the convolutions our op covers.

use std::collections::HashSet;
use std::fmt;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::change_axes::AxisChange;
use tract_onnx::tract_core::ops::dummy::Dummy;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::optim::change_axes::change_axes;
use tract_onnx::tract_core::optim::{Optimizer, OptimizerSession, TypedPass};

use super::const_axes::AxisOpsOnWeights;
use crate::engine::ops::depthwise;

/// Constants with more values than this are weights: explorations do not start there.
pub const WEIGHT_MIN_VALUES: usize = 4096;

/// Declutters `model` as `TypedModel::declutter` does, with [`ChangeAxesFromActivations`] in
/// place of tract's `ChangeAxes` and [`AxisOpsOnWeights`] just before its `PropConst` (should a
/// tract version have no such pass, its declutter runs without that change).
pub fn declutter(model: &mut TypedModel) -> TractResult<()> {
    let mut optimizer = Optimizer::declutter();
    for pass in optimizer.passes.iter_mut() {
        if format!("{pass:?}") == "ChangeAxes" {
            *pass = Box::<ChangeAxesFromActivations>::default();
        }
    }
    if let Some(prop_const) = optimizer
        .passes
        .iter()
        .position(|p| format!("{p:?}").starts_with("PropConst"))
    {
        optimizer
            .passes
            .insert(prop_const, Box::<AxisOpsOnWeights>::default());
    }
    super::optimizer::run(&optimizer, model)
}

fn is_weight(node: &TypedNode) -> bool {
    node.op_as::<Const>()
        .is_some_and(|c| c.val().len() > WEIGHT_MIN_VALUES)
}

/// tract's `ChangeAxes` pass (`tract_core::optim::change_axes`), skipping weights as starting
/// points.
#[derive(Clone, Default)]
pub struct ChangeAxesFromActivations(HashSet<AxisChange>, usize);

impl fmt::Debug for ChangeAxesFromActivations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeAxesFromActivations")
    }
}

impl TypedPass for ChangeAxesFromActivations {
    fn reset(&mut self) -> TractResult<()> {
        self.0.clear();
        self.1 = 0;
        Ok(())
    }

    fn next(
        &mut self,
        _session: &mut OptimizerSession,
        model: &TypedModel,
    ) -> TractResult<Option<TypedModelPatch>> {
        let mut explored: HashSet<AxisChange> = Default::default();
        let mut interfaces = model.output_outlets()?.to_vec();
        interfaces.extend(model.input_outlets()?.iter());
        for node in &model.nodes()[self.1..] {
            if node.op_is::<Dummy>() || is_weight(node) {
                continue;
            }
            // tract's depthwise `Conv` suggests channels last for tract-linalg's routine; ours
            // replaces it channels first.
            let suggested = if depthwise::covers(model, node)? {
                tvec![]
            } else {
                node.op.suggested_axis_changes()?
            };
            let suggested = suggested.into_iter().map(|(io, op)| AxisChange {
                outlet: io.as_outlet(node),
                op,
            });
            let unit_axes = node.outputs.iter().enumerate().flat_map(|(slot, output)| {
                output
                    .fact
                    .shape
                    .iter()
                    .enumerate()
                    .filter(|(_, dim)| dim.is_one())
                    .map(move |(axis, _)| AxisChange {
                        outlet: OutletId::new(node.id, slot),
                        op: AxisOp::Rm(axis),
                    })
                    .collect::<Vec<_>>()
            });
            for change in suggested.chain(unit_axes) {
                if self.0.insert(change.clone()) {
                    if let Some((patch, _)) = change_axes(model, &change, &interfaces, &[], &mut explored)
                        .with_context(|| format!("Making patch for {change:?} from {node}"))?
                    {
                        self.1 = node.id;
                        return Ok(Some(patch));
                    }
                }
            }
        }
        Ok(None)
    }
}
