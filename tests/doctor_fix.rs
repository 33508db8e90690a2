//! `scaffold doctor --fix` must never break a build, through the real binary: fixes are
//! written atomically (a write that fails leaves the file as it was and says so),
//! what was fixed is reported even when a later file fails, a `.dockerignore` change
//! never hides what the build reads (`tests/fixtures/doctor_fix/<shape>/`, each a
//! real-world shape), a symlinked target is advice, a second `--fix` changes nothing,
//! and `--fix --verify` builds with the real engine before and after, rolling the fix
//! back when the build breaks.
//!
//! Fixtures are copied to a temporary folder (with a `.git` of their own, as the real
//! projects have), so the scaffold repository around them lends them nothing.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{require_docker, scaffold};
use tempfile::TempDir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doctor_fix")
}

/// A copy of `tests/fixtures/doctor_fix/NAME` in a temporary git repository.
fn fixture(name: &str) -> TempDir {
    let temp = tempfile::tempdir().unwrap();
    copy_fixture(&fixtures().join(name), temp.path());
    git2::Repository::init(temp.path()).unwrap();
    temp
}

fn copy_fixture(from: &Path, to: &Path) {
    assert!(from.is_dir(), "missing fixture {}", from.display());
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_fixture(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The real binary, isolated from the developer's git configuration.
fn doctor() -> assert_cmd::Command {
    let mut command = scaffold();
    command.arg("doctor").envs(isolated_env());
    command
}

fn isolated_env() -> Vec<(&'static str, PathBuf)> {
    let home = std::env::temp_dir().join("scaffold-tests-doctor-home");
    fs::create_dir_all(&home).unwrap();
    vec![
        ("HOME", home.clone()),
        ("XDG_CONFIG_HOME", home.join(".config")),
        ("GIT_CONFIG_NOSYSTEM", PathBuf::from("1")),
    ]
}

/// `doctor DIR --format json ARGS…`: the parsed output, stderr and the exit code.
fn doctor_json(dir: &Path, args: &[&str]) -> (Value, String, i32) {
    let output = doctor()
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor did not print JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (json, stderr, output.status.code().unwrap_or(-1))
}

fn finding<'a>(json: &'a Value, rule: &str) -> &'a Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {json:#}"))
}

/// Every file under `dir` (but `.git`) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == ".git" {
                continue;
            }
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                todo.push(entry.path());
            } else if kind.is_file() {
                let relative = entry
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, fs::read(entry.path()).unwrap());
            }
        }
    }
    files
}

