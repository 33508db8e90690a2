//! Team templates through the real binary: a folder or git repository laid over the
//! built-in set, with overrides, blocks, added and dropped files, extra variables,
//! answer files, and every refusal.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use support::{folder_with as team_folder, scaffold};
use tempfile::TempDir;

/// Runs `scaffold new demo` into a fresh folder with the given templates and flags.
fn new_with(templates: &str, extra: &[&str]) -> (TempDir, assert_cmd::assert::Assert) {
    let out = tempfile::tempdir().unwrap();
    let assert = scaffold()
        .args(["new", "demo", "--dir"])
        .arg(out.path().join("demo"))
        .args(["--yes", "--no-git", "--no-verify", "--templates", templates])
        .args(extra)
        .env("XDG_CACHE_HOME", out.path().join("cache"))
        .assert();
    (out, assert)
}

fn read(out: &TempDir, path: &str) -> String {
    fs::read_to_string(out.path().join("demo").join(path)).unwrap()
}

fn nothing_written(out: &TempDir) -> bool {
    !out.path().join("demo").exists()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_team_file_replaces_the_builtin_one() {
    let team = team_folder(&[("README.md.tera", "# {{ name }}, the acme way\n")]);
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert.success();
    assert_eq!(read(&out, "README.md"), "# demo, the acme way\n");
    // Everything else is still the built-in set.
    assert!(read(&out, "Dockerfile").contains("FROM"));
}

#[test]
fn a_team_template_overrides_one_block_of_the_builtin_dockerfile() {
    let team = team_folder(&[(
        "Dockerfile.tera",
        "{% extends \"builtin/Dockerfile.tera\" %}\
         {% block runtime_stage %}FROM registry.acme.example/base:1.0 AS runtime\n\
         USER 65532:65532\nENTRYPOINT [\"/{{ name }}\"]\n{% endblock %}",
    )]);
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert.success();
    let dockerfile = read(&out, "Dockerfile");
    assert!(
        dockerfile.contains("FROM registry.acme.example/base:1.0 AS runtime"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("go build"),
        "the build stage must stay: {dockerfile}"
    );
    assert!(!dockerfile.contains("distroless"), "{dockerfile}");
    snapshot(
        "team__dockerfile_with_runtime_block_overridden",
        &dockerfile,
    );
}

/// A snapshot in the top-level `snapshots/` folder.
fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn files_are_added_and_dropped() {
    let team = team_folder(&[
        ("docs/owners.md.tera", "owner: {{ owner }}\n"),
        ("scaffold-template.toml", "drop = [\".wslconfig.tera\"]\n[[variables]]\nname = \"owner\"\ndefault = \"platform\"\n"),
    ]);
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert.success();
    assert_eq!(read(&out, "docs/owners.md"), "owner: platform\n");
    assert!(!out.path().join("demo/.wslconfig").exists());
    assert!(!out.path().join("demo/scaffold-template.toml").exists());
}

const VARIABLES: &str = r#"
[[variables]]
name = "team"
prompt = "Owning team"
choices = ["platform", "payments"]
default = "platform"

[[variables]]
name = "cost_center"
regex = "[A-Z]{2}[0-9]{3}"
"#;

fn variables_folder() -> TempDir {
    team_folder(&[
        ("OWNERS.tera", "{{ team }} {{ cost_center }}\n"),
        ("scaffold-template.toml", VARIABLES),
    ])
}

#[test]
fn extra_variables_come_from_set_flags() {
    let team = variables_folder();
    let (out, assert) = new_with(
        path_str(team.path()),
        &["--set", "team=payments", "--set", "cost_center=AB123"],
    );
    assert.success();
    assert_eq!(read(&out, "OWNERS"), "payments AB123\n");
    let record = read(&out, ".scaffold/answers.toml");
    assert!(record.contains("cost_center = \"AB123\""), "{record}");
}

#[test]
fn a_variable_without_default_needs_a_flag_when_nobody_can_be_asked() {
    let team = variables_folder();
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert
        .code(2)
        .stderr(predicate::str::contains("--set cost_center=VALUE"));
    assert!(nothing_written(&out));
}

#[test]
fn variable_values_are_validated_and_unknown_keys_refused() {
    let team = variables_folder();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--set", "team=sales", "--set", "cost_center=AB123"],
            "platform, payments",
        ),
        (&["--set", "cost_center=ab123"], "does not match"),
        (&["--set", "cost_centre=AB123"], "no variable `cost_centre`"),
    ];
    for (flags, message) in cases {
        let (out, assert) = new_with(path_str(team.path()), flags);
        assert.code(2).stderr(predicate::str::contains(message));
        assert!(nothing_written(&out), "{flags:?}");
    }
}

