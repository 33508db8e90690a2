//! `scaffold update` through the real binary, on real git repositories: a project made
//! by `new`, edited and committed as a user would (with the real `git`), then updated
//! to changed answers, a changed team template folder, or a team git source that moved.
//! Every updated project is held to the bar `new` is (support/bar.rs).

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use predicates::prelude::*;
use support::scaffold;
use tempfile::TempDir;

/// A project made by `scaffold new demo` with its git repository, in a temp folder.
struct Project {
    temp: TempDir,
    dir: PathBuf,
}

impl Project {
    fn new(extra: &[&str]) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("demo");
        scaffold()
            .args(["new", "demo", "--dir"])
            .arg(&dir)
            .args(["--yes", "--no-verify"])
            .args(extra)
            .env("XDG_CACHE_HOME", temp.path().join("cache"))
            .assert()
            .success();
        Project { temp, dir }
    }

    /// A default project with one committed edit, far from what answers change.
    fn with_dockerfile_edit() -> Self {
        let project = Project::new(&[]);
        project.edit(
            "Dockerfile",
            "# Exec form: the service",
            "# Exec form (ours): the service",
        );
        project.commit_all("my edit");
        project
    }

    fn update(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        scaffold()
            .arg("update")
            .args(args)
            .current_dir(&self.dir)
            .env("XDG_CACHE_HOME", self.temp.path().join("cache"))
            .assert()
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.dir.join(path)).unwrap()
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Replaces `from` (which must be there) with `to` in a file.
    fn edit(&self, path: &str, from: &str, to: &str) {
        let text = self.read(path);
        assert!(text.contains(from), "{path} has no `{from}`:\n{text}");
        self.write(path, &text.replacen(from, to, 1));
    }

    fn git(&self, args: &[&str]) -> String {
        git(&self.dir, args)
    }

    fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// The parents of HEAD: two for an update's merge commit.
    fn head_parents(&self) -> usize {
        self.git(&["rev-list", "--parents", "-n", "1", "HEAD"])
            .split_whitespace()
            .count()
            - 1
    }

    fn status(&self) -> String {
        self.git(&["status", "--porcelain"])
    }

    fn check_bar(&self, variant: &str) {
        support::bar::Checked::new(variant, &self.dir).check_all();
    }
}

/// The real `git` in `dir`, as the user runs it.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "user")
        .env("GIT_AUTHOR_EMAIL", "user@example.com")
        .env("GIT_COMMITTER_NAME", "user")
        .env("GIT_COMMITTER_EMAIL", "user@example.com")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn require_git() -> bool {
    support::require(
        "git",
        &["--version"],
        "these tests edit, commit and resolve as a user would, with the real git",
    )
}

/// The listed paths with their status, from `update --json`.
fn json_statuses(stdout: &[u8]) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(_, status)| status != "unchanged")
        .collect()
}

/// Snapshots with the parts that change from run to run (temp paths, commit ids,
/// hashes, scaffold's version) replaced.
fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        filters => vec![
            (r"/[^\s]*/\.tmp[^\s/]+/team", "[TEAM]"),
            (r"@ [0-9a-f]{12}", "@ [HASH]"),
            (r"scaffold \d+\.\d+\.\d+", "scaffold [VERSION]"),
        ],
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// A team template folder: `version` tells which of the two versions of it.
fn write_team_folder(dir: &Path, version: u32) {
    let _ = fs::remove_dir_all(dir);
    let mut files: Vec<(&str, String)> = vec![
        (
            "README.md.tera",
            format!(
                "# {{{{ name }}}}\n\nA service of the acme platform.\n\n## Run\n\n    docker compose up --build\n\n## Notes\n\nTeam notes, version {version}.\n"
            ),
        ),
        (
            "internal/version/version.go",
            format!(
                "// Package version names the team's release of the service.\npackage version\n\n// Name is the release name.\nconst Name = \"v{version}\"\n"
            ),
        ),
        ("docs/team.md", format!("Team handbook, version {version}.\n")),
    ];
    let build_args = if version == 1 {
        ""
    } else {
        "{% block build_args %}\n# The acme mirror: --build-arg GO_IMAGE=registry.acme.example/golang:{{ go_version }}-alpine\n{{ super() }}{% endblock build_args %}"
    };
    files.push((
        "Dockerfile.tera",
        format!("{{% extends \"builtin/Dockerfile.tera\" %}}{build_args}"),
    ));
    if version == 1 {
        files.push(("docs/old.md", "Dropped in version 2.\n".to_string()));
    } else {
        files.push(("docs/new.md", "New in version 2.\n".to_string()));
        files.push(("notes.md", "Team notes file.\n".to_string()));
    }
    for (path, contents) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
}

