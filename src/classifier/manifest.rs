//! The model manifest: the single source of truth for labels, malignancy, input layout, resizing,
//! normalisation and the optional patient-metadata input.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::error::ClassifyError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    /// The ONNX file, relative to the manifest.
    pub model_file: String,
    /// sha256 of `model_file`, lowercase hex.
    pub sha256: String,
    pub classes: Vec<ClassInfo>,
    pub image_input: ImageInput,
    #[serde(default)]
    pub metadata_input: Option<MetadataInput>,
    pub output: OutputSpec,
    #[serde(default)]
    pub warnings: WarningThresholds,
    /// The out-of-domain check ([`super::domain`]); without it every colour image counts as in domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_check: Option<DomainCheck>,
}

/// A linear score over the network's penultimate features (L2-normalised) followed by image
/// statistics of the resized input; below `threshold` the image is out of domain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DomainCheck {
    #[serde(default)]
    pub description: String,
    /// The node (or outlet label) of the model whose output is the feature vector.
    pub feature_output: String,
    /// Names of the image statistics appended to the features, in order ([`super::domain::ImageStat`]).
    pub image_stats: Vec<super::domain::ImageStat>,
    /// One weight per feature, then one per statistic.
    pub weights: Vec<f32>,
    pub bias: f32,
    pub threshold: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClassInfo {
    pub code: String,
    pub label: String,
    pub malignant: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Layout {
    #[serde(rename = "NHWC")]
    Nhwc,
    #[serde(rename = "NCHW")]
    Nchw,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMethod {
    /// TensorFlow `tf.image.resize(method="bilinear", antialias=False)`: half-pixel centres,
    /// no antialiasing, no crop, aspect ratio not preserved.
    BilinearHalfPixel,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    pub name: String,
    pub layout: Layout,
    pub width: u32,
    pub height: u32,
    pub resize: ResizeMethod,
    /// Pixels are first mapped to `0..=value_scale` (8-bit value / 255 * value_scale) ...
    pub value_scale: f32,
    /// ... then `(v - mean[c]) / std[c]` per RGB channel.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetadataInput {
    pub name: String,
    /// Concatenated in order to form the metadata vector.
    pub features: Vec<MetadataFeature>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MetadataFeature {
    /// One slot per value; the value given (or `unknown`) is set to 1.
    OneHot {
        field: String,
        values: Vec<String>,
        unknown: String,
        /// Other spellings accepted for a value (e.g. HAM10000 `localization` names).
        #[serde(default)]
        aliases: BTreeMap<String, String>,
    },
    /// One slot: `value / divisor`, or `missing / divisor` when unknown.
    Scaled {
        field: String,
        divisor: f32,
        missing: f32,
        min: f32,
        max: f32,
    },
    /// One slot: 1 when the field is unknown, else 0.
    MissingFlag { field: String },
}

impl MetadataFeature {
    pub fn field(&self) -> &str {
        match self {
            MetadataFeature::OneHot { field, .. }
            | MetadataFeature::Scaled { field, .. }
            | MetadataFeature::MissingFlag { field } => field,
        }
    }

    pub fn width(&self) -> usize {
        match self {
            MetadataFeature::OneHot { values, .. } => values.len(),
            _ => 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub name: String,
    pub kind: OutputKind,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Already a softmax.
    Probabilities,
    /// Raw scores; softmax is applied.
    Logits,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WarningThresholds {
    /// Warn when the top probability is below this.
    pub low_confidence_below: f32,
    /// Warn when the shorter image side is below this many pixels.
    pub small_image_below: u32,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        WarningThresholds {
            low_confidence_below: 0.5,
            small_image_below: 64,
        }
    }
}

impl Manifest {
    /// Parses and validates a manifest.
    pub fn from_json(json: &str) -> Result<Manifest, ClassifyError> {
        let manifest: Manifest =
            serde_json::from_str(json).map_err(|e| ClassifyError::Manifest(e.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<(), ClassifyError> {
        let bad = |m: String| Err(ClassifyError::Manifest(m));
        if self.classes.is_empty() {
            return bad("no classes".into());
        }
        let mut codes: Vec<&str> = self.classes.iter().map(|c| c.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        if codes.len() != self.classes.len() {
            return bad("duplicate class codes".into());
        }
        let input = &self.image_input;
        if input.width == 0 || input.height == 0 || input.width > 4096 || input.height > 4096 {
            return bad(format!(
                "input size {}x{} out of range",
                input.width, input.height
            ));
        }
        if input.std.iter().any(|s| !s.is_finite() || *s == 0.0) || !input.value_scale.is_finite() {
            return bad("std must be finite and non-zero".into());
        }
        if let Some(check) = &self.domain_check {
            if check.weights.len() <= check.image_stats.len() {
                return bad("domain_check: fewer weights than image statistics".into());
            }
            if !check
                .weights
                .iter()
                .chain([&check.bias, &check.threshold])
                .all(|v| v.is_finite())
            {
                return bad("domain_check: weights, bias and threshold must be finite".into());
            }
        }
        if let Some(meta) = &self.metadata_input {
            for feature in &meta.features {
                match feature {
                    MetadataFeature::OneHot {
                        field,
                        values,
                        unknown,
                        aliases,
                    } => {
                        if !values.contains(unknown) {
                            return bad(format!("{field}: unknown value {unknown:?} not among values"));
                        }
                        if let Some((k, v)) = aliases.iter().find(|(_, v)| !values.contains(v)) {
                            return bad(format!("{field}: alias {k:?} points to unknown value {v:?}"));
                        }
                    }
                    MetadataFeature::Scaled { field, divisor, .. } => {
                        if *divisor == 0.0 || !divisor.is_finite() {
                            return bad(format!("{field}: divisor must be non-zero"));
                        }
                    }
                    MetadataFeature::MissingFlag { .. } => {}
                }
            }
        }
        Ok(())
    }

    /// Codes of the classes that are cancers.
    pub fn malignant_codes(&self) -> impl Iterator<Item = &str> {
        self.classes
            .iter()
            .filter(|c| c.malignant)
            .map(|c| c.code.as_str())
    }

    /// Length of the metadata vector, if the model has a metadata input.
    pub fn metadata_len(&self) -> Option<usize> {
        self.metadata_input
            .as_ref()
            .map(|m| m.features.iter().map(MetadataFeature::width).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUNDLED: &str = include_str!("../../models/sklesion.manifest.json");

    #[test]
    fn bundled_manifest_parses_and_has_seven_classes() {
        let m = Manifest::from_json(BUNDLED).unwrap();
        assert_eq!(m.classes.len(), 7);
        assert_eq!(m.metadata_len(), Some(10));
        let malignant: Vec<_> = m
            .classes
            .iter()
            .filter(|c| c.malignant)
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(malignant, ["akiec", "bcc", "mel"]);
    }

    #[test]
    fn rejects_duplicate_classes_and_bad_json() {
        let mut m: serde_json::Value = serde_json::from_str(BUNDLED).unwrap();
        m["classes"][1] = m["classes"][0].clone();
        let err = Manifest::from_json(&m.to_string()).unwrap_err();
        assert!(err.to_string().contains("duplicate"), "{err}");
        assert!(Manifest::from_json("{").is_err());
    }
}
