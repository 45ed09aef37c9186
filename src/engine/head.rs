//! The model's head: what runs after an inner value (the pooled image features), so that a change
//! of the vector input (patient metadata) re-runs only the small part of the network that depends
//! on it, from the features of the last run on the same image.
//!
//! The head is copied out of the ONNX graph before it is optimised: from the output back to the
//! cut (which becomes a new input) and the vector input. Nothing else of the model may be reached:
//! a head that needs the image again is not a head, and the engine then has none.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tract_onnx::prelude::*;

/// The head graph as extracted, optimised (and its plan built) the first time it runs, when the
/// length of the features is known.
pub struct Head {
    graph: InferenceModel,
    /// Position of the features and of the vector input among the head's inputs.
    features_slot: usize,
    vector_slot: usize,
    plan: OnceLock<Result<Arc<TypedRunnableModel>, String>>,
}

/// Copies the nodes between `cut` / `vector` and `output` into a model of their own, with the
/// cut as its first input and the vector input as its second. `None` when the output depends on
/// another input of `model` (the image) other than through `cut`.
pub fn extract(
    model: &InferenceModel,
    cut: OutletId,
    vector: OutletId,
    output: OutletId,
) -> TractResult<Option<Head>> {
    let inputs = model.input_outlets()?.to_vec();
    let mut head = InferenceModel::default();
    let mut mapped = HashMap::new();
    mapped.insert(
        cut,
        head.add_source("features", InferenceFact::dt(f32::datum_type()))?,
    );
    let vector_fact = model.outlet_fact(vector)?.clone();
    mapped.insert(vector, head.add_source("vector", vector_fact)?);
    // Depth-first from the output, each node after its inputs (an explicit stack: no recursion depth
    // to worry about whatever the model).
    let mut stack = vec![(output, false)];
    while let Some((outlet, inputs_done)) = stack.pop() {
        if mapped.contains_key(&outlet) {
            continue;
        }
        if inputs.contains(&outlet) {
            return Ok(None);
        }
        let node = model.node(outlet.node);
        if !inputs_done {
            stack.push((outlet, true));
            stack.extend(
                node.inputs
                    .iter()
                    .filter(|i| !mapped.contains_key(i))
                    .map(|i| (*i, false)),
            );
            continue;
        }
        let Some(wires) = node
            .inputs
            .iter()
            .map(|i| mapped.get(i).copied())
            .collect::<Option<TVec<_>>>()
        else {
            return Ok(None);
        };
        let outputs = head.wire_node(&node.name, node.op.clone(), &wires)?;
        for (slot, out) in outputs.into_iter().enumerate() {
            mapped.insert(OutletId::new(node.id, slot), out);
        }
    }
    head.select_output_outlets(&[mapped[&output]])?;
    Ok(Some(Head {
        graph: head,
        features_slot: 0,
        vector_slot: 1,
        plan: OnceLock::new(),
    }))
}

impl Head {
    /// The head's output for `features` (as the full model's run gave them) and `vector`.
    pub fn run(&self, features: &[f32], vector: &[f32]) -> TractResult<Vec<f32>> {
        let plan = self
            .plan
            .get_or_init(|| self.optimised(features.len()).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| TractError::msg(format!("the model's head could not be prepared: {e}")))?;
        let mut inputs: TVec<TValue> = tvec![Tensor::default().into_tvalue(); 2];
        inputs[self.features_slot] = Tensor::from_shape(&[1, features.len()], features)?.into_tvalue();
        inputs[self.vector_slot] = Tensor::from_shape(&[1, vector.len()], vector)?.into_tvalue();
        let outputs = plan.run(inputs)?;
        let output = outputs
            .first()
            .ok_or_else(|| TractError::msg("the head produced no output"))?;
        Ok(output.to_plain_array_view::<f32>()?.iter().copied().collect())
    }

    fn optimised(&self, features: usize) -> TractResult<Arc<TypedRunnableModel>> {
        let graph = self
            .graph
            .clone()
            .with_input_fact(self.features_slot, f32::fact([1, features]).into())?;
        super::model::optimize(graph)?.into_runnable()
    }
}
