//! `vibe-opsy domain-report [FIXTURES]`: how the out-of-domain check does on the evaluation set (ordinary
//! photos that should be flagged, tuning and held-out parts apart; dermatoscopic and lesion-like images
//! that should not).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vibe_opsy::engine::threads::available_cores;
use vibe_opsy::native::{domain_report, model_files};

#[derive(clap::Args)]
pub struct Args {
    /// Folder laid out as tests/fixtures (domain/photos.csv, domain/photos/, domain/lesion_like/,
    /// reference/dermoscopy/, reference/images/).
    #[arg(default_value = "tests/fixtures")]
    fixtures: PathBuf,
    /// Print the report (with every image's outcome) as JSON.
    #[arg(long)]
    json: bool,
    /// Images classified at once, one core each (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
}

pub fn run(model: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let (classifier, _) = model_files::load_classifier(model)?;
    let items = domain_report::load_set(&args.fixtures)?;
    let jobs = args.jobs.unwrap_or_else(available_cores);
    let report = domain_report::evaluate(&classifier, &items, jobs)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}
