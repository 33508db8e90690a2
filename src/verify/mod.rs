//! `verify`: prove the project works by building its image, running it on a free
//! local port and waiting for its health endpoint, then removing what was started.
//!
//! The order never changes: preflight (nothing is built before the engine, its daemon
//! and BuildKit are known to be there), build, run (or `--compose`), probe, report,
//! clean-up. Everything started is registered with the `cleanup` guard first, and
//! Ctrl-C is deferred for the whole run, so every way out — success, failure,
//! timeout, interrupt — goes through the guard's removal.

pub mod build;
pub mod build_failure;
pub mod cleanup;
pub mod compose;
pub mod hardened;
pub mod listening;
pub mod owner;
pub mod podman;
pub mod preflight;
pub mod probe;
pub mod project;
pub mod reap;
pub mod report;
pub mod run;
pub mod wait;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::cli::VerifyOptions;
use crate::engine::SystemRunner;
use crate::error::Error;
use crate::interrupt;
use crate::report::Reporter;
use cleanup::Cleanup;
use preflight::{Builder, Host, Ready};
use project::Project;
pub use report::VerifyReport;

/// The label on every container verify starts; its value is the run's id. Anything
/// carrying it that outlives a run was left behind by a bug.
pub const RUN_LABEL: &str = "scaffold.verify";
/// The label carrying the project name, to find a project's leftovers.
pub const PROJECT_LABEL: &str = "scaffold.verify.project";
/// Every container and compose project verify starts is named with this prefix.
pub const NAME_PREFIX: &str = "scaffold-verify-";

/// The unique names of one run.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    pub id: String,
    pub project: String,
    /// This process, so a later verify can remove what a killed one left.
    pub owner: owner::Owner,
}

impl RunIdentity {
    /// An id unique on this machine: the time and the process id.
    pub fn new(project: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 40);
        RunIdentity {
            id: format!("{:08x}", mixed & 0xffff_ffff ^ (mixed >> 32)),
            project: project.to_string(),
            owner: owner::Owner::current(),
        }
    }

    pub fn container_name(&self) -> String {
        format!("{NAME_PREFIX}{}-{}", self.project, self.id)
    }

    /// Compose project names must be lower case `a-z0-9_-`; project names are.
    pub fn compose_project(&self) -> String {
        self.container_name().replace('.', "-")
    }

    /// verify's labels: the run, the project and the owner process.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = vec![
            format!("{RUN_LABEL}={}", self.id),
            format!("{PROJECT_LABEL}={}", self.project),
        ];
        labels.extend(self.owner.labels());
        labels
    }
}

/// Runs verify on the project in `dir`.
pub fn run(
    dir: &Path,
    options: &VerifyOptions,
    reporter: &Reporter,
) -> Result<VerifyReport, Error> {
    let _deferred = interrupt::Deferred::start();
    // After Ctrl-C any failure (a command it stopped, a check it cut short) is the
    // interrupt, not a fault of the project.
    verify(dir, options, reporter).map_err(|error| match interrupt::check() {
        Err(interrupted) => interrupted,
        Ok(()) => error,
    })
}

