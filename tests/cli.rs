//! `scaffold new` through the real binary: what each flag changes in the files, every
//! refusal (exit code 2, its message, nothing written), behaviour without a terminal,
//! destinations, atomicity, line endings, git, help, completions and version.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use git2::{Repository, StatusOptions};
use support::scaffold;
use tempfile::TempDir;

/// Long enough for a slow CI machine, short enough that a hang fails quickly.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The flags that keep a test to writing files: no git, no image build.
const FILES_ONLY: [&str; 3] = ["--yes", "--no-git", "--no-verify"];

/// `scaffold new demo` with `flags` into a fresh folder; returns (temp, project).
fn generate(flags: &[&str]) -> (TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let project = temp.path().join("demo");
    support::new_project(&project, "demo", flags);
    (temp, project)
}

/// Fails naming the first generated file that still contains `needle`.
fn assert_no_file_contains(project: &Path, needle: &str, what: &str) {
    for (path, contents) in support::read_tree(project) {
        let contents = String::from_utf8_lossy(&contents);
        assert!(
            !contents.contains(needle),
            "{path} still has {what}:\n{contents}"
        );
    }
}

fn text(project: &Path, path: &str) -> String {
    fs::read_to_string(project.join(path))
        .unwrap_or_else(|error| panic!("{path} in {}: {error}", project.display()))
}

/// The names directly inside `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Staging folders scaffold would have left anywhere under `dir`.
fn staging_leftovers(dir: &Path) -> Vec<String> {
    let mut left = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".scaffold-staging-") {
                left.push(entry.path().display().to_string());
            }
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            }
        }
    }
    left
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

// ---------------------------------------------------------------------------------
// Flags: each one's effect is visible in the files.

#[test]
fn port_reaches_the_dockerfile_and_the_compose_file() {
    let (_temp, project) = generate(&["--port", "9000"]);
    let dockerfile = text(&project, "Dockerfile");
    assert!(dockerfile.contains("EXPOSE 9000"), "{dockerfile}");
    let compose = text(&project, "docker-compose.yml");
    assert!(compose.contains("9000"), "{compose}");
    assert_no_file_contains(&project, "8080", "the default port 8080");
}

#[test]
fn module_sets_go_mod_and_every_import() {
    let (_temp, project) = generate(&["--module", "github.com/acme/orders"]);
    let go_mod = text(&project, "go.mod");
    assert_eq!(
        go_mod.lines().next(),
        Some("module github.com/acme/orders"),
        "{go_mod}"
    );
    assert_no_file_contains(&project, "example.com/demo", "the default module path");
}

#[test]
fn go_version_sets_go_mod_and_the_builder_image() {
    let (_temp, project) = generate(&["--go-version", "1.26"]);
    let go_mod = text(&project, "go.mod");
    assert!(
        go_mod
            .lines()
            .any(|line| line == "go 1.26" || line == "go 1.26.0"),
        "{go_mod}"
    );
    let dockerfile = text(&project, "Dockerfile");
    assert!(dockerfile.contains("golang:1.26-alpine"), "{dockerfile}");
    assert!(!dockerfile.contains("golang:1.27"), "{dockerfile}");
}

#[test]
fn goproxy_is_baked_into_the_dockerfile() {
    let (_temp, project) = generate(&["--goproxy", "https://goproxy.cn,direct"]);
    let dockerfile = text(&project, "Dockerfile");
    assert!(
        dockerfile.contains("https://goproxy.cn,direct"),
        "{dockerfile}"
    );
    assert!(!dockerfile.contains("proxy.golang.org"), "{dockerfile}");
}

#[test]
fn runtime_chooses_the_final_image() {
    let images = [
        ("distroless", "gcr.io/distroless/static-debian12:nonroot"),
        ("alpine", "alpine:3.22"),
        ("scratch", "FROM scratch"),
    ];
    for (runtime, image) in images {
        let (_temp, project) = generate(&["--runtime", runtime]);
        let dockerfile = text(&project, "Dockerfile");
        assert!(dockerfile.contains(image), "{runtime}: {dockerfile}");
        for (other, other_image) in images.iter().filter(|(r, _)| *r != runtime) {
            assert!(
                !dockerfile.contains(other_image),
                "{runtime}: the Dockerfile mentions {other}'s image:\n{dockerfile}"
            );
        }
    }
    let (_temp, project) = generate(&[]);
    assert!(text(&project, "Dockerfile").contains(images[0].1));
}

