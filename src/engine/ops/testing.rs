//! What the ops' checks against tract share (unit tests, and the wasm tests through
//! `test-support`): a reproducible stream of test values and one run of a one-input model.

use tract_onnx::prelude::*;

/// Pseudo-random values with ties, both signs and a spread of magnitudes: a xorshift stream,
/// each value one of 2001 steps of `1 / divisor` around zero.
pub struct TestValues {
    state: u32,
    divisor: f32,
}

impl TestValues {
    pub fn new(divisor: f32) -> TestValues {
        TestValues {
            state: 0x9e37_79b9,
            divisor,
        }
    }

    /// The next `n` values of the stream.
    pub fn take(&mut self, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let s = &mut self.state;
                *s ^= *s << 13;
                *s ^= *s >> 17;
                *s ^= *s << 5;
                ((*s % 2001) as f32 - 1000.0) / self.divisor
            })
            .collect()
    }
}

/// Runs `model` (one f32 input of `shape`) on `values`; returns its first output's values.
pub fn run_once(model: TypedModel, shape: &[usize], values: &[f32]) -> TractResult<Vec<f32>> {
    let input = Tensor::from_shape(shape, values)?;
    let out = model.into_runnable()?.run(tvec!(input.into_tvalue()))?;
    Ok(out[0].to_plain_array_view::<f32>()?.iter().copied().collect())
}
