//! Everything verify starts is registered here *before* it is started, and removed
//! when the guard is dropped: on success, on failure, on timeout and on Ctrl-C (the
//! `Interrupted` error returns through the guard). Only what verify made is named, so
//! nothing of the user's is touched. The image is kept unless `--rm-image`.

use std::ffi::OsString;

use crate::engine::{Engine, Tool};
use crate::report::Reporter;

/// One thing to undo.
#[derive(Debug)]
enum Started {
    Container(String),
    /// A compose project: `down` with its volumes, network and the images it built.
    Compose {
        tool: Tool,
        leading: Vec<OsString>,
        project: String,
        /// verify's override file, named in `leading`: it must outlive the `down`.
        override_file: Option<tempfile::TempPath>,
    },
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

    /// A compose project run as `tool LEADING… down`; `leading` holds `-p NAME -f FILE…`,
    /// and may name `override_file`, which is deleted after the `down`.
    pub fn compose(
        &mut self,
        tool: Tool,
        leading: Vec<OsString>,
        project: &str,
        override_file: Option<tempfile::TempPath>,
    ) {
        self.started.push(Started::Compose {
            tool,
            leading,
            project: project.to_string(),
            override_file,
        });
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
        self.started
            .drain(..)
            .map(|started| match started {
                Started::Container(name) => self.engine.tool.describe(&["rm", "-f", "-v", &name]),
                Started::Compose {
                    tool,
                    leading,
                    override_file,
                    ..
                } => {
                    // The override file stays, so the printed `down` works later.
                    if let Some(file) = override_file {
                        let _ = file.keep();
                    }
                    let mut args = leading;
                    args.extend(down_args());
                    tool.describe(&args)
                }
            })
            .collect()
    }

    fn remove(&self, started: &Started) {
        let (what, result) = match started {
            Started::Container(name) => (
                format!("container {name}"),
                self.engine.output(&["rm", "-f", "-v", name]).map(|answer| {
                    answer.success
                        || answer.stderr.contains("No such container")
                        || answer.stderr.contains("no such container")
                }),
            ),
            Started::Compose {
                tool,
                leading,
                project,
                ..
            } => {
                let mut args = leading.clone();
                args.extend(down_args());
                (
                    format!("compose project {project} (containers, network, volumes)"),
                    tool.output(&args).map(|answer| answer.success),
                )
            }
        };
        match result {
            Ok(true) => self.reporter.status("Removed", what),
            Ok(false) | Err(_) => self.reporter.warn(format!(
                "could not remove {what}; remove it by hand: {}",
                self.by_hand(started)
            )),
        }
    }

    fn by_hand(&self, started: &Started) -> String {
        match started {
            Started::Container(name) => self.engine.tool.describe(&["rm", "-f", "-v", name]),
            Started::Compose { tool, leading, .. } => {
                let mut args = leading.clone();
                args.extend(down_args());
                tool.describe(&args)
            }
        }
    }
}

/// `down` with everything the project made: volumes, orphans, images it built
/// without a name of their own (`--rmi local`, never a named image).
fn down_args() -> Vec<OsString> {
    [
        "down",
        "--volumes",
        "--remove-orphans",
        "--rmi",
        "local",
        "--timeout",
        "3",
    ]
    .iter()
    .map(OsString::from)
    .collect()
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for started in self.started.iter().rev() {
            self.remove(started);
        }
        if let Some(tag) = &self.remove_image {
            match self.engine.output(&["rmi", tag]) {
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
    use std::path::PathBuf;
    use std::sync::Arc;

    const DOWN: &str = "docker-compose --project-name p --file c.yml down --volumes --remove-orphans --rmi local --timeout 3";

    fn runner() -> Arc<FakeRunner> {
        Arc::new(
            FakeRunner::with_programs(&["docker"])
                .answer("docker rm -f -v c1", true, "c1", "")
                .answer("docker rmi app:verify", true, "", "")
                .answer(DOWN, true, "", ""),
        )
    }

    fn guard(runner: &Arc<FakeRunner>) -> Cleanup {
        let engine = Engine::locate(Some(EngineKind::Docker), runner.clone()).unwrap();
        let compose = Tool::new(PathBuf::from("docker-compose"), &[], runner.clone());
        let mut cleanup = Cleanup::new(engine, Reporter::new(true));
        cleanup.compose(
            compose,
            ["--project-name", "p", "--file", "c.yml"]
                .map(OsString::from)
                .to_vec(),
            "p",
            None,
        );
        cleanup.container("c1");
        cleanup
    }

    #[test]
    fn dropping_removes_everything_started_newest_first() {
        let runner = runner();
        let mut cleanup = guard(&runner);
        cleanup.image("app:verify", true);
        drop(cleanup);
        let calls = runner.calls.lock().unwrap().clone();
        assert_eq!(calls, ["docker rm -f -v c1", DOWN, "docker rmi app:verify"]);
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
            .any(|c| c.starts_with("docker rmi")));
    }

    #[test]
    fn keep_leaves_things_running_and_says_how_to_stop_them() {
        let runner = runner();
        let mut cleanup = guard(&runner);
        cleanup.image("app:verify", true);
        let hints = cleanup.keep_running();
        drop(cleanup);
        assert!(runner.calls.lock().unwrap().is_empty());
        assert_eq!(hints, [DOWN, "docker rm -f -v c1"]);
    }
}
