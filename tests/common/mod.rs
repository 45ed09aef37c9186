//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use vibe_opsy::native::model_files;
use vibe_opsy::Classifier;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/reference`: a copy of the team's reference set (TensorFlow + onnxruntime outputs).
pub fn reference() -> PathBuf {
    repo().join("tests/fixtures/reference")
}

/// `tests/fixtures/bad/bomb_100000x100000.png`: a CRC-correct PNG declaring 30 GB of pixels.
pub fn bomb() -> Vec<u8> {
    std::fs::read(repo().join("tests/fixtures/bad/bomb_100000x100000.png")).unwrap()
}

pub fn bundled_model() -> PathBuf {
    repo().join("models/sklesion.manifest.json")
}

/// The bundled classifier, loaded once per test binary.
pub fn shared_classifier() -> Arc<Classifier> {
    static CLASSIFIER: OnceLock<Arc<Classifier>> = OnceLock::new();
    CLASSIFIER
        .get_or_init(|| {
            Arc::new(
                model_files::load_classifier(&bundled_model())
                    .expect("bundled model loads")
                    .0,
            )
        })
        .clone()
}

pub fn classifier() -> &'static Classifier {
    static CLASSIFIER: OnceLock<Arc<Classifier>> = OnceLock::new();
    CLASSIFIER.get_or_init(shared_classifier)
}

/// A reference image classified twice, as its file and as its decoded RGBA pixels.
pub fn classify_file_and_pixels(
    classifier: &Classifier,
    name: &str,
    meta: &vibe_opsy::PatientMetadata,
) -> (vibe_opsy::Prediction, vibe_opsy::Prediction) {
    let bytes = std::fs::read(reference().join("images").join(name)).unwrap();
    let from_file = classifier.classify(&bytes, meta).unwrap();
    let rgba = image::load_from_memory(&bytes).unwrap().to_rgba8();
    let from_pixels = classifier
        .classify_rgba(rgba.as_raw(), rgba.width(), rgba.height(), meta)
        .unwrap();
    (from_file, from_pixels)
}

/// `expected_w8.json`: image name -> (probabilities by code, top class).
pub fn expected() -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(reference().join("expected_w8.json")).expect("expected_w8.json");
    serde_json::from_str(&text).expect("valid JSON")
}

pub fn is_lossless(name: &str) -> bool {
    [".png", ".bmp", ".gif", ".webp"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Validates `value` against a schema in `schemas/`.
pub fn assert_valid(schema_file: &str, value: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas").join(schema_file)).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{value} does not match {schema_file}: {errors:?}"
    );
}

/// An ONNX graph input/output: a float32 tensor of `dims`.
#[allow(unused_imports)]
pub use vibe_opsy::engine::onnx_proto::f32_value_info;

/// An ONNX initializer: `raw` bytes of `data_type`, shaped `dims`.
#[allow(dead_code)]
pub fn tensor(
    name: &str,
    dims: &[usize],
    data_type: tract_onnx::pb::tensor_proto::DataType,
    raw: Vec<u8>,
) -> tract_onnx::pb::TensorProto {
    tract_onnx::pb::TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: data_type as i32,
        raw_data: raw,
        ..Default::default()
    }
}
