//! `vibe-opsy classify`: one result per file, as a table or as JSON lines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vibe_opsy::native::model_files;
use vibe_opsy::{ClassifyError, Prediction};

use super::MetadataArgs;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object per file instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    metadata: MetadataArgs,
    /// Image files (JPEG, PNG, GIF, WebP, BMP, TIFF).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

enum FileError {
    Read(std::io::Error),
    Classify(ClassifyError),
}

impl FileError {
    fn code(&self) -> &'static str {
        match self {
            FileError::Read(_) => "unreadable_file",
            FileError::Classify(e) => e.code(),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Read(e) => write!(f, "cannot read the file: {e}"),
            FileError::Classify(e) => e.fmt(f),
        }
    }
}

pub fn run(model: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let (classifier, _) = model_files::load_classifier(model)?;
    let metadata = args.metadata.to_metadata();
    let mut failures = 0;
    if !args.json {
        println!(
            "{:<32} {:<6} {:>6}  {:<6} LABEL",
            "FILE", "CLASS", "CONF", "CANCER"
        );
    }
    for file in &args.files {
        let result = std::fs::read(file).map_err(FileError::Read).and_then(|bytes| {
            classifier
                .classify(&bytes, &metadata)
                .map_err(FileError::Classify)
        });
        if result.is_err() {
            failures += 1;
        }
        if args.json {
            println!("{}", json_line(file, &result));
        } else {
            print_row(file, &result);
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One line of `--json` output: the file name plus the prediction or the error.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    file: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    prediction: Option<&'a Prediction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError>,
}

#[derive(serde::Serialize)]
struct JsonError {
    code: &'static str,
    message: String,
}

fn json_line(file: &Path, result: &Result<Prediction, FileError>) -> String {
    let line = JsonLine {
        file: file.display().to_string(),
        prediction: result.as_ref().ok(),
        error: result.as_ref().err().map(|e| JsonError {
            code: e.code(),
            message: e.to_string(),
        }),
    };
    serde_json::to_string(&line)
        .unwrap_or_else(|e| format!("{{\"error\":{{\"code\":\"internal\",\"message\":\"{e}\"}}}}"))
}

fn print_row(file: &Path, result: &Result<Prediction, FileError>) {
    let name = file.display().to_string();
    match result {
        Ok(p) => {
            let probs: Vec<String> = p
                .probabilities
                .iter()
                .map(|(code, prob)| format!("{code} {:.1}%", prob * 100.0))
                .collect();
            if p.in_domain {
                println!(
                    "{:<32} {:<6} {:>5.1}%  {:<6} {} (cancer classes {:.1}%)",
                    name,
                    p.class,
                    p.confidence * 100.0,
                    if p.is_cancer { "YES" } else { "no" },
                    p.label,
                    p.cancer_probability * 100.0
                );
                println!("    {}", probs.join("  "));
            } else {
                // No class and no cancer flag: the model labels anything, the answer means nothing here.
                println!("{name:<32} -      -       -      not a dermatoscopic photo: no answer");
                println!("    not meaningful: {}", probs.join("  "));
            }
            for w in &p.warnings {
                println!("    warning: {}", w.message);
            }
        }
        Err(e) => eprintln!("{name}: error: {e}"),
    }
}
