//! `scaffold doctor [DIR]`: check a project for the Go + Docker pitfalls, optionally
//! apply the safe fixes, print the findings, and exit 1 when any is at or above
//! `--fail-on`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::DoctorArgs;
use crate::doctor::host::Host;
use crate::doctor::{self, fix, output, verified_fix, Project};
use crate::engine::SystemRunner;
use crate::error::Error;
use crate::exit_status::ExitStatus;
use crate::machine;
use crate::report::Reporter;

pub fn run(args: &DoctorArgs, reporter: &Reporter) -> Result<ExitStatus, Error> {
    if let Some(key) = &args.explain {
        if let Some(rule) = machine::find(key) {
            reporter.output(machine::output::explain(rule));
            return Ok(ExitStatus::Success);
        }
        let rule =
            doctor::rules::find(key).ok_or_else(|| Error::UnknownRule { key: key.clone() })?;
        reporter.output(output::explain(rule));
        return Ok(ExitStatus::Success);
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        return Err(Error::NotAProjectFolder { path: dir });
    }
    if args.host {
        return host_checks(args, &dir, reporter);
    }
    let host = Host::detect();
    let mut project = Project::load(&dir, host)?;
    let mut findings = doctor::check(&project);
    if args.fix {
        let changes = if args.verify {
            verified_fix::apply(&project, &findings, None, false, reporter)?
        } else {
            apply_reporting_each(&project, &findings, reporter)?
        };
        if changes.is_empty() {
            reporter.status("Fixed", "nothing: no finding has a safe automatic fix");
        } else {
            if args.verify {
                for change in &changes {
                    reporter.status("Fixed", change);
                }
            }
            for path in hidden_by_gitignore(&project, &findings) {
                reporter.warn(format!(
                    "{path} is hidden by .gitignore, so `git add` leaves it out: commit it with `git add -f {path}`"
                ));
            }
            // Report what is left, as a second run would.
            project = Project::load(&dir, host)?;
            findings = doctor::check(&project);
        }
    }
    let color = args.format == output::Format::Text && colours_wanted();
    reporter.output(output::render_with_skipped(
        args.format,
        &findings,
        &project.skipped,
        args.fail_on,
        color,
    ));
    Ok(if doctor::fails(&findings, args.fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Writes the fixes, printing each change as it is made, so what was fixed is known
/// even when a later file fails.
fn apply_reporting_each(
    project: &Project,
    findings: &[doctor::Finding],
    reporter: &Reporter,
) -> Result<Vec<String>, Error> {
    let written = fix::write(&project.root, &fix::plan(&project.root, findings)?);
    for change in &written.changes {
        reporter.status("Fixed", change);
    }
    match written.failure {
        Some(failure) => Err(failure),
        None => Ok(written.changes),
    }
}

/// The files the applied repairs wrote that `.gitignore` would keep out of a commit.
fn hidden_by_gitignore(project: &Project, findings: &[doctor::Finding]) -> Vec<String> {
    let mut paths: Vec<String> = findings
        .iter()
        .filter_map(|finding| finding.repair.as_ref())
        .map(|repair| repair.path().to_string())
        .filter(|path| project.gitignore_hides(path))
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org).
fn colours_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    !no_color && console::colors_enabled()
}

/// `doctor --host`: gathers this machine's facts, runs every host check, prints the
/// reports, and fails as doctor does (`--fail-on`).
fn host_checks(args: &DoctorArgs, dir: &Path, reporter: &Reporter) -> Result<ExitStatus, Error> {
    if args.format == output::Format::Sarif {
        return Err(Error::InvalidAnswer(
            "--host reports on the machine, not on files: use --format text or --format json"
                .to_string(),
        ));
    }
    // A daemon that never answers should not hold a quick check for a minute.
    let runner = match std::env::var_os(crate::engine::runner::TIMEOUT_VARIABLE) {
        Some(_) => SystemRunner::from_env()?,
        None => SystemRunner {
            deadline: Duration::from_secs(20),
        },
    };
    reporter.status(
        "Checking",
        "this machine (engine, WSL, credentials, proxies, clock, ports, git)",
    );
    let facts = machine::gather(dir, Arc::new(runner))?;
    let reports = machine::check(&facts);
    let color = args.format == output::Format::Text && colours_wanted();
    // The folder as the user typed it: the canonical one carries `\\?\` on Windows.
    let shown = dir.display().to_string();
    reporter.output(machine::output::render(
        args.format,
        &shown,
        &reports,
        args.fail_on,
        color,
    ));
    Ok(if machine::fails(&reports, args.fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
