//! Every way classifying an image can fail, with messages meant for the person who chose the file.

use thiserror::Error;

/// An error from decoding, preprocessing, model loading or inference.
///
/// `Display` is a complete sentence for end users; [`ClassifyError::code`] is a stable machine code
/// used by the HTTP API and the JS bindings.
#[derive(Debug, Error)]
pub enum ClassifyError {
    #[error("the file is empty")]
    Empty,
    #[error("{format} images are not supported; export or convert the photo to JPEG or PNG and try again (on an iPhone: Settings > Camera > Formats > Most Compatible)")]
    UnsupportedFormat { format: &'static str },
    #[error(
        "not an image: the file looks like {looks_like}; choose a JPEG, PNG, WebP, GIF, BMP or TIFF photo"
    )]
    NotAnImage { looks_like: &'static str },
    #[error("the image is corrupt or truncated ({detail})")]
    Corrupt { detail: String },
    #[error("the image is too large: {width}x{height} pixels (at most {max_side} pixels a side and {max_megapixels} megapixels)")]
    TooLarge {
        width: u64,
        height: u64,
        max_side: u32,
        max_megapixels: u32,
    },
    #[error("the image has no pixels ({width}x{height})")]
    ZeroSized { width: u32, height: u32 },
    #[error("invalid pixel buffer: {0}")]
    InvalidPixels(String),
    #[error("invalid patient metadata: {0}")]
    InvalidMetadata(String),
    #[error("invalid model manifest: {0}")]
    Manifest(String),
    #[error("could not load the model: {0}")]
    ModelLoad(String),
    #[error("inference failed: {0}")]
    Inference(String),
}

impl ClassifyError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ClassifyError::Empty => "empty_file",
            ClassifyError::UnsupportedFormat { .. } => "unsupported_format",
            ClassifyError::NotAnImage { .. } => "not_an_image",
            ClassifyError::Corrupt { .. } => "corrupt_image",
            ClassifyError::TooLarge { .. } => "image_too_large",
            ClassifyError::ZeroSized { .. } => "zero_sized_image",
            ClassifyError::InvalidPixels(_) => "invalid_pixels",
            ClassifyError::InvalidMetadata(_) => "invalid_metadata",
            ClassifyError::Manifest(_) => "invalid_manifest",
            ClassifyError::ModelLoad(_) => "model_load_failed",
            ClassifyError::Inference(_) => "inference_failed",
        }
    }

    /// True when the caller's input is at fault (as opposed to the model or the runtime).
    pub fn is_input_error(&self) -> bool {
        !matches!(
            self,
            ClassifyError::Manifest(_) | ClassifyError::ModelLoad(_) | ClassifyError::Inference(_)
        )
    }
}
