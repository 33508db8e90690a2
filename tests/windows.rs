//! The Windows build of scaffold, run as a Windows program under Wine: Windows paths
//! (drive letters, `..\`, mixed slashes), case-insensitive names, device names, CRLF
//! checkouts, git without a home config, no docker.exe, PowerShell completions.
//!
//! Wine is a Windows API over a Linux file system: it checks what scaffold does with
//! Windows paths and the Windows build of every crate, not Windows' own kernel.
//! `.ci/run` builds `scaffold.exe` (`cargo build --target x86_64-pc-windows-gnu`) after
//! `source ../shared/ci/windows-env.sh`, which installs Wine and the DLL stand-in Rust
//! binaries need there; these tests then run that binary. Without Wine or the binary
//! they fail under SCAFFOLD_E2E=1 and say why they skip otherwise.
#![cfg(unix)] // They drive the Windows binary from a Linux host through Wine.

mod support;

use support::git;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use clap::CommandFactory;
use serde_json::Value;
use tempfile::TempDir;

const TARGET: &str = "x86_64-pc-windows-gnu";

/// The Windows binary and the Wine prefix it runs in.
struct Wine {
    exe: PathBuf,
    prefix: PathBuf,
}

/// The Wine set-up, checked once: None (after saying why) when a test must skip.
fn wine() -> Option<&'static Wine> {
    static WINE: OnceLock<Result<Wine, String>> = OnceLock::new();
    match WINE.get_or_init(find_wine) {
        Ok(wine) => Some(wine),
        Err(why) if support::e2e_required() => panic!("SCAFFOLD_E2E=1 but {why}"),
        Err(why) => {
            eprintln!("SKIPPED (set SCAFFOLD_E2E=1 to make this a failure): {why}");
            None
        }
    }
}