#[test]
fn answers_come_from_a_file_and_flags_win() {
    let team = variables_folder();
    let answers = team_folder(&[(
        "answers.toml",
        "[answers]\nname = \"demo\"\nport = 9000\nruntime = \"alpine\"\n\n[variables]\ncost_center = \"XY999\"\n",
    )]);
    let file = answers.path().join("answers.toml");
    let (out, assert) = new_with(
        path_str(team.path()),
        &["--answers", path_str(&file), "--port", "9100"],
    );
    assert.success();
    assert_eq!(read(&out, "OWNERS"), "platform XY999\n");
    let dockerfile = read(&out, "Dockerfile");
    assert!(dockerfile.contains("9100"), "the flag wins: {dockerfile}");
    assert!(dockerfile.contains("alpine"), "{dockerfile}");
}

#[test]
fn the_recorded_answers_make_the_same_project_again() {
    let team = variables_folder();
    let (first, assert) = new_with(
        path_str(team.path()),
        &["--set", "cost_center=AB123", "--no-redis", "--port", "7000"],
    );
    assert.success();
    let record = first.path().join("demo/.scaffold/answers.toml");
    let again = tempfile::tempdir().unwrap();
    scaffold()
        .args(["new", "--answers", path_str(&record), "--dir"])
        .arg(again.path().join("demo"))
        .args(["--yes", "--no-git", "--no-verify"])
        .assert()
        .success();
    for file in ["Dockerfile", "OWNERS", "go.mod", ".scaffold/answers.toml"] {
        assert_eq!(
            read(&first, file),
            fs::read_to_string(again.path().join("demo").join(file)).unwrap(),
            "{file} differs"
        );
    }
}

