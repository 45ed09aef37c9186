//! Loads an ONNX model with tract and runs it on one f32 image tensor (plus an optional vector
//! input, e.g. patient metadata).

use std::sync::Arc;

use thiserror::Error;
use tract_onnx::prelude::*;

use super::deferred_weights::{Deferred, PackDeferredWeights};
use super::head::{self, Head};
use super::ops::{depthwise, last_axis_binop, maxpool};
use super::passes::{declutter, optimizer};
use super::{heap, weights};

/// What the engine needs to know about a model: its inputs' names and shapes, which output to
/// return, and which inner value (if any) to return beside it.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Name of the image input and its full shape (batch 1), e.g. `[1, 254, 254, 3]`.
    pub image_input: String,
    pub image_shape: Vec<usize>,
    /// Name and length of an optional vector input (shape `[1, len]`).
    pub vector_input: Option<(String, usize)>,
    /// Name of the output to return (any name works when the model has a single output).
    pub output: String,
    /// A node or outlet label whose value is returned beside the output (e.g. pooled features).
    pub features: Option<String>,
}

/// Why a model could not be loaded or run. The messages come from tract and are for developers;
/// the classifier maps them to its own errors.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{0}")]
    Load(String),
    #[error("{0}")]
    Run(String),
}

/// A model ready to run: parsed, shapes fixed to batch 1, optimised.
pub struct Engine {
    plan: Arc<TypedRunnableModel>,
    /// Position of the image and metadata inputs in the model's input list.
    image_slot: usize,
    metadata_slot: Option<usize>,
    output_slot: usize,
    /// Position of the domain check's feature vector among the plan's outputs.
    feature_slot: Option<usize>,
    /// What runs after the features, for a new vector input on the same image ([`Engine::run_head`]).
    head: Option<Head>,
}

/// What one run returns: the output vector and, when the spec names one, the feature vector.
#[derive(Debug, Clone)]
pub struct EngineOutput {
    pub output: Vec<f32>,
    pub features: Option<Vec<f32>>,
}

/// Time spent in one kind of op during a run (see [`Engine::profile`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpTime {
    pub op: String,
    pub ms_per_run: f64,
    /// Nodes of that kind in the plan.
    pub nodes: usize,
}

/// Time spent in each loading step, measured by the caller's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadTimings {
    pub parse_ms: f64,
    pub optimize_ms: f64,
    /// Int8 weights kept int8 ([`Engine::load_deferring`]); 0 when all were folded to float32.
    pub deferred_weights: usize,
}

/// Names of the nodes behind `outlets` (the model's inputs or outputs, in order).
fn outlet_names(model: &InferenceModel, outlets: &[OutletId]) -> Vec<String> {
    outlets.iter().map(|o| model.node(o.node).name.clone()).collect()
}

// An inference runs on the wasm threads build's pool (`threads::on_pool`); elsewhere here.
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
use super::threads::on_pool;
#[cfg(not(all(target_arch = "wasm32", feature = "threads")))]
fn on_pool<R>(f: impl FnOnce() -> R) -> R {
    f()
}

fn load_err(e: impl std::fmt::Display) -> EngineError {
    EngineError::Load(format!("{e:#}"))
}

/// What `into_optimized` does (type, declutter, codegen), with vibe-opsy's changes: a declutter that
/// does not copy the weights at every attempt ([`declutter`]), tract's depthwise convolutions
/// ([`depthwise`]) and max pools ([`maxpool`]) replaced by vectorised ones.
pub fn optimize(model: InferenceModel) -> TractResult<TypedModel> {
    optimize_deferring(model, None)
}

/// [`optimize`], packing the `deferred` weights' placeholders as int8 ([`deferred_weights`]);
/// fails if any of them is not.
pub fn optimize_deferring(model: InferenceModel, deferred: Option<Arc<Deferred>>) -> TractResult<TypedModel> {
    let mut typed = model.into_typed()?;
    declutter::declutter(&mut typed)?;
    depthwise::replace_depthwise_convs(&mut typed)?;
    let first = deferred
        .clone()
        .map(|d| Box::new(PackDeferredWeights(d)) as Box<dyn tract_onnx::tract_core::optim::TypedPass>);
    optimizer::optimize_with(&mut typed, first)?;
    if let Some(deferred) = &deferred {
        deferred.check_all_packed(&typed)?;
    }
    maxpool::replace_max_pools(&mut typed)?;
    last_axis_binop::replace_last_axis_binops(&mut typed)?;
    Ok(typed)
}

impl Engine {
    /// Parses and optimises `onnx` for the shapes in `spec`. `clock` returns milliseconds
    /// (the engine has no clock of its own: `Instant` panics on wasm32).
    pub fn load(
        onnx: &[u8],
        spec: &ModelSpec,
        clock: &dyn Fn() -> f64,
    ) -> Result<(Engine, LoadTimings), EngineError> {
        let defer = !matches!(std::env::var("VIBE_OPSY_DEFER_WEIGHTS").as_deref(), Ok("0"));
        Engine::load_deferring(onnx, spec, clock, defer)
    }