fn find_wine() -> Result<Wine, String> {
    let how = "run `source ../shared/ci/windows-env.sh && cargo build --target x86_64-pc-windows-gnu` first";
    let exe = std::env::var_os("SCAFFOLD_WINDOWS_EXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join(TARGET).join("debug/scaffold.exe"));
    if !exe.is_file() {
        return Err(format!(
            "the Windows build {} is missing: {how}",
            exe.display()
        ));
    }
    let prefix = PathBuf::from(
        std::env::var_os("WINEPREFIX").unwrap_or_else(|| "/tmp/windows-env-prefix".into()),
    );
    let wine = Wine { exe, prefix };
    let output = wine
        .command(Path::new("/"), ["--version"])
        .output()
        .map_err(|e| format!("`wine` cannot be started ({e}): {how}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !stdout.contains(TARGET) {
        return Err(format!(
            "`wine scaffold.exe --version` failed ({}; stdout `{stdout}`, stderr `{}`): {how}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(wine)
}

/// The cargo target folder: the test binary is `TARGET_DIR/debug/deps/windows-…`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

impl Wine {
    /// `wine scaffold.exe ARGS…` in `cwd`, isolated from the developer's configuration.
    fn command<I, S>(&self, cwd: &Path, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new("wine");
        command
            .arg(&self.exe)
            .args(args)
            .current_dir(cwd)
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            .env("NO_COLOR", "1")
            .env_remove("SCAFFOLD_TEMPLATES")
            .env_remove("WSL_DISTRO_NAME");
        command
    }

    fn run<I, S>(&self, cwd: &Path, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::of(self.command(cwd, args).output().expect("wine runs"))
    }

    /// `scaffold new ARGS… --yes --no-git --no-verify` in `cwd`.
    fn scaffold_new(&self, cwd: &Path, args: &[&str]) -> Run {
        let mut all = vec!["new"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--yes", "--no-git", "--no-verify"]);
        self.run(cwd, all)
    }

    /// A temporary folder on drive C: of the Wine prefix, and its Windows path.
    fn drive_c(&self) -> (TempDir, String) {
        let temp = tempfile::tempdir_in(self.prefix.join("drive_c")).unwrap();
        let name = temp
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        (temp, format!("C:\\{name}"))
    }
}

/// What a run printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(r"\\?\"),
                "a path shown to the user carries the verbatim prefix:\n{text}"
            );
        }
        run
    }

    fn expect(self, code: i32, what: &str) -> Run {
        assert_eq!(
            self.code, code,
            "{what}: exit {} instead of {code}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    fn says(&self, needle: &str) -> bool {
        self.stdout.contains(needle) || self.stderr.contains(needle)
    }
}

fn no_carriage_return(tree: &BTreeMap<String, Vec<u8>>) {
    for (path, bytes) in tree {
        assert!(!bytes.contains(&b'\r'), "{path} has a CR byte");
    }
}

/// The tree the Linux build writes for `new demo` with the defaults.
fn linux_tree() -> BTreeMap<String, Vec<u8>> {
    let linux = tempfile::tempdir().unwrap();
    support::new_project(&linux.path().join("demo"), "demo", &[]);
    support::read_tree(&linux.path().join("demo"))
}

fn assert_same_tree(written: &Path, expected: &BTreeMap<String, Vec<u8>>) {
    let written = support::read_tree(written);
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in expected {
        assert!(
            written[path] == *bytes,
            "{path} differs from the Linux build's"
        );
    }
    no_carriage_return(&written);
}

// ---------------------------------------------------------------------------------
// Destinations: the ways a Windows user names a folder.

#[test]
fn new_with_a_drive_letter_writes_the_linux_builds_tree_byte_for_byte() {
    let Some(wine) = wine() else { return };
    let (windows, windows_dir) = wine.drive_c();
    let dir = format!(r"{windows_dir}\projects\demo");
    let run = wine
        .scaffold_new(windows.path(), &["demo", "--dir", &dir])
        .expect(0, r"new --dir C:\…");
    assert!(run.says(&dir), "names the folder as typed:\n{}", run.stderr);
    assert_same_tree(&windows.path().join("projects/demo"), &linux_tree());
}

#[test]
fn new_takes_dot_dot_backslash_mixed_slashes_and_a_relative_name() {
    let Some(wine) = wine() else { return };
    let expected = linux_tree();
    let (temp, windows_dir) = wine.drive_c();
    let cwd = temp.path().join("work");
    fs::create_dir_all(&cwd).unwrap();

    let run = wine
        .scaffold_new(&cwd, &["demo", "--dir", r"..\up"])
        .expect(0, r"--dir ..\up");
    assert!(
        run.says(r"..\up"),
        "names the folder as typed:\n{}",
        run.stderr
    );
    assert_same_tree(&temp.path().join("up"), &expected);

    let mixed = format!(r"{}/mixed\deeper/demo", windows_dir.replace('\\', "/"));
    let run = wine
        .scaffold_new(&cwd, &["demo", "--dir", &mixed])
        .expect(0, "--dir with / and \\ mixed");
    assert!(
        run.says(&mixed),
        "names the folder as typed:\n{}",
        run.stderr
    );
    assert_same_tree(&temp.path().join("mixed/deeper/demo"), &expected);

    wine.scaffold_new(&cwd, &["demo"])
        .expect(0, "a relative NAME");
    assert_same_tree(&cwd.join("demo"), &expected);
}

// ---------------------------------------------------------------------------------
// Names that are one on Windows, and names Windows reserves.

#[test]
fn a_file_differing_only_in_case_is_a_clash_not_an_overwrite() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    let dir = temp.path().join("demo");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("Readme.md"), "mine\r\n").unwrap();
    let run = wine
        .scaffold_new(
            temp.path(),
            &["demo", "--dir", &format!(r"{windows_dir}\demo"), "--force"],
        )
        .expect(2, "README.md over Readme.md");
    // Windows finds the user's `Readme.md` under the project's `README.md`; the message
    // names the project's spelling.
    assert!(
        run.says("`README.md`") && run.says("would overwrite"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(dir.join("Readme.md")).unwrap(), b"mine\r\n");
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing else written"
    );
}

#[test]
fn a_name_differing_only_in_case_from_a_folder_is_that_folder() {
    let Some(wine) = wine() else { return };
    let (temp, _) = wine.drive_c();
    fs::create_dir_all(temp.path().join("Demo")).unwrap();
    fs::write(temp.path().join("Demo/notes.txt"), "mine\n").unwrap();
    let run = wine
        .scaffold_new(temp.path(), &["demo"])
        .expect(2, "demo over Demo");
    assert!(run.says("is not empty"), "{}", run.stderr);
    assert!(run.says("notes.txt"), "{}", run.stderr);
    assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 1);
}

#[test]
fn device_names_are_refused_as_names_and_as_template_paths() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    for name in ["con", "aux", "nul.txt", "com1"] {
        let run = wine.scaffold_new(temp.path(), &[name]).expect(2, name);
        assert!(run.says("reserved on Windows"), "{name}: {}", run.stderr);
    }
    for (path, shown) in [("nul.txt", "nul.txt"), ("con/x.txt.tera", "con")] {
        let team = temp.path().join("team");
        let _ = fs::remove_dir_all(&team);
        let file = team.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        // Wine, like Windows, cannot create a device name: write it from Linux.
        fs::write(&file, "x\n").unwrap();
        let run = wine
            .scaffold_new(
                temp.path(),
                &["demo", "--templates", &format!(r"{windows_dir}\team")],
            )
            .expect(2, path);
        assert!(
            run.says(shown) && run.says("device name on Windows"),
            "{path}: {}",
            run.stderr
        );
    }
    assert!(!temp.path().join("demo").exists());
}