#[test]
fn redis_is_on_by_default() {
    let (_temp, project) = generate(&[]);
    let compose = text(&project, "docker-compose.yml");
    assert!(compose.contains("redis:7-alpine"), "{compose}");
}

#[test]
fn no_redis_removes_redis_everywhere() {
    let (_temp, project) = generate(&["--no-redis"]);
    let record = ".scaffold/answers.toml";
    for (path, contents) in support::read_tree(&project) {
        assert!(
            !path.to_lowercase().contains("redis"),
            "{path} exists without redis"
        );
        if path == record {
            continue;
        }
        let contents = String::from_utf8_lossy(&contents).to_lowercase();
        assert!(
            !contents.contains("redis"),
            "{path} mentions redis:\n{contents}"
        );
    }
    // The record of the answers says so, and only it.
    assert!(text(&project, record).contains("redis = false"));
}

#[test]
fn dir_places_the_project_and_name_names_it() {
    let temp = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(temp.path())
        .args(["new", "orders", "--dir", "services/orders-api"])
        .args(FILES_ONLY)
        .assert()
        .success();
    assert_eq!(entries(temp.path()), ["services"]);
    let project = temp.path().join("services/orders-api");
    assert!(project.join("go.mod").is_file());
    assert!(project.join("cmd/orders/main.go").is_file());
}

#[test]
fn dry_run_lists_the_files_and_writes_nothing() {
    let (_temp, project) = generate(&["--no-redis"]);
    let expected: Vec<String> = support::read_tree(&project).into_keys().collect();

    let cwd = tempfile::tempdir().unwrap();
    let assert = scaffold()
        .current_dir(cwd.path())
        .args(["new", "demo", "--dry-run", "--no-redis"])
        .args(FILES_ONLY)
        .assert()
        .success();
    let mut listed: Vec<String> = stdout_of(&assert).lines().map(String::from).collect();
    listed.sort();
    assert_eq!(listed, expected);
    assert!(
        stderr_of(&assert).contains("nothing was written"),
        "{}",
        stderr_of(&assert)
    );
    assert!(entries(cwd.path()).is_empty(), "{:?}", entries(cwd.path()));
}

#[test]
fn quiet_prints_nothing_on_success() {
    for args in [&["-q", "new", "demo"][..], &["new", "demo", "--quiet"][..]] {
        let cwd = tempfile::tempdir().unwrap();
        let assert = scaffold()
            .current_dir(cwd.path())
            .args(args)
            .args(FILES_ONLY)
            .assert()
            .success();
        assert_eq!(stderr_of(&assert), "", "{args:?}");
        assert_eq!(stdout_of(&assert), "", "{args:?}");
        assert!(cwd.path().join("demo/go.mod").is_file(), "{args:?}");
    }
    // Without it, the same run reports what it made.
    let cwd = tempfile::tempdir().unwrap();
    let assert = scaffold()
        .current_dir(cwd.path())
        .args(["new", "demo"])
        .args(FILES_ONLY)
        .assert()
        .success();
    assert!(
        stderr_of(&assert).contains("Created"),
        "{}",
        stderr_of(&assert)
    );
}

// ---------------------------------------------------------------------------------
// Refusals: exit code 2, the rule's own message, nothing written.

/// Runs `scaffold ARGS` in an empty folder and checks the refusal.
fn assert_refused(args: &[&str], expected: &str) {
    let cwd = tempfile::tempdir().unwrap();
    let assert = scaffold()
        .current_dir(cwd.path())
        .args(args)
        .timeout(TIMEOUT)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(expected),
        "{args:?}: expected `{expected}` in:\n{stderr}"
    );
    assert!(
        entries(cwd.path()).is_empty(),
        "{args:?} wrote {:?}",
        entries(cwd.path())
    );
}

