//! The JavaScript boundary: `LesionClassifier` for browsers, workers and Node.
//!
//! Every fallible call returns a JS `Error` whose `message` is the core's sentence and whose `code`
//! is [`ClassifyError::code`]; nothing here panics on input (a panic would trap the module).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::{Classifier, ClassifyError, Manifest, PatientMetadata};

#[cfg(feature = "threads")]
pub mod threads;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: present in windows, workers and Node >= 16.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn js_error(e: ClassifyError) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    error.set_name("ClassifyError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &e.code().into());
    error.into()
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            js_error(ClassifyError::Inference(format!(
                "could not convert the result: {e}"
            )))
        })
}

fn metadata_from_js(value: JsValue) -> Result<PatientMetadata, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(PatientMetadata::default());
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        js_error(ClassifyError::InvalidMetadata(format!(
            "expected {{ age?, sex?, site? }}: {e}"
        )))
    })
}

/// Loads and runs a small model shaped like the bundled one (`engine::warmup`). Called while the
/// real model downloads, it gets the engine's code optimised by the browser before the real load.
/// Returns the milliseconds it took.
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up() -> Result<f64, JsValue> {
    let started = performance_now();
    crate::engine::warmup::run(&performance_now)
        .map_err(|e| js_error(ClassifyError::Inference(format!("warm-up: {e}"))))?;
    Ok(performance_now() - started)
}

/// A loaded model. Create once (loading and optimising takes most of the cold start), classify
/// many times, then `free()` it.
#[wasm_bindgen]
pub struct LesionClassifier {
    inner: Classifier,
    parse_ms: f64,
    optimize_ms: f64,
    deferred_weights: usize,
}

#[wasm_bindgen]
impl LesionClassifier {
    /// Loads an ONNX model described by `manifestJson` (the text of its `*.manifest.json`).
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8], manifest_json: &str) -> Result<LesionClassifier, JsValue> {
        let manifest = Manifest::from_json(manifest_json).map_err(js_error)?;
        let (inner, timings) = Classifier::new(model, manifest, &performance_now).map_err(js_error)?;
        Ok(LesionClassifier {
            inner,
            parse_ms: timings.parse_ms,
            optimize_ms: timings.optimize_ms,
            deferred_weights: timings.deferred_weights,
        })
    }

    /// Classifies an encoded image file (JPEG, PNG, GIF, WebP, BMP, TIFF). `metadata` is
    /// `{ age?: number, sex?: string, site?: string }` or undefined.
    pub fn classify(&self, image: &[u8], metadata: JsValue) -> Result<JsValue, JsValue> {
        let metadata = metadata_from_js(metadata)?;
        let prediction = self.inner.classify(image, &metadata).map_err(js_error)?;
        to_js(&prediction)
    }

    /// Classifies RGBA pixels (e.g. `ImageData.data`), `width * height * 4` bytes.
    #[wasm_bindgen(js_name = classifyPixels)]
    pub fn classify_pixels(
        &self,
        rgba: &[u8],
        width: u32,
        height: u32,
        metadata: JsValue,
    ) -> Result<JsValue, JsValue> {
        let metadata = metadata_from_js(metadata)?;
        let prediction = self
            .inner
            .classify_rgba(rgba, width, height, &metadata)
            .map_err(js_error)?;
        to_js(&prediction)
    }

    /// Forgets the features kept of the last images (the same image with new metadata then runs
    /// the whole model again).
    #[wasm_bindgen(js_name = forgetImages)]
    pub fn forget_images(&self) {
        self.inner.forget_images();
    }

    /// Where an inference's time goes on this device: the model run `runs` times on `image`
    /// (decoded and resized once), each node timed as it runs, summed by op kind (or per node with
    /// `byNode`), slowest first: `[{ op, ms_per_run, nodes }]`. For measuring (`bench/wasm-profile.mjs`);
    /// the threaded build runs it on its pool like `classify`.
    pub fn profile(&self, image: &[u8], runs: u32, by_node: bool) -> Result<JsValue, JsValue> {
        let tensor = self.inner.preprocess(image).map_err(js_error)?;
        let ops = self
            .inner
            .profile(
                &tensor,
                &PatientMetadata::default(),
                runs as usize,
                by_node,
                &performance_now,
            )
            .map_err(js_error)?;
        to_js(&ops)
    }

    /// The model manifest (labels, malignant classes, input description).
    #[wasm_bindgen(getter)]
    pub fn manifest(&self) -> Result<JsValue, JsValue> {
        to_js(self.inner.manifest())
    }

    /// Milliseconds spent parsing and optimising the model, and how many int8 weights were kept
    /// int8 (dequantised as each inference reads them) rather than folded to float32.
    #[wasm_bindgen(getter, js_name = loadTimings)]
    pub fn load_timings(&self) -> Result<JsValue, JsValue> {
        to_js(&serde_json::json!({
            "parseMs": self.parse_ms,
            "optimizeMs": self.optimize_ms,
            "deferredWeights": self.deferred_weights,
        }))
    }
}
