//! The classifier: bytes or pixels in, one [`Prediction`] out.

use image::RgbImage;

use super::decode::{self, DecodedImage};
use super::domain;
use super::error::ClassifyError;
use super::manifest::{Layout, Manifest};
use super::metadata::{self, PatientMetadata};
use super::prediction::{self, Domain, ImageInfo, Prediction, Warning, WarningCode};
use super::preprocess::{self, InputTensor};
use super::seen_images::{self, ImageKey, SeenImage, SeenImages};
use crate::engine::{Engine, EngineError, LoadTimings, ModelSpec};

pub struct Classifier {
    manifest: Manifest,
    engine: Engine,
    /// The last images' features: new metadata for one of them re-runs only the model's head.
    seen: SeenImages,
}

impl Classifier {
    /// Loads `onnx` as described by `manifest`. `clock` returns milliseconds and is only used to
    /// report load timings.
    pub fn new(
        onnx: &[u8],
        manifest: Manifest,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Classifier, LoadTimings), ClassifyError> {
        let (engine, timings) = Engine::load(onnx, &engine_spec(&manifest), clock)
            .map_err(|e| ClassifyError::ModelLoad(e.to_string()))?;
        Ok((
            Classifier {
                manifest,
                engine,
                seen: SeenImages::default(),
            },
            timings,
        ))
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Classifies an encoded image file (JPEG, PNG, GIF, WebP, BMP, TIFF). The same file again
    /// with other metadata re-runs only the part of the model after the image features.
    pub fn classify(&self, bytes: &[u8], meta: &PatientMetadata) -> Result<Prediction, ClassifyError> {
        let encoded_meta = self.encode_metadata(meta)?;
        let key = self.remembers().then(|| seen_images::key(&[b"file", bytes]));
        if let Some(prediction) = self.classify_seen(key.as_ref(), encoded_meta.as_deref())? {
            return Ok(prediction);
        }
        let decoded = decode::decode(bytes)?;
        self.classify_decoded(decoded, encoded_meta.as_deref(), key)
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
        let key = self
            .remembers()
            .then(|| seen_images::key(&[b"rgba", &width.to_le_bytes(), &height.to_le_bytes(), rgba]));
        if let Some(prediction) = self.classify_seen(key.as_ref(), encoded_meta.as_deref())? {
            return Ok(prediction);
        }
        let rgb = decode::rgb_from_rgba(rgba, width, height)?;
        let had_color = has_color(&rgb);
        let decoded = DecodedImage {
            rgb,
            format: "pixels",
            had_color,
        };
        self.classify_decoded(decoded, encoded_meta.as_deref(), key)
    }

    /// Whether images are remembered at all (a model with a head, a capacity above 0): only then is
    /// an image's digest worth computing.
    fn remembers(&self) -> bool {
        self.engine.has_head() && self.seen.capacity() > 0
    }

    /// The prediction for an image seen lately, from its features and the model's head alone;
    /// `None` when the image is not among the last ones or the model has no head.
    fn classify_seen(
        &self,
        key: Option<&ImageKey>,
        encoded_meta: Option<&[f32]>,
    ) -> Result<Option<Prediction>, ClassifyError> {
        let (Some(key), Some(meta)) = (key, encoded_meta) else {
            return Ok(None);
        };
        let Some(seen) = self.seen.get(key) else {
            return Ok(None);
        };
        let Some(output) = self.engine.run_head(&seen.features, meta).map_err(engine_error)? else {
            return Ok(None);
        };
        prediction::from_output(&self.manifest, &output, seen.info, seen.domain, seen.warnings).map(Some)
    }

    /// How many images the classifier remembers the features of (see [`seen_images`]).
    pub fn images_remembered(&self) -> usize {
        self.seen.len()
    }

    /// Forgets the features of every image: the next call runs the whole model (benchmarks, or a
    /// person who wants nothing of their images kept).
    pub fn forget_images(&self) {
        self.seen.clear();
    }

    /// Remembers up to `capacity` images from now on (0: none; default
    /// [`seen_images::DEFAULT_CAPACITY`]).
    pub fn remember_images(&mut self, capacity: usize) {
        self.seen = SeenImages::new(capacity);
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
        Ok(self.run_engine(input, encoded_meta.as_deref())?.output)
    }

    fn run_engine(
        &self,
        input: &InputTensor,
        encoded_meta: Option<&[f32]>,
    ) -> Result<crate::engine::EngineOutput, ClassifyError> {
        self.engine
            .run(&input.shape, &input.data, encoded_meta)
            .map_err(engine_error)
    }

    /// Where a run's time goes, by op kind or by node (see `Engine::profile`); `clock` returns
    /// milliseconds.
    pub fn profile(
        &self,
        input: &InputTensor,
        meta: &PatientMetadata,
        runs: usize,
        by_node: bool,
        clock: &(dyn Fn() -> f64 + Sync),
    ) -> Result<Vec<crate::engine::OpTime>, ClassifyError> {
        let encoded_meta = self.encode_metadata(meta)?;
        self.engine
            .profile(
                &input.shape,
                &input.data,
                encoded_meta.as_deref(),
                runs,
                by_node,
                clock,
            )
            .map_err(|e| ClassifyError::Inference(e.to_string()))
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
        key: Option<ImageKey>,
    ) -> Result<Prediction, ClassifyError> {
        let spec = &self.manifest.image_input;
        let resized = preprocess::resize(&decoded.rgb, spec);
        let tensor = preprocess::normalise(&resized, spec);
        let run = self.run_engine(&tensor, encoded_meta)?;
        let mut warnings = self.size_warnings(&decoded);
        let domain = self.domain(&decoded, &resized, run.features.as_deref(), &mut warnings)?;
        let info = ImageInfo {
            width: decoded.rgb.width(),
            height: decoded.rgb.height(),
            format: decoded.format.to_string(),
        };
        let prediction = prediction::from_output(
            &self.manifest,
            &run.output,
            info.clone(),
            domain,
            warnings.clone(),
        )?;
        if let (Some(key), Some(features)) = (key, run.features) {
            self.seen.insert(
                key,
                SeenImage {
                    features,
                    info,
                    domain,
                    warnings,
                },
            );
        }
        Ok(prediction)
    }

    fn size_warnings(&self, decoded: &DecodedImage) -> Vec<Warning> {
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
        warnings
    }

    /// Does the image look like what the model was made for? Grayscale images never do; colour ones
    /// are scored by the manifest's domain check, if it has one.
    fn domain(
        &self,
        decoded: &DecodedImage,
        resized: &[f64],
        features: Option<&[f32]>,
        warnings: &mut Vec<Warning>,
    ) -> Result<Domain, ClassifyError> {
        let score = match (&self.manifest.domain_check, features) {
            (Some(check), Some(features)) => {
                let spec = &self.manifest.image_input;
                let stats = domain::image_stats(
                    resized,
                    spec.width as usize,
                    spec.height as usize,
                    &check.image_stats,
                );
                Some(domain::score(check, features, &stats).ok_or_else(|| {
                    ClassifyError::Inference(format!(
                        "the domain check expects {} values, the model gave {} features",
                        check.weights.len(),
                        features.len() + stats.len()
                    ))
                })?)
            }
            _ => None,
        };
        if !decoded.had_color || !has_color(&decoded.rgb) {
            warnings.push(Warning {
                code: WarningCode::Grayscale,
                message: "the image has no colour; the model was made for colour dermatoscopic photos, so its answer is not meaningful"
                    .into(),
            });
            return Ok(Domain {
                in_domain: false,
                score: score.map(|s| s.score),
            });
        }
        if score.is_some_and(|s| !s.in_domain) {
            warnings.push(Warning {
                code: WarningCode::NotDermatoscopic,
                message: "the image does not look like a dermatoscopic or close-up photo of a skin lesion; the model labels anything, so its answer is not meaningful here".into(),
            });
        }
        Ok(Domain {
            in_domain: score.is_none_or(|s| s.in_domain),
            score: score.map(|s| s.score),
        })
    }
}

fn engine_error(e: EngineError) -> ClassifyError {
    match e {
        EngineError::Load(m) => ClassifyError::ModelLoad(m),
        EngineError::Run(m) => ClassifyError::Inference(m),
    }
}

/// What the engine must know about the model, from the manifest.
pub fn engine_spec(manifest: &Manifest) -> ModelSpec {
    let image = &manifest.image_input;
    let (h, w) = (image.height as usize, image.width as usize);
    let image_shape = match image.layout {
        Layout::Nhwc => vec![1, h, w, 3],
        Layout::Nchw => vec![1, 3, h, w],
    };
    ModelSpec {
        image_input: image.name.clone(),
        image_shape,
        vector_input: manifest
            .metadata_input
            .as_ref()
            .zip(manifest.metadata_len())
            .map(|(meta, len)| (meta.name.clone(), len)),
        output: manifest.output.name.clone(),
        features: manifest.domain_check.as_ref().map(|c| c.feature_output.clone()),
    }
}

fn has_color(rgb: &RgbImage) -> bool {
    rgb.pixels().any(|p| p[0] != p[1] || p[1] != p[2])
}
