//! Everything verify starts is registered here *before* it is started, and removed
//! when the guard is dropped: on success, on failure, on timeout and on Ctrl-C (the
//! `Interrupted` error returns through the guard). Only what verify made is named, so
//! nothing of the user's is touched: a compose project is removed by its unique
//! project label, and of its networks and volumes only those that did not exist
//! before `up` (never `down --volumes`, which also deletes a volume the compose file
//! names with `name:`, a developer's own data). The image is kept unless `--rm-image`.

use std::collections::BTreeSet;

use crate::engine::Engine;
use crate::error::Error;
use crate::report::Reporter;

/// The label compose puts on the containers, networks and volumes of a project.
pub const COMPOSE_PROJECT_LABEL: &str = "com.docker.compose.project";

/// Names of the volumes and networks there were before a compose project started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Existing {
    pub volumes: BTreeSet<String>,
    pub networks: BTreeSet<String>,
}

impl Existing {
    pub fn list(engine: &Engine) -> Result<Existing, Error> {
        let names = |kind: &str| -> Result<BTreeSet<String>, Error> {
            let text = engine.checked(&[kind, "ls", "--format", "{{.Name}}"])?;
            Ok(text.lines().map(|l| l.trim().to_string()).collect())
        };
        Ok(Existing {
            volumes: names("volume")?,
            networks: names("network")?,
        })
    }
}

/// One compose project verify started.
#[derive(Debug)]
pub struct ComposeRun {
    pub project: String,
    /// What existed before `up`: never removed.
    pub before: Existing,
    /// The tags verify built the project's other services under (never the user's).
    pub images: Vec<String>,
    /// verify's override file, named in the compose command: it must outlive the run.
    pub override_file: Option<tempfile::TempPath>,
}

/// One thing to undo.
#[derive(Debug)]
enum Started {
    Container(String),
    Compose(ComposeRun),
}

/// What a removal did: the things removed, and the commands that failed (to run by hand).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub removed: Vec<String>,
    pub failed: Vec<String>,
}

/// A kind of thing a compose project makes: how to list it by label and remove it
/// (containers as `podman::remove_containers` says for the engine).
struct ResourceKind {
    noun: &'static str,
    list: &'static [&'static str],
    name_format: &'static str,
    remove: &'static [&'static str],
}

/// In the order they are removed: a network or volume in use cannot go first.
const PROJECT_RESOURCES: [ResourceKind; 3] = [
    ResourceKind {
        noun: "container",
        list: &["ps", "--all"],
        name_format: "{{.Names}}",
        remove: &["rm", "-f", "-v"],
    },
    ResourceKind {
        noun: "network",
        list: &["network", "ls"],
        name_format: "{{.Name}}",
        remove: &["network", "rm"],
    },
    ResourceKind {
        noun: "volume",
        list: &["volume", "ls"],
        name_format: "{{.Name}}",
        remove: &["volume", "rm"],
    },
];

/// The engine commands that remove what compose project `project` made and that are
/// not in `before` (what each removes, and its arguments), and the listings that failed.
fn project_removals(
    engine: &Engine,
    project: &str,
    before: &Existing,
) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let filter = format!("label={COMPOSE_PROJECT_LABEL}={project}");
    let mut removals = Vec::new();
    let mut failed = Vec::new();
    for kind in &PROJECT_RESOURCES {
        let keep = match kind.noun {
            "network" => Some(&before.networks),
            "volume" => Some(&before.volumes),
            _ => None,
        };
        let mut list: Vec<&str> = kind.list.to_vec();
        list.extend(["--filter", &filter, "--format", kind.name_format]);
        match engine.output_despite_interrupt(&list) {
            Ok(answer) if answer.success => {
                let names: Vec<String> = answer
                    .stdout
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|n| !n.is_empty() && keep.is_none_or(|k| !k.contains(n)))
                    .collect();
                if !names.is_empty() {
                    let remove = match kind.noun {
                        "container" => super::podman::remove_containers(engine.kind),
                        _ => kind.remove,
                    };
                    let mut args: Vec<String> = remove.iter().map(|a| a.to_string()).collect();
                    args.extend(names.iter().cloned());
                    removals.push((format!("{}s {}", kind.noun, names.join(", ")), args));
                }
            }
            _ => failed.push(engine.tool.describe(&list)),
        }
    }
    (removals, failed)
}

/// Removes what compose project `project` made that is not in `before`.
pub fn remove_project_resources(engine: &Engine, project: &str, before: &Existing) -> Outcome {
    let (removals, mut failed) = project_removals(engine, project, before);
    let mut removed = Vec::new();
    for (what, args) in removals {
        match engine.output_despite_interrupt(&args) {
            Ok(answer) if answer.success => removed.push(what),
            _ => failed.push(engine.tool.describe(&args)),
        }
    }
    Outcome { removed, failed }
}