#[test]
fn team_defaults_change_the_defaults_but_not_the_flags() {
    let team = team_folder(&[(
        "scaffold-template.toml",
        "[defaults]\nmodule_prefix = \"github.com/acme\"\nport = 9000\ngoproxy = \"https://goproxy.acme.example,direct\"\ngo_image = \"registry.acme.example/golang:1.27-alpine\"\n",
    )]);
    let (out, assert) = new_with(path_str(team.path()), &["--port", "8181"]);
    assert.success();
    assert!(read(&out, "go.mod").contains("module github.com/acme/demo"));
    let dockerfile = read(&out, "Dockerfile");
    assert!(
        dockerfile.contains("registry.acme.example/golang:1.27-alpine"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("https://goproxy.acme.example,direct"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("8181") && !dockerfile.contains("9000"),
        "{dockerfile}"
    );
}

#[test]
fn invalid_team_defaults_are_refused() {
    let team = team_folder(&[(
        "scaffold-template.toml",
        "[defaults]\nruntime = \"ubuntu\"\n",
    )]);
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert
        .code(2)
        .stderr(predicate::str::contains("runtime `ubuntu`"));
    assert!(nothing_written(&out));
}

#[test]
fn a_tera_error_names_the_file_and_line_and_writes_nothing() {
    let team = team_folder(&[("notes.md.tera", "line one\n{{ name | }}\n")]);
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert
        .code(1)
        .stderr(predicate::str::contains("notes.md.tera"))
        .stderr(predicate::str::contains("2:"));
    assert!(nothing_written(&out));
}

#[test]
fn an_undefined_variable_in_a_team_template_fails() {
    let team = team_folder(&[("notes.md.tera", "{{ owner }}\n")]);
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert
        .code(1)
        .stderr(predicate::str::contains("notes.md.tera"))
        .stderr(predicate::str::contains("owner"));
    assert!(nothing_written(&out));
}

#[test]
fn unsafe_template_paths_are_refused_with_the_path() {
    let drive = team_folder(&[("C:evil.txt", "x")]);
    let twins = team_folder(&[("Notes.md", "a"), ("notes.md", "b")]);
    let case_of_builtin = team_folder(&[("dockerfile.tera", "FROM x\n")]);
    let rendered_escape = team_folder(&[
        ("{{ where }}/x.txt", "x"),
        (
            "scaffold-template.toml",
            "[[variables]]\nname = \"where\"\ndefault = \"..\"\n",
        ),
    ]);
    let cases = [
        (&drive, "C:evil.txt"),
        (&twins, "only in case"),
        (&case_of_builtin, "only in case"),
        (&rendered_escape, "{{ where }}/x.txt"),
    ];
    for (team, message) in cases {
        let (out, assert) = new_with(path_str(team.path()), &[]);
        assert.code(2).stderr(predicate::str::contains(message));
        assert!(nothing_written(&out), "{message}");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_template_folder_is_refused() {
    let secret = team_folder(&[("id_rsa", "PRIVATE")]);
    let team = team_folder::<&str>(&[]);
    std::os::unix::fs::symlink(secret.path().join("id_rsa"), team.path().join("key.txt")).unwrap();
    let (out, assert) = new_with(path_str(team.path()), &[]);
    assert
        .code(2)
        .stderr(predicate::str::contains("`key.txt`"))
        .stderr(predicate::str::contains("outside the template folder"));
    assert!(nothing_written(&out));
}

#[test]
fn templates_list_shows_where_each_file_comes_from() {
    let team = team_folder(&[
        ("README.md.tera", "x"),
        ("extra.txt", "y"),
        ("scaffold-template.toml", "drop = [\".wslconfig.tera\"]\n"),
    ]);
    let output = scaffold()
        .args(["templates", "list", "--templates", path_str(team.path())])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listing = String::from_utf8(output).unwrap();
    let origin_of = |path: &str| {
        listing
            .lines()
            .find(|line| line.split_whitespace().next() == Some(path))
            .map(|line| line[path.len()..].trim().to_string())
            .unwrap_or_else(|| panic!("{path} not listed:\n{listing}"))
    };
    assert_eq!(origin_of("README.md.tera"), "team (overrides built-in)");
    assert_eq!(origin_of("extra.txt"), "team");
    assert_eq!(origin_of("Dockerfile.tera"), "built-in");
    assert_eq!(origin_of(".wslconfig.tera"), "dropped by team");
    snapshot("team__templates_list", &listing);
}

#[test]
fn exported_templates_reproduce_the_builtin_output() {
    let export = tempfile::tempdir().unwrap();
    let folder = export.path().join("team");
    scaffold()
        .args(["templates", "export"])
        .arg(&folder)
        .assert()
        .success();
    assert!(folder.join("Dockerfile.tera").is_file());
    let (from_export, assert) = new_with(path_str(&folder), &[]);
    assert.success();
    let builtin = tempfile::tempdir().unwrap();
    support::new_project(&builtin.path().join("demo"), "demo", &[]);
    for file in ["Dockerfile", "docker-compose.yml", "go.mod", "README.md"] {
        assert_eq!(
            read(&from_export, file),
            fs::read_to_string(builtin.path().join("demo").join(file)).unwrap(),
            "{file} differs"
        );
    }
    // Export refuses a non-empty folder.
    scaffold()
        .args(["templates", "export"])
        .arg(&folder)
        .assert()
        .code(2);
}

#[test]
fn the_user_config_names_the_source_and_module_prefix() {
    let team = team_folder(&[("README.md.tera", "configured\n")]);
    let config = tempfile::tempdir().unwrap();
    fs::create_dir_all(config.path().join("scaffold")).unwrap();
    fs::write(
        config.path().join("scaffold/scaffold.toml"),
        format!(
            "templates = '{}'\nmodule_prefix = \"git.acme.example/svc\"\n",
            path_str(team.path())
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    scaffold()
        .env("XDG_CONFIG_HOME", config.path())
        .args(["new", "demo", "--dir"])
        .arg(out.path().join("demo"))
        .args(["--yes", "--no-git", "--no-verify"])
        .assert()
        .success();
    assert_eq!(read(&out, "README.md"), "configured\n");
    assert!(read(&out, "go.mod").contains("module git.acme.example/svc/demo"));
}

/// A git repository made here, holding templates in `go/` at tag v1.
struct TeamRepository {
    dir: TempDir,
}

impl TeamRepository {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repository = git2::Repository::init(dir.path()).unwrap();
        let this = TeamRepository { dir };
        this.commit(&repository, "v1 readme\n");
        let head = repository.head().unwrap().peel_to_commit().unwrap();
        repository
            .tag_lightweight("v1", head.as_object(), false)
            .unwrap();
        this
    }

    fn commit(&self, repository: &git2::Repository, readme: &str) {
        let folder = self.dir.path().join("go");
        fs::create_dir_all(&folder).unwrap();
        fs::write(folder.join("README.md.tera"), readme).unwrap();
        support::commit_all(repository, "templates");
    }

    fn update(&self, readme: &str) {
        let repository = git2::Repository::open(self.dir.path()).unwrap();
        self.commit(&repository, readme);
    }

    fn url(&self, selector: &str) -> String {
        format!("file://{}{selector}", self.dir.path().display())
    }
}

fn new_from_git(url: &str, cache: &Path, extra: &[&str]) -> (TempDir, assert_cmd::assert::Assert) {
    let out = tempfile::tempdir().unwrap();
    let assert = scaffold()
        .args(["new", "demo", "--dir"])
        .arg(out.path().join("demo"))
        .args(["--yes", "--no-git", "--no-verify", "--templates", url])
        .args(extra)
        .env("XDG_CACHE_HOME", cache)
        .assert();
    (out, assert)
}

#[test]
fn git_sources_are_cloned_cached_reused_and_refreshed() {
    let team = TeamRepository::new();
    let cache = tempfile::tempdir().unwrap();
    let url = team.url("#:go");

    let (out, assert) = new_from_git(&url, cache.path(), &[]);
    assert.success();
    assert_eq!(read(&out, "README.md"), "v1 readme\n");
    let record = read(&out, ".scaffold/answers.toml");
    assert!(record.contains("templates_commit"), "{record}");

    team.update("v2 readme\n");
    let (cached, assert) = new_from_git(&url, cache.path(), &[]);
    assert.success();
    assert_eq!(
        read(&cached, "README.md"),
        "v1 readme\n",
        "the cache is reused"
    );

    let (refreshed, assert) = new_from_git(&url, cache.path(), &["--refresh"]);
    assert.success();
    assert_eq!(read(&refreshed, "README.md"), "v2 readme\n");

    let (tagged, assert) = new_from_git(&team.url("#v1:go"), cache.path(), &[]);
    assert.success();
    assert_eq!(
        read(&tagged, "README.md"),
        "v1 readme\n",
        "a tag pins the old version"
    );
}

#[test]
fn an_unreachable_git_source_falls_back_to_the_cache_with_a_warning() {
    let team = TeamRepository::new();
    let cache = tempfile::tempdir().unwrap();
    let url = team.url("#:go");
    new_from_git(&url, cache.path(), &[]).1.success();
    let gone: PathBuf = team.dir.path().to_path_buf();
    drop(team);
    assert!(!gone.exists());
    let (out, assert) = new_from_git(&url, cache.path(), &["--refresh"]);
    assert
        .success()
        .stderr(predicate::str::contains("warning:"))
        .stderr(predicate::str::contains("cached copy"));
    assert_eq!(read(&out, "README.md"), "v1 readme\n");
}

#[test]
fn an_unreachable_git_source_without_a_cache_fails_clearly() {
    let cache = tempfile::tempdir().unwrap();
    let (out, assert) = new_from_git(
        "file:///nonexistent/scaffold/templates.git",
        cache.path(),
        &[],
    );
    assert
        .code(1)
        .stderr(predicate::str::contains(
            "file:///nonexistent/scaffold/templates.git",
        ))
        .stderr(predicate::str::contains("no cached copy"));
    assert!(nothing_written(&out));
}

#[test]
fn an_unknown_ref_or_subfolder_is_named() {
    let team = TeamRepository::new();
    let cache = tempfile::tempdir().unwrap();
    let (_, assert) = new_from_git(&team.url("#v9:go"), cache.path(), &[]);
    assert.code(1).stderr(predicate::str::contains("`v9`"));
    let (_, assert) = new_from_git(&team.url("#v1:java"), cache.path(), &[]);
    assert.code(1).stderr(predicate::str::contains("`java`"));
}
