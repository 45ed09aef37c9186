//! Int8 weights kept int8 through the load (src/engine/deferred_weights.rs): their panels are
//! tract's packing of the folded float32 matrix, value for value; the bundled model gives the same
//! bits with and without them, on one thread and on two; a graph that reads a placeholder any other
//! way is loaded again with every weight folded, and still answers right.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Instant;

use tract_linalg::mmm::{MMMInputFormat, MMMInputValue};
use tract_linalg::pack::PackedFormat;
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, GraphProto, NodeProto,
};
use tract_onnx::prelude::*;
use vibe_opsy::classifier::pipeline::engine_spec;
use vibe_opsy::engine::deferred_weights::{DeferredWeight, Int8Panels};
use vibe_opsy::engine::threads::MatmulThreads;
use vibe_opsy::engine::{Engine, ModelSpec};

mod common;

fn clock() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// A `rows × depth` weight with distinct values over the whole byte range and a zero point and
/// scale per row.
fn weight(rows: usize, depth: usize, signed: bool) -> DeferredWeight {
    DeferredWeight {
        name: format!("w{rows}x{depth}"),
        values: (0..rows * depth)
            .map(|i| (i as u8).wrapping_mul(37).wrapping_add(11))
            .collect(),
        signed,
        rows,
        depth,
        zeros: (0..rows).map(|r| (r % 7) as f32 - 3.0).collect(),
        scales: (0..rows).map(|r| 0.001 + r as f32 * 0.0137).collect(),
    }
}

/// The weight folded to float32 with the fold's arithmetic, `(q - zero) * scale`.
fn folded(w: &DeferredWeight) -> Tensor {
    let values: Vec<f32> = w
        .values
        .iter()
        .enumerate()
        .map(|(i, &q)| {
            let row = i / w.depth;
            let q = if w.signed {
                f32::from(q as i8)
            } else {
                f32::from(q)
            };
            (q - w.zeros[row]) * w.scales[row]
        })
        .collect();
    Tensor::from_shape(&[w.rows, w.depth], &values).unwrap()
}

/// The valid values of panel `i` (`r` rows of `depth` steps), as bits.
fn panel(value: &dyn MMMInputValue, i: usize, r: usize, depth: usize, rows: usize) -> Vec<u32> {
    let ptr = value.panel_bytes(i, None).unwrap() as *const f32;
    let valid = r.min(rows - i * r);
    let mut out = Vec::new();
    for k in 0..depth {
        for row in 0..valid {
            // SAFETY: a packed panel holds `depth` steps of `r` values.
            out.push(unsafe { *ptr.add(k * r + row) }.to_bits());
        }
    }
    out
}

#[test]
fn int8_panels_are_tracts_packing_of_the_folded_weight() {
    let formats = [
        PackedFormat::new(f32::datum_type(), 32, 512),
        PackedFormat::new(f32::datum_type(), 6, 512),
        PackedFormat::new(f32::datum_type(), 4, 16).with_end_padding_record(0),
    ];
    for format in &formats {
        for (rows, depth) in [(70, 37), (32, 512), (5, 3)] {
            for signed in [true, false] {
                let w = weight(rows, depth, signed);
                let tracts = format.prepare_one(&folded(&w), 1, 0).unwrap();
                let ours = Int8Panels::pack(&w, format).unwrap();
                assert_eq!((ours.mn(), ours.k()), (tracts.mn(), tracts.k()));
                assert!(ours.format().dyn_eq(tracts.format()));
                // Read twice, panels in both orders: cached panels give the same values.
                let panels = rows.div_ceil(format.r);
                let order: Vec<usize> = (0..panels).chain((0..panels).rev()).collect();
                for &i in &order {
                    assert_eq!(
                        panel(&ours, i, format.r, depth, rows),
                        panel(&*tracts, i, format.r, depth, rows),
                        "{format:?}, {rows}x{depth}, signed {signed}, panel {i}"
                    );
                }
                let (mut a, mut b) = (vec![0f32; depth], vec![0f32; depth]);
                for mn in [0, rows / 2, rows - 1] {
                    ours.extract_at_mn_f32(mn, &mut a).unwrap();
                    tracts.extract_at_mn_f32(mn, &mut b).unwrap();
                    assert_eq!(a, b);
                }
            }
        }
    }
}

