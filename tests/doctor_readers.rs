//! doctor's readers on hostile files, through the real binary: each once crashed doctor
//! or cost it gigabytes (issue 8, items 4, 5 and 16). On Unix the binary runs under an
//! address-space limit, so a reader that would take gigabytes fails here quickly
//! instead of slowing the machine down.

mod support;

use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// Far above what doctor needs on these projects, far below what the unbounded
/// readers took (8 GB for the alias bomb, 1 GB for the long .gitattributes).
const ADDRESS_SPACE_KB: u64 = 1024 * 1024;

fn project(files: &[(&str, String)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

/// `scaffold doctor DIR --format json` under the address-space limit (Unix), with a
/// home of its own so no git configuration of the developer's counts.
fn doctor_bounded(dir: &Path) -> (Output, Duration) {
    let binary = assert_cmd::cargo::cargo_bin("scaffold");
    let mut command = if cfg!(unix) {
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c")
            .arg(format!(
                "ulimit -v {ADDRESS_SPACE_KB} && exec \"$0\" \"$@\""
            ))
            .arg(binary);
        sh
    } else {
        std::process::Command::new(binary)
    };
    let home = dir.join("..").join(format!(
        "{}-home",
        dir.file_name().unwrap().to_string_lossy()
    ));
    fs::create_dir_all(&home).unwrap();
    command
        .arg("doctor")
        .arg(dir)
        .args(["--format", "json"])
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("WSL_DISTRO_NAME");
    let start = Instant::now();
    let output = command.output().unwrap();
    let elapsed = start.elapsed();
    let _ = fs::remove_dir_all(&home);
    (output, elapsed)
}

/// The findings of a run that must have completed (exit 0 or 1, JSON on stdout).
fn findings(output: &Output) -> Vec<Value> {
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "doctor exited with {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor did not print JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    json["findings"].as_array().cloned().unwrap_or_default()
}

fn messages_of(findings: &[Value], rule: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|finding| finding["rule"]["id"] == rule || finding["rule"] == rule)
        .map(|finding| finding["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The classic "billion laughs": nine levels of nine aliases, 9^9 scalars once
/// expanded, here in an unused `x-` field as a hostile compose file would hide it.
fn billion_laughs() -> String {
    let mut text = String::from("x-lol0: &lol0 \"lol\"\n");
    for level in 1..=9 {
        let aliases = vec![format!("*lol{}", level - 1); 9].join(", ");
        text.push_str(&format!("x-lol{level}: &lol{level} [{aliases}]\n"));
    }
    text.push_str("services:\n  app:\n    image: alpine:3.20\n");
    text
}

#[test]
fn a_compose_alias_bomb_is_a_finding_not_a_crash() {
    let dir = project(&[("compose.yaml", billion_laughs())]);
    let (output, elapsed) = doctor_bounded(dir.path());
    let findings = findings(&output);
    let messages = messages_of(&findings, "SD002");
    assert!(
        messages
            .iter()
            .any(|message| message.contains("aliases expand past 100000 nodes")),
        "{findings:#?}"
    );
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

#[test]
fn a_legacy_env_with_a_quoted_name_and_multibyte_text_does_not_panic() {
    let dir = project(&[(
        "Dockerfile",
        "FROM golang:1.22\nENV \"A\"€ value\nRUN go build ./...\n".to_string(),
    )]);
    let (output, _) = doctor_bounded(dir.path());
    findings(&output);
}

/// A long LFS list (100,000 plain paths, each `-text`) and 300 scripts to check
/// against it: once a compiled regex per line and a pass over every line per file
/// (about 1 GB, and 70 ms a file in a release build).
#[test]
fn a_100000_line_gitattributes_is_read_within_bounds() {
    let mut attributes: String = (0..100_000)
        .map(|i| format!("assets/part{i}/model.bin filter=lfs diff=lfs merge=lfs -text\n"))
        .collect();
    attributes.push_str("*.sh text eol=lf\n");
    let mut files = vec![
        (".gitattributes", attributes),
        ("Dockerfile", "FROM golang:1.22\n".to_string()),
    ];
    let scripts: Vec<String> = (0..300).map(|i| format!("scripts/s{i}.sh")).collect();
    for script in &scripts {
        files.push((script.as_str(), "#!/bin/sh\necho hi\n".to_string()));
    }
    let dir = project(&files);
    let (output, elapsed) = doctor_bounded(dir.path());
    let findings = findings(&output);
    assert_eq!(
        messages_of(&findings, "SD204"),
        ["LF is not pinned for `Dockerfile`"],
        "read whole: the scripts are pinned, the Dockerfile is not"
    );
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}
