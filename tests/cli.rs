#![cfg(not(target_arch = "wasm32"))]
//! The `vibe-opsy` binary: classify (table and JSON), bad inputs, and eval on a synthetic
//! HAM10000-style folder.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vibe_opsy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vibe-opsy"))
        .args(args)
        .env("VIBE_OPSY_MODEL", common::bundled_model())
        .output()
        .expect("runs")
}

fn image(name: &str) -> String {
    common::reference()
        .join("images")
        .join(name)
        .display()
        .to_string()
}

/// Writes the bad-input table into `dir` and returns (path, expected error code).
fn bad_inputs(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let jpeg = std::fs::read(image("lesion_7_0.jpg")).unwrap();
    let png = std::fs::read(image("lesion_7_2.png")).unwrap();
    let webp = std::fs::read(image("v_7_lossless.webp")).unwrap();
    let gif = std::fs::read(image("v_7_palette.gif")).unwrap();
    let progressive = std::fs::read(image("v_7_progressive.jpg")).unwrap();
    let png_bomb = common::bomb();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.jpg", vec![], "empty_file"),
        ("truncated.jpg", jpeg[..jpeg.len() / 3].to_vec(), "corrupt_image"),
        (
            "notes.jpg",
            b"just some notes, not a photo\n".to_vec(),
            "not_an_image",
        ),
        (
            "scan.jpg",
            b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".to_vec(),
            "not_an_image",
        ),
        (
            "page.jpg",
            b"<!DOCTYPE html>\n<html><body>x</body></html>".to_vec(),
            "not_an_image",
        ),
        (
            "photo.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec(),
            "unsupported_format",
        ),
        (
            "photo.avif",
            b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf".to_vec(),
            "unsupported_format",
        ),
        ("bomb.png", png_bomb, "image_too_large"),
        ("header_only.jpg", jpeg[..200].to_vec(), "corrupt_image"),
        ("cut.png", png[..png.len() * 2 / 3].to_vec(), "corrupt_image"),
        ("cut.webp", webp[..webp.len() / 2].to_vec(), "corrupt_image"),
        ("cut.gif", gif[..gif.len() / 2].to_vec(), "corrupt_image"),
        (
            "cut_progressive.jpg",
            progressive[..progressive.len() - 10].to_vec(),
            "corrupt_image",
        ),
    ];
    cases
        .into_iter()
        .map(|(name, bytes, code)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            (path, code)
        })
        .collect()
}

#[test]
fn classify_table_names_class_and_cancer_flag() {
    let out = vibe_opsy(&["classify", &image("lesion_7_0.jpg"), &image("v_7_rgba.png")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("lesion_7_0.jpg") && stdout.contains("Melanocytic nevus"),
        "{stdout}"
    );
    assert!(stdout.contains("akiec"), "{stdout}");
}

#[test]
fn classify_json_lines_match_the_library_and_the_schema() {
    let files = ["lesion_7_2.png", "v_7_cmyk.jpg", "v_7_palette.gif"];
    let paths: Vec<String> = files.iter().map(|f| image(f)).collect();
    let mut args = vec!["classify", "--json"];
    args.extend(paths.iter().map(String::as_str));
    let out = vibe_opsy(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), files.len());
    for (line, path) in lines.iter().zip(&paths) {
        assert_eq!(line["file"], path.as_str());
        let mut prediction = line.clone();
        prediction.as_object_mut().unwrap().remove("file");
        common::assert_valid("prediction.schema.json", &prediction);
        let lib = common::classifier()
            .classify(&std::fs::read(path).unwrap(), &Default::default())
            .unwrap();
        assert_eq!(
            serde_json::from_value::<vibe_opsy::Prediction>(prediction).unwrap(),
            lib
        );
    }
}