#[test]
fn a_changed_team_folder_merges_keeps_edits_and_marks_conflicts() {
    if !require_git() {
        return;
    }
    let templates = tempfile::tempdir().unwrap();
    let team = templates.path().join("team");
    write_team_folder(&team, 1);
    let project = Project::new(&["--templates", team.to_str().unwrap()]);
    // The user's edits: some where the templates change too, some elsewhere.
    project.edit(
        "README.md",
        "A service of the acme platform.",
        "A service of the acme platform, owned by the orders team.",
    );
    project.edit(
        "Dockerfile",
        "# Exec form: the service",
        "# Exec form (kept by the orders team): the service",
    );
    project.edit(
        "internal/version/version.go",
        "const Name = \"v1\"",
        "const Name = \"orders\"",
    );
    project.edit(
        "cmd/demo/main.go",
        "package main\n",
        "package main\n\n// Orders.\n",
    );
    fs::remove_file(project.dir.join("docs/team.md")).unwrap();
    project.write("notes.md", "My own notes.\n");
    project.commit_all("my edits");
    let before = project.head();

    write_team_folder(&team, 2);
    let planned = project.update(&["--dry-run", "--json"]).code(1);
    assert_eq!(
        json_statuses(&planned.get_output().stdout),
        [
            ("Dockerfile", "updated"),
            ("README.md", "updated"),
            ("docs/new.md", "added"),
            ("docs/old.md", "dropped-by-templates"),
            ("docs/team.md", "kept-deleted"),
            ("internal/version/version.go", "conflict"),
            ("notes.md", "conflict"),
        ]
        .map(|(p, s)| (p.to_string(), s.to_string()))
    );
    let updated = project.update(&[]).code(1);
    let stderr = String::from_utf8_lossy(&updated.get_output().stderr).into_owned();
    snapshot("update__conflict_listing", &stderr);
    // Clean merges hold both sides; conflicts are marked, named by revision.
    let readme = project.read("README.md");
    assert!(readme.contains("owned by the orders team") && readme.contains("version 2"));
    let dockerfile = project.read("Dockerfile");
    assert!(dockerfile.contains("kept by the orders team") && dockerfile.contains("acme mirror"));
    assert!(project.read("cmd/demo/main.go").contains("// Orders."));
    let version = project.read("internal/version/version.go");
    assert!(
        version.contains("<<<<<<< yours (on scaffold ")
            && version.contains("const Name = \"orders\"")
            && version.contains("const Name = \"v2\"")
            && version.contains(">>>>>>> templates scaffold "),
        "{version}"
    );
    assert!(project.read("notes.md").contains("My own notes."));
    assert!(!project.dir.join("docs/team.md").exists());
    assert!(project.dir.join("docs/old.md").exists());
    assert_eq!(
        project.head(),
        before,
        "nothing is committed with conflicts"
    );

    // Resolved and committed by the user, with plain git: a merge with the render.
    project.write(
        "internal/version/version.go",
        "// Package version names the team's release of the service.\npackage version\n\n// Name is the release name.\nconst Name = \"v2-orders\"\n",
    );
    project.write("notes.md", "My own notes.\nTeam notes file.\n");
    project.commit_all("resolve the update");
    assert_eq!(project.head_parents(), 2);
    let record = project.read(".scaffold/answers.toml");
    assert!(record.contains("baseline = ") && record.contains("templates_hash = "));

    // Nothing more to do: reported, no commit.
    let resolved = project.head();
    project
        .update(&[])
        .success()
        .stderr(predicate::str::contains("nothing to do"));
    assert_eq!(project.head(), resolved);
    assert_eq!(project.status(), "");
    project.check_bar("team folder, updated and resolved");
}