fn new_named(name: &str) -> Vec<&str> {
    let mut args = vec!["new"];
    args.extend(FILES_ONLY);
    // After `--`, a name starting with `-` is the name, not a flag.
    args.extend(["--", name]);
    args
}

#[test]
fn invalid_names_are_refused_with_their_rule() {
    let too_long = "a".repeat(64);
    let cases = [
        ("MyApp", "has upper case"),
        ("MyApp", "try `my-app`"),
        ("My App", "has a space"),
        ("My App", "try `my-app`"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("..", "path separator"),
        ("-x", "starts with `-`"),
        (".x", "starts with `.`"),
        ("x.", "ends with a dot"),
        ("CON", "reserved on Windows"),
        ("nul", "reserved on Windows"),
        ("com1", "reserved on Windows"),
        ("café", "non-ASCII"),
        (&too_long, "64 characters"),
        ("", "empty"),
    ];
    for (name, expected) in cases {
        assert_refused(&new_named(name), expected);
    }
}

#[test]
fn a_refused_name_never_suggests_another_refused_name() {
    // `CON` lower-cased is `con`, a Windows device name too.
    let cwd = tempfile::tempdir().unwrap();
    let assert = scaffold()
        .current_dir(cwd.path())
        .args(new_named("CON"))
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(stderr.contains("try `con-service`"), "{stderr}");
}

#[test]
fn invalid_module_paths_are_refused_with_their_rule() {
    let cases = [
        ("Example.com/x", "the first element"),
        ("example.com//x", "empty element"),
        ("/example.com/x", "starts or ends with `/`"),
        ("example.com/x/", "starts or ends with `/`"),
        ("example.com/x/v1", "major version"),
        ("example.com/con", "Windows device name"),
        ("example.com/x y", "contains ` `"),
        ("-x.com/y", "starts with `-`"),
        ("example.com/.x", "starts or ends with a dot"),
    ];
    for (module, expected) in cases {
        let flag = format!("--module={module}");
        let mut args = vec!["new", "demo", flag.as_str()];
        args.extend(FILES_ONLY);
        assert_refused(&args, expected);
    }
}

#[test]
fn invalid_ports_are_refused() {
    for port in ["0", "65536", "abc", "-1"] {
        let flag = format!("--port={port}");
        let mut args = vec!["new", "demo", flag.as_str()];
        args.extend(FILES_ONLY);
        assert_refused(&args, "use a number from 1 to 65535");
    }
}

#[test]
fn invalid_go_versions_are_refused() {
    let cases = [
        ("2.0", "write it as `1.N` or `1.N.P`"),
        ("1.x", "write it as `1.N` or `1.N.P`"),
        ("latest", "write it as `1.N` or `1.N.P`"),
        ("1.20", "too old"),
    ];
    for (version, expected) in cases {
        let mut args = vec!["new", "demo", "--go-version", version];
        args.extend(FILES_ONLY);
        assert_refused(&args, expected);
    }
}

#[test]
fn invalid_goproxy_and_runtime_are_refused() {
    let mut args = vec!["new", "demo", "--goproxy", "proxy.golang.org"];
    args.extend(FILES_ONLY);
    assert_refused(&args, "is not a URL, `direct` or `off`");
    let mut args = vec!["new", "demo", "--runtime", "ubuntu"];
    args.extend(FILES_ONLY);
    assert_refused(&args, "distroless");
}

// ---------------------------------------------------------------------------------
// No terminal: never wait for input that cannot come.

#[test]
fn without_a_terminal_a_missing_name_is_an_error_naming_the_argument() {
    let cwd = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let assert = scaffold()
        .current_dir(cwd.path())
        .args(["new", "--no-git", "--no-verify"])
        .write_stdin("demo\n")
        .timeout(TIMEOUT)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("project name is missing") && stderr.contains("first argument"),
        "{stderr}"
    );
    assert!(started.elapsed() < TIMEOUT, "took {:?}", started.elapsed());
    assert!(entries(cwd.path()).is_empty());
}

