//! What happens to each file: the baseline render, the user's file now and the new
//! render, merged three ways with git2's merge-file (in an in-memory object store, so
//! nothing is written while planning). Pure apart from that: the caller reads and
//! writes the files.

use git2::{IndexEntry, MergeFileOptions, Odb, Repository};
use serde::Serialize;

use crate::error::Error;
use crate::update::history::{index_entry, Files};

/// What the update does to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Left as it is: the templates did not change it, or it already matches.
    Unchanged,
    /// The template change was merged into the file (the user's edits kept).
    Updated,
    /// A file the new templates make (or one restored with --restore-deleted).
    Added,
    /// Both changed the same lines, or a new template file clashes with the user's:
    /// written with conflict markers.
    Conflict,
    /// The user deleted it; it stays deleted.
    KeptDeleted,
    /// The new templates no longer make it; it stays, for the user to delete.
    DroppedByTemplates,
}

impl Status {
    /// As in `--json` and the report.
    pub fn name(self) -> &'static str {
        match self {
            Status::Unchanged => "unchanged",
            Status::Updated => "updated",
            Status::Added => "added",
            Status::Conflict => "conflict",
            Status::KeptDeleted => "kept-deleted",
            Status::DroppedByTemplates => "dropped-by-templates",
        }
    }
}

/// One file's part of the update.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub path: String,
    pub status: Status,
    /// The user's file now, if any.
    pub before: Option<Vec<u8>>,
    /// What to write, when the file changes.
    pub after: Option<Vec<u8>>,
}

impl FilePlan {
    pub fn writes(&self) -> bool {
        self.after.is_some()
    }
}

/// How conflict markers name the two sides.
pub struct Labels {
    pub old: String,
    pub new: String,
}

/// Plans every file of the old and new renders against the user's files (`ours`).
pub fn plan(
    base: &Files,
    ours: &Files,
    theirs: &Files,
    labels: &Labels,
    restore_deleted: bool,
) -> Result<Vec<FilePlan>, Error> {
    let merger = Merger::new(labels)?;
    let mut plans = Vec::new();
    for (path, new) in theirs {
        let before = ours.get(path);
        let plan = |status, after: Option<Vec<u8>>| FilePlan {
            path: path.clone(),
            status,
            before: before.cloned(),
            after,
        };
        let mine = before.map(|bytes| lf_like(bytes, new));
        plans.push(match (base.get(path), mine.as_ref()) {
            (_, Some(mine)) if mine == new => plan(Status::Unchanged, None),
            (Some(old), Some(_)) if old == new => plan(Status::Unchanged, None),
            (Some(old), Some(mine)) if old == mine => plan(Status::Updated, Some(new.clone())),
            (Some(old), Some(mine)) => merger.merge(path, old, mine, new, plan)?,
            (None, Some(mine)) => merger.merge(path, &[], mine, new, plan)?,
            (Some(_), None) if !restore_deleted => plan(Status::KeptDeleted, None),
            (_, None) => plan(Status::Added, Some(new.clone())),
        });
    }
    for path in base.keys().filter(|path| !theirs.contains_key(*path)) {
        if let Some(mine) = ours.get(path) {
            plans.push(FilePlan {
                path: path.clone(),
                status: Status::DroppedByTemplates,
                before: Some(mine.clone()),
                after: None,
            });
        }
    }
    plans.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(plans)
}

/// The user's file with CRLF read as LF when the template's is LF (an editor's or
/// git's autocrlf doing): line endings alone never make a conflict, and what update
/// writes is LF, as `new` writes it.
fn lf_like(mine: &[u8], template: &[u8]) -> Vec<u8> {
    if template.contains(&b'\r') || !mine.contains(&b'\r') {
        return mine.to_vec();
    }
    let mut lf = Vec::with_capacity(mine.len());
    for (k, byte) in mine.iter().enumerate() {
        if !(*byte == b'\r' && mine.get(k + 1) == Some(&b'\n')) {
            lf.push(*byte);
        }
    }
    lf
}

/// git2's merge-file over a repository that lives only in memory.
struct Merger {
    repository: Repository,
    options_labels: (String, String, String),
}

impl Merger {
    fn new(labels: &Labels) -> Result<Self, Error> {
        let odb = Odb::new().map_err(Error::git("create an object store"))?;
        odb.add_new_mempack_backend(1)
            .map_err(Error::git("create an object store"))?;
        let repository = Repository::from_odb(odb).map_err(Error::git("open an object store"))?;
        Ok(Merger {
            repository,
            options_labels: (
                format!("templates {}", labels.old),
                format!("yours (on {})", labels.old),
                format!("templates {}", labels.new),
            ),
        })
    }