    /// [`Engine::load`], saying whether the int8 weights of pointwise convolutions stay int8
    /// ([`deferred_weights`](super::deferred_weights); `VIBE_OPSY_DEFER_WEIGHTS=0` turns it off
    /// for `load`). If the graph uses any of them otherwise, the model is loaded again with every
    /// weight folded to float32, as without deferral: [`LoadTimings::deferred_weights`] is then 0.
    pub fn load_deferring(
        onnx: &[u8],
        spec: &ModelSpec,
        clock: &dyn Fn() -> f64,
        defer: bool,
    ) -> Result<(Engine, LoadTimings), EngineError> {
        if !defer {
            return Engine::load_once(onnx, spec, clock, false);
        }
        let t0 = clock();
        #[cfg_attr(target_arch = "wasm32", allow(unused_variables))]
        let error = match Engine::load_once(onnx, spec, clock, true) {
            Ok(loaded) => return Ok(loaded),
            Err(e) => e,
        };
        #[cfg(not(target_arch = "wasm32"))]
        tracing::warn!("int8 weights not deferred, loading again with all of them folded: {error}");
        // The time lost counts in the parse.
        let lost = clock() - t0;
        Engine::load_once(onnx, spec, clock, false).map(|(engine, mut timings)| {
            timings.parse_ms += lost;
            (engine, timings)
        })
    }

