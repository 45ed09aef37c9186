//! tract's optimiser loop, applying each patch without tract 0.23.9's dead duplicate-node scan.
//!
//! Why: `ModelPatch::apply` compares every node it adds with every node of the model (`dyn_eq`
//! on the ops, then the inputs) to reuse an identical node instead, but the `continue` that should
//! skip the insertion only continues the inner loop, so the node is always added and the scan never
//! changes anything. It costs O(model nodes) per added node, over ≈ 1,300 patches on the bundled
//! model: on wasm, where V8 runs this one-off code in its baseline tier, ≈ 20 % of the model
//! optimisation.
//!
//! [`optimize`] is `OptimizerSession::optimize` (same passes, same order, same fixpoints) and
//! [`apply`] is `ModelPatch::apply` without that scan; two differences that cannot change the
//! graph: the wiring table is indexed by patch node instead of hashed, and new nodes whose names
//! collide are renamed in node order instead of a `HashSet`'s. Tests check that the optimised
//! bundled model is the same as tract's, node for node.

use std::collections::{BTreeSet, HashSet};

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::model::{ModelPatch, SpecialOps, STAGE_OPTIMIZED, TRACT_STAGE};
use tract_onnx::tract_core::optim::{Optimizer, OptimizerSession, TypedPass};

/// `TypedModel::optimize` (codegen): [`Optimizer::codegen`] run by [`run`].
pub fn optimize(model: &mut TypedModel) -> TractResult<()> {
    optimize_with(model, None)
}

/// [`optimize`] with `first` run first in each round of codegen's passes (before `PropConst`).
pub fn optimize_with(model: &mut TypedModel, first: Option<Box<dyn TypedPass>>) -> TractResult<()> {
    let mut codegen = Optimizer::codegen();
    if let Some(pass) = first {
        codegen.passes.insert(0, pass);
    }
    run(&codegen, model)?;
    model
        .properties
        .insert(TRACT_STAGE.to_string(), rctensor0(STAGE_OPTIMIZED.to_string()));
    Ok(())
}

/// Runs `optimizer`'s passes over `model` until none of them changes it, as
/// `OptimizerSession::optimize` does, applying patches with [`apply`].
pub fn run(optimizer: &Optimizer, model: &mut TypedModel) -> TractResult<()> {
    let _proof_session = model.symbols.proof_cache_session();
    model.compact().context("during optimizer preflight compaction")?;
    // Passes get tract's session (the ones that optimise sub-graphs use it); the count of applied
    // patches and the loop watchdog are kept here, as the session's are private.
    let mut session = optimizer.session();
    let mut state = State {
        steps: optimizer.steps,
        applied: 0,
        seen: HashSet::new(),
    };
    for i in 0.. {
        let before = state.applied;
        for pass in optimizer.passes.clone().iter_mut() {
            state
                .run_pass(i, pass.as_mut(), &mut session, model)
                .with_context(|| format!("running pass {pass:?}"))?;
            model.compact()?;
        }
        if state.applied == before {
            break;
        }
        model.compact()?;
    }
    Ok(())
}

struct State {
    steps: Option<usize>,
    applied: usize,
    seen: HashSet<String>,
}

impl State {
    fn out_of_steps(&self) -> bool {
        self.steps.is_some_and(|steps| self.applied >= steps)
    }

    /// `run_one_pass_outer`: the pass again and again until it applies nothing.
    fn run_pass(
        &mut self,
        i: usize,
        pass: &mut dyn TypedPass,
        session: &mut OptimizerSession,
        model: &mut TypedModel,
    ) -> TractResult<()> {
        loop {
            let before = self.applied;
            self.run_pass_once(i, pass, session, model)?;
            if self.applied == before {
                return Ok(());
            }
            model.compact().with_context(|| format!("after pass {pass:?}"))?;
        }
    }

    /// `run_one_pass_inner`: every patch the pass proposes, then its direct rewrite.
    fn run_pass_once(
        &mut self,
        i: usize,
        pass: &mut dyn TypedPass,
        session: &mut OptimizerSession,
        model: &mut TypedModel,
    ) -> TractResult<()> {
        pass.reset()?;
        if self.out_of_steps() {
            return Ok(());
        }
        while let Some(mut patch) = pass.next(session, model)? {
            patch.push_context(format!("{pass:?}/{i}"));
            if let Some(watchdog) = patch.dont_apply_twice.take() {
                if !self.seen.insert(watchdog) {
                    continue;
                }
            }
            let context = std::mem::take(&mut patch.context);
            apply(patch, model).with_context(|| {
                let names: Vec<&str> = context.iter().rev().map(String::as_str).collect();
                format!("Applying patch {}", names.join(" >> "))
            })?;
            self.applied += 1;
            if self.out_of_steps() {
                return Ok(());
            }
        }
        pass.run_direct(model)?;
        Ok(())
    }
}