pub struct Cleanup {
    engine: Engine,
    reporter: Reporter,
    started: Vec<Started>,
    /// The image tag to remove at the end (`--rm-image`).
    remove_image: Option<String>,
    /// The image tag that stays, for the closing message.
    kept_image: Option<String>,
}

impl Cleanup {
    pub fn new(engine: Engine, reporter: Reporter) -> Self {
        Cleanup {
            engine,
            reporter,
            started: Vec::new(),
            remove_image: None,
            kept_image: None,
        }
    }

    pub fn container(&mut self, name: &str) {
        self.started.push(Started::Container(name.to_string()));
    }

    /// A compose project, registered before its `up`.
    pub fn compose(&mut self, run: ComposeRun) {
        self.started.push(Started::Compose(run));
    }

    /// The image built: removed at the end when `remove`, else kept and named.
    pub fn image(&mut self, tag: &str, remove: bool) {
        if remove {
            self.remove_image = Some(tag.to_string());
        } else {
            self.kept_image = Some(tag.to_string());
        }
    }

    /// `--keep`: leaves what runs running (and so its image); the commands that stop it.
    pub fn keep_running(&mut self) -> Vec<String> {
        if let Some(tag) = self.remove_image.take() {
            self.kept_image = Some(tag);
        }
        let started: Vec<Started> = self.started.drain(..).collect();
        started
            .into_iter()
            .rev()
            .flat_map(|started| match started {
                Started::Container(name) => {
                    vec![self.engine.tool.describe(&["rm", "-f", "-v", &name])]
                }
                Started::Compose(run) => {
                    let (removals, _) = project_removals(&self.engine, &run.project, &run.before);
                    let mut commands: Vec<String> = removals
                        .iter()
                        .map(|(_, args)| self.engine.tool.describe(args))
                        .collect();
                    if !run.images.is_empty() {
                        let mut rmi = vec!["rmi".to_string()];
                        rmi.extend(run.images.iter().cloned());
                        commands.push(self.engine.tool.describe(&rmi));
                    }
                    commands
                }
            })
            .collect()
    }

    fn remove(&self, started: &Started) {
        match started {
            Started::Container(name) => {
                let removed = self
                    .engine
                    .output_despite_interrupt(&["rm", "-f", "-v", name])
                    .is_ok_and(|answer| {
                        answer.success
                            || answer.stderr.contains("No such container")
                            || answer.stderr.contains("no such container")
                    });
                if removed {
                    self.reporter.status("Removed", format!("container {name}"));
                } else {
                    self.reporter.warn(format!(
                        "could not remove container {name}; remove it by hand: {}",
                        self.engine.tool.describe(&["rm", "-f", "-v", name])
                    ));
                }
            }
            Started::Compose(run) => self.remove_compose(run),
        }
    }

