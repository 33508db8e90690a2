//! One container from the built image, on a port the engine picks (published on
//! 127.0.0.1 for a local engine), detached, with a unique name and verify's label;
//! then the wait for the health path, and on failure the container's exit code and
//! the last lines of its log.

use std::time::{Duration, Instant};

use super::build::TAIL_LINES;
use super::cleanup::Cleanup;
use super::listening;
use super::preflight::Ready;
use super::probe::{self, Response, Target, Timeouts};
use super::wait::{self, Waited};
use super::RunIdentity;
use crate::engine::{self, Engine};
use crate::error::Error;

/// A container that answered its health path.
#[derive(Debug, Clone)]
pub struct Healthy {
    pub container: String,
    pub target: Target,
    pub health: Response,
    pub seconds: f64,
}

/// What to run, and what must answer.
pub struct Launch<'a> {
    pub tag: &'a str,
    pub container_port: u16,
    pub path: &'a str,
    pub timeout: Duration,
    /// More `run` arguments: `--hardened`'s restrictions.
    pub restrictions: &'a [String],
}

/// Starts the image and waits for `path` to answer 200 within `timeout`.
pub fn start(
    ready: &Ready,
    identity: &RunIdentity,
    launch: &Launch<'_>,
    cleanup: &mut Cleanup,
) -> Result<Healthy, Error> {
    let Launch {
        tag,
        container_port,
        path,
        timeout,
        restrictions,
    } = *launch;
    let name = identity.container_name();
    let engine = &ready.engine;
    let publish = ready.endpoint.publish_spec(container_port);
    let labels = identity.labels();
    let mut args: Vec<&str> = vec!["run", "--detach", "--name", &name];
    for label in &labels {
        args.extend(["--label", label]);
    }
    args.extend(restrictions.iter().map(String::as_str));
    args.extend(["--publish", &publish, tag]);
    let started = Instant::now();
    cleanup.container(&name);
    let answer = engine.output(&args)?;
    if !answer.success {
        let reason = answer.reason();
        let problem = match super::podman::explain_start_failure(engine.kind, &reason) {
            Some(why) => format!("could not be started: {reason}\n{why}"),
            None => format!("could not be started: {reason}"),
        };
        return Err(Error::ContainerFailed {
            container: name,
            exit_code: None,
            problem,
            logs: Vec::new(),
        });
    }
    let target = match published_port(engine, &name, container_port)? {
        Some(port) => Target::resolve(ready.endpoint.probe_host(), port).map_err(|e| {
            Error::EngineCommand {
                command: format!("resolve {}", ready.endpoint.probe_host()),
                message: e.to_string(),
            }
        })?,
        None => return Err(stopped(engine, &name, path)),
    };
    let deadline = started + timeout;
    match wait::until_ok(&target, path, deadline, || is_running(engine, &name))? {
        Waited::Answered(health) => Ok(Healthy {
            container: name,
            target,
            health,
            seconds: started.elapsed().as_secs_f64(),
        }),
        Waited::Exited => Err(stopped(engine, &name, path)),
        Waited::TimedOut { last } => {
            let (exit_code, logs) = exit_code_and_logs(engine, &name);
            let inside = match exit_code {
                None => listening::look_inside(
                    engine,
                    &name,
                    container_port,
                    &logs,
                    engine_on_this_linux(ready),
                )?,
                Some(_) => None,
            };
            Err(Error::NotHealthy {
                url: target.url(path),
                seconds: timeout.as_secs(),
                hint: inside.unwrap_or_else(|| not_healthy_hint(&last, path)),
                last,
                exit_code,
                logs,
            })
        }
    }
}

/// What to try next, from the last thing the service said.
fn not_healthy_hint(last: &str, path: &str) -> String {
    if last.starts_with("status 404") {
        format!("the service has no {path}: check --path")
    } else {
        "raise --timeout if the service needs longer".to_string()
    }
}

/// Whether the engine's process ids are this machine's: a local daemon on Linux.
pub(super) fn engine_on_this_linux(ready: &Ready) -> bool {
    cfg!(target_os = "linux") && ready.endpoint.ports == engine::endpoint::PortHost::Local
}

/// `GET /` on a service that is up: what the report shows.
pub fn front_page(target: &Target) -> Result<Response, String> {
    probe::get(target, "/", Timeouts::READ).map_err(|e| e.to_string())
}

/// The host port `docker port` reports for the container port.
fn published_port(
    engine: &Engine,
    container: &str,
    container_port: u16,
) -> Result<Option<u16>, Error> {
    let spec = format!("{container_port}/tcp");
    let text = engine::known(engine.checked(&["port", container, &spec]))?;
    Ok(text
        .as_deref()
        .unwrap_or_default()
        .lines()
        .find_map(host_port))
}

/// `127.0.0.1:49153`, `0.0.0.0:49153`, `[::]:49153` → 49153.
pub fn host_port(binding: &str) -> Option<u16> {
    binding.trim().rsplit(':').next()?.parse().ok()
}

fn is_running(engine: &Engine, container: &str) -> Result<bool, Error> {
    let answer = engine.output(&["inspect", "--format", "{{.State.Running}}", container])?;
    Ok(answer.success && answer.stdout.trim() == "true")
}

fn stopped(engine: &Engine, container: &str, path: &str) -> Error {
    let (exit_code, logs) = exit_code_and_logs(engine, container);
    Error::ContainerFailed {
        container: container.to_string(),
        exit_code,
        problem: format!("stopped before {path} answered"),
        logs,
    }
}

/// The exit code (when the container has stopped) and the last lines of its log.
pub fn exit_code_and_logs(engine: &Engine, container: &str) -> (Option<i64>, Vec<String>) {
    let state = engine
        .checked(&[
            "inspect",
            "--format",
            "{{.State.Running}} {{.State.ExitCode}}",
            container,
        ])
        .unwrap_or_default();
    let exit_code = match state.split_once(' ') {
        Some(("false", code)) => code.trim().parse().ok(),
        _ => None,
    };
    let tail = TAIL_LINES.to_string();
    let logs = engine
        .output(&["logs", "--tail", &tail, container])
        .map(|answer| {
            answer
                .stdout
                .lines()
                .chain(answer.stderr.lines())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    (exit_code, logs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports_are_read_from_any_binding() {
        assert_eq!(host_port("127.0.0.1:49153"), Some(49153));
        assert_eq!(host_port("[::]:32768\n"), Some(32768));
        assert_eq!(host_port("garbage"), None);
    }
}
