//! vibe-opsy: a skin-lesion classifier (the seven HAM10000 classes) that runs natively, in
//! WebAssembly and behind an HTTP API, from one core.
//!
//! - [`core`]: decoding, preprocessing, inference and the [`Prediction`] contract (no I/O).
//! - `native`: model files on disk (not on wasm32).
//! - `server`: the cloud fallback API (not on wasm32).
//! - `wasm`: the JavaScript boundary (wasm32 only).

pub mod core;

#[cfg(all(feature = "inference", not(target_arch = "wasm32")))]
pub mod native;
#[cfg(all(feature = "inference", not(target_arch = "wasm32")))]
pub mod server;
#[cfg(all(feature = "inference", target_arch = "wasm32"))]
pub mod wasm;

#[cfg(feature = "inference")]
pub use crate::core::{Classifier, LoadTimings};
pub use crate::core::{ClassifyError, Manifest, PatientMetadata, Prediction};
