//! Reading a team's template folder from disk. Symlinks are followed only while they
//! stay inside the folder, a symlink loop is an error naming it, only regular files are
//! read (a FIFO would block for ever), and the set has a size bound, so a hostile or
//! broken folder cannot hang scaffold or exhaust its memory.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::generate::input_file::read_regular;

/// The largest single template file, in MiB.
pub const FILE_LIMIT_MIB: u64 = 8;
/// The most bytes and files a whole team set may hold.
pub const SET_LIMIT_MIB: u64 = 64;
pub const SET_FILE_LIMIT: usize = 10_000;

/// (relative path with `/`, contents), sorted by path. The folder's own `.git` is skipped.
pub fn read_folder(root: &Path) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let canonical_root = root.canonicalize().map_err(|source| Error::Io {
        action: "open the template folder",
        path: root.to_path_buf(),
        source,
    })?;
    if !canonical_root.is_dir() {
        return Err(Error::Io {
            action: "open the template folder",
            path: root.to_path_buf(),
            source: std::io::Error::other("it is not a folder"),
        });
    }
    let mut walk = Walk {
        root: canonical_root.clone(),
        open: vec![(canonical_root.clone(), String::new())],
        files: Vec::new(),
        bytes: 0,
    };
    walk.folder(&canonical_root, "")?;
    walk.files.sort();
    Ok(walk.files)
}

struct Walk {
    root: PathBuf,
    /// The folders being read, outermost first, with their relative paths: a folder
    /// whose real path is among them would be read for ever.
    open: Vec<(PathBuf, String)>,
    files: Vec<(String, Vec<u8>)>,
    bytes: u64,
}

impl Walk {
    fn folder(&mut self, dir: &Path, prefix: &str) -> Result<(), Error> {
        let entries = fs::read_dir(dir).map_err(Error::io("read the template folder", dir))?;
        for entry in entries {
            let entry = entry.map_err(Error::io("read the template folder", dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if prefix.is_empty() && name == ".git" {
                continue;
            }
            let relative = format!("{prefix}{name}");
            let path = self.inside_root(&entry.path(), &relative)?;
            if path.is_dir() {
                self.enter(path, relative)?;
            } else {
                self.file(&path, relative)?;
            }
        }
        Ok(())
    }

    fn enter(&mut self, path: PathBuf, relative: String) -> Result<(), Error> {
        if let Some((_, ancestor)) = self.open.iter().find(|(open, _)| *open == path) {
            let ancestor = if ancestor.is_empty() {
                "the template folder itself".to_string()
            } else {
                format!("`{ancestor}`")
            };
            return Err(Error::UnsafeTemplatePath {
                path: relative,
                reason: format!(
                    "is a symlink loop: it leads back to {ancestor}, so the folder would never end"
                ),
            });
        }
        self.open.push((path.clone(), relative.clone()));
        self.folder(&path, &format!("{relative}/"))?;
        self.open.pop();
        Ok(())
    }

    fn file(&mut self, path: &Path, relative: String) -> Result<(), Error> {
        let contents = read_regular(path, FILE_LIMIT_MIB, "team templates")?;
        self.bytes += contents.len() as u64;
        if self.files.len() >= SET_FILE_LIMIT || self.bytes > SET_LIMIT_MIB * 1024 * 1024 {
            return Err(Error::TemplateLimit(format!(
                "the team template folder holds more than {SET_FILE_LIMIT} files or {SET_LIMIT_MIB} MiB (reached at `{relative}`); a project template is far smaller, so check the folder (or its symlinks)"
            )));
        }
        self.files.push((relative, contents));
        Ok(())
    }

    /// The real path of `path`, which must be inside the root even after symlinks.
    fn inside_root(&self, path: &Path, relative: &str) -> Result<PathBuf, Error> {
        let real = path
            .canonicalize()
            .map_err(Error::io("follow the template path", path))?;
        if !real.starts_with(&self.root) {
            return Err(Error::UnsafeTemplatePath {
                path: relative.to_string(),
                reason: format!(
                    "is a symlink to `{}`, outside the template folder",
                    real.display()
                ),
            });
        }
        Ok(real)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn folder_symlinks_pointing_out_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "x").unwrap();
        let folder = tempfile::tempdir().unwrap();
        fs::write(folder.path().join("ok.txt"), "ok").unwrap();
        symlink("ok.txt", folder.path().join("inside")).unwrap();
        assert_eq!(read_folder(folder.path()).unwrap().len(), 2);
        symlink(outside.path().join("secret"), folder.path().join("leak")).unwrap();
        let error = read_folder(folder.path()).unwrap_err();
        assert!(error.to_string().contains("`leak`"), "{error}");
    }

    #[test]
    fn a_symlink_loop_is_an_error_naming_it() {
        let folder = tempfile::tempdir().unwrap();
        fs::create_dir(folder.path().join("sub")).unwrap();
        fs::write(folder.path().join("sub/a.txt"), "a").unwrap();
        symlink(".", folder.path().join("sub/loop")).unwrap();
        let error = read_folder(folder.path()).unwrap_err().to_string();
        assert!(
            error.contains("`sub/loop`") && error.contains("symlink loop"),
            "{error}"
        );
    }

    #[test]
    fn a_symlink_to_a_sibling_folder_is_read_twice_not_refused() {
        let folder = tempfile::tempdir().unwrap();
        fs::create_dir(folder.path().join("a")).unwrap();
        fs::write(folder.path().join("a/x"), "x").unwrap();
        symlink("a", folder.path().join("b")).unwrap();
        let paths: Vec<String> = read_folder(folder.path())
            .unwrap()
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(paths, ["a/x", "b/x"]);
    }
}
