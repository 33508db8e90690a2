//! What is already at the destination, and whether the project may go there. Nothing
//! here writes.

use std::path::Path;

use crate::error::Error;
use crate::generate::render::RenderedFile;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Nothing there: the staged project is moved into place in one rename.
    Missing,
    /// A folder, empty or (with --force) holding files the project does not touch.
    Existing,
}

/// Checks the destination before anything is written: a non-empty folder needs
/// `--force`, and even then no file of the project may already exist there.
pub fn check(path: &Path, files: &[RenderedFile], force: bool) -> Result<Destination, Error> {
    if !path.exists() {
        if path.symlink_metadata().is_ok() {
            // A dangling symlink: the project would land wherever it points.
            return Err(Error::OutsideDestination {
                path: path.to_path_buf(),
            });
        }
        refuse_a_file_on_the_way(path)?;
        return Ok(Destination::Missing);
    }
    if !path.is_dir() {
        return Err(Error::DestinationIsAFile {
            path: path.to_path_buf(),
        });
    }
    let entries = entries(path)?;
    if entries.is_empty() {
        return Ok(Destination::Existing);
    }
    if !force {
        return Err(Error::DestinationNotEmpty {
            path: path.to_path_buf(),
            entries,
        });
    }
    let clashes: Vec<String> = files
        .iter()
        .filter(|file| path.join(&file.path).symlink_metadata().is_ok())
        .map(|file| file.path.clone())
        .collect();
    if !clashes.is_empty() {
        return Err(Error::WouldOverwrite {
            path: path.to_path_buf(),
            files: clashes,
        });
    }
    Ok(Destination::Existing)
}

/// The nearest existing ancestor must be a folder: `notes.txt/demo` cannot be made.
fn refuse_a_file_on_the_way(path: &Path) -> Result<(), Error> {
    let nearest = path
        .ancestors()
        .skip(1)
        .find(|dir| !dir.as_os_str().is_empty() && dir.symlink_metadata().is_ok());
    match nearest {
        Some(dir) if !dir.is_dir() => Err(Error::DestinationIsAFile {
            path: dir.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// The names in a folder, sorted, for messages.
fn entries(path: &Path) -> Result<Vec<String>, Error> {
    let read = std::fs::read_dir(path).map_err(Error::io("read the folder", path))?;
    let mut names = Vec::new();
    for entry in read {
        let entry = entry.map_err(Error::io("read the folder", path))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            contents: vec![],
        }
    }

    #[test]
    fn missing_and_empty_folders_are_fine() {
        let temp = tempfile::tempdir().unwrap();
        let missing = temp.path().join("new");
        assert_eq!(check(&missing, &[], false).unwrap(), Destination::Missing);
        assert_eq!(
            check(temp.path(), &[], false).unwrap(),
            Destination::Existing
        );
    }

    #[test]
    fn non_empty_needs_force_and_force_never_overwrites() {
        let temp = tempfile::tempdir().unwrap();
        std::fs::write(temp.path().join("notes.txt"), "mine").unwrap();
        let error = check(temp.path(), &[file("go.mod")], false).unwrap_err();
        assert!(error.to_string().contains("`notes.txt`"), "{error}");
        assert_eq!(
            check(temp.path(), &[file("go.mod")], true).unwrap(),
            Destination::Existing
        );
        let error = check(temp.path(), &[file("notes.txt")], true).unwrap_err();
        assert!(error.to_string().contains("would overwrite"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_or_a_file_on_the_way_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        let link = temp.path().join("link");
        std::os::unix::fs::symlink(temp.path().join("gone"), &link).unwrap();
        assert!(matches!(
            check(&link, &[], false),
            Err(Error::OutsideDestination { .. })
        ));
        std::fs::write(temp.path().join("notes.txt"), "").unwrap();
        let error = check(&temp.path().join("notes.txt/a/demo"), &[], false).unwrap_err();
        assert!(
            matches!(&error, Error::DestinationIsAFile { path } if path.ends_with("notes.txt")),
            "{error}"
        );
    }
}
