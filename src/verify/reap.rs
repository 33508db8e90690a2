//! What a killed verify left: a verify ended by `kill -9` (or a crash, or a closed
//! laptop) never ran its clean-up, so its container, and the networks and volumes of
//! its compose project, stay. Every verify first removes those whose owner process
//! (see `owner`) is known to be gone, and says so; one whose owner runs, or that
//! another machine started, is left alone.

use std::collections::BTreeSet;

use super::cleanup;
use super::owner::{Owner, BOOT_LABEL, HOST_LABEL, PID_LABEL, STARTED_LABEL};
use super::podman;
use super::{NAME_PREFIX, RUN_LABEL};
use crate::engine::Engine;
use crate::error::Error;
use crate::report::Reporter;

/// A container with verify's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labelled {
    pub id: String,
    pub name: String,
    pub owner: Owner,
    /// Its compose project, when compose started it.
    pub compose_project: Option<String>,
}

/// Removes every container (and compose project) whose owner is gone.
pub fn left_by_killed_runs(
    engine: &Engine,
    here: &Owner,
    reporter: &Reporter,
) -> Result<(), Error> {
    let label = |key| podman::label_field(engine.kind, key);
    let format = [
        "{{.ID}}".to_string(),
        "{{.Names}}".to_string(),
        label(PID_LABEL),
        label(HOST_LABEL),
        label(BOOT_LABEL),
        label(STARTED_LABEL),
        label(cleanup::COMPOSE_PROJECT_LABEL),
    ]
    .join("\t");
    let filter = format!("label={RUN_LABEL}");
    let args = ["ps", "--all", "--filter", &filter, "--format", &format];
    let answer = engine.output(&args)?;
    if !answer.success {
        reporter.warn(format!(
            "could not look for containers left by a killed verify (`{}`: {})",
            engine.tool.describe(&args),
            answer.reason()
        ));
        return Ok(());
    }
    let stale: Vec<Labelled> = parse(&answer.stdout)
        .into_iter()
        .filter(|container| container.owner.is_gone(here))
        .collect();
    let mut projects = BTreeSet::new();
    for container in &stale {
        let mut rm = podman::remove_containers(engine.kind).to_vec();
        rm.push(&container.id);
        let removed = engine.output(&rm)?.success;
        let what = format!(
            "container {}, left by a verify that was killed ({} is gone)",
            container.name,
            container.owner.describe()
        );
        if removed {
            reporter.status("Removed", what);
        } else {
            reporter.warn(format!(
                "could not remove {what}; remove it by hand: {}",
                engine.tool.describe(&["rm", "-f", "-v", &container.name])
            ));
        }
        if let Some(project) = &container.compose_project {
            projects.insert(project.clone());
        }
    }
    for project in projects {
        let outcome = cleanup::remove_project_resources(engine, &project, &Default::default());
        if !outcome.removed.is_empty() {
            reporter.status(
                "Removed",
                format!(
                    "{} of compose project {project}, left by a verify that was killed",
                    outcome.removed.join(", ")
                ),
            );
        }
        for command in outcome.failed {
            reporter.warn(format!(
                "could not remove what a killed verify left; remove it by hand: {command}"
            ));
        }
    }
    Ok(())
}

/// The lines of the `ps` listing; a compose project counts only when it is one of
/// verify's (its name has verify's prefix).
pub fn parse(listing: &str) -> Vec<Labelled> {
    listing
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [id, name, pid, host, boot, started, project] = fields[..] else {
                return None;
            };
            Some(Labelled {
                id: id.trim().to_string(),
                name: name.trim().to_string(),
                owner: Owner::from_values(pid, host, boot, started),
                compose_project: Some(project.trim().to_string())
                    .filter(|p| p.starts_with(NAME_PREFIX)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_are_read_and_only_verify_projects_count() {
        let listing = "abc\tscaffold-verify-a-1\t123\tbox\tb00t\t1700000000\t\n\
                       def\tapp_1\t\t\t\t\tteam-stack\n\
                       ghi\tscaffold-verify-b-2_app_1\t9\tbox\t\t\tscaffold-verify-b-2\n\
                       broken line\n";
        let parsed = parse(listing);
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0].owner.pid, Some(123));
        assert_eq!(parsed[0].owner.started, Some(1_700_000_000));
        assert_eq!(parsed[0].compose_project, None);
        assert_eq!(parsed[1].owner, Owner::default());
        assert_eq!(parsed[1].compose_project, None, "not one of verify's");
        assert_eq!(
            parsed[2].compose_project.as_deref(),
            Some("scaffold-verify-b-2")
        );
    }
}
