//! `scaffold verify` against the real engine: every runtime builds, runs and answers;
//! `--compose` reaches /readyz through a real redis; a compile error, a service that
//! never answers and Ctrl-C fail the way the README says. After every case nothing
//! verify started is left in the engine (checked with the engine itself).
//!
//! Without Docker these tests say why they skip; with SCAFFOLD_E2E=1 they fail.
//! Each test uses its own project name, so they can run in parallel.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
#[cfg(unix)]
use std::time::Instant;

use serde_json::Value;
use support::{
    assert_healthy, project_in_temp, require, require_docker, scaffold, unique, verify_leftovers,
};

fn json(stdout: &[u8]) -> Value {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(stdout)))
}

fn assert_nothing_left(name: &str) {
    let left = verify_leftovers(name);
    assert!(left.is_empty(), "verify left behind: {left:?}");
}

/// The one Go file with `func main`.
fn main_go(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join("cmd").join(name).join("main.go");
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

fn image_exists(tag: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", tag])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `scaffold verify DIR --json EXTRA…` on a generated project of `runtime`.
fn verify_runtime(runtime: &str) {
    if !require_docker() {
        return;
    }
    let name = unique(&format!("vf-{runtime}"));
    let (_tmp, dir) = project_in_temp(&name, &["--runtime", runtime]);
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--json", "--rm-image"])
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    assert_healthy(&report, "container", "/healthz");
    assert_eq!(report["image"], format!("{name}:verify"));
    assert_eq!(report["image_kept"], false);
    assert!(!image_exists(&format!("{name}:verify")));
    assert_nothing_left(&name);
}

#[test]
fn the_alpine_runtime_verifies() {
    verify_runtime("alpine");
}

#[test]
fn the_scratch_runtime_verifies() {
    verify_runtime("scratch");
}

/// `scaffold new` runs verify itself (distroless, the default runtime) and keeps the
/// image, naming its tag.
#[test]
fn new_verifies_the_project_it_made() {
    if !require_docker() {
        return;
    }
    let name = &unique("vf-new");
    let tag = format!("{name}:verify");
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join(name);
    let out = scaffold()
        .args(["new", name, "--dir"])
        .arg(&dir)
        .args(["--yes", "--no-git", "--runtime", "distroless", "--json"])
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    assert_healthy(&report, "container", "/healthz");
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains(&format!("Kept image {tag}")), "{stderr}");
    assert!(
        stderr.contains(&format!("Removed container scaffold-verify-{name}-")),
        "{stderr}"
    );
    assert!(image_exists(&tag));
    assert_nothing_left(name);
    let _ = Command::new("docker").args(["rmi", &tag]).output();
}

#[test]
fn compose_reaches_readyz_through_redis() {
    if !require_docker()
        || !require(
            "docker-compose",
            &["version"],
            "--compose runs the compose file",
        )
    {
        return;
    }
    let name = &unique("vf-compose");
    let (_tmp, dir) = project_in_temp(name, &["--redis"]);
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--compose", "--json", "--rm-image"])
        .assert()
        .success();
    let report = json(&out.get_output().stdout);
    assert_healthy(&report, "compose", "/readyz");
    let project = report["compose_project"].as_str().unwrap();
    assert!(
        project.starts_with(&format!("scaffold-verify-{name}-")),
        "{report:#}"
    );
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("Removed compose project"), "{stderr}");
    assert!(
        !image_exists(&format!("{name}:dev")),
        "compose ran the image verify built; it never builds the compose file's own tag"
    );
    assert_nothing_left(name);
}

#[test]
fn a_compile_error_fails_the_build_and_shows_it() {
    if !require_docker() {
        return;
    }
    let name = &unique("vf-broken");
    let (_tmp, dir) = project_in_temp(name, &[]);
    let main = main_go(&dir, name);
    let mut code = std::fs::read_to_string(&main).unwrap();
    code.push_str("\nfunc broken( {\n");
    std::fs::write(&main, code).unwrap();
    let out = scaffold().arg("verify").arg(&dir).assert().code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!("the image {name}:verify did not build")),
        "{stderr}"
    );
    assert!(stderr.contains("go build"), "the failing step: {stderr}");
    assert!(
        stderr.contains("main.go") && stderr.contains("syntax error"),
        "the compiler's error: {stderr}"
    );
    assert!(!image_exists(&format!("{name}:verify")));
    assert_nothing_left(name);
}

/// A Go service that starts but never listens.
const SILENT_MAIN: &str = "package main\n\nimport \"time\"\n\nfunc main() {\n\tfor {\n\t\ttime.Sleep(time.Hour)\n\t}\n}\n";

