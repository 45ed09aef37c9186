//! The classifier's domain: what a skin-lesion prediction is and how an image becomes one. The
//! manifest (labels, classes, input layout, normalisation, metadata encoding, domain check), image
//! decoding and preprocessing, and the [`Prediction`] contract. Platform-independent (no file
//! system, threads or clocks) and free of tract: the model runs in [`crate::engine`].

pub mod decode;
pub mod domain;
pub mod error;
pub mod manifest;
pub mod metadata;
#[cfg(feature = "inference")]
pub mod pipeline;
pub mod prediction;
pub mod preprocess;
pub mod seen_images;

pub use error::ClassifyError;
pub use manifest::Manifest;
pub use metadata::PatientMetadata;
#[cfg(feature = "inference")]
pub use pipeline::Classifier;
pub use prediction::Prediction;