#[test]
fn without_a_terminal_null_stdin_never_hangs() {
    let cwd = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scaffold"))
        .current_dir(cwd.path())
        .args(["new", "--no-git", "--no-verify"])
        .env("XDG_CONFIG_HOME", cwd.path().join("no-config"))
        .env_remove("SCAFFOLD_TEMPLATES")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("`scaffold new` waited for input with stdin at /dev/null");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(2));
}

#[test]
fn without_a_terminal_a_given_name_takes_the_defaults() {
    // No --yes: with stdin a pipe, nobody can answer, so the defaults are taken.
    let cwd = tempfile::tempdir().unwrap();
    scaffold()
        .current_dir(cwd.path())
        .args(["new", "demo", "--no-git", "--no-verify"])
        .write_stdin("\n\n\n")
        .timeout(TIMEOUT)
        .assert()
        .success();
    let record = text(&cwd.path().join("demo"), ".scaffold/answers.toml");
    assert!(record.contains("port = 8080"), "{record}");
}

// ---------------------------------------------------------------------------------
// Destinations.

/// A folder holding a user's files, and its exact contents.
fn users_folder() -> (TempDir, PathBuf, BTreeMap<String, Vec<u8>>) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("work");
    fs::create_dir_all(dir.join("notes")).unwrap();
    fs::write(dir.join("notes.txt"), "mine\r\nkeep me\n").unwrap();
    fs::write(dir.join("notes/todo.md"), "- [ ] ship\n").unwrap();
    let before = support::read_tree(&dir);
    (temp, dir, before)
}

#[test]
fn a_non_empty_destination_is_refused_and_listed() {
    let (_temp, dir, before) = users_folder();
    let assert = scaffold()
        .args(["new", "demo", "--dir"])
        .arg(&dir)
        .args(FILES_ONLY)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    for expected in ["is not empty", "`notes.txt`", "`notes`", "--force"] {
        assert!(stderr.contains(expected), "`{expected}` in:\n{stderr}");
    }
    assert_eq!(support::read_tree(&dir), before);
    assert_eq!(entries(&dir), ["notes", "notes.txt"]);
}

#[test]
fn force_adds_the_project_beside_existing_files() {
    let (_temp, dir, before) = users_folder();
    scaffold()
        .args(["new", "demo", "--force", "--dir"])
        .arg(&dir)
        .args(FILES_ONLY)
        .assert()
        .success();
    let (_fresh, fresh) = generate(&[]);
    let mut expected = support::read_tree(&fresh);
    expected.extend(before);
    assert_eq!(support::read_tree(&dir), expected);
    assert!(staging_leftovers(&dir).is_empty());
}

#[test]
fn force_never_overwrites_a_file() {
    let (_temp, dir, _) = users_folder();
    fs::write(dir.join("go.mod"), "module mine\r\n\ngo 1.21\n").unwrap();
    let before = support::read_tree(&dir);
    let assert = scaffold()
        .args(["new", "demo", "--force", "--dir"])
        .arg(&dir)
        .args(FILES_ONLY)
        .assert()
        .code(2);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("would overwrite") && stderr.contains("`go.mod`"),
        "{stderr}"
    );
    assert_eq!(support::read_tree(&dir), before, "the user's files changed");
    assert_eq!(entries(&dir), ["go.mod", "notes", "notes.txt"]);
}

#[test]
fn a_destination_that_is_a_file_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("demo");
    fs::write(&file, "a file").unwrap();
    let assert = scaffold()
        .args(["new", "demo", "--dir"])
        .arg(&file)
        .args(FILES_ONLY)
        .assert()
        .code(2);
    assert!(stderr_of(&assert).contains("is not a folder"));
    assert_eq!(fs::read(&file).unwrap(), b"a file");
    assert_eq!(entries(temp.path()), ["demo"]);
}

