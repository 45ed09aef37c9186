#![cfg(not(target_arch = "wasm32"))]
//! The JSON contract (schemas/) against what Rust reads and writes: the schemas are the source of the
//! package's TypeScript types (scripts/gen-types.mjs), so they must match the Rust types.

mod common;

use common::{assert_valid, repo};
use vibe_opsy::{ClassifyError, Manifest};

#[test]
fn bundled_manifest_matches_its_schema() {
    let path = repo().join("models/sklesion.manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["$schema"], "../schemas/manifest.schema.json");
    assert!(
        path.parent()
            .unwrap()
            .join("../schemas/manifest.schema.json")
            .is_file(),
        "$schema points at a file that exists"
    );
    assert_valid("manifest.schema.json", &json);
}

#[test]
fn manifests_as_rust_writes_them_match_the_schema() {
    let text = std::fs::read_to_string(repo().join("models/sklesion.manifest.json")).unwrap();
    let manifest = Manifest::from_json(&text).unwrap();
    let written = serde_json::to_value(&manifest).unwrap();
    assert_valid("manifest.schema.json", &written);
    // and what the schema accepts at its most minimal, Rust reads (the optional parts default)
    let mut minimal = written.clone();
    for key in [
        "$schema",
        "description",
        "metadata_input",
        "warnings",
        "domain_check",
    ] {
        minimal.as_object_mut().unwrap().remove(key);
    }
    assert_valid("manifest.schema.json", &minimal);
    Manifest::from_json(&minimal.to_string()).expect("a minimal manifest that the schema accepts parses");
}

#[test]
fn schema_rejects_what_rust_rejects() {
    let text = std::fs::read_to_string(repo().join("models/sklesion.manifest.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["image_input"]["colour_space"] = "sRGB".into();
    assert!(Manifest::from_json(&json.to_string()).is_err());
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/manifest.schema.json")).unwrap())
            .unwrap();
    assert!(!jsonschema::validator_for(&schema).unwrap().is_valid(&json));
}

/// Every error the core can raise, one per variant: the exhaustive match fails to compile when a
/// variant is added, so the list (and the schema's enum) cannot fall behind.
fn every_core_error() -> Vec<ClassifyError> {
    let all = vec![
        ClassifyError::Empty,
        ClassifyError::UnsupportedFormat { format: "HEIC" },
        ClassifyError::NotAnImage { looks_like: "a PDF" },
        ClassifyError::Corrupt { detail: "x".into() },
        ClassifyError::TooLarge {
            width: 1,
            height: 1,
            max_side: 1,
            max_megapixels: 1,
        },
        ClassifyError::ZeroSized { width: 0, height: 0 },
        ClassifyError::InvalidPixels("x".into()),
        ClassifyError::InvalidMetadata("x".into()),
        ClassifyError::Manifest("x".into()),
        ClassifyError::ModelLoad("x".into()),
        ClassifyError::Inference("x".into()),
    ];
    for e in &all {
        match e {
            ClassifyError::Empty
            | ClassifyError::UnsupportedFormat { .. }
            | ClassifyError::NotAnImage { .. }
            | ClassifyError::Corrupt { .. }
            | ClassifyError::TooLarge { .. }
            | ClassifyError::ZeroSized { .. }
            | ClassifyError::InvalidPixels(_)
            | ClassifyError::InvalidMetadata(_)
            | ClassifyError::Manifest(_)
            | ClassifyError::ModelLoad(_)
            | ClassifyError::Inference(_) => {}
        }
    }
    all
}

#[test]
fn every_core_error_code_is_in_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/error.schema.json")).unwrap())
            .unwrap();
    let listed: Vec<&str> = schema["$defs"]["CoreErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let codes: Vec<&str> = every_core_error().iter().map(ClassifyError::code).collect();
    assert_eq!(
        codes, listed,
        "schemas/error.schema.json lists the core's codes, in order"
    );
    for e in every_core_error() {
        assert_valid(
            "error.schema.json",
            &serde_json::json!({ "error": { "code": e.code(), "message": e.to_string() } }),
        );
    }
}
