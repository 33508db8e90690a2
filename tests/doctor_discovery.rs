//! How doctor finds and sees a project (issue 9.1–9.3, 9.12; issue 8 item 16): which
//! files are Dockerfiles and compose files, which context each Dockerfile is built
//! from and what its COPY/ADD send, tracked files that `.gitignore` matches, and files
//! it could not read. Each fixture under `tests/fixtures/doctor/discovery/` stands for
//! a real-world shape; the Project view is checked through the library, the findings
//! through the real binary.

mod support;

use std::fs;
use std::path::Path;

use scaffold::doctor::host::Host;
#[cfg(unix)]
use scaffold::doctor::project::SkipReason;
use scaffold::doctor::project::{ContextOrigin, Project};
use serde_json::Value;
use support::{copy_dir, doctor};
use tempfile::TempDir;

fn fixture(name: &str) -> TempDir {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/doctor/discovery")
        .join(name);
    assert!(source.is_dir(), "missing fixture {}", source.display());
    let temp = tempfile::tempdir().unwrap();
    copy_dir(&source, temp.path());
    temp
}

fn load(dir: &Path) -> Project {
    Project::load(dir, Host::default()).unwrap()
}

fn dockerfiles(project: &Project) -> Vec<&str> {
    project
        .dockerfiles
        .iter()
        .map(|d| d.path.as_str())
        .collect()
}

/// A git repository in `dir` whose index holds every file there (even ignored ones,
/// like `git add -f`).
fn track_everything(dir: &Path) {
    let repository = git2::Repository::init(dir).unwrap();
    let mut index = repository.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::FORCE, None)
        .unwrap();
    index.write().unwrap();
}