#[test]
fn team_templates_with_case_twins_are_refused() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    fs::create_dir_all(temp.path().join("team")).unwrap();
    fs::write(temp.path().join("team/Dockerfile"), "FROM a\n").unwrap();
    fs::write(temp.path().join("team/dockerfile"), "FROM b\n").unwrap();
    let run = wine
        .scaffold_new(
            temp.path(),
            &["demo", "--templates", &format!(r"{windows_dir}\team")],
        )
        .expect(2, "Dockerfile and dockerfile");
    assert!(run.says("only in case"), "{}", run.stderr);
    assert!(!temp.path().join("demo").exists());
}

// ---------------------------------------------------------------------------------
// Team templates from Windows paths and file:///C:/ URLs.

#[test]
fn team_templates_from_a_windows_folder_and_a_file_url() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    let team = temp.path().join("team");
    fs::create_dir_all(&team).unwrap();
    fs::write(team.join("OWNERS.tera"), "{{ name }}: payments\n").unwrap();

    wine.scaffold_new(
        temp.path(),
        &[
            "demo",
            "--dir",
            r"from-folder\demo",
            "--templates",
            &format!(r"{windows_dir}\team"),
        ],
    )
    .expect(0, "--templates C:\\…\\team");
    let owners = temp.path().join("from-folder/demo/OWNERS");
    assert_eq!(fs::read_to_string(owners).unwrap(), "demo: payments\n");

    git(&team, &["init", "-q", "-b", "main"]);
    git(&team, &["add", "."]);
    git(&team, &["commit", "-q", "-m", "team templates"]);
    let url = format!("file:///{}/team", windows_dir.replace('\\', "/"));
    let run = wine
        .command(
            temp.path(),
            [
                "new",
                "demo",
                "--dir",
                r"from-git\demo",
                "--templates",
                &url,
                "--yes",
                "--no-git",
                "--no-verify",
            ],
        )
        .env("LOCALAPPDATA", format!(r"{windows_dir}\cache"))
        .output()
        .unwrap();
    Run::of(run).expect(0, "--templates file:///C:/…");
    let owners = temp.path().join("from-git/demo/OWNERS");
    assert_eq!(fs::read_to_string(owners).unwrap(), "demo: payments\n");
}

// ---------------------------------------------------------------------------------
// git on Windows: the first commit, .gitattributes, no identity.

#[test]
fn git_makes_the_first_commit_and_without_a_gitconfig_says_how_to_set_one() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    let profile = temp.path().join("profile");
    fs::create_dir_all(&profile).unwrap();
    let output = wine
        .command(temp.path(), ["new", "demo", "--yes", "--no-verify"])
        .env("USERPROFILE", format!(r"{windows_dir}\profile"))
        .env_remove("HOME")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("EMAIL")
        .output()
        .unwrap();
    let run = Run::of(output).expect(0, "new with git and no identity");
    assert!(
        run.says("warning:") && run.says("git config --global user.name"),
        "the no-identity fallback:\n{}",
        run.stderr
    );
    assert!(!profile.join(".gitconfig").exists(), "wrote no config");
    let project = temp.path().join("demo");
    let log = git(&project, &["log", "--format=%an|%s"]);
    assert_eq!(log.lines().count(), 1, "{log}");
    assert_eq!(git(&project, &["status", "--porcelain"]), "");
    let attr = git(&project, &["check-attr", "eol", "--", "cmd/demo/main.go"]);
    assert!(attr.contains("eol: lf"), "{attr}");
    let blob = git(&project, &["cat-file", "-p", "HEAD:cmd/demo/main.go"]);
    assert!(!blob.contains('\r'));
}

// ---------------------------------------------------------------------------------
// doctor on a checkout with core.autocrlf=true.

