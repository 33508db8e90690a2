//! Moving a file or folder into place without ever replacing what is there: two runs
//! into one folder, or a file that appears mid-move, must make the move fail, not
//! silently swap one project's file for another's. `std::fs::rename` replaces a file
//! (and on Unix an empty folder), so it is used only where nothing can be replaced.

use std::fs;
use std::io;
use std::path::Path;

/// Moves `from` to `to`; fails with `AlreadyExists` if `to` exists, and leaves both
/// untouched then. Atomic on Linux (`renameat2` with `RENAME_NOREPLACE`); elsewhere a
/// file is hard-linked then unlinked (a link never replaces) and a folder claims its
/// name with `create_dir` first.
pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    match linux::rename_noreplace(from, to) {
        Err(error) if matches!(error.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {}
        other => return other,
    }
    portable(from, to)
}

fn portable(from: &Path, to: &Path) -> io::Result<()> {
    if from.symlink_metadata()?.is_dir() {
        return move_folder(from, to);
    }
    match fs::hard_link(from, to) {
        Ok(()) => fs::remove_file(from),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(error),
        // A file system without hard links (FAT): check, then move; the window
        // between the two is the best such a file system allows.
        Err(_) if to.symlink_metadata().is_ok() => Err(io::ErrorKind::AlreadyExists.into()),
        Err(_) => fs::rename(from, to),
    }
}

/// `create_dir` fails if the name is taken, so the empty folder it makes is this
/// process's own; renaming onto it replaces only that (POSIX allows it for an empty
/// folder; Windows needs it removed first).
fn move_folder(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir(to)?;
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(_) if cfg!(windows) => {
            fs::remove_dir(to)?;
            fs::rename(from, to)
        }
        Err(error) => {
            let _ = fs::remove_dir(to);
            Err(error)
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CString;
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
        let c = |path: &Path| {
            CString::new(path.as_os_str().as_bytes())
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
        };
        let (from, to) = (c(from)?, c(to)?);
        // SAFETY: both are valid NUL-terminated paths, relative to the working folder.
        let result = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_replaces_a_file_or_a_folder() {
        let temp = tempfile::tempdir().unwrap();
        let (a, b) = (temp.path().join("a"), temp.path().join("b"));
        fs::write(&a, "a").unwrap();
        fs::write(&b, "b").unwrap();
        for attempt in [rename(&a, &b), portable(&a, &b)] {
            assert_eq!(attempt.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        }
        assert_eq!(fs::read_to_string(&b).unwrap(), "b");
        assert_eq!(fs::read_to_string(&a).unwrap(), "a");
        let (dir, empty) = (temp.path().join("dir"), temp.path().join("empty"));
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("x"), "x").unwrap();
        fs::create_dir(&empty).unwrap();
        for attempt in [rename(&dir, &empty), portable(&dir, &empty)] {
            assert_eq!(attempt.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        }
        assert!(dir.join("x").is_file());
    }

    #[test]
    fn moves_into_a_free_name() {
        let temp = tempfile::tempdir().unwrap();
        for (i, move_it) in [rename as fn(&Path, &Path) -> io::Result<()>, portable]
            .iter()
            .enumerate()
        {
            let (file, dir) = (
                temp.path().join(format!("f{i}")),
                temp.path().join(format!("d{i}")),
            );
            fs::write(&file, "x").unwrap();
            fs::create_dir(&dir).unwrap();
            fs::write(dir.join("y"), "y").unwrap();
            move_it(&file, &temp.path().join(format!("f{i}-moved"))).unwrap();
            move_it(&dir, &temp.path().join(format!("d{i}-moved"))).unwrap();
            assert!(temp.path().join(format!("d{i}-moved/y")).is_file());
            assert!(!file.exists() && !dir.exists());
        }
    }
}
