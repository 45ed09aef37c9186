//! Small helpers that build ONNX protobuf messages in code: the engine's warm-up model
//! ([`super::warmup`]) and the tests' hand-made models use them.

use tract_onnx::pb::tensor_shape_proto::{dimension::Value, Dimension};
use tract_onnx::pb::{
    tensor_proto::DataType, type_proto, GraphProto, ModelProto, OperatorSetIdProto, TensorShapeProto,
    TypeProto, ValueInfoProto,
};

/// An ONNX graph input/output: a float32 tensor of `dims`.
pub fn f32_value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = |d: &i64| Dimension {
        value: Some(Value::DimValue(*d)),
        ..Default::default()
    };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto {
                    dim: dims.iter().map(dim).collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `graph` as a model of the default domain at opset 13 (IR version 7).
pub fn model(graph: GraphProto) -> ModelProto {
    ModelProto {
        ir_version: 7,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(graph),
        ..Default::default()
    }
}
