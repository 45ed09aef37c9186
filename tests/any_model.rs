#![cfg(not(target_arch = "wasm32"))]
//! Any ONNX image classifier with a manifest works: a tiny NCHW model with logits and no metadata
//! input, built here from scratch, gives exactly the hand-computed answer.

mod common;

use prost::Message;
use tract_onnx::pb::{tensor_proto::DataType, GraphProto, NodeProto, TensorProto};
use vibe_opsy::{Classifier, Manifest, PatientMetadata};

const MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const STD: [f32; 3] = [0.229, 0.224, 0.225];
/// `[3 channels, 4 classes]`: class i listens to channel i (class 3 to "all dark").
const WEIGHTS: [f32; 12] = [
    2.0, -1.0, -1.0, -1.5, -1.0, 2.0, -1.0, -1.5, -1.0, -1.0, 2.0, -1.5,
];
const BIAS: [f32; 4] = [0.1, 0.0, -0.1, 0.0];

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

fn initializer(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: data.to_vec(),
        ..Default::default()
    }
}

/// pixels [1,3,8,8] -> GlobalAveragePool -> Flatten -> MatMul W -> Add b -> scores [1,4]
fn tiny_onnx() -> Vec<u8> {
    tiny_onnx_with(vec![], vec![initializer("w", &[3, 4], &WEIGHTS)])
}

/// The same network with W stored int8 per output channel behind `DequantizeLinear` (axis 1), as
/// the bundled model stores its weights. The scales are exact, so W is reproduced exactly.
fn tiny_onnx_int8() -> Vec<u8> {
    let scales: Vec<f32> = (0..4)
        .map(|k| (0..3).map(|c| WEIGHTS[c * 4 + k].abs()).fold(0f32, f32::max) / 4.0)
        .collect();
    let q: Vec<u8> = (0..12)
        .map(|i| (WEIGHTS[i] / scales[i % 4]).round() as i8 as u8)
        .collect();
    let mut dequantize = node("DequantizeLinear", &["w_q", "w_scale", "w_zero"], "w");
    dequantize.attribute.push(tract_onnx::pb::AttributeProto {
        name: "axis".into(),
        r#type: tract_onnx::pb::attribute_proto::AttributeType::Int as i32,
        i: 1,
        ..Default::default()
    });
    let int8 = |name: &str, dims: &[i64], raw: Vec<u8>| TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Int8 as i32,
        raw_data: raw,
        ..Default::default()
    };
    tiny_onnx_with(
        vec![dequantize],
        vec![
            int8("w_q", &[3, 4], q),
            initializer("w_scale", &[4], &scales),
            int8("w_zero", &[4], vec![0; 4]),
        ],
    )
}

fn tiny_onnx_with(mut prefix: Vec<NodeProto>, mut weights: Vec<TensorProto>) -> Vec<u8> {
    prefix.extend([
        node("GlobalAveragePool", &["pixels"], "pooled"),
        node("Flatten", &["pooled"], "flat"),
        node("MatMul", &["flat", "w"], "mm"),
        node("Add", &["mm", "b"], "scores"),
    ]);
    weights.push(initializer("b", &[4], &BIAS));
    let graph = GraphProto {
        name: "tiny".into(),
        node: prefix,
        initializer: weights,
        input: vec![common::f32_value_info("pixels", &[1, 3, 8, 8])],
        output: vec![common::f32_value_info("scores", &[1, 4])],
        ..Default::default()
    };
    vibe_opsy::engine::onnx_proto::model(graph).encode_to_vec()
}

fn tiny_manifest() -> Manifest {
    Manifest::from_json(
        &serde_json::json!({
            "name": "tiny", "version": "1", "model_file": "tiny.onnx", "sha256": "0".repeat(64),
            "classes": [
                { "code": "red", "label": "Reddish", "malignant": true },
                { "code": "green", "label": "Greenish", "malignant": false },
                { "code": "blue", "label": "Bluish", "malignant": false },
                { "code": "dark", "label": "Dark", "malignant": false }
            ],
            "image_input": { "name": "pixels", "layout": "NCHW", "width": 8, "height": 8,
                "resize": "bilinear_half_pixel", "value_scale": 1.0, "mean": MEAN, "std": STD },
            "output": { "name": "scores", "kind": "logits" },
            "warnings": { "low_confidence_below": 0.0, "small_image_below": 1 }
        })
        .to_string(),
    )
    .unwrap()
}

/// What the model must answer for a solid colour, computed independently of the crate.
fn expected(rgb: [u8; 3]) -> Vec<f32> {
    let x: Vec<f32> = (0..3)
        .map(|c| (rgb[c] as f32 / 255.0 - MEAN[c]) / STD[c])
        .collect();
    let logits: Vec<f32> = (0..4)
        .map(|k| (0..3).map(|c| x[c] * WEIGHTS[c * 4 + k]).sum::<f32>() + BIAS[k])
        .collect();
    let sum: f32 = logits.iter().map(|l| l.exp()).sum();
    logits.iter().map(|l| l.exp() / sum).collect()
}

fn png(rgb: [u8; 3], w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn tiny_nchw_logits_model_gives_the_hand_computed_answer() {
    check_hand_computed(&tiny_onnx());
}

#[test]
fn int8_weights_behind_dequantize_linear_give_the_same_answer() {
    check_hand_computed(&tiny_onnx_int8());
}

fn check_hand_computed(onnx: &[u8]) {
    let (classifier, _) = Classifier::new(onnx, tiny_manifest(), &|| 0.0).unwrap();
    for (rgb, class) in [
        ([230, 40, 30], "red"),
        ([20, 210, 40], "green"),
        ([30, 60, 240], "blue"),
        ([5, 5, 5], "dark"),
    ] {
        let p = classifier
            .classify(&png(rgb, 37, 23), &PatientMetadata::default())
            .unwrap();
        assert_eq!(p.class, class, "{rgb:?}: {p:?}");
        assert_eq!(p.is_cancer, class == "red");
        let want = expected(rgb);
        for (code, w) in ["red", "green", "blue", "dark"].iter().zip(want) {
            assert!(
                (p.probabilities[*code] - w).abs() < 1e-5,
                "{code}: {} vs {w}",
                p.probabilities[*code]
            );
        }
        common::assert_valid("prediction.schema.json", &serde_json::to_value(&p).unwrap());
    }
}

#[test]
fn manifest_that_does_not_fit_the_model_is_refused() {
    let mut manifest = tiny_manifest();
    manifest.image_input.name = "image".into();
    let err = Classifier::new(&tiny_onnx(), manifest, &|| 0.0)
        .err()
        .expect("refused");
    assert_eq!(err.code(), "model_load_failed");
    assert!(err.to_string().contains("no input named \"image\""), "{err}");
    let err = Classifier::new(b"not an onnx file", tiny_manifest(), &|| 0.0)
        .err()
        .expect("refused");
    assert_eq!(err.code(), "model_load_failed");
}
