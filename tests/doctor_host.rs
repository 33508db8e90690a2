//! `scaffold doctor --host` against this machine's real engine: the live dockerd
//! (found, its version, BuildKit), the real docker-compose v1, a real container's
//! clock, and the docker config and proxy variables of the run. Unit tests in
//! `src/machine/` cover the checks on recorded outputs of other machines (WSL, netsh).

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{doctor, require, require_docker};

/// `doctor --host --format json` in `dir` with `env` set; the exit code and the report.
fn host_report(dir: &Path, env: &[(&str, &str)]) -> (i32, Value) {
    let mut command = doctor();
    command
        .arg("--host")
        .arg(dir)
        .args(["--format", "json"])
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("DOCKER_CONFIG");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"))
}

fn rules(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap().to_string())
        .collect()
}

fn stdout_of(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn the_live_engine_is_found_with_its_version_buildkit_compose_and_clock() {
    if !require_docker()
        || !require(
            "docker-compose",
            &["version"],
            "the host check reads compose v1's version",
        )
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = host_report(dir.path(), &[]);
    let engine = check(&report, "engine");
    let detail = engine["detail"].as_str().unwrap();
    let client = stdout_of("docker", &["version", "--format", "{{.Client.Version}}"]);
    assert!(
        detail.starts_with(&format!("docker {client}, server ")),
        "{detail}"
    );
    assert!(detail.contains("reachable"), "{detail}");
    assert!(detail.contains("BuildKit"), "{detail}");
    let compose = stdout_of("docker-compose", &["version", "--short"]);
    assert!(
        compose.starts_with("1."),
        "this machine's docker-compose is v1: {compose}"
    );
    assert!(
        detail.contains(&format!("`docker-compose` {compose} (v1)")),
        "{detail}"
    );
    assert!(rules(&report).contains(&"SH105".to_string()), "{report:#}");
    assert!(!rules(&report).contains(&"SH103".to_string()), "{report:#}");

    let clock = check(&report, "clock");
    assert_eq!(clock["status"], "ok", "{clock:#}");
    let detail = clock["detail"].as_str().unwrap();
    let seconds: i64 = detail
        .strip_prefix("the engine's clock is within ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{detail}"));
    assert!(seconds <= 5, "{detail}");
    // What this machine has no part of says so instead of staying silent.
    for name in ["wsl", "ports"] {
        assert_eq!(
            check(&report, name)["status"],
            "not-applicable",
            "{report:#}"
        );
    }
    assert_eq!(
        report["summary"]["not_applicable"].as_u64(),
        Some(3),
        "{report:#}"
    );
}

#[test]
fn a_creds_store_naming_a_missing_helper_is_an_error() {
    if !require_docker() {
        return;
    }
    let config = tempfile::tempdir().unwrap();
    fs::write(
        config.path().join("config.json"),
        r#"{"auths":{},"credsStore":"desktop.exe"}"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let docker_config = config.path().to_str().unwrap();
    let (code, report) = host_report(dir.path(), &[("DOCKER_CONFIG", docker_config)]);
    assert_eq!(code, 1, "{report:#}");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "SH301")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(finding["severity"], "error");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("docker-credential-desktop.exe"),
        "{finding:#}"
    );

    // The look-alike: a helper that is on PATH.
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-scaffoldtest");
    fs::write(&helper, "#!/bin/sh\necho '{}'\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::write(
        config.path().join("config.json"),
        r#"{"auths":{},"credsStore":"scaffoldtest"}"#,
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let (_, report) = host_report(
        dir.path(),
        &[("DOCKER_CONFIG", docker_config), ("PATH", &path)],
    );
    assert!(!rules(&report).contains(&"SH301".to_string()), "{report:#}");
    assert_eq!(check(&report, "credentials")["status"], "ok", "{report:#}");
}

#[test]
fn a_proxy_in_the_environment_that_builds_do_not_get() {
    if !require_docker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let docker_config = config.path().to_str().unwrap();
    let proxy = [
        ("HTTPS_PROXY", "http://127.0.0.1:9"),
        ("DOCKER_CONFIG", docker_config),
        ("NO_PROXY", "*"),
    ];
    let (code, report) = host_report(dir.path(), &proxy);
    assert!(rules(&report).contains(&"SH401".to_string()), "{report:#}");
    assert_eq!(code, 1, "a warning fails at the default --fail-on warning");
    // Exit codes follow --fail-on as for project findings.
    let errors = report["summary"]["error"].as_u64().unwrap();
    let output = doctor()
        .args(["--host", "--fail-on", "error"])
        .arg(dir.path())
        .envs(proxy)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(if errors > 0 { 1 } else { 0 }),
        "{report:#}"
    );

    // The look-alike: docker's config passes the proxy to every build.
    fs::write(
        config.path().join("config.json"),
        r#"{"proxies":{"default":{"httpsProxy":"http://127.0.0.1:9","noProxy":"*"}}}"#,
    )
    .unwrap();
    let (_, report) = host_report(dir.path(), &proxy);
    assert!(!rules(&report).contains(&"SH401".to_string()), "{report:#}");
}

#[test]
fn the_text_report_names_every_check_and_explain_knows_host_rules() {
    if !require_docker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = doctor()
        .arg("--host")
        .arg(dir.path())
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for name in [
        "engine",
        "wsl",
        "credentials",
        "proxy",
        "clock",
        "ports",
        "git",
    ] {
        assert!(
            text.lines().any(|line| line.trim_start().starts_with(name)),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("n/a"), "{text}");

    let explained = doctor().args(["--explain", "SH601"]).output().unwrap();
    assert_eq!(explained.status.code(), Some(0));
    let explained = String::from_utf8_lossy(&explained.stdout);
    assert!(
        explained.starts_with("SH601 port-in-excluded-range (error"),
        "{explained}"
    );
    assert!(explained.contains("excludedportrange"), "{explained}");
}

#[test]
fn bad_input_is_a_usage_error() {
    let missing = doctor()
        .args(["--host", "/nonexistent/scaffold-host"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let sarif = doctor()
        .args(["--host", "--format", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(sarif.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&sarif.stderr).contains("--format json"));
    let fix = doctor()
        .args(["--host", "--fix"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(fix.status.code(), Some(2));
}
