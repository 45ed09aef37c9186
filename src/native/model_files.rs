//! Finding and loading a model + manifest from disk.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{Classifier, LoadTimings, Manifest};

/// Environment variable naming the model (a manifest, an `.onnx` beside its manifest, or a folder).
pub const MODEL_ENV: &str = "VIBE_OPSY_MODEL";

/// The bundled model: `$VIBE_OPSY_MODEL`, else `models/` of this source tree, else `./models`.
pub fn default_model_path() -> PathBuf {
    if let Some(p) = std::env::var_os(MODEL_ENV) {
        return PathBuf::from(p);
    }
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/sklesion.manifest.json");
    if built_in.exists() {
        built_in
    } else {
        PathBuf::from("models/sklesion.manifest.json")
    }
}

/// Accepts a manifest (`*.json`), a model (`x.onnx` with `x.manifest.json` or `manifest.json`
/// beside it) or a folder holding exactly one `*.manifest.json`.
pub fn resolve_manifest(path: &Path) -> anyhow::Result<PathBuf> {
    if path.is_dir() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".manifest.json") || p.ends_with("manifest.json"))
            .collect();
        found.sort();
        return match found.len() {
            1 => Ok(found.remove(0)),
            0 => bail!("no *.manifest.json in {}", path.display()),
            _ => bail!("several manifests in {}; name one", path.display()),
        };
    }
    if path.extension().is_some_and(|e| e == "json") {
        return Ok(path.to_path_buf());
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let dir = path.parent().unwrap_or(Path::new("."));
    for candidate in [
        dir.join(format!("{stem}.manifest.json")),
        dir.join("manifest.json"),
    ] {
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    bail!(
        "no manifest for {}: expected {stem}.manifest.json or manifest.json beside it",
        path.display()
    )
}

/// Reads a manifest and the ONNX file it names.
pub fn read_model(path: &Path) -> anyhow::Result<(Manifest, Vec<u8>)> {
    let manifest_path = resolve_manifest(path)?;
    let json = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let manifest = Manifest::from_json(&json).with_context(|| manifest_path.display().to_string())?;
    let onnx_path = manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&manifest.model_file);
    let onnx = std::fs::read(&onnx_path).with_context(|| format!("reading {}", onnx_path.display()))?;
    Ok((manifest, onnx))
}

/// Milliseconds since the first call; the native clock for [`Classifier::new`].
pub fn clock_ms() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// Loads and optimises the model at `path` (see [`resolve_manifest`]).
pub fn load_classifier(path: &Path) -> anyhow::Result<(Classifier, LoadTimings)> {
    let (manifest, onnx) = read_model(path)?;
    Classifier::new(&onnx, manifest, &clock_ms).with_context(|| format!("loading {}", path.display()))
}