fn read(dir: &Path, path: &str) -> String {
    fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The patterns of a .dockerignore (no comments, no blank lines).
fn patterns(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
}

// --- #9 / #8.9: a .dockerignore change never hides what the build reads ---------------

#[test]
fn env_the_final_stage_copies_from_the_builder_is_kept_in_the_context() {
    let dir = fixture("env-copied-from-builder-stage");
    let (_, stderr, _) = doctor_json(dir.path(), &["--fix"]);
    assert!(stderr.contains(".dockerignore: wrote it"), "{stderr}");
    let written = read(dir.path(), ".dockerignore");
    let lines = patterns(&written);
    assert!(lines.contains(&".git"), "{written}");
    assert!(
        !lines.contains(&".env"),
        "the final stage copies /app/.env out of the build stage, which got it from `COPY . .`:\n{written}"
    );
    assert!(
        written.contains("# Not excluded: `.env`")
            && written.contains("COPY --from=build /app/.env"),
        "the file says why .env stays:\n{written}"
    );
}

#[test]
fn env_read_through_a_bind_mount_is_advice_not_a_fix() {
    let dir = fixture("env-read-through-bind-mount");
    let before = read(dir.path(), ".dockerignore");
    let (json, _, _) = doctor_json(dir.path(), &["--fix"]);
    let env = finding(&json, "SD404");
    assert_eq!(env["fixable"], false, "{env:#}");
    let advice = env["fix"].as_str().unwrap();
    assert!(
        advice.contains("--mount=type=bind,source=.env") && advice.contains("add `.env`"),
        "the advice names the mount and the line to add by hand: {advice}"
    );
    assert_eq!(read(dir.path(), ".dockerignore"), before);
}

#[test]
fn git_read_by_the_build_is_never_excluded() {
    for (shape, reader) in [
        ("version-from-git-describe", "git describe"),
        ("version-from-makefile-target", "git describe"),
        ("version-from-build-script", "git rev-parse"),
    ] {
        let dir = fixture(shape);
        let before = read(dir.path(), ".dockerignore");
        let (json, _, _) = doctor_json(dir.path(), &["--fix"]);
        let git = finding(&json, "SD403");
        assert_eq!(git["fixable"], false, "{shape}: {git:#}");
        let advice = git["fix"].as_str().unwrap();
        assert!(
            advice.contains("reads `.git`") && advice.contains(reader),
            "{shape}: the advice says what reads .git: {advice}"
        );
        assert_eq!(read(dir.path(), ".dockerignore"), before, "{shape}");
    }
}

#[test]
fn a_makefile_whose_built_target_runs_no_git_still_gets_the_fix() {
    // `git tag` is in the `release` target, which the image never runs.
    let dir = fixture("makefile-without-git");
    let (_, stderr, _) = doctor_json(dir.path(), &["--fix"]);
    assert!(stderr.contains(".dockerignore: added `.git`"), "{stderr}");
    assert_eq!(
        patterns(&read(dir.path(), ".dockerignore")),
        [".env", ".git"]
    );
}

#[test]
fn a_service_that_reads_neither_gets_the_full_dockerignore() {
    let dir = fixture("plain-service");
    doctor_json(dir.path(), &["--fix"]);
    let written = read(dir.path(), ".dockerignore");
    for line in [".git", ".env", ".env.*", "bin/"] {
        assert!(
            patterns(&written).contains(&line),
            "{line} missing:\n{written}"
        );
    }
    assert!(!written.contains("Not excluded"), "{written}");
}

// --- #9: a second --fix changes nothing ---------------------------------------------

#[test]
fn a_second_fix_changes_nothing() {
    let mut shapes: Vec<PathBuf> = fs::read_dir(fixtures())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    let doctor_fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doctor");
    shapes.extend(
        fs::read_dir(&doctor_fixtures)
            .unwrap()
            .map(|entry| entry.unwrap().path().join("bad"))
            .filter(|path| path.is_dir()),
    );
    shapes.push(doctor_fixtures.join("sample-service"));
    shapes.sort();
    let mut wrong = Vec::new();
    for shape in &shapes {
        let temp = tempfile::tempdir().unwrap();
        copy_fixture(shape, temp.path());
        git2::Repository::init(temp.path()).unwrap();
        let (_, first, _) = doctor_json(temp.path(), &["--fix"]);
        let after_first = snapshot(temp.path());
        let (json, second, _) = doctor_json(temp.path(), &["--fix"]);
        if snapshot(temp.path()) != after_first {
            wrong.push(format!(
                "{}: the second --fix changed files:\n{second}",
                shape.display()
            ));
        }
        if !second.contains("Fixed nothing") {
            wrong.push(format!(
                "{}: the second --fix reported changes:\n{second}\n(first: {first})",
                shape.display()
            ));
        }
        let fixable: Vec<&Value> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["fixable"] == true)
            .collect();
        if !fixable.is_empty() {
            wrong.push(format!(
                "{}: still fixable after --fix: {fixable:?}",
                shape.display()
            ));
        }
    }
    assert!(shapes.len() > 20, "{shapes:?}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// --- #8.16: symlinked targets are advice ---------------------------------------------

#[cfg(unix)]
#[test]
fn a_symlinked_gitattributes_is_advice_and_is_left_alone() {
    let dir = fixture("plain-service");
    fs::create_dir_all(dir.path().join("shared")).unwrap();
    // Shared with other repositories; LF is not pinned for the shell script.
    fs::write(
        dir.path().join("shared/gitattributes"),
        "*.go text eol=lf\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("shared/gitattributes", dir.path().join(".gitattributes")).unwrap();
    fs::write(dir.path().join("entrypoint.sh"), "#!/bin/sh\nexec /app\n").unwrap();
    let (json, stderr, _) = doctor_json(dir.path(), &["--fix"]);
    let attributes = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == ".gitattributes")
        .unwrap_or_else(|| panic!("no .gitattributes finding: {json:#}"));
    assert_eq!(attributes["fixable"], false, "{attributes:#}");
    let advice = attributes["fix"].as_str().unwrap();
    assert!(
        advice.contains("`.gitattributes` is a symlink (to `shared/gitattributes`)")
            && advice.contains("eol=lf"),
        "{advice}"
    );
    assert!(!stderr.contains(".gitattributes:"), "{stderr}");
    assert_eq!(
        read(dir.path(), "shared/gitattributes"),
        "*.go text eol=lf\n"
    );
    assert!(fs::symlink_metadata(dir.path().join(".gitattributes"))
        .unwrap()
        .file_type()
        .is_symlink());
}

// --- #8.3 and #8.16: atomic writes, and what was fixed is reported when a later file
// fails. The failure is a real one: a file-size limit (as a full disk would) that the
// first, small file fits and the later, large one does not. Works as root too.

/// Runs `scaffold doctor DIR --fix` with writes above `limit_kib` failing (EFBIG).
#[cfg(unix)]
fn fix_with_file_size_limit(dir: &Path, limit_kib: u64) -> std::process::Output {
    let binary = assert_cmd::cargo::cargo_bin("scaffold");
    // SIGXFSZ ignored (the disposition survives exec), so the write fails with EFBIG
    // instead of killing the process; `ulimit -f` counts 512-byte blocks in sh.
    let script = format!(
        "trap '' XFSZ; ulimit -f {}; exec \"$0\" \"$@\"",
        limit_kib * 2
    );
    std::process::Command::new("sh")
        .args(["-c", &script])
        .arg(binary)
        .args(["doctor", "--fix"])
        .arg(dir)
        .envs(isolated_env())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A shell script of about `kib` KiB with CRLF line endings.
#[cfg(unix)]
fn large_crlf_script(kib: usize) -> Vec<u8> {
    let mut text = b"#!/bin/sh\r\n".to_vec();
    while text.len() < kib * 1024 {
        text.extend_from_slice(b"echo 'a line that keeps the script long enough'\r\n");
    }
    text
}

#[cfg(unix)]
#[test]
fn a_fix_that_cannot_be_written_leaves_the_file_as_it_was_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut dockerfile = b"FROM alpine:3.20\r\n".to_vec();
    while dockerfile.len() < 64 * 1024 {
        dockerfile
            .extend_from_slice(b"ENV A_LONG_SETTING=with-a-long-value-to-make-the-file-large\r\n");
    }
    dockerfile.extend_from_slice(b"USER 65532:65532\r\nENTRYPOINT [\"/app\"]\r\n");
    fs::write(dir.path().join("Dockerfile"), &dockerfile).unwrap();
    fs::write(dir.path().join(".dockerignore"), ".git\n.env\n").unwrap();
    fs::write(dir.path().join(".gitattributes"), "* text=auto eol=lf\n").unwrap();
    let output = fix_with_file_size_limit(dir.path(), 16);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        fs::read(dir.path().join("Dockerfile")).unwrap(),
        dockerfile,
        "{stderr}"
    );
    assert!(
        stderr.contains("could not write the fix to") && stderr.contains("That file is unchanged"),
        "{stderr}"
    );
    let leftovers: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("scaffold-fix"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[cfg(unix)]
#[test]
fn files_fixed_before_a_failing_one_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine:3.20\nCOPY . /app\nUSER 65532:65532\nENTRYPOINT [\"/app/zz-run.sh\"]\n",
    )
    .unwrap();
    fs::write(dir.path().join(".dockerignore"), ".git\n.env\n").unwrap();
    // Fixed in path order: .gitattributes (small, written) then zz-run.sh (too large).
    let script = large_crlf_script(64);
    fs::write(dir.path().join("zz-run.sh"), &script).unwrap();
    let output = fix_with_file_size_limit(dir.path(), 16);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Fixed .gitattributes: wrote it"),
        "the change made before the failure is reported:\n{stderr}"
    );
    assert!(
        stderr.contains("zz-run.sh")
            && stderr.contains("Fixed before it: .gitattributes: wrote it"),
        "{stderr}"
    );
    assert!(dir.path().join(".gitattributes").is_file());
    assert_eq!(fs::read(dir.path().join("zz-run.sh")).unwrap(), script);
}

// --- #9: --fix --verify with the real engine -----------------------------------------

/// The engine tests run one at a time, so each can check that it left no image.
static ENGINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn verify_rolls_back_a_fix_that_breaks_the_build() {
    if !require_docker() {
        return;
    }
    let _engine = ENGINE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // doctor cannot see that `cat $(cat build-inputs.txt)` reads .env; the build can.
    let dir = fixture("build-reads-env-through-file-list");
    let before = snapshot(dir.path());
    let output = doctor()
        .arg(dir.path())
        .args(["--fix", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Dockerfile built before the fix and fails after it")
            && stderr.contains("rolled back")
            && stderr.contains(".dockerignore"),
        "{stderr}"
    );
    assert!(
        stderr.contains(".env"),
        "the build log shows what went missing:\n{stderr}"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "every file is back, byte for byte"
    );
    assert!(no_images_left_behind(), "verify's images were not removed");
}

#[test]
fn verify_keeps_a_fix_that_builds() {
    if !require_docker() {
        return;
    }
    let _engine = ENGINE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = fixture("builds-without-env");
    let output = doctor()
        .arg(dir.path())
        .args(["--fix", "--verify"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Verified Dockerfile built before and after the fix"),
        "{stderr}"
    );
    assert!(stderr.contains("Fixed .dockerignore: wrote it"), "{stderr}");
    let written = read(dir.path(), ".dockerignore");
    assert!(patterns(&written).contains(&".env"), "{written}");
    assert!(no_images_left_behind(), "verify's images were not removed");
}

/// No image tagged by `doctor --fix --verify` is left.
fn no_images_left_behind() -> bool {
    let output = std::process::Command::new("docker")
        .args(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
        .output()
        .unwrap();
    !String::from_utf8_lossy(&output.stdout)
        .lines()
        .any(|line| line.starts_with("scaffold-verify-doctor-") && !line.contains("<none>"))
}

#[test]
fn a_file_written_where_gitignore_hides_it_is_not_fixable_again() {
    // `.*` in .gitignore hides the .gitattributes and .dockerignore that --fix writes.
    let dir = fixture("dotfiles-ignored-by-gitignore");
    let (_, first, _) = doctor_json(dir.path(), &["--fix"]);
    assert!(first.contains(".dockerignore: wrote it"), "{first}");
    let written = read(dir.path(), ".dockerignore");
    let (json, second, _) = doctor_json(dir.path(), &["--fix"]);
    assert!(second.contains("Fixed nothing"), "{second}");
    assert_eq!(read(dir.path(), ".dockerignore"), written);
    for finding in json["findings"].as_array().unwrap() {
        assert_eq!(finding["fixable"], false, "{finding:#}");
    }
    // Doctor reads the written file from disk, as the builder does, so the finding is
    // gone; the first run said how to commit a file .gitignore hides.
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "SD402" && f["id"] != "SD402"),
        "{json:#}"
    );
    assert!(first.contains("git add -f .dockerignore"), "{first}");
}
