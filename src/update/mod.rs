//! `scaffold update`: re-render a project with its recorded answers (changed by flags)
//! and the current templates, and merge the change into the user's files three ways,
//! against the pristine render it was last merged from (read from git history).
//!
//! Every merge is computed before anything is written; then the files are written all
//! or nothing (`apply`), and the update is committed as a merge with the new render
//! (`history`). Nothing here prints: `commands::update` reports the outcome.

pub mod apply;
pub mod diff;
pub mod history;
pub mod merge;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::UpdateArgs;
use crate::error::Error;
use crate::generate::answers::{complete_variables, Defaults, Fill, TeamDefaults};
use crate::generate::record::{AnswersFile, RECORD_PATH};
use crate::generate::render::RenderedFile;
use crate::generate::render_project;
use crate::generate::revision;
use crate::generate::templates::loader::{self, LoadedTemplates};
use crate::generate::variables;
use crate::interrupt;
use history::{Files, ProjectHistory};
use merge::{FilePlan, Labels, Status};

/// How the update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// The new render is the baseline render: nothing was written.
    NothingToDo,
    /// `--dry-run`: nothing was written.
    DryRun,
    /// Written and committed as a merge with the render commit.
    Committed,
    /// Written; `--no-commit` left the commit to the user.
    Written,
    /// Written with conflict markers; the user resolves and commits.
    Conflicts,
}

/// What the update did (or, dry, would do).
#[derive(Debug)]
pub struct Outcome {
    pub dir: PathBuf,
    pub ending: Ending,
    /// The templates of the baseline render and of the new one, in words.
    pub from: String,
    pub to: String,
    pub baseline: String,
    /// The commit holding the new pristine render, once written.
    pub render: Option<String>,
    /// The update's merge commit.
    pub commit: Option<String>,
    pub files: Vec<FilePlan>,
    /// Answers the flags changed, as `runtime = alpine (was distroless)`.
    pub changed_answers: Vec<String>,
    /// A fetch that failed while a cached copy of the templates was used.
    pub warning: Option<String>,
}

impl Outcome {
    pub fn conflicts(&self) -> impl Iterator<Item = &FilePlan> {
        self.files.iter().filter(|f| f.status == Status::Conflict)
    }
}

pub fn update(args: &UpdateArgs) -> Result<Outcome, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let record_path = dir.join(RECORD_PATH);
    if !record_path.is_file() {
        return Err(Error::NotAScaffoldProject {
            path: dir,
            record: RECORD_PATH,
        });
    }
    let record = AnswersFile::read(&record_path)?;
    let history = ProjectHistory::open(&dir)?;
    if !args.allow_dirty {
        let paths = history.dirty_paths()?;
        if !paths.is_empty() {
            return Err(Error::DirtyTree { paths });
        }
    }
    let templates = loader::load_chosen(&args.source, &[record.templates.as_deref()])?;
    let rendered = render_with_answers(args, &record, &record_path, &templates)?;
    let (new_record, theirs) = split_record(rendered)?;
    let baseline = history.baseline(record.baseline.as_deref())?;
    let base = without_record(history.files_of(&baseline)?);
    let ours = read_project(&dir, base.keys().chain(theirs.keys()))?;
    let labels = Labels {
        old: revision::describe(&record),
        new: revision::describe(&new_record),
    };
    let files = merge::plan(&base, &ours, &theirs, &labels, args.restore_deleted)?;
    let mut outcome = Outcome {
        dir: dir.clone(),
        ending: Ending::NothingToDo,
        from: labels.old,
        to: labels.new,
        baseline: baseline.id().to_string(),
        render: None,
        commit: None,
        files,
        changed_answers: revision::changed_answers(&record, &new_record),
        warning: templates.warning,
    };
    let restores = outcome
        .files
        .iter()
        .any(|f| f.status == Status::Added && base.contains_key(&f.path));
    if base == theirs && !restores {
        return Ok(outcome);
    }
    if args.dry_run {
        outcome.ending = Ending::DryRun;
        return Ok(outcome);
    }
    let message = commit_message(&outcome);
    // From here to the commit, Ctrl-C is honoured only before the first file is
    // replaced (nothing changed then); after that the update finishes, so the files,
    // the record and the commit (or MERGE_HEAD) never disagree.
    let _deferred = interrupt::Deferred::start();
    let render = history.commit_render(
        &with_record(&theirs, &new_record),
        &baseline,
        &format!(
            "Render: {}\n\nThe pristine render `scaffold update` merges from; the update's merge commit brings it in.",
            outcome.to
        ),
    )?;
    outcome.render = Some(render.to_string());
    let written = write(&dir, &outcome.files, &new_record, render)?;
    let conflicted = outcome.conflicts().next().is_some();
    // On a dirty tree the commit would mix the user's uncommitted changes in.
    if conflicted || args.no_commit || args.allow_dirty {
        history.prepare_merge(render, &message)?;
        outcome.ending = if conflicted {
            Ending::Conflicts
        } else {
            Ending::Written
        };
    } else {
        let commit = history.commit_update(&written, render, &message)?;
        outcome.commit = Some(commit.to_string());
        outcome.ending = Ending::Committed;
    }
    Ok(outcome)
}