#[test]
fn doctor_finds_crlf_from_an_autocrlf_checkout_fixes_it_and_is_then_clean() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    let origin = temp.path().join("origin");
    fs::create_dir_all(&origin).unwrap();
    let files = [
        ("go.mod", "module example.com/svc\n\ngo 1.22\n"),
        ("main.go", "package main\n\nfunc main() {}\n"),
        ("docker-entrypoint.sh", "#!/bin/sh\nexec \"$@\"\n"),
    ];
    for (path, text) in files {
        fs::write(origin.join(path), text).unwrap();
    }
    git(&origin, &["init", "-q", "-b", "main"]);
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "lf"]);
    git(
        temp.path(),
        &[
            "clone",
            "-q",
            "-c",
            "core.autocrlf=true",
            "origin",
            "checkout",
        ],
    );
    let checkout = temp.path().join("checkout");
    assert!(fs::read(checkout.join("main.go")).unwrap().contains(&b'\r'));

    let project = format!(r"{windows_dir}\checkout");
    let doctor = |extra: &[&str]| -> (Value, Run) {
        let mut args = vec!["doctor", &project, "--format", "json"];
        args.extend_from_slice(extra);
        let output = wine
            .command(temp.path(), args)
            .env("USERPROFILE", format!(r"{windows_dir}\checkout"))
            .env_remove("HOME")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        let run = Run::of(output);
        let json = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("no JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
        (json, run)
    };
    let warnings = |json: &Value| -> Vec<String> {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] != "info")
            .map(|f| format!("{} {}", f["rule"], f["file"]))
            .collect()
    };
    let (before, run) = doctor(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = warnings(&before).join("\n");
    for file in ["main.go", "docker-entrypoint.sh"] {
        assert!(found.contains(file), "a CRLF finding for {file}:\n{found}");
    }
    let (_, run) = doctor(&["--fix"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    for (path, text) in files {
        assert_eq!(fs::read_to_string(checkout.join(path)).unwrap(), text);
    }
    let (after, run) = doctor(&[]);
    assert_eq!(warnings(&after), Vec::<String>::new(), "{}", run.stdout);
    assert_eq!(run.code, 0);
}

// ---------------------------------------------------------------------------------
// verify without an engine, completions.

#[test]
fn verify_without_docker_exe_says_to_install_docker_desktop() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    let dir = format!(r"{windows_dir}\demo");
    wine.scaffold_new(temp.path(), &["demo", "--dir", &dir])
        .expect(0, "new");
    let run =
        without_docker(wine, temp.path(), &["verify", &dir]).expect(3, "verify with no docker.exe");
    assert!(
        run.says("neither docker nor podman is on PATH"),
        "{}",
        run.stderr
    );
    assert!(run.says("install Docker Desktop"), "{}", run.stderr);
}

/// `doctor --host` is the self-check a Windows user runs first. As a Windows program
/// with no docker.exe anywhere it still reports all seven checks, names the missing
/// engine as an error (exit 1 under the default `--fail-on warning`), and says "not
/// applicable" for the clock it cannot read instead of staying silent.
#[test]
fn doctor_host_runs_every_check_as_a_windows_program() {
    let Some(wine) = wine() else { return };
    let (temp, windows_dir) = wine.drive_c();
    let dir = format!(r"{windows_dir}\demo");
    wine.scaffold_new(temp.path(), &["demo", "--dir", &dir])
        .expect(0, "new");
    let run = without_docker(
        wine,
        temp.path(),
        &["doctor", "--host", &dir, "--format", "json"],
    )
    .expect(1, "doctor --host with no docker.exe");
    let report: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let checks: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| check["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "engine",
            "wsl",
            "credentials",
            "proxy",
            "clock",
            "ports",
            "git"
        ],
        "{report:#}"
    );
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"SH101"), "{report:#}");
    let clock = &report["checks"][4];
    assert_eq!(clock["status"], "not-applicable", "{report:#}");
}

/// `scaffold.exe ARGS…` where neither Wine's Windows PATH nor the host's offers a
/// docker to start.
fn without_docker(wine: &Wine, cwd: &Path, args: &[&str]) -> Run {
    let empty = tempfile::tempdir().unwrap();
    let command = wine.command(cwd, args);
    let output = Command::new(wine_program())
        .args(command.get_args())
        .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .current_dir(cwd)
        .env("PATH", empty.path())
        .env("WINEPATH", r"C:\windows\system32")
        .env_remove("DOCKER_HOST")
        .output()
        .unwrap();
    Run::of(output)
}

/// Wine's full path, so the child's PATH can hold nothing.
fn wine_program() -> PathBuf {
    let found = Command::new("sh")
        .args(["-c", "command -v wine"])
        .output()
        .unwrap()
        .stdout;
    PathBuf::from(String::from_utf8(found).unwrap().trim())
}

