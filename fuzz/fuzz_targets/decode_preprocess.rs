//! Any bytes through decode + preprocess: an error is fine, a panic, hang or huge allocation is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vibe_opsy::classifier::{decode, preprocess};
use vibe_opsy::Manifest;

fn manifest() -> &'static Manifest {
    static M: OnceLock<Manifest> = OnceLock::new();
    M.get_or_init(|| Manifest::from_json(include_str!("../../models/sklesion.manifest.json")).expect("manifest"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = decode::decode(data) {
        let tensor = preprocess::to_input_tensor(&image.rgb, &manifest().image_input);
        assert_eq!(tensor.data.len(), 254 * 254 * 3);
        assert!(tensor.data.iter().all(|v| v.is_finite()));
    }
});
