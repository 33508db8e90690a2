//! `scaffold doctor --host`: checks the machine, not the project. The seven pitfalls
//! live in a project; the next most common failures of Go + Docker on Windows live on
//! the machine: the engine and its BuildKit and compose, WSL's placement and limits,
//! credential helpers, proxies that never reach a build, a VM clock behind after sleep,
//! ports Windows has reserved, and git's `core.autocrlf`.
//!
//! Each check is a file with its facts, `gather` (commands through the engine's
//! `Runner`, files, the environment) and `check`, a pure function from those facts to
//! a `Report`, so every check is unit-tested on recorded outputs. A check whose inputs
//! are not on this machine says "not applicable" and why. Nothing here prints.

pub mod clock;
pub mod credentials;
pub mod engine;
pub mod finding;
pub mod git;
pub mod output;
pub mod ports;
pub mod proxy;
pub mod wsl;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use finding::{HostFinding, HostRule, Report, State};

use crate::doctor::Severity;
use crate::engine::Runner;
use crate::error::Error;

/// Every host rule, in check order (for `--explain` and the documentation).
pub static ALL: &[&HostRule] = &[
    &engine::NOT_INSTALLED,
    &engine::UNREACHABLE,
    &engine::NO_BUILDKIT,
    &engine::NO_COMPOSE,
    &engine::OLD_COMPOSE,
    &engine::LOW_MEMORY,
    &wsl::ON_WINDOWS_DRIVE,
    &wsl::SMALL_VM,
    &wsl::MORE_THAN_MACHINE,
    &wsl::WINDOWS_PATH,
    &credentials::HELPER_MISSING,
    &proxy::PROXY_NOT_PASSED,
    &proxy::GO_SETTING_NOT_IN_BUILD,
    &proxy::GO_SETTING_NEEDS_BUILD_ARG,
    &clock::DRIFT,
    &ports::EXCLUDED,
    &git::AUTOCRLF,
];

/// A host rule by id (`SH601`, any case) or name (`port-in-excluded-range`).
pub fn find(key: &str) -> Option<&'static HostRule> {
    ALL.iter()
        .copied()
        .find(|rule| rule.id.eq_ignore_ascii_case(key) || rule.name == key)
}

/// Everything the checks look at, gathered once.
#[derive(Debug, Clone)]
pub struct Facts {
    pub dir: PathBuf,
    pub engine: engine::Facts,
    pub wsl: wsl::Facts,
    pub credentials: credentials::Facts,
    pub proxy: proxy::Facts,
    pub clock: clock::Facts,
    pub ports: ports::Facts,
    pub git: git::Facts,
}

/// Reads this machine for the project in `dir`. Only Ctrl-C stops it: whatever a
/// check cannot read becomes part of its report.
pub fn gather(dir: &Path, runner: Arc<dyn Runner>) -> Result<Facts, Error> {
    let (engine, running) = engine::gather(dir, Arc::clone(&runner))?;
    let clock = clock::gather(running.as_ref())?;
    let wsl = wsl::gather(dir, &runner);
    let ports = ports::gather(dir, &runner, wsl.distro.is_some());
    Ok(Facts {
        dir: wsl.dir.clone(),
        engine,
        credentials: credentials::gather(&runner),
        proxy: proxy::gather(dir, &runner),
        clock,
        ports,
        git: git::gather(dir),
        wsl,
    })
}

/// Every check's report, in a fixed order.
pub fn check(facts: &Facts) -> Vec<Report> {
    vec![
        engine::check(&facts.engine),
        wsl::check(&facts.wsl),
        credentials::check(&facts.credentials),
        proxy::check(&facts.proxy),
        clock::check(&facts.clock),
        ports::check(&facts.ports),
        git::check(&facts.git),
    ]
}

/// Whether any finding is at or above the threshold (`--fail-on`).
pub fn fails(reports: &[Report], threshold: Severity) -> bool {
    reports
        .iter()
        .flat_map(|report| &report.findings)
        .any(|finding| finding.severity >= threshold)
}

