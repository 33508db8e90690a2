//! `--compose`: the project's compose file (app + redis) under a unique project name,
//! so nothing of a stack the user runs from the same folder is touched; wait for the
//! app's readiness path (which needs redis), then remove the project's containers and
//! the networks and volumes it created (see `cleanup`). An override file runs the
//! image verify built, builds every other service under verify's own tag (never over
//! an `image:` of the user's) and labels every container with verify's labels.
//! `docker compose` (v2) is used where it exists, else `docker-compose` (v1); podman's
//! `podman compose` or `podman-compose`.

use std::ffi::OsString;
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use regex::Regex;

use super::build::{tail, TAIL_LINES};
use super::cleanup::{Cleanup, ComposeRun, Existing};
use super::listening;
use super::preflight::{Builder, Ready};
use super::probe::{Response, Target};
use super::project::Project;
use super::wait::{self, Waited};
use super::RunIdentity;
use crate::engine::{self, stream, Engine, EngineKind, Tool};
use crate::error::Error;
use crate::report::Reporter;

/// A compose project whose app answered.
#[derive(Debug, Clone)]
pub struct Up {
    pub tool: String,
    pub project: String,
    pub container: String,
    pub target: Target,
    pub ready: Response,
    pub seconds: f64,
    /// What the compose provider did differently (see `podman::compose_notes`).
    pub notes: Vec<String>,
}

/// The compose command for this engine, or why there is none.
pub fn find_tool(engine: &Engine) -> Result<Tool, Error> {
    let runner = engine.tool.runner();
    let plugin = Tool::new(
        engine.tool.program().to_path_buf(),
        &["compose"],
        Arc::clone(&runner),
    );
    if plugin
        .output(&["version"])
        .is_ok_and(|answer| answer.success)
    {
        return Ok(plugin);
    }
    let standalone = match engine.kind {
        EngineKind::Docker => "docker-compose",
        EngineKind::Podman => "podman-compose",
    };
    runner
        .locate(standalone)
        .map(|program| Tool::new(program, &[], Arc::clone(&runner)))
        .ok_or_else(|| {
            let install = match engine.kind {
                EngineKind::Docker => "install the compose plugin (`docker-compose-plugin` from Docker's repository; \
                                       Docker Desktop ships it) or `docker-compose`",
                EngineKind::Podman => "install podman-compose 1.0.6 or newer (`pip install podman-compose`; \
                                       Debian 12's package is 1.0.3, too old)",
            };
            Error::ComposeNotInstalled(format!(
                "--compose needs `{engine} compose` or `{standalone}`, and neither is installed: {install}, \
                 or verify without --compose",
                engine = engine.name()
            ))
        })
}