    fn load_once(
        onnx: &[u8],
        spec: &ModelSpec,
        clock: &dyn Fn() -> f64,
        defer: bool,
    ) -> Result<(Engine, LoadTimings), EngineError> {
        let t0 = clock();
        let onnx_parser = tract_onnx::onnx();
        // Decoded straight from the bytes (tract's `proto_model_for_read` copies them first),
        // the int8 weights read where they are and folded to float32 (`weights`).
        let (proto, mut weights) = weights::decode_and_dequantize(onnx, defer, |float32_bytes| {
            // Room ahead for the float32 weights (see `heap`); capped by what the file can hold
            // (int8 → float32 is ×4): dims alone can claim anything. (Reserving more, e.g. for
            // tract's packed copy of the weights, made the heap end up larger: measured.)
            heap::reserve(float32_bytes.min(onnx.len().saturating_mul(4)))
        })
        .map_err(load_err)?;
        let mut model = onnx_parser.model_for_proto_model(&proto).map_err(load_err)?;
        drop(proto);
        let deferred = weights.take_deferred();
        let deferred_weights = deferred.len();
        let deferred = (!deferred.is_empty()).then(|| Arc::new(Deferred::new(deferred)));
        weights.install(&mut model).map_err(load_err)?;
        let t1 = clock();

        let input_names = outlet_names(&model, model.input_outlets().map_err(load_err)?);
        let slot_of = |name: &str| {
            input_names.iter().position(|n| n == name).ok_or_else(|| {
                EngineError::Load(format!(
                    "the model has no input named {name:?} (inputs: {})",
                    input_names.join(", ")
                ))
            })
        };
        let image_slot = slot_of(&spec.image_input)?;
        let metadata_slot = match &spec.vector_input {
            Some((name, len)) => {
                let len = *len;
                let slot = slot_of(name)?;
                model = model
                    .with_input_fact(slot, f32::fact([1, len]).into())
                    .map_err(load_err)?;
                Some(slot)
            }
            _ => None,
        };
        if input_names.len() != 1 + usize::from(metadata_slot.is_some()) {
            return Err(EngineError::Load(format!(
                "the spec does not describe every model input (inputs: {})",
                input_names.join(", ")
            )));
        }
        model = model
            .with_input_fact(image_slot, f32::fact(&spec.image_shape).into())
            .map_err(load_err)?;

        let output_names = outlet_names(&model, model.output_outlets().map_err(load_err)?);
        let output_slot = output_names
            .iter()
            .position(|n| *n == spec.output)
            .or(if output_names.len() == 1 { Some(0) } else { None })
            .ok_or_else(|| {
                EngineError::Load(format!(
                    "the model has no output named {:?} (outputs: {})",
                    spec.output,
                    output_names.join(", ")
                ))
            })?;

        // The features become one more output of the same run (no extra cost), and what follows
        // them (with the vector input) the head.
        let (feature_slot, head) = match &spec.features {
            Some(features) => {
                let outlet = model
                    .find_outlet_label(features)
                    .or_else(|| model.node_by_name(features).ok().map(|n| OutletId::new(n.id, 0)))
                    .ok_or_else(|| {
                        EngineError::Load(format!("the feature output {features:?} is not in the model"))
                    })?;
                let mut outputs = model.output_outlets().map_err(load_err)?.to_vec();
                let head = match metadata_slot {
                    Some(slot) => {
                        let vector = model.input_outlets().map_err(load_err)?[slot];
                        head::extract(&model, outlet, vector, outputs[output_slot]).map_err(load_err)?
                    }
                    None => None,
                };
                outputs.push(outlet);
                model.select_output_outlets(&outputs).map_err(load_err)?;
                (Some(outputs.len() - 1), head)
            }
            None => (None, None),
        };

        let plan = optimize_deferring(model, deferred)
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
                head,
            },
            LoadTimings {
                parse_ms: t1 - t0,
                optimize_ms: t2 - t1,
                deferred_weights,
            },
        ))
    }

    /// The plan's inputs, in its order.
    fn inputs(
        &self,
        shape: &[usize],
        image: &[f32],
        vector: Option<&[f32]>,
    ) -> Result<TVec<TValue>, EngineError> {
        let infer = |e: TractError| EngineError::Run(format!("{e:#}"));
        let image_tensor = Tensor::from_shape(shape, image).map_err(infer)?;
        let mut inputs: Vec<Option<TValue>> = vec![None; 1 + usize::from(self.metadata_slot.is_some())];
        inputs[self.image_slot] = Some(image_tensor.into_tvalue());
        if let Some(slot) = self.metadata_slot {
            let meta = vector.ok_or_else(|| EngineError::Run("the vector input is missing".into()))?;
            inputs[slot] = Some(
                Tensor::from_shape(&[1, meta.len()], meta)
                    .map_err(infer)?
                    .into_tvalue(),
            );
        }
        Ok(inputs.into_iter().flatten().collect())
    }

    /// Time per op kind over `runs` runs (for `vibe-opsy bench --profile`): each node timed as it
    /// runs, summed by op name, slowest first, in ms per run. With `by_node`, one row per node
    /// instead: its name and what tract says of its op (for a matrix product: shape and kernel).
    pub fn profile(
        &self,
        shape: &[usize],
        image: &[f32],
        vector: Option<&[f32]>,
        runs: usize,
        by_node: bool,
        clock: &(dyn Fn() -> f64 + Sync),
    ) -> Result<Vec<OpTime>, EngineError> {
        on_pool(|| {
            let infer = |e: TractError| EngineError::Run(format!("{e:#}"));
            let mut by_op: std::collections::HashMap<String, (f64, usize)> = Default::default();
            let runs = runs.max(1);
            for _ in 0..runs {
                let mut state = self.plan.spawn().map_err(infer)?;
                let inputs = self.inputs(shape, image, vector)?;
                state
                    .run_plan_with_eval(inputs, |ctx, op_state, node, input| {
                        let started = clock();
                        let out = tract_onnx::tract_core::plan::eval(ctx, op_state, node, input);
                        let key = if by_node {
                            let info = node.op().info().unwrap_or_default().join("; ");
                            format!("{} [{}] {info}", node.name, node.op().name())
                        } else {
                            node.op().name().to_string()
                        };
                        let entry = by_op.entry(key).or_default();
                        entry.0 += clock() - started;
                        entry.1 += 1;
                        out
                    })
                    .map_err(infer)?;
            }
            let mut times: Vec<OpTime> = by_op
                .into_iter()
                .map(|(op, (ms, count))| OpTime {
                    op,
                    ms_per_run: ms / runs as f64,
                    nodes: count / runs,
                })
                .collect();
            times.sort_by(|a, b| b.ms_per_run.total_cmp(&a.ms_per_run));
            Ok(times)
        })
    }

    /// Whether [`Engine::run_head`] can answer (the model has a vector input and the spec names
    /// the features that the rest of the network starts from).
    pub fn has_head(&self) -> bool {
        self.head.is_some()
    }

    /// The output for a new vector input, from the `features` of an earlier [`Engine::run`] on the
    /// same image: only the part of the network after the features runs. `None` without a head.
    pub fn run_head(&self, features: &[f32], vector: &[f32]) -> Result<Option<Vec<f32>>, EngineError> {
        self.head
            .as_ref()
            .map(|head| {
                head.run(features, vector)
                    .map_err(|e| EngineError::Run(format!("{e:#}")))
            })
            .transpose()
    }

    /// Runs the model on an image tensor of `shape` (the spec's) and the optional vector input;
    /// returns the output vector and the spec's feature vector.
    pub fn run(
        &self,
        shape: &[usize],
        image: &[f32],
        vector: Option<&[f32]>,
    ) -> Result<EngineOutput, EngineError> {
        on_pool(|| {
            let infer = |e: TractError| EngineError::Run(format!("{e:#}"));
            let inputs = self.inputs(shape, image, vector)?;
            let outputs = self.plan.run(inputs).map_err(infer)?;
            let vector = |slot: usize| -> Result<Vec<f32>, EngineError> {
                let output = outputs
                    .get(slot)
                    .ok_or_else(|| EngineError::Run("the model produced no output".into()))?;
                let values = output.to_plain_array_view::<f32>().map_err(infer)?;
                Ok(values.iter().copied().collect())
            };
            Ok(EngineOutput {
                output: vector(self.output_slot)?,
                features: self.feature_slot.map(vector).transpose()?,
            })
        })
    }
}
