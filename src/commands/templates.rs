//! `scaffold templates list|export`: see what a project would be made from, and start
//! a team's own set from the built-in one.

use std::path::Path;

use crate::cli::{TemplateSourceArgs, TemplatesCommand};
use crate::config::Config;
use crate::error::Error;
use crate::exit_status::ExitStatus;
use crate::generate::render::RenderedFile;
use crate::generate::templates::loader;
use crate::generate::templates::set::TemplateSet;
use crate::report::Reporter;
use crate::write::destination;
use crate::write::staging;

pub fn run(command: &TemplatesCommand, reporter: &Reporter) -> Result<ExitStatus, Error> {
    match command {
        TemplatesCommand::List(source) => list(source, reporter),
        TemplatesCommand::Export { dir } => export(dir, reporter),
    }
}

fn list(source: &TemplateSourceArgs, reporter: &Reporter) -> Result<ExitStatus, Error> {
    let config = Config::load()?;
    let loaded = loader::load_chosen(source, &[config.templates.as_deref()])?;
    if let Some(warning) = &loaded.warning {
        reporter.warn(warning);
    }
    let width = loaded
        .set
        .files
        .iter()
        .map(|f| f.path.len())
        .max()
        .unwrap_or(0);
    for file in &loaded.set.files {
        reporter.output(format!("{:width$}  {}", file.path, file.origin.describe()));
    }
    for path in &loaded.set.dropped {
        reporter.output(format!("{path:width$}  dropped by team"));
    }
    for variable in &loaded.set.manifest.variables {
        reporter.note(format!(
            "variable {} (--set {}=VALUE){}",
            variable.name,
            variable.name,
            variable
                .default
                .as_ref()
                .map(|d| format!(", default `{d}`"))
                .unwrap_or_default()
        ));
    }
    Ok(ExitStatus::Success)
}

fn export(dir: &Path, reporter: &Reporter) -> Result<ExitStatus, Error> {
    let files: Vec<RenderedFile> = TemplateSet::builtin_files()
        .into_iter()
        .map(|file| RenderedFile {
            path: file.path,
            contents: file.contents,
        })
        .collect();
    super::new::report_reaped(reporter, staging::reap_stale(dir));
    let state =
        destination::check(dir, &files, false).map_err(|error| in_export_terms(dir, error))?;
    let _deferred = crate::interrupt::Deferred::start();
    let staged = staging::stage(dir, &state, &files)?;
    staged.publish(dir, &state)?;
    reporter.status(
        "Exported",
        format!(
            "{} built-in template files to {}; point --templates (or `templates` in scaffold.toml) at a folder or git repository holding your changes",
            files.len(),
            dir.display()
        ),
    );
    Ok(ExitStatus::Success)
}

/// The destination errors speak of `new`'s `--dir` and `--force`, which export has not.
fn in_export_terms(dir: &Path, error: Error) -> Error {
    let reason = match &error {
        Error::DestinationNotEmpty { .. } => {
            "is not empty: export writes into an empty or new folder only; choose another folder"
        }
        Error::DestinationIsAFile { .. } => "is a file, or lies inside one: choose another folder",
        Error::OutsideDestination { .. } => {
            "is a symlink: writing through it could leave the folder; choose another folder"
        }
        _ => return error,
    };
    Error::DestinationRefused {
        path: match error {
            Error::DestinationIsAFile { path } => path,
            _ => dir.to_path_buf(),
        },
        reason: reason.into(),
    }
}