/// Starts the compose project and waits for `path` on the service that publishes
/// the project's port.
#[allow(clippy::too_many_arguments)]
pub fn up_and_wait(
    ready: &Ready,
    project: &Project,
    identity: &RunIdentity,
    path: &str,
    timeout: Duration,
    verbose: bool,
    reporter: &Reporter,
    cleanup: &mut Cleanup,
) -> Result<Up, Error> {
    // Absolute, so the `down` printed for --keep works from any folder.
    let file = canonical(
        project
            .compose_file
            .as_deref()
            .ok_or_else(|| Error::NoComposeFile {
                path: project.dir.clone(),
            })?,
    );
    let mut tool = find_tool(&ready.engine)?.with_env("COMPOSE_DOCKER_CLI_BUILD", "1");
    if ready.builder == Builder::BuildKit {
        // compose v1 builds through the docker CLI only with these; without them it
        // uses the classic builder, which rejects RUN --mount.
        tool = tool
            .with_env("DOCKER_BUILDKIT", "1")
            .with_env("BUILDKIT_PROGRESS", "plain");
    }
    let text = super::project::read_regular_text(&file, super::project::MAX_PROJECT_FILE)?
        .ok_or_else(|| Error::NoComposeFile {
            path: project.dir.clone(),
        })?;
    match host_port_variable(&text, project.container_port) {
        Some(variable) => {
            if let Some(port) = free_local_port() {
                tool = tool.with_env(&variable, &port.to_string());
            }
        }
        None => reporter.warn(format!(
            "{} does not let verify choose the host port for {} (write it as \"${{HOST_PORT:-{1}}}:{1}\"); \
             it is used as written, and fails if something else listens there",
            file.display(),
            project.container_port
        )),
    }
    let name = identity.compose_project();
    let mut leading: Vec<OsString> = vec![
        "--project-name".into(),
        name.clone().into(),
        "--file".into(),
        file.clone().into_os_string(),
    ];
    let plan = override_plan(&tool, &leading, project, identity)?;
    let override_file = write_override(&plan.text)?;
    leading.extend([
        "--file".into(),
        override_file.to_path_buf().into_os_string(),
    ]);
    let all_built = plan.images.is_empty() && plan.ours_built;
    cleanup.compose(ComposeRun {
        project: name.clone(),
        before: Existing::list(&ready.engine)?,
        images: plan.images,
        override_file: Some(override_file),
    });

    let mut up = leading.clone();
    let build = if all_built { "--no-build" } else { "--build" };
    up.extend(["up", "--detach", build].map(OsString::from));
    let description = tool.describe(&up);
    let progress = reporter.progress(
        "Starting",
        &format!("{} ({})", name, tool.display_name()),
        !verbose,
    );
    let started = Instant::now();
    let finished = stream::run(tool.command(&up), &description, |line| {
        if verbose {
            reporter.note(line);
        }
        progress.set_message(format!("{name}: {}", line.trim()));
    })?;
    progress.finish();
    if !finished.success {
        let explained = finished
            .lines
            .iter()
            .find_map(|line| super::podman::explain_start_failure(ready.engine.kind, line));
        return Err(Error::ComposeFailed {
            command: description,
            problem: explained.map_or_else(|| "failed".to_string(), |why| format!("failed: {why}")),
            logs: tail(&finished.lines, TAIL_LINES),
        });
    }
    let notes = super::podman::compose_notes(&tool.display_name(), &finished.lines);
    for note in &notes {
        reporter.status("Podman", note);
    }

    let (container, port) = publishing_container(&ready.engine, &name, project.container_port)?
        .ok_or_else(|| Error::ComposeFailed {
            command: description.clone(),
            problem: format!(
                "started, but no service publishes port {} (add `ports: [\"{0}\"]` to the app service)",
                project.container_port
            ),
            logs: compose_logs(&tool, &leading),
        })?;
    let target =
        Target::resolve(ready.endpoint.probe_host(), port).map_err(|e| Error::EngineCommand {
            command: format!("resolve {}", ready.endpoint.probe_host()),
            message: e.to_string(),
        })?;
    let deadline = Instant::now() + timeout;
    let running = || {
        let answer =
            ready
                .engine
                .output(&["inspect", "--format", "{{.State.Running}}", &container])?;
        Ok(answer.success && answer.stdout.trim() == "true")
    };
    match wait::until_ok(&target, path, deadline, running)? {
        Waited::Answered(response) => Ok(Up {
            tool: tool.display_name(),
            project: name,
            container,
            target,
            ready: response,
            seconds: started.elapsed().as_secs_f64(),
            notes,
        }),
        Waited::Exited => Err(Error::ComposeFailed {
            command: description,
            problem: format!("started, but {container} stopped before {path} answered"),
            logs: compose_logs(&tool, &leading),
        }),
        Waited::TimedOut { last } => {
            let logs = compose_logs(&tool, &leading);
            // An engine that cannot be asked must not hide the timeout itself.
            let inside = listening::look_inside(
                &ready.engine,
                &container,
                project.container_port,
                &logs,
                super::run::engine_on_this_linux(ready),
            )
            .unwrap_or(None);
            Err(Error::ComposeFailed {
                command: description,
                problem: format!(
                    "started, but {} did not answer 200 within {} s (last: {last}){}",
                    target.url(path),
                    timeout.as_secs(),
                    inside.map(|why| format!("; {why}")).unwrap_or_default()
                ),
                logs,
            })
        }
    }
}

/// verify's override of the compose file, and the tags it builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverridePlan {
    pub text: String,
    /// The tags of services built under verify's own name (removed at the end).
    pub images: Vec<String>,
    /// Some service runs the image verify has just built.
    pub ours_built: bool,
}

/// Reads the normalized compose file (`config`) and plans the override: the services
/// that build the project's own Dockerfile run the image verify has just built; every
/// other service that builds is built under `<verify project>-<service>:verify`, so an
/// `image: team/worker:dev` beside its `build:` is never rebuilt nor re-tagged; every
/// service carries verify's labels (and so its owner, for `reap`).
fn override_plan(
    tool: &Tool,
    leading: &[OsString],
    project: &Project,
    identity: &RunIdentity,
) -> Result<OverridePlan, Error> {
    let mut args = leading.to_vec();
    args.push("config".into());
    let answer = tool.output(&args)?;
    if let Some(why) =
        super::podman::explain_compose_config_failure(&tool.display_name(), &answer.stderr)
    {
        return Err(Error::ComposeNotInstalled(why));
    }
    if !answer.success {
        return Err(Error::ComposeFailed {
            command: tool.describe(&args),
            problem: "rejects the compose file".to_string(),
            logs: answer.stderr.lines().map(str::to_string).collect(),
        });
    }
    Ok(plan(&answer.stdout, project, identity))
}