#[test]
fn weights_read_in_turn_by_several_threads_at_once_keep_their_own_values() {
    let format = PackedFormat::new(f32::datum_type(), 32, 512);
    let (a, b) = (weight(96, 40, true), weight(64, 300, false));
    let (a_ours, b_ours) = (
        Int8Panels::pack(&a, &format).unwrap(),
        Int8Panels::pack(&b, &format).unwrap(),
    );
    let a_tracts = format.prepare_one(&folded(&a), 1, 0).unwrap();
    let b_tracts = format.prepare_one(&folded(&b), 1, 0).unwrap();
    std::thread::scope(|s| {
        for t in 0..3 {
            let (a_ours, b_ours, a_tracts, b_tracts) = (&a_ours, &b_ours, &a_tracts, &b_tracts);
            let (a, b) = (&a, &b);
            s.spawn(move || {
                for round in 0..4 {
                    // One weight then the other, the threads racing to dequantise the panels.
                    let (first, second) = if (round + t) % 2 == 0 { (0, 1) } else { (1, 0) };
                    for which in [first, second] {
                        let (ours, tracts, w) = if which == 0 {
                            (a_ours, a_tracts, a)
                        } else {
                            (b_ours, b_tracts, b)
                        };
                        for i in 0..w.rows.div_ceil(32) {
                            assert_eq!(
                                panel(ours, i, 32, w.depth, w.rows),
                                panel(&**tracts, i, 32, w.depth, w.rows)
                            );
                        }
                    }
                }
            });
        }
    });
}

