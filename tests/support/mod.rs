//! Shared helpers for the integration tests: each test file declares `mod support;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
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

/// Prefix of every container, network, volume and compose project `scaffold verify`
/// starts (see `scaffold::verify::NAME_PREFIX`).
pub const VERIFY_PREFIX: &str = "scaffold-verify-";

/// What verify runs of `project` left in the engine: containers with its label, and
/// containers, networks and volumes named after its compose projects. Empty when
/// verify cleaned up.
pub fn verify_leftovers(project: &str) -> Vec<String> {
    let prefix = format!("{VERIFY_PREFIX}{project}-");
    let label = format!("label=scaffold.verify.project={project}");
    let listings: [(&str, Vec<&str>); 4] = [
        (
            "container (label)",
            vec!["ps", "-a", "--filter", &label, "--format", "{{.Names}}"],
        ),
        ("container", vec!["ps", "-a", "--format", "{{.Names}}"]),
        ("network", vec!["network", "ls", "--format", "{{.Name}}"]),
        ("volume", vec!["volume", "ls", "--format", "{{.Name}}"]),
    ];
    let mut left = Vec::new();
    for (kind, args) in listings {
        let out = Command::new("docker")
            .args(&args)
            .output()
            .expect("docker lists what it has");
        assert!(out.status.success(), "docker {}", args.join(" "));
        for name in String::from_utf8_lossy(&out.stdout).lines() {
            let by_label = kind == "container (label)";
            if by_label || name.starts_with(&prefix) {
                left.push(format!("{kind} {name}"));
            }
        }
    }
    left
}

/// Every file under `root` (not inside `.git`), by relative `/` path, with its bytes.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = path.symlink_metadata().unwrap();
            if meta.is_dir() {
                if path.file_name().is_some_and(|n| n == ".git") {
                    continue;
                }
                walk(root, &path, files);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                let parts: Vec<_> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let contents = if meta.file_type().is_symlink() {
                    format!("symlink -> {}", fs::read_link(&path).unwrap().display()).into_bytes()
                } else {
                    fs::read(&path).unwrap()
                };
                files.insert(parts.join("/"), contents);
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

/// Runs the real `git ARGS…` in `dir` with a throwaway identity and none of the
/// developer's configuration; its stdout. Panics, with git's stderr, when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