fn verify(dir: &Path, options: &VerifyOptions, reporter: &Reporter) -> Result<VerifyReport, Error> {
    let started = Instant::now();
    let project = Project::open(dir, options.port)?;
    if options.compose && project.compose_file.is_none() {
        return Err(Error::NoComposeFile {
            path: dir.to_path_buf(),
        });
    }
    report_port(&project, reporter);
    let ready = preflight::check(
        options.engine,
        Arc::new(SystemRunner::from_env()?),
        &Host::detect(),
        dir,
        project.needs_buildkit,
    )?;
    for warning in &ready.warnings {
        reporter.warn(warning);
    }
    reporter.status("Engine", describe_engine(&ready));
    let mut engine_notes = podman::engine_notes(&ready.engine, &ready.endpoint)?;
    for note in &engine_notes {
        reporter.status("Podman", note);
    }
    interrupt::check()?;

    let identity = RunIdentity::new(&project.name);
    reap::left_by_killed_runs(&ready.engine, &identity.owner, reporter)?;
    let mut cleanup = Cleanup::new(ready.engine.clone(), *reporter);
    let built = build::build(&ready, &project, options.verbose, reporter)?;
    cleanup.image(&built.tag, options.rm_image);
    reporter.status(
        "Built",
        report::built_line(&built.tag, built.seconds, built.size_bytes),
    );
    warn_if_root(&built, reporter);
    let answered = start(
        &ready,
        &project,
        &identity,
        &built,
        options,
        reporter,
        &mut cleanup,
    )?;
    engine_notes.extend(answered.notes.iter().cloned());
    let front_page = run::front_page(&answered.target);
    interrupt::check()?;
    let hardened = match &answered.restrictions {
        Some(restrictions) if !options.keep => Some(prove_hardened(
            &ready,
            &answered,
            restrictions,
            options,
            reporter,
        )?),
        _ => None,
    };
    let kept_running = if options.keep {
        cleanup.keep_running()
    } else {
        Vec::new()
    };
    let mut report = VerifyReport {
        project: project.name.clone(),
        dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        engine: ready.engine.kind,
        engine_version: ready.versions.client_text.clone(),
        engine_notes,
        image: built.tag.clone(),
        image_kept: !options.rm_image || options.keep,
        image_size_bytes: built.size_bytes,
        build_seconds: built.seconds,
        mode: if options.compose {
            "compose"
        } else {
            "container"
        },
        container: answered.container,
        compose_project: answered.compose_project,
        container_port: project.container_port,
        port_reason: project.port_source.reason(),
        health_url: answered.target.url(&answered.path),
        health: answered.health,
        start_to_healthy_seconds: answered.seconds,
        runs_as_root: report::is_root(&built.user),
        user: built.user,
        front_page: front_page.as_ref().ok().cloned(),
        front_page_error: front_page.err(),
        hardened,
        kept_running,
        total_seconds: 0.0,
    };
    for (label, text) in report.lines() {
        reporter.status(label, text);
    }
    drop(cleanup);
    report.total_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Readiness and a clean SIGTERM under the Deployment's restrictions.
fn prove_hardened(
    ready: &Ready,
    answered: &Answered,
    restrictions: &hardened::Restrictions,
    options: &VerifyOptions,
    reporter: &Reporter,
) -> Result<hardened::Hardened, Error> {
    let ready_status = hardened::check_ready(
        &answered.target,
        "/readyz",
        Duration::from_secs(options.timeout),
    )?;
    reporter.status(
        "Stopping",
        format!(
            "SIGTERM, {} s grace period as in the Deployment",
            restrictions.grace_seconds
        ),
    );
    let stop_seconds = hardened::stop_within_grace(
        &ready.engine,
        &answered.container,
        restrictions.grace_seconds,
    )?;
    Ok(hardened::Hardened {
        restrictions: restrictions.clone(),
        ready_status,
        stop_seconds,
    })
}

/// A service that answered its health (or readiness) path.
struct Answered {
    container: String,
    compose_project: Option<String>,
    target: probe::Target,
    path: String,
    health: probe::Response,
    seconds: f64,
    /// What `--hardened` ran it under.
    restrictions: Option<hardened::Restrictions>,
    /// What the compose provider did differently.
    notes: Vec<String>,
}

/// Starts the built image (one container, or the compose project) and waits for it.
fn start(
    ready: &Ready,
    project: &Project,
    identity: &RunIdentity,
    built: &build::Built,
    options: &VerifyOptions,
    reporter: &Reporter,
    cleanup: &mut Cleanup,
) -> Result<Answered, Error> {
    let timeout = Duration::from_secs(options.timeout);
    let default_path = if options.compose {
        "/readyz"
    } else {
        "/healthz"
    };
    let path = options
        .path
        .clone()
        .unwrap_or_else(|| default_path.to_string());
    if options.compose {
        let up = compose::up_and_wait(
            ready,
            project,
            identity,
            &path,
            timeout,
            options.verbose,
            reporter,
            cleanup,
        )?;
        return Ok(Answered {
            container: up.container,
            compose_project: Some(up.project),
            target: up.target,
            path,
            health: up.ready,
            seconds: up.seconds,
            restrictions: None,
            notes: up.notes,
        });
    }
    let restrictions = options
        .hardened
        .then(|| hardened::Restrictions::for_project(&project.dir));
    if let Some(restrictions) = &restrictions {
        reporter.status("Hardened", restrictions.describe());
    }
    let run_args = restrictions
        .as_ref()
        .map(hardened::Restrictions::run_args)
        .unwrap_or_default();
    let launch = run::Launch {
        tag: &built.tag,
        container_port: project.container_port,
        path: &path,
        timeout,
        restrictions: &run_args,
    };
    let healthy =
        run::start(ready, identity, &launch, cleanup).map_err(|error| match &restrictions {
            Some(_) => hardened::explain_failure(error),
            None => error,
        })?;
    Ok(Answered {
        container: healthy.container,
        compose_project: None,
        target: healthy.target,
        path,
        health: healthy.health,
        seconds: healthy.seconds,
        restrictions,
        notes: Vec::new(),
    })
}

/// Which port is probed and why; a guess is a warning.
fn report_port(project: &Project, reporter: &Reporter) {
    let text = format!(
        "{} inside the container, {}",
        project.container_port,
        project.port_source.reason()
    );
    if project.port_source == project::PortSource::Default {
        reporter.warn(format!("probing port {text}"));
    } else {
        reporter.status("Port", text);
    }
}

/// Running as root is allowed, but never silently.
fn warn_if_root(built: &build::Built, reporter: &Reporter) {
    if !report::is_root(&built.user) {
        return;
    }
    let user = if built.user.is_empty() {
        " (its Dockerfile sets no USER)".to_string()
    } else {
        format!(" (USER {})", built.user)
    };
    reporter.warn(format!(
        "{} runs as root{user}: add a numeric non-root USER (e.g. `USER 65532:65532`) to the final stage",
        built.tag
    ));
}

fn describe_engine(ready: &Ready) -> String {
    let builder = match ready.builder {
        Builder::BuildKit => "BuildKit",
        Builder::Classic => "classic builder",
        Builder::Buildah => "buildah",
    };
    let daemon = match ready.endpoint.address.as_str() {
        "default" => "local daemon".to_string(),
        address => format!("daemon at {address}"),
    };
    format!(
        "{} {} ({builder}), {daemon}",
        ready.engine.name(),
        ready.versions.client_text
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_are_unique_and_labelled() {
        let a = RunIdentity::new("orders");
        std::thread::sleep(Duration::from_millis(1));
        let b = RunIdentity::new("orders");
        assert_ne!(a.container_name(), b.container_name());
        assert!(a.container_name().starts_with("scaffold-verify-orders-"));
        assert_eq!(a.labels()[1], "scaffold.verify.project=orders");
    }
}
