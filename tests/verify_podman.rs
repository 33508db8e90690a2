//! `scaffold verify --engine podman` against the real podman (4.3 on Debian 12, set up
//! by `.ci/podman-images`): every runtime builds with buildah, runs and answers;
//! `--compose` reaches /readyz through a real redis with podman-compose; `--hardened`
//! stops cleanly; a container a killed verify left is reaped. After every case nothing
//! verify started is left in podman (checked with podman itself), and the report says
//! what verify did differently than with docker (`engine_notes`).
//!
//! Without podman these tests say why they skip; with SCAFFOLD_E2E=1 they fail.
//! Unix only: podman's engine runs on Linux here (on Windows and macOS it lives in a
//! `podman machine` VM this machine cannot start).
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

use regex::Regex;
use serde_json::Value;
use support::{
    assert_healthy, folder_with, project_in_temp, require_or, require_podman, scaffold, unique,
    verify_leftovers_in,
};

fn podman(args: &[&str]) -> Output {
    Command::new("podman")
        .args(args)
        .output()
        .expect("podman runs")
}

fn json(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(stdout)))
}

fn assert_nothing_left(name: &str) {
    let left = verify_leftovers_in("podman", name);
    assert!(left.is_empty(), "verify left behind in podman: {left:?}");
}

/// `scaffold verify DIR --engine podman --json EXTRA…`, which must succeed: its report
/// and its stderr.
fn verify_ok(dir: &Path, extra: &[&str]) -> (Value, String) {
    let out = scaffold()
        .arg("verify")
        .arg(dir)
        .args(["--engine", "podman", "--json"])
        .args(extra)
        .assert()
        .success();
    let output = out.get_output();
    (
        json(&output.stdout),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `4.3.1` → (4, 3).
fn major_minor(version: &str) -> (u32, u32) {
    let mut numbers = version.split('.').map(|n| n.parse().unwrap_or(0));
    (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0))
}

fn notes(report: &Value) -> Vec<String> {
    report["engine_notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no engine_notes: {report:#}"))
        .iter()
        .map(|note| note.as_str().unwrap().to_string())
        .collect()
}

/// A healthy podman report for a non-root image, with the notes every podman run has.
fn assert_healthy_with_podman(report: &Value, mode: &str, path: &str) {
    assert_healthy(report, mode, path);
    assert_eq!(report["engine"], "podman", "{report:#}");
    let notes = notes(report);
    assert!(
        notes.iter().any(|n| n.contains("--format docker")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("rootful podman") || n.starts_with("rootless podman")),
        "{notes:?}"
    );
}

/// `scaffold verify DIR --engine podman --json` on a generated project of `runtime`;
/// the image is removed (`--rm-image`) unless `keep`. The report.
fn verify_runtime(runtime: &str, keep: bool) -> Option<(String, Value)> {
    if !require_podman() {
        return None;
    }
    let name = unique(&format!("vp-{runtime}"));
    let (_tmp, dir) = project_in_temp(&name, &["--runtime", runtime]);
    let (report, stderr) = verify_ok(&dir, if keep { &[] } else { &["--rm-image"] });
    assert_healthy_with_podman(&report, "container", "/healthz");
    let tag = format!("{name}:verify");
    assert_eq!(report["image"], tag.as_str());
    assert_eq!(report["image_kept"], keep);
    assert_eq!(
        podman(&["image", "exists", &tag]).status.success(),
        keep,
        "{tag}"
    );
    assert!(
        stderr.contains("    Podman built with `podman build --format docker`"),
        "the text report says it too: {stderr}"
    );
    assert_nothing_left(&name);
    Some((tag, report))
}

/// The image keeps the Dockerfile's HEALTHCHECK (podman's default OCI format would
/// drop it; verify builds with `--format docker`).
#[test]
fn the_distroless_runtime_verifies_with_podman_and_keeps_its_healthcheck() {
    let Some((tag, _)) = verify_runtime("distroless", true) else {
        return;
    };
    let inspect = podman(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Healthcheck}}",
        &tag,
    ]);
    let _ = podman(&["rmi", &tag]);
    let healthcheck = String::from_utf8_lossy(&inspect.stdout).into_owned();
    assert!(healthcheck.contains("-healthcheck"), "{healthcheck}");
}

