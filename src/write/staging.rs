//! Writing a project atomically: every file goes into a staging folder beside (or, for
//! an existing folder, inside) the destination, and only a finished project is moved
//! into place. On any error or Ctrl-C the staging folder is removed, along with any
//! folder scaffold created on the way, so no half-written project remains.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::error::Error;
use crate::generate::render::RenderedFile;
use crate::interrupt;
use crate::write::destination::Destination;
use crate::write::no_replace;

/// A project written to a staging folder, not yet in place. Dropping it removes it.
pub struct Staged {
    dir: TempDir,
    files: Vec<String>,
    created_ancestors: CreatedDirs,
}

impl Staged {
    /// The staging folder: git initialises the repository here before the move.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves the project into place.
    pub fn publish(mut self, destination: &Path, state: &Destination) -> Result<(), Error> {
        interrupt::check()?;
        match state {
            Destination::Missing => {
                no_replace::rename(self.dir.path(), destination).map_err(|error| {
                    if destination.symlink_metadata().is_ok() {
                        Error::DestinationRefused {
                            path: destination.to_path_buf(),
                            reason: "appeared while scaffold was writing (another run into the same folder?)".into(),
                        }
                    } else {
                        Error::io("move the project into", destination)(error)
                    }
                })?;
                let _ = self.dir.keep();
            }
            Destination::Existing => self.move_each_entry(destination)?,
        }
        self.created_ancestors.keep();
        Ok(())
    }

    /// Into an existing folder, entry by entry, never replacing anything: an entry that
    /// appeared meanwhile (another run into the same folder) fails the move, and every
    /// entry this run moved goes back; nothing another process made is touched.
    fn move_each_entry(&mut self, destination: &Path) -> Result<(), Error> {
        let mut entries = self.files.clone();
        if self.dir.path().join(".git").is_dir() {
            entries.insert(0, ".git".to_string());
        }
        let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut created = CreatedDirs::default();
        for entry in &entries {
            let from = self.dir.path().join(entry);
            let to = destination.join(entry);
            let result = real_parent_dirs(destination, entry, &mut created)
                .and_then(|()| refuse_existing(&to))
                .and_then(|()| move_entry(&from, &to));
            if let Err(error) = result {
                for (from, to) in moved.iter().rev() {
                    let _ = no_replace::rename(to, from);
                }
                return Err(error);
            }
            moved.push((from, to));
        }
        created.keep();
        Ok(())
    }
}

/// Staging folders are named `.scaffold-staging-PID-RANDOM`: the PID of the scaffold
/// that owns it, so a folder left by a killed run can be told from a live one.
const STAGING_PREFIX: &str = ".scaffold-staging-";

/// A staging folder left by a scaffold that is no longer running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleStaging {
    pub path: PathBuf,
    pub pid: u32,
}

/// Removes the staging folders a killed scaffold left where `destination` would be
/// staged (in it, and beside it), and says which. A folder whose owner still runs, or
/// that does not carry an owner, is left alone.
pub fn reap_stale(destination: &Path) -> Vec<StaleStaging> {
    let mut reaped = Vec::new();
    for folder in [destination.to_path_buf(), parent_of(destination)] {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Some(pid) = staging_owner(&entry.file_name().to_string_lossy()) else {
                continue;
            };
            let is_folder = entry.file_type().is_ok_and(|kind| kind.is_dir());
            if is_folder && !process_runs(pid) && fs::remove_dir_all(entry.path()).is_ok() {
                reaped.push(StaleStaging {
                    path: entry.path(),
                    pid,
                });
            }
        }
    }
    reaped
}

/// The owner's PID in a staging folder's name.
fn staging_owner(name: &str) -> Option<u32> {
    let (pid, random) = name.strip_prefix(STAGING_PREFIX)?.split_once('-')?;
    (!random.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Whether a process with this PID runs (a zombie does not). A reused PID keeps a
/// stale folder for one more run, never the other way round.
fn process_runs(pid: u32) -> bool {
    use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System};
    if pid == std::process::id() {
        return true;
    }
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::nothing(),
    );
    system
        .process(pid)
        .is_some_and(|process| process.status() != ProcessStatus::Zombie)
}

