//! Dequantises constant int8/uint8 weights (`DequantizeLinear` over initializers) into float32
//! constants of the parsed model.
//!
//! tract folds these constants itself, but slowly: on wasm it spent ≈3.5 s of a 4.3 s model load on
//! the bundled model's 76 per-channel weights. A straight loop here does the same arithmetic,
//! `(q - zero_point) * scale` in f32, in milliseconds, so outputs are unchanged while the download
//! stays int8 (22 MB instead of 85 MB).
//!
//! The float32 values are written once, straight into the tensors the model keeps: before parsing,
//! [`dequantize_constant_weights`] computes them from the protobuf and detaches each folded
//! `DequantizeLinear` node from its int8 inputs (dropping those initializers); after parsing,
//! [`Dequantized::install`] turns each such node into a constant. (Handing tract float32
//! initializers instead would cost a zero-filled buffer and a copy of all 85 MB at load.)

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tract_linalg::multithread::par_chunks_mut;
use tract_onnx::pb::{tensor_proto::DataType, ModelProto, NodeProto, TensorProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::{ensure, format_err};
use tract_onnx::tract_hir::ops::konst::Const;

use super::deferred_weights::{self, DeferredWeight};
use super::weight_bytes::{self, RawWeights};

/// How many bytes the model's initializers take as float32 (what the dequantised weights become).
pub fn float32_bytes(model: &ModelProto) -> usize {
    let initializers = model.graph.iter().flat_map(|g| g.initializer.iter());
    initializers
        .map(|t| {
            t.dims
                .iter()
                .try_fold(4usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?))
                .unwrap_or(0)
        })
        .fold(0usize, usize::saturating_add)
}

/// Float32 weights folded out of a model, by the name of the `DequantizeLinear` output they are,
/// and the int8 weights left int8 behind a placeholder ([`deferred_weights`]).
pub struct Dequantized(Vec<(String, Tensor)>, Vec<DeferredWeight>);

/// Folds every `DequantizeLinear` whose inputs are all initializers: its float32 value is computed
/// and returned, and the node is left in `model` without inputs, to name the value for
/// [`Dequantized::install`]. Anything it does not recognise is left for tract.
pub fn dequantize_constant_weights(model: &mut ModelProto) -> Dequantized {
    fold(model, &RawWeights::new(), false)
}

/// Decodes `onnx` and folds its constant `DequantizeLinear` nodes as
/// [`dequantize_constant_weights`] does, reading the int8 weights from `onnx` itself rather than
/// from a decoded copy ([`weight_bytes`]). The message returned is the one
/// `dequantize_constant_weights` leaves after `prost` decodes `onnx`.
/// `before_fold` is told how many bytes the float32 weights will take (see [`super::heap`]).
/// With `defer`, a weight whose only reader is a convolution is left int8 behind a placeholder
/// ([`deferred_weights`]; see [`Dequantized::take_deferred`]).
pub fn decode_and_dequantize(
    onnx: &[u8],
    defer: bool,
    before_fold: impl FnOnce(usize),
) -> Result<(ModelProto, Dequantized), prost::DecodeError> {
    let (mut model, raw) = weight_bytes::decode(onnx)?;
    before_fold(float32_bytes(&model));
    let folded = fold(&mut model, &raw, defer);
    weight_bytes::restore(&mut model, &raw);
    Ok((model, folded))
}

