//! Shared helpers for the integration tests: each test file declares `mod support;`.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// True when end-to-end tests must run (CI sets SCAFFOLD_E2E=1): a missing tool is
/// then a failure, not a skip.
pub fn e2e_required() -> bool {
    std::env::var("SCAFFOLD_E2E").is_ok_and(|v| v == "1")
}

/// Whether `program args…` runs and succeeds. When it does not: panics under
/// SCAFFOLD_E2E=1, otherwise prints why the calling test is skipped and returns false.
/// Never skips silently.
pub fn require(program: &str, args: &[&str], why: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success());
    if ok {
        return true;
    }
    let message = format!(
        "`{program} {}` is not available: {why}. Run `source ../shared/ci/offline-env.sh` to install it",
        args.join(" ")
    );
    if e2e_required() {
        panic!("SCAFFOLD_E2E=1 but {message}");
    }
    eprintln!("SKIPPED (set SCAFFOLD_E2E=1 to make this a failure): {message}");
    false
}

pub fn require_docker() -> bool {
    require(
        "docker",
        &["info"],
        "this test builds and runs images with the real engine",
    )
}

pub fn require_go() -> bool {
    require(
        "go",
        &["version"],
        "this test compiles the generated service with the real Go toolchain",
    )
}

/// Runs the real `scaffold` binary.
pub fn scaffold() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("scaffold").expect("the scaffold binary");
    // Tests never see the developer's own scaffold config or template source.
    command
        .env("NO_COLOR", "1")
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("scaffold-tests-no-config"),
        )
        .env_remove("SCAFFOLD_TEMPLATES");
    command
}

/// Creates a project with `scaffold new NAME --dir DIR --yes --no-git --no-verify EXTRA…`.
pub fn new_project(dir: &Path, name: &str, extra: &[&str]) {
    scaffold()
        .args(["new", name, "--dir"])
        .arg(dir)
        .args(["--yes", "--no-git", "--no-verify"])
        .args(extra)
        .assert()
        .success();
}
