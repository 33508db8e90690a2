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
}
