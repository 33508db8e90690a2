//! The container engine: which one (docker, or podman where docker is absent), and
//! running its commands. Every engine command in scaffold goes through here, as an
//! argument list (never a shell string). The engine's own client decides where its
//! daemon is (DOCKER_HOST, the current docker context), so scaffold honours both by
//! leaving them alone; `endpoint` reads them only to know where published ports are.

pub mod endpoint;
pub mod runner;
pub mod stream;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use clap::ValueEnum;
use serde::Serialize;

use crate::error::Error;
pub use runner::{Answer, Failure, OnInterrupt, Runner, SystemRunner};

/// The engines scaffold can drive; both take the same commands for what verify does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Docker,
    Podman,
}

impl EngineKind {
    pub fn program(self) -> &'static str {
        match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program())
    }
}

/// A program plus leading arguments (`docker compose`, `docker-compose`), with the
/// variables its commands get, run through a `Runner`.
#[derive(Clone)]
pub struct Tool {
    program: PathBuf,
    leading: Vec<OsString>,
    env: Vec<(String, String)>,
    runner: Arc<dyn Runner>,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("program", &self.program)
            .field("leading", &self.leading)
            .field("env", &self.env)
            .finish()
    }
}

impl Tool {
    pub fn new(program: PathBuf, leading: &[&str], runner: Arc<dyn Runner>) -> Self {
        Tool {
            program,
            leading: leading.iter().map(OsString::from).collect(),
            env: Vec::new(),
            runner,
        }
    }

    /// The same tool with one more variable in its environment.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// How a user would type it: `docker`, `docker compose`, `docker-compose`.
    pub fn display_name(&self) -> String {
        let stem = self
            .program
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::iter::once(stem)
            .chain(
                self.leading
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned()),
            )
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn full_args<S: AsRef<OsStr>>(&self, args: &[S]) -> Vec<OsString> {
        self.leading
            .iter()
            .cloned()
            .chain(args.iter().map(|a| a.as_ref().to_os_string()))
            .collect()
    }

    /// Runs a short command to completion, within the runner's deadline; Ctrl-C stops
    /// it. Failing to start it, a deadline passed and Ctrl-C are errors; a command that
    /// ran and failed is an `Answer` with `success: false`.
    pub fn output<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Answer, Error> {
        self.output_then(args, OnInterrupt::Stop)
    }

    /// `output` for the clean-up, which must run to its end after a Ctrl-C too (its
    /// deadline still holds).
    pub fn output_despite_interrupt<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Answer, Error> {
        self.output_then(args, OnInterrupt::Finish)
    }

    fn output_then<S: AsRef<OsStr>>(
        &self,
        args: &[S],
        on_interrupt: OnInterrupt,
    ) -> Result<Answer, Error> {
        self.runner
            .output(
                &self.program,
                &self.full_args(args),
                &self.env,
                on_interrupt,
            )
            .map_err(|failure| match failure {
                Failure::Start(source) => Error::EngineCommand {
                    command: self.describe(args),
                    message: source.to_string(),
                },
                Failure::NoAnswer(deadline) => Error::EngineNoAnswer {
                    command: self.describe(args),
                    seconds: deadline.as_secs_f64(),
                },
                Failure::Interrupted => Error::Interrupted,
            })
    }

    /// Runs a short command that must succeed; its stdout, trimmed.
    pub fn checked<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, Error> {
        let answer = self.output(args)?;
        if answer.success {
            Ok(answer.stdout.trim().to_string())
        } else {
            Err(Error::EngineCommand {
                command: self.describe(args),
                message: answer.reason(),
            })
        }
    }

    /// A command for long work whose output is streamed (`stream::run`): no input, its
    /// own process group (see `runner::detach_from_terminal_signals`).
    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(self.full_args(args))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        runner::detach_from_terminal_signals(&mut command);
        command
    }

    /// The command line, for messages.
    pub fn describe<S: AsRef<OsStr>>(&self, args: &[S]) -> String {
        let mut words = vec![self.display_name()];
        words.extend(
            args.iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned()),
        );
        words.join(" ")
    }

    pub fn runner(&self) -> Arc<dyn Runner> {
        Arc::clone(&self.runner)
    }

    pub fn program(&self) -> &Path {
        &self.program
    }
}

/// The value of an engine command whose failure only means "not known" (a container
/// that has no port yet); Ctrl-C and a daemon that did not answer still end the run.
pub fn known<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(stop @ (Error::Interrupted | Error::EngineNoAnswer { .. })) => Err(stop),
        Err(_) => Ok(None),
    }
}

/// A container engine found on this machine.
#[derive(Debug, Clone)]
pub struct Engine {
    pub kind: EngineKind,
    pub tool: Tool,
}

impl Engine {
    /// The engine asked for, or docker, or podman where docker is not installed; `None`
    /// when none is on PATH.
    pub fn locate(choice: Option<EngineKind>, runner: Arc<dyn Runner>) -> Option<Engine> {
        let candidates = match choice {
            Some(kind) => vec![kind],
            None => vec![EngineKind::Docker, EngineKind::Podman],
        };
        candidates.into_iter().find_map(|kind| {
            runner.locate(kind.program()).map(|program| Engine {
                kind,
                tool: Tool::new(program, &[], Arc::clone(&runner)),
            })
        })
    }

    /// The same engine with a variable set for all its commands.
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.tool = self.tool.with_env(key, value);
        self
    }

    pub fn name(&self) -> &'static str {
        self.kind.program()
    }

    pub fn output<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Answer, Error> {
        self.tool.output(args)
    }

    pub fn checked<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, Error> {
        self.tool.checked(args)
    }

    pub fn output_despite_interrupt<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Answer, Error> {
        self.tool.output_despite_interrupt(args)
    }

    pub fn command<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        self.tool.command(args)
    }
}

#[cfg(test)]
mod tests {
    use super::runner::fake::FakeRunner;
    use super::*;

    #[test]
    fn docker_is_preferred_and_podman_stands_in() {
        let both: Arc<dyn Runner> = Arc::new(FakeRunner::with_programs(&["docker", "podman"]));
        assert_eq!(
            Engine::locate(None, Arc::clone(&both)).unwrap().kind,
            EngineKind::Docker
        );
        assert_eq!(
            Engine::locate(Some(EngineKind::Podman), both).unwrap().kind,
            EngineKind::Podman
        );
        let podman: Arc<dyn Runner> = Arc::new(FakeRunner::with_programs(&["podman"]));
        assert_eq!(
            Engine::locate(None, Arc::clone(&podman)).unwrap().kind,
            EngineKind::Podman
        );
        assert!(Engine::locate(Some(EngineKind::Docker), podman).is_none());
        assert!(Engine::locate(None, Arc::new(FakeRunner::default())).is_none());
    }

    #[test]
    fn commands_are_described_as_typed() {
        let tool = Tool::new(
            PathBuf::from("/usr/bin/docker"),
            &["compose"],
            Arc::new(FakeRunner::default()),
        );
        assert_eq!(tool.describe(&["up", "-d"]), "docker compose up -d");
    }
}
