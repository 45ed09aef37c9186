#![cfg(not(target_arch = "wasm32"))]
//! The out-of-domain check on the evaluation set in `tests/fixtures`: ordinary photos are flagged
//! (≥ 95 % of the held-out ones, which the fit never saw), real dermatoscopic and lesion-like images
//! never are. Same numbers as `vibe-opsy domain-report`.

mod common;

use vibe_opsy::native::domain_report;

#[test]
fn photos_are_flagged_and_lesions_are_not() {
    let items = domain_report::load_set(&common::repo().join("tests/fixtures")).expect("evaluation set");
    assert!(items.iter().filter(|i| i.part == "photos/heldout").count() >= 100);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let report =
        domain_report::evaluate(common::classifier(), &items, threads).expect("every image classifies");
    eprintln!("{}", report.to_text());
    for part in ["dermoscopy", "lesion_like", "synthetic"] {
        assert_eq!(
            report.flagged(part),
            0,
            "false flags on {part}:\n{}",
            report.to_text()
        );
    }
    assert!(
        report.flagged_fraction("photos/heldout") >= 0.95,
        "{}",
        report.to_text()
    );
    assert!(
        report.flagged_fraction("photos/tune") >= 0.95,
        "{}",
        report.to_text()
    );
}

#[test]
fn flagged_predictions_say_so_everywhere_in_the_json() {
    let fx = common::repo().join("tests/fixtures");
    let classify = |path: &str| {
        let bytes = std::fs::read(fx.join(path)).unwrap();
        common::classifier()
            .classify(&bytes, &Default::default())
            .unwrap()
    };
    let photo = classify("domain/photos/skimage_astronaut.jpg");
    assert!(!photo.in_domain);
    let codes: Vec<_> = photo
        .warnings
        .iter()
        .map(|w| serde_json::to_value(w.code).unwrap())
        .collect();
    assert!(codes.contains(&"not_dermatoscopic".into()), "{codes:?}");
    assert!(
        !codes.contains(&"low_confidence".into()),
        "no confidence talk on a flagged image: {codes:?}"
    );
    let lesion = classify("reference/dermoscopy/ISIC_0024354.jpg");
    assert!(lesion.in_domain && lesion.domain_score.unwrap() > photo.domain_score.unwrap());
    let gray = classify("reference/images/v_7_gray.png");
    assert!(!gray.in_domain, "grayscale images are out of domain");
    for p in [&photo, &lesion, &gray] {
        let malignant: f32 = ["akiec", "bcc", "mel"].iter().map(|c| p.probabilities[*c]).sum();
        assert!((p.cancer_probability - malignant).abs() < 1e-6);
        common::assert_valid("prediction.schema.json", &serde_json::to_value(p).unwrap());
    }
}
