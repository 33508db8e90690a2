//! Everything checked before anything is built, each failure with its own message and
//! exit code: the engine is installed, its daemon answers, BuildKit is there when the
//! Dockerfile needs it; and a warning for a project on the Windows drive inside WSL.
//! The checks read the engine's answers through `Runner`, so they are unit-tested
//! with faked answers for every platform.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::engine::endpoint::Endpoint;
use crate::engine::{Engine, EngineKind, Runner};
use crate::error::Error;

/// The facts about this machine that change the advice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    pub os: Os,
    /// Inside WSL: the distro's name (`WSL_DISTRO_NAME`), or `WSL` when unknown.
    pub wsl_distro: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Os {
    Windows,
    MacOs,
    #[default]
    Linux,
}

impl Host {
    pub fn detect() -> Host {
        let os = if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Linux
        };
        let wsl_distro = if os == Os::Linux {
            crate::host::wsl_distro()
        } else {
            None
        };
        Host { os, wsl_distro }
    }
}

/// How the image is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    /// The classic builder (`Step 1/9 :` lines).
    Classic,
    /// BuildKit, built into the client or through buildx (`#5 [stage 1/6] …` lines).
    BuildKit,
    /// Podman's buildah (`STEP 1/9:` lines).
    Buildah,
}

/// A major.minor version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32);

impl Version {
    /// Reads `20.10.24+dfsg1`, `28.2.2`, `4.9.3-dev`.
    pub fn parse(text: &str) -> Option<Version> {
        let mut numbers = text.trim().trim_start_matches('v').split('.').map(|part| {
            part.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
        });
        let major = numbers.next()?.ok()?;
        let minor = numbers.next().and_then(Result::ok).unwrap_or(0);
        Some(Version(major, minor))
    }
}

/// What `docker version` / `podman version` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Versions {
    pub client: Option<Version>,
    pub client_text: String,
    pub server: Option<Version>,
    pub server_os: Option<String>,
}

/// The engine, checked and ready to build.
#[derive(Debug, Clone)]
pub struct Ready {
    pub engine: Engine,
    pub versions: Versions,
    pub builder: Builder,
    pub endpoint: Endpoint,
    /// Problems that do not stop verify (a project under /mnt/c in WSL).
    pub warnings: Vec<String>,
}

/// Runs every check, in order, for a project in `dir` whose Dockerfile does or does
/// not need BuildKit.
pub fn check(
    choice: Option<EngineKind>,
    runner: Arc<dyn Runner>,
    host: &Host,
    dir: &Path,
    needs_buildkit: bool,
) -> Result<Ready, Error> {
    let engine = Engine::locate(choice, runner)
        .ok_or_else(|| Error::EngineNotInstalled(not_installed(choice, host)))?;
    let versions = daemon_versions(&engine, host)?;
    let builder = builder(&engine, &versions, needs_buildkit)?;
    let engine = match (engine.kind, builder) {
        // BUILDKIT_PROGRESS=plain: one line per event, whatever the user's setting, so
        // the log can be read and its last lines shown.
        (EngineKind::Docker, Builder::BuildKit) => engine
            .with_env("DOCKER_BUILDKIT", "1")
            .with_env("BUILDKIT_PROGRESS", "plain"),
        _ => engine,
    };
    let endpoint = Endpoint::detect(&engine);
    let warnings = wsl_placement(host, dir).into_iter().collect();
    Ok(Ready {
        engine,
        versions,
        builder,
        endpoint,
        warnings,
    })
}

fn not_installed(choice: Option<EngineKind>, host: &Host) -> String {
    let what = match choice {
        Some(kind) => format!("{kind} is not installed (it is not on PATH)"),
        None => "no container engine found: neither docker nor podman is on PATH".to_string(),
    };
    if choice == Some(EngineKind::Podman) {
        return format!(
            "{what}: install Podman (https://podman.io/docs/installation), or leave out --engine to use docker"
        );
    }
    let fix = match (host.os, &host.wsl_distro) {
        (_, Some(distro)) => format!(
            "if Docker Desktop is installed on Windows, its WSL integration is off for `{distro}`: \
             open Docker Desktop → Settings → Resources → WSL integration, turn it on for `{distro}`, \
             Apply & restart, then open a new terminal; otherwise install Docker Engine inside WSL"
        ),
        (Os::Windows, None) => "install Docker Desktop (https://docs.docker.com/desktop/) and start it".to_string(),
        (Os::MacOs, None) => "install Docker Desktop (https://docs.docker.com/desktop/), colima or Podman".to_string(),
        (Os::Linux, None) => {
            "install Docker Engine (https://docs.docker.com/engine/install/, or `sudo apt-get install docker.io`) or Podman".to_string()
        }
    };
    format!("{what}: {fix}")
}

