//! The platform-independent core: no file system, threads or clocks, so it builds for wasm32 too.

pub mod classifier;
pub mod decode;
pub mod error;
pub mod inference;
pub mod manifest;
pub mod metadata;
pub mod prediction;
pub mod preprocess;

pub use classifier::Classifier;
pub use error::ClassifyError;
pub use inference::LoadTimings;
pub use manifest::Manifest;
pub use metadata::PatientMetadata;
pub use prediction::Prediction;