fn bundled() -> (Vec<u8>, ModelSpec, Vec<f32>, Vec<f32>) {
    let manifest_path = common::bundled_model();
    let manifest = vibe_opsy::Manifest::from_json(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    let onnx = std::fs::read(manifest_path.with_file_name(&manifest.model_file)).unwrap();
    let spec = engine_spec(&manifest);
    let tensor = std::fs::read(common::repo().join("models/golden/tensors/lesion_7_2.png.f32")).unwrap();
    let image: Vec<f32> = tensor
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let vector = vec![0.25; spec.vector_input.as_ref().map_or(0, |v| v.1)];
    (onnx, spec, image, vector)
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn bundled_model_gives_the_same_bits_with_its_weights_kept_int8() {
    let (onnx, spec, image, vector) = bundled();
    let vector = spec.vector_input.as_ref().map(|_| vector.as_slice());
    let (folded, folded_timings) = Engine::load_deferring(&onnx, &spec, &clock, false).unwrap();
    let (kept, kept_timings) = Engine::load_deferring(&onnx, &spec, &clock, true).unwrap();
    assert_eq!(folded_timings.deferred_weights, 0);
    // Every pointwise convolution's weight (not the 3×3 one, nor the dense layers').
    assert!(kept_timings.deferred_weights >= 30, "{kept_timings:?}");

    let expected = folded.run(&spec.image_shape, &image, vector).unwrap();
    assert_eq!(expected.output.len(), 7);
    for threads in [1, 2] {
        let pool = MatmulThreads::new(threads);
        for _ in 0..2 {
            let got = pool.run(|| kept.run(&spec.image_shape, &image, vector)).unwrap();
            assert_eq!(bits(&got.output), bits(&expected.output), "{threads} threads");
            assert_eq!(
                got.features.as_deref().map(bits),
                expected.features.as_deref().map(bits),
                "{threads} threads"
            );
        }
    }
}

use common::tensor;

const C: usize = 64;
const O: usize = 64;
const SIDE: usize = 16;

/// `y = Conv(src, w1) + Conv(x, w2)`, both weights int8 per output channel behind
/// `DequantizeLinear`; `src` is the input `x` or a constant initializer.
fn two_pointwise_convolutions(src_is_constant: bool) -> Vec<u8> {
    let node = |op: &str, inputs: &[&str], output: &str| NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    };
    let dequantize = |q: &str, scale: &str, output: &str| NodeProto {
        attribute: vec![AttributeProto {
            name: "axis".into(),
            r#type: AttributeType::Int as i32,
            i: 0,
            ..Default::default()
        }],
        ..node("DequantizeLinear", &[q, scale], output)
    };
    let floats = |name: &str, dims: &[usize], values: Vec<f32>| {
        tensor(
            name,
            dims,
            DataType::Float,
            values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        )
    };
    let int8 = |name: &str, seed: u8| {
        let q = (0..O * C)
            .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed))
            .collect();
        tensor(name, &[O, C, 1, 1], DataType::Int8, q)
    };
    let scales =
        |name: &str, base: f32| floats(name, &[O], (0..O).map(|i| base + i as f32 * 0.003).collect());
    let mut initializer = vec![
        int8("w1_q", 1),
        scales("w1_scale", 0.01),
        int8("w2_q", 2),
        scales("w2_scale", 0.02),
    ];
    initializer.push(floats("bias", &[O], (0..O).map(|i| i as f32 * 0.1).collect()));
    if src_is_constant {
        let values = (0..C * SIDE * SIDE).map(|i| i as f32 * 0.01 - 0.5).collect();
        initializer.push(floats("constant", &[1, C, SIDE, SIDE], values));
    }
    let src = if src_is_constant { "constant" } else { "x" };
    let side = SIDE as i64;
    let proto = vibe_opsy::engine::onnx_proto::model(GraphProto {
        name: "pointwise".into(),
        node: vec![
            dequantize("w1_q", "w1_scale", "w1"),
            dequantize("w2_q", "w2_scale", "w2"),
            node("Conv", &[src, "w1", "bias"], "conv1"),
            node("Conv", &["x", "w2", "bias"], "conv2"),
            node("Add", &["conv1", "conv2"], "y"),
        ],
        initializer,
        input: vec![common::f32_value_info("x", &[1, C as i64, side, side])],
        output: vec![common::f32_value_info("y", &[1, O as i64, side, side])],
        ..Default::default()
    });
    use prost::Message;
    proto.encode_to_vec()
}

#[test]
fn a_weight_read_otherwise_is_folded_like_the_others() {
    let spec = ModelSpec {
        image_input: "x".into(),
        image_shape: vec![1, C, SIDE, SIDE],
        vector_input: None,
        output: "y".into(),
        features: None,
    };
    let x: Vec<f32> = (0..C * SIDE * SIDE).map(|i| (i % 13) as f32 - 6.0).collect();
    for src_is_constant in [false, true] {
        let onnx = two_pointwise_convolutions(src_is_constant);
        let (engine, timings) = Engine::load_deferring(&onnx, &spec, &clock, true).unwrap();
        // Of a constant, tract computes the first convolution at load, reading its weight's
        // placeholder, which then never reaches a packing: the load is done again, all folded.
        let expected = if src_is_constant { 0 } else { 2 };
        assert_eq!(
            timings.deferred_weights, expected,
            "constant source: {src_is_constant}"
        );
        let ours = engine.run(&spec.image_shape, &x, None).unwrap().output;

        // tract alone, with its own DequantizeLinear.
        let tracts = tract_onnx::onnx()
            .model_for_read(&mut onnx.as_slice())
            .unwrap()
            .into_optimized()
            .unwrap()
            .into_runnable()
            .unwrap()
            .run(tvec![Tensor::from_shape(&spec.image_shape, &x)
                .unwrap()
                .into_tvalue()])
            .unwrap();
        let tracts: Vec<f32> = tracts[0]
            .to_plain_array_view::<f32>()
            .unwrap()
            .iter()
            .copied()
            .collect();
        assert_eq!(ours.len(), O * SIDE * SIDE);
        assert_eq!(ours.len(), tracts.len());
        for (a, b) in ours.iter().zip(&tracts) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}