#[test]
fn an_empty_destination_folder_is_used() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("empty");
    fs::create_dir(&dir).unwrap();
    support::new_project(&dir, "demo", &[]);
    assert!(dir.join("go.mod").is_file());
    assert!(staging_leftovers(temp.path()).is_empty());
}

// ---------------------------------------------------------------------------------
// Atomicity: a failure part-way leaves nothing behind.

#[test]
fn a_file_where_a_folder_is_needed_leaves_nothing() {
    let temp = tempfile::tempdir().unwrap();
    fs::write(temp.path().join("blocker"), "a file").unwrap();
    let assert = scaffold()
        .current_dir(temp.path())
        .args(["new", "demo", "--dir", "blocker/sub/demo"])
        .args(FILES_ONLY)
        .assert()
        .failure();
    assert!(
        stderr_of(&assert).contains("blocker"),
        "{}",
        stderr_of(&assert)
    );
    assert_eq!(entries(temp.path()), ["blocker"]);
    assert_eq!(fs::read(temp.path().join("blocker")).unwrap(), b"a file");
}

/// A HOME whose git config cannot be parsed: libgit2 fails to initialise the
/// repository after every file is staged.
fn broken_git_home() -> TempDir {
    let home = tempfile::tempdir().unwrap();
    fs::write(home.path().join(".gitconfig"), "[user\nname = broken\n").unwrap();
    home
}

fn with_git_home(command: &mut assert_cmd::Command, home: &Path) {
    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG",
        "GIT_CEILING_DIRECTORIES",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
    ] {
        command.env_remove(var);
    }
}

#[test]
fn a_git_failure_removes_the_staged_project_and_the_folders_made_for_it() {
    let temp = tempfile::tempdir().unwrap();
    let home = broken_git_home();
    let mut command = scaffold();
    with_git_home(&mut command, home.path());
    let assert = command
        .current_dir(temp.path())
        .args(["new", "demo", "--dir", "a/b/demo", "--yes", "--no-verify"])
        .assert()
        .code(1);
    assert!(stderr_of(&assert).contains("git"), "{}", stderr_of(&assert));
    assert!(
        entries(temp.path()).is_empty(),
        "left behind: {:?}",
        support::read_tree(temp.path()).keys().collect::<Vec<_>>()
    );
}

#[test]
fn a_git_failure_with_force_leaves_the_existing_folder_as_it_was() {
    let (_temp, dir, before) = users_folder();
    let home = broken_git_home();
    let mut command = scaffold();
    with_git_home(&mut command, home.path());
    command
        .args(["new", "demo", "--force", "--yes", "--no-verify", "--dir"])
        .arg(&dir)
        .assert()
        .code(1);
    assert_eq!(support::read_tree(&dir), before);
    assert_eq!(entries(&dir), ["notes", "notes.txt"]);
}

