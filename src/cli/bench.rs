//! `vibe-opsy bench`: model load/optimise time and warm latency, for side-by-side comparison with
//! other runtimes (see `bench/native.sh`).

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use vibe_opsy::native::model_files;
use vibe_opsy::{Classifier, PatientMetadata};

#[derive(clap::Args)]
pub struct Args {
    /// Image to classify.
    file: PathBuf,
    /// Timed warm runs.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Instead of the timings: where a warm run's time goes, by op kind (each node timed).
    #[arg(long)]
    profile: bool,
    /// With `--profile`: one row per node (name, op, and for a matrix product its shape and
    /// kernel), slowest first.
    #[arg(long, requires = "profile")]
    by_node: bool,
}

#[derive(serde::Serialize)]
struct Figures {
    runtime: &'static str,
    /// Threads for the matrix multiplications (`--threads`).
    threads: usize,
    read_ms: f64,
    parse_ms: f64,
    optimize_ms: f64,
    /// Int8 weights kept int8 through the load (0: all folded to float32).
    deferred_weights: usize,
    first_inference_ms: f64,
    preprocess_median_ms: f64,
    inference_median_ms: f64,
    inference_p90_ms: f64,
    inference_min_ms: f64,
    end_to_end_median_ms: f64,
    /// The same image again with another age: only the model's head runs (0 without a head).
    metadata_change_median_ms: f64,
    runs: usize,
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9), v[0])
}

pub fn run(model: &Path, args: Args, threads: usize) -> anyhow::Result<ExitCode> {
    let runs = args.runs.max(1);
    let image = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let t = Instant::now();
    let (manifest, onnx) = model_files::read_model(model)?;
    let read_ms = ms_since(t);
    let (classifier, timings) = Classifier::new(&onnx, manifest, &model_files::clock_ms)?;
    let meta = PatientMetadata::default();

    let t = Instant::now();
    let tensor = classifier.preprocess(&image)?;
    classifier.run_tensor(&tensor, &meta)?;
    let first_inference_ms = ms_since(t);

    if args.profile {
        let ops = classifier.profile(&tensor, &meta, runs, args.by_node, &model_files::clock_ms)?;
        if args.json {
            println!("{}", serde_json::to_string(&ops)?);
        } else {
            let total: f64 = ops.iter().map(|o| o.ms_per_run).sum();
            println!("{:<28} {:>6} {:>10} {:>7}", "op", "nodes", "ms/run", "share");
            for o in &ops {
                println!(
                    "{:<28} {:>6} {:>10.2} {:>6.1}%",
                    o.op,
                    o.nodes,
                    o.ms_per_run,
                    100.0 * o.ms_per_run / total
                );
            }
            println!("{:<28} {:>6} {:>10.2}", "total", "", total);
        }
        return Ok(ExitCode::SUCCESS);
    }

    let mut pre = Vec::with_capacity(runs);
    let mut inf = Vec::with_capacity(runs);
    let mut e2e = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let tensor = classifier.preprocess(&image)?;
        pre.push(ms_since(t));
        let t = Instant::now();
        classifier.run_tensor(&tensor, &meta)?;
        inf.push(ms_since(t));
        // The whole pipeline: the classifier must not recognise the image.
        classifier.forget_images();
        let t = Instant::now();
        classifier.classify(&image, &meta)?;
        e2e.push(ms_since(t));
    }
    // Then a person changes the age: same image, new metadata.
    let mut changes = Vec::with_capacity(runs);
    for i in 0..runs {
        let new_meta = PatientMetadata {
            age: Some(20.0 + i as f32),
            ..meta.clone()
        };
        let t = Instant::now();
        classifier.classify(&image, &new_meta)?;
        changes.push(ms_since(t));
    }
    let (inference_median_ms, inference_p90_ms, inference_min_ms) = stats(inf);
    let f = Figures {
        runtime: "tract (vibe-opsy native)",
        threads,
        read_ms,
        parse_ms: timings.parse_ms,
        optimize_ms: timings.optimize_ms,
        deferred_weights: timings.deferred_weights,
        first_inference_ms,
        preprocess_median_ms: stats(pre).0,
        inference_median_ms,
        inference_p90_ms,
        inference_min_ms,
        end_to_end_median_ms: stats(e2e).0,
        metadata_change_median_ms: stats(changes).0,
        runs,
    };
    if args.json {
        println!("{}", serde_json::to_string(&f)?);
    } else {
        println!("runtime            {} ({} threads)", f.runtime, f.threads);
        println!("read model         {:8.1} ms", f.read_ms);
        println!("parse              {:8.1} ms", f.parse_ms);
        println!("optimise           {:8.1} ms", f.optimize_ms);
        println!("int8 weights kept  {:8}", f.deferred_weights);
        println!("first inference    {:8.1} ms", f.first_inference_ms);
        println!("preprocess median  {:8.1} ms", f.preprocess_median_ms);
        println!(
            "inference median   {:8.1} ms  (p90 {:.1}, min {:.1}; {} runs)",
            f.inference_median_ms, f.inference_p90_ms, f.inference_min_ms, runs
        );
        println!("end-to-end median  {:8.1} ms", f.end_to_end_median_ms);
        println!(
            "metadata change    {:8.1} ms  (same image, new age: the model's head only)",
            f.metadata_change_median_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
