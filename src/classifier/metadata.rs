//! Optional patient metadata (age, sex, body site), encoded into the model's metadata vector as the
//! manifest describes. Everything is unknown by default.

use serde::{Deserialize, Serialize};

use super::error::ClassifyError;
use super::manifest::{MetadataFeature, MetadataInput};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

impl PatientMetadata {
    fn text(&self, field: &str) -> Result<Option<&str>, ClassifyError> {
        match field {
            "sex" => Ok(self.sex.as_deref()),
            "site" => Ok(self.site.as_deref()),
            other => Err(ClassifyError::Manifest(format!(
                "metadata field {other:?} is not a text field (sex, site)"
            ))),
        }
    }

    fn number(&self, field: &str) -> Result<Option<f32>, ClassifyError> {
        match field {
            "age" => Ok(self.age),
            other => Err(ClassifyError::Manifest(format!(
                "metadata field {other:?} is not a numeric field (age)"
            ))),
        }
    }

    fn is_known(&self, field: &str) -> Result<bool, ClassifyError> {
        Ok(match field {
            "age" => self.age.is_some(),
            other => self
                .text(other)?
                .is_some_and(|v| !v.trim().is_empty() && !v.eq_ignore_ascii_case("unknown")),
        })
    }
}

/// Normalises a user-supplied value: trimmed, lowercase, spaces/dashes as underscores.
fn normalise(value: &str) -> String {
    value.trim().to_ascii_lowercase().replace([' ', '-', '/'], "_")
}

/// Encodes `meta` as the manifest's metadata vector.
pub fn encode(spec: &MetadataInput, meta: &PatientMetadata) -> Result<Vec<f32>, ClassifyError> {
    let mut out = Vec::new();
    for feature in &spec.features {
        match feature {
            MetadataFeature::OneHot {
                field,
                values,
                unknown,
                aliases,
            } => {
                let given = meta.text(field)?.map(normalise).filter(|v| !v.is_empty());
                let chosen = match given {
                    None => unknown.clone(),
                    Some(v) => {
                        let resolved = aliases
                            .iter()
                            .find(|(k, _)| normalise(k) == v)
                            .map(|(_, target)| target.clone())
                            .unwrap_or(v);
                        if !values.contains(&resolved) {
                            return Err(ClassifyError::InvalidMetadata(format!(
                                "{field} must be one of {}; got {:?}",
                                values.join(", "),
                                meta.text(field)?.unwrap_or_default()
                            )));
                        }
                        resolved
                    }
                };
                out.extend(values.iter().map(|v| if *v == chosen { 1.0 } else { 0.0 }));
            }
            MetadataFeature::Scaled {
                field,
                divisor,
                missing,
                min,
                max,
            } => {
                let value = match meta.number(field)? {
                    None => *missing,
                    Some(v) if v.is_finite() && (*min..=*max).contains(&v) => v,
                    Some(v) => {
                        return Err(ClassifyError::InvalidMetadata(format!(
                            "{field} must be between {min} and {max}; got {v}"
                        )))
                    }
                };
                out.push(value / divisor);
            }
            MetadataFeature::MissingFlag { field } => {
                out.push(if meta.is_known(field)? { 0.0 } else { 1.0 });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::manifest::Manifest;

    fn spec() -> MetadataInput {
        Manifest::from_json(include_str!("../../models/sklesion.manifest.json"))
            .unwrap()
            .metadata_input
            .unwrap()
    }

    #[test]
    fn all_unknown_matches_training_convention() {
        let v = encode(&spec(), &PatientMetadata::default()).unwrap();
        let expected = [0., 0., 1., 0., 0., 0., 0., 1., 51.9 / 90.0, 1.];
        assert_eq!(v.len(), 10);
        for (a, b) in v.iter().zip(expected) {
            assert!((a - b).abs() < 1e-6, "{v:?}");
        }
    }

    #[test]
    fn known_values_and_aliases() {
        let meta = PatientMetadata {
            age: Some(45.0),
            sex: Some("Male".into()),
            site: Some("upper extremity".into()),
        };
        let v = encode(&spec(), &meta).unwrap();
        assert_eq!(&v[..8], &[0., 1., 0., 1., 0., 0., 0., 0.]);
        assert!((v[8] - 0.5).abs() < 1e-6);
        assert_eq!(v[9], 0.0);
    }

    #[test]
    fn bad_values_are_refused() {
        let bad_sex = PatientMetadata {
            sex: Some("robot".into()),
            ..Default::default()
        };
        let err = encode(&spec(), &bad_sex).unwrap_err();
        assert!(
            err.to_string()
                .contains("sex must be one of female, male, unknown"),
            "{err}"
        );
        let bad_age = PatientMetadata {
            age: Some(-3.0),
            ..Default::default()
        };
        assert_eq!(encode(&spec(), &bad_age).unwrap_err().code(), "invalid_metadata");
        let nan_age = PatientMetadata {
            age: Some(f32::NAN),
            ..Default::default()
        };
        assert!(encode(&spec(), &nan_age).is_err());
    }
}