/// git's stock `*.sample` hooks are not copied (they were most of what `init` wrote),
/// but a template folder the user chose, by config or GIT_TEMPLATE_DIR, is honoured as
/// `git init` honours it: a team's commit-msg hook still arrives.
#[test]
fn git_init_uses_a_configured_template_folder_and_skips_the_stock_samples() {
    let temp = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let hooks = home.path().join("team-template/hooks");
    fs::create_dir_all(&hooks).unwrap();
    fs::write(hooks.join("commit-msg"), "#!/bin/sh\nexit 0\n").unwrap();
    let new_in = |name: &str, configure: &dyn Fn(&mut assert_cmd::Command)| {
        let mut command = scaffold();
        with_git_home(&mut command, home.path());
        command.env_remove("GIT_TEMPLATE_DIR");
        configure(&mut command);
        command
            .current_dir(temp.path())
            .args(["new", name, "--yes", "--no-verify", "-q"])
            .assert()
            .success();
        temp.path().join(name).join(".git/hooks")
    };
    let plain = new_in("plain", &|_| {});
    // libgit2 writes one README.sample of its own; git's stock folder would add a dozen.
    let samples: Vec<String> = fs::read_dir(&plain)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name != "README.sample")
                .collect()
        })
        .unwrap_or_default();
    assert!(samples.is_empty(), "stock hooks copied: {samples:?}");
    let by_env = new_in("by-env", &|command| {
        command.env("GIT_TEMPLATE_DIR", home.path().join("team-template"));
    });
    assert!(by_env.join("commit-msg").is_file());
    fs::write(
        home.path().join(".gitconfig"),
        format!(
            "[init]\n\ttemplateDir = {}\n",
            home.path().join("team-template").display()
        ),
    )
    .unwrap();
    let by_config = new_in("by-config", &|_| {});
    assert!(by_config.join("commit-msg").is_file());
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_destination_stops_the_move_and_everything_goes_back() {
    let (_temp, dir, _) = users_folder();
    let outside = tempfile::tempdir().unwrap();
    // `cmd/` leads outside: writing cmd/demo/main.go through it would escape.
    std::os::unix::fs::symlink(outside.path(), dir.join("cmd")).unwrap();
    let before = support::read_tree(&dir);
    let assert = scaffold()
        .args(["new", "demo", "--force", "--dir"])
        .arg(&dir)
        .args(FILES_ONLY)
        .assert()
        .code(2);
    assert!(
        stderr_of(&assert).contains("is a symlink"),
        "{}",
        stderr_of(&assert)
    );
    assert_eq!(
        support::read_tree(&dir),
        before,
        "files moved in were not moved back"
    );
    assert_eq!(entries(&dir), ["cmd", "notes", "notes.txt"]);
    assert!(
        entries(outside.path()).is_empty(),
        "wrote outside the destination"
    );
}

// ---------------------------------------------------------------------------------
// Bytes on disk.

