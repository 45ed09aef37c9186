//! The command line.

mod bench;
mod classify;
mod domain_report;
mod eval;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

use vibe_opsy::engine::threads::{available_cores, MatmulThreads};
use vibe_opsy::native::model_files;
use vibe_opsy::PatientMetadata;

#[derive(Parser)]
#[command(
    name = "vibe-opsy",
    version,
    about = "Skin-lesion classifier (HAM10000: akiec, bcc, bkl, df, mel, nv, vasc). Research/education use only: not a medical device."
)]
struct Cli {
    /// Model: a manifest (*.manifest.json), an .onnx with its manifest beside it, or a folder.
    /// Defaults to $VIBE_OPSY_MODEL, then the bundled model.
    #[arg(long, global = true)]
    model: Option<PathBuf>,
    /// Threads for one inference's matrix multiplications (default: every core; 1 = single-threaded).
    /// `serve` splits them between concurrent requests.
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify image files.
    Classify(classify::Args),
    /// Evaluate on a HAM10000-style folder (images + HAM10000_metadata.csv).
    Eval(eval::Args),
    /// How the out-of-domain check does on an evaluation set (photos flagged, lesions left alone).
    DomainReport(domain_report::Args),
    /// Measure model load/optimise time and inference latency.
    Bench(bench::Args),
    /// Serve the HTTP API (and optionally the web app).
    Serve(serve::ServeArgs),
}

/// Patient metadata flags shared by the subcommands.
#[derive(clap::Args, Clone, Default)]
pub struct MetadataArgs {
    /// Patient age in years.
    #[arg(long)]
    age: Option<f32>,
    /// Patient sex (female, male).
    #[arg(long)]
    sex: Option<String>,
    /// Body site (arm, head_neck, leg_genital, trunk, or a HAM10000 localization such as "back").
    #[arg(long)]
    site: Option<String>,
}

impl MetadataArgs {
    fn to_metadata(&self) -> PatientMetadata {
        PatientMetadata {
            age: self.age,
            sex: self.sex.clone(),
            site: self.site.clone(),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let model = cli.model.unwrap_or_else(model_files::default_model_path);
    let threads = cli.threads.unwrap_or_else(available_cores).max(1);
    if !matches!(cli.command, Command::Serve(_)) {
        MatmulThreads::new(threads).make_default();
    }
    let result = match cli.command {
        Command::Classify(args) => classify::run(&model, args),
        Command::Eval(args) => eval::run(&model, args),
        Command::DomainReport(args) => domain_report::run(&model, args),
        Command::Bench(args) => bench::run(&model, args, threads),
        Command::Serve(args) => serve::run(&model, args, cli.threads).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vibe-opsy: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
