//! Every generated file of every variant as an insta snapshot in the top-level
//! `snapshots/` folder, so a template change shows up as a reviewable diff.
//!
//! Review changes with `cargo insta review` (or accept them all with
//! `INSTA_UPDATE=always cargo test --test snapshots`). In CI (`CI=true`) a missing or
//! changed snapshot fails the test.

mod support;

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Generates `demo` with `flags` and checks the file list and every file against the
/// snapshots named `VARIANT__files` and `VARIANT__PATH` (`/` in PATH becomes `__`).
/// Every mismatch is reported before the test fails, not only the first.
fn assert_variant_snapshots(variant: &str, flags: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let project = out.path().join("demo");
    support::new_project(&project, "demo", flags);
    let files: Vec<String> = support::read_tree(&project).into_keys().collect();
    assert!(!files.is_empty(), "{variant}: no files generated");

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (pattern, replacement) in host_filters() {
        settings.add_filter(&pattern, replacement);
    }
    settings.bind(|| {
        let mut failed = Vec::new();
        let listing = files.join("\n") + "\n";
        check(&format!("{variant}__files"), &listing, &mut failed);
        for path in &files {
            let bytes = fs::read(project.join(path)).unwrap();
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|_| panic!("{variant}: {path} is not UTF-8 text"));
            let name = format!("{variant}__{}", path.replace('/', "__"));
            check(&name, &text, &mut failed);
        }
        assert!(
            failed.is_empty(),
            "{variant}: {} snapshot(s) differ (see the diffs above): {failed:?}\n\
             Review with `cargo insta review` or accept with `INSTA_UPDATE=always`",
            failed.len()
        );
    });
}

/// One snapshot assertion; a mismatch is recorded instead of ending the test.
fn check(name: &str, contents: &str, failed: &mut Vec<String>) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        insta::assert_snapshot!(name.to_string(), contents);
    }));
    if result.is_err() {
        failed.push(name.to_string());
    }
}

/// Values that depend on the machine or the scaffold release, hidden so the snapshots
/// are the same everywhere: the `.wslconfig` suggestion (also quoted in the README)
/// follows this host's memory and cores. `filters_hide_every_host_value` proves these
/// cover every place the templates use them.
fn host_filters() -> Vec<(String, String)> {
    let version = regex::escape(env!("CARGO_PKG_VERSION"));
    [
        (r"(memory\s*=\s*)\d+", "${1}[MEMORY]"),
        (r"(processors\s*=\s*)\d+", "${1}[PROCESSORS]"),
        (r"(swap\s*=\s*)\d+", "${1}[SWAP]"),
        (r"\(\d+(\s*GB)", "([MEMORY]${1}"),
        (r"\b\d+(\s+processors)\b", "[PROCESSORS]${1}"),
        (&format!(r"\b{version}\b"), "[VERSION]"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (pattern.to_string(), replacement.to_string()))
    .collect()
}

#[test]
fn default_project() {
    assert_variant_snapshots("default", &[]);
}

#[test]
fn alpine_runtime() {
    assert_variant_snapshots("alpine", &["--runtime", "alpine"]);
}

#[test]
fn scratch_runtime() {
    assert_variant_snapshots("scratch", &["--runtime", "scratch"]);
}

#[test]
fn without_redis() {
    assert_variant_snapshots("no-redis", &["--no-redis"]);
}

#[test]
fn kubernetes_and_github_actions() {
    assert_variant_snapshots("k8s-github", &["--k8s", "--ci", "github"]);
}

#[test]
fn kubernetes_and_gitlab_ci_without_redis() {
    assert_variant_snapshots(
        "k8s-gitlab-no-redis",
        &["--k8s", "--ci", "gitlab", "--no-redis"],
    );
}

/// Every file rendered for two very different machines is the same once filtered: no
/// host-dependent value escapes the filters, so the snapshots hold on any machine.
#[test]
fn filters_hide_every_host_value() {
    use scaffold::generate::answers::{Defaults, Fill, GivenAnswers};
    use scaffold::host::{HostResources, WslSuggestion};

    let templates = scaffold::generate::templates::loader::load(None, false).unwrap();
    let answers = GivenAnswers {
        name: Some("demo".parse().unwrap()),
        ..Default::default()
    }
    .complete(&mut Fill::Defaults, &Defaults::default())
    .unwrap();
    let filters: Vec<(regex::Regex, String)> = host_filters()
        .into_iter()
        .map(|(pattern, replacement)| (regex::Regex::new(&pattern).unwrap(), replacement))
        .collect();
    let render_on = |memory_gib, cores| {
        let wsl = WslSuggestion::for_host(HostResources { memory_gib, cores });
        let context = scaffold::generate::context::template_context(&answers, wsl);
        let files = scaffold::generate::render::render(&templates.set, &context).unwrap();
        files
            .into_iter()
            .map(|file| {
                let mut text = String::from_utf8(file.contents).unwrap();
                for (regex, replacement) in &filters {
                    text = regex.replace_all(&text, replacement.as_str()).into_owned();
                }
                (file.path, text)
            })
            .collect::<Vec<_>>()
    };
    let laptop = render_on(16, 8);
    let server = render_on(96, 3);
    assert!(!laptop.is_empty());
    for ((path, on_laptop), (_, on_server)) in laptop.iter().zip(&server) {
        let differing: Vec<_> = on_laptop
            .lines()
            .zip(on_server.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert!(
            differing.is_empty() && on_laptop.len() == on_server.len(),
            "{path} depends on the host in a place the snapshot filters miss: {differing:#?}"
        );
    }
    let wslconfig = laptop
        .iter()
        .find(|(path, _)| path == ".wslconfig")
        .map(|(_, text)| text.as_str())
        .unwrap_or_default();
    for hidden in [
        "memory=[MEMORY]GB",
        "processors=[PROCESSORS]",
        "swap=[SWAP]GB",
    ] {
        assert!(wslconfig.contains(hidden), "{hidden} in:\n{wslconfig}");
    }
}
