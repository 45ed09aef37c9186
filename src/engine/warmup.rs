//! A small model with the bundled model's kinds of nodes, loaded and run to warm the engine's code up
//! while the real model is still downloading.
//!
//! A browser compiles WebAssembly in a quick baseline tier first and re-compiles a function with its
//! optimising tier only once it has run for a while. On a first visit nothing of the engine has run
//! when the model arrives, so its parse, optimisation and first inference all run baseline code
//! (Chromium: parse 280–600 ms, optimise 0.9–1.2 s, first inference ≈ 1 s, against 110, 300 and
//! 400 ms once optimised). The download leaves the CPU idle for seconds: loading and running this
//! model then walks the same code (protobuf decoding, int8 folding, tract's analysis, declutter and
//! codegen, convolutions, depthwise convolutions, max pools, matrix products, the head) so that it is
//! optimised by the time the model is there. The model is Xception in miniature: an NHWC input
//! transposed and normalised, a strided stem, separable convolutions with a strided max pool and a
//! residual 1×1 convolution, global average pooling, a metadata vector concatenated before a small
//! dense head and a softmax; weights stored int8 per output channel behind `DequantizeLinear`.

use prost::Message;
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, AttributeProto, GraphProto, NodeProto,
    TensorProto,
};

use super::model::{Engine, EngineError, ModelSpec};
use super::onnx_proto::{self, f32_value_info};

const SIDE: usize = 64;
const VECTOR: usize = 10;
const CLASSES: usize = 7;

/// The warm-up model's inputs, outputs and feature outlet.
pub fn spec() -> ModelSpec {
    ModelSpec {
        image_input: "image".into(),
        image_shape: vec![1, SIDE, SIDE, 3],
        vector_input: Some(("vector".into(), VECTOR)),
        output: "probabilities".into(),
        features: Some("features".into()),
    }
}

/// Loads the warm-up model and runs it once, then its head: what a first classification does.
/// Returns the class probabilities (so the work cannot be optimised away, and can be checked).
pub fn run(clock: &dyn Fn() -> f64) -> Result<Vec<f32>, EngineError> {
    let spec = spec();
    let (engine, _) = Engine::load(&onnx(), &spec, clock)?;
    let image: Vec<f32> = (0..SIDE * SIDE * 3).map(|i| ((i * 37) % 256) as f32).collect();
    let vector: Vec<f32> = (0..VECTOR).map(|i| (i % 3) as f32 / 2.0).collect();
    let out = engine.run(&spec.image_shape, &image, Some(&vector))?;
    if let Some(features) = &out.features {
        engine.run_head(features, &vector)?;
    }
    Ok(out.output)
}

/// The warm-up model, encoded as an ONNX file.
pub fn onnx() -> Vec<u8> {
    let mut g = Graph::default();
    // NHWC [0, 255] → NCHW in [-1, 1], as Keras' Xception preprocessing does.
    g.node("Transpose", &["image"], "nchw", vec![ints("perm", &[0, 3, 1, 2])]);
    g.constant("half_range", &[], &[127.5]);
    g.node("Sub", &["nchw", "half_range"], "centred", vec![]);
    g.constant("inv_half_range", &[], &[1.0 / 127.5]);
    g.node("Mul", &["centred", "inv_half_range"], "scaled", vec![]);
    // Stem: two 3×3 convolutions, the first strided.
    let x = g.conv("stem1", "scaled", 3, 16, 3, 2, 1, false);
    let x = g.relu(&x);
    let x = g.conv("stem2", &x, 16, 32, 3, 1, 1, false);
    let stem = g.relu(&x);
    // Entry block: separable convolutions, a strided max pool, and a strided 1×1 residual.
    let x = g.separable("entry1", &stem, 32, 48);
    let x = g.relu(&x);
    let x = g.separable("entry2", &x, 48, 48);
    g.node(
        "MaxPool",
        &[&x],
        "entry_pool",
        vec![
            ints("kernel_shape", &[3, 3]),
            ints("strides", &[2, 2]),
            ints("pads", &[1, 1, 1, 1]),
        ],
    );
    let residual = g.conv("entry_residual", &stem, 32, 48, 1, 2, 1, false);
    g.node("Add", &["entry_pool", &residual], "entry_out", vec![]);
    // Middle block: ReLU, separable, twice, and the identity added back.
    let x = g.relu("entry_out");
    let x = g.separable("middle1", &x, 48, 48);
    let x = g.relu(&x);
    let x = g.separable("middle2", &x, 48, 48);
    g.node("Add", &[&x, "entry_out"], "middle_out", vec![]);
    let x = g.relu("middle_out");
    g.node("GlobalAveragePool", &[&x], "pooled", vec![]);
    g.node("Squeeze", &["pooled", "squeeze_axes"], "features", vec![]);
    g.initializers.push(int64s("squeeze_axes", &[2, 3]));
    // Head: the features and the vector input through two dense layers.
    g.node("Concat", &["features", "vector"], "joined", vec![int("axis", 1)]);
    let x = g.dense("dense1", "joined", 48 + VECTOR, 16);
    let x = g.relu(&x);
    let logits = g.dense("dense2", &x, 16, CLASSES);
    g.node("Softmax", &[&logits], "probabilities", vec![int("axis", 1)]);
    g.finish()
}

#[derive(Default)]
struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    seed: u32,
}

impl Graph {
    fn node(&mut self, op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) {
        self.nodes.push(NodeProto {
            op_type: op.into(),
            name: output.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            attribute,
            ..Default::default()
        });
    }

    fn relu(&mut self, x: &str) -> String {
        let out = format!("{x}_relu");
        self.node("Relu", &[x], &out, vec![]);
        out
    }

