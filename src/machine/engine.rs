//! The container engine: which one, its client and server versions, whether its
//! daemon answers, whether it can build with BuildKit, how much CPU and memory it
//! gives containers, and which compose it has. Whether BuildKit is there is decided by
//! verify's preflight (`verify::preflight::check`), never a second time here.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use regex::Regex;
use serde_json::Value;

use super::finding::{HostFinding, HostRule, Report};
use crate::doctor::Severity;
use crate::engine::{Engine, EngineKind, Runner};
use crate::error::Error;
use crate::verify::preflight::{self, Builder, Version, Versions};

pub const CHECK: &str = "engine";

pub static NOT_INSTALLED: HostRule = HostRule {
    id: "SH101",
    name: "engine-not-installed",
    severity: Severity::Error,
    summary: "No container engine (docker or podman) is on PATH.",
    why: "Nothing can build or run the project's image: `docker build`, `scaffold verify` and compose all need an engine's client on PATH.",
    fix: "Install Docker Desktop (Windows, macOS), Docker Engine or Podman (Linux); inside WSL turn on Docker Desktop's WSL integration for this distro.",
};

pub static UNREACHABLE: HostRule = HostRule {
    id: "SH102",
    name: "engine-unreachable",
    severity: Severity::Error,
    summary: "The engine's client is installed but its daemon does not answer.",
    why: "Every build and run goes through the daemon; a stopped Docker Desktop, WSL integration that is off or a socket this user may not use fails each command.",
    fix: "Start the daemon (Docker Desktop, `sudo systemctl start docker`, `podman machine start`) and check DOCKER_HOST and `docker context ls`.",
};

pub static NO_BUILDKIT: HostRule = HostRule {
    id: "SH103",
    name: "buildkit-missing",
    severity: Severity::Warning,
    summary: "The engine cannot build with BuildKit.",
    why: "`RUN --mount=type=cache` (fast rebuilds, the Dockerfiles scaffold makes), `COPY --chmod` and `--platform=$BUILDPLATFORM` need BuildKit; the classic builder rejects them.",
    fix: "Install the buildx plugin (docker 23+), or use a docker client with BuildKit built in (18.09-22.x) with DOCKER_BUILDKIT=1.",
};

pub static NO_COMPOSE: HostRule = HostRule {
    id: "SH104",
    name: "compose-missing",
    severity: Severity::Info,
    summary: "Neither the compose plugin nor a standalone compose is installed.",
    why: "`docker compose up` and `scaffold verify --compose` start the project's services from its compose file; without compose only single containers run.",
    fix: "Install the compose plugin (`docker-compose-plugin` from Docker's repository; Docker Desktop ships it) or `podman-compose`.",
};

pub static OLD_COMPOSE: HostRule = HostRule {
    id: "SH105",
    name: "compose-too-old",
    severity: Severity::Info,
    summary: "Compose is v1 (end of life since July 2023) or a v2 older than 2.22.",
    why: "Compose v1 gets no fixes and ignores newer compose file features; `develop.watch` (rebuild or sync on save) needs compose 2.22 or newer.",
    fix: "Install compose v2.22 or newer (`docker-compose-plugin`, Docker Desktop) and use `docker compose`.",
};

pub static LOW_MEMORY: HostRule = HostRule {
    id: "SH106",
    name: "engine-low-memory",
    severity: Severity::Warning,
    summary: "The engine gives containers less than 2 GiB of memory.",
    why: "`go build` of a service with dependencies needs 1-2 GiB; with less the builder is killed (`signal: killed`, exit 137) without a compiler error.",
    fix: "Give the engine more memory: `.wslconfig` `memory=` (Docker Desktop on WSL2), Docker Desktop → Settings → Resources, or `podman machine set --memory`.",
};

/// What the engine said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    /// None on PATH; preflight's message for this platform.
    Missing(String),
    /// Installed, the daemon does not answer; preflight's message.
    Unreachable {
        kind: EngineKind,
        message: String,
    },
    Running(Running),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub kind: EngineKind,
    pub versions: Versions,
    /// The builder preflight would use for a Dockerfile that needs BuildKit, or
    /// preflight's reason why there is none.
    pub builder: Result<Builder, String>,
    /// `docker info`'s CPUs and memory (bytes), when it says.
    pub resources: Option<(u64, u64)>,
    /// The compose command and what its `version` printed; `None` when there is none.
    pub compose: Option<(String, String)>,
    /// The project's Dockerfile needs BuildKit (`RUN --mount`…).
    pub project_needs_buildkit: bool,
    /// The project's compose file uses `develop:` (compose watch).
    pub project_uses_watch: bool,
}

