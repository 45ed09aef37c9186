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

/// A weight behind an identity and two reshapes (as a convolution's declutter wires its kernel)
/// becomes one constant holding the very same buffer: taken over, not copied.
#[test]
fn a_weights_identity_and_reshapes_take_it_over_without_a_copy() {
    use tract_onnx::tract_core::ops::{change_axes::AxisOp, identity::Identity, konst::Const, math};
    use tract_onnx::tract_core::optim::TypedPass;
    use vibe_opsy::engine::passes::const_axes::AxisOpsOnWeights;

    let values: Vec<f32> = (0..6).map(|v| v as f32).collect();
    let weight = Tensor::from_shape(&[3, 2, 1, 1], &values).unwrap();
    let buffer = weight.as_ptr::<f32>().unwrap();
    let mut model = TypedModel::default();
    let x = model.add_source("x", f32::fact([3, 2])).unwrap();
    // Wired on a source (wiring on a constant folds at once), which then becomes the constant.
    let w = model.add_source("w", f32::fact([3, 2, 1, 1])).unwrap();
    let id = model.wire_node("w.id", Identity, &[w]).unwrap()[0];
    let rm3 = model.wire_node("w.rm3", AxisOp::Rm(3), &[id]).unwrap()[0];
    let rm2 = model.wire_node("w.rm2", AxisOp::Rm(2), &[rm3]).unwrap()[0];
    let y = model.wire_node("y", math::add(), &[x, rm2]).unwrap()[0];
    model.select_output_outlets(&[y]).unwrap();
    model.inputs.retain(|i| *i != w);
    let weight = Arc::new(weight);
    model.nodes[w.node].op = Box::new(Const::new(weight.clone()).unwrap());
    model.nodes[w.node].outputs[0].fact = TypedFact::try_from(weight.clone()).unwrap();
    model.nodes[id.node].outputs[0].fact = TypedFact::try_from(weight).unwrap();
    assert!(AxisOpsOnWeights.run_direct(&mut model).unwrap());
    model.compact().unwrap();
    let folded = model.node_by_name("w.rm2").unwrap();
    let konst = folded
        .op_as::<Const>()
        .expect("the last reshape became the constant")
        .val();
    assert_eq!(konst.shape(), &[3, 2]);
    let folded_values: Vec<f32> = konst
        .to_plain_array_view::<f32>()
        .unwrap()
        .iter()
        .copied()
        .collect();
    assert_eq!(folded_values, values);
    assert_eq!(konst.as_ptr::<f32>().unwrap(), buffer, "the weight was copied");
    assert_eq!(
        model
            .outlet_fact(OutletId::new(folded.id, 0))
            .unwrap()
            .konst
            .as_ref(),
        Some(konst)
    );
    assert!(model.node_by_name("w").is_err() && model.node_by_name("w.id").is_err());
    assert_eq!(model.nodes().len(), 3, "x, the weight, y");
}
