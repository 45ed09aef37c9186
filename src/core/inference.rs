//! Loads an ONNX model with tract and runs it on one preprocessed image (plus the optional metadata
//! vector).

use prost::Message;
use std::sync::Arc;

use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

use super::error::ClassifyError;
use super::manifest::Manifest;
use super::preprocess::InputTensor;
use super::{declutter, heap, last_axis_binop, maxpool, optimizer, weights};

/// A model ready to run: parsed, shapes fixed to batch 1, optimised.
pub struct Engine {
    plan: Arc<TypedRunnableModel>,
    /// Position of the image and metadata inputs in the model's input list.
    image_slot: usize,
    metadata_slot: Option<usize>,
    output_slot: usize,
    /// Position of the domain check's feature vector among the plan's outputs.
    feature_slot: Option<usize>,
}

/// What one run returns: the output vector and, when the manifest has a domain check, the features.
#[derive(Debug, Clone)]
pub struct EngineOutput {
    pub output: Vec<f32>,
    pub features: Option<Vec<f32>>,
}

/// Time spent in each loading step, measured by the caller's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadTimings {
    pub parse_ms: f64,
    pub optimize_ms: f64,
}

/// Names of the nodes behind `outlets` (the model's inputs or outputs, in order).
fn outlet_names(model: &InferenceModel, outlets: &[OutletId]) -> Vec<String> {
    outlets.iter().map(|o| model.node(o.node).name.clone()).collect()
}

fn load_err(e: impl std::fmt::Display) -> ClassifyError {
    ClassifyError::ModelLoad(format!("{e:#}"))
}

/// What `into_optimized` does (type, declutter, codegen), with vibe-opsy's changes: a declutter that
/// does not copy the weights at every attempt ([`declutter`]) and tract's max pools replaced by
/// vectorised ones ([`maxpool`]).
pub fn optimize(model: InferenceModel) -> TractResult<TypedModel> {
    let mut typed = model.into_typed()?;
    declutter::declutter(&mut typed)?;
    optimizer::optimize(&mut typed)?;
    maxpool::replace_max_pools(&mut typed)?;
    last_axis_binop::replace_last_axis_binops(&mut typed)?;
    Ok(typed)
}

