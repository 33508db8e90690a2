//! `scaffold new` and `templates` against a hostile template author and hostile input
//! (issue 8): each test reproduces one failure a hostile review found, through the real
//! binary, and checks that nothing runs, nothing hangs and nothing is left behind.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;
use support::{folder_with as team_folder, scaffold};
use tempfile::TempDir;

/// (path, contents) of a team template file.
type TeamFile<'a> = (&'a str, &'a [u8]);

/// `scaffold new demo` into `OUT/demo` with git (the repository is what a planted
/// `.git` would attack) and without verify.
fn new_into(out: &Path, templates: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    scaffold()
        .args(["new", "demo", "--dir"])
        .arg(out.join("demo"))
        .args(["--yes", "--no-verify", "--templates", templates])
        .args(extra)
        .env("XDG_CACHE_HOME", out.join("cache"))
        .timeout(Duration::from_secs(60))
        .assert()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A git config that runs a command on the first `git status`, leaving `marker`.
fn fsmonitor_config(marker: &Path) -> Vec<u8> {
    format!("[core]\n\tfsmonitor = touch {}\n", marker.display()).into_bytes()
}

fn assert_nothing_ran_or_remains(out: &Path, marker: &Path) {
    assert!(!out.join("demo").exists(), "a project was written");
    // Whatever git might still run in a left-over folder, it must find no hook.
    let _ = Command::new("git")
        .arg("-C")
        .arg(out)
        .arg("status")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(!marker.exists(), "the planted fsmonitor command ran");
}

#[test]
fn a_team_folder_cannot_plant_git_config_in_any_spelling() {
    for planted in [
        "{{ \".\" }}git/config",
        ".GIT/config",
        ".git./config",
        "sub/.git/config",
        "GIT~1/config",
    ] {
        let out = tempfile::tempdir().unwrap();
        let marker = out.path().join("pwned");
        let team = team_folder(&[(planted, &fsmonitor_config(&marker))]);
        new_into(out.path(), path_str(team.path()), &[])
            .code(2)
            .stderr(predicate::str::contains("git's own folder"));
        assert_nothing_ran_or_remains(out.path(), &marker);
    }
}

/// A tree with a `.git/config` entry, written as a raw object: git and git2 refuse to
/// build one, but a hostile server can serve it.
fn repository_with_planted_git_folder(config: &[u8]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repository = git2::Repository::init_bare(dir.path()).unwrap();
    let odb = repository.odb().unwrap();
    let blob = repository.blob(config).unwrap();
    let readme = repository.blob(b"# {{ name }}\n").unwrap();
    let tree_of = |entries: &[(&str, &str, git2::Oid)]| {
        let mut bytes = Vec::new();
        for (mode, name, id) in entries {
            bytes.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            bytes.extend_from_slice(id.as_bytes());
        }
        odb.write(git2::ObjectType::Tree, &bytes).unwrap()
    };
    let git_folder = tree_of(&[("100644", "config", blob)]);
    let root = tree_of(&[
        ("40000", ".git", git_folder),
        ("100644", "README.md.tera", readme),
    ]);
    let tree = repository.find_tree(root).unwrap();
    let signature = git2::Signature::now("test", "test@example.com").unwrap();
    repository
        .commit(
            Some("refs/heads/main"),
            &signature,
            &signature,
            "templates",
            &tree,
            &[],
        )
        .unwrap();
    dir
}

#[test]
fn a_git_template_cannot_plant_git_config_through_its_tree() {
    let out = tempfile::tempdir().unwrap();
    let marker = out.path().join("pwned");
    let repository = repository_with_planted_git_folder(&fsmonitor_config(&marker));
    let url = format!("file://{}#main", repository.path().display());
    new_into(out.path(), &url, &[]).code(2).stderr(
        predicate::str::contains("`.git/config`").and(predicate::str::contains("git's own folder")),
    );
    assert_nothing_ran_or_remains(out.path(), &marker);
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_in_a_template_folder_is_named() {
    let team = team_folder(&[("sub/a.txt", b"a")]);
    std::os::unix::fs::symlink(".", team.path().join("sub/loop")).unwrap();
    let out = tempfile::tempdir().unwrap();
    for args in [
        vec!["templates", "list"],
        vec!["new", "demo", "--yes", "--no-verify"],
    ] {
        scaffold()
            .current_dir(out.path())
            .args(&args)
            .args(["--templates", path_str(team.path())])
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("`sub/loop`")
                    .and(predicate::str::contains("symlink loop")),
            );
    }
    assert!(!out.path().join("demo").exists());
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo failed");
}

#[cfg(unix)]
#[test]
fn a_fifo_never_makes_new_wait() {
    let team = team_folder(&[("README.md.tera", b"# {{ name }}\n")]);
    mkfifo(&team.path().join("pipe.txt"));
    let out = tempfile::tempdir().unwrap();
    new_into(out.path(), path_str(team.path()), &[])
        .code(2)
        .stderr(predicate::str::contains("pipe.txt").and(predicate::str::contains("FIFO")));
    let answers = out.path().join("answers.toml");
    mkfifo(&answers);
    scaffold()
        .args(["new", "demo", "--yes", "--no-verify", "--answers"])
        .arg(&answers)
        .current_dir(out.path())
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIFO"));
    assert!(!out.path().join("demo").exists());
}

#[test]
fn a_huge_template_file_is_refused_before_it_is_read() {
    let team = team_folder(&[("big.bin", &vec![b'x'; 9 * 1024 * 1024])]);
    let out = tempfile::tempdir().unwrap();
    new_into(out.path(), path_str(team.path()), &[])
        .code(2)
        .stderr(predicate::str::contains("big.bin").and(predicate::str::contains("8 MiB")));
}

#[test]
fn templates_cannot_read_the_environment() {
    let team = team_folder(&[(
        "leak.txt.tera",
        b"{{ get_env(name=\"SCAFFOLD_TEST_SECRET\") }}",
    )]);
    let out = tempfile::tempdir().unwrap();
    scaffold()
        .args(["new", "demo", "--dir"])
        .arg(out.path().join("demo"))
        .args(["--yes", "--no-verify", "--templates", path_str(team.path())])
        .env("SCAFFOLD_TEST_SECRET", "hunter2")
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("`get_env`")
                .and(predicate::str::contains("environment"))
                .and(predicate::str::contains("hunter2").not()),
        );
    assert!(!out.path().join("demo").exists());
}