    fn remove_compose(&self, run: &ComposeRun) {
        let mut outcome = remove_project_resources(&self.engine, &run.project, &run.before);
        for tag in &run.images {
            match self.engine.output_despite_interrupt(&["rmi", tag]) {
                Ok(answer) if answer.success => outcome.removed.push(format!("image {tag}")),
                Ok(answer) if super::podman::image_is_missing(&answer.stderr) => {}
                _ => outcome
                    .failed
                    .push(self.engine.tool.describe(&["rmi", tag])),
            }
        }
        let removed = if outcome.removed.is_empty() {
            "nothing was left".to_string()
        } else {
            outcome.removed.join("; ")
        };
        self.reporter.status(
            "Removed",
            format!("compose project {} ({removed})", run.project),
        );
        for command in outcome.failed {
            self.reporter.warn(format!(
                "could not remove all of compose project {}; remove the rest by hand: {command}",
                run.project
            ));
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for started in self.started.iter().rev() {
            self.remove(started);
        }
        if let Some(tag) = &self.remove_image {
            match self.engine.output_despite_interrupt(&["rmi", tag]) {
                Ok(answer) if answer.success => {
                    self.reporter.status("Removed", format!("image {tag}"))
                }
                _ => self.reporter.warn(format!(
                    "could not remove image {tag}; remove it with `{}`",
                    self.engine.tool.describe(&["rmi", tag])
                )),
            }
        }
        if let Some(tag) = &self.kept_image {
            self.reporter.status(
                "Kept",
                format!(
                    "image {tag} (remove it with `{}`)",
                    self.engine.tool.describe(&["rmi", tag])
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runner::fake::FakeRunner;
    use crate::engine::EngineKind;
    use std::sync::Arc;

    const FILTER: &str = "--filter label=com.docker.compose.project=p";

    fn runner() -> Arc<FakeRunner> {
        Arc::new(
            FakeRunner::with_programs(&["docker"])
                .answer("docker rm -f -v c1", true, "c1", "")
                .answer("docker rmi app:verify", true, "", "")
                .answer("docker rmi p-worker:verify", true, "", "")
                .answer(
                    &format!("docker ps --all {FILTER} --format {{{{.Names}}}}"),
                    true,
                    "p_app_1\np_redis_1\n",
                    "",
                )
                .answer(
                    &format!("docker network ls {FILTER} --format {{{{.Name}}}}"),
                    true,
                    "p_default\n",
                    "",
                )
                .answer(
                    &format!("docker volume ls {FILTER} --format {{{{.Name}}}}"),
                    true,
                    "p_cache\ndevdata\n",
                    "",
                )
                .answer("docker rm -f -v p_app_1 p_redis_1", true, "", "")
                .answer("docker network rm p_default", true, "", "")
                .answer("docker volume rm p_cache", true, "", ""),
        )
    }

    fn guard(runner: &Arc<FakeRunner>) -> Cleanup {
        let engine = Engine::locate(Some(EngineKind::Docker), runner.clone()).unwrap();
        let mut cleanup = Cleanup::new(engine, Reporter::new(true));
        let mut before = Existing::default();
        // A volume of the user's that the compose file names and that compose labelled
        // (say, a run of this very project under this name) existed before: it stays.
        before.volumes.insert("devdata".to_string());
        cleanup.compose(ComposeRun {
            project: "p".into(),
            before,
            images: vec!["p-worker:verify".into()],
            override_file: None,
        });
        cleanup.container("c1");
        cleanup
    }

    fn removals(calls: &[String]) -> Vec<String> {
        calls
            .iter()
            .filter(|c| !c.contains(" ls ") && !c.starts_with("docker ps"))
            .cloned()
            .collect()
    }

    #[test]
    fn dropping_removes_everything_started_newest_first_and_only_what_is_new() {
        let runner = runner();
        let mut cleanup = guard(&runner);
        cleanup.image("app:verify", true);
        drop(cleanup);
        let calls = runner.calls.lock().unwrap().clone();
        assert_eq!(
            removals(&calls),
            [
                "docker rm -f -v c1",
                "docker rm -f -v p_app_1 p_redis_1",
                "docker network rm p_default",
                "docker volume rm p_cache",
                "docker rmi p-worker:verify",
                "docker rmi app:verify"
            ]
        );
        assert!(!calls
            .iter()
            .any(|c| c.contains("devdata") && !c.contains(" ls ")));
        assert!(!calls.iter().any(|c| c.contains("down")));
    }

    #[test]
    fn the_image_is_kept_by_default() {
        let runner = runner();
        let mut cleanup = guard(&runner);
        cleanup.image("app:verify", false);
        drop(cleanup);
        assert!(!runner
            .calls
            .lock()
            .unwrap()
            .iter()
            .any(|c| c == "docker rmi app:verify"));
    }

    #[test]
    fn keep_leaves_things_running_and_says_how_to_stop_them() {
        let runner = runner();
        let mut cleanup = guard(&runner);
        cleanup.image("app:verify", true);
        let hints = cleanup.keep_running();
        drop(cleanup);
        assert!(removals(&runner.calls.lock().unwrap()).is_empty());
        assert_eq!(
            hints,
            [
                "docker rm -f -v c1",
                "docker rm -f -v p_app_1 p_redis_1",
                "docker network rm p_default",
                "docker volume rm p_cache",
                "docker rmi p-worker:verify"
            ]
        );
    }

    /// podman-compose starts a service with `--requires` on its dependencies, and
    /// podman removes those only together with the dependents (`--depend`); a
    /// compose project's image that was never built ("image not known") is no failure.
    #[test]
    fn podman_removes_dependent_containers_together() {
        let listing = format!("podman ps --all {FILTER} --format {{{{.Names}}}}");
        let empty = |kind: &str| format!("podman {kind} ls {FILTER} --format {{{{.Name}}}}");
        let runner = Arc::new(
            FakeRunner::with_programs(&["podman"])
                .answer(&listing, true, "p_redis_1\np_app_1\n", "")
                .answer(&empty("network"), true, "", "")
                .answer(&empty("volume"), true, "", "")
                .answer("podman rm -f -v --depend p_redis_1 p_app_1", true, "", "")
                .answer(
                    "podman rmi p-worker:verify",
                    false,
                    "",
                    "Error: p-worker:verify: image not known",
                ),
        );
        let engine = Engine::locate(Some(EngineKind::Podman), runner.clone()).unwrap();
        let outcome = remove_project_resources(&engine, "p", &Existing::default());
        assert_eq!(outcome.removed, ["containers p_redis_1, p_app_1"]);
        assert!(outcome.failed.is_empty(), "{outcome:?}");
        let mut cleanup = Cleanup::new(engine, Reporter::new(true));
        cleanup.compose(ComposeRun {
            project: "p".into(),
            before: Existing::default(),
            images: vec!["p-worker:verify".into()],
            override_file: None,
        });
        drop(cleanup);
        assert!(runner
            .calls
            .lock()
            .unwrap()
            .contains(&"podman rmi p-worker:verify".to_string()));
    }
}
