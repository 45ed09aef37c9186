//! The platform-independent core: no file system, threads or clocks, so it builds for wasm32 too.

#[cfg(feature = "inference")]
pub mod classifier;
#[cfg(feature = "inference")]
pub mod declutter;
pub mod decode;
pub mod domain;
pub mod error;
#[cfg(feature = "inference")]
pub mod heap;
#[cfg(feature = "inference")]
pub mod inference;
#[cfg(feature = "inference")]
pub mod last_axis_binop;
pub mod manifest;
#[cfg(feature = "inference")]
pub mod maxpool;
pub mod metadata;
#[cfg(feature = "inference")]
pub mod optimizer;
pub mod prediction;
pub mod preprocess;
#[cfg(all(feature = "inference", target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm_matmul;
#[cfg(feature = "inference")]
pub mod weights;

#[cfg(feature = "inference")]
pub use classifier::Classifier;
pub use error::ClassifyError;
#[cfg(feature = "inference")]
pub use inference::LoadTimings;
pub use manifest::Manifest;
pub use metadata::PatientMetadata;
pub use prediction::Prediction;