#[test]
fn every_generated_file_has_lf_line_endings() {
    for flags in [&[][..], &["--no-redis", "--runtime", "scratch"][..]] {
        let (_temp, project) = generate(flags);
        for (path, contents) in support::read_tree(&project) {
            assert!(!contents.contains(&b'\r'), "{flags:?}: {path} has CR bytes");
            assert!(
                contents.is_empty() || contents.ends_with(b"\n"),
                "{flags:?}: {path} does not end with a newline"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// git.

/// A HOME with a git identity, or without one.
fn git_home(identity: bool) -> TempDir {
    let home = tempfile::tempdir().unwrap();
    if identity {
        fs::write(
            home.path().join(".gitconfig"),
            "[user]\n\tname = Test Person\n\temail = test@example.com\n",
        )
        .unwrap();
    }
    home
}

/// `scaffold new demo` with git, under `home`; returns (cwd, stderr).
fn new_with_git(home: &Path) -> (TempDir, String) {
    let cwd = tempfile::tempdir().unwrap();
    let mut command = scaffold();
    with_git_home(&mut command, home);
    let assert = command
        .current_dir(cwd.path())
        .args(["new", "demo", "--yes", "--no-verify"])
        .assert()
        .success();
    (cwd, stderr_of(&assert))
}

/// Every file path in a commit's tree.
fn tree_paths(tree: &git2::Tree) -> Vec<String> {
    let mut paths = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            paths.push(format!("{root}{}", entry.name().unwrap()));
        }
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    paths.sort();
    paths
}

#[test]
fn git_makes_one_commit_on_main_with_every_file_and_a_clean_status() {
    let home = git_home(true);
    let (cwd, stderr) = new_with_git(home.path());
    let project = cwd.path().join("demo");
    let repository = Repository::open(&project).unwrap();
    let head = repository.head().unwrap();
    assert_eq!(head.shorthand(), Some("main"));
    let commit = head.peel_to_commit().unwrap();
    assert_eq!(commit.parent_count(), 0, "more than one commit");
    assert!(commit
        .message()
        .unwrap()
        .starts_with("Initial commit from scaffold"));
    assert_eq!(commit.author().name(), Some("Test Person"));
    assert_eq!(commit.author().email(), Some("test@example.com"));

    let on_disk: Vec<String> = support::read_tree(&project).into_keys().collect();
    assert_eq!(tree_paths(&commit.tree().unwrap()), on_disk);

    let mut options = StatusOptions::new();
    options.include_untracked(true).recurse_untracked_dirs(true);
    let statuses = repository.statuses(Some(&mut options)).unwrap();
    let dirty: Vec<String> = statuses
        .iter()
        .map(|s| format!("{:?} {}", s.status(), s.path().unwrap_or("?")))
        .collect();
    assert!(
        dirty.is_empty(),
        "not clean after the first commit: {dirty:?}"
    );

    assert!(stderr.contains("on branch main"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn without_a_git_identity_the_commit_is_signed_scaffold_with_a_warning() {
    let home = git_home(false);
    let (cwd, stderr) = new_with_git(home.path());
    let repository = Repository::open(cwd.path().join("demo")).unwrap();
    let commit = repository.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(commit.author().name(), Some("scaffold"));
    assert_eq!(commit.author().email(), Some("scaffold@localhost"));
    assert!(
        stderr.contains("warning:") && stderr.contains("git config --global user.name"),
        "{stderr}"
    );
}

#[test]
fn inside_an_existing_repository_no_nested_repository_is_made() {
    let home = git_home(true);
    let outer = tempfile::tempdir().unwrap();
    Repository::init(outer.path()).unwrap();
    // The plain `scaffold new demo` (a relative destination) and a deeper --dir.
    for (args, folder) in [
        (&["new", "demo"][..], "demo"),
        (&["new", "api", "--dir", "services/api"][..], "services/api"),
    ] {
        let mut command = scaffold();
        with_git_home(&mut command, home.path());
        let assert = command
            .current_dir(outer.path())
            .args(args)
            .args(["--yes", "--no-verify"])
            .assert()
            .success();
        let project = outer.path().join(folder);
        assert!(project.join("go.mod").is_file(), "{args:?}");
        assert!(
            !project.join(".git").exists(),
            "{args:?}: a nested repository was made"
        );
        let stderr = stderr_of(&assert);
        assert!(
            stderr.contains("No git repository made") && stderr.contains("already inside"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn no_git_makes_no_repository() {
    let (_temp, project) = generate(&[]);
    assert!(!project.join(".git").exists());
}

// ---------------------------------------------------------------------------------
// Help, completions, version.

#[test]
fn help_shows_examples() {
    for args in [&["--help"][..], &["new", "--help"][..]] {
        let assert = scaffold().args(args).assert().success();
        let stdout = stdout_of(&assert);
        assert!(stdout.contains("Examples:"), "{args:?}: {stdout}");
        assert!(
            stdout.contains("scaffold new orders --yes"),
            "{args:?}: {stdout}"
        );
    }
    let assert = scaffold().args(["new", "--help"]).assert().success();
    let stdout = stdout_of(&assert);
    for flag in [
        "--dir",
        "--module",
        "--go-version",
        "--port",
        "--runtime",
        "--no-redis",
        "--goproxy",
        "--no-git",
        "--force",
        "--dry-run",
        "--yes",
    ] {
        assert!(stdout.contains(flag), "{flag} missing from:\n{stdout}");
    }
}

#[test]
fn completions_print_a_script_for_each_shell() {
    let markers = [
        ("bash", "complete -F _scaffold"),
        ("zsh", "#compdef scaffold"),
        ("fish", "complete -c scaffold"),
        ("powershell", "Register-ArgumentCompleter"),
    ];
    for (shell, marker) in markers {
        let assert = scaffold().args(["completions", shell]).assert().success();
        let script = stdout_of(&assert);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        assert!(script.contains("no-redis"), "{shell}: flags missing");
        assert_eq!(stderr_of(&assert), "", "{shell}");
    }
    scaffold().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn version_prints_the_release_and_the_target_triple() {
    let assert = scaffold().arg("--version").assert().success();
    let target = env!("SCAFFOLD_TARGET");
    assert!(target.starts_with(std::env::consts::ARCH), "{target}");
    assert_eq!(
        stdout_of(&assert),
        format!("scaffold {} ({target})\n", env!("CARGO_PKG_VERSION"))
    );
}