/// Asks the engine, through verify's preflight; the engine is returned for the
/// checks that run a container. Only Ctrl-C is an error.
pub fn gather(dir: &Path, runner: Arc<dyn Runner>) -> Result<(Facts, Option<Engine>), Error> {
    let host = preflight::Host::detect();
    let preflight =
        |needs_buildkit| preflight::check(None, Arc::clone(&runner), &host, dir, needs_buildkit);
    let (ready, builder) = match preflight(true) {
        Ok(ready) => {
            let builder = ready.builder;
            (ready, Ok(builder))
        }
        Err(Error::BuildKitMissing(why)) => (preflight(false)?, Err(why)),
        Err(Error::EngineNotInstalled(message)) => return Ok((Facts::Missing(message), None)),
        Err(Error::Interrupted) => return Err(Error::Interrupted),
        Err(other) => {
            let kind = Engine::locate(None, runner)
                .map(|engine| engine.kind)
                .unwrap_or(EngineKind::Docker);
            let message = other.to_string();
            return Ok((Facts::Unreachable { kind, message }, None));
        }
    };
    let engine = ready.engine;
    let info = engine
        .output(&["info", "--format", "{{json .}}"])
        .ok()
        .filter(|answer| answer.success);
    let compose = crate::verify::compose::find_tool(&engine)
        .ok()
        .and_then(|tool| {
            let answer = tool.output(&["version"]).ok()?;
            Some((tool.display_name(), answer.stdout))
        });
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).unwrap_or_default();
    let facts = Facts::Running(Running {
        kind: engine.kind,
        versions: ready.versions,
        builder,
        resources: info.and_then(|answer| resources(&answer.stdout)),
        compose,
        project_needs_buildkit: crate::verify::project::needs_buildkit(&dockerfile),
        project_uses_watch: super::compose_file(dir).is_some_and(|text| uses_watch(&text)),
    });
    Ok((facts, Some(engine)))
}

/// CPUs and memory from `docker info` (`NCPU`, `MemTotal`) or `podman info`
/// (`host.cpus`, `host.memTotal`).
pub fn resources(info_json: &str) -> Option<(u64, u64)> {
    let info: Value = serde_json::from_str(info_json.trim()).ok()?;
    let (cpus, memory) = match info.get("host") {
        Some(podman) => (podman.get("cpus"), podman.get("memTotal")),
        None => (info.get("NCPU"), info.get("MemTotal")),
    };
    Some((cpus?.as_u64()?, memory?.as_u64()?))
}

/// Whether a compose file has a `develop:` section (compose watch).
pub fn uses_watch(compose: &str) -> bool {
    static DEVELOP: OnceLock<Regex> = OnceLock::new();
    DEVELOP
        .get_or_init(|| Regex::new(r"(?m)^\s+develop:\s*(#.*)?$").unwrap())
        .is_match(compose)
}

/// The version compose printed: `docker-compose version 1.29.2, build …`,
/// `Docker Compose version v2.24.5-desktop.1`, `podman-compose version 1.0.6`.
pub fn compose_version(printed: &str) -> Option<(Version, String)> {
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    let number = NUMBER.get_or_init(|| Regex::new(r"\bv?(\d+\.\d+(?:\.\d+)?)").unwrap());
    let first = printed.lines().find(|line| !line.trim().is_empty())?;
    let text = number.captures(first)?[1].to_string();
    Some((Version::parse(&text)?, text))
}

pub fn check(facts: &Facts) -> Report {
    let running = match facts {
        Facts::Missing(message) => {
            let finding = HostFinding::new(&NOT_INSTALLED, message.clone());
            return Report::checked(CHECK, "no engine on PATH", vec![finding]);
        }
        Facts::Unreachable { kind, message } => {
            let finding = HostFinding::new(&UNREACHABLE, message.clone());
            return Report::checked(
                CHECK,
                format!("{kind} installed, daemon not reachable"),
                vec![finding],
            );
        }
        Facts::Running(running) => running,
    };
    let mut findings = Vec::new();
    let mut seen = vec![versions_text(running)];
    match &running.builder {
        Ok(builder) => seen.push(builder_text(running, *builder)),
        Err(why) => {
            seen.push("no BuildKit".to_string());
            let finding = HostFinding::new(&NO_BUILDKIT, why.clone());
            findings.push(if running.project_needs_buildkit {
                finding.severity(Severity::Error)
            } else {
                finding
            });
        }
    }
    if let Some((cpus, memory)) = running.resources {
        seen.push(format!("{cpus} CPUs and {} for containers", gib(memory)));
        if memory < 2 * GIB {
            findings.push(HostFinding::new(
                &LOW_MEMORY,
                format!(
                    "the {} engine has {} of memory for containers and builds",
                    running.kind,
                    gib(memory)
                ),
            ));
        }
    }
    seen.push(compose_check(running, &mut findings));
    Report::checked(CHECK, seen.join("; "), findings)
}

