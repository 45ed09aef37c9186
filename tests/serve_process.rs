#![cfg(not(target_arch = "wasm32"))]
//! `vibe-opsy serve` as a process: health goes 503 -> 200, SIGTERM lets an in-flight request
//! finish, then the process exits cleanly.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get_status(addr: &str, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vibe-opsy"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("VIBE_OPSY_MODEL", common::bundled_model())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut addr = String::new();
    let mut line = String::new();
    while log.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.split("addr=").nth(1) {
            addr = rest.trim().to_string();
            break;
        }
        line.clear();
    }
    assert!(!addr.is_empty(), "server never said where it listens");
    // Keep draining the log so the server never blocks on a full pipe.
    let log_lines = std::thread::spawn(move || log.lines().map_while(Result::ok).collect::<Vec<_>>());

    let started = Instant::now();
    loop {
        match get_status(&addr, "/health") {
            Some(200) => break,
            Some(503) | None => assert!(started.elapsed() < Duration::from_secs(120), "model never loaded"),
            Some(other) => panic!("health: {other}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    // Start an upload, stop half-way, ask the server to stop, then finish the upload.
    let image = std::fs::read(common::reference().join("images/lesion_7_2.png")).unwrap();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(stream, "POST /inference HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n", image.len()).unwrap();
    stream.write_all(&image[..image.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&image[image.len() / 2..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"class\""), "{response}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    let lines = log_lines.join().unwrap();
    assert!(lines.iter().any(|l| l.contains("shutting down")), "{lines:?}");
    assert!(
        get_status(&addr, "/health").is_none(),
        "still listening after exit"
    );
}
