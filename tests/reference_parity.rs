#![cfg(not(target_arch = "wasm32"))]
//! Parity with `tests/fixtures/reference` (TensorFlow preprocessing + onnxruntime outputs) on every
//! reference image.

mod common;

use vibe_opsy::PatientMetadata;

fn read_tensor(name: &str) -> Vec<f32> {
    let bytes =
        std::fs::read(common::reference().join("tensors").join(format!("{name}.f32"))).expect("tensor");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[test]
fn preprocessing_matches_reference_tensors_on_lossless_images() {
    let classifier = common::classifier();
    let mut checked = 0;
    for name in common::expected().keys() {
        let bytes = std::fs::read(common::reference().join("images").join(name)).unwrap();
        let ours = classifier
            .preprocess(&bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = read_tensor(name);
        assert_eq!(ours.shape, [1, 254, 254, 3], "{name}");
        assert_eq!(ours.data.len(), theirs.len(), "{name}");
        let max_diff = ours
            .data
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let mean_diff: f32 = ours
            .data
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            / theirs.len() as f32;
        eprintln!("{name:<24} max |diff| {max_diff:.4}  mean {mean_diff:.5}");
        if common::is_lossless(name) {
            assert!(max_diff <= 0.5, "{name}: max abs diff {max_diff} > 0.5");
            checked += 1;
        } else {
            // JPEG decoders differ by a level or two; the mean stays small.
            assert!(mean_diff < 2.0, "{name}: mean abs diff {mean_diff}");
        }
    }
    assert!(checked >= 7, "only {checked} lossless images checked");
}

#[test]
fn probabilities_match_onnxruntime_reference() {
    let classifier = common::classifier();
    let expected = common::expected();
    assert!(expected.len() >= 18);
    for (name, want) in &expected {
        let bytes = std::fs::read(common::reference().join("images").join(name)).unwrap();
        let got = classifier
            .classify(&bytes, &PatientMetadata::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let tolerance = if common::is_lossless(name) { 1e-3 } else { 2e-2 };
        let want_probs = want["probabilities"].as_object().unwrap();
        assert_eq!(got.probabilities.len(), want_probs.len());
        for (code, p) in want_probs {
            let p = p.as_f64().unwrap() as f32;
            let ours = got.probabilities[code];
            assert!(
                (ours - p).abs() <= tolerance,
                "{name} {code}: ours {ours} vs reference {p} (tolerance {tolerance})"
            );
        }
        assert_eq!(got.class, want["top"].as_str().unwrap(), "{name}: top class");
        let size = want["source_size"].as_array().unwrap();
        let (w, h) = (size[0].as_u64().unwrap() as u32, size[1].as_u64().unwrap() as u32);
        assert_eq!(
            (got.image.width, got.image.height),
            (w, h),
            "{name}: oriented size"
        );
        common::assert_valid("prediction.schema.json", &serde_json::to_value(&got).unwrap());
    }
}

#[test]
fn warnings_flag_tiny_grayscale_and_out_of_domain_images() {
    let classifier = common::classifier();
    let classify = |name: &str| {
        let bytes = std::fs::read(common::reference().join("images").join(name)).unwrap();
        classifier.classify(&bytes, &PatientMetadata::default()).unwrap()
    };
    let codes = |name: &str| -> Vec<String> {
        classify(name)
            .warnings
            .iter()
            .map(|w| {
                serde_json::to_value(w.code)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert!(codes("v_7_tiny.png").contains(&"small_image".to_string()));
    assert!(codes("v_7_gray.png").contains(&"grayscale".to_string()));
    assert!(
        codes("grace_hopper.jpg").contains(&"not_dermatoscopic".to_string()),
        "{:?}",
        codes("grace_hopper.jpg")
    );
    assert!(
        codes("lesion_7_0.jpg").is_empty(),
        "{:?}",
        codes("lesion_7_0.jpg")
    );
}

#[test]
fn metadata_changes_the_prediction_and_defaults_to_unknown() {
    let classifier = common::classifier();
    let bytes = std::fs::read(common::reference().join("images/lesion_7_2.png")).unwrap();
    let unknown = classifier.classify(&bytes, &PatientMetadata::default()).unwrap();
    let explicit_unknown = classifier
        .classify(
            &bytes,
            &PatientMetadata {
                sex: Some("unknown".into()),
                site: Some("unknown".into()),
                age: None,
            },
        )
        .unwrap();
    assert_eq!(unknown.probabilities, explicit_unknown.probabilities);
    let known = classifier
        .classify(
            &bytes,
            &PatientMetadata {
                age: Some(75.0),
                sex: Some("male".into()),
                site: Some("back".into()),
            },
        )
        .unwrap();
    assert_ne!(unknown.probabilities, known.probabilities);
}

#[test]
fn bundled_model_matches_its_manifest_hash() {
    use sha2::{Digest, Sha256};
    let manifest = common::classifier().manifest();
    let bytes = std::fs::read(common::repo().join("models").join(&manifest.model_file)).unwrap();
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, manifest.sha256);
}

#[test]
fn rgba_pixels_give_the_same_result_as_the_encoded_file() {
    let (from_file, from_pixels) = common::classify_file_and_pixels(
        common::classifier(),
        "lesion_7_5.png",
        &PatientMetadata::default(),
    );
    assert_eq!(from_file.probabilities, from_pixels.probabilities);
    assert_eq!(from_pixels.image.format, "pixels");
}

#[test]
fn tiff_container_of_the_same_pixels_decodes_like_png() {
    let classifier = common::classifier();
    let png = std::fs::read(common::reference().join("images/lesion_7_2.png")).unwrap();
    let pixels = image::load_from_memory(&png).unwrap();
    let mut tiff = std::io::Cursor::new(Vec::new());
    pixels.write_to(&mut tiff, image::ImageFormat::Tiff).unwrap();
    let from_png = classifier.classify(&png, &PatientMetadata::default()).unwrap();
    let from_tiff = classifier
        .classify(tiff.get_ref(), &PatientMetadata::default())
        .unwrap();
    assert_eq!(from_tiff.image.format, "TIFF");
    assert_eq!(from_png.probabilities, from_tiff.probabilities);
}
