//! Resizes and normalises an RGB image into the model's input tensor, exactly as the model was
//! trained (for sklesion: TensorFlow bilinear resize, half-pixel centres, no antialiasing).

use image::RgbImage;

use super::manifest::{ImageInput, Layout, ResizeMethod};

/// The model input for one image: `[1, H, W, 3]` (NHWC) or `[1, 3, H, W]` (NCHW), row-major.
#[derive(Debug, Clone)]
pub struct InputTensor {
    pub shape: [usize; 4],
    pub data: Vec<f32>,
}

/// One axis of a bilinear resize: for each output index, the two source indices and the weight of
/// the second.
struct AxisSamples {
    lo: Vec<usize>,
    hi: Vec<usize>,
    frac: Vec<f64>,
}

/// TensorFlow's half-pixel mapping: `src = (dst + 0.5) * in / out - 0.5`, clamped to `[0, in - 1]`.
fn half_pixel_samples(input: u32, output: u32) -> AxisSamples {
    let (input, output) = (input as usize, output as usize);
    let scale = input as f64 / output as f64;
    let last = (input - 1) as f64;
    let mut samples = AxisSamples {
        lo: Vec::with_capacity(output),
        hi: Vec::with_capacity(output),
        frac: Vec::with_capacity(output),
    };
    for dst in 0..output {
        let src = ((dst as f64 + 0.5) * scale - 0.5).clamp(0.0, last);
        let lo = src.floor();
        samples.lo.push(lo as usize);
        samples.hi.push((lo as usize + 1).min(input - 1));
        samples.frac.push(src - lo);
    }
    samples
}

/// Resizes `image` to the model's size and returns 8-bit-scale RGB samples, `[H][W][3]` as f64.
pub fn resize(image: &RgbImage, input: &ImageInput) -> Vec<f64> {
    match input.resize {
        ResizeMethod::BilinearHalfPixel => resize_bilinear_half_pixel(image, input.width, input.height),
    }
}

fn resize_bilinear_half_pixel(image: &RgbImage, out_w: u32, out_h: u32) -> Vec<f64> {
    let xs = half_pixel_samples(image.width(), out_w);
    let ys = half_pixel_samples(image.height(), out_h);
    let src = image.as_raw();
    let stride = image.width() as usize * 3;
    let mut out = Vec::with_capacity(out_w as usize * out_h as usize * 3);
    for y in 0..out_h as usize {
        let top = &src[ys.lo[y] * stride..][..stride];
        let bottom = &src[ys.hi[y] * stride..][..stride];
        let wy = ys.frac[y];
        for x in 0..out_w as usize {
            let (l, r, wx) = (xs.lo[x] * 3, xs.hi[x] * 3, xs.frac[x]);
            for c in 0..3 {
                let t = f64::from(top[l + c]) + (f64::from(top[r + c]) - f64::from(top[l + c])) * wx;
                let b = f64::from(bottom[l + c]) + (f64::from(bottom[r + c]) - f64::from(bottom[l + c])) * wx;
                out.push(t + (b - t) * wy);
            }
        }
    }
    out
}

/// Resizes and normalises into the layout the manifest asks for.
pub fn to_input_tensor(image: &RgbImage, input: &ImageInput) -> InputTensor {
    normalise(&resize(image, input), input)
}

/// Normalises the output of [`resize`] into the layout the manifest asks for.
pub fn normalise(resized: &[f64], input: &ImageInput) -> InputTensor {
    let (w, h) = (input.width as usize, input.height as usize);
    let scale = f64::from(input.value_scale) / 255.0;
    let norm = |v: f64, c: usize| ((v * scale - f64::from(input.mean[c])) / f64::from(input.std[c])) as f32;
    match input.layout {
        Layout::Nhwc => InputTensor {
            shape: [1, h, w, 3],
            data: resized.iter().enumerate().map(|(i, &v)| norm(v, i % 3)).collect(),
        },
        Layout::Nchw => {
            let mut data = vec![0f32; 3 * h * w];
            for (i, &v) in resized.iter().enumerate() {
                let (pixel, c) = (i / 3, i % 3);
                data[c * h * w + pixel] = norm(v, c);
            }
            InputTensor {
                shape: [1, 3, h, w],
                data,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(layout: Layout, w: u32, h: u32) -> ImageInput {
        ImageInput {
            name: "x".into(),
            layout,
            width: w,
            height: h,
            resize: ResizeMethod::BilinearHalfPixel,
            value_scale: 1.0,
            mean: [0.5, 0.5, 0.5],
            std: [0.5, 0.5, 0.5],
        }
    }

    #[test]
    fn identity_size_is_exact() {
        let img = RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 10, y as u8 * 20, 7]));
        let out = resize_bilinear_half_pixel(&img, 5, 3);
        let expect: Vec<f64> = img.as_raw().iter().map(|&v| f64::from(v)).collect();
        assert_eq!(out, expect);
    }

    #[test]
    fn upscale_matches_tensorflow_half_pixel() {
        // tf.image.resize([[0, 100]], (1, 4), 'bilinear') == [0, 25, 75, 100]
        let img = RgbImage::from_fn(2, 1, |x, _| image::Rgb([x as u8 * 100; 3]));
        let out = resize_bilinear_half_pixel(&img, 4, 1);
        let red: Vec<f64> = out.chunks(3).map(|p| p[0]).collect();
        assert_eq!(red, [0.0, 25.0, 75.0, 100.0]);
    }

    #[test]
    fn layouts_and_normalisation() {
        let img = RgbImage::from_fn(2, 2, |_, _| image::Rgb([255, 0, 51]));
        let nhwc = to_input_tensor(&img, &spec(Layout::Nhwc, 2, 2));
        assert_eq!(nhwc.shape, [1, 2, 2, 3]);
        assert_eq!(&nhwc.data[..3], &[1.0, -1.0, -0.6]);
        let nchw = to_input_tensor(&img, &spec(Layout::Nchw, 2, 2));
        assert_eq!(nchw.shape, [1, 3, 2, 2]);
        assert_eq!(&nchw.data[..5], &[1.0, 1.0, 1.0, 1.0, -1.0]);
    }
}
