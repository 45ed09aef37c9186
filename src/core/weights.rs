//! Dequantises constant int8/uint8 weights (`DequantizeLinear` over initializers) into float32
//! initializers before tract sees the graph.
//!
//! tract folds these constants itself, but slowly: on wasm it spent ≈3.5 s of a 4.3 s model load on
//! the bundled model's 76 per-channel weights. A straight loop here does the same arithmetic,
//! `(q - zero_point) * scale` in f32, in milliseconds, so outputs are unchanged while the download
//! stays int8 (22 MB instead of 85 MB).

use std::collections::{HashMap, HashSet};
use tract_onnx::pb::{tensor_proto::DataType, ModelProto, NodeProto, TensorProto};

/// Replaces every `DequantizeLinear` whose inputs are all initializers with a float32 initializer.
/// Returns how many were replaced. Anything it does not recognise is left for tract.
pub fn dequantize_constant_weights(model: &mut ModelProto) -> usize {
    let Some(graph) = model.graph.as_mut() else {
        return 0;
    };
    let initializers: HashMap<String, usize> = graph
        .initializer
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    let mut folded = Vec::new();
    let mut kept_nodes = Vec::with_capacity(graph.node.len());
    for node in std::mem::take(&mut graph.node) {
        let tensor = (node.op_type == "DequantizeLinear" && node.domain.is_empty())
            .then(|| dequantize(&node, &graph.initializer, &initializers))
            .flatten();
        match tensor {
            Some(t) => folded.push(t),
            None => kept_nodes.push(node),
        }
    }
    graph.node = kept_nodes;
    // Drop the int8 originals nothing reads any more, then add their float32 versions.
    let used: HashSet<String> = graph
        .node
        .iter()
        .flat_map(|n| n.input.iter().cloned())
        .chain(graph.output.iter().map(|o| o.name.clone()))
        .collect();
    graph.initializer.retain(|t| used.contains(&t.name));
    let count = folded.len();
    graph.initializer.extend(folded);
    count
}

fn dequantize(node: &NodeProto, all: &[TensorProto], index: &HashMap<String, usize>) -> Option<TensorProto> {
    let get = |i: usize| {
        node.input
            .get(i)
            .filter(|n| !n.is_empty())
            .and_then(|n| index.get(n))
            .map(|&k| &all[k])
    };
    let (x, scale) = (get(0)?, get(1)?);
    let zero_point = match node.input.get(2).filter(|n| !n.is_empty()) {
        Some(_) => Some(get(2)?),
        None => None,
    };
    let output = node.output.first()?.clone();
    let q = Quantized::of(x)?;
    let scales = floats(scale)?;
    let zeros = match zero_point {
        Some(z) => integers(z)?,
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
    let len = dims.iter().product::<usize>();
    if len != q.len() {
        return None;
    }
    // Per-tensor when the scale is a scalar, else per slice along `axis` (default 1): the values
    // are `outer` repetitions of `channels` runs of `inner` values that share a scale.
    let (channels, inner) = if scales.len() == 1 {
        (1, len)
    } else {
        let rank = dims.len() as i64;
        let axis = node
            .attribute
            .iter()
            .find(|a| a.name == "axis")
            .map_or(1, |a| a.i);
        let axis = usize::try_from(if axis < 0 { axis + rank } else { axis }).ok()?;
        (*dims.get(axis)?, dims[axis + 1..].iter().product())
    };
    if channels != scales.len() {
        return None;
    }
    let mut raw = vec![0u8; len * 4];
    if inner > 0 {
        for (run, out) in raw.chunks_exact_mut(inner * 4).enumerate() {
            let c = run % channels;
            q.dequantize_into(run * inner, zeros[c] as f32, scales[c], out);
        }
    }
    Some(TensorProto {
        name: output,
        dims: x.dims.clone(),
        data_type: DataType::Float as i32,
        raw_data: raw,
        ..Default::default()
    })
}

/// The integers of a quantised initializer, borrowed from the protobuf.
enum Quantized<'a> {
    Bytes { raw: &'a [u8], signed: bool },
    Wide(&'a [i32]),
}

impl<'a> Quantized<'a> {
    fn of(t: &'a TensorProto) -> Option<Self> {
        let signed = match DataType::try_from(t.data_type).ok()? {
            DataType::Int8 => true,
            DataType::Uint8 => false,
            _ => return None,
        };
        Some(if t.raw_data.is_empty() {
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

    /// `(q - zero) * scale` for the values from `start` on, one little-endian f32 per 4 bytes of
    /// `out`. One call per run of values sharing a scale: on wasm, V8 compiles a function called
    /// many times with its optimising tier, while one long loop would stay in the baseline tier.
    #[inline(never)]
    fn dequantize_into(&self, start: usize, zero: f32, scale: f32, out: &mut [u8]) {
        let n = out.len() / 4;
        let convert = |q: f32, o: &mut [u8]| o.copy_from_slice(&((q - zero) * scale).to_le_bytes());
        match *self {
            Quantized::Bytes { raw, signed: true } => {
                for (&b, o) in raw[start..start + n].iter().zip(out.chunks_exact_mut(4)) {
                    convert(f32::from(b as i8), o)
                }
            }
            Quantized::Bytes { raw, signed: false } => {
                for (&b, o) in raw[start..start + n].iter().zip(out.chunks_exact_mut(4)) {
                    convert(f32::from(b), o)
                }
            }
            Quantized::Wide(v) => {
                for (&q, o) in v[start..start + n].iter().zip(out.chunks_exact_mut(4)) {
                    convert(q as f32, o)
                }
            }
        }
    }
}

/// Integer values of a small initializer (zero points).
fn integers(t: &TensorProto) -> Option<Vec<i32>> {
    Some(match Quantized::of(t)? {
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