/// The override for the normalized compose file `config`.
pub fn plan(config: &str, project: &Project, identity: &RunIdentity) -> OverridePlan {
    let dir = canonical(&project.dir);
    let builds = build_services(config);
    let ours = |service: &BuildService| {
        service.context.as_deref().map(|c| canonical(Path::new(c))) == Some(dir.clone())
            && service
                .dockerfile
                .as_deref()
                .is_none_or(|d| d == "Dockerfile")
    };
    let quote = |text: &str| serde_json::Value::from(text).to_string();
    let mut text = String::from("# Written by scaffold verify: verify's images and labels.\n");
    if let Some(version) = compose_version(config) {
        text.push_str(&format!("version: {}\n", quote(&version)));
    }
    text.push_str("services:\n");
    let mut images = Vec::new();
    let mut ours_built = false;
    for name in service_names(config) {
        text.push_str(&format!("  {}:\n", quote(&name)));
        if let Some(service) = builds.iter().find(|s| s.name == name) {
            let image = if ours(service) {
                ours_built = true;
                project.image_tag()
            } else {
                let tag = verify_image(identity, &name);
                images.push(tag.clone());
                tag
            };
            text.push_str(&format!("    image: {}\n", quote(&image)));
        }
        text.push_str("    labels:\n");
        for label in identity.labels() {
            let (key, value) = label.split_once('=').unwrap_or((label.as_str(), ""));
            text.push_str(&format!("      {}: {}\n", quote(key), quote(value)));
        }
    }
    OverridePlan {
        text,
        images,
        ours_built,
    }
}

/// The tag verify builds a service under: its unique project and the service name,
/// made a valid image name.
fn verify_image(identity: &RunIdentity, service: &str) -> String {
    let service: String = service
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}-{service}:verify", identity.compose_project())
}

fn write_override(text: &str) -> Result<tempfile::TempPath, Error> {
    let write = || -> std::io::Result<tempfile::TempPath> {
        let mut file = tempfile::Builder::new()
            .prefix("scaffold-verify-")
            .suffix(".yml")
            .tempfile()?;
        file.write_all(text.as_bytes())?;
        Ok(file.into_temp_path())
    };
    write().map_err(Error::io("write", std::env::temp_dir()))
}