/// [`dequantize_constant_weights`], with the bytes of the initializers in `raw` read from there.
fn fold(model: &mut ModelProto, raw: &RawWeights<'_>, defer: bool) -> Dequantized {
    let Some(graph) = model.graph.as_mut() else {
        return Dequantized(Vec::new(), Vec::new());
    };
    let deferrable = if defer {
        read_by_one_conv(&graph.node)
    } else {
        HashSet::new()
    };
    let mut deferred = Vec::new();
    let initializers: HashMap<String, usize> = graph
        .initializer
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    let mut folded = Vec::new();
    for node in graph.node.iter_mut() {
        if node.op_type != "DequantizeLinear" || !node.domain.is_empty() {
            continue;
        }
        let output = node.output.first().cloned().unwrap_or_default();
        if deferrable.contains(&output) {
            let mark = deferred_weights::placeholder_mark(deferred.len());
            if let Some((placeholder, weight)) =
                mark.and_then(|mark| defer_one(node, &graph.initializer, &initializers, raw, mark))
            {
                node.input.clear();
                deferred.push(weight);
                folded.push((output, placeholder));
                continue;
            }
        }
        if let Some(folded_node) = dequantize(node, &graph.initializer, &initializers, raw) {
            node.input.clear();
            folded.push(folded_node);
        }
    }
    // Drop the int8 originals nothing reads any more.
    let used: HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter())
        .chain(graph.output.iter().map(|o| &o.name))
        .map(String::as_str)
        .collect();
    let dropped: HashSet<String> = graph
        .initializer
        .iter()
        .filter(|t| !used.contains(t.name.as_str()))
        .map(|t| t.name.clone())
        .collect();
    graph.initializer.retain(|t| !dropped.contains(&t.name));
    graph.input.retain(|i| !dropped.contains(&i.name));
    Dequantized(folded, deferred)
}

