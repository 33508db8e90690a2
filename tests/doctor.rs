//! `scaffold doctor` through the real binary: every rule against a fixture project that
//! trips it and one that does not (`tests/fixtures/doctor/<rule>/{bad,good}/`), every
//! safe fix verified by running doctor again, the git-view rules on repositories built
//! here with git2, exit codes, colour, the JSON and SARIF formats (snapshots), and
//! scaffold's own generated projects, which must come out clean.
//!
//! Fixtures are copied to a temporary folder first: the scaffold repository around
//! them would otherwise lend them its git view and .gitattributes.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use scaffold::doctor::rules;
use serde_json::Value;
use support::{copy_dir, doctor, scaffold};
use tempfile::TempDir;

/// Where each bad fixture must be caught: `file:line` (`file:-` without a line).
const EXPECTED: &[(&str, &[&str])] = &[
    ("dockerfile-syntax", &["Dockerfile:4"]),
    ("compose-syntax", &["compose.yaml:-"]),
    ("copy-path-case", &["Dockerfile:4", "Dockerfile:5"]),
    ("embed-path-case", &["web/web.go:5", "web/web.go:8"]),
    ("import-path-case", &["main.go:6"]),
    (
        "crlf-in-script",
        &["docker-entrypoint.sh:1", "scripts/migrate:2"],
    ),
    ("crlf-in-source", &["compose.yaml:1", "main.go:1"]),
    ("gitattributes-missing", &[".gitattributes:-"]),
    ("gitattributes-weak", &[".gitattributes:-"]),
    ("goproxy-not-settable", &["Dockerfile:5", "Dockerfile:9"]),
    ("no-module-download", &["Dockerfile:5"]),
    ("vendor-ignored", &["Dockerfile:5"]),
    ("context-copied-before-download", &["Dockerfile:4"]),
    ("dockerignore-missing", &["Dockerfile:-"]),
    ("git-in-context", &[".dockerignore:-"]),
    ("env-in-context", &[".dockerignore:-"]),
    ("cgo-with-static-runtime", &["Dockerfile:4"]),
    ("single-stage", &["Dockerfile:1"]),
    (
        "unpinned-base-image",
        &["Dockerfile:2", "Dockerfile:5", "Dockerfile:6"],
    ),
    ("toolchain-runtime", &["Dockerfile:4"]),
    ("scratch-without-certificates", &["Dockerfile:4"]),
    ("runs-as-root", &["Dockerfile:1", "Dockerfile.admin:5"]),
    ("non-numeric-user", &["Dockerfile:3"]),
    (
        "host-specific-bind-path",
        &["compose.yaml:5", "compose.yaml:6"],
    ),
    ("listen-on-loopback", &["internal/web/server.go:10"]),
];

/// Rules a fixture folder cannot show (they need git's view or a WSL machine), and the
/// test that covers each.
const COVERED_ELSEWHERE: &[(&str, &str)] = &[
    (
        "case-only-duplicate",
        "case_only_duplicates_on_disk_and_in_git",
    ),
    ("autocrlf-true", "autocrlf_true_in_the_repository_config"),
    (
        "project-on-windows-drive",
        "wsl_without_a_windows_drive_is_fine (and the unit test in src/doctor/rules/wsl.rs)",
    ),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doctor")
}

/// A copy of `tests/fixtures/doctor/NAME/KIND` in a temporary folder.
fn fixture(name: &str, kind: &str) -> TempDir {
    let source = fixtures().join(name).join(kind);
    assert!(source.is_dir(), "missing fixture {}", source.display());
    let temp = tempfile::tempdir().unwrap();
    copy_dir(&source, temp.path());
    temp
}

/// `scaffold doctor DIR --format json ARGS…` with no git config of the developer's:
/// the parsed output and the exit code.
fn doctor_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let output = doctor()
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor did not print JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (json, output.status.code().unwrap_or(-1))
}

/// `file:line` of every finding of `rule_id`.
fn places(json: &Value, rule_id: &str) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule_id)
        .map(|f| {
            let line = f["line"]
                .as_u64()
                .map_or("-".to_string(), |l| l.to_string());
            format!("{}:{line}", f["file"].as_str().unwrap_or("(project)"))
        })
        .collect()
}

fn rule_ids(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn id_of(name: &str) -> &'static str {
    rules::find(name)
        .unwrap_or_else(|| panic!("no rule named {name}"))
        .id
}

#[test]
fn every_rule_has_a_fixture_pair_or_a_named_test() {
    for rule in rules::ALL {
        let has_pair = fixtures().join(rule.name).join("bad").is_dir()
            && fixtures().join(rule.name).join("good").is_dir();
        let elsewhere = COVERED_ELSEWHERE.iter().any(|(name, _)| *name == rule.name);
        let expected = EXPECTED.iter().any(|(name, _)| *name == rule.name);
        assert!(
            (has_pair && expected) || elsewhere,
            "{} {}: add tests/fixtures/doctor/{}/{{bad,good}}/ and an EXPECTED entry",
            rule.id,
            rule.name,
            rule.name
        );
    }
}