#[test]
fn the_alpine_runtime_verifies_with_podman() {
    verify_runtime("alpine", false);
}

#[test]
fn the_scratch_runtime_verifies_with_podman() {
    verify_runtime("scratch", false);
}

/// `--hardened` under podman: the Deployment's restrictions and limits, /readyz, and a
/// clean SIGTERM within the grace period.
#[test]
fn hardened_verify_with_podman_stops_cleanly() {
    if !require_podman() {
        return;
    }
    let name = &unique("vp-hardened");
    let (_tmp, dir) = project_in_temp(name, &["--k8s"]);
    let (report, _) = verify_ok(&dir, &["--hardened", "--rm-image"]);
    assert_healthy_with_podman(&report, "container", "/healthz");
    let hardened = &report["hardened"];
    assert_eq!(hardened["ready_status"], 200, "{report:#}");
    assert!(
        hardened["stop_seconds"].as_f64().unwrap()
            < hardened["restrictions"]["grace_seconds"].as_f64().unwrap(),
        "{report:#}"
    );
    assert_nothing_left(name);
}

/// podman-compose (podman 4.3 has no `podman compose`); its containers depend on each
/// other (`--requires`), which the clean-up must remove together.
#[test]
fn compose_with_podman_reaches_readyz_through_redis() {
    if !require_podman()
        || !require_or(
            "podman-compose",
            &["version"],
            "--compose with podman runs the compose file with podman-compose",
            "Run `bash .ci/podman-images`: it installs podman-compose from PyPI",
        )
    {
        return;
    }
    let name = &unique("vp-compose");
    let (_tmp, dir) = project_in_temp(name, &["--redis"]);
    let (report, stderr) = verify_ok(&dir, &["--compose", "--rm-image"]);
    assert_healthy_with_podman(&report, "compose", "/readyz");
    let project = report["compose_project"].as_str().unwrap();
    assert!(project.starts_with(&format!("scaffold-verify-{name}-")));
    assert!(
        stderr.contains(&format!("Removed compose project {project} (containers")),
        "{stderr}"
    );
    assert!(!stderr.contains("could not remove"), "{stderr}");
    // podman-compose waits for `condition: service_healthy` only on podman 4.6 and newer.
    if major_minor(report["engine_version"].as_str().unwrap()) < (4, 6) {
        assert!(
            notes(&report)
                .iter()
                .any(|n| n.contains("did not wait for `depends_on: condition: service_healthy`")),
            "{report:#}"
        );
    }
    assert!(!podman(&["image", "exists", &format!("{name}:dev")])
        .status
        .success());
    assert_nothing_left(name);
}

/// Whether this process is root without CAP_SYS_RESOURCE (root inside a container):
/// rootful podman then cannot give a container its default limits.
#[cfg(target_os = "linux")]
fn root_without_sys_resource() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let root = field("Uid:").split_whitespace().nth(1) == Some("0");
    let effective = u64::from_str_radix(&field("CapEff:"), 16).unwrap_or(0);
    root && effective & (1 << 24) == 0
}

