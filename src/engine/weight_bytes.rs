//! Decodes an ONNX model's protobuf without copying its large int8/uint8 weights: their bytes
//! stay in the caller's buffer, where [`super::weights`] folds them to float32.
//!
//! Why: `prost` copies every `bytes` field into a `Vec<u8>` of its own, so decoding the bundled
//! model wrote a second 21 MB of int8 weights (≈ 5,200 first-touch page faults natively, the same
//! amount of wasm heap) only for the fold to read them once and drop them. Here the protobuf is
//! first rewritten without the `raw_data` of those initializers (walking the wire format down to
//! `ModelProto.graph.initializer`), and `prost` decodes what is left (≈ 0.1 MB); the stripped bytes
//! are returned as slices of the input, by initializer name.
//!
//! Anything unexpected (a malformed or unusual encoding, a name used twice) makes the walk give up
//! and the whole buffer is decoded by `prost` as before, which then reports any error itself: this
//! is an optimisation, never a second parser with its own verdicts.

use std::collections::HashMap;

use prost::Message;
use tract_onnx::pb::ModelProto;

/// Raw bytes of stripped initializers, by name, borrowed from the model file's buffer.
pub type RawWeights<'a> = HashMap<String, &'a [u8]>;

/// Initializers whose `raw_data` is at least this long are left in the buffer.
pub const MIN_STRIPPED_BYTES: usize = 4096;

// Field numbers of onnx.proto3.
const MODEL_GRAPH: u64 = 7;
const GRAPH_INITIALIZER: u64 = 5;
const TENSOR_DATA_TYPE: u64 = 2;
const TENSOR_NAME: u64 = 8;
const TENSOR_RAW_DATA: u64 = 9;
// TensorProto.DataType
const UINT8: u64 = 2;
const INT8: u64 = 3;

const VARINT: u8 = 0;
const LEN: u8 = 2;

/// `onnx` decoded, with the raw bytes of its large int8/uint8 initializers left out of the
/// message (their `raw_data` empty) and returned beside it. The message is what `prost` decodes
/// from `onnx` once those bytes are put back ([`restore`]).
pub fn decode(onnx: &[u8]) -> Result<(ModelProto, RawWeights<'_>), prost::DecodeError> {
    let mut raw = RawWeights::new();
    let mut rest = Vec::new();
    if split_model(onnx, &mut rest, &mut raw).is_some() {
        if let Ok(model) = ModelProto::decode(rest.as_slice()) {
            return Ok((model, raw));
        }
    }
    Ok((ModelProto::decode(onnx)?, RawWeights::new()))
}

/// Puts the bytes of every initializer still in `model` whose `raw_data` was left out back into
/// it (a copy): what tract reads has all its data.
pub fn restore(model: &mut ModelProto, raw: &RawWeights<'_>) {
    if raw.is_empty() {
        return;
    }
    for t in model.graph.iter_mut().flat_map(|g| g.initializer.iter_mut()) {
        if t.raw_data.is_empty() {
            if let Some(bytes) = raw.get(&t.name) {
                t.raw_data = bytes.to_vec();
            }
        }
    }
}

/// One field of a message: its number, wire type, the varint value or the length-delimited
/// payload, and the bytes of the whole field (tag included).
struct Field<'a> {
    number: u64,
    wire: u8,
    value: u64,
    payload: &'a [u8],
    whole: &'a [u8],
}

fn varint(buf: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The fields of `buf`, or `None` if it is not a well-formed message (or uses groups).
fn fields(buf: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let start = at;
        let tag = varint(buf, &mut at)?;
        let (number, wire) = (tag >> 3, (tag & 7) as u8);
        if number == 0 {
            return None;
        }
        let (value, payload) = match wire {
            VARINT => (varint(buf, &mut at)?, &buf[at..at]),
            LEN => {
                let len = usize::try_from(varint(buf, &mut at)?).ok()?;
                let end = at.checked_add(len).filter(|&e| e <= buf.len())?;
                let payload = &buf[at..end];
                at = end;
                (0, payload)
            }
            1 => {
                at = at.checked_add(8).filter(|&e| e <= buf.len())?;
                (0, &buf[at..at])
            }
            5 => {
                at = at.checked_add(4).filter(|&e| e <= buf.len())?;
                (0, &buf[at..at])
            }
            _ => return None, // groups (3, 4) and invalid wire types
        };
        out.push(Field {
            number,
            wire,
            value,
            payload,
            whole: &buf[start..at],
        });
    }
    Some(out)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_len_field(out: &mut Vec<u8>, number: u64, payload: &[u8]) {
    put_varint(out, (number << 3) | u64::from(LEN));
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// Copies the `ModelProto` in `buf` to `out`, its graph's large integer initializers without
/// their raw bytes (collected in `raw`).
fn split_model<'a>(buf: &'a [u8], out: &mut Vec<u8>, raw: &mut RawWeights<'a>) -> Option<()> {
    for f in fields(buf)? {
        if f.number == MODEL_GRAPH && f.wire == LEN {
            let mut graph = Vec::new();
            split_graph(f.payload, &mut graph, raw)?;
            put_len_field(out, MODEL_GRAPH, &graph);
        } else {
            out.extend_from_slice(f.whole);
        }
    }
    Some(())
}

fn split_graph<'a>(buf: &'a [u8], out: &mut Vec<u8>, raw: &mut RawWeights<'a>) -> Option<()> {
    for f in fields(buf)? {
        let stripped = (f.number == GRAPH_INITIALIZER && f.wire == LEN)
            .then(|| strip_tensor(f.payload))
            .flatten();
        match stripped {
            Some((name, bytes, rest)) => {
                if raw.insert(name, bytes).is_some() {
                    return None; // two initializers of one name: let prost and tract see them
                }
                put_len_field(out, GRAPH_INITIALIZER, &rest);
            }
            None => out.extend_from_slice(f.whole),
        }
    }
    Some(())
}

