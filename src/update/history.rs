//! The project's git history as `update` uses it: the render lineage is a side line of
//! commits, each holding one pristine render (the first is `new`'s first commit), and
//! each update is a merge commit with the new render as its second parent, so every
//! baseline stays reachable from the branch and survives a clone. Only git2, no `git`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{
    Commit, Index, IndexEntry, IndexTime, ObjectType, Oid, Repository, Signature, Sort,
    StatusOptions, TreeWalkMode, TreeWalkResult,
};

use crate::error::Error;
use crate::generate::record::RECORD_PATH;

/// Files by relative `/` path.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Used when the user has no git identity; the commit is still theirs to amend.
const FALLBACK_NAME: &str = "scaffold";
const FALLBACK_EMAIL: &str = "scaffold@localhost";

/// The repository holding a project, and where in it the project lives.
pub struct ProjectHistory {
    repository: Repository,
    /// The project's folder inside the work tree: empty, or `services/orders/`.
    prefix: String,
}

impl ProjectHistory {
    /// The repository `dir` is in; update refuses without one (exit 2).
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let needs_git = || Error::UpdateNeedsGit {
            path: dir.to_path_buf(),
        };
        let repository = Repository::discover(dir).map_err(|_| needs_git())?;
        let work_tree = repository.workdir().ok_or_else(needs_git)?;
        let canonical = |path: &Path| path.canonicalize().map_err(Error::io("resolve", path));
        let inside = canonical(dir)?
            .strip_prefix(canonical(work_tree)?)
            .map(Path::to_path_buf)
            .map_err(|_| needs_git())?;
        let prefix: String = inside
            .components()
            .map(|part| format!("{}/", part.as_os_str().to_string_lossy()))
            .collect();
        Ok(ProjectHistory { repository, prefix })
    }

    /// Uncommitted changes and untracked files in the project (ignored ones do not
    /// count): an update on top of them could not be undone with git alone.
    pub fn dirty_paths(&self) -> Result<Vec<String>, Error> {
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        if !self.prefix.is_empty() {
            options.pathspec(&self.prefix);
        }
        let statuses = self
            .repository
            .statuses(Some(&mut options))
            .map_err(Error::git("read the working tree's status"))?;
        Ok(statuses
            .iter()
            .filter_map(|entry| entry.path().map(|p| self.relative(p).to_string()))
            .collect())
    }

    /// The commit holding the last pristine render: the one the record names, or, for
    /// a project fresh from `new`, the oldest commit holding the record.
    pub fn baseline(&self, recorded: Option<&str>) -> Result<Commit<'_>, Error> {
        match recorded {
            Some(id) => Oid::from_str(id)
                .ok()
                .and_then(|oid| self.repository.find_commit(oid).ok())
                .ok_or_else(|| Error::BaselineMissing {
                    what: format!("commit {id}, named as `baseline` in {RECORD_PATH}, is not in this repository"),
                    fix: "The merge commit of the last update keeps it reachable; if that merge was squashed or rebased away, fetch it again, or set `baseline` to a commit whose files are the project exactly as scaffold last rendered it".to_string(),
                }),
            None => self.first_commit_with_record(),
        }
    }

    fn first_commit_with_record(&self) -> Result<Commit<'_>, Error> {
        let missing = || Error::BaselineMissing {
            what: format!("is not in git history: no commit holds {RECORD_PATH}"),
            fix: "Commit the project as `scaffold new` made it, then run update".to_string(),
        };
        let record = format!("{}{RECORD_PATH}", self.prefix);
        let mut walk = self
            .repository
            .revwalk()
            .map_err(Error::git("walk history"))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(Error::git("walk history"))?;
        if walk.push_head().is_err() {
            return Err(missing());
        }
        for oid in walk {
            let commit = self
                .repository
                .find_commit(oid.map_err(Error::git("walk history"))?)
                .map_err(Error::git("read a commit"))?;
            let tree = commit.tree().map_err(Error::git("read a commit's tree"))?;
            if tree.get_path(Path::new(&record)).is_ok() {
                return Ok(commit);
            }
        }
        Err(missing())
    }

    /// The project's files in `commit`.
    pub fn files_of(&self, commit: &Commit<'_>) -> Result<Files, Error> {
        let mut tree = commit.tree().map_err(Error::git("read a commit's tree"))?;
        if !self.prefix.is_empty() {
            let entry = tree
                .get_path(Path::new(self.prefix.trim_end_matches('/')))
                .map_err(Error::git("find the project in the baseline"))?;
            tree = self
                .repository
                .find_tree(entry.id())
                .map_err(Error::git("read the project's tree"))?;
        }
        let mut files = Files::new();
        let mut failure = None;
        tree.walk(TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() != Some(ObjectType::Blob) {
                return TreeWalkResult::Ok;
            }
            match self.repository.find_blob(entry.id()) {
                Ok(blob) => {
                    let name = entry.name().unwrap_or_default();
                    files.insert(format!("{root}{name}"), blob.content().to_vec());
                    TreeWalkResult::Ok
                }
                Err(error) => {
                    failure = Some(error);
                    TreeWalkResult::Abort
                }
            }
        })
        .map_err(Error::git("read the baseline's files"))?;
        match failure {
            Some(error) => Err(Error::git("read a baseline file")(error)),
            None => Ok(files),
        }
    }

    /// Writes `files` as a render commit on top of `parent` (no branch moves, no file
    /// changes) and returns its id.
    pub fn commit_render(
        &self,
        files: &Files,
        parent: &Commit<'_>,
        message: &str,
    ) -> Result<Oid, Error> {
        let tree = self.tree_of(files, Some(parent), true)?;
        let signature = self.signature()?;
        self.repository
            .commit(None, &signature, &signature, message, &tree, &[parent])
            .map_err(Error::git("write the render commit"))
    }

    /// Commits the update on the current branch: HEAD's files with `written` replaced,
    /// as a merge of HEAD and the render commit. The index gets the same files, so
    /// anything else staged stays staged, not committed.
    pub fn commit_update(&self, written: &Files, render: Oid, message: &str) -> Result<Oid, Error> {
        let head = self
            .repository
            .head()
            .and_then(|head| head.peel_to_commit())
            .map_err(Error::git("read HEAD"))?;
        let render = self
            .repository
            .find_commit(render)
            .map_err(Error::git("read the render commit"))?;
        let tree = self.tree_of(written, Some(&head), false)?;
        let signature = self.signature()?;
        let id = self
            .repository
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &[&head, &render],
            )
            .map_err(Error::git("commit the update"))?;
        let mut index = self
            .repository
            .index()
            .map_err(Error::git("open the index"))?;
        for path in written.keys() {
            index
                .add_path(Path::new(&format!("{}{path}", self.prefix)))
                .map_err(Error::git("stage an updated file"))?;
        }
        index.write().map_err(Error::git("write the index"))?;
        Ok(id)
    }

    /// Leaves the update for the user to commit, as a `git merge` with conflicts (or
    /// `--no-commit`) does: `git commit` then makes the merge with the render commit.
    pub fn prepare_merge(&self, render: Oid, message: &str) -> Result<(), Error> {
        let git_dir = self.repository.path();
        let write = |name: &str, text: String| -> Result<(), Error> {
            let path = git_dir.join(name);
            std::fs::write(&path, text).map_err(Error::io("write", path))
        };
        write("MERGE_HEAD", format!("{render}\n"))?;
        // As `git merge --no-ff`: `git commit` keeps both parents even when HEAD is
        // an ancestor of the render (a project fresh from `new`).
        write("MERGE_MODE", "no-ff".to_string())?;
        write("MERGE_MSG", format!("{message}\n"))
    }

    /// A tree of `files` (under the project's prefix) on top of `base`'s tree, with
    /// file modes kept from it; `replace_project` first empties the project's folder,
    /// so a render holds exactly the rendered files and the rest of a monorepo as it was.
    fn tree_of(
        &self,
        files: &Files,
        base: Option<&Commit<'_>>,
        replace_project: bool,
    ) -> Result<git2::Tree<'_>, Error> {
        let mut index = Index::new().map_err(Error::git("create an index"))?;
        let base_tree = base
            .map(|commit| commit.tree())
            .transpose()
            .map_err(Error::git("read HEAD's tree"))?;
        if let Some(tree) = &base_tree {
            index
                .read_tree(tree)
                .map_err(Error::git("read HEAD's tree"))?;
        }
        let modes: BTreeMap<Vec<u8>, u32> = index.iter().map(|e| (e.path, e.mode)).collect();
        if replace_project {
            let emptied = match self.prefix.trim_end_matches('/') {
                "" => index.clear(),
                folder => index.remove_dir(Path::new(folder), 0),
            };
            emptied.map_err(Error::git("empty the project's folder in the tree"))?;
        }
        for (path, contents) in files {
            let full = format!("{}{path}", self.prefix);
            let mode = modes.get(full.as_bytes()).copied().unwrap_or(0o100644);
            let id = self
                .repository
                .blob(contents)
                .map_err(Error::git("write a file to git"))?;
            index
                .add(&index_entry(full, id, mode, contents.len()))
                .map_err(Error::git("add a file to the tree"))?;
        }
        let id = index
            .write_tree_to(&self.repository)
            .map_err(Error::git("write a tree"))?;
        self.repository
            .find_tree(id)
            .map_err(Error::git("read a tree"))
    }

    fn signature(&self) -> Result<Signature<'static>, Error> {
        self.repository
            .signature()
            .or_else(|_| Signature::now(FALLBACK_NAME, FALLBACK_EMAIL))
            .map_err(Error::git("sign the commit"))
    }

    /// A work-tree path as a project path.
    fn relative<'p>(&self, path: &'p str) -> &'p str {
        path.strip_prefix(&self.prefix).unwrap_or(path)
    }

    /// The work tree's root, for messages.
    pub fn work_tree(&self) -> PathBuf {
        self.repository
            .workdir()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// An index entry for a blob: what git2 takes for a tree or a file merge.
pub fn index_entry(path: String, id: Oid, mode: u32, size: usize) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(size).unwrap_or(u32::MAX),
        id,
        flags: 0,
        flags_extended: 0,
        path: path.into_bytes(),
    }
}