    fn constant(&mut self, name: &str, dims: &[i64], values: &[f32]) {
        self.initializers.push(TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: DataType::Float as i32,
            float_data: values.to_vec(),
            ..Default::default()
        });
    }

    /// Deterministic values in [-1, 1).
    fn noise(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                self.seed = self.seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (self.seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// An int8 weight of `dims`, one scale per slice along `axis`, behind a `DequantizeLinear` whose
    /// output is `name`.
    fn int8_weight(&mut self, name: &str, dims: &[i64], axis: usize, gain: f32) {
        let len: i64 = dims.iter().product();
        let channels = dims[axis] as usize;
        let q: Vec<u8> = self
            .noise(len as usize)
            .iter()
            .map(|v| (v * 127.0) as i8 as u8)
            .collect();
        let scales: Vec<f32> = (0..channels)
            .map(|c| gain / 127.0 * (1.0 + c as f32 / channels as f32))
            .collect();
        self.initializers.push(TensorProto {
            name: format!("{name}_q"),
            dims: dims.to_vec(),
            data_type: DataType::Int8 as i32,
            raw_data: q,
            ..Default::default()
        });
        self.constant(&format!("{name}_scale"), &[channels as i64], &scales);
        self.initializers.push(TensorProto {
            name: format!("{name}_zero"),
            dims: vec![channels as i64],
            data_type: DataType::Int8 as i32,
            raw_data: vec![0; channels],
            ..Default::default()
        });
        let inputs = [
            format!("{name}_q"),
            format!("{name}_scale"),
            format!("{name}_zero"),
        ];
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.node("DequantizeLinear", &inputs, name, vec![int("axis", axis as i64)]);
    }

    /// A 2-D convolution with int8 weights and a bias; `groups` = `inputs` = `outputs` makes it depthwise.
    #[allow(clippy::too_many_arguments)]
    fn conv(
        &mut self,
        name: &str,
        x: &str,
        inputs: usize,
        outputs: usize,
        kernel: usize,
        stride: usize,
        groups: usize,
        padded: bool,
    ) -> String {
        let (w, b) = (format!("{name}_w"), format!("{name}_b"));
        let fan_in = (inputs / groups * kernel * kernel) as f32;
        self.int8_weight(
            &w,
            &[
                outputs as i64,
                (inputs / groups) as i64,
                kernel as i64,
                kernel as i64,
            ],
            0,
            1.5 / fan_in.sqrt(),
        );
        let bias: Vec<f32> = self.noise(outputs).iter().map(|v| v * 0.1).collect();
        self.constant(&b, &[outputs as i64], &bias);
        let (k, s, p) = (
            kernel as i64,
            stride as i64,
            if padded { kernel as i64 / 2 } else { 0 },
        );
        let attributes = vec![
            ints("kernel_shape", &[k, k]),
            ints("strides", &[s, s]),
            ints("dilations", &[1, 1]),
            ints("pads", &[p, p, p, p]),
            int("group", groups as i64),
        ];
        self.node("Conv", &[x, &w, &b], name, attributes);
        name.to_string()
    }

    /// A depthwise 3×3 convolution (padded) followed by a pointwise 1×1 one.
    fn separable(&mut self, name: &str, x: &str, inputs: usize, outputs: usize) -> String {
        let depthwise = self.conv(&format!("{name}_dw"), x, inputs, inputs, 3, 1, inputs, true);
        self.conv(&format!("{name}_pw"), &depthwise, inputs, outputs, 1, 1, 1, false)
    }

    /// `x · W + b` with W int8 per output column.
    fn dense(&mut self, name: &str, x: &str, inputs: usize, outputs: usize) -> String {
        let (w, b, product) = (
            format!("{name}_w"),
            format!("{name}_b"),
            format!("{name}_product"),
        );
        self.int8_weight(
            &w,
            &[inputs as i64, outputs as i64],
            1,
            1.5 / (inputs as f32).sqrt(),
        );
        let bias: Vec<f32> = self.noise(outputs).iter().map(|v| v * 0.1).collect();
        self.constant(&b, &[outputs as i64], &bias);
        self.node("MatMul", &[x, &w], &product, vec![]);
        self.node("Add", &[&product, &b], name, vec![]);
        name.to_string()
    }

    fn finish(self) -> Vec<u8> {
        let graph = GraphProto {
            name: "warm-up".into(),
            node: self.nodes,
            initializer: self.initializers,
            input: vec![
                f32_value_info("image", &[1, SIDE as i64, SIDE as i64, 3]),
                f32_value_info("vector", &[1, VECTOR as i64]),
            ],
            output: vec![f32_value_info("probabilities", &[1, CLASSES as i64])],
            ..Default::default()
        };
        onnx_proto::model(graph).encode_to_vec()
    }
}

fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i,
        ..Default::default()
    }
}

fn ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: ints.to_vec(),
        ..Default::default()
    }
}

fn int64s(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![values.len() as i64],
        data_type: DataType::Int64 as i32,
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb::ModelProto;

    #[test]
    fn warm_up_model_loads_runs_and_folds_every_weight() {
        let mut proto = ModelProto::decode(onnx().as_slice()).unwrap();
        let folded = super::super::weights::dequantize_constant_weights(&mut proto);
        // 2 stem + 4 × (depthwise + pointwise) + 1 residual convolutions, 2 dense layers.
        assert_eq!(folded.len(), 13);
        let probabilities = run(&|| 0.0).unwrap();
        assert_eq!(probabilities.len(), CLASSES);
        assert!(
            (probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-4,
            "{probabilities:?}"
        );
        assert!(probabilities.iter().all(|p| p.is_finite() && *p > 0.0));
    }
}
