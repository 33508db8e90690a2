//! Writes an update's files all or nothing: every new version goes to a temporary file
//! beside its target first; only when all are written are they renamed into place. If a step fails, every file already replaced gets its old
//! bytes back and every added file goes again, so the tree is as it was.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::interrupt;

/// One file to write: its path in the project, the new bytes, and the old ones.
pub struct Change<'a> {
    pub path: &'a str,
    pub contents: &'a [u8],
    pub before: Option<&'a [u8]>,
}

/// Writes every file, or none. The caller holds Ctrl-C off (`interrupt::Deferred`):
/// it is honoured here, before the first file is replaced.
pub fn write_all(dir: &Path, writes: &[Change<'_>]) -> Result<(), Error> {
    let mut prepared = Prepared::default();
    for write in writes {
        prepared.add(dir, write)?;
    }
    interrupt::check()?;
    prepared.commit()
}

/// Temporary files written so far, and folders made for them; dropped unfinished, it
/// removes them all.
#[derive(Default)]
struct Prepared<'a> {
    pending: Vec<(PathBuf, PathBuf, &'a Change<'a>)>,
    created_dirs: Vec<PathBuf>,
    done: bool,
}

impl<'a> Prepared<'a> {
    fn add(&mut self, dir: &Path, write: &'a Change<'a>) -> Result<(), Error> {
        let target = self.real_parents(dir, write.path)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = target.with_file_name(format!(".{name}.scaffold-update~"));
        // A plain create keeps the user's umask, as `new` does; an existing file keeps
        // its own mode (an executable stays executable).
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(Error::io("write", &temporary))?;
        self.pending
            .push((temporary.clone(), target.clone(), write));
        file.write_all(write.contents)
            .and_then(|()| file.sync_all())
            .map_err(Error::io("write", &temporary))?;
        if let Ok(meta) = fs::metadata(&target) {
            fs::set_permissions(&temporary, meta.permissions())
                .map_err(Error::io("keep the mode of", &target))?;
        }
        Ok(())
    }

    /// Creates the folders leading to `path`, never through a symlink.
    fn real_parents(&mut self, dir: &Path, path: &str) -> Result<PathBuf, Error> {
        let mut cursor = dir.to_path_buf();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            cursor.push(part);
            match cursor.symlink_metadata() {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(Error::OutsideDestination { path: cursor }),
                Err(_) => {
                    fs::create_dir(&cursor).map_err(Error::io("create the folder", &cursor))?;
                    self.created_dirs.push(cursor.clone());
                }
            }
        }
        Ok(dir.join(path))
    }

    fn commit(mut self) -> Result<(), Error> {
        for k in 0..self.pending.len() {
            let (temporary, target, _) = &self.pending[k];
            if let Err(error) = fs::rename(temporary, target) {
                let error = Error::io("replace", target.clone())(error);
                self.undo(k);
                return Err(error);
            }
        }
        self.done = true;
        Ok(())
    }

    /// Puts back the first `count` files, already renamed into place.
    fn undo(&mut self, count: usize) {
        for (_, target, write) in &self.pending[..count] {
            let _ = match write.before {
                Some(bytes) => fs::write(target, bytes),
                None => fs::remove_file(target),
            };
        }
    }
}

impl Drop for Prepared<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        for (temporary, _, _) in &self.pending {
            let _ = fs::remove_file(temporary);
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change<'a>(path: &'a str, contents: &'a [u8], before: Option<&'a [u8]>) -> Change<'a> {
        Change {
            path,
            contents,
            before,
        }
    }

    #[test]
    fn writes_every_file_and_leaves_no_temporary_one() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("a"), "old").unwrap();
        let writes = [
            change("a", b"new", Some(b"old")),
            change("x/y/b", b"added", None),
        ];
        write_all(temp.path(), &writes).unwrap();
        assert_eq!(fs::read_to_string(temp.path().join("a")).unwrap(), "new");
        assert_eq!(
            fs::read_to_string(temp.path().join("x/y/b")).unwrap(),
            "added"
        );
        assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_failure_leaves_the_tree_as_it_was() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("a"), "old").unwrap();
        // `blocked` is a file, so `blocked/c` cannot be written.
        fs::write(temp.path().join("blocked"), "file").unwrap();
        let writes = [
            change("a", b"new", Some(b"old")),
            change("n/added", b"added", None),
            change("blocked/c", b"c", None),
        ];
        assert!(write_all(temp.path(), &writes).is_err());
        assert_eq!(fs::read_to_string(temp.path().join("a")).unwrap(), "old");
        let mut names: Vec<_> = fs::read_dir(temp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "blocked"]);
    }

    #[test]
    fn a_failed_rename_puts_back_the_files_already_replaced() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("a"), "old").unwrap();
        // A folder holding a file cannot be replaced by a file: the second rename fails.
        fs::create_dir(temp.path().join("d")).unwrap();
        fs::write(temp.path().join("d/inside"), "x").unwrap();
        let writes = [
            change("a", b"new", Some(b"old")),
            change("d", b"file", None),
        ];
        assert!(write_all(temp.path(), &writes).is_err());
        assert_eq!(fs::read_to_string(temp.path().join("a")).unwrap(), "old");
        assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn an_executable_stays_executable() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let script = temp.path().join("run.sh");
        fs::write(&script, "old").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        let writes = [change("run.sh", b"new", Some(b"old"))];
        write_all(temp.path(), &writes).unwrap();
        let mode = fs::metadata(&script).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }
}
