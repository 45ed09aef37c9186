//! `vibe-opsy eval DIR`: accuracy, balanced accuracy, macro-F1, per-class precision/recall and the
//! confusion matrix on a HAM10000-style folder (images + `HAM10000_metadata.csv`).

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vibe_opsy::native::model_files;
use vibe_opsy::PatientMetadata;

#[derive(clap::Args)]
pub struct Args {
    /// Folder holding HAM10000_metadata.csv and the images (directly or one folder down).
    dir: PathBuf,
    /// Evaluate only the first N rows.
    #[arg(long)]
    limit: Option<usize>,
    /// Ignore age/sex/site from the CSV (classify as if unknown).
    #[arg(long)]
    no_metadata: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// One labelled image from the CSV.
struct Row {
    image_id: String,
    dx: String,
    metadata: PatientMetadata,
}

pub fn run(model: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let csv_path = args.dir.join("HAM10000_metadata.csv");
    let csv =
        std::fs::read_to_string(&csv_path).with_context(|| format!("reading {}", csv_path.display()))?;
    let mut rows = parse_csv(&csv)?;
    if let Some(limit) = args.limit {
        rows.truncate(limit);
    }
    let images = index_images(&args.dir)?;
    let (classifier, _) = model_files::load_classifier(model)?;
    let classes: Vec<String> = classifier
        .manifest()
        .classes
        .iter()
        .map(|c| c.code.clone())
        .collect();
    if let Some(row) = rows.iter().find(|r| !classes.contains(&r.dx)) {
        bail!(
            "{}: dx {:?} is not a class of the model ({})",
            row.image_id,
            row.dx,
            classes.join(", ")
        );
    }

    let progress = ProgressBar::new(rows.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut confusion = Confusion::new(classes.clone());
    let mut skipped = Vec::new();
    for row in &rows {
        progress.inc(1);
        let Some(path) = images.get(&row.image_id) else {
            skipped.push(format!("{}: image not found", row.image_id));
            continue;
        };
        let metadata = if args.no_metadata {
            PatientMetadata::default()
        } else {
            row.metadata.clone()
        };
        let outcome = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| classifier.classify(&bytes, &metadata).map_err(|e| e.to_string()));
        match outcome {
            Ok(p) => confusion.add(&row.dx, &p.class),
            Err(e) => skipped.push(format!("{}: {e}", path.display())),
        }
    }
    progress.finish_and_clear();
    for s in &skipped {
        eprintln!("skipped {s}");
    }
    let report = confusion.report();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    if confusion.total() == 0 {
        bail!("no image could be evaluated");
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses HAM10000_metadata.csv (lesion_id,image_id,dx,dx_type,age,sex,localization[,dataset]).
fn parse_csv(csv: &str) -> anyhow::Result<Vec<Row>> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = split_csv_line(lines.next().context("empty CSV")?);
    let col = |name: &str| header.iter().position(|h| h == name);
    let image_col = col("image_id").context("CSV has no image_id column")?;
    let dx_col = col("dx").context("CSV has no dx column")?;
    let (age_col, sex_col, site_col) = (col("age"), col("sex"), col("localization"));
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        let fields = split_csv_line(line);
        let get = |c: Option<usize>| c.and_then(|c| fields.get(c)).map(|s| s.trim().to_string());
        let (Some(image_id), Some(dx)) = (get(Some(image_col)), get(Some(dx_col))) else {
            bail!("CSV line {}: missing image_id or dx", n + 2);
        };
        let known = |s: Option<String>| s.filter(|v| !v.is_empty() && v != "unknown");
        rows.push(Row {
            image_id,
            dx,
            metadata: PatientMetadata {
                age: get(age_col).and_then(|a| a.parse().ok()),
                sex: known(get(sex_col)),
                site: known(get(site_col)),
            },
        });
    }
    Ok(rows)
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    for ch in line.trim_end_matches('\r').chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().map(|f| f.push(c)).unwrap_or(()),
        }
    }
    fields
}

/// Maps image ids (file stems) to paths, in `dir` and its direct subfolders.
fn index_images(dir: &Path) -> anyhow::Result<HashMap<String, PathBuf>> {
    let mut index = HashMap::new();
    let mut folders = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.path().is_dir() {
            folders.push(entry.path());
        }
    }
    for folder in folders {
        for entry in std::fs::read_dir(&folder)?.flatten() {
            let path = entry.path();
            let is_image = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "jpg" | "jpeg" | "png" | "webp" | "bmp" | "gif" | "tif" | "tiff"
                )
            });
            if let (true, Some(stem)) = (is_image, path.file_stem().and_then(|s| s.to_str())) {
                index.insert(stem.to_string(), path.clone());
            }
        }
    }
    Ok(index)
}

/// Confusion matrix over the model's classes: `counts[truth][predicted]`.
pub struct Confusion {
    classes: Vec<String>,
    counts: Vec<Vec<u64>>,
}

