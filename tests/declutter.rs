#![cfg(not(target_arch = "wasm32"))]
//! vibe-opsy's declutter (src/engine/passes/declutter.rs) and optimiser loop (src/engine/passes/optimizer.rs) leave
//! the bundled model exactly as tract's own do, node for node, while skipping tract's copies of the
//! weights and its dead duplicate-node scan.

use std::io::Cursor;

use tract_onnx::prelude::*;
use vibe_opsy::engine::ops::last_axis_binop;
use vibe_opsy::engine::passes::{declutter, optimizer};
use vibe_opsy::engine::weights;

fn typed_bundled_model() -> TypedModel {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/models/sklesion_w8.onnx")).unwrap();
    let onnx = tract_onnx::onnx();
    let mut proto = onnx.proto_model_for_read(&mut Cursor::new(bytes)).unwrap();
    let weights = weights::dequantize_constant_weights(&mut proto);
    let mut model = onnx.model_for_proto_model(&proto).unwrap();
    weights.install(&mut model).unwrap();
    model
        .with_input_fact(0, f32::fact([1, 254, 254, 3]).into())
        .unwrap()
        .with_input_fact(1, f32::fact([1, 10]).into())
        .unwrap()
        .into_typed()
        .unwrap()
}

/// Every node: name, op (with its parameters), input wiring and output facts.
fn describe(model: &TypedModel) -> Vec<String> {
    model
        .nodes()
        .iter()
        .map(|n| {
            let facts: Vec<String> = n.outputs.iter().map(|o| format!("{:?}", o.fact)).collect();
            format!("{} {:?} {:?} {:?}", n.name, n.op, n.inputs, facts)
        })
        .collect()
}

fn assert_same_graph(ours: &TypedModel, tracts: &TypedModel) {
    let (ours, tracts) = (describe(ours), describe(tracts));
    assert_eq!(ours.len(), tracts.len());
    for (a, b) in ours.iter().zip(&tracts) {
        assert_eq!(a, b);
    }
}

#[test]
fn tract_declutter_has_the_pass_vibe_opsy_replaces() {
    use tract_onnx::tract_core::optim::Optimizer;
    let passes: Vec<String> = Optimizer::declutter()
        .passes
        .iter()
        .map(|p| format!("{p:?}"))
        .collect();
    assert!(passes.iter().any(|p| p == "ChangeAxes"), "{passes:?}");
}

#[test]
fn bundled_model_declutters_to_the_same_graph_as_with_tract() {
    let mut ours = typed_bundled_model();
    let mut tracts = ours.clone();
    declutter::declutter(&mut ours).unwrap();
    tracts.declutter().unwrap();
    assert_same_graph(&ours, &tracts);
}

#[test]
fn bundled_model_optimises_to_the_same_graph_as_with_tract() {
    let mut ours = typed_bundled_model();
    let tracts = ours.clone().into_optimized().unwrap();
    declutter::declutter(&mut ours).unwrap();
    optimizer::optimize(&mut ours).unwrap();
    assert_eq!(
        format!("{:?}", ours.properties),
        format!("{:?}", tracts.properties)
    );
    assert_same_graph(&ours, &tracts);
}

#[test]
fn bundled_model_normalisation_runs_on_last_axis_binops() {
    let mut model = typed_bundled_model();
    declutter::declutter(&mut model).unwrap();
    optimizer::optimize(&mut model).unwrap();
    // the Keras Normalization layer: (image - mean) * (1 / std), per channel of NHWC
    assert_eq!(last_axis_binop::replace_last_axis_binops(&mut model).unwrap(), 2);
}