#[test]
fn completions_powershell_is_clap_completes_script() {
    let Some(wine) = wine() else { return };
    let run = wine
        .run(Path::new("/"), ["completions", "powershell"])
        .expect(0, "completions powershell");
    let mut expected = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::PowerShell,
        &mut scaffold::cli::Cli::command(),
        "scaffold",
        &mut expected,
    );
    assert_eq!(run.stdout, String::from_utf8(expected).unwrap());
    assert!(run.stdout.contains("Register-ArgumentCompleter"));
    assert_eq!(run.stderr, "");
}

// ---------------------------------------------------------------------------------
// The generated service as a Windows program.

/// `go ARGS…` in `dir` for GOOS=windows, with Wine as the test runner's executor.
fn go_windows(wine: &Wine, dir: &Path, args: &[&str]) -> Output {
    Command::new("go")
        .args(args)
        .current_dir(dir)
        .env("GOOS", "windows")
        .env("GOARCH", "amd64")
        .env("WINEPREFIX", &wine.prefix)
        .env("WINEDEBUG", "-all")
        .output()
        .expect("go runs")
}

fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The Go files (and go.mod) of a generated project.
fn go_sources(project: &Path) -> BTreeMap<String, Vec<u8>> {
    support::read_tree(project)
        .into_iter()
        .filter(|(path, _)| path.ends_with(".go") || path == "go.mod")
        .collect()
}

#[test]
fn the_generated_service_vets_and_passes_its_tests_as_a_windows_program() {
    let Some(wine) = wine() else { return };
    if !support::require_go() {
        return;
    }
    // The runtime image changes only the Dockerfile: one Go tree stands for all three,
    // and redis on or off is the other Go tree there is.
    let temp = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for runtime in ["distroless", "alpine", "scratch"] {
        let project = temp.path().join(runtime);
        support::new_project(&project, "demo", &["--runtime", runtime]);
        trees.push(go_sources(&project));
    }
    assert!(
        trees.windows(2).all(|pair| pair[0] == pair[1]),
        "Go code differs by runtime"
    );
    let without_redis = temp.path().join("no-redis");
    support::new_project(&without_redis, "demo", &["--no-redis"]);
    for project in [temp.path().join("distroless"), without_redis] {
        assert_ok(&go_windows(wine, &project, &["vet", "./..."]), "go vet");
        let test = go_windows(
            wine,
            &project,
            &["test", "-count=1", "-exec", "wine", "./..."],
        );
        assert_ok(
            &test,
            &format!("go test -exec wine in {}", project.display()),
        );
        let out = String::from_utf8_lossy(&test.stdout);
        assert!(
            out.contains("ok  \texample.com/demo/internal/server"),
            "{out}"
        );
    }
}

/// A free local TCP port (the Windows program listens on the host's network).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The status line of `GET /healthz`, or None while nothing answers.
fn healthz(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(stream, "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.lines().next().map(str::to_string)
}

#[test]
fn the_service_exe_answers_healthz_under_wine_and_stops_on_ctrl_c() {
    let Some(wine) = wine() else { return };
    if !support::require_go() {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let project = temp.path().join("demo");
    support::new_project(&project, "demo", &["--no-redis"]);
    let build = go_windows(wine, &project, &["build", "-o", "demo.exe", "./cmd/demo"]);
    assert_ok(&build, "go build");
    assert!(project.join("demo.exe").is_file());

    let port = free_port();
    let mut service = Command::new("wine")
        .arg(project.join("demo.exe"))
        .current_dir(&project)
        .env("WINEPREFIX", &wine.prefix)
        .env("WINEDEBUG", "-all")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = healthz(port) {
            break status;
        }
        if started.elapsed().as_secs() > 60 || service.try_wait().unwrap().is_some() {
            let _ = service.kill();
            panic!(
                "demo.exe never answered on {port}: {:?}",
                service.wait_with_output()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(status.contains("200"), "{status}");

    // Wine turns SIGINT into the console's CTRL_C_EVENT, which Go reports as os.Interrupt.
    let interrupted = Command::new("kill")
        .args(["-INT", &service.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let output = wait_at_most(service, 30);
    let logs = String::from_utf8_lossy(&output.stdout);
    assert!(
        logs.contains("\"shutting down\"") && logs.contains("\"stopped\""),
        "a graceful stop on Ctrl-C: {logs}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{logs}");
}

/// The child's output once it ends; killed (and the test failed) after `seconds`.
fn wait_at_most(mut child: std::process::Child, seconds: u64) -> Output {
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed().as_secs() > seconds {
            let _ = child.kill();
            panic!(
                "did not stop within {seconds}s: {:?}",
                child.wait_with_output()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}
