//! Is this a dermatoscopic (or close-up skin lesion) photo at all? The model labels anything: a portrait,
//! a drink or a landscape gets a class and often a confident one. The check scores an image with a
//! linear model, fitted by `models/domain/train.py` and stored in the manifest, over
//! - the network's own penultimate features (L2-normalised), which the engine returns with the
//!   probabilities at no extra cost, and
//! - a few colour and composition statistics of the resized model input ([`ImageStat`]).
//!
//! Below the manifest's threshold the prediction is marked out of domain. Grayscale images always are
//! (the model was trained on colour photos). Same code in the CLI, the server and the wasm package.

use serde::{Deserialize, Serialize};

use super::manifest::DomainCheck;

/// A statistic of the resized RGB image (`[H][W][3]`, 0..255). Names are the manifest's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageStat {
    /// Fraction of pixels whose red is at least their green and blue (skin, blood, melanin).
    RedDominant,
    /// Fraction with red >= green >= blue - 8 and red >= blue: the warm hue ordering of skin.
    WarmOrdered,
    /// Fraction of near-black pixels (max channel < 30): vignettes, night scenes, dark backgrounds.
    NearBlack,
    /// Fraction of highly saturated pixels ((max - min) / (max + 1) > 0.75).
    Vivid,
    /// Fraction of neighbouring pixel pairs whose gray levels differ by more than 40: hard edges, text.
    HardEdges,
    /// Mean gray level of the central quarter minus that of the outer eighth-wide frame, / 255.
    CentreMinusBorder,
    /// Hasler and Süsstrunk's colourfulness, / 100.
    Colourfulness,
    /// Mean saturation.
    MeanSaturation,
}

/// The statistics of `rgb` (row-major `[height][width][3]`), in the order asked.
pub fn image_stats(rgb: &[f64], width: usize, height: usize, stats: &[ImageStat]) -> Vec<f64> {
    let summary = Summary::of(rgb, width, height);
    stats.iter().map(|s| summary.get(*s)).collect()
}

/// Every statistic, computed in one pass (plus one for the gradients).
struct Summary {
    red_dominant: f64,
    warm_ordered: f64,
    near_black: f64,
    vivid: f64,
    hard_edges: f64,
    centre_minus_border: f64,
    colourfulness: f64,
    mean_saturation: f64,
}

impl Summary {
    fn of(rgb: &[f64], width: usize, height: usize) -> Summary {
        let n = (width * height).min(rgb.len() / 3);
        if n == 0 {
            return Summary {
                red_dominant: 0.0,
                warm_ordered: 0.0,
                near_black: 0.0,
                vivid: 0.0,
                hard_edges: 0.0,
                centre_minus_border: 0.0,
                colourfulness: 0.0,
                mean_saturation: 0.0,
            };
        }
        let (mut red_dominant, mut warm, mut black, mut vivid) = (0usize, 0usize, 0usize, 0usize);
        let (mut sat_sum, mut rg_sum, mut yb_sum, mut rg_sq, mut yb_sq) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let (mut centre_sum, mut centre_n, mut frame_sum, mut frame_n) = (0.0, 0usize, 0.0, 0usize);
        let mut gray = Vec::with_capacity(n);
        let edge = height / 8;
        let edge_x = width / 8;
        for (i, px) in rgb.chunks_exact(3).take(n).enumerate() {
            let (r, g, b) = (px[0], px[1], px[2]);
            let max = r.max(g).max(b);
            let min = r.min(g).min(b);
            let sat = (max - min) / (max + 1.0);
            red_dominant += usize::from(r >= g && r >= b);
            warm += usize::from(r >= g && g + 8.0 >= b && r >= b);
            black += usize::from(max < 30.0);
            vivid += usize::from(sat > 0.75);
            sat_sum += sat;
            let rg = r - g;
            let yb = 0.5 * (r + g) - b;
            rg_sum += rg;
            yb_sum += yb;
            rg_sq += rg * rg;
            yb_sq += yb * yb;
            let v = (r + g + b) / 3.0;
            gray.push(v);
            let (y, x) = (i / width, i % width);
            if (height / 4..3 * height / 4).contains(&y) && (width / 4..3 * width / 4).contains(&x) {
                centre_sum += v;
                centre_n += 1;
            }
            if y < edge || y >= height - edge || x < edge_x || x >= width - edge_x {
                frame_sum += v;
                frame_n += 1;
            }
        }
        let mut edges = 0usize;
        let mut pairs = 0usize;
        for y in 0..height {
            for x in 0..width {
                let i = y * width + x;
                if i >= n {
                    break;
                }
                if x + 1 < width && i + 1 < n {
                    edges += usize::from((gray[i + 1] - gray[i]).abs() > 40.0);
                    pairs += 1;
                }
                if y + 1 < height && i + width < n {
                    edges += usize::from((gray[i + width] - gray[i]).abs() > 40.0);
                    pairs += 1;
                }
            }
        }
        let nf = n as f64;
        let (rg_mean, yb_mean) = (rg_sum / nf, yb_sum / nf);
        let rg_var = (rg_sq / nf - rg_mean * rg_mean).max(0.0);
        let yb_var = (yb_sq / nf - yb_mean * yb_mean).max(0.0);
        let mean = |sum: f64, count: usize| if count == 0 { 0.0 } else { sum / count as f64 };
        Summary {
            red_dominant: red_dominant as f64 / nf,
            warm_ordered: warm as f64 / nf,
            near_black: black as f64 / nf,
            vivid: vivid as f64 / nf,
            hard_edges: if pairs == 0 {
                0.0
            } else {
                edges as f64 / pairs as f64
            },
            centre_minus_border: (mean(centre_sum, centre_n) - mean(frame_sum, frame_n)) / 255.0,
            colourfulness: ((rg_var + yb_var).sqrt() + 0.3 * (rg_mean * rg_mean + yb_mean * yb_mean).sqrt())
                / 100.0,
            mean_saturation: sat_sum / nf,
        }
    }