/// Every service of the normalized compose file, in order.
pub fn service_names(config: &str) -> Vec<String> {
    let Ok(documents) = yaml_rust2::YamlLoader::load_from_str(config) else {
        return Vec::new();
    };
    documents
        .first()
        .and_then(|d| d["services"].as_hash())
        .map(|services| {
            services
                .keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The `version:` of the normalized file (compose v1 prints one; an override must match).
fn compose_version(config: &str) -> Option<String> {
    let documents = yaml_rust2::YamlLoader::load_from_str(config).ok()?;
    let version = &documents.first()?["version"];
    version
        .as_str()
        .map(str::to_string)
        .or_else(|| version.as_f64().map(|v| v.to_string()))
}

fn canonical(path: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A service that builds an image, from the normalized `compose config` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildService {
    pub name: String,
    pub context: Option<String>,
    pub dockerfile: Option<String>,
}

/// The services with `build:` in the YAML that `compose config` prints (v1 and v2
/// alike; `build: DIR` or a map with `context` and `dockerfile`).
pub fn build_services(config: &str) -> Vec<BuildService> {
    let Ok(documents) = yaml_rust2::YamlLoader::load_from_str(config) else {
        return Vec::new();
    };
    let Some(services) = documents.first().and_then(|d| d["services"].as_hash()) else {
        return Vec::new();
    };
    services
        .iter()
        .filter_map(|(name, service)| {
            let build = &service["build"];
            let (context, dockerfile) = match build.as_str() {
                Some(context) => (Some(context), None),
                None => {
                    build.as_hash()?;
                    (build["context"].as_str(), build["dockerfile"].as_str())
                }
            };
            Some(BuildService {
                name: name.as_str()?.to_string(),
                context: context.map(str::to_string),
                dockerfile: dockerfile.map(str::to_string),
            })
        })
        .collect()
}

/// The variable that sets the host port in a mapping like `"${HOST_PORT:-8080}:8080"`,
/// when it is used nowhere else (setting it then changes nothing but that port).
pub fn host_port_variable(compose: &str, container_port: u16) -> Option<String> {
    static MAPPING: OnceLock<Regex> = OnceLock::new();
    let mapping = MAPPING.get_or_init(|| {
        Regex::new(r#"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\}:(\d+)(?:/tcp)?["'\s]*$"#).unwrap()
    });
    compose.lines().find_map(|line| {
        let caps = mapping.captures(line.trim_end())?;
        let variable = caps[1].to_string();
        let code: String = compose
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let uses = code.matches(&format!("${{{variable}")).count()
            + code.matches(&format!("${variable}")).count();
        (caps[2].parse() == Ok(container_port) && uses == 1).then_some(variable)
    })
}

/// A port nothing listens on now; the engine binds it a moment later.
fn free_local_port() -> Option<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .ok()
}

/// The container of the compose project that publishes `container_port`, and the
/// host port it is published on.
fn publishing_container(
    engine: &Engine,
    project: &str,
    container_port: u16,
) -> Result<Option<(String, u16)>, Error> {
    let filter = format!("label=com.docker.compose.project={project}");
    let listing = engine::known(engine.checked(&[
        "ps",
        "--filter",
        &filter,
        "--format",
        "{{.Names}}\t{{.Ports}}",
    ]))?
    .unwrap_or_default();
    Ok(listing.lines().find_map(|line| {
        let (name, ports) = line.split_once('\t')?;
        published(ports, container_port).map(|port| (name.trim().to_string(), port))
    }))
}

/// The host port in a `docker ps` ports column (`127.0.0.1:49160->8080/tcp, …`) for
/// `container_port`.
pub fn published(ports: &str, container_port: u16) -> Option<u16> {
    let wanted = format!("->{container_port}/tcp");
    ports.split(',').find_map(|binding| {
        let binding = binding.trim();
        let host = binding.strip_suffix(&wanted)?;
        host.rsplit(':').next()?.parse().ok()
    })
}

/// The last lines of every service's log.
fn compose_logs(tool: &Tool, leading: &[OsString]) -> Vec<String> {
    let mut args = leading.to_vec();
    args.extend(["logs", "--no-color", "--tail", "40"].map(OsString::from));
    tool.output(&args)
        .map(|answer| {
            let lines: Vec<String> = answer
                .stdout
                .lines()
                .chain(answer.stderr.lines())
                .map(str::to_string)
                .collect();
            tail(&lines, TAIL_LINES)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runner::fake::FakeRunner;
    use crate::exit_status::ExitStatus;

    fn docker(runner: FakeRunner) -> Engine {
        Engine::locate(Some(EngineKind::Docker), Arc::new(runner)).unwrap()
    }

    #[test]
    fn the_compose_plugin_is_preferred_then_docker_compose() {
        let plugin = docker(
            FakeRunner::with_programs(&["docker", "docker-compose"]).answer(
                "docker compose version",
                true,
                "Docker Compose version v2.29.1",
                "",
            ),
        );
        assert_eq!(find_tool(&plugin).unwrap().display_name(), "docker compose");
        let v1 = docker(
            FakeRunner::with_programs(&["docker", "docker-compose"]).answer(
                "docker compose version",
                false,
                "",
                "docker: 'compose' is not a docker command.",
            ),
        );
        assert_eq!(find_tool(&v1).unwrap().display_name(), "docker-compose");
        let neither = docker(FakeRunner::with_programs(&["docker"]));
        let error = find_tool(&neither).unwrap_err();
        assert_eq!(error.exit_status(), ExitStatus::EngineMissing);
        assert!(error.to_string().contains("docker-compose"), "{error}");
    }

    #[test]
    fn a_host_port_variable_is_found_only_when_it_sets_nothing_else() {
        let compose = "services:\n  app:\n    ports:\n      - \"${HOST_PORT:-8080}:8080\"\n";
        assert_eq!(
            host_port_variable(compose, 8080).as_deref(),
            Some("HOST_PORT")
        );
        assert_eq!(
            host_port_variable("    ports: [\"127.0.0.1:${P:-1}:9000/tcp\"]", 9000),
            None,
            "inside a flow list the line does not end with the mapping"
        );
        assert_eq!(
            host_port_variable("      - 127.0.0.1:${P-9000}:9000\n", 9000).as_deref(),
            Some("P")
        );
        assert_eq!(host_port_variable("      - \"8080:8080\"\n", 8080), None);
        let shared =
            "      - \"${PORT:-8080}:8080\"\n    environment:\n      PORT: ${PORT:-8080}\n";
        assert_eq!(host_port_variable(shared, 8080), None);
        assert_eq!(host_port_variable(compose, 9090), None);
    }

    #[test]
    fn services_that_build_are_read_from_normalized_config() {
        let v1 = "services:\n  app:\n    build:\n      args:\n        GOPROXY: https://proxy.golang.org,direct\n      context: /tmp/tpl\n    image: tpl:dev\n    ports:\n    - 127.0.0.1:8080:8080/tcp\n  redis:\n    image: redis:7-alpine\n  worker:\n    build:\n      context: /tmp/tpl/worker\n      dockerfile: Dockerfile.worker\nvolumes:\n  redis-data: {}\n";
        assert_eq!(
            build_services(v1),
            [
                BuildService {
                    name: "app".into(),
                    context: Some("/tmp/tpl".into()),
                    dockerfile: None
                },
                BuildService {
                    name: "worker".into(),
                    context: Some("/tmp/tpl/worker".into()),
                    dockerfile: Some("Dockerfile.worker".into())
                },
            ]
        );
        let v2 = "name: p\nservices:\n  app:\n    build:\n      context: /tmp/tpl\n      dockerfile: Dockerfile\n    image: tpl:dev\nnetworks:\n  default:\n    name: p_default\n";
        assert_eq!(
            build_services(v2)[0].dockerfile.as_deref(),
            Some("Dockerfile")
        );
        assert!(build_services("services:\n  redis:\n    image: redis\n").is_empty());
        assert_eq!(
            build_services("services:\n  app:\n    build: /src\n")[0]
                .context
                .as_deref(),
            Some("/src")
        );
        assert!(build_services("not: [yaml").is_empty());
    }

    #[test]
    fn the_override_never_builds_over_an_image_of_the_users() {
        let dir = tempfile::tempdir().unwrap();
        let root = canonical(dir.path()).display().to_string();
        let project = Project {
            dir: dir.path().to_path_buf(),
            name: "orders".into(),
            container_port: 8080,
            port_source: super::super::project::PortSource::Default,
            needs_buildkit: false,
            compose_file: None,
            build_proxy: false,
            ca_cert: false,
        };
        let identity = RunIdentity::new("orders");
        let config = format!(
            "version: '3.8'\nservices:\n  app:\n    build:\n      context: {root}\n    image: orders:dev\n  Worker:\n    build:\n      context: {root}/worker\n    image: team/worker:dev\n  redis:\n    image: redis:7\n"
        );
        let plan = plan(&config, &project, &identity);
        let worker_tag = format!("{}-worker:verify", identity.compose_project());
        assert_eq!(plan.images, [worker_tag.as_str()]);
        assert!(plan.ours_built);
        let yaml = yaml_rust2::YamlLoader::load_from_str(&plan.text).unwrap();
        let services = &yaml[0]["services"];
        assert_eq!(yaml[0]["version"].as_str(), Some("3.8"));
        assert_eq!(services["app"]["image"].as_str(), Some("orders:verify"));
        assert_eq!(
            services["Worker"]["image"].as_str(),
            Some(worker_tag.as_str())
        );
        assert!(
            services["redis"]["image"].is_badvalue(),
            "an image it does not build is left as it is"
        );
        for service in ["app", "Worker", "redis"] {
            assert_eq!(
                services[service]["labels"]["scaffold.verify"].as_str(),
                Some(identity.id.as_str())
            );
            assert!(services[service]["labels"]["scaffold.verify.owner.pid"]
                .as_str()
                .is_some());
        }
        assert!(!plan.text.contains("team/worker"));
    }

    #[test]
    fn a_commented_mention_does_not_hide_the_host_port_variable() {
        let compose = "# listens on 127.0.0.1:${PORT:-8080}\nservices:\n  app:\n    ports:\n      - \"127.0.0.1:${PORT:-8080}:8080\"\n    environment:\n      PORT: \"8080\"\n";
        assert_eq!(host_port_variable(compose, 8080).as_deref(), Some("PORT"));
    }

    #[test]
    fn the_published_port_is_found_among_others() {
        assert_eq!(
            published("0.0.0.0:49160->8080/tcp, :::49160->8080/tcp", 8080),
            Some(49160)
        );
        assert_eq!(published("6379/tcp", 8080), None);
        assert_eq!(published("127.0.0.1:5000->9000/tcp", 8080), None);
        assert_eq!(published("", 8080), None);
    }
}