/// Without `.ci/podman-images`' `default_ulimits` (CONTAINERS_CONF names a file without
/// them), root without CAP_SYS_RESOURCE cannot start a podman container: verify names
/// the cause and the fix instead of runc's words alone.
#[cfg(target_os = "linux")]
#[test]
fn podman_limits_above_the_hard_limits_are_explained() {
    if !require_podman() {
        return;
    }
    if !root_without_sys_resource() {
        eprintln!(
            "NOT APPLICABLE: this process may raise its limits (not root, or has CAP_SYS_RESOURCE)"
        );
        return;
    }
    let name = &unique("vp-rlimit");
    let (tmp, dir) = project_in_temp(name, &[]);
    let conf = tmp.path().join("containers.conf");
    std::fs::write(&conf, "[containers]\n").unwrap();
    let out = scaffold()
        .env("CONTAINERS_CONF", &conf)
        .arg("verify")
        .arg(&dir)
        .args(["--engine", "podman", "--rm-image"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("error setting rlimit"), "{stderr}");
    assert!(
        stderr.contains("cap them in /etc/containers/containers.conf"),
        "{stderr}"
    );
    assert_nothing_left(name);
}

/// A container left by a verify whose process is gone is removed under podman too
/// (podman's `ps` has no `Label` template function; verify reads its `Labels` map).
#[cfg(target_os = "linux")]
#[test]
fn a_container_of_a_killed_verify_is_reaped_with_podman() {
    if !require_podman() {
        return;
    }
    let name = &unique("vp-reap");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mut finished = Command::new("true").spawn().unwrap();
    let dead_pid = finished.id().to_string();
    finished.wait().unwrap();
    let dead = format!("scaffold-verify-{name}-dead");
    let labels = [
        format!("scaffold.verify={dead}"),
        format!("scaffold.verify.project={name}"),
        format!("scaffold.verify.owner.pid={dead_pid}"),
        format!("scaffold.verify.owner.host={}", host.trim()),
    ];
    let mut create = vec!["create", "--name", &dead];
    for label in &labels {
        create.extend(["--label", label]);
    }
    create.extend(["alpine:3.22", "true"]);
    assert!(podman(&create).status.success(), "podman {create:?}");
    // A Dockerfile that does not parse: verify reaps first, then fails fast.
    let project = folder_with(&[("Dockerfile", "FROM alpine:3.22\nCOPPY a b\n")]);
    let out = scaffold()
        .arg("verify")
        .arg(project.path())
        .args(["--engine", "podman"])
        .assert()
        .code(1);
    let reaped = !podman(&["container", "exists", &dead]).status.success();
    if !reaped {
        let _ = podman(&["rm", "-f", &dead]);
    }
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(reaped, "{dead} is still there: {stderr}");
    assert!(
        stderr.contains(&format!(
            "container {dead}, left by a verify that was killed (process {dead_pid} on"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("could not look for containers"),
        "{stderr}"
    );
}

/// The generated Dockerfile has no heredoc (`RUN <<EOF`, `COPY <<EOF`) in any runtime:
/// podman 4.3's buildah (1.28) does not understand heredocs, it reads each line of one
/// as an instruction of its own and fails (`Unknown instruction: "ECHO"`). The podman
/// builds above are the proof that the Dockerfile builds; this names the reason.
#[test]
fn the_generated_dockerfile_stays_heredoc_free_for_podman() {
    let heredoc = Regex::new(r#"<<-?\s*["']?[A-Za-z_]"#).unwrap();
    for runtime in ["distroless", "alpine", "scratch"] {
        for extra in [&[][..], &["--redis", "--k8s"][..]] {
            let name = format!("vp-heredoc-{runtime}");
            let mut args = vec!["--runtime", runtime];
            args.extend(extra);
            let (_tmp, dir) = project_in_temp(&name, &args);
            let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
            // Instructions, continuation lines joined; comments are not instructions.
            let joined = dockerfile
                .lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n")
                .replace("\\\n", " ");
            let instructions: Vec<&str> = joined
                .lines()
                .filter(|line| {
                    let word = line.split_whitespace().next().unwrap_or_default();
                    ["RUN", "COPY", "ADD"].contains(&word.to_uppercase().as_str())
                })
                .collect();
            assert!(
                instructions.iter().any(|i| i.starts_with("RUN")),
                "{runtime}: no RUN found in {dockerfile}"
            );
            for instruction in instructions {
                assert!(
                    !heredoc.is_match(instruction),
                    "{runtime} {extra:?}: a heredoc, which podman 4.3 cannot build: {instruction}"
                );
            }
        }
    }
}