/// Names both template revisions and every changed answer.
fn commit_message(outcome: &Outcome) -> String {
    let mut message = if outcome.from == outcome.to {
        format!("Update with {}", outcome.to)
    } else {
        format!("Update from {} to {}", outcome.from, outcome.to)
    };
    if !outcome.changed_answers.is_empty() {
        message.push_str(&format!(
            "\n\nChanged answers:\n{}",
            outcome
                .changed_answers
                .iter()
                .map(|change| format!("  {change}"))
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    message.push_str(
        "\n\nMade by `scaffold update`: a merge of the project with the new pristine render.",
    );
    message
}

/// The recorded answers and team variables, with the flags' changes, rendered with the
/// current templates. Nobody is asked: a new variable without a default needs --set.
fn render_with_answers(
    args: &UpdateArgs,
    record: &AnswersFile,
    record_path: &Path,
    templates: &LoadedTemplates,
) -> Result<Vec<RenderedFile>, Error> {
    let manifest = &templates.set.manifest;
    // The record names these only when on: a team's default for them is for new
    // projects, never switched on in a project made without it.
    let team = TeamDefaults {
        ca_cert: None,
        build_proxy: None,
        ..manifest.defaults.clone()
    };
    let defaults = Defaults::layered(&team, None)?;
    let given = args
        .answer_flags
        .given_answers()
        .or(record.given_answers(record_path)?);
    let answers = given.complete(&mut Fill::Defaults, &defaults)?;
    // Variables the templates no longer declare are left out, not refused.
    let mut values: BTreeMap<String, String> = record
        .variables
        .iter()
        .filter(|(key, _)| manifest.variables.iter().any(|v| &v.name == *key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let flag_values: BTreeMap<String, String> = args.set.iter().cloned().collect();
    variables::check_given(&manifest.variables, &flag_values, "--set")?;
    values.extend(flag_values);
    let values = complete_variables(&manifest.variables, values, &mut Fill::Defaults)?;
    render_project(&answers, &values, templates)
}

/// The new record apart from the rendered files: it is scaffold's, written whole.
fn split_record(rendered: Vec<RenderedFile>) -> Result<(AnswersFile, Files), Error> {
    let mut record = None;
    let mut files = Files::new();
    for file in rendered {
        if file.path == RECORD_PATH {
            record = Some(AnswersFile::from_rendered(&file)?);
        } else {
            files.insert(file.path, file.contents);
        }
    }
    let record = record.unwrap_or_default();
    Ok((record, files))
}

fn without_record(mut files: Files) -> Files {
    files.remove(RECORD_PATH);
    files
}

fn with_record(files: &Files, record: &AnswersFile) -> Files {
    let mut files = files.clone();
    let file = record.to_rendered_file();
    files.insert(file.path, file.contents);
    files
}

/// The user's files at these paths (a missing one is absent).
fn read_project<'p>(dir: &Path, paths: impl Iterator<Item = &'p String>) -> Result<Files, Error> {
    let mut files = Files::new();
    for path in paths {
        let full = dir.join(path);
        match std::fs::read(&full) {
            Ok(contents) => {
                files.insert(path.clone(), contents);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(Error::io("read", full)(error)),
        }
    }
    Ok(files)
}

/// Writes the planned files and the record naming the new baseline; returns what was
/// written, for the commit.
fn write(
    dir: &Path,
    plans: &[FilePlan],
    new_record: &AnswersFile,
    render: git2::Oid,
) -> Result<Files, Error> {
    let record = AnswersFile {
        baseline: Some(render.to_string()),
        ..new_record.clone()
    }
    .to_rendered_file();
    let old_record = std::fs::read(dir.join(RECORD_PATH)).ok();
    let mut changes: Vec<apply::Change<'_>> = plans
        .iter()
        .filter_map(|plan| {
            plan.after.as_deref().map(|contents| apply::Change {
                path: &plan.path,
                contents,
                before: plan.before.as_deref(),
            })
        })
        .collect();
    changes.push(apply::Change {
        path: RECORD_PATH,
        contents: &record.contents,
        before: old_record.as_deref(),
    });
    apply::write_all(dir, &changes)?;
    Ok(changes
        .iter()
        .map(|change| (change.path.to_string(), change.contents.to_vec()))
        .collect())
}
