//! vibe-opsy's folding of constant `DequantizeLinear` nodes (src/engine/weights.rs) gives the same
//! float32 weights as tract's own `DequantizeLinear`, bit for bit: per tensor and per channel,
//! int8 and uint8, with and without zero points, raw bytes or the `int32_data` field, any axis.
#![cfg(not(target_arch = "wasm32"))]

use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, GraphProto, ModelProto,
    NodeProto, TensorProto,
};
use tract_onnx::prelude::*;
use vibe_opsy::engine::weights;

mod common;

const SHAPE: [usize; 3] = [2, 3, 40];
const DIMS: [i64; 3] = [2, 3, 40];

use common::tensor;

fn floats(name: &str, values: &[f32]) -> TensorProto {
    let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    tensor(name, &[values.len()], DataType::Float, raw)
}

/// Distinct quantised values covering the whole byte range.
fn quantised(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
        .collect()
}

/// One `DequantizeLinear` per case, each added to the input `x` (so the model has an input and
/// its outputs are the weights exactly: `w + 0.0`).
fn model() -> ModelProto {
    let len: usize = SHAPE.iter().product();
    let mut nodes = Vec::new();
    let mut initializers = Vec::new();
    let mut outputs = Vec::new();
    let mut case =
        |name: &str, q: TensorProto, scale: TensorProto, zero: Option<TensorProto>, axis: Option<i64>| {
            let mut inputs = vec![q.name.clone(), scale.name.clone()];
            initializers.extend([q, scale]);
            if let Some(z) = zero {
                inputs.push(z.name.clone());
                initializers.push(z);
            }
            nodes.push(NodeProto {
                op_type: "DequantizeLinear".into(),
                input: inputs,
                output: vec![format!("{name}_w")],
                attribute: axis
                    .map(|i| AttributeProto {
                        name: "axis".into(),
                        r#type: AttributeType::Int as i32,
                        i,
                        ..Default::default()
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            });
            nodes.push(NodeProto {
                op_type: "Add".into(),
                input: vec![format!("{name}_w"), "x".into()],
                output: vec![name.into()],
                ..Default::default()
            });
            outputs.push(common::f32_value_info(name, &DIMS));
        };
    // int8 per channel along axis 1 (the default), with zero points.
    case(
        "per_channel",
        tensor("a_q", &SHAPE, DataType::Int8, quantised(len, 1)),
        floats("a_scale", &[0.5, 0.013, 3.25]),
        Some(tensor("a_zero", &[3], DataType::Int8, vec![0, 5, (-7i8) as u8])),
        None,
    );
    // uint8 per tensor, zero point 128.
    case(
        "per_tensor",
        tensor("b_q", &SHAPE, DataType::Uint8, quantised(len, 2)),
        floats("b_scale", &[0.0078125]),
        Some(tensor("b_zero", &[], DataType::Uint8, vec![128])),
        None,
    );
    // int8 per channel along the last axis (negative), no zero point.
    case(
        "last_axis",
        tensor("c_q", &SHAPE, DataType::Int8, quantised(len, 3)),
        floats("c_scale", &(1..=40).map(|i| i as f32 * 0.1).collect::<Vec<_>>()),
        None,
        Some(-1),
    );
    // int8 values in the int32_data field, per channel along axis 0.
    let mut wide = tensor("d_q", &SHAPE, DataType::Int8, Vec::new());
    wide.int32_data = quantised(len, 4)
        .into_iter()
        .map(|b| i32::from(b as i8))
        .collect();
    case(
        "int32_field",
        wide,
        floats("d_scale", &[1.5, 0.001]),
        Some(tensor("d_zero", &[2], DataType::Int8, vec![1, (-128i8) as u8])),
        Some(0),
    );
    vibe_opsy::engine::onnx_proto::model(GraphProto {
        name: "weights".into(),
        node: nodes,
        initializer: initializers,
        input: vec![common::f32_value_info("x", &DIMS)],
        output: outputs,
        ..Default::default()
    })
}

fn run(model: InferenceModel) -> Vec<Vec<u32>> {
    let x = Tensor::zero::<f32>(&SHAPE).unwrap();
    let outputs = model
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap()
        .run(tvec![x.into_tvalue()])
        .unwrap();
    outputs
        .iter()
        .map(|o| {
            o.to_plain_array_view::<f32>()
                .unwrap()
                .iter()
                .map(|v| v.to_bits())
                .collect()
        })
        .collect()
}

#[test]
fn folded_weights_equal_tracts_dequantize_linear_bit_for_bit() {
    let onnx = tract_onnx::onnx();
    let original = model();
    let tracts = run(onnx.model_for_proto_model(&original).unwrap());

    let mut proto = original.clone();
    let folded = weights::dequantize_constant_weights(&mut proto);
    assert_eq!(folded.len(), 4);
    let graph = proto.graph.as_ref().unwrap();
    assert!(graph.initializer.is_empty(), "the int8 initializers are dropped");
    let mut model = onnx.model_for_proto_model(&proto).unwrap();
    folded.install(&mut model).unwrap();
    let ours = run(model);

    assert_eq!(ours.len(), 4);
    assert!(ours.iter().all(|o| o.len() == SHAPE.iter().product::<usize>()));
    assert_eq!(ours, tracts);
    // The cases do dequantise (not all zeros).
    assert!(ours.iter().all(|o| o.iter().any(|&b| f32::from_bits(b) != 0.0)));
}

#[test]
fn unsupported_dequantize_linear_is_left_to_tract() {
    let mut proto = model();
    let graph = proto.graph.as_mut().unwrap();
    // A scale that is not an initializer: the node is not folded and keeps its inputs.
    graph.initializer.retain(|t| t.name != "b_scale");
    graph.input.push(common::f32_value_info("b_scale", &DIMS));
    let folded = weights::dequantize_constant_weights(&mut proto);
    assert_eq!(folded.len(), 3);
    let graph = proto.graph.as_ref().unwrap();
    let kept = graph.node.iter().find(|n| n.output == ["per_tensor_w"]).unwrap();
    assert_eq!(kept.input, ["b_q", "b_scale", "b_zero"]);
    assert!(graph.initializer.iter().any(|t| t.name == "b_q"));
}

#[test]
fn weights_folded_on_two_threads_equal_tracts_bit_for_bit() {
    // Every weight split over the pool, however small (the default threshold keeps these inline).
    tract_linalg::multithread::set_threading_element_threshold(0);
    let onnx = tract_onnx::onnx();
    let original = model();
    let tracts = run(onnx.model_for_proto_model(&original).unwrap());

    let mut proto = original.clone();
    let pool = vibe_opsy::engine::threads::MatmulThreads::new(2);
    let folded = pool.run(|| weights::dequantize_constant_weights(&mut proto));
    assert_eq!(folded.len(), 4);
    let mut model = onnx.model_for_proto_model(&proto).unwrap();
    folded.install(&mut model).unwrap();
    assert_eq!(run(model), tracts);
}

/// `decode_and_dequantize` (the int8 bytes read in place, `src/engine/weight_bytes.rs`) against
/// `prost` then `dequantize_constant_weights`: the same message left for tract, the same values.
fn assert_in_place_decoding_is_prosts(onnx: &[u8]) -> usize {
    use prost::Message;
    let mut expected = ModelProto::decode(onnx).unwrap();
    let expected_folded = weights::dequantize_constant_weights(&mut expected);
    let (proto, folded) = weights::decode_and_dequantize(onnx, false, |_| ()).unwrap();
    assert_eq!(proto, expected);
    let values = |d: &weights::Dequantized| -> Vec<(String, Tensor)> {
        d.iter().map(|(n, t)| (n.to_string(), t.clone())).collect()
    };
    assert_eq!(values(&folded), values(&expected_folded));
    folded.len()
}

#[test]
fn bundled_model_decoded_in_place_gives_the_same_message_and_weights() {
    use prost::Message;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/sklesion_w8.onnx");
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(assert_in_place_decoding_is_prosts(&bytes), 76);

    // One weight that cannot be folded (its scale made a graph input): its int8 bytes, left in
    // the file by the decoding, are put back into the message for tract.
    let mut proto = ModelProto::decode(bytes.as_slice()).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    let node = graph
        .node
        .iter()
        .find(|n| n.op_type == "DequantizeLinear")
        .unwrap()
        .clone();
    let scale = node.input[1].clone();
    graph.initializer.retain(|t| t.name != scale);
    graph.input.push(common::f32_value_info(&scale, &[1]));
    let unfoldable = proto.encode_to_vec();
    assert_eq!(assert_in_place_decoding_is_prosts(&unfoldable), 75);
    let (left, _) = weights::decode_and_dequantize(&unfoldable, false, |_| ()).unwrap();
    let weight = left
        .graph
        .as_ref()
        .unwrap()
        .initializer
        .iter()
        .find(|t| t.name == node.input[0]);
    assert!(
        weight.is_some_and(|t| t.raw_data.len() >= 4096),
        "kept, with its bytes"
    );
}
