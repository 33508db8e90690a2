//! `scaffold verify [DIR]`, and the verify step at the end of `scaffold new`.

use std::path::{Path, PathBuf};

use crate::cli::{VerifyArgs, VerifyOptions};
use crate::error::Error;
use crate::exit_status::ExitStatus;
use crate::report::{shell_word, Reporter};
use crate::verify::{self, VerifyReport};

pub fn run(args: &VerifyArgs, reporter: &Reporter) -> Result<ExitStatus, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let options = VerifyOptions {
        port: args.port.map(|port| port.get()),
        ..args.options.clone()
    };
    verify_and_report(&dir, &options, reporter)
}

/// Verify at the end of `scaffold new`. When no engine can run it and it was not asked
/// for explicitly (`--verify`), the new project still counts as made: a warning says
/// why verify did not run and how to run it later.
pub fn after_new(
    dir: &Path,
    options: &VerifyOptions,
    explicit: bool,
    reporter: &Reporter,
) -> Result<ExitStatus, Error> {
    match verify_and_report(dir, options, reporter) {
        Err(error) if !explicit && error.is_engine_unavailable() => {
            reporter.warn(format!(
                "the project was created, but verify did not run: {error}\n\
                 Once that is fixed, run `scaffold verify {}` to build and run it \
                 (or pass --verify to make this an error, --no-verify to skip it).",
                shell_word(&dir.display().to_string())
            ));
            Ok(ExitStatus::Success)
        }
        other => other,
    }
}

fn verify_and_report(
    dir: &Path,
    options: &VerifyOptions,
    reporter: &Reporter,
) -> Result<ExitStatus, Error> {
    let report = verify::run(dir, options, reporter)?;
    show(&report, options, reporter);
    Ok(ExitStatus::Success)
}

fn show(report: &VerifyReport, options: &VerifyOptions, reporter: &Reporter) {
    reporter.status("Verified", report.verdict());
    if !report.kept_running.is_empty() {
        reporter.note(format!(
            "Left running (--keep): try {}; stop and remove it with:\n  {}",
            report.health_url,
            report.kept_running.join("\n  ")
        ));
    }
    if options.json {
        match serde_json::to_string_pretty(report) {
            Ok(json) => reporter.output(json),
            Err(error) => reporter.warn(format!("could not write the report as JSON: {error}")),
        }
    }
}
