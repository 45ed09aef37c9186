//! The out-of-domain check measured on an evaluation set laid out as `tests/fixtures`:
//! `domain/photos.csv` + `domain/photos/` (ordinary photos, split `tune` / `heldout`),
//! `domain/lesion_like/` (synthetic lesion-like images never used for fitting),
//! `reference/dermoscopy/` (real HAM10000 images) and `reference/images/` (the team's colour synthetic
//! lesions). Used by `vibe-opsy domain-report` and by `tests/domain_check.rs`.

use anyhow::{bail, Context};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::classifier::{Classifier, PatientMetadata};
use crate::engine::threads::MatmulThreads;

/// One image of the set and what the check should say about it.
#[derive(Debug, Clone)]
pub struct Item {
    pub path: PathBuf,
    /// `photos/tune`, `photos/heldout`, `dermoscopy`, `lesion_like` or `synthetic`.
    pub part: String,
    /// Photo category (person, animal, ...), or the part again for in-domain images.
    pub category: String,
    /// True for ordinary photos (which should be flagged).
    pub out_of_domain: bool,
}

/// The reference set's colour synthetic lesions (its grayscale variants are out of domain by design).
const SYNTHETIC: &[&str] = &[
    "lesion_7_0.jpg",
    "lesion_7_1.jpg",
    "lesion_7_2.png",
    "lesion_7_3.jpg",
    "lesion_7_4.jpg",
    "lesion_7_5.png",
    "v_7.bmp",
    "v_7_cmyk.jpg",
    "v_7_exif6.jpg",
    "v_7_large.jpg",
    "v_7_lossless.webp",
    "v_7_palette.gif",
    "v_7_progressive.jpg",
    "v_7_rgba.png",
    "v_7_tiny.png",
];

/// Lists the evaluation set under `fixtures` (a folder laid out as `tests/fixtures`).
pub fn load_set(fixtures: &Path) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    let csv_path = fixtures.join("domain/photos.csv");
    let csv =
        std::fs::read_to_string(&csv_path).with_context(|| format!("reading {}", csv_path.display()))?;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(file), Some(split), Some(category)) = (col("file"), col("split"), col("category")) else {
        bail!("{}: needs file, split and category columns", csv_path.display());
    };
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let get = |i: usize| fields.get(i).copied().unwrap_or_default();
        items.push(Item {
            path: fixtures.join("domain/photos").join(get(file)),
            part: format!("photos/{}", get(split)),
            category: get(category).to_string(),
            out_of_domain: true,
        });
    }
    let mut add_dir = |dir: PathBuf, part: &str, only: Option<&[&str]>| -> anyhow::Result<()> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                match only {
                    Some(names) => names.contains(&name),
                    None => [".jpg", ".png"].iter().any(|ext| name.ends_with(ext)),
                }
            })
            .collect();
        files.sort();
        if files.is_empty() {
            bail!("no images in {}", dir.display());
        }
        items.extend(files.into_iter().map(|path| Item {
            path,
            part: part.into(),
            category: part.into(),
            out_of_domain: false,
        }));
        Ok(())
    };
    add_dir(fixtures.join("reference/dermoscopy"), "dermoscopy", None)?;
    add_dir(fixtures.join("domain/lesion_like"), "lesion_like", None)?;
    add_dir(fixtures.join("reference/images"), "synthetic", Some(SYNTHETIC))?;
    Ok(items)
}

/// What the check said about one image.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub file: String,
    pub part: String,
    pub category: String,
    pub flagged: bool,
    pub score: Option<f32>,
    pub class: String,
}

/// Counts per part, and the images the check got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// part -> (flagged, total)
    pub parts: BTreeMap<String, (usize, usize)>,
    /// held-out photo category -> (flagged, total)
    pub heldout_categories: BTreeMap<String, (usize, usize)>,
    /// Photos that were not flagged and in-domain images that were.
    pub mistakes: Vec<Outcome>,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// Fraction flagged in `part` (0 when the part is empty).
    pub fn flagged_fraction(&self, part: &str) -> f64 {
        self.parts
            .get(part)
            .map_or(0.0, |(f, t)| if *t == 0 { 0.0 } else { *f as f64 / *t as f64 })
    }

    pub fn flagged(&self, part: &str) -> usize {
        self.parts.get(part).map_or(0, |p| p.0)
    }

    pub fn to_text(&self) -> String {
        let mut out = String::from("part               flagged / total\n");
        for (part, (f, t)) in &self.parts {
            let what = if part.starts_with("photos") {
                "should be flagged"
            } else {
                "false flags"
            };
            out += &format!(
                "{part:<18} {f:>4} / {t:<4} {:>6.1}%   ({what})\n",
                100.0 * *f as f64 / (*t).max(1) as f64
            );
        }
        out += "\nheld-out photos by category\n";
        for (cat, (f, t)) in &self.heldout_categories {
            out += &format!("  {cat:<14} {f:>3} / {t}\n");
        }
        if !self.mistakes.is_empty() {
            out += "\nmistakes\n";
            for m in &self.mistakes {
                let score = m.score.map_or("-".into(), |s| format!("{s:.2}"));
                let verdict = if m.flagged { "flagged" } else { "passed" };
                out += &format!(
                    "  {:<14} {:<48} {verdict:<8} score {score:>7} ({})\n",
                    m.part, m.file, m.class
                );
            }
        }
        out
    }
}

/// Classifies every item (`jobs` images at a time, one core each) and counts.
pub fn evaluate(classifier: &Classifier, items: &[Item], jobs: usize) -> anyhow::Result<Report> {
    let jobs = jobs.clamp(1, 16);
    let chunk = items.len().div_ceil(jobs).max(1);
    let results: Vec<anyhow::Result<Vec<Outcome>>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    MatmulThreads::single()
                        .run(|| part.iter().map(|item| classify(classifier, item)).collect())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker thread panicked")))
            })
            .collect()
    });
    let mut outcomes = Vec::with_capacity(items.len());
    for r in results {
        outcomes.extend(r?);
    }
    let mut parts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut heldout_categories: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut mistakes = Vec::new();
    for (o, item) in outcomes.iter().zip(items) {
        let e = parts.entry(o.part.clone()).or_default();
        e.0 += usize::from(o.flagged);
        e.1 += 1;
        if o.part == "photos/heldout" {
            let c = heldout_categories.entry(o.category.clone()).or_default();
            c.0 += usize::from(o.flagged);
            c.1 += 1;
        }
        if o.flagged != item.out_of_domain {
            mistakes.push(o.clone());
        }
    }
    Ok(Report {
        parts,
        heldout_categories,
        mistakes,
        outcomes,
    })
}

fn classify(classifier: &Classifier, item: &Item) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&item.path).with_context(|| format!("reading {}", item.path.display()))?;
    let p = classifier
        .classify(&bytes, &PatientMetadata::default())
        .with_context(|| format!("classifying {}", item.path.display()))?;
    Ok(Outcome {
        file: item
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        part: item.part.clone(),
        category: item.category.clone(),
        flagged: !p.in_domain,
        score: p.domain_score,
        class: p.class,
    })
}