#[test]
fn a_changed_answer_turns_distroless_into_alpine_and_keeps_edits() {
    if !require_git() {
        return;
    }
    let project = Project::with_dockerfile_edit();
    let before = project.head();
    let assert = project.update(&["--runtime", "alpine"]).success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("runtime = alpine (was distroless)"),
        "{stderr}"
    );
    let dockerfile = project.read("Dockerfile");
    assert!(dockerfile.contains("FROM alpine:"), "{dockerfile}");
    assert!(!dockerfile.contains("distroless"), "{dockerfile}");
    assert!(dockerfile.contains("# Exec form (ours)"), "{dockerfile}");
    assert!(project.read("README.md").contains("alpine"));
    assert!(project
        .read(".scaffold/answers.toml")
        .contains("runtime = \"alpine\""));
    // Committed as a merge of the user's branch and the new render.
    assert_eq!(project.head_parents(), 2);
    assert_eq!(
        project.git(&["rev-parse", "HEAD^1"]).trim(),
        before,
        "the first parent is the user's commit"
    );
    assert!(project
        .git(&["log", "-1", "--format=%B"])
        .contains("runtime = alpine (was distroless)"));
    assert_eq!(project.status(), "");
    project.check_bar("distroless updated to alpine");

    // The new baseline survives a clone: a second update there finds it.
    let clone = project.temp.path().join("clone");
    project.git(&[
        "clone",
        "-q",
        project.dir.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    scaffold()
        .args(["update", "--runtime", "scratch", "--json"])
        .arg(&clone)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"outcome\": \"committed\""));
    assert!(fs::read_to_string(clone.join("Dockerfile"))
        .unwrap()
        .contains("# Exec form (ours)"));
}

#[test]
fn dropping_redis_reports_the_files_the_templates_no_longer_make() {
    if !require_git() {
        return;
    }
    let project = Project::new(&["--runtime", "scratch"]);
    let assert = project.update(&["--no-redis", "--json"]).success();
    let statuses = json_statuses(&assert.get_output().stdout);
    let dropped: Vec<&str> = statuses
        .iter()
        .filter(|(_, s)| s == "dropped-by-templates")
        .map(|(p, _)| p.as_str())
        .collect();
    assert_eq!(
        dropped,
        [
            "internal/redisping/redisping.go",
            "internal/redisping/redisping_test.go",
            "internal/server/readyz_redis_test.go",
        ]
    );
    for path in &dropped {
        assert!(project.dir.join(path).exists(), "{path} was deleted");
    }
    assert!(!project.read("docker-compose.yml").contains("redis"));
    // Deleted as the report advises, the project meets the bar.
    for path in &dropped {
        fs::remove_file(project.dir.join(path)).unwrap();
    }
    project.commit_all("drop the redis files");
    project.check_bar("scratch without redis, updated");
}

#[test]
fn a_dirty_tree_is_refused_and_left_untouched() {
    if !require_git() {
        return;
    }
    let project = Project::new(&[]);
    project.edit("README.md", "# demo", "# demo, uncommitted");
    project.write("scratch.txt", "untracked\n");
    let before = support::read_tree(&project.dir);
    project
        .update(&["--runtime", "alpine"])
        .code(2)
        .stderr(predicate::str::contains("`README.md`"))
        .stderr(predicate::str::contains("`scratch.txt`"))
        .stderr(predicate::str::contains("--allow-dirty"));
    assert_eq!(support::read_tree(&project.dir), before);
    // With --allow-dirty the uncommitted edit is merged, and not committed by update.
    project
        .update(&["--runtime", "alpine", "--allow-dirty"])
        .success();
    assert!(project.read("README.md").contains("# demo, uncommitted"));
    assert!(project.read("Dockerfile").contains("FROM alpine:"));
    assert!(!project
        .git(&["show", "HEAD:README.md"])
        .contains("uncommitted"));
    assert!(project.status().contains("README.md"));
}

