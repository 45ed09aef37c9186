//! The classifier: bytes or pixels in, one [`Prediction`] out.

use image::RgbImage;

use super::decode::{self, DecodedImage};
use super::error::ClassifyError;
use super::inference::{Engine, LoadTimings};
use super::manifest::Manifest;
use super::metadata::{self, PatientMetadata};
use super::prediction::{self, ImageInfo, Prediction, Warning, WarningCode};
use super::preprocess::{self, InputTensor};

/// Fewer skin-toned pixels than this (after resizing) suggests the photo is not a close-up of skin.
const MIN_SKIN_FRACTION: f64 = 0.35;

pub struct Classifier {
    manifest: Manifest,
    engine: Engine,
}

impl Classifier {
    /// Loads `onnx` as described by `manifest`. `clock` returns milliseconds and is only used to
    /// report load timings.
    pub fn new(
        onnx: &[u8],
        manifest: Manifest,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Classifier, LoadTimings), ClassifyError> {
        let (engine, timings) = Engine::load(onnx, &manifest, clock)?;
        Ok((Classifier { manifest, engine }, timings))
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Classifies an encoded image file (JPEG, PNG, GIF, WebP, BMP, TIFF).
    pub fn classify(&self, bytes: &[u8], meta: &PatientMetadata) -> Result<Prediction, ClassifyError> {
        let encoded_meta = self.encode_metadata(meta)?;
        let decoded = decode::decode(bytes)?;
        self.classify_decoded(decoded, encoded_meta.as_deref())
    }

    /// Classifies raw RGBA pixels (canvas `ImageData`, camera frames); alpha is ignored.
    pub fn classify_rgba(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        meta: &PatientMetadata,
    ) -> Result<Prediction, ClassifyError> {
        let encoded_meta = self.encode_metadata(meta)?;
        let rgb = decode::rgb_from_rgba(rgba, width, height)?;
        let had_color = has_color(&rgb);
        let decoded = DecodedImage {
            rgb,
            format: "pixels",
            had_color,
        };
        self.classify_decoded(decoded, encoded_meta.as_deref())
    }

    /// The model input tensor for an encoded image, exactly as `classify` builds it.
    pub fn preprocess(&self, bytes: &[u8]) -> Result<InputTensor, ClassifyError> {
        let decoded = decode::decode(bytes)?;
        Ok(preprocess::to_input_tensor(
            &decoded.rgb,
            &self.manifest.image_input,
        ))
    }

    /// Runs the model on a prepared tensor; returns the raw output vector.
    pub fn run_tensor(&self, input: &InputTensor, meta: &PatientMetadata) -> Result<Vec<f32>, ClassifyError> {
        let encoded_meta = self.encode_metadata(meta)?;
        self.engine.run(input, encoded_meta.as_deref())
    }

    fn encode_metadata(&self, meta: &PatientMetadata) -> Result<Option<Vec<f32>>, ClassifyError> {
        self.manifest
            .metadata_input
            .as_ref()
            .map(|spec| metadata::encode(spec, meta))
            .transpose()
    }

    fn classify_decoded(
        &self,
        decoded: DecodedImage,
        encoded_meta: Option<&[f32]>,
    ) -> Result<Prediction, ClassifyError> {
        let spec = &self.manifest.image_input;
        let resized = preprocess::resize(&decoded.rgb, spec);
        let tensor = preprocess::normalise(&resized, spec);
        let warnings = self.image_warnings(&decoded, &resized);
        let output = self.engine.run(&tensor, encoded_meta)?;
        let info = ImageInfo {
            width: decoded.rgb.width(),
            height: decoded.rgb.height(),
            format: decoded.format.to_string(),
        };
        prediction::from_output(&self.manifest, &output, info, warnings)
    }

    fn image_warnings(&self, decoded: &DecodedImage, resized: &[f64]) -> Vec<Warning> {
        let mut warnings = Vec::new();
        let (w, h) = decoded.rgb.dimensions();
        let min_side = self.manifest.warnings.small_image_below;
        if w.min(h) < min_side {
            warnings.push(Warning {
                code: WarningCode::SmallImage,
                message: format!(
                    "the image is only {w}x{h} pixels; the model expects about {}x{} and details are lost when enlarging",
                    self.manifest.image_input.width, self.manifest.image_input.height
                ),
            });
        }
        if !decoded.had_color || !has_color(&decoded.rgb) {
            warnings.push(Warning {
                code: WarningCode::Grayscale,
                message: "the image has no colour; the model was trained on colour dermatoscopic photos"
                    .into(),
            });
        } else if preprocess::color_stats(resized).skin_fraction < MIN_SKIN_FRACTION {
            warnings.push(Warning {
                code: WarningCode::NotDermatoscopic,
                message: "the image does not look like a close-up dermatoscopic photo of skin; the result is unlikely to mean anything".into(),
            });
        }
        warnings
    }
}

fn has_color(rgb: &RgbImage) -> bool {
    rgb.pixels().any(|p| p[0] != p[1] || p[1] != p[2])
}