/// A `TensorProto` of int8/uint8 with one large `raw_data`: its name, those bytes, and the
/// tensor's other fields. `None` leaves the tensor as it is.
fn strip_tensor(buf: &[u8]) -> Option<(String, &[u8], Vec<u8>)> {
    let fields = fields(buf)?;
    let one = |number: u64, wire: u8| {
        let mut matching = fields.iter().filter(|f| f.number == number);
        match (matching.next(), matching.next()) {
            (Some(f), None) if f.wire == wire => Some(f),
            _ => None,
        }
    };
    let data_type = one(TENSOR_DATA_TYPE, VARINT)?.value;
    if data_type != INT8 && data_type != UINT8 {
        return None;
    }
    let bytes = one(TENSOR_RAW_DATA, LEN)?.payload;
    if bytes.len() < MIN_STRIPPED_BYTES {
        return None;
    }
    let name = std::str::from_utf8(one(TENSOR_NAME, LEN)?.payload).ok()?;
    if name.is_empty() {
        return None;
    }
    let mut rest = Vec::with_capacity(buf.len() - bytes.len());
    for f in fields.iter().filter(|f| f.number != TENSOR_RAW_DATA) {
        rest.extend_from_slice(f.whole);
    }
    Some((name.to_string(), bytes, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb::{tensor_proto::DataType, GraphProto, TensorProto};

    fn int8(name: &str, len: usize) -> TensorProto {
        TensorProto {
            name: name.into(),
            dims: vec![len as i64],
            data_type: DataType::Int8 as i32,
            raw_data: (0..len).map(|i| (i * 7 % 251) as u8).collect(),
            ..Default::default()
        }
    }

    fn model(initializers: Vec<TensorProto>) -> ModelProto {
        super::super::onnx_proto::model(GraphProto {
            name: "g".into(),
            initializer: initializers,
            ..Default::default()
        })
    }

    #[test]
    fn large_int8_bytes_stay_in_the_buffer_and_restore_gives_prosts_message() {
        let original = model(vec![
            int8("big", 10_000),
            int8("small", 16),
            TensorProto {
                data_type: DataType::Float as i32,
                ..int8("float", 8192)
            },
        ]);
        let bytes = original.encode_to_vec();
        let (mut decoded, raw) = decode(&bytes).expect("decodes");
        assert_eq!(raw.keys().collect::<Vec<_>>(), ["big"]);
        let big = raw["big"];
        assert!(
            bytes.as_ptr_range().contains(&big.as_ptr()),
            "borrowed, not copied"
        );
        let graph = decoded.graph.as_ref().expect("graph");
        assert!(graph.initializer[0].raw_data.is_empty());
        assert_eq!(graph.initializer[1].raw_data.len(), 16);
        assert_eq!(graph.initializer[2].raw_data.len(), 8192);
        restore(&mut decoded, &raw);
        assert_eq!(decoded, original);
    }

    #[test]
    fn anything_unusual_is_decoded_by_prost_alone() {
        // Two initializers of one name.
        let twice = model(vec![int8("w", 5000), int8("w", 6000)]).encode_to_vec();
        let (decoded, raw) = decode(&twice).expect("decodes");
        assert!(raw.is_empty());
        assert_eq!(decoded, ModelProto::decode(twice.as_slice()).expect("prost"));
        // Truncated and garbage input: prost's own errors.
        let whole = model(vec![int8("w", 5000)]).encode_to_vec();
        for bad in [&whole[..whole.len() - 10], &[0xff, 0xff, 0xff][..], &[0x0b][..]] {
            assert_eq!(
                decode(bad).err().map(|e| e.to_string()),
                ModelProto::decode(bad).err().map(|e| e.to_string())
            );
        }
        assert_eq!(decode(&[]).expect("empty").0, ModelProto::default());
    }
}