#[test]
fn a_huge_range_fails_fast_instead_of_eating_memory() {
    let team = team_folder(&[(
        "loop.txt.tera",
        b"{% for i in range(end=100000000) %}{% endfor %}",
    )]);
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    new_into(out.path(), path_str(team.path()), &[])
        .failure()
        .stderr(predicate::str::contains("`range`").and(predicate::str::contains("1000000")));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn paths_windows_cannot_check_out_are_refused() {
    let manifest: &[u8] = b"[[variables]]\nname = \"v\"\ndefault = \"x\"\n";
    let sets: [(&[TeamFile], &str); 6] = [
        (
            &[("cmd/App/a.go", b""), ("cmd/app/b.go", b"")],
            "only in case",
        ),
        (&[("notes", b""), ("Notes/x", b"")], "only in case"),
        (&[(".scaffold/ANSWERS.toml", b"")], "only in case"),
        (&[("{{ \"CON\" }}", b"")], "device name"),
        (&[("{{ \"aux\" }}.txt", b"")], "device name"),
        (&[("x{{ \".\" }}", b"")], "dot or space"),
    ];
    for (files, expected) in sets {
        let team = team_folder(files);
        let out = tempfile::tempdir().unwrap();
        new_into(out.path(), path_str(team.path()), &["--no-git"])
            .code(2)
            .stderr(predicate::str::contains(expected));
        assert!(!out.path().join("demo").exists(), "{files:?}");
    }
    // A newline from --set, a NUL from an answers file: both reach a rendered name.
    let team = team_folder(&[("scaffold-template.toml", manifest), ("{{ v }}.txt", b"")]);
    let out = tempfile::tempdir().unwrap();
    new_into(out.path(), path_str(team.path()), &["--set", "v=a\nb"])
        .code(2)
        .stderr(predicate::str::contains("control character U+000A"));
    let answers = out.path().join("answers.toml");
    fs::write(&answers, "[variables]\nv = \"a\\u0000b\"\n").unwrap();
    new_into(
        out.path(),
        path_str(team.path()),
        &["--answers", path_str(&answers)],
    )
    .code(2)
    .stderr(predicate::str::contains("control character U+0000"));
    assert!(!out.path().join("demo").exists());
}

#[test]
fn parallel_runs_into_one_folder_leave_exactly_one_whole_project() {
    const RUNS: u16 = 6;
    for round in 0..4 {
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("demo");
        fs::create_dir(&target).unwrap();
        let children: Vec<_> = (0..RUNS)
            .map(|run| {
                let mut command = Command::new(env!("CARGO_BIN_EXE_scaffold"));
                command
                    .args(["new", "demo", "--yes", "--no-verify", "--port"])
                    .arg((9000 + run).to_string())
                    .arg("--dir")
                    .arg(&target)
                    .env("NO_COLOR", "1")
                    .env("XDG_CONFIG_HOME", out.path().join("no-config"))
                    .env_remove("SCAFFOLD_TEMPLATES")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                (9000 + run, command.spawn().unwrap())
            })
            .collect();
        let results: Vec<(u16, std::process::Output)> = children
            .into_iter()
            .map(|(port, child)| (port, child.wait_with_output().unwrap()))
            .collect();
        let winners: Vec<_> = results.iter().filter(|(_, o)| o.status.success()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:#?}");
        for (_, output) in results.iter().filter(|(_, o)| !o.status.success()) {
            assert_eq!(output.status.code(), Some(2), "round {round}: {output:?}");
        }
        let (port, output) = winners[0];
        let said = String::from_utf8_lossy(&output.stderr).to_string()
            + &String::from_utf8_lossy(&output.stdout);
        let count: usize = said
            .split(" (")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no file count in {said}"));
        assert_eq!(
            support::read_tree(&target).len(),
            count,
            "round {round}: {said}"
        );
        let record = fs::read_to_string(target.join(".scaffold/answers.toml")).unwrap();
        assert!(record.contains(&format!("port = {port}")), "{record}");
        let leftovers: Vec<_> = fs::read_dir(&target)
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".scaffold-staging")
            })
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let head = git2::Repository::open(&target).unwrap();
        assert!(head.head().is_ok(), "the winner's repository is intact");
    }
}