impl Engine {
    /// Parses and optimises `onnx` for the shapes in `manifest`. `clock` returns milliseconds
    /// (the core has no clock of its own: `Instant` panics on wasm32).
    pub fn load(
        onnx: &[u8],
        manifest: &Manifest,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Engine, LoadTimings), ClassifyError> {
        let t0 = clock();
        let onnx_parser = tract_onnx::onnx();
        // Room ahead for what the load allocates anyway (see `heap`): the decoded protobuf holds
        // about as many bytes as the file, then come the weights in float32. (Reserving more,
        // e.g. for tract's packed copy of the weights, made the heap end up larger: measured.)
        heap::reserve(onnx.len());
        // Decoded straight from the bytes (tract's `proto_model_for_read` copies them first).
        let mut proto = ModelProto::decode(onnx).map_err(load_err)?;
        // Capped by what the file can hold (int8 → float32 is ×4): dims alone can claim anything.
        heap::reserve(weights::float32_bytes(&proto).min(onnx.len().saturating_mul(4)));
        let weights = weights::dequantize_constant_weights(&mut proto);
        let mut model = onnx_parser.model_for_proto_model(&proto).map_err(load_err)?;
        drop(proto);
        weights.install(&mut model).map_err(load_err)?;
        let t1 = clock();

        let input_names = outlet_names(&model, model.input_outlets().map_err(load_err)?);
        let slot_of = |name: &str| {
            input_names.iter().position(|n| n == name).ok_or_else(|| {
                ClassifyError::ModelLoad(format!(
                    "the model has no input named {name:?} (inputs: {})",
                    input_names.join(", ")
                ))
            })
        };
        let image = &manifest.image_input;
        let image_slot = slot_of(&image.name)?;
        let metadata_slot = match (&manifest.metadata_input, manifest.metadata_len()) {
            (Some(meta), Some(len)) => {
                let slot = slot_of(&meta.name)?;
                model = model
                    .with_input_fact(slot, f32::fact([1, len]).into())
                    .map_err(load_err)?;
                Some(slot)
            }
            _ => None,
        };
        if input_names.len() != 1 + usize::from(metadata_slot.is_some()) {
            return Err(ClassifyError::ModelLoad(format!(
                "the manifest does not describe every model input (inputs: {})",
                input_names.join(", ")
            )));
        }
        let (h, w) = (image.height as usize, image.width as usize);
        let shape = match image.layout {
            super::manifest::Layout::Nhwc => [1, h, w, 3],
            super::manifest::Layout::Nchw => [1, 3, h, w],
        };
        model = model
            .with_input_fact(image_slot, f32::fact(shape).into())
            .map_err(load_err)?;

        let output_names = outlet_names(&model, model.output_outlets().map_err(load_err)?);
        let output_slot = output_names
            .iter()
            .position(|n| *n == manifest.output.name)
            .or(if output_names.len() == 1 { Some(0) } else { None })
            .ok_or_else(|| {
                ClassifyError::ModelLoad(format!(
                    "the model has no output named {:?} (outputs: {})",
                    manifest.output.name,
                    output_names.join(", ")
                ))
            })?;

        // The domain check's features become one more output of the same run (no extra cost).
        let feature_slot = match &manifest.domain_check {
            Some(check) => {
                let outlet = model
                    .find_outlet_label(&check.feature_output)
                    .or_else(|| {
                        model
                            .node_by_name(&check.feature_output)
                            .ok()
                            .map(|n| OutletId::new(n.id, 0))
                    })
                    .ok_or_else(|| {
                        ClassifyError::ModelLoad(format!(
                            "the domain check's feature output {:?} is not in the model",
                            check.feature_output
                        ))
                    })?;
                let mut outputs = model.output_outlets().map_err(load_err)?.to_vec();
                outputs.push(outlet);
                model.select_output_outlets(&outputs).map_err(load_err)?;
                Some(outputs.len() - 1)
            }
            None => None,
        };

        let plan = optimize(model)
            .and_then(|m| m.into_runnable())
            .map_err(load_err)?;
        let t2 = clock();
        Ok((
            Engine {
                plan,
                image_slot,
                metadata_slot,
                output_slot,
                feature_slot,
            },
            LoadTimings {
                parse_ms: t1 - t0,
                optimize_ms: t2 - t1,
            },
        ))
    }

    /// Runs the model; returns the raw output vector.
    pub fn run(&self, image: &InputTensor, metadata: Option<&[f32]>) -> Result<Vec<f32>, ClassifyError> {
        Ok(self.run_with_features(image, metadata)?.output)
    }

    /// Runs the model; returns the raw output vector and the domain check's features.
    pub fn run_with_features(
        &self,
        image: &InputTensor,
        metadata: Option<&[f32]>,
    ) -> Result<EngineOutput, ClassifyError> {
        let infer = |e: TractError| ClassifyError::Inference(format!("{e:#}"));
        let image_tensor = Tensor::from_shape(&image.shape, &image.data).map_err(infer)?;
        let mut inputs: Vec<Option<TValue>> = vec![None; 1 + usize::from(self.metadata_slot.is_some())];
        inputs[self.image_slot] = Some(image_tensor.into_tvalue());
        if let Some(slot) = self.metadata_slot {
            let meta = metadata.ok_or_else(|| ClassifyError::Inference("metadata vector missing".into()))?;
            inputs[slot] = Some(
                Tensor::from_shape(&[1, meta.len()], meta)
                    .map_err(infer)?
                    .into_tvalue(),
            );
        }
        let inputs: TVec<TValue> = inputs.into_iter().flatten().collect();
        let outputs = self.plan.run(inputs).map_err(infer)?;
        let vector = |slot: usize| -> Result<Vec<f32>, ClassifyError> {
            let output = outputs
                .get(slot)
                .ok_or_else(|| ClassifyError::Inference("the model produced no output".into()))?;
            let values = output.to_plain_array_view::<f32>().map_err(infer)?;
            Ok(values.iter().copied().collect())
        };
        Ok(EngineOutput {
            output: vector(self.output_slot)?,
            features: self.feature_slot.map(vector).transpose()?,
        })
    }
}