/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`: the file docker reads
/// for credential helpers, proxies and the current context.
pub fn docker_config_path() -> PathBuf {
    std::env::var_os("DOCKER_CONFIG")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".docker")))
        .unwrap_or_else(|| PathBuf::from(".docker"))
        .join("config.json")
}

/// A small regular file's text; nothing for a FIFO, a device or anything over 1 MiB.
fn read_small(path: &Path) -> Option<String> {
    crate::verify::project::read_regular_text(path, 1024 * 1024)
        .ok()
        .flatten()
}

/// The project's compose file, by the names compose looks for.
fn compose_file(dir: &Path) -> Option<String> {
    [
        "compose.yaml",
        "compose.yml",
        "docker-compose.yml",
        "docker-compose.yaml",
    ]
    .iter()
    .find_map(|name| read_small(&dir.join(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_name_their_check() {
        let mut ids: Vec<&str> = ALL.iter().map(|rule| rule.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        for rule in ALL {
            assert!(
                rule.id.starts_with("SH") && rule.id.len() == 5,
                "{}",
                rule.id
            );
        }
        assert_eq!(
            find("sh601").map(|r| r.name),
            Some("port-in-excluded-range")
        );
        assert_eq!(find("engine-clock-drift").map(|r| r.id), Some("SH501"));
        assert!(find("SD302").is_none());
    }

    #[test]
    fn the_readme_lists_every_host_rule() {
        let readme = include_str!("../../README.md");
        for rule in ALL {
            let row = format!("| {} | `{}` |", rule.id, rule.name);
            assert!(readme.contains(&row), "README.md has no row {row}");
        }
    }

    /// A Windows laptop in WSL with Docker Desktop, behind a company proxy, as recorded
    /// from its commands and files: every check has something to say.
    fn recorded_wsl_laptop() -> Facts {
        use crate::engine::EngineKind;
        use crate::host::HostResources;
        use crate::verify::preflight::{Builder, Version, Versions};
        let dir = PathBuf::from("/mnt/c/Users/me/src/orders");
        Facts {
            dir: dir.clone(),
            engine: engine::Facts::Running(engine::Running {
                kind: EngineKind::Docker,
                versions: Versions {
                    client: Some(Version(28, 1)),
                    client_text: "28.1.1".into(),
                    server: Some(Version(28, 1)),
                    server_os: Some("linux".into()),
                },
                builder: Ok(Builder::BuildKit),
                resources: engine::resources(r#"{"NCPU":8,"MemTotal":8233017344,"OperatingSystem":"Docker Desktop"}"#),
                compose: Some(("docker compose".into(), "Docker Compose version v2.35.1-desktop.1\n".into())),
                project_needs_buildkit: true,
                project_uses_watch: false,
            }),
            wsl: wsl::Facts {
                distro: Some("Ubuntu-22.04".into()),
                windows: false,
                dir,
                wslconfig: Ok((PathBuf::from("/mnt/c/Users/me/.wslconfig"), Some("[wsl2]\r\nmemory=1GB\r\nprocessors=2\r\n".into()))),
                wsl_conf: Some("[boot]\nsystemd=true\n".into()),
                path: vec!["/usr/bin".into(), "/mnt/c/Windows/system32".into(), "/mnt/c/Users/me/AppData/Local/Programs/Microsoft VS Code/bin".into()],
                resources: HostResources { memory_gib: 16, cores: 8 },
            },
            credentials: credentials::Facts {
                config: PathBuf::from("/home/me/.docker/config.json"),
                text: Some(r#"{"auths":{"https://index.docker.io/v1/":{}},"credsStore":"desktop.exe"}"#.into()),
                on_path: Default::default(),
            },
            proxy: proxy::Facts {
                proxy_env: vec![
                    ("HTTPS_PROXY".into(), "http://proxy.corp.example:3128".into()),
                    ("NO_PROXY".into(), "localhost,127.0.0.1,.corp.example".into()),
                ],
                docker_config: PathBuf::from("/home/me/.docker/config.json"),
                docker_config_text: Some(r#"{"credsStore":"desktop.exe"}"#.into()),
                go: vec![("GOPROXY".into(), "https://goproxy.corp.example,direct".into()), ("GOPRIVATE".into(), "git.corp.example/*".into()), ("GOSUMDB".into(), "sum.golang.org".into())],
                go_source: "go env",
                dockerfile: Some(("Dockerfile".into(), "FROM golang:1.22 AS build\nARG GOPROXY=https://proxy.golang.org,direct\nARG GOPRIVATE=\nRUN go mod download\n".into())),
            },
            clock: clock::Facts::Ran { image: "alpine:3.20".into(), before: 1_764_640_000, after: 1_764_640_001, engine: Ok(1_764_639_880) },
            ports: ports::Facts {
                published: ports::compose_ports("services:\n  app:\n    ports:\n      - \"${HOST_PORT:-8080}:8080\"\n"),
                netsh: Ok("\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n----------    --------\r\n      7999        8098\r\n     50000       50059     *\r\n".into()),
            },
            git: git::Facts {
                autocrlf: Some(("true".into(), "global".into())),
                in_repository: true,
                gitattributes: None,
                shell_script: Some("scripts/entrypoint.sh".into()),
            },
        }
    }

    #[test]
    fn the_text_report_of_a_recorded_wsl_laptop() {
        let reports = check(&recorded_wsl_laptop());
        assert!(fails(&reports, Severity::Error));
        let text = output::text(
            "/mnt/c/Users/me/src/orders",
            &reports,
            Severity::Warning,
            false,
        );
        insta::with_settings!({
            snapshot_path => "../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!("doctor_host__text", text);
        });
        let json: serde_json::Value =
            serde_json::from_str(&output::json("/mnt/c/Users/me/src/orders", &reports)).unwrap();
        let rules: Vec<&str> = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(
            rules,
            [
                "SH301", "SH601", "SH201", "SH202", "SH401", "SH501", "SH701", "SH204", "SH403",
                "SH403"
            ]
        );
    }
}