    fn get(&self, stat: ImageStat) -> f64 {
        match stat {
            ImageStat::RedDominant => self.red_dominant,
            ImageStat::WarmOrdered => self.warm_ordered,
            ImageStat::NearBlack => self.near_black,
            ImageStat::Vivid => self.vivid,
            ImageStat::HardEdges => self.hard_edges,
            ImageStat::CentreMinusBorder => self.centre_minus_border,
            ImageStat::Colourfulness => self.colourfulness,
            ImageStat::MeanSaturation => self.mean_saturation,
        }
    }
}

/// The check's verdict on one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainVerdict {
    /// The linear score; higher is more like the images the model was made for.
    pub score: f32,
    pub in_domain: bool,
}

/// Scores `features` (the network's, not yet normalised) and `stats` (from [`image_stats`] in the
/// manifest's order). `None` when their lengths do not match the manifest's weights.
pub fn score(check: &DomainCheck, features: &[f32], stats: &[f64]) -> Option<DomainVerdict> {
    let (feature_weights, stat_weights) = check.weights.split_at_checked(features.len())?;
    if stat_weights.len() != stats.len() || features.is_empty() {
        return None;
    }
    let norm = features
        .iter()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        .sqrt()
        .max(1e-12);
    let from_features: f64 = features
        .iter()
        .zip(feature_weights)
        .map(|(v, w)| f64::from(*v) / norm * f64::from(*w))
        .sum();
    let from_stats: f64 = stats
        .iter()
        .zip(stat_weights)
        .map(|(v, w)| v * f64::from(*w))
        .sum();
    let score = from_features + from_stats + f64::from(check.bias);
    Some(DomainVerdict {
        score: score as f32,
        in_domain: score.is_finite() && score >= f64::from(check.threshold),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uniform(rgb: [f64; 3], w: usize, h: usize) -> Vec<f64> {
        (0..w * h).flat_map(|_| rgb).collect()
    }

    #[test]
    fn skin_toned_field_is_warm_and_flat() {
        let s = Summary::of(&uniform([220.0, 170.0, 150.0], 16, 16), 16, 16);
        assert_eq!(
            (s.red_dominant, s.warm_ordered, s.near_black, s.vivid),
            (1.0, 1.0, 0.0, 0.0)
        );
        assert_eq!((s.hard_edges, s.centre_minus_border), (0.0, 0.0));
    }

    #[test]
    fn blue_sky_and_black_text_are_not() {
        let s = Summary::of(&uniform([40.0, 90.0, 230.0], 8, 8), 8, 8);
        assert_eq!((s.red_dominant, s.warm_ordered), (0.0, 0.0));
        assert!(s.vivid == 1.0 && s.mean_saturation > 0.8);
        // black and white columns: every horizontal pair is a hard edge, no vertical one
        let stripes: Vec<f64> = (0..8 * 8)
            .flat_map(|i| if i % 2 == 0 { [0.0; 3] } else { [255.0; 3] })
            .collect();
        let s = Summary::of(&stripes, 8, 8);
        assert!((s.hard_edges - 56.0 / 112.0).abs() < 1e-12, "{}", s.hard_edges);
        assert_eq!(s.near_black, 0.5);
    }

    #[test]
    fn centre_darker_than_frame_is_negative() {
        let (w, h) = (16, 16);
        let rgb: Vec<f64> = (0..w * h)
            .flat_map(|i| {
                let (y, x) = (i / w, i % w);
                if (4..12).contains(&y) && (4..12).contains(&x) {
                    [50.0; 3]
                } else {
                    [200.0; 3]
                }
            })
            .collect();
        let s = Summary::of(&rgb, w, h);
        assert!((s.centre_minus_border - (50.0 - 200.0) / 255.0).abs() < 1e-12);
    }

    #[test]
    fn score_is_the_linear_model_on_normalised_features() {
        let check = DomainCheck {
            description: String::new(),
            feature_output: "f".into(),
            image_stats: vec![ImageStat::Vivid],
            weights: vec![1.0, 0.0, 2.0],
            bias: -0.5,
            threshold: 0.0,
        };
        // features (3, 4) normalise to (0.6, 0.8): 0.6 * 1 + 0.8 * 0 + 0.25 * 2 - 0.5 = 0.6
        let v = score(&check, &[3.0, 4.0], &[0.25]).unwrap();
        assert!((v.score - 0.6).abs() < 1e-6 && v.in_domain);
        let v = score(&check, &[0.0, 4.0], &[0.0]).unwrap();
        assert!(!v.in_domain, "{v:?}");
        assert!(score(&check, &[1.0], &[0.0]).is_none(), "wrong feature length");
        assert!(score(&check, &[1.0, 1.0], &[]).is_none(), "wrong stats length");
    }

    #[test]
    fn empty_image_gives_zeros() {
        assert_eq!(
            image_stats(&[], 0, 0, &[ImageStat::Vivid, ImageStat::HardEdges]),
            vec![0.0, 0.0]
        );
    }
}
