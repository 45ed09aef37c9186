#![cfg(not(target_arch = "wasm32"))]
//! A new age, sex or site for an image the classifier has just seen re-runs only the model's head
//! (the layers after the pooled image features): the answers must be those of the whole model.

mod common;

use vibe_opsy::native::model_files;
use vibe_opsy::{Classifier, PatientMetadata};

/// A classifier of its own: the tests count what it remembers.
fn own_classifier() -> Classifier {
    model_files::load_classifier(&common::bundled_model()).unwrap().0
}

fn metadata(age: Option<f32>, sex: Option<&str>, site: Option<&str>) -> PatientMetadata {
    PatientMetadata {
        age,
        sex: sex.map(Into::into),
        site: site.map(Into::into),
    }
}

#[test]
fn new_metadata_for_a_seen_image_gives_the_whole_models_answer() {
    let classifier = &own_classifier();
    let changes = [
        metadata(Some(65.0), None, None),
        metadata(Some(6.0), Some("female"), Some("back")),
        metadata(None, Some("male"), Some("face")),
        metadata(Some(85.0), Some("male"), Some("lower extremity")),
        PatientMetadata::default(),
    ];
    let images = [
        "images/lesion_7_2.png",
        "images/lesion_7_0.jpg",
        "dermoscopy/ISIC_0025606.jpg",
        "images/v_7_gray.png",
    ];
    for image in images {
        let bytes = std::fs::read(common::reference().join(image)).unwrap();
        for meta in &changes {
            // the whole model: an image the classifier does not remember
            classifier.forget_images();
            let whole = classifier.classify(&bytes, meta).unwrap();
            // the same image seen first with other metadata: only the head runs
            classifier.forget_images();
            classifier
                .classify(&bytes, &metadata(Some(40.0), Some("female"), Some("trunk")))
                .unwrap();
            assert_eq!(classifier.images_remembered(), 1);
            let head = classifier.classify(&bytes, meta).unwrap();
            assert_eq!(
                whole.probabilities, head.probabilities,
                "{image} {meta:?}: the head is the same computation"
            );
            let diff = whole
                .probabilities
                .iter()
                .map(|(code, p)| (p - head.probabilities[code]).abs())
                .fold(0.0f32, f32::max);
            assert!(diff <= 1e-6, "{image} {meta:?}: max |diff| {diff}");
            assert_eq!(whole.class, head.class, "{image}");
            assert_eq!(whole.warnings, head.warnings, "{image}");
            assert_eq!(whole.in_domain, head.in_domain, "{image}");
            assert_eq!(whole.domain_score, head.domain_score, "{image}");
            assert_eq!(whole.image, head.image, "{image}");
        }
    }
}

#[test]
fn pixels_and_files_are_remembered_apart_and_bad_metadata_still_errors() {
    let classifier = &own_classifier();
    let bytes = std::fs::read(common::reference().join("images/lesion_7_5.png")).unwrap();
    classifier.forget_images();
    let (file, pixels) =
        common::classify_file_and_pixels(classifier, "lesion_7_5.png", &PatientMetadata::default());
    assert_eq!(pixels.image.format, "pixels", "not the file's remembered answer");
    assert_eq!(file.image.format, "PNG");
    assert_eq!(classifier.images_remembered(), 2);
    let err = classifier
        .classify(&bytes, &metadata(None, Some("robot"), None))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_metadata");
    // other pixels of the same size are another image
    let mut other = image::load_from_memory(&bytes).unwrap().to_rgba8();
    other.get_pixel_mut(0, 0).0[0] ^= 0xff;
    classifier
        .classify_rgba(
            other.as_raw(),
            other.width(),
            other.height(),
            &metadata(Some(50.0), None, None),
        )
        .unwrap();
    assert_eq!(classifier.images_remembered(), 3);
}