    fn merge(
        &self,
        path: &str,
        old: &[u8],
        mine: &[u8],
        new: &[u8],
        plan: impl Fn(Status, Option<Vec<u8>>) -> FilePlan,
    ) -> Result<FilePlan, Error> {
        let entry = |contents: &[u8]| -> Result<IndexEntry, Error> {
            let id = self
                .repository
                .blob(contents)
                .map_err(Error::git("hold a file for merging"))?;
            Ok(index_entry(path.to_string(), id, 0o100644, contents.len()))
        };
        let (ancestor, ours, theirs) = (entry(old)?, entry(mine)?, entry(new)?);
        let mut options = MergeFileOptions::new();
        let (ancestor_label, our_label, their_label) = &self.options_labels;
        options
            .ancestor_label(ancestor_label.as_str())
            .our_label(our_label.as_str())
            .their_label(their_label.as_str())
            .style_standard(true);
        let result = self
            .repository
            .merge_file_from_index(&ancestor, &ours, &theirs, Some(&mut options))
            .map_err(Error::git("merge a file"))?;
        let merged = result.content().to_vec();
        Ok(match (result.is_automergeable(), merged == mine) {
            (true, true) => plan(Status::Unchanged, None),
            (true, false) => plan(Status::Updated, Some(merged)),
            (false, _) => plan(Status::Conflict, Some(merged)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
            .collect()
    }

    fn labels() -> Labels {
        Labels {
            old: "scaffold 0.1.0".into(),
            new: "scaffold 0.2.0".into(),
        }
    }

    fn statuses(plans: &[FilePlan]) -> Vec<(&str, Status)> {
        plans.iter().map(|p| (p.path.as_str(), p.status)).collect()
    }

    #[test]
    fn every_case_of_one_file() {
        let base = files(&[
            ("same", "a\n"),
            ("template-only", "a\nb\nc\n"),
            ("both", "1\n2\n3\n4\n5\n6\n7\n"),
            ("clash", "x\n"),
            ("deleted", "d\n"),
            ("dropped", "old\n"),
        ]);
        let ours = files(&[
            ("same", "a\nmine\n"),
            ("template-only", "a\nb\nc\n"),
            ("both", "1 mine\n2\n3\n4\n5\n6\n7\n"),
            ("clash", "mine\n"),
            ("dropped", "old\n"),
            ("added-by-user", "u\n"),
        ]);
        let theirs = files(&[
            ("same", "a\n"),
            ("template-only", "a\nB\nc\n"),
            ("both", "1\n2\n3\n4\n5\n6\n7 new\n"),
            ("clash", "theirs\n"),
            ("deleted", "d2\n"),
            ("added-by-user", "t\n"),
            ("new", "n\n"),
        ]);
        let plans = plan(&base, &ours, &theirs, &labels(), false).unwrap();
        assert_eq!(
            statuses(&plans),
            [
                ("added-by-user", Status::Conflict),
                ("both", Status::Updated),
                ("clash", Status::Conflict),
                ("deleted", Status::KeptDeleted),
                ("dropped", Status::DroppedByTemplates),
                ("new", Status::Added),
                ("same", Status::Unchanged),
                ("template-only", Status::Updated),
            ]
        );
        let text = |path: &str| {
            let plan = plans.iter().find(|p| p.path == path).unwrap();
            String::from_utf8(plan.after.clone().unwrap()).unwrap()
        };
        assert_eq!(text("both"), "1 mine\n2\n3\n4\n5\n6\n7 new\n");
        assert_eq!(
            text("clash"),
            "<<<<<<< yours (on scaffold 0.1.0)\nmine\n=======\ntheirs\n>>>>>>> templates scaffold 0.2.0\n"
        );
        let restored = plan(&base, &ours, &theirs, &labels(), true).unwrap();
        // CRLF in the user's copy is not a change of every line.
        let crlf = files(&[("template-only", "a\r\nb\r\nc\r\n")]);
        let merged = plan(&base, &crlf, &theirs, &labels(), false).unwrap();
        let file = merged.iter().find(|p| p.path == "template-only").unwrap();
        assert_eq!(file.after.as_deref(), Some(&b"a\nB\nc\n"[..]));
        assert_eq!(
            restored
                .iter()
                .find(|p| p.path == "deleted")
                .unwrap()
                .status,
            Status::Added
        );
    }
}
