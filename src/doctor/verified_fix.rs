//! `doctor --fix --verify`: the fix as a transaction checked by the real engine. Every
//! image whose Dockerfile or build context the fix touches is built before anything
//! is written (what does not build then is left out, with a warning: it proves
//! nothing), the fix is written, the same images are built again, and when one that
//! built before fails now — or the write, the engine or Ctrl-C stops it half way —
//! every file is put back byte for byte and the error says why. The images are built
//! under verify's own unique tags and removed afterwards; the build cache makes the
//! second build cost only what the fix changed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::doctor::context_use::context_of;
use crate::doctor::finding::Finding;
use crate::doctor::fix::{self, Change};
use crate::doctor::project::{is_under, DockerfileView, Project};
use crate::engine::{Engine, EngineKind, SystemRunner};
use crate::error::Error;
use crate::interrupt;
use crate::report::Reporter;
use crate::verify::build::build_image;
use crate::verify::preflight::{self, Ready};
use crate::verify::project::needs_buildkit;
use crate::verify::RunIdentity;

/// Applies the fixes when the builds they touch still build; returns the changes
/// made, one line per file, as `fix::write` reports them.
pub fn apply(
    project: &Project,
    findings: &[Finding],
    engine: Option<EngineKind>,
    verbose: bool,
    reporter: &Reporter,
) -> Result<Vec<String>, Error> {
    let _deferred = interrupt::Deferred::start();
    let changes = fix::plan(&project.root, findings)?;
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let builds = touched_builds(project, &changes);
    if builds.is_empty() {
        reporter.status(
            "Verify",
            "no change reaches a Dockerfile or its build context: nothing to build",
        );
        return write(&project.root, &changes);
    }
    let buildkit = builds.iter().any(|build| {
        std::fs::read_to_string(&build.dockerfile).is_ok_and(|text| needs_buildkit(&text))
    });
    let ready = preflight::check(
        engine,
        Arc::new(SystemRunner::from_env()?),
        &preflight::Host::detect(),
        &project.root,
        buildkit,
    )?;
    let mut images = Images {
        engine: ready.engine.clone(),
        tags: Vec::new(),
    };
    let identity = RunIdentity::new("doctor");
    let mut working = Vec::new();
    let mut failures = Vec::new();
    for (number, build) in builds.iter().enumerate() {
        let tag = format!("{}:before-{number}", identity.container_name());
        images.tags.push(tag.clone());
        match build.run(&ready, &tag, verbose, reporter) {
            Ok(()) => working.push((number, build)),
            Err(Error::BuildFailed { step, .. }) => {
                let at = step.map(|s| format!(" at `{s}`")).unwrap_or_default();
                reporter.warn(format!(
                    "{} does not build before the fix either{at}: the fix cannot be checked against it",
                    build.name
                ));
                failures.push(format!("{} fails{at}", build.name));
            }
            Err(other) => return Err(other),
        }
    }
    if working.is_empty() {
        return Err(Error::FixNotVerifiable { failures });
    }
    let written = fix::write(&project.root, &changes);
    if let Some(failure) = written.failure {
        let done = &changes[..written.changes.len()];
        let not_restored = fix::restore(&project.root, done);
        return Err(match failure {
            Error::FixNotWritten { path, source, .. } if not_restored.is_empty() => {
                Error::FixNotWritten {
                    path,
                    source,
                    written: Vec::new(),
                }
            }
            other => other,
        });
    }
    for (number, build) in working.iter() {
        let tag = format!("{}:after-{number}", identity.container_name());
        images.tags.push(tag.clone());
        if let Err(error) = build.run(&ready, &tag, verbose, reporter) {
            let not_restored = fix::restore(&project.root, &changes);
            let restored = changes
                .iter()
                .map(|change| change.path.clone())
                .filter(|path| {
                    !not_restored
                        .iter()
                        .any(|failed| failed.starts_with(path.as_str()))
                })
                .collect();
            return Err(match error {
                Error::BuildFailed { step, tail, .. } => Error::FixBrokeBuild {
                    dockerfile: build.name.clone(),
                    step,
                    tail,
                    restored,
                    not_restored,
                },
                other => other,
            });
        }
    }
    let names: Vec<&str> = working
        .iter()
        .map(|(_, build)| build.name.as_str())
        .collect();
    reporter.status(
        "Verified",
        format!("{} built before and after the fix", names.join(", ")),
    );
    Ok(written.changes)
}

fn write(root: &Path, changes: &[Change]) -> Result<Vec<String>, Error> {
    let written = fix::write(root, changes);
    match written.failure {
        Some(error) => Err(error),
        None => Ok(written.changes),
    }
}

/// One image to build: a Dockerfile and its context.
struct Build {
    /// The Dockerfile's path in the project, for messages.
    name: String,
    dockerfile: PathBuf,
    context: PathBuf,
}

impl Build {
    fn run(
        &self,
        ready: &Ready,
        tag: &str,
        verbose: bool,
        reporter: &Reporter,
    ) -> Result<(), Error> {
        build_image(
            ready,
            tag,
            Some(&self.dockerfile),
            &self.context,
            verbose,
            reporter,
        )
        .map(|_| ())
    }
}

/// The Dockerfiles a change can alter the build of: the file itself, its own
/// `<Dockerfile>.dockerignore`, or anything in its context.
fn touched_builds(project: &Project, changes: &[Change]) -> Vec<Build> {
    project
        .dockerfiles
        .iter()
        .filter(|view| changes.iter().any(|change| touches(view, &change.path)))
        .map(|view| Build {
            name: view.path.clone(),
            dockerfile: project.root.join(&view.path),
            context: project.root.join(context_of(view)),
        })
        .collect()
}

fn touches(view: &DockerfileView, path: &str) -> bool {
    path == view.path
        || path == format!("{}.dockerignore", view.path)
        || is_under(path, context_of(view))
}

/// The images built here, removed when done, however it ends.
struct Images {
    engine: Engine,
    tags: Vec<String>,
}

impl Drop for Images {
    fn drop(&mut self) {
        for tag in &self.tags {
            let _ = self
                .engine
                .output(&["image", "rm", "--force", tag.as_str()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(path: &str, context: &str) -> DockerfileView {
        DockerfileView {
            path: path.to_string(),
            context: context.to_string(),
            parsed: crate::doctor::dockerfile::parse("FROM scratch\n"),
            dockerignore: None,
        }
    }

    #[test]
    fn a_change_touches_the_builds_whose_context_holds_it() {
        let service = view("services/api/Dockerfile", "services/api");
        assert!(touches(&service, "services/api/.dockerignore"));
        assert!(touches(&service, "services/api/entrypoint.sh"));
        assert!(touches(&service, "services/api/Dockerfile"));
        assert!(!touches(&service, ".gitattributes"));
        assert!(!touches(&service, "services/web/.dockerignore"));
        let root = view("build/Dockerfile", "");
        assert!(touches(&root, ".gitattributes"));
        let outside = view("deploy/Dockerfile", "src");
        assert!(touches(&outside, "deploy/Dockerfile.dockerignore"));
    }
}