#[test]
fn a_dry_run_shows_the_diff_and_writes_nothing() {
    if !require_git() {
        return;
    }
    let project = Project::with_dockerfile_edit();
    let before = support::read_tree(&project.dir);
    let head = project.head();
    let assert = project
        .update(&["--runtime", "alpine", "--dry-run"])
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    snapshot("update__dry_run_diff", &stdout);
    assert_eq!(support::read_tree(&project.dir), before);
    assert_eq!(project.head(), head);
    assert_eq!(project.status(), "");
    assert!(!project.dir.join(".git/MERGE_HEAD").exists());
}

#[test]
fn no_commit_leaves_a_merge_for_git_commit() {
    if !require_git() {
        return;
    }
    let project = Project::new(&[]);
    let head = project.head();
    project.update(&["--port", "9000", "--no-commit"]).success();
    assert_eq!(project.head(), head);
    assert!(project.read("Dockerfile").contains("EXPOSE 9000"));
    assert!(project.dir.join(".git/MERGE_HEAD").exists());
    project.commit_all("update to port 9000");
    assert_eq!(project.head_parents(), 2);
    project
        .update(&["--port", "9000"])
        .success()
        .stderr(predicate::str::contains("nothing to do"));
}

#[test]
fn a_deleted_file_stays_deleted_unless_restored() {
    if !require_git() {
        return;
    }
    let project = Project::new(&[]);
    fs::remove_file(project.dir.join(".wslconfig")).unwrap();
    project.commit_all("no wsl config");
    // Nothing changed in the templates: nothing to do, the file stays deleted.
    project
        .update(&[])
        .success()
        .stderr(predicate::str::contains("nothing to do"));
    assert!(!project.dir.join(".wslconfig").exists());
    project
        .update(&["--restore-deleted", "--json"])
        .success()
        .stdout(predicate::str::contains(
            "\"path\": \".wslconfig\",\n      \"status\": \"added\"",
        ));
    assert!(project.dir.join(".wslconfig").exists());
}

/// Commits the team templates in `go/` of `dir` with the real git; returns the commit.
fn commit_team_templates(dir: &Path, readme: &str) -> String {
    fs::create_dir_all(dir.join("go")).unwrap();
    fs::write(dir.join("go/README.md.tera"), readme).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "templates"]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

#[test]
fn a_git_team_source_that_moved_gives_the_new_commit_with_refresh() {
    if !require_git() {
        return;
    }
    let team = tempfile::tempdir().unwrap();
    git2::Repository::init(team.path()).unwrap();
    commit_team_templates(team.path(), "# {{ name }}\n\nFirst.\n");
    let url = format!("file://{}#:go", team.path().display());
    let project = Project::new(&["--templates", &url]);
    let moved = commit_team_templates(team.path(), "# {{ name }}\n\nSecond.\n");
    // The cached copy is used until --refresh, like `new`.
    project
        .update(&[])
        .success()
        .stderr(predicate::str::contains("nothing to do"));
    project.update(&["--refresh"]).success();
    assert_eq!(project.read("README.md"), "# demo\n\nSecond.\n");
    let record = project.read(".scaffold/answers.toml");
    assert!(
        record.contains(&format!("templates_commit = \"{moved}\"")),
        "{record}"
    );
    assert!(project
        .git(&["log", "-1", "--format=%s"])
        .contains(&moved[..12]));
}

#[test]
fn update_needs_a_scaffold_project_in_git() {
    let temp = tempfile::tempdir().unwrap();
    scaffold()
        .arg("update")
        .arg(temp.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".scaffold/answers.toml"));
    let dir = temp.path().join("demo");
    support::new_project(&dir, "demo", &[]);
    scaffold()
        .arg("update")
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not in a git repository"))
        .stderr(predicate::str::contains("git init"));
}