/// `scaffold doctor DIR --format json ARGS…`, isolated from the developer's git config.
fn doctor_json(dir: &Path, args: &[&str]) -> Value {
    let output = doctor()
        .arg(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `rule file` of every finding.
fn findings(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["file"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn messages_of<'a>(json: &'a Value, rule: &str) -> Vec<&'a str> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["message"].as_str().unwrap())
        .collect()
}

// 9.1 File detection.

#[test]
fn files_of_other_languages_named_after_dockerfiles_are_not_dockerfiles() {
    let dir = fixture("editor-grammar-look-alikes");
    let project = load(dir.path());
    assert_eq!(dockerfiles(&project), ["Dockerfile"]);
    let json = doctor_json(dir.path(), &[]);
    let wrong: Vec<String> = findings(&json)
        .into_iter()
        .filter(|f| {
            f.contains("dockerfile.") || f.contains("Dockerfile.") || f.starts_with("SD001")
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[test]
fn every_name_people_give_dockerfiles_is_read() {
    let dir = fixture("dockerfile-name-variants");
    let project = load(dir.path());
    assert_eq!(
        dockerfiles(&project),
        [
            "Containerfile",
            "Dockerfile-worker",
            "Dockerfile.dev",
            "api.Dockerfile",
            "build/ci.containerfile",
            "deploy/Dockerfile_migrate"
        ]
    );
    assert!(project.dockerfiles.iter().all(|d| d.parsed.is_ok()));
}

#[test]
fn files_that_compose_bake_and_make_name_are_dockerfiles_whatever_their_name() {
    let dir = fixture("files-named-by-compose-bake-and-make");
    let project = load(dir.path());
    assert_eq!(
        dockerfiles(&project),
        [
            "cmd/worker/worker.docker",
            "deploy/images/server.build",
            "deploy/images/web.image",
            "services/api/api.build"
        ]
    );
    let contexts: Vec<(String, String, Option<String>, String)> = project
        .build_contexts
        .iter()
        .map(|c| {
            let origin = match &c.origin {
                ContextOrigin::Compose { file, service, .. } => format!("compose {file} {service}"),
                ContextOrigin::Bake { file, target, .. } => format!("bake {file} {target}"),
                ContextOrigin::Command { file, line } => format!("command {file}:{line}"),
                ContextOrigin::Convention => "convention".to_string(),
            };
            (
                c.dockerfile.clone(),
                c.dir.clone(),
                c.target.clone(),
                origin,
            )
        })
        .collect();
    let expected = [
        (
            "cmd/worker/worker.docker",
            "",
            None,
            "bake docker-bake.hcl _go",
        ),
        (
            "cmd/worker/worker.docker",
            "",
            Some("runtime"),
            "bake docker-bake.hcl worker",
        ),
        ("deploy/images/server.build", "", None, "command Makefile:6"),
        (
            "deploy/images/web.image",
            "",
            None,
            "compose deploy/stack.yml web",
        ),
        (
            "services/api/api.build",
            "services/api",
            None,
            "bake docker-bake.hcl api",
        ),
    ];
    let expected: Vec<(String, String, Option<String>, String)> = expected
        .iter()
        .map(|(d, c, t, o)| {
            (
                d.to_string(),
                c.to_string(),
                t.map(str::to_string),
                o.to_string(),
            )
        })
        .collect();
    assert_eq!(contexts, expected);
    // The compose file only the Makefile names is read too.
    assert!(project
        .compose_files
        .iter()
        .any(|c| c.path == "deploy/stack.yml"));
    // The worker target stops at `runtime`: the debug stage's `COPY . /src` is not built.
    let worker = project
        .contexts_of("cmd/worker/worker.docker")
        .find(|c| c.target.as_deref() == Some("runtime"))
        .unwrap();
    assert!(worker.whole_context_copy().is_none(), "{:?}", worker.sends);
    let all_stages = project.context_of("cmd/worker/worker.docker").unwrap();
    assert!(all_stages.whole_context_copy().is_some());
}

// 9.12 Compose discovery.

#[test]
fn compose_files_by_any_common_name_or_named_in_a_readme_are_read() {
    let dir = fixture("compose-file-variants");
    let project = load(dir.path());
    let composes: Vec<&str> = project
        .compose_files
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        composes,
        [
            "compose-prod.yaml",
            "compose.local.yaml",
            "docker-compose-dev.yml",
            "docker-compose.test.yml",
            "ops/local-stack.yml"
        ]
    );
    // Each is judged: every one binds `~/pgdata`, which Windows shells do not expand.
    let json = doctor_json(dir.path(), &[]);
    let judged: std::collections::BTreeSet<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["file"].as_str())
        .filter(|file| file.ends_with(".yml") || file.ends_with(".yaml"))
        .map(str::to_string)
        .collect();
    assert_eq!(judged.len(), 5, "{judged:?}");
}

// 9.3 Build contexts.

#[test]
fn a_service_built_from_its_own_folder_has_no_git_in_its_context() {
    let dir = fixture("monorepo-service-contexts");
    track_everything(dir.path());
    let project = load(dir.path());
    let api = project.context_of("src/api/Dockerfile").unwrap();
    assert_eq!(api.dir, "src/api");
    assert!(!api.has_git, ".git is two levels up, not in the context");
    assert!(matches!(api.origin, ContextOrigin::Compose { .. }));
    assert_eq!(
        api.dockerignore.as_ref().map(|(path, _)| path.as_str()),
        Some("src/api/.dockerignore")
    );
    assert_eq!(
        project.context_of("src/worker/Dockerfile").unwrap().dir,
        "src/worker"
    );
    // `COPY . .` sends the service folder, which holds neither `.git` nor `.env`.
    let json = doctor_json(dir.path(), &[]);
    let layer: Vec<String> = findings(&json)
        .into_iter()
        .filter(|f| f.starts_with("SD402") || f.starts_with("SD403") || f.starts_with("SD404"))
        .collect();
    assert!(layer.is_empty(), "{layer:?}");
}

#[test]
fn a_root_context_with_copy_dot_sends_git_and_env_and_says_so() {
    let dir = fixture("root-context-sends-git-and-env");
    track_everything(dir.path());
    let json = doctor_json(dir.path(), &[]);
    assert_eq!(
        messages_of(&json, "SD402"),
        ["no .dockerignore in the build context (the project folder): `COPY . .` on line 5 sends `.git`, `.env` to the builder"]
    );
    // With a .dockerignore that forgets both, each is named with the COPY that sends it.
    fs::write(dir.path().join(".dockerignore"), "bin/\n").unwrap();
    let json = doctor_json(dir.path(), &[]);
    for (rule, thing) in [("SD403", ".git"), ("SD404", ".env")] {
        let messages = messages_of(&json, rule);
        assert_eq!(messages.len(), 1, "{rule}: {json:#}");
        assert!(
            messages[0].starts_with(&format!("`{thing}` is in the build context (the project folder) and not excluded: `COPY . .` on line 5 of Dockerfile sends it")),
            "{}",
            messages[0]
        );
    }
}

#[test]
fn copies_of_named_paths_send_neither_git_nor_env() {
    let dir = fixture("copies-named-paths-only");
    track_everything(dir.path());
    let project = load(dir.path());
    let context = project.context_of("Dockerfile").unwrap();
    assert!(context.has_git && context.whole_context_copy().is_none());
    assert!(context.sender_of(".env").is_none() && context.sender_of("cmd/app/main.go").is_some());
    let quiet = |json: &Value| {
        findings(json)
            .into_iter()
            .filter(|f| f.starts_with("SD40") && !f.starts_with("SD401"))
            .collect::<Vec<_>>()
    };
    assert!(quiet(&doctor_json(dir.path(), &[])).is_empty());
    fs::remove_file(dir.path().join(".dockerignore")).unwrap();
    assert!(quiet(&doctor_json(dir.path(), &[])).is_empty());
}

#[test]
fn a_dockerfile_nothing_names_is_built_where_what_it_copies_is() {
    let dir = fixture("standard-layout-contexts");
    let project = load(dir.path());
    let package = project.context_of("build/package/Dockerfile").unwrap();
    assert_eq!(
        package.dir, "",
        "go.mod is only at the root: `docker build -f build/package/Dockerfile .`"
    );
    assert_eq!(package.origin, ContextOrigin::Convention);
    assert_eq!(
        project
            .context_of("services/billing/Dockerfile")
            .unwrap()
            .dir,
        "services/billing"
    );
    assert_eq!(project.dockerfiles[0].context, "");
    // `COPY . .` then `go build`, with go.mod only above: built from where go.mod is.
    fs::create_dir_all(dir.path().join("docker")).unwrap();
    fs::write(
        dir.path().join("docker/Dockerfile"),
        "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app ./cmd/app\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("docker/Dockerfile.docs"),
        "FROM nginx:1.27\nCOPY . /usr/share/nginx/html\n",
    )
    .unwrap();
    let project = load(dir.path());
    assert_eq!(project.context_of("docker/Dockerfile").unwrap().dir, "");
    assert_eq!(
        project.context_of("docker/Dockerfile.docs").unwrap().dir,
        "docker"
    );
    // A COPY whose case is wrong (`Cmd/` for `cmd/`) still shows where it is built, so
    // the path-case rule looks in the right folder.
    fs::write(
        dir.path().join("docker/Dockerfile.case"),
        "FROM golang:1.22\nCOPY Cmd/ /src/cmd/\n",
    )
    .unwrap();
    let project = load(dir.path());
    assert_eq!(
        project.context_of("docker/Dockerfile.case").unwrap().dir,
        ""
    );
    // Nothing it copies is anywhere: the nearest go.mod's folder.
    fs::write(
        dir.path().join("services/billing/Dockerfile.tools"),
        "FROM golang:1.22\nCOPY tools/ /tools/\n",
    )
    .unwrap();
    let project = load(dir.path());
    assert_eq!(
        project
            .context_of("services/billing/Dockerfile.tools")
            .unwrap()
            .dir,
        "services/billing"
    );
}

// 9.2 Ignored vs tracked.

/// A repository whose `.gitignore` hides every dotfile (`.*`) but tracks its
/// `.dockerignore` and `.gitattributes` (added with `git add -f`).
fn dotfiles_ignored_but_tracked() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(".gitignore", ".*\n!.gitignore\nbuild-output/\n");
    write(".dockerignore", ".git\n.env\n");
    write(".gitattributes", "* text=auto eol=lf\n");
    write(".ci/build.sh", "#!/bin/sh\r\necho build\r\n");
    write("go.mod", "module example.com/x\n\ngo 1.22\n");
    write("main.go", "package main\n\nfunc main() {}\n");
    write("Dockerfile", "FROM golang:1.22-alpine\nWORKDIR /src\nCOPY go.mod ./\nRUN go mod download\nCOPY . .\nRUN go build .\n");
    track_everything(dir.path());
    write(".env", "TOKEN=dev\n");
    dir
}

#[test]
fn tracked_files_are_seen_even_when_gitignore_matches_them() {
    let dir = dotfiles_ignored_but_tracked();
    let project = load(dir.path());
    assert!(project.has_gitattributes);
    assert!(project.is_tracked(".dockerignore") && project.is_tracked(".ci"));
    assert!(project.paths.contains(".ci/build.sh"));
    assert!(project
        .text_files
        .iter()
        .any(|f| f.path == ".ci/build.sh" && f.crlf_lines == 2));
    assert!(
        !project.gitignore_hides(".dockerignore"),
        "tracked: git keeps it"
    );
    assert!(project.gitignore_hides(".env") && project.gitignore_hides("build-output/x"));
    assert!(!project.gitignore_hides("main.go") && !project.gitignore_hides(".gitignore"));
    let json = doctor_json(dir.path(), &[]);
    let wrong: Vec<String> = findings(&json)
        .into_iter()
        .filter(|f| {
            ["SD402", "SD203", "SD403", "SD404"]
                .iter()
                .any(|r| f.starts_with(r))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    assert!(
        findings(&json).contains(&"SD201 .ci/build.sh".to_string()),
        "{json:#}"
    );
}

#[test]
fn a_fix_that_writes_a_file_gitignore_hides_says_how_to_commit_it() {
    let dir = dotfiles_ignored_but_tracked();
    fs::remove_file(dir.path().join(".gitattributes")).unwrap();
    let mut index = git2::Repository::open(dir.path()).unwrap().index().unwrap();
    index.remove_path(Path::new(".gitattributes")).unwrap();
    index.write().unwrap();
    let output = doctor().arg(dir.path()).arg("--fix").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Fixed .gitattributes: wrote it"),
        "{stderr}"
    );
    assert!(
        stderr.contains(".gitattributes is hidden by .gitignore, so `git add` leaves it out: commit it with `git add -f .gitattributes`"),
        "{stderr}"
    );
    // The written file is seen on the next run (no "fixable forever").
    let json = doctor_json(dir.path(), &[]);
    assert!(
        !findings(&json).iter().any(|f| f.starts_with("SD203")),
        "{json:#}"
    );
}

// Issue 8 item 16: skipped files are reported, special trees are not descended.

#[cfg(unix)]
#[test]
fn skipped_files_are_named_with_the_reason_and_nothing_hangs() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("Dockerfile"), "FROM alpine:3.20\nUSER 1000\n").unwrap();
    // Too large: a generated Dockerfile past 8 MB.
    let mut big = String::from("FROM alpine:3.20\n");
    while big.len() <= 8 * 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    fs::write(root.join("Dockerfile.generated"), &big).unwrap();
    // Binary: NUL bytes in a Go file.
    fs::write(root.join("main.go"), b"package main\x00\x00\x01").unwrap();
    // A FIFO named like a script: opening it would block for ever.
    let fifo = root.join("entrypoint.sh");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    // Links: to a file outside, into /proc, and a loop; none is followed.
    symlink("/etc/hostname", root.join("docker-entrypoint")).unwrap();
    symlink("/proc", root.join("proc")).unwrap();
    symlink(".", root.join("loop")).unwrap();
    // Past PATH_MAX: a folder tree whose full paths are longer than the system can
    // name. Built short, then moved under a deep folder (a rename needs only the new
    // name of its root to fit).
    let part = "d".repeat(200);
    let mut deep = root.to_path_buf();
    while deep.as_os_str().len() + part.len() + 1 < 4000 {
        deep.push(&part);
    }
    fs::create_dir_all(&deep).unwrap();
    let tree = root.join("x").join(&part).join(&part);
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("Dockerfile"), "FROM alpine\n").unwrap();
    fs::rename(root.join("x"), deep.join("x")).unwrap();
    let nested = deep.join("x").as_os_str().len() + 2 * part.len() > 4096;
    let project = load(root);
    let skipped: Vec<(String, String)> = project
        .skipped
        .iter()
        .map(|s| (s.path.clone(), s.reason.to_string()))
        .collect();
    let has = |path: &str, reason: fn(&SkipReason) -> bool| {
        project
            .skipped
            .iter()
            .any(|s| s.path == path && reason(&s.reason))
    };
    assert!(
        has("Dockerfile.generated", |r| matches!(
            r,
            SkipReason::TooLarge { .. }
        )),
        "{skipped:?}"
    );
    assert!(has("main.go", |r| *r == SkipReason::Binary), "{skipped:?}");
    assert!(
        has("entrypoint.sh", |r| *r == SkipReason::SpecialFile),
        "{skipped:?}"
    );
    assert!(
        has("docker-entrypoint", |r| *r == SkipReason::LinkOutside),
        "{skipped:?}"
    );
    assert!(!project
        .paths
        .iter()
        .any(|p| p.starts_with("proc/") || p.starts_with("loop/")));
    assert!(nested, "could not nest folders past PATH_MAX");
    assert!(
        project.skipped.iter().any(|s| s.path.starts_with(&part)
            && matches!(
                s.reason,
                SkipReason::UnreadableFolder(_) | SkipReason::Unreadable(_)
            )),
        "{skipped:?}"
    );
    let json = doctor_json(root, &[]);
    let reported: Vec<&str> = json["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    for path in [
        "Dockerfile.generated",
        "main.go",
        "entrypoint.sh",
        "docker-entrypoint",
    ] {
        assert!(reported.contains(&path), "{path} not in {reported:?}");
    }
    let text = doctor().arg(root).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("skipped {} files (not checked): ", reported.len())),
        "{text}"
    );
    assert!(text.contains("main.go (binary: holds NUL bytes)"), "{text}");
}

#[test]
fn a_clean_project_says_nothing_was_skipped() {
    let dir = fixture("standard-layout-contexts");
    let json = doctor_json(dir.path(), &[]);
    assert_eq!(json["skipped"], Value::Array(Vec::new()));
    let text = doctor().arg(dir.path()).output().unwrap();
    assert!(!String::from_utf8_lossy(&text.stdout).contains("skipped"));
}