/// Asks the engine for its client and server versions; a failure is a daemon that
/// does not answer, explained for this host.
fn daemon_versions(engine: &Engine, host: &Host) -> Result<Versions, Error> {
    let answer = match engine.output(&["version", "--format", "{{json .}}"]) {
        Err(hung @ Error::EngineNoAnswer { .. }) => {
            return Err(Error::EngineUnreachable(hung.to_string()))
        }
        other => other?,
    };
    let versions = parse_versions(&answer.stdout);
    if answer.success && (versions.server.is_some() || engine.kind == EngineKind::Podman) {
        return Ok(versions);
    }
    Err(Error::EngineUnreachable(unreachable(
        engine.kind,
        host,
        &answer.reason(),
        &answer.stderr,
    )))
}

fn parse_versions(json: &str) -> Versions {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Raw {
        client: Option<Side>,
        server: Option<Side>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Side {
        version: Option<String>,
        os: Option<String>,
        os_arch: Option<String>,
    }
    let raw: Option<Raw> = json
        .lines()
        .find(|line| line.trim_start().starts_with('{'))
        .and_then(|line| serde_json::from_str(line).ok());
    let Some(raw) = raw else {
        return Versions::default();
    };
    let client_text = raw
        .client
        .as_ref()
        .and_then(|c| c.version.clone())
        .unwrap_or_default();
    Versions {
        client: Version::parse(&client_text),
        client_text,
        server: raw
            .server
            .as_ref()
            .and_then(|s| s.version.as_deref())
            .and_then(Version::parse),
        server_os: raw.server.as_ref().and_then(|s| {
            s.os.clone().or_else(|| {
                s.os_arch
                    .as_deref()
                    .and_then(|oa| oa.split('/').next())
                    .map(str::to_string)
            })
        }),
    }
}

/// Why the daemon does not answer, and what to do, from the client's words.
fn unreachable(kind: EngineKind, host: &Host, reason: &str, stderr: &str) -> String {
    let said = format!("({kind} said: {reason})");
    let lower = stderr.to_lowercase();
    if kind == EngineKind::Podman {
        return format!(
            "podman cannot reach its service: start the Podman machine with `podman machine start` \
             (see `podman machine list`), or check CONTAINER_HOST / `podman system connection list` {said}"
        );
    }
    if lower.contains("wsl 2 distro") || lower.contains("wsl integration") {
        let distro = host.wsl_distro.as_deref().unwrap_or("this distro");
        return format!(
            "WSL integration is off: Docker Desktop cannot be used from `{distro}`. Open Docker Desktop → \
             Settings → Resources → WSL integration, turn it on for `{distro}`, Apply & restart, then open \
             a new terminal {said}"
        );
    }
    if lower.contains("permission denied") {
        return format!(
            "the Docker daemon is running but this user may not use it (permission denied on its socket): \
             add yourself to the docker group with `sudo usermod -aG docker $USER`, then log out and in \
             (or use rootless Docker) {said}"
        );
    }
    match (host.os, &host.wsl_distro) {
        (Os::Windows, _) => format!(
            "Docker Desktop is not running: start Docker Desktop and wait until it shows \
             \"Engine running\", then run `scaffold verify` again {said}"
        ),
        (Os::Linux, Some(distro)) => format!(
            "no Docker daemon answers inside WSL: Docker Desktop is not running, or its WSL integration is \
             off for `{distro}`. Start Docker Desktop on Windows and check Settings → Resources → WSL \
             integration, or start an engine inside WSL (`sudo service docker start`) {said}"
        ),
        (Os::MacOs, None) => format!(
            "the Docker daemon is not running: start Docker Desktop (or `colima start`), or check \
             DOCKER_HOST and `docker context ls` {said}"
        ),
        _ => format!(
            "the Docker daemon is not running or cannot be reached: start it (`sudo systemctl start docker`), \
             or check DOCKER_HOST and `docker context ls` {said}"
        ),
    }
}

/// Which builder will run, failing when the Dockerfile needs BuildKit and this
/// engine cannot give it.
fn builder(engine: &Engine, versions: &Versions, needs_buildkit: bool) -> Result<Builder, Error> {
    if engine.kind == EngineKind::Podman {
        // buildah understands RUN --mount from podman 4 on.
        if needs_buildkit && versions.client.is_some_and(|v| v < Version(4, 0)) {
            return Err(Error::BuildKitMissing(format!(
                "the Dockerfile uses `RUN --mount`, which podman {} does not understand: upgrade to podman 4 or newer, \
                 or use docker with BuildKit (`--engine docker`)",
                versions.client_text
            )));
        }
        return Ok(Builder::Buildah);
    }
    if versions.server_os.as_deref() == Some("windows") {
        return if needs_buildkit {
            Err(Error::BuildKitMissing(
                "the Dockerfile uses `RUN --mount`, which needs BuildKit, and Docker Desktop is in Windows containers mode: \
                 switch to Linux containers (right-click the Docker icon in the tray → Switch to Linux containers)"
                    .to_string(),
            ))
        } else {
            Ok(Builder::Classic)
        };
    }
    let client = versions.client.unwrap_or(Version(0, 0));
    let server = versions.server.unwrap_or(client);
    let missing = || {
        Err(Error::BuildKitMissing(buildkit_fix(
            versions, client, server,
        )))
    };
    if client >= Version(23, 0) {
        // From docker 23 on, the client builds with BuildKit only through the buildx
        // plugin. Without a need, `docker build` picks its builder; the log reader
        // understands both.
        if !needs_buildkit {
            return Ok(Builder::Classic);
        }
        if server >= Version(18, 9) && engine.output(&["buildx", "version"])?.success {
            return Ok(Builder::BuildKit);
        }
        return missing();
    }
    // Before 23, BuildKit is built into the client and DOCKER_BUILDKIT=1 turns it on.
    let available = client >= Version(18, 9) && server >= Version(18, 9);
    let wanted = needs_buildkit || std::env::var("DOCKER_BUILDKIT").as_deref() != Ok("0");
    match (available, needs_buildkit) {
        (true, _) if wanted => Ok(Builder::BuildKit),
        (false, true) => missing(),
        _ => Ok(Builder::Classic),
    }
}

fn buildkit_fix(versions: &Versions, client: Version, server: Version) -> String {
    let start =
        "the Dockerfile uses `RUN --mount` (cache mounts keep rebuilds fast), which needs BuildKit";
    if server < Version(18, 9) {
        return format!(
            "{start}, and this Docker daemon ({}.{}) is older than 18.09: upgrade Docker Engine",
            server.0, server.1
        );
    }
    if client >= Version(23, 0) {
        return format!(
            "{start}, and docker {} builds with BuildKit only through the buildx plugin, which is missing: \
             install it (`docker-buildx-plugin` from Docker's apt/dnf repository, `docker-buildx` on Debian/Ubuntu, \
             or Docker Desktop, which ships it), or use a docker client with BuildKit built in (18.09–22.x) \
             with DOCKER_BUILDKIT=1",
            versions.client_text
        );
    }
    format!(
        "{start}, and docker {} is older than 18.09: upgrade the docker client (any from 18.09 on has it \
         built in; set DOCKER_BUILDKIT=1) or install the buildx plugin",
        versions.client_text
    )
}

/// A project on a Windows drive seen from WSL (`/mnt/c/…`) builds many times slower:
/// every file of the build context crosses the 9P bridge.
fn wsl_placement(host: &Host, dir: &Path) -> Option<String> {
    let distro = host.wsl_distro.as_ref()?;
    let absolute = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let drive = crate::host::windows_drive(&absolute)?;
    let text = absolute.to_string_lossy();
    let name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".to_string());
    Some(format!(
        "`{text}` is on the Windows drive {drive}:. Inside WSL (`{distro}`) builds there are many times slower. \
         Move the project into the WSL file system, e.g. `mv {text} ~/src/{name}` (open it from Windows as \
         \\\\wsl$\\{distro}\\home\\…)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runner::fake::FakeRunner;
    use crate::exit_status::ExitStatus;

    const DOCKER_20: &str = r#"{"Client":{"Version":"20.10.24+dfsg1","Os":"linux"},"Server":{"Version":"20.10.24+dfsg1","Os":"linux"}}"#;
    const DOCKER_28: &str = r#"{"Client":{"Version":"28.2.2","Os":"linux"},"Server":{"Version":"28.2.2","Os":"linux"}}"#;
    const CLIENT_ONLY: &str = r#"{"Client":{"Version":"28.2.2","Os":"linux"},"Server":null}"#;
    const VERSION: &str = "docker version --format {{json .}}";

    fn linux() -> Host {
        Host::default()
    }

    fn wsl() -> Host {
        Host {
            os: Os::Linux,
            wsl_distro: Some("Ubuntu".into()),
        }
    }

    fn windows() -> Host {
        Host {
            os: Os::Windows,
            wsl_distro: None,
        }
    }

    fn run(runner: FakeRunner, host: &Host, needs_buildkit: bool) -> Result<Ready, Error> {
        check(
            Some(EngineKind::Docker),
            Arc::new(runner),
            host,
            Path::new("."),
            needs_buildkit,
        )
    }

    fn message(result: Result<Ready, Error>) -> (ExitStatus, String) {
        let error = result.expect_err("preflight should fail");
        (error.exit_status(), error.to_string())
    }

    #[test]
    fn a_missing_engine_says_how_to_install_one() {
        let (status, text) = message(run(FakeRunner::default(), &linux(), true));
        assert_eq!(status, ExitStatus::EngineMissing);
        assert!(text.starts_with("docker is not installed"), "{text}");
        assert!(text.contains("install Docker Engine"), "{text}");
        let (_, text) = message(run(FakeRunner::default(), &windows(), true));
        assert!(text.contains("install Docker Desktop"), "{text}");
    }

    #[test]
    fn a_missing_engine_inside_wsl_points_at_the_integration() {
        let (status, text) = message(run(FakeRunner::default(), &wsl(), true));
        assert_eq!(status, ExitStatus::EngineMissing);
        assert!(
            text.contains("WSL integration is off for `Ubuntu`"),
            "{text}"
        );
    }

    #[test]
    fn a_stopped_daemon_on_linux() {
        let runner = FakeRunner::with_programs(&["docker"]).answer(
            VERSION,
            false,
            CLIENT_ONLY,
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
        );
        let (status, text) = message(run(runner, &linux(), true));
        assert_eq!(status, ExitStatus::EngineUnreachable);
        assert!(text.contains("sudo systemctl start docker"), "{text}");
        assert!(
            text.contains("Cannot connect to the Docker daemon"),
            "{text}"
        );
    }

    #[test]
    fn docker_desktop_not_running_on_windows() {
        let runner = FakeRunner::with_programs(&["docker"]).answer(
            VERSION,
            false,
            CLIENT_ONLY,
            "error during connect: this error may indicate that the docker daemon is not running: Get \"http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.24/version\": open //./pipe/docker_engine: The system cannot find the file specified.",
        );
        let (status, text) = message(run(runner, &windows(), true));
        assert_eq!(status, ExitStatus::EngineUnreachable);
        assert!(text.starts_with("Docker Desktop is not running"), "{text}");
    }

    #[test]
    fn wsl_integration_off() {
        let runner = FakeRunner::with_programs(&["docker"]).answer(
            VERSION,
            false,
            "",
            "The command 'docker' could not be found in this WSL 2 distro.\nWe recommend to activate the WSL integration in Docker Desktop settings.",
        );
        let (status, text) = message(run(runner, &wsl(), true));
        assert_eq!(status, ExitStatus::EngineUnreachable);
        assert!(text.starts_with("WSL integration is off"), "{text}");
        assert!(text.contains("`Ubuntu`"), "{text}");
    }

    #[test]
    fn a_daemon_that_never_answers_is_unreachable_and_says_how_long_it_waited() {
        let runner = FakeRunner::with_programs(&["docker"]).never_answers(VERSION);
        let (status, text) = message(run(runner, &linux(), true));
        assert_eq!(status, ExitStatus::EngineUnreachable);
        assert!(text.contains("the daemon did not answer in 7 s"), "{text}");
        assert!(text.contains("SCAFFOLD_ENGINE_TIMEOUT"), "{text}");
    }

    #[test]
    fn a_socket_the_user_may_not_use() {
        let runner = FakeRunner::with_programs(&["docker"]).answer(
            VERSION,
            false,
            CLIENT_ONLY,
            "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
        );
        let (_, text) = message(run(runner, &linux(), true));
        assert!(text.contains("usermod -aG docker"), "{text}");
    }

    #[test]
    fn a_new_client_without_buildx_cannot_build_cache_mounts() {
        let runner = FakeRunner::with_programs(&["docker"])
            .answer(VERSION, true, DOCKER_28, "")
            .answer(
                "docker buildx version",
                false,
                "",
                "docker: unknown command: docker buildx",
            );
        let (status, text) = message(run(runner, &linux(), true));
        assert_eq!(status, ExitStatus::BuildKitMissing);
        assert!(text.contains("buildx plugin, which is missing"), "{text}");
        assert!(text.contains("DOCKER_BUILDKIT=1"), "{text}");
    }

    #[test]
    fn a_new_client_with_buildx_builds_with_buildkit() {
        let runner = FakeRunner::with_programs(&["docker"])
            .answer(VERSION, true, DOCKER_28, "")
            .answer(
                "docker buildx version",
                true,
                "github.com/docker/buildx v0.24.0",
                "",
            );
        assert_eq!(
            run(runner, &linux(), true).unwrap().builder,
            Builder::BuildKit
        );
    }

    #[test]
    fn a_client_with_buildkit_built_in_needs_no_plugin() {
        let runner = FakeRunner::with_programs(&["docker"]).answer(VERSION, true, DOCKER_20, "");
        let ready = run(runner, &linux(), true).unwrap();
        assert_eq!(ready.builder, Builder::BuildKit);
        assert_eq!(ready.versions.client, Some(Version(20, 10)));
    }

    #[test]
    fn without_cache_mounts_buildx_is_not_asked_for() {
        let runner = FakeRunner::with_programs(&["docker"]).answer(VERSION, true, DOCKER_28, "");
        assert_eq!(
            run(runner, &linux(), false).unwrap().builder,
            Builder::Classic
        );
    }

    #[test]
    fn windows_containers_mode_has_no_buildkit() {
        let runner = FakeRunner::with_programs(&["docker"]).answer(
            VERSION,
            true,
            r#"{"Client":{"Version":"28.2.2"},"Server":{"Version":"28.2.2","Os":"windows"}}"#,
            "",
        );
        let (status, text) = message(run(runner, &windows(), true));
        assert_eq!(status, ExitStatus::BuildKitMissing);
        assert!(text.contains("Switch to Linux containers"), "{text}");
    }

    #[test]
    fn podman_stands_in_for_docker() {
        let runner = FakeRunner::with_programs(&["podman"]).answer(
            "podman version --format {{json .}}",
            true,
            r#"{"Client":{"APIVersion":"4.9.3","Version":"4.9.3","OsArch":"linux/amd64"}}"#,
            "",
        );
        let ready = check(None, Arc::new(runner), &linux(), Path::new("."), true).unwrap();
        assert_eq!(ready.engine.kind, EngineKind::Podman);
        assert_eq!(ready.builder, Builder::Buildah);
    }

    #[test]
    fn a_project_on_the_windows_drive_is_warned_about_in_wsl_only() {
        let dir = Path::new("/mnt/c/Users/me/orders");
        let warning = wsl_placement(&wsl(), dir).unwrap();
        assert!(warning.contains("Windows drive C:"), "{warning}");
        assert!(warning.contains("~/src/orders"), "{warning}");
        assert_eq!(wsl_placement(&linux(), dir), None);
        assert_eq!(wsl_placement(&wsl(), Path::new("/mnt/wsl/x")), None);
        assert_eq!(wsl_placement(&wsl(), Path::new("/home/me/orders")), None);
    }

    #[test]
    fn versions_are_read_loosely() {
        assert_eq!(Version::parse("20.10.24+dfsg1"), Some(Version(20, 10)));
        assert_eq!(Version::parse("4.9.3-dev"), Some(Version(4, 9)));
        assert_eq!(Version::parse("v28"), Some(Version(28, 0)));
        assert_eq!(Version::parse("dev"), None);
    }
}