#[test]
fn metadata_flags_are_validated() {
    let out = vibe_opsy(&["classify", "--json", "--sex", "robot", &image("lesion_7_2.png")]);
    assert!(!out.status.success());
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["error"]["code"], "invalid_metadata");
    let out = vibe_opsy(&[
        "classify",
        "--json",
        "--age",
        "60",
        "--sex",
        "female",
        "--site",
        "face",
        &image("lesion_7_2.png"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bad_inputs_fail_clearly_and_do_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let cases = bad_inputs(dir.path());
    let good = image("lesion_7_5.png");
    let mut args: Vec<String> = vec!["classify".into(), "--json".into(), good.clone()];
    args.extend(cases.iter().map(|(p, _)| p.display().to_string()));
    args.push(good.clone());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = vibe_opsy(&argv);
    assert_eq!(out.status.code(), Some(1), "non-zero exit when a file fails");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len() + 2, "one line per file");
    assert_eq!(
        lines[0]["class"],
        lines[lines.len() - 1]["class"],
        "good files before and after still classified"
    );
    assert!(lines[0]["class"].is_string());
    for ((path, code), line) in cases.iter().zip(&lines[1..]) {
        assert_eq!(line["file"], path.display().to_string().as_str());
        common::assert_valid("error.schema.json", line);
        let message = line["error"]["message"].as_str().unwrap();
        assert_eq!(line["error"]["code"], *code, "{line}");
        assert!(message.len() > 10, "{line}");
    }
    // Human-readable mode names the file and the reason on stderr.
    let out = vibe_opsy(&["classify", &cases[0].0.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("empty.jpg") && stderr.contains("the file is empty"),
        "{stderr}"
    );
    let out = vibe_opsy(&["classify", &cases[5].0.display().to_string()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("photo.heic") && stderr.contains("HEIC") && stderr.contains("JPEG"),
        "{stderr}"
    );
    let out = vibe_opsy(&["classify", "/nonexistent/x.jpg"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn eval_reports_metrics_on_a_ham10000_style_folder() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("HAM10000_images_part_1");
    std::fs::create_dir(&sub).unwrap();
    let mut csv = String::from("lesion_id,image_id,dx,dx_type,age,sex,localization,dataset\n");
    let rows = [
        ("lesion_7_0.jpg", "nv", "45.0", "male", "back"),
        ("lesion_7_1.jpg", "mel", "70.0", "female", "face"),
        ("lesion_7_2.png", "nv", "", "unknown", "unknown"),
        ("lesion_7_3.jpg", "bkl", "60.0", "male", "upper extremity"),
        ("grace_hopper.jpg", "df", "85.0", "female", "trunk"),
    ];
    for (i, (file, dx, age, sex, site)) in rows.iter().enumerate() {
        let ext = Path::new(file).extension().unwrap().to_str().unwrap();
        let id = format!("ISIC_{i:07}");
        std::fs::copy(image(file), sub.join(format!("{id}.{ext}"))).unwrap();
        csv.push_str(&format!(
            "HAM_{i},{id},{dx},histo,{age},{sex},{site},vidir_modern\n"
        ));
    }
    csv.push_str("HAM_9,ISIC_missing,nv,histo,50.0,male,back,vidir_modern\n");
    std::fs::write(dir.path().join("HAM10000_metadata.csv"), csv).unwrap();

    let out = vibe_opsy(&[
        "eval",
        "--json",
        "--no-metadata",
        &dir.path().display().to_string(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["images"], 5);
    let confusion = report["confusion"].as_array().unwrap();
    assert_eq!(confusion.len(), 7);
    let total: u64 = confusion
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 5);
    let accuracy = report["accuracy"].as_f64().unwrap();
    // Without metadata every image here is predicted nv (reference outputs); two of five are nv.
    assert!((accuracy - 0.4).abs() < 1e-9, "{report}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ISIC_missing"));

    let out = vibe_opsy(&["eval", &dir.path().display().to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("balanced accuracy") && text.contains("macro F1") && text.contains("confusion"),
        "{text}"
    );
}

#[test]
fn model_flag_accepts_a_manifest_and_reports_missing_ones() {
    let out = vibe_opsy(&[
        "--model",
        "/nonexistent/model.onnx",
        "classify",
        &image("lesion_7_2.png"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no manifest"));
}
