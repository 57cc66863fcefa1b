//! `tambo-auth dev` as a process: its printed walkthrough names the client-side retrieval page
//! first (served on its own port, and linked from the API's `/`), and its curl steps are run
//! exactly as printed, with bash and curl, and must end with bob getting 404 for alice's thread.

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
    // The page comes first, before the curl steps.
    let (intro, steps) = printed.split_once("\n# 1.").expect("numbered steps");
    let page = intro
        .split_whitespace()
        .find(|word| word.starts_with("http://") && word.ends_with('/'))
        .unwrap_or_else(|| panic!("the page is named before the steps: {intro}"));
    assert!(
        intro.contains(&format!("in a browser:\n\n    {page}\n")),
        "{intro}"
    );
    let api = printed
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("tambo-auth dev listening on "))
        .expect("the API's address");
    assert_ne!(format!("{api}/"), page, "the page has an origin of its own");
    let curl = |url: &str| {
        let output = Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}", url])
            .output()
            .expect("curl runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let served = curl(page);
    assert!(
        served.ends_with("\n200") && served.contains("<script src=\"/app.js\""),
        "{served}"
    );
    let index = curl(&format!("{api}/"));
    assert!(
        index.ends_with("\n200") && index.contains(&format!("href=\"{page}\"")),
        "the API's / points to the page: {index}"
    );

    let script: String = steps
        .lines()
        .skip(1) // the rest of step 1's comment
        .filter(|l| !l.starts_with('#'))
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