/// Writes `files` into a new staging folder for `destination`.
pub fn stage(
    destination: &Path,
    state: &Destination,
    files: &[RenderedFile],
) -> Result<Staged, Error> {
    let (home, created_ancestors) = match state {
        Destination::Existing => (destination.to_path_buf(), CreatedDirs::default()),
        Destination::Missing => {
            let parent = parent_of(destination);
            (parent.clone(), CreatedDirs::create_all(&parent)?)
        }
    };
    let dir = tempfile::Builder::new()
        .prefix(&format!("{STAGING_PREFIX}{}-", std::process::id()))
        .tempdir_in(&home)
        .map_err(Error::io("create a staging folder in", &home))?;
    let staged = Staged {
        dir,
        files: files.iter().map(|f| f.path.clone()).collect(),
        created_ancestors,
    };
    // Folders made so far: asking the disk again for each file costs a failing mkdir
    // and a stat per file.
    let mut made: HashSet<PathBuf> = HashSet::from([staged.path().to_path_buf()]);
    for file in files {
        interrupt::check()?;
        let path = staged.path().join(&file.path);
        if let Some(parent) = path.parent() {
            if !made.contains(parent) {
                fs::create_dir_all(parent).map_err(Error::io("create the folder", parent))?;
                made.extend(parent.ancestors().map(Path::to_path_buf));
            }
        }
        fs::write(&path, &file.contents).map_err(Error::io("write", &path))?;
    }
    Ok(staged)
}

fn move_entry(from: &Path, to: &Path) -> Result<(), Error> {
    no_replace::rename(from, to).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            existing(to)
        } else {
            Error::io("move a file to", to)(error)
        }
    })
}

pub(crate) fn parent_of(destination: &Path) -> PathBuf {
    match destination.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn refuse_existing(path: &Path) -> Result<(), Error> {
    if path.symlink_metadata().is_ok() {
        return Err(existing(path));
    }
    Ok(())
}

fn existing(path: &Path) -> Error {
    Error::WouldOverwrite {
        path: path.parent().unwrap_or(path).to_path_buf(),
        files: vec![path.display().to_string()],
    }
}

/// Creates the folders leading to `entry` inside `root`, refusing to pass through a
/// symlink: a linked folder could carry the write outside the destination.
fn real_parent_dirs(root: &Path, entry: &str, created: &mut CreatedDirs) -> Result<(), Error> {
    let mut path = root.to_path_buf();
    let parts: Vec<&str> = entry.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        path.push(part);
        match path.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::OutsideDestination { path: path.clone() })
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Error::WouldOverwrite {
                    path: root.to_path_buf(),
                    files: vec![path.display().to_string()],
                })
            }
            Err(_) => match fs::create_dir(&path) {
                Ok(()) => created.0.push(path.clone()),
                // Made meanwhile by another process: not ours to remove.
                Err(error)
                    if error.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => {}
                Err(error) => return Err(Error::io("create the folder", &path)(error)),
            },
        }
    }
    Ok(())
}

/// Folders scaffold created; removed again (if still empty) unless kept.
#[derive(Default)]
struct CreatedDirs(Vec<PathBuf>);

impl CreatedDirs {
    /// Like `create_dir_all`, remembering which folders were new.
    fn create_all(path: &Path) -> Result<Self, Error> {
        let mut missing = Vec::new();
        let mut cursor = Some(path);
        while let Some(dir) = cursor.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(dir.to_path_buf());
            cursor = dir.parent();
        }
        let mut created = CreatedDirs::default();
        for dir in missing.into_iter().rev() {
            fs::create_dir(&dir).map_err(Error::io("create the folder", &dir))?;
            created.0.push(dir);
        }
        Ok(created)
    }

    fn keep(&mut self) {
        self.0.clear();
    }
}