/// A Go service whose every answer trickles one byte a second, for ever.
const TRICKLING_MAIN: &str = "package main\n\nimport (\n\t\"net/http\"\n\t\"time\"\n)\n\nfunc main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {\n\t\tw.WriteHeader(200)\n\t\tfor {\n\t\t\tif _, err := w.Write([]byte(\".\")); err != nil {\n\t\t\t\treturn\n\t\t\t}\n\t\t\tw.(http.Flusher).Flush()\n\t\t\ttime.Sleep(time.Second)\n\t\t}\n\t})\n\t_ = http.ListenAndServe(\":8080\", nil)\n}\n";

/// `verify --timeout 3` of a project whose main.go is `main`: it must fail (exit 1)
/// saying the health path did not answer in time, and leave nothing. Its stderr.
/// Killed (and failed) if it takes longer than any build plus the 3 s should.
fn times_out_with(prefix: &str, main: &str) -> Option<String> {
    if !require_docker() {
        return None;
    }
    let name = &unique(prefix);
    let (_tmp, dir) = project_in_temp(name, &[]);
    std::fs::write(main_go(&dir, name), main).unwrap();
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--timeout", "3", "--rm-image"])
        .timeout(Duration::from_secs(900))
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("did not answer 200 within 3 s"), "{stderr}");
    assert!(stderr.contains("Removed container"), "{stderr}");
    assert_nothing_left(name);
    Some(stderr)
}

#[test]
fn a_service_that_never_answers_times_out() {
    times_out_with("vf-silent", SILENT_MAIN);
}

/// A /healthz that trickles a byte a second cannot hold verify past --timeout: each
/// probe has one total deadline.
#[test]
fn a_trickling_health_endpoint_cannot_outlast_the_timeout() {
    if let Some(stderr) = times_out_with("vf-trickle", TRICKLING_MAIN) {
        assert!(stderr.contains("no complete answer within"), "{stderr}");
    }
}

/// Ctrl-C while waiting for the service: the container is removed, the exit code is 130.
#[cfg(unix)]
#[test]
fn ctrl_c_removes_what_verify_started() {
    if !require_docker() {
        return;
    }
    let name = &unique("vf-ctrlc");
    let (_tmp, dir) = project_in_temp(name, &[]);
    std::fs::write(main_go(&dir, name), SILENT_MAIN).unwrap();
    let binary = assert_cmd::cargo::cargo_bin("scaffold");
    let mut child = Command::new(binary)
        .arg("verify")
        .arg(&dir)
        .args(["--timeout", "120", "--rm-image"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while verify_leftovers(name).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the container never started"
        );
        assert!(child.try_wait().unwrap().is_none(), "verify ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_nothing_left(name);
}

/// No engine at all: `new` still makes the project, warns and exits 0; with
/// `--verify`, and under `scaffold verify`, it fails with exit code 3.
#[test]
fn without_an_engine_new_warns_and_verify_fails() {
    let empty_path = tempfile::tempdir().unwrap();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("vf-noengine");
    let out = scaffold()
        .env("PATH", empty_path.path())
        .args(["new", "vf-noengine", "--dir"])
        .arg(&dir)
        .args(["--yes", "--no-git"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("the project was created, but verify did not run"),
        "{stderr}"
    );
    assert!(stderr.contains("neither docker nor podman"), "{stderr}");
    assert!(stderr.contains("scaffold verify"), "{stderr}");
    assert!(dir.join("Dockerfile").is_file());

    scaffold()
        .env("PATH", empty_path.path())
        .arg("verify")
        .arg(&dir)
        .assert()
        .code(3);

    let explicit = parent.path().join("vf-noengine-explicit");
    scaffold()
        .env("PATH", empty_path.path())
        .args(["new", "vf-noengine", "--dir"])
        .arg(&explicit)
        .args(["--yes", "--no-git", "--verify"])
        .assert()
        .code(3);
}

/// A daemon that does not answer is its own failure (exit 4), found before any build.
#[test]
fn an_unreachable_daemon_fails_before_building() {
    if !require(
        "docker",
        &["--version"],
        "the docker client reports the missing daemon",
    ) {
        return;
    }
    let (_tmp, dir) = project_in_temp("vf-nodaemon", &[]);
    let socket = dir.join("no-such.sock");
    let out = scaffold()
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env_remove("DOCKER_CONTEXT")
        .arg("verify")
        .arg(&dir)
        .assert()
        .code(4);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("cannot be reached"), "{stderr}");
    assert!(!stderr.contains("Building"), "{stderr}");
}

#[test]
fn a_folder_without_a_dockerfile_is_a_usage_error() {
    let empty = tempfile::tempdir().unwrap();
    let out = scaffold().arg("verify").arg(empty.path()).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("has no Dockerfile"), "{stderr}");
}