/// Outputs read by exactly one node, a default-domain `Conv` of one group, as its weights.
fn read_by_one_conv(nodes: &[NodeProto]) -> HashSet<String> {
    let mut readers: HashMap<&str, Vec<(&NodeProto, usize)>> = HashMap::new();
    for n in nodes {
        for (slot, input) in n.input.iter().enumerate() {
            readers.entry(input.as_str()).or_default().push((n, slot));
        }
    }
    readers
        .into_iter()
        .filter(|(_, r)| {
            matches!(r.as_slice(), [(n, 1)] if n.op_type == "Conv" && n.domain.is_empty()
                && n.attribute.iter().all(|a| a.name != "group" || a.i == 1))
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

/// `node`'s input `i`, when it is one of the initializers `all` (indexed by name in `index`).
fn initializer_input<'a>(
    node: &NodeProto,
    i: usize,
    all: &'a [TensorProto],
    index: &HashMap<String, usize>,
) -> Option<&'a TensorProto> {
    node.input
        .get(i)
        .filter(|n| !n.is_empty())
        .and_then(|n| index.get(n))
        .and_then(|&k| all.get(k))
}

/// A placeholder for `node`'s value (never written but for its first two values, `mark`: see
/// [`deferred_weights::placeholder_mark`]) and the integers it stands for, when the weight is per
/// output channel (axis 0) or per tensor.
fn defer_one(
    node: &NodeProto,
    all: &[TensorProto],
    index: &HashMap<String, usize>,
    raw: &RawWeights<'_>,
    mark: [f32; 2],
) -> Option<(Tensor, DeferredWeight)> {
    let get = |i: usize| initializer_input(node, i, all, index);
    let (x, scale) = (get(0)?, get(1)?);
    let Quantized::Bytes { raw: values, signed } = Quantized::of(x, raw)? else {
        return None;
    };
    let scales = floats(scale)?;
    let zeros = match node.input.get(2).filter(|n| !n.is_empty()) {
        Some(_) => integers(get(2)?, raw)?,
        None => vec![0; scales.len()],
    };
    let dims: Vec<usize> = x
        .dims
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<_>>()?;
    let rows = *dims.first()?;
    let len = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
    // Pointwise kernels only ([O, I, 1, …]): tract packs those for its matrix products; a larger
    // kernel may go to a convolution that reads its weights otherwise.
    let pointwise = dims.len() >= 2 && dims[2..].iter().all(|&d| d == 1);
    if !pointwise || rows == 0 || len != values.len() || len < 2 || zeros.len() != scales.len() {
        return None;
    }
    let attribute = |name: &str| node.attribute.iter().find(|a| a.name == name).map(|a| a.i);
    if attribute("block_size").is_some_and(|b| b != 0) {
        return None;
    }
    let per_row = |v: Vec<f32>| -> Option<Vec<f32>> {
        match v.len() {
            1 => Some(vec![v[0]; rows]),
            n if n == rows && matches!(attribute("axis").unwrap_or(1), 0) => Some(v),
            n if n == rows && attribute("axis") == Some(-(dims.len() as i64)) => Some(v),
            _ => None,
        }
    };
    let zeros = per_row(zeros.iter().map(|&z| z as f32).collect())?;
    let scales = per_row(scales)?;
    // SAFETY: the placeholder's values are never used: [`deferred_weights`] replaces its packing,
    // and the load is redone with every weight folded if anything else reads it. The first two
    // values are written so that tract does not take it for a uniform tensor.
    let mut placeholder = unsafe { Tensor::uninitialized::<f32>(&dims) }.ok()?;
    {
        let mut plain = placeholder.try_as_plain_ram_mut().ok()?;
        let v = plain.as_slice_mut::<f32>().ok()?;
        v[..2].copy_from_slice(&mark);
    }
    let weight = DeferredWeight {
        name: node.output.first()?.clone(),
        values: values.to_vec(),
        signed,
        rows,
        depth: len / rows,
        zeros,
        scales,
    };
    Some((placeholder, weight))
}

impl Dequantized {
    /// How many `DequantizeLinear` nodes were folded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The weights left int8, the `i`th behind the placeholder marked
    /// [`deferred_weights::placeholder_mark`]`(i)`, for [`deferred_weights::Deferred`].
    pub fn take_deferred(&mut self) -> Vec<DeferredWeight> {
        std::mem::take(&mut self.1)
    }

    /// Each folded value, by the name of the `DequantizeLinear` output it is.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// Turns each folded `DequantizeLinear` node of `model` (parsed from the protobuf
    /// [`dequantize_constant_weights`] changed) into a constant holding its value.
    pub fn install(self, model: &mut InferenceModel) -> TractResult<()> {
        let by_name: HashMap<&str, OutletId> = model
            .outlet_labels
            .iter()
            .map(|(outlet, name)| (name.as_str(), *outlet))
            .collect();
        let outlets: Vec<OutletId> = self
            .0
            .iter()
            .map(|(name, _)| {
                by_name
                    .get(name.as_str())
                    .copied()
                    .ok_or_else(|| format_err!("no node of the parsed model computes {name:?}"))
            })
            .collect::<TractResult<_>>()?;
        for (outlet, (name, value)) in outlets.into_iter().zip(self.0) {
            let node = &mut model.nodes[outlet.node];
            ensure!(
                outlet.slot == 0 && node.inputs.is_empty() && node.op.name() == "DequantizeLinear",
                "{name:?} is not the output of a folded DequantizeLinear node"
            );
            let value: Arc<Tensor> = value.into_arc_tensor();
            let fact = TypedFact::try_from(value.clone())?;
            node.op = Const::new(value)?.into();
            node.outputs[0].fact = fact.into();
        }
        Ok(())
    }
}

/// The output name and float32 value of a `DequantizeLinear` over initializers.
fn dequantize(
    node: &NodeProto,
    all: &[TensorProto],
    index: &HashMap<String, usize>,
    raw: &RawWeights<'_>,
) -> Option<(String, Tensor)> {
    let get = |i: usize| initializer_input(node, i, all, index);
    let (x, scale) = (get(0)?, get(1)?);
    let zero_point = match node.input.get(2).filter(|n| !n.is_empty()) {
        Some(_) => Some(get(2)?),
        None => None,
    };
    let output = node.output.first()?.clone();
    let q = Quantized::of(x, raw)?;
    let scales = floats(scale)?;
    let zeros = match zero_point {
        Some(z) => integers(z, raw)?,
        None => vec![0; scales.len()],
    };
    if zeros.len() != scales.len() || scales.is_empty() {
        return None;
    }
    let dims: Vec<usize> = x
        .dims
        .iter()
        .map(|&d| usize::try_from(d).ok())
        .collect::<Option<_>>()?;
    let len = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
    if len != q.len() {
        return None;
    }
    // Per-tensor when the scale is a scalar, else per slice along `axis` (default 1): the values
    // are `outer` repetitions of `channels` runs of `inner` values that share a scale.
    let (channels, inner) = if scales.len() == 1 {
        (1, len)
    } else {
        let rank = dims.len() as i64;
        let attribute = |name: &str| node.attribute.iter().find(|a| a.name == name).map(|a| a.i);
        if attribute("block_size").is_some_and(|b| b != 0) {
            return None; // blocked quantisation: left to tract (which refuses it clearly)
        }
        let axis = attribute("axis").unwrap_or(1);
        let axis = usize::try_from(if axis < 0 { axis + rank } else { axis }).ok()?;
        (*dims.get(axis)?, dims[axis + 1..].iter().product())
    };
    if channels != scales.len() {
        return None;
    }
    // SAFETY: every value is written below before the tensor is read (`outer * channels` runs of
    // `inner` values cover all `len`), and any bit pattern is a valid f32.
    let mut value = unsafe { Tensor::uninitialized::<f32>(&dims) }.ok()?;
    if inner > 0 {
        let mut plain = value.try_as_plain_ram_mut().ok()?;
        let out = plain.as_slice_mut::<f32>().ok()?;
        // Whole runs split over the cores of the current tract executor (one core: inline). The
        // values do not depend on the split. Natively on two cores the fold took 33–50 ms instead of
        // 47–69 (most of its time is the first touch of the float32 memory: BENCHMARKS.md, "Native").
        par_chunks_mut(out, inner, len, |first_run, chunk| {
            for (k, out) in chunk.chunks_exact_mut(inner).enumerate() {
                let c = (first_run + k) % channels;
                q.dequantize_into((first_run + k) * inner, zeros[c] as f32, scales[c], out);
            }
            Ok(())
        })
        .ok()?;
    }
    Some((output, value))
}

/// The integers of a quantised initializer, borrowed from the protobuf.
enum Quantized<'a> {
    Bytes { raw: &'a [u8], signed: bool },
    Wide(&'a [i32]),
}

impl<'a> Quantized<'a> {
    /// `t`'s integers, from `raw` when its bytes were left there ([`weight_bytes`]).
    fn of(t: &'a TensorProto, raw: &RawWeights<'a>) -> Option<Self> {
        let signed = match DataType::try_from(t.data_type).ok()? {
            DataType::Int8 => true,
            DataType::Uint8 => false,
            _ => return None,
        };
        let left_in_file = t.raw_data.is_empty() && t.int32_data.is_empty();
        Some(if let Some(&raw) = raw.get(&t.name).filter(|_| left_in_file) {
            Quantized::Bytes { raw, signed }
        } else if t.raw_data.is_empty() {
            Quantized::Wide(&t.int32_data)
        } else {
            Quantized::Bytes {
                raw: &t.raw_data,
                signed,
            }
        })
    }

    fn len(&self) -> usize {
        match self {
            Quantized::Bytes { raw, .. } => raw.len(),
            Quantized::Wide(v) => v.len(),
        }
    }

    /// `(q - zero) * scale` for the values from `start` on, one per value of `out`. One call per run of values sharing a scale: on wasm, V8 compiles a function called
    /// many times with its optimising tier, while one long loop would stay in the baseline tier.
    #[inline(never)]
    fn dequantize_into(&self, start: usize, zero: f32, scale: f32, out: &mut [f32]) {
        let n = out.len();
        let convert = |q: f32, o: &mut f32| *o = (q - zero) * scale;
        match *self {
            Quantized::Bytes { raw, signed: true } => {
                for (&b, o) in raw[start..start + n].iter().zip(out.iter_mut()) {
                    convert(f32::from(b as i8), o)
                }
            }
            Quantized::Bytes { raw, signed: false } => {
                for (&b, o) in raw[start..start + n].iter().zip(out.iter_mut()) {
                    convert(f32::from(b), o)
                }
            }
            Quantized::Wide(v) => {
                for (&q, o) in v[start..start + n].iter().zip(out.iter_mut()) {
                    convert(q as f32, o)
                }
            }
        }
    }
}

/// Integer values of a small initializer (zero points).
fn integers(t: &TensorProto, raw: &RawWeights<'_>) -> Option<Vec<i32>> {
    Some(match Quantized::of(t, raw)? {
        Quantized::Bytes { raw, signed: true } => raw.iter().map(|&b| i32::from(b as i8)).collect(),
        Quantized::Bytes { raw, signed: false } => raw.iter().map(|&b| i32::from(b)).collect(),
        Quantized::Wide(v) => v.to_vec(),
    })
}

/// float32 values of an initializer (raw bytes or the float field).
fn floats(t: &TensorProto) -> Option<Vec<f32>> {
    if DataType::try_from(t.data_type).ok()? != DataType::Float {
        return None;
    }
    if !t.raw_data.is_empty() {
        if t.raw_data.len() % 4 != 0 {
            return None;
        }
        return Some(
            t.raw_data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        );
    }
    Some(t.float_data.clone())
}
