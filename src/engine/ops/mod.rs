//! Ops swapped in for tract's after optimisation (bit-identical results, faster loops).

pub mod depthwise;
pub mod last_axis_binop;
pub mod maxpool;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
