//! `tambo-auth dev` as a process: its printed walkthrough is run exactly as printed, with bash
//! and curl, and must end with bob getting 404 for alice's thread.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

#[test]
fn the_printed_walkthrough_works_as_printed() {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tambo-auth"))
        .args(["dev", "--port", "0", "--data-dir"])
        .arg(data.path())
        .env("TAMBO_AUTH_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("dev starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    // The walkthrough ends with the 404 line; read up to it.
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("reads") == 0 {
            break;
        }
        let done = line.contains("%{http_code}");
        printed.push_str(&line);
        if done {
            break;
        }
    }
    assert!(
        printed.starts_with("tambo-auth dev listening on http://127.0.0.1:"),
        "{printed}"
    );
    let script: String = printed
        .lines()
        .filter(|l| {
            !l.starts_with('#') && !l.starts_with("tambo-auth dev") && !l.starts_with("project ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .output()
        .expect("bash runs");
    let _ = child.kill();
    let _ = child.wait();
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "script failed: {out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    // Step 3 prints alice's one thread; step 4 prints bob's status for it.
    assert!(lines[0].contains("\"threads\":[{"), "alice's list: {out}");
    assert!(lines[0].contains("groceries"), "alice's list: {out}");
    assert_eq!(lines.last().copied(), Some("404"), "bob: {out}");
}