#[test]
fn a_project_inside_a_monorepo_updates_its_own_folder() {
    if !require_git() {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let mono = temp.path().join("mono");
    fs::create_dir(&mono).unwrap();
    git(&mono, &["init", "-q"]);
    fs::write(mono.join("top.txt"), "the rest of the monorepo\n").unwrap();
    let service = mono.join("services/svc");
    scaffold()
        .args(["new", "svc", "--dir"])
        .arg(&service)
        .args(["--yes", "--no-verify"])
        .assert()
        .success();
    git(&mono, &["add", "-A"]);
    git(&mono, &["commit", "-q", "-m", "add svc"]);
    scaffold()
        .args(["update", "--runtime", "alpine"])
        .arg(&service)
        .assert()
        .success();
    assert!(fs::read_to_string(service.join("Dockerfile"))
        .unwrap()
        .contains("FROM alpine:"));
    assert_eq!(git(&mono, &["status", "--porcelain"]), "");
    // The render commit holds the rest of the repository as it was.
    let render_files = git(&mono, &["ls-tree", "-r", "--name-only", "HEAD^2"]);
    assert!(
        render_files.lines().any(|l| l == "top.txt"),
        "{render_files}"
    );
    assert!(render_files.lines().any(|l| l == "services/svc/Dockerfile"));
}

/// A project made without manifests or CI gets them from `update --k8s --ci github`,
/// merged next to the user's edit, and passes the bar with every validator.
#[test]
fn update_adds_kubernetes_manifests_and_a_workflow_to_a_project_made_without() {
    if !require_git() {
        return;
    }
    let project = Project::with_dockerfile_edit();
    assert!(!project.dir.join("deploy").exists());
    project.update(&["--k8s", "--ci", "github"]).success();
    for added in [
        "deploy/k8s/base/deployment.yaml",
        "deploy/k8s/overlays/prod/kustomization.yaml",
        ".github/workflows/ci.yml",
    ] {
        assert!(project.dir.join(added).is_file(), "{added} was not added");
    }
    assert!(project.read("Dockerfile").contains("# Exec form (ours)"));
    let record = project.read(".scaffold/answers.toml");
    assert!(
        record.contains("k8s = true") && record.contains("ci = \"github\""),
        "{record}"
    );
    assert!(project
        .read("README.md")
        .contains("## Run it on Kubernetes"));
    assert_eq!(project.status(), "");
    project.check_bar("updated with --k8s --ci github");
}

const TEST_CA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/certs/test-root-ca.pem"
);

#[test]
fn update_keeps_the_build_ca_and_proxy_args_and_a_rotated_certificate() {
    if !require_git() {
        return;
    }
    let project = Project::new(&["--ca-cert", TEST_CA, "--build-proxy"]);
    let ca = fs::read_to_string(TEST_CA).unwrap();
    // Rotation as the README says: overwrite the file and commit.
    let rotated = format!("{ca}{ca}");
    project.write("certs/build-ca.pem", &rotated);
    project.commit_all("rotate the build CA");
    project.update(&["--runtime", "alpine"]).success();
    assert_eq!(project.read("certs/build-ca.pem"), rotated);
    assert!(project
        .read("Dockerfile")
        .contains("COPY certs/build-ca.pem /etc/ssl/certs/build-ca.pem"));
    assert!(project.read("docker-compose.yml").contains("- HTTPS_PROXY"));
    let record = project.read(".scaffold/answers.toml");
    assert!(
        record.contains("ca_cert = \"../certs/build-ca.pem\"")
            && record.contains("build_proxy = true")
            && record.contains("runtime = \"alpine\""),
        "{record}"
    );
    assert_eq!(project.status(), "");
}

#[test]
fn update_adds_a_build_ca_to_a_project_made_without() {
    if !require_git() {
        return;
    }
    let project = Project::with_dockerfile_edit();
    project.update(&["--ca-cert", TEST_CA]).success();
    assert_eq!(
        project.read("certs/build-ca.pem"),
        fs::read_to_string(TEST_CA).unwrap()
    );
    let dockerfile = project.read("Dockerfile");
    assert!(
        dockerfile.contains("COPY certs/build-ca.pem") && dockerfile.contains("# Exec form (ours)"),
        "{dockerfile}"
    );
    assert!(project
        .read(".dockerignore")
        .contains("!certs/build-ca.pem"));
    assert_eq!(project.status(), "");
}
