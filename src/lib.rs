//! vibe-opsy: a skin-lesion classifier (the seven HAM10000 classes) that runs natively, in
//! WebAssembly and behind an HTTP API, from one core. Each folder says where its code runs:
//!
//! - [`classifier`]: the classifier's domain — manifest, decoding, preprocessing, the domain check
//!   and the [`Prediction`] contract. Every platform; never touches tract.
//! - `engine`: runs an ONNX model with tract, and every override of tract (listed in its module
//!   doc). Every platform; feature `inference`.
//! - `native`: model files on disk and the domain report (not on wasm32).
//! - `server`: the cloud fallback API (not on wasm32).
//! - `wasm`: the JavaScript boundary (wasm32 only).

pub mod classifier;
#[cfg(feature = "inference")]
pub mod engine;

#[cfg(all(feature = "inference", not(target_arch = "wasm32")))]
pub mod native;
#[cfg(all(feature = "inference", not(target_arch = "wasm32")))]
pub mod server;
#[cfg(all(feature = "inference", target_arch = "wasm32"))]
pub mod wasm;

#[cfg(feature = "inference")]
pub use crate::classifier::Classifier;
pub use crate::classifier::{ClassifyError, Manifest, PatientMetadata, Prediction};
#[cfg(feature = "inference")]
pub use crate::engine::LoadTimings;