/// The PID of a process that has ended: what a `kill -9`ed scaffold leaves behind.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_staging_folder_left_by_a_killed_run_is_removed_with_a_note() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("demo");
    let pid = dead_pid();
    let stale = target.join(format!(".scaffold-staging-{pid}-Ab3dE9"));
    fs::create_dir_all(stale.join("cmd")).unwrap();
    fs::write(stale.join("go.mod"), "module half\n").unwrap();
    scaffold()
        .args(["new", "demo", "--yes", "--no-verify", "--no-git", "--dir"])
        .arg(&target)
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "left by scaffold process {pid} which is no longer running"
        )));
    assert!(!stale.exists());
    assert!(target.join("go.mod").is_file());
}

#[cfg(unix)]
#[test]
fn bad_destinations_and_answer_files_exit_2() {
    let out = tempfile::tempdir().unwrap();
    let dangling = out.path().join("dangling");
    std::os::unix::fs::symlink(out.path().join("gone"), &dangling).unwrap();
    let file = out.path().join("notes.txt");
    fs::write(&file, "mine").unwrap();
    for dir in [dangling.clone(), file.join("demo")] {
        scaffold()
            .args(["new", "demo", "--yes", "--no-verify", "--no-git", "--dir"])
            .arg(&dir)
            .assert()
            .code(2);
    }
    assert!(!out.path().join("gone").exists());
    assert_eq!(fs::read_to_string(&file).unwrap(), "mine");
    let latin1 = out.path().join("latin1.toml");
    fs::write(&latin1, b"[answers]\nname = \"caf\xe9\"\n").unwrap();
    scaffold()
        .args(["new", "--yes", "--no-verify", "--answers"])
        .arg(&latin1)
        .current_dir(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not UTF-8"));
}

#[test]
fn verify_without_a_dockerfile_is_refused_before_writing() {
    let team = team_folder(&[("scaffold-template.toml", b"drop = [\"Dockerfile.tera\"]\n")]);
    let out = tempfile::tempdir().unwrap();
    scaffold()
        .args([
            "new",
            "demo",
            "--yes",
            "--no-git",
            "--verify",
            "--templates",
        ])
        .arg(team.path())
        .arg("--dir")
        .arg(out.path().join("demo"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("make none"));
    assert!(!out.path().join("demo").exists());
}

#[test]
fn manifest_mistakes_are_named() {
    let cases: [(&[u8], &str); 2] = [
        (b"drop = [\"go.mod.tera\", \"go.mod.tera\"]\n", "twice"),
        (b"[when]\n\"nope.txt\" = \"redis\"\n", "`nope.txt`"),
    ];
    for (manifest, expected) in cases {
        let team = team_folder(&[("scaffold-template.toml", manifest)]);
        let out = tempfile::tempdir().unwrap();
        new_into(out.path(), path_str(team.path()), &[])
            .failure()
            .stderr(predicate::str::contains(expected));
    }
}

#[test]
fn export_never_suggests_flags_it_lacks() {
    let out = tempfile::tempdir().unwrap();
    fs::write(out.path().join("mine.txt"), "x").unwrap();
    scaffold()
        .args(["templates", "export"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("not empty")
                .and(predicate::str::contains("--force").not())
                .and(predicate::str::contains("--dir").not()),
        );
}

#[cfg(unix)]
fn repository_with_folder_symlink() -> (TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repository = git2::Repository::init(dir.path()).unwrap();
    fs::create_dir_all(dir.path().join("shared")).unwrap();
    fs::write(dir.path().join("shared/x.txt"), "x").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("shared", dir.path().join("linked")).unwrap();
    support::commit_all(&repository, "t");
    let path = dir.path().to_path_buf();
    (dir, path)
}

#[cfg(unix)]
#[test]
fn a_git_symlink_to_a_folder_inside_is_not_called_outside() {
    let (_repository, path) = repository_with_folder_symlink();
    let out = tempfile::tempdir().unwrap();
    new_into(
        out.path(),
        &format!("file://{}", path.display()),
        &["--no-git"],
    )
    .code(2)
    .stderr(
        predicate::str::contains("symlink to the folder `shared`")
            .and(predicate::str::contains("outside").not()),
    );
}