#[derive(serde::Serialize)]
pub struct Report {
    pub images: u64,
    pub accuracy: f64,
    pub balanced_accuracy: f64,
    pub macro_f1: f64,
    pub per_class: Vec<ClassReport>,
    pub classes: Vec<String>,
    /// Rows: true class; columns: predicted class.
    pub confusion: Vec<Vec<u64>>,
}

#[derive(serde::Serialize)]
pub struct ClassReport {
    pub class: String,
    pub support: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Confusion {
    pub fn new(classes: Vec<String>) -> Self {
        let n = classes.len();
        Confusion {
            classes,
            counts: vec![vec![0; n]; n],
        }
    }

    fn index(&self, class: &str) -> Option<usize> {
        self.classes.iter().position(|c| c == class)
    }

    pub fn add(&mut self, truth: &str, predicted: &str) {
        if let (Some(t), Some(p)) = (self.index(truth), self.index(predicted)) {
            self.counts[t][p] += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Classes absent from the ground truth are left out of the macro averages.
    pub fn report(&self) -> Report {
        let n = self.classes.len();
        let total = self.total();
        let correct: u64 = (0..n).map(|i| self.counts[i][i]).sum();
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class: Vec<ClassReport> = (0..n)
            .map(|i| {
                let support: u64 = self.counts[i].iter().sum();
                let predicted: u64 = (0..n).map(|t| self.counts[t][i]).sum();
                let tp = self.counts[i][i];
                let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
                let f1 = if precision + recall == 0.0 {
                    0.0
                } else {
                    2.0 * precision * recall / (precision + recall)
                };
                ClassReport {
                    class: self.classes[i].clone(),
                    support,
                    precision,
                    recall,
                    f1,
                }
            })
            .collect();
        let present: Vec<&ClassReport> = per_class.iter().filter(|c| c.support > 0).collect();
        let mean = |f: fn(&ClassReport) -> f64| {
            if present.is_empty() {
                0.0
            } else {
                present.iter().map(|c| f(c)).sum::<f64>() / present.len() as f64
            }
        };
        Report {
            images: total,
            accuracy: ratio(correct, total),
            balanced_accuracy: mean(|c| c.recall),
            macro_f1: mean(|c| c.f1),
            classes: self.classes.clone(),
            confusion: self.counts.clone(),
            per_class,
        }
    }
}

impl Report {
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "images            {}", self.images);
        let _ = writeln!(s, "accuracy          {:.3}", self.accuracy);
        let _ = writeln!(s, "balanced accuracy {:.3}", self.balanced_accuracy);
        let _ = writeln!(s, "macro F1          {:.3}\n", self.macro_f1);
        let _ = writeln!(
            s,
            "{:<8} {:>8} {:>9} {:>7} {:>6}",
            "class", "support", "precision", "recall", "f1"
        );
        for c in &self.per_class {
            let _ = writeln!(
                s,
                "{:<8} {:>8} {:>9.3} {:>7.3} {:>6.3}",
                c.class, c.support, c.precision, c.recall, c.f1
            );
        }
        let _ = write!(s, "\nconfusion (rows: truth, columns: predicted)\n{:<8}", "");
        for c in &self.classes {
            let _ = write!(s, "{c:>7}");
        }
        s.push('\n');
        for (class, row) in self.classes.iter().zip(&self.confusion) {
            let _ = write!(s, "{class:<8}");
            for v in row {
                let _ = write!(s, "{v:>7}");
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_on_a_known_matrix() {
        let mut c = Confusion::new(vec!["a".into(), "b".into(), "c".into()]);
        for (t, p) in [
            ("a", "a"),
            ("a", "a"),
            ("a", "b"),
            ("b", "b"),
            ("b", "a"),
            ("c", "c"),
        ] {
            c.add(t, p);
        }
        let r = c.report();
        assert_eq!(r.images, 6);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // recalls: a 2/3, b 1/2, c 1 -> balanced 13/18
        assert!((r.balanced_accuracy - 13.0 / 18.0).abs() < 1e-12);
        // precisions: a 2/3, b 1/2, c 1; f1 = same as recall here
        assert!((r.macro_f1 - 13.0 / 18.0).abs() < 1e-12);
        assert_eq!(r.confusion[0], vec![2, 1, 0]);
    }

    #[test]
    fn csv_with_quotes_and_unknowns() {
        let rows = parse_csv(
            "lesion_id,image_id,dx,dx_type,age,sex,localization\nHAM_1,ISIC_1,nv,histo,45.0,male,\"upper extremity\"\nHAM_2,ISIC_2,mel,histo,,unknown,unknown\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].metadata.site.as_deref(), Some("upper extremity"));
        assert_eq!(rows[0].metadata.age, Some(45.0));
        assert_eq!(rows[1].metadata, PatientMetadata::default());
    }
}
