//! What `.gitignore` would hide from `git add`: the project's `.gitignore` files (each
//! applying below its folder, the deepest deciding), the work tree's own above the
//! project, and `.git/info/exclude`. Doctor reads tracked files whatever these say; this
//! answers "would a file `--fix` writes be left out of the next commit?".

use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;
use ignore::Match;

#[derive(Debug, Default)]
pub struct GitIgnores {
    /// Deepest folder first.
    matchers: Vec<Gitignore>,
}

impl GitIgnores {
    /// `files`: absolute paths of `.gitignore` files (and `info/exclude`, whose patterns
    /// apply from `exclude_root`).
    pub fn new(files: &[PathBuf], exclude: Option<(&Path, &Path)>) -> GitIgnores {
        let mut matchers: Vec<Gitignore> = files
            .iter()
            .map(|file| Gitignore::new(file).0)
            .filter(|matcher| !matcher.is_empty())
            .collect();
        if let Some((root, file)) = exclude {
            let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
            builder.add(file);
            if let Ok(matcher) = builder.build() {
                if !matcher.is_empty() {
                    matchers.push(matcher);
                }
            }
        }
        matchers.sort_by_key(|matcher| std::cmp::Reverse(matcher.path().components().count()));
        GitIgnores { matchers }
    }

    /// Whether git would leave `absolute` out of `git add` (unless already tracked).
    pub fn hides(&self, absolute: &Path, is_dir: bool) -> bool {
        for matcher in &self.matchers {
            if !absolute.starts_with(matcher.path()) || absolute == matcher.path() {
                continue;
            }
            match matcher.matched_path_or_any_parents(absolute, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}
