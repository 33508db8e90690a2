//! The project's git repository: `git init` on branch main and a first commit, through
//! git2's typed API (no shell, so no user value can become a git option).

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Repository, RepositoryInitOptions, Signature};

use crate::error::Error;
use crate::generate::templates::paths::is_git_folder;

/// Used when the user has no git identity configured; the report says how to fix it.
const FALLBACK_NAME: &str = "scaffold";
const FALLBACK_EMAIL: &str = "scaffold@localhost";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstCommit {
    pub id: String,
    /// True when the user's git identity was missing and the fallback was used.
    pub used_fallback_identity: bool,
}

/// The work tree of the repository `destination` would land in, if any: a project
/// inside an existing repository must not get a nested one.
pub fn enclosing_repository(destination: &Path) -> Option<PathBuf> {
    // A relative destination (`demo`) ends in the empty path, which is the current folder.
    let existing = destination
        .ancestors()
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }
        })
        .find(|dir| dir.is_dir())?;
    let repository = Repository::discover(existing).ok()?;
    repository.workdir().map(Path::to_path_buf)
}

/// Initialises a repository in `dir` on branch main and commits every file. Staging
/// honours the project's .gitignore and .gitattributes.
/// The folder must not hold git's own folder already: re-initialising would keep a
/// planted config (and its `core.fsmonitor` command).
pub fn init_and_commit(dir: &Path, message: &str) -> Result<FirstCommit, Error> {
    refuse_existing_git_folder(dir)?;
    let mut options = RepositoryInitOptions::new();
    options.initial_head("main");
    options.no_reinit(true);
    // git's stock template folder holds only inactive `*.sample` hooks; copying them
    // is most of what `init` writes. A template folder the user configured
    // (`init.templateDir`, a team's hooks) is still used.
    match std::env::var_os("GIT_TEMPLATE_DIR") {
        Some(dir) => {
            options
                .external_template(true)
                .template_path(Path::new(&dir));
        }
        None => {
            options.external_template(has_configured_template_dir());
        }
    }
    let repository =
        Repository::init_opts(dir, &options).map_err(Error::git("initialise the repository"))?;
    let mut index = repository.index().map_err(Error::git("open the index"))?;
    index
        .add_all(["*"], IndexAddOption::DEFAULT, None)
        .map_err(Error::git("stage the files"))?;
    index.write().map_err(Error::git("write the index"))?;
    let tree_id = index.write_tree().map_err(Error::git("write the tree"))?;
    let tree = repository
        .find_tree(tree_id)
        .map_err(Error::git("read the tree"))?;
    let (signature, used_fallback_identity) = match repository.signature() {
        Ok(signature) => (signature, false),
        Err(_) => (
            Signature::now(FALLBACK_NAME, FALLBACK_EMAIL).map_err(Error::git("sign the commit"))?,
            true,
        ),
    };
    let id = repository
        .commit(Some("HEAD"), &signature, &signature, message, &tree, &[])
        .map_err(Error::git("make the first commit"))?;
    Ok(FirstCommit {
        id: id.to_string(),
        used_fallback_identity,
    })
}

fn has_configured_template_dir() -> bool {
    git2::Config::open_default()
        .and_then(|config| config.get_path("init.templatedir"))
        .is_ok()
}

fn refuse_existing_git_folder(dir: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(Error::io("read the folder", dir))?;
    for entry in entries {
        let entry = entry.map_err(Error::io("read the folder", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_git_folder(&name) {
            return Err(Error::UnsafeTemplatePath {
                path: name,
                reason: "was in the project before `git init`: a template must never write git's own folder".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_every_file_on_main() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("go.mod"), "module x\n").unwrap();
        std::fs::write(temp.path().join(".gitignore"), "/bin/\n").unwrap();
        std::fs::create_dir(temp.path().join("bin")).unwrap();
        std::fs::write(temp.path().join("bin/x"), "binary").unwrap();
        let commit = init_and_commit(temp.path(), "first").unwrap();
        let repository = Repository::open(temp.path()).unwrap();
        let head = repository.head().unwrap();
        assert_eq!(head.shorthand(), Some("main"));
        let tree = head.peel_to_commit().unwrap().tree().unwrap();
        assert_eq!(commit.id, head.target().unwrap().to_string());
        let names: Vec<_> = tree.iter().map(|e| e.name().unwrap().to_string()).collect();
        assert_eq!(names, [".gitignore", "go.mod"]);
    }

    #[test]
    fn finds_an_enclosing_repository_from_a_missing_destination() {
        let temp = tempfile::tempdir().unwrap();
        Repository::init(temp.path()).unwrap();
        let inside = temp.path().join("services/new");
        let found = enclosing_repository(&inside).unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            temp.path().canonicalize().unwrap()
        );
    }

    #[test]
    fn never_initialises_over_a_planted_git_folder() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir(temp.path().join(".GIT")).unwrap();
        std::fs::write(
            temp.path().join(".GIT/config"),
            "[core]\nfsmonitor = touch pwned\n",
        )
        .unwrap();
        let error = init_and_commit(temp.path(), "first").unwrap_err();
        assert!(error.to_string().contains("git's own folder"), "{error}");
    }
}