/// `ModelPatch::apply` without the duplicate scan (see the module documentation).
pub fn apply(patch: TypedModelPatch, target: &mut TypedModel) -> TractResult<()> {
    let ModelPatch {
        model: patch,
        taps,
        shunts,
        obliterate,
        inputs: replaced_inputs,
        ..
    } = patch;
    // Where each patch outlet is in the target, by patch node and slot: taps first, then the
    // nodes added below.
    let mut wired: Vec<TVec<Option<OutletId>>> =
        patch.nodes.iter().map(|n| tvec![None; n.outputs.len()]).collect();
    for (from, to) in &taps {
        *wired
            .get_mut(from.node)
            .and_then(|slots| slots.get_mut(from.slot))
            .ok_or_else(|| format_err!("tap {from:?} is not a patch outlet"))? = Some(*to);
    }
    let lookup = |wired: &[TVec<Option<OutletId>>], outlet: OutletId| {
        wired
            .get(outlet.node)
            .and_then(|slots| slots.get(outlet.slot))
            .copied()
            .flatten()
            .ok_or_else(|| format_err!("patch outlet {outlet:?} is wired to nothing"))
    };

    let mut model_inputs = target.input_outlets()?.to_vec();
    let mut added: Vec<(usize, Vec<OutletId>)> = Vec::new();
    for node in patch.nodes {
        if TypedModel::is_source(&node.op) && taps.contains_key(&OutletId::new(node.id, 0)) {
            continue;
        }
        let Node {
            id,
            name,
            inputs,
            op,
            outputs,
        } = node;
        let facts = outputs.into_iter().map(|o| o.fact).collect();
        let new_id = target.add_node(name, op, facts)?;
        for (slot, outlet) in wired[id].iter_mut().enumerate() {
            *outlet = Some(OutletId::new(new_id, slot));
        }
        if TypedModel::is_source(&target.node(new_id).op) {
            // An input replacement.
            let replaced = *replaced_inputs
                .get(&id)
                .ok_or_else(|| format_err!("patch source {id} neither taps nor replaces an input"))?;
            for input in model_inputs.iter_mut().filter(|o| o.node == replaced) {
                input.node = new_id;
            }
        }
        added.push((new_id, inputs));
    }

    let mut shunts: Vec<(OutletId, OutletId)> = shunts.into_iter().collect();
    shunts.sort();
    for &(outlet, by) in &shunts {
        let replace_by = lookup(&wired, by)?;
        let successors = target.nodes[outlet.node].outputs[outlet.slot].successors.clone();
        for successor in successors {
            target.add_edge(replace_by, successor)?;
        }
        for output in target.outputs.iter_mut().filter(|o| **o == outlet) {
            *output = replace_by;
        }
        if let Some(label) = target.outlet_labels.remove(&outlet) {
            target.set_outlet_label(replace_by, label)?;
        }
    }
    for (node, inputs) in &added {
        for (slot, input) in inputs.iter().enumerate() {
            target.add_edge(lookup(&wired, *input)?, InletId::new(*node, slot))?;
        }
    }
    for node in obliterate {
        let dummy = target.create_dummy();
        target.node_mut(node).op = dummy;
    }
    target.set_input_outlets(&model_inputs)?;

    // Nodes left without successors by the shunts, and then their inputs, become dummies.
    let mut maybe_garbage: BTreeSet<usize> = shunts.iter().map(|(o, _)| o.node).collect();
    while let Some(maybe) = maybe_garbage.pop_first() {
        let unused = !target.outputs.iter().any(|o| o.node == maybe)
            && !target.inputs.iter().any(|i| i.node == maybe)
            && target.node(maybe).outputs.iter().all(|o| o.successors.is_empty());
        if unused {
            let dummy = target.create_dummy();
            let node = target.node_mut(maybe);
            node.op = dummy;
            node.name = format!("Dummy-node-{maybe}");
            node.outputs.clear();
            let inputs = std::mem::take(&mut node.inputs);
            for input in inputs {
                target.nodes[input.node].outputs[input.slot]
                    .successors
                    .retain(|s| s.node != maybe);
                maybe_garbage.insert(input.node);
            }
        }
    }

    for &(n, _) in &added {
        if let Some((prefix, _)) = target.nodes[n].name.split_once('#') {
            let prefix = prefix.to_string();
            target.nodes[n].name = target.unique_name(prefix).into_owned();
        } else if target
            .nodes
            .iter()
            .any(|node| node.id != n && node.name == target.nodes[n].name)
        {
            target.nodes[n].name = target.unique_name(target.nodes[n].name.clone()).into_owned();
        }
    }
    Ok(())
}