const GIB: u64 = 1024 * 1024 * 1024;

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB as f64)
}

fn versions_text(running: &Running) -> String {
    let versions = &running.versions;
    let server = match (versions.server, &versions.server_os) {
        (Some(Version(major, minor)), Some(os)) => format!(", server {major}.{minor} ({os})"),
        (Some(Version(major, minor)), None) => format!(", server {major}.{minor}"),
        _ => String::new(),
    };
    format!(
        "{} {}{server}, reachable",
        running.kind, versions.client_text
    )
}

fn builder_text(running: &Running, builder: Builder) -> String {
    match builder {
        Builder::Buildah => "builds with buildah (RUN --mount from podman 4)".to_string(),
        Builder::Classic => "classic builder".to_string(),
        Builder::BuildKit if running.versions.client.is_some_and(|v| v >= Version(23, 0)) => {
            "BuildKit through the buildx plugin".to_string()
        }
        Builder::BuildKit => "BuildKit built into the client (DOCKER_BUILDKIT=1)".to_string(),
    }
}

/// What compose this engine has, adding a finding when there is none or it is old.
fn compose_check(running: &Running, findings: &mut Vec<HostFinding>) -> String {
    let Some((command, printed)) = &running.compose else {
        findings.push(HostFinding::new(
            &NO_COMPOSE,
            format!(
                "neither `{} compose` nor a standalone compose is installed",
                running.kind
            ),
        ));
        return "no compose".to_string();
    };
    let Some((version, text)) = compose_version(printed) else {
        return format!("compose: `{command}` (version not readable)");
    };
    let docker_v1 = running.kind == EngineKind::Docker && version < Version(2, 0);
    let watch_ready = version >= Version(2, 22);
    let seen = format!(
        "compose: `{command}` {text}{}",
        if docker_v1 { " (v1)" } else { "" }
    );
    if running.kind == EngineKind::Podman && !running.project_uses_watch {
        return seen;
    }
    if docker_v1 || !watch_ready {
        let mut message = format!("`{command}` is version {text}");
        if docker_v1 {
            message.push_str(", compose v1, which has had no fixes since July 2023");
        }
        let mut finding = HostFinding::new(&OLD_COMPOSE, message.clone());
        if running.project_uses_watch {
            finding = HostFinding::new(
                &OLD_COMPOSE,
                format!("{message}; the project's compose file has a `develop:` section, which needs compose 2.22 or newer (`docker compose watch`)"),
            )
            .severity(Severity::Warning);
        }
        findings.push(finding);
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docker version --format '{{json .}}'` of Debian's docker.io 20.10 (shortened).
    pub const DOCKER_20_VERSION: &str = r#"{"Client":{"Platform":{"Name":""},"Version":"20.10.24+dfsg1","ApiVersion":"1.41","Os":"linux","Arch":"amd64","Context":"default"},"Server":{"Platform":{"Name":""},"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0-18-amd64"}}"#;

    /// `docker info --format '{{json .}}'` of Docker Desktop on WSL2 (shortened).
    const DESKTOP_INFO: &str = r#"{"ID":"b3b1","Containers":3,"Driver":"overlay2","NCPU":8,"MemTotal":8233017344,"OperatingSystem":"Docker Desktop","OSType":"linux","KernelVersion":"5.15.153.1-microsoft-standard-WSL2"}"#;

    pub fn running() -> Running {
        Running {
            kind: EngineKind::Docker,
            versions: Versions {
                client: Some(Version(20, 10)),
                client_text: "20.10.24+dfsg1".into(),
                server: Some(Version(20, 10)),
                server_os: Some("linux".into()),
            },
            builder: Ok(Builder::BuildKit),
            resources: resources(DESKTOP_INFO),
            compose: Some((
                "docker compose".into(),
                "Docker Compose version v2.27.1-desktop.1\n".into(),
            )),
            project_needs_buildkit: true,
            project_uses_watch: false,
        }
    }

    fn ids(report: &Report) -> Vec<(&str, Severity)> {
        report
            .findings
            .iter()
            .map(|f| (f.rule.id, f.severity))
            .collect()
    }

    #[test]
    fn a_healthy_engine_says_what_it_is_and_finds_nothing() {
        let report = check(&Facts::Running(running()));
        assert!(report.findings.is_empty(), "{report:?}");
        let super::super::finding::State::Checked(seen) = &report.state else {
            panic!("{report:?}")
        };
        assert!(
            seen.starts_with("docker 20.10.24+dfsg1, server 20.10 (linux), reachable"),
            "{seen}"
        );
        assert!(seen.contains("BuildKit built into the client"), "{seen}");
        assert!(seen.contains("8 CPUs and 7.7 GiB"), "{seen}");
        assert!(seen.contains("`docker compose` 2.27.1"), "{seen}");
    }

    #[test]
    fn missing_and_unreachable_engines_are_errors() {
        let report = check(&Facts::Missing("no container engine found".into()));
        assert_eq!(ids(&report), [("SH101", Severity::Error)]);
        let report = check(&Facts::Unreachable {
            kind: EngineKind::Docker,
            message: "Docker Desktop is not running".into(),
        });
        assert_eq!(ids(&report), [("SH102", Severity::Error)]);
    }

    #[test]
    fn no_buildkit_is_an_error_only_for_a_dockerfile_that_needs_it() {
        let mut facts = running();
        facts.builder =
            Err("docker 28.2.2 builds with BuildKit only through the buildx plugin".into());
        assert_eq!(
            ids(&check(&Facts::Running(facts.clone()))),
            [("SH103", Severity::Error)]
        );
        facts.project_needs_buildkit = false;
        assert_eq!(
            ids(&check(&Facts::Running(facts))),
            [("SH103", Severity::Warning)]
        );
    }

    #[test]
    fn a_small_engine_vm_is_warned_about() {
        let mut facts = running();
        facts.resources = resources(r#"{"NCPU":2,"MemTotal":1073741824}"#);
        assert_eq!(
            ids(&check(&Facts::Running(facts))),
            [("SH106", Severity::Warning)]
        );
    }

    #[test]
    fn compose_v1_is_info_unless_the_project_watches() {
        let mut facts = running();
        facts.compose = Some((
            "docker-compose".into(),
            "docker-compose version 1.29.2, build unknown\n".into(),
        ));
        let report = check(&Facts::Running(facts.clone()));
        assert_eq!(ids(&report), [("SH105", Severity::Info)]);
        assert!(report.findings[0].message.contains("1.29.2"), "{report:?}");
        facts.project_uses_watch = true;
        assert_eq!(
            ids(&check(&Facts::Running(facts.clone()))),
            [("SH105", Severity::Warning)]
        );
        facts.compose = Some((
            "docker compose".into(),
            "Docker Compose version v2.20.2\n".into(),
        ));
        assert_eq!(
            ids(&check(&Facts::Running(facts))),
            [("SH105", Severity::Warning)]
        );
    }

    #[test]
    fn no_compose_at_all() {
        let mut facts = running();
        facts.compose = None;
        assert_eq!(
            ids(&check(&Facts::Running(facts))),
            [("SH104", Severity::Info)]
        );
    }

    #[test]
    fn compose_versions_and_watch_are_read() {
        assert_eq!(
            compose_version(
                "docker-compose version 1.29.2, build unknown\ndocker-py version: 5.0.3"
            )
            .map(|v| v.0),
            Some(Version(1, 29))
        );
        assert_eq!(
            compose_version("Docker Compose version v2.24.5-desktop.1").map(|v| v.1),
            Some("2.24.5".into())
        );
        assert_eq!(
            compose_version("podman-compose version 1.0.6\npodman version 4.3.1").map(|v| v.0),
            Some(Version(1, 0))
        );
        assert!(uses_watch(
            "services:\n  app:\n    develop:\n      watch:\n        - action: rebuild\n"
        ));
        assert!(!uses_watch(
            "services:\n  app:\n    # develop: later\n    image: x\n"
        ));
    }

    #[test]
    fn the_engines_resources_come_from_docker_info() {
        assert_eq!(resources(DESKTOP_INFO), Some((8, 8233017344)));
        let podman = r#"{"host":{"arch":"amd64","cpus":4,"memTotal":4113567744},"store":{}}"#;
        assert_eq!(resources(podman), Some((4, 4113567744)));
        assert_eq!(resources("not json"), None);
    }

    #[test]
    fn gathering_reuses_preflight_on_a_faked_engine() {
        use crate::engine::runner::fake::FakeRunner;
        let runner = FakeRunner::with_programs(&["docker"])
            .answer(
                "docker version --format {{json .}}",
                true,
                DOCKER_20_VERSION,
                "",
            )
            .answer("docker info --format {{json .}}", true, DESKTOP_INFO, "");
        let dir = tempfile::tempdir().unwrap();
        let (facts, engine) = gather(dir.path(), Arc::new(runner)).unwrap();
        let Facts::Running(running) = facts else {
            panic!("{facts:?}")
        };
        assert!(engine.is_some());
        assert_eq!(running.builder, Ok(Builder::BuildKit));
        assert_eq!(running.resources, Some((8, 8233017344)));
        assert_eq!(running.compose, None);
    }
}