impl Drop for CreatedDirs {
    fn drop(&mut self) {
        for dir in self.0.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<RenderedFile> {
        vec![
            RenderedFile {
                path: "go.mod".into(),
                contents: b"module x\n".to_vec(),
            },
            RenderedFile {
                path: "cmd/x/main.go".into(),
                contents: b"package main\n".to_vec(),
            },
        ]
    }

    #[test]
    fn a_new_project_appears_in_one_move() {
        let temp = tempfile::tempdir().unwrap();
        let destination = temp.path().join("a/b/x");
        let staged = stage(&destination, &Destination::Missing, &files()).unwrap();
        staged.publish(&destination, &Destination::Missing).unwrap();
        assert!(destination.join("cmd/x/main.go").is_file());
        let leftovers: Vec<_> = fs::read_dir(temp.path().join("a/b")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "staging folder left behind");
    }

    #[test]
    fn dropping_a_staged_project_leaves_nothing() {
        let temp = tempfile::tempdir().unwrap();
        let destination = temp.path().join("a/b/x");
        drop(stage(&destination, &Destination::Missing, &files()).unwrap());
        assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 0);
    }

    #[test]
    fn into_an_existing_folder_keeps_what_is_there() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("notes.txt"), "mine").unwrap();
        let staged = stage(temp.path(), &Destination::Existing, &files()).unwrap();
        staged.publish(temp.path(), &Destination::Existing).unwrap();
        assert_eq!(
            fs::read_to_string(temp.path().join("notes.txt")).unwrap(),
            "mine"
        );
        assert!(temp.path().join("cmd/x/main.go").is_file());
        assert_eq!(fs::read_dir(temp.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_clash_while_moving_puts_everything_back() {
        let temp = tempfile::tempdir().unwrap();
        fs::write(temp.path().join("notes.txt"), "mine").unwrap();
        let staged = stage(temp.path(), &Destination::Existing, &files()).unwrap();
        // Appears after the check, before the move.
        fs::create_dir_all(temp.path().join("cmd/x")).unwrap();
        fs::write(temp.path().join("cmd/x/main.go"), "theirs").unwrap();
        let error = staged
            .publish(temp.path(), &Destination::Existing)
            .unwrap_err();
        assert!(matches!(error, Error::WouldOverwrite { .. }), "{error}");
        assert_eq!(
            fs::read_to_string(temp.path().join("cmd/x/main.go")).unwrap(),
            "theirs"
        );
        assert!(!temp.path().join("go.mod").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_folder_is_not_followed() {
        let temp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), temp.path().join("cmd")).unwrap();
        let staged = stage(temp.path(), &Destination::Existing, &files()).unwrap();
        let error = staged
            .publish(temp.path(), &Destination::Existing)
            .unwrap_err();
        assert!(matches!(error, Error::OutsideDestination { .. }), "{error}");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn stale_staging_folders_are_reaped_and_live_ones_kept() {
        let temp = tempfile::tempdir().unwrap();
        // PIDs are below 2^22 on Linux and far below u32::MAX everywhere.
        let dead = temp.path().join(format!("{STAGING_PREFIX}4294967294-abc"));
        let mine = temp
            .path()
            .join(format!("{STAGING_PREFIX}{}-abc", std::process::id()));
        let ownerless = temp.path().join(format!("{STAGING_PREFIX}abcdef"));
        for dir in [&dead, &mine, &ownerless] {
            fs::create_dir_all(dir.join("cmd")).unwrap();
        }
        let reaped = reap_stale(temp.path());
        assert_eq!(
            reaped,
            [StaleStaging {
                path: dead.clone(),
                pid: 4294967294
            }]
        );
        assert!(!dead.exists() && mine.exists() && ownerless.exists());
    }
}