#[test]
fn every_rule_is_in_the_readme_table() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for rule in rules::ALL {
        let row = format!(
            "| {} | `{}` | {} | {} | {} |",
            rule.id,
            rule.name,
            rule.severity,
            rule.summary,
            if rule.fixable { "yes" } else { "" }
        );
        assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
    }
}

#[test]
fn each_bad_fixture_trips_its_rule_where_expected() {
    let mut wrong = Vec::new();
    for (name, expected) in EXPECTED {
        let dir = fixture(name, "bad");
        let (json, code) = doctor_json(dir.path(), &["--fail-on", "info"]);
        let found = places(&json, id_of(name));
        if found != *expected {
            wrong.push(format!("{name}: expected {expected:?}, found {found:?}"));
        }
        if code != 1 {
            wrong.push(format!("{name}: exit code {code}, expected 1"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn each_good_fixture_does_not_trip_its_rule() {
    let mut wrong = Vec::new();
    for (name, _) in EXPECTED {
        let dir = fixture(name, "good");
        let (json, _) = doctor_json(dir.path(), &[]);
        let found = places(&json, id_of(name));
        if !found.is_empty() {
            wrong.push(format!("{name}: good fixture trips it at {found:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn fixes_remove_their_findings_and_say_what_changed() {
    let mut wrong = Vec::new();
    for rule in rules::ALL.iter().filter(|rule| rule.fixable) {
        if !fixtures().join(rule.name).is_dir() {
            continue;
        }
        let dir = fixture(rule.name, "bad");
        let output = doctor()
            .arg(dir.path())
            .args(["--fix", "--format", "json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !stderr.contains("Fixed") {
            wrong.push(format!("{}: --fix printed no change: {stderr}", rule.name));
        }
        // The output after --fix is already the second look; a fresh run must agree.
        let after: Value = serde_json::from_slice(&output.stdout).unwrap();
        let (again, _) = doctor_json(dir.path(), &[]);
        for json in [after, again] {
            let left = places(&json, rule.id);
            if !left.is_empty() {
                wrong.push(format!("{}: still found after --fix: {left:?}", rule.name));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn fix_output_lists_each_change_and_keeps_scripts_executable() {
    let temp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("sample-service"), temp.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let script = temp.path().join("docker-entrypoint.sh");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let assert = doctor().arg(temp.path()).arg("--fix").assert().failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for expected in [
        ".dockerignore: wrote it",
        ".gitattributes: wrote it",
        "Dockerfile: added `ENV CGO_ENABLED=0` after line 2",
        "docker-entrypoint.sh: converted 3 CRLF line endings to LF",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    let dockerfile = fs::read_to_string(temp.path().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("FROM golang:1.22 AS builder\nENV CGO_ENABLED=0\nWORKDIR /app"),
        "{dockerfile}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(temp.path().join("docker-entrypoint.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "the script lost its executable bits");
    }
    // What is left is advice only.
    let (json, _) = doctor_json(temp.path(), &[]);
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["fixable"] == false),
        "{json:#}"
    );
}

#[test]
fn a_written_dockerignore_never_hides_what_the_dockerfile_copies() {
    let temp = tempfile::tempdir().unwrap();
    fs::write(
        temp.path().join("Dockerfile"),
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY bin/app /app\nCOPY .env.defaults /etc/app.env\nCOPY . /srv\n",
    )
    .unwrap();
    fs::write(temp.path().join(".env"), "TOKEN=dev\n").unwrap();
    doctor().arg(temp.path()).arg("--fix").assert().success();
    let written = fs::read_to_string(temp.path().join(".dockerignore")).unwrap();
    assert!(
        written.contains(".git\n") && written.contains(".env\n"),
        "{written}"
    );
    assert!(
        !written.contains("bin/") && !written.contains(".env.*"),
        "{written}"
    );
}

#[test]
fn a_dockerfile_that_copies_env_on_purpose_gets_advice_not_a_fix() {
    let temp = tempfile::tempdir().unwrap();
    fs::write(
        temp.path().join("Dockerfile"),
        "FROM alpine:3.20\nCOPY .env /app/.env\nUSER 1000\n",
    )
    .unwrap();
    fs::write(temp.path().join(".env"), "TOKEN=dev\n").unwrap();
    fs::write(temp.path().join(".dockerignore"), ".git\n").unwrap();
    let (json, _) = doctor_json(temp.path(), &["--fix"]);
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "SD404")
        .expect("SD404 stays");
    assert_eq!(finding["fixable"], false);
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .contains("copies `.env` on purpose"),
        "{finding}"
    );
    assert_eq!(
        fs::read_to_string(temp.path().join(".dockerignore")).unwrap(),
        ".git\n"
    );
}

/// A repository in `dir` whose index holds `paths`; files are written with `contents`.
fn repository(dir: &Path, paths: &[&str]) -> git2::Repository {
    let repository = git2::Repository::init(dir).unwrap();
    let mut index = repository.index().unwrap();
    for path in paths {
        let file = dir.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, format!("package x // {path}\n")).unwrap();
        index.add_path(Path::new(path)).unwrap();
    }
    index.write().unwrap();
    repository
}

#[test]
fn case_only_duplicates_on_disk_and_in_git() {
    // On disk (Linux can hold both; Windows and macOS cannot).
    let temp = tempfile::tempdir().unwrap();
    for name in ["README.md", "Readme.md", "pkg/a.go"] {
        let path = temp.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "x\n").unwrap();
    }
    let (json, _) = doctor_json(temp.path(), &[]);
    assert_eq!(places(&json, "SD104"), ["README.md:-"]);
    let message = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "SD104")
        .unwrap()["message"]
        .clone();
    assert_eq!(message, "`README.md` and `Readme.md` differ only in case");

    // Only in git's index: a folder renamed by case on a case-insensitive disk leaves
    // both spellings tracked, while the disk shows one.
    let temp = tempfile::tempdir().unwrap();
    repository(
        temp.path(),
        &["Services/user.go", "services/order.go", "ok/b.go"],
    );
    fs::rename(
        temp.path().join("Services/user.go"),
        temp.path().join("services/user.go"),
    )
    .unwrap();
    fs::remove_dir(temp.path().join("Services")).unwrap();
    let (json, _) = doctor_json(temp.path(), &[]);
    assert_eq!(
        places(&json, "SD104"),
        ["Services:-"],
        "one finding for the folder, none for the files in it"
    );

    let temp = tempfile::tempdir().unwrap();
    repository(temp.path(), &["services/user.go", "services/order.go"]);
    let (json, _) = doctor_json(temp.path(), &[]);
    assert!(places(&json, "SD104").is_empty(), "{json:#}");
}

#[test]
fn autocrlf_true_in_the_repository_config() {
    let temp = tempfile::tempdir().unwrap();
    let repository = repository(temp.path(), &["main.go"]);
    fs::write(temp.path().join("run.sh"), "#!/bin/sh\necho\n").unwrap();
    fs::write(temp.path().join(".gitattributes"), "* text=auto\n").unwrap();
    repository
        .config()
        .unwrap()
        .set_str("core.autocrlf", "true")
        .unwrap();
    let (json, code) = doctor_json(temp.path(), &[]);
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "SD205")
        .cloned()
        .expect("SD205 is reported");
    assert_eq!(finding["severity"], "warning");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("the repository's .git/config"),
        "{finding}"
    );
    assert_eq!(code, 1);

    // Once .gitattributes pins LF, the setting can no longer hurt the build: info only.
    fs::write(temp.path().join(".gitattributes"), "* text=auto eol=lf\n").unwrap();
    let (json, code) = doctor_json(temp.path(), &[]);
    let severities: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "SD205")
        .map(|f| f["severity"].clone())
        .collect();
    assert_eq!(severities, ["info"]);
    assert_eq!(code, 0, "info does not fail by default");

    repository
        .config()
        .unwrap()
        .set_str("core.autocrlf", "input")
        .unwrap();
    let (json, _) = doctor_json(temp.path(), &[]);
    assert!(places(&json, "SD205").is_empty());
}

#[test]
fn wsl_without_a_windows_drive_is_fine() {
    // Real WSL detection (the variable every WSL shell has); the project is on the
    // Linux file system, so there is nothing to say. The /mnt/<drive> case is the
    // unit test in src/doctor/rules/wsl.rs, since no test machine has a C: drive.
    let temp = tempfile::tempdir().unwrap();
    let output = doctor()
        .arg(temp.path())
        .args(["--format", "json"])
        .env("WSL_DISTRO_NAME", "Ubuntu")
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(places(&json, "SD801").is_empty(), "{json:#}");
}

#[test]
fn exit_codes_follow_fail_on() {
    // Warnings only.
    let dir = fixture("single-stage", "bad");
    doctor().arg(dir.path()).assert().code(1);
    doctor()
        .arg(dir.path())
        .args(["--fail-on", "error"])
        .assert()
        .code(0);
    // Info only (a CRLF Dockerfile without heredocs, which builds, in a project that
    // is otherwise clean).
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine:3.20\r\nUSER 1000:1000\r\n",
    )
    .unwrap();
    fs::write(dir.path().join(".dockerignore"), ".git\n.env\n").unwrap();
    fs::write(dir.path().join(".gitattributes"), "* text=auto eol=lf\n").unwrap();
    let (json, code) = doctor_json(dir.path(), &[]);
    assert_eq!(rule_ids(&json), ["SD202"]);
    assert_eq!(code, 0);
    doctor()
        .arg(dir.path())
        .args(["--fail-on", "info"])
        .assert()
        .code(1);
    // Usage errors.
    doctor()
        .arg(dir.path().join("missing"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a folder"));
    doctor()
        .arg(dir.path())
        .args(["--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn text_output_is_grouped_and_coloured_only_when_wanted() {
    let dir = fixture("crlf-in-script", "bad");
    let plain = doctor()
        .arg(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .assert()
        .code(1);
    let plain = String::from_utf8_lossy(&plain.get_output().stdout).to_string();
    assert!(!plain.contains('\u{1b}'), "NO_COLOR wins: {plain:?}");
    assert!(
        plain.contains("docker-entrypoint.sh\n  line 1   error   SD201 crlf-in-script (certain)\n"),
        "{plain}"
    );
    assert!(
        plain.contains("\n    why: Linux reads the `\\r`"),
        "{plain}"
    );
    assert!(
        plain.contains("\n    fix: Convert the file to LF"),
        "{plain}"
    );
    let coloured = doctor()
        .arg(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .assert()
        .code(1);
    let coloured = String::from_utf8_lossy(&coloured.get_output().stdout).to_string();
    assert!(coloured.contains('\u{1b}'), "{coloured:?}");
    // Not a terminal, nothing forced: plain.
    let piped = doctor()
        .arg(dir.path())
        .env_remove("NO_COLOR")
        .assert()
        .code(1);
    assert!(!String::from_utf8_lossy(&piped.get_output().stdout).contains('\u{1b}'));
}

fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let version = regex::escape(env!("CARGO_PKG_VERSION"));
    settings.add_filter(
        &format!(r#""version": "{version}""#),
        r#""version": "[version]""#,
    );
    settings
}

fn sample_output(format: &str) -> String {
    let temp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("sample-service"), temp.path());
    let output = doctor()
        .arg(temp.path())
        .args(["--format", format])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn text_json_and_sarif_snapshots() {
    let settings = snapshot_settings();
    settings.bind(|| {
        insta::assert_snapshot!("doctor__text", sample_output("text"));
        insta::assert_snapshot!("doctor__json", sample_output("json"));
        insta::assert_snapshot!("doctor__sarif", sample_output("sarif"));
    });
}

#[test]
fn sarif_has_the_structure_code_hosts_require() {
    let sarif: Value = serde_json::from_str(&sample_output("sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "scaffold doctor");
    let rule_ids: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rule_ids.len(), rules::ALL.len());
    for rule in driver["rules"].as_array().unwrap() {
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(rule[key]["text"].is_string(), "{rule}");
        }
        assert!(["error", "warning", "note"]
            .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rule_ids[index], id);
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(result["message"]["text"].is_string());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains('\\'),
            "relative URI: {uri}"
        );
        if let Some(line) = location["region"]["startLine"].as_u64() {
            assert!(line >= 1);
        }
    }
}

#[test]
fn scaffolds_own_projects_come_out_clean() {
    let variants: &[(&str, &[&str])] = &[
        ("default", &[]),
        ("alpine", &["--runtime", "alpine"]),
        ("scratch", &["--runtime", "scratch"]),
        ("no-redis", &["--no-redis"]),
        ("scratch-no-redis", &["--runtime", "scratch", "--no-redis"]),
    ];
    let mut dirty = Vec::new();
    for (variant, flags) in variants {
        let out = tempfile::tempdir().unwrap();
        let project = out.path().join("demo");
        support::new_project(&project, "demo", flags);
        let (json, code) = doctor_json(&project, &["--fail-on", "info"]);
        if code != 0 || !json["findings"].as_array().unwrap().is_empty() {
            dirty.push(format!("{variant}: {:#}", json["findings"]));
        }
    }
    assert!(dirty.is_empty(), "{}", dirty.join("\n"));
}

#[test]
fn a_generated_project_in_its_own_git_repository_comes_out_clean() {
    let out = tempfile::tempdir().unwrap();
    let project = out.path().join("demo");
    let home = out.path().join("home");
    fs::create_dir_all(&home).unwrap();
    scaffold()
        .args(["new", "demo", "--dir"])
        .arg(&project)
        .args(["--yes", "--no-verify", "-q"])
        .env("HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .assert()
        .success();
    assert!(project.join(".git").is_dir());
    let (json, code) = doctor_json(&project, &["--fail-on", "info"]);
    assert_eq!(json["findings"], serde_json::json!([]), "{json:#}");
    assert_eq!(code, 0);
}
