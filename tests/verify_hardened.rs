//! `scaffold verify --hardened` against the real engine: each runtime runs under the
//! restrictions of the generated Deployment (read-only root, tmpfs /tmp, no
//! capabilities, no-new-privileges, UID 65532, its memory and CPU limits), answers
//! /readyz and stops cleanly on SIGTERM; `new --k8s` proves it by default; a service
//! that writes to its root filesystem, or ignores SIGTERM, fails with the reason.

mod support;

use std::fs;
use std::path::Path;

use serde_json::Value;
use support::{project_in_temp, require_docker, scaffold, unique, verify_leftovers};

fn hardened_report(dir: &Path) -> Value {
    let out = scaffold()
        .arg("verify")
        .arg(dir)
        .args(["--hardened", "--json", "--rm-image"])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn assert_hardened(report: &Value) {
    let hardened = &report["hardened"];
    assert_eq!(hardened["ready_status"], 200, "{report:#}");
    let restrictions = &hardened["restrictions"];
    assert_eq!(restrictions["user"], "65532:65532", "{report:#}");
    assert_eq!(restrictions["memory"], "65536k", "{report:#}");
    assert_eq!(restrictions["cpus"], "0.5", "{report:#}");
    let stop = hardened["stop_seconds"].as_f64().unwrap();
    let grace = restrictions["grace_seconds"].as_f64().unwrap();
    assert!(stop < grace, "stopped in {stop} s, grace {grace} s");
}

fn hardened_runtime(runtime: &str) {
    if !require_docker() {
        return;
    }
    let name = unique(&format!("vh-{runtime}"));
    let (_tmp, dir) = project_in_temp(&name, &["--runtime", runtime, "--k8s"]);
    let report = hardened_report(&dir);
    assert_hardened(&report);
    assert_eq!(
        report["hardened"]["restrictions"]["source"],
        "deploy/k8s/base/deployment.yaml"
    );
    assert!(verify_leftovers(&name).is_empty());
}

#[test]
fn distroless_runs_under_the_deployments_restrictions() {
    hardened_runtime("distroless");
}

#[test]
fn alpine_runs_under_the_deployments_restrictions() {
    hardened_runtime("alpine");
}

#[test]
fn scratch_runs_under_the_deployments_restrictions() {
    hardened_runtime("scratch");
}

/// `new --k8s` verifies hardened without being asked.
#[test]
fn new_with_k8s_verifies_hardened() {
    if !require_docker() {
        return;
    }
    let name = &unique("vh-new");
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join(name);
    let out = scaffold()
        .args(["new", name, "--dir"])
        .arg(&dir)
        .args(["--yes", "--no-git", "--k8s", "--json", "--rm-image"])
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_hardened(&report);
    assert!(verify_leftovers(name).is_empty());
}

/// Inserts `code` at the start of `main()` of the generated service, after making the
/// `(from, to)` replacements.
fn change_main(dir: &Path, name: &str, replace: &[(&str, &str)], code: &str) {
    let path = dir.join("cmd").join(name).join("main.go");
    let mut text = fs::read_to_string(&path).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "main.go has no `{from}`");
        text = text.replacen(from, to, 1);
    }
    let text = text.replacen("func main() {\n", &format!("func main() {{\n{code}\n"), 1);
    fs::write(path, text).unwrap();
}

#[test]
fn a_service_that_writes_to_its_root_filesystem_fails_and_says_why() {
    if !require_docker() {
        return;
    }
    let name = unique("vh-writes");
    let (_tmp, dir) = project_in_temp(&name, &["--runtime", "alpine", "--no-redis"]);
    // A state folder the image makes writable for the service: fine in a plain
    // container, refused under readOnlyRootFilesystem.
    let dockerfile = dir.join("Dockerfile");
    let text = fs::read_to_string(&dockerfile).unwrap().replacen(
        "USER 65532:65532",
        "RUN mkdir -p /var/lib/state && chown 65532:65532 /var/lib/state\nUSER 65532:65532",
        1,
    );
    fs::write(&dockerfile, text).unwrap();
    change_main(
        &dir,
        &name,
        &[],
        "\tif err := os.WriteFile(\"/var/lib/state/started\", []byte(\"x\"), 0o600); err != nil {\n\t\tfmt.Fprintln(os.Stderr, err)\n\t\tos.Exit(1)\n\t}",
    );
    scaffold()
        .arg("verify")
        .arg(&dir)
        .arg("--rm-image")
        .assert()
        .success();
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--hardened", "--rm-image"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("--hardened"), "{stderr}");
    assert!(stderr.contains("root filesystem"), "{stderr}");
    assert!(stderr.contains("read-only file system"), "{stderr}");
    assert!(verify_leftovers(&name).is_empty());
}

#[test]
fn a_service_that_ignores_sigterm_fails_with_the_time_it_took() {
    if !require_docker() {
        return;
    }
    let name = unique("vh-sigterm");
    let (_tmp, dir) = project_in_temp(&name, &["--no-redis", "--k8s"]);
    let deployment = dir.join("deploy/k8s/base/deployment.yaml");
    let text = fs::read_to_string(&deployment).unwrap().replacen(
        "terminationGracePeriodSeconds: 15",
        "terminationGracePeriodSeconds: 2",
        1,
    );
    fs::write(&deployment, text).unwrap();
    // Notify would undo Ignore: the service listens for Ctrl-C only.
    change_main(
        &dir,
        &name,
        &[("os.Interrupt, syscall.SIGTERM)", "os.Interrupt)")],
        "\tsignal.Ignore(syscall.SIGTERM)",
    );
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--hardened", "--rm-image"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("ignored SIGTERM"), "{stderr}");
    assert!(stderr.contains("2 s grace period"), "{stderr}");
    assert!(verify_leftovers(&name).is_empty());
}
