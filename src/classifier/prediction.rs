//! The JSON contract shared by the CLI, the wasm package and the HTTP API
//! (`schemas/prediction.schema.json`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::error::ClassifyError;
use super::manifest::{Manifest, OutputKind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Code of the most probable class (e.g. `nv`).
    pub class: String,
    /// Its display name (e.g. `Melanocytic nevus`).
    pub label: String,
    /// Its probability.
    pub confidence: f32,
    /// Whether that class is a cancer. Meaningless when `in_domain` is false (kept for API
    /// compatibility: show `cancer_probability` instead).
    pub is_cancer: bool,
    /// Sum of the probabilities of the cancer classes (mel, bcc, akiec for the bundled model).
    pub cancer_probability: f32,
    /// False when the image does not look like what the model was made for (a dermatoscopic or
    /// close-up photo of a skin lesion, in colour): then no class is an answer, the probabilities are
    /// not meaningful, and a `not_dermatoscopic` or `grayscale` warning says why.
    pub in_domain: bool,
    /// The out-of-domain check's score (higher: more like a dermatoscopic photo); null when the model's
    /// manifest has no check.
    pub domain_score: Option<f32>,
    /// Probability of every class, by code.
    pub probabilities: BTreeMap<String, f32>,
    pub model: ModelInfo,
    pub image: ImageInfo,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub version: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Size after EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// Container format, or `pixels` for raw RGBA input.
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    LowConfidence,
    SmallImage,
    Grayscale,
    NotDermatoscopic,
}

/// What the out-of-domain check decided (see `super::domain`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Domain {
    pub in_domain: bool,
    pub score: Option<f32>,
}

/// Turns the model's output vector into a prediction.
pub fn from_output(
    manifest: &Manifest,
    output: &[f32],
    image: ImageInfo,
    domain: Domain,
    mut warnings: Vec<Warning>,
) -> Result<Prediction, ClassifyError> {
    if output.len() != manifest.classes.len() {
        return Err(ClassifyError::Inference(format!(
            "the model returned {} values for {} classes",
            output.len(),
            manifest.classes.len()
        )));
    }
    if output.iter().any(|v| !v.is_finite()) {
        return Err(ClassifyError::Inference(
            "the model returned a non-finite value".into(),
        ));
    }
    let probabilities = match manifest.output.kind {
        OutputKind::Probabilities => output.to_vec(),
        OutputKind::Logits => softmax(output),
    };
    let (best, &confidence) = probabilities
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .ok_or_else(|| ClassifyError::Inference("empty output".into()))?;
    let class = &manifest.classes[best];
    if domain.in_domain && confidence < manifest.warnings.low_confidence_below {
        warnings.push(Warning {
            code: WarningCode::LowConfidence,
            message: format!(
                "low confidence: the most likely class has only {:.0}% probability",
                confidence * 100.0
            ),
        });
    }
    let cancer_probability = manifest
        .classes
        .iter()
        .zip(&probabilities)
        .filter(|(c, _)| c.malignant)
        .map(|(_, p)| p)
        .sum::<f32>()
        .clamp(0.0, 1.0);
    Ok(Prediction {
        class: class.code.clone(),
        label: class.label.clone(),
        confidence,
        is_cancer: class.malignant,
        cancer_probability,
        in_domain: domain.in_domain,
        domain_score: domain.score,
        probabilities: manifest
            .classes
            .iter()
            .map(|c| c.code.clone())
            .zip(probabilities)
            .collect(),
        model: ModelInfo {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            sha256: manifest.sha256.clone(),
        },
        image,
        warnings,
    })
}

fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.iter().map(|v| v / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let p = softmax(&[1.0, 3.0, 2.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[1] > p[2] && p[2] > p[0]);
    }
}
