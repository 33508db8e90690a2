//! Reading a file scaffold was pointed at (a team template, an answers file): only a
//! regular file, so a FIFO or device cannot make scaffold wait for ever, and never more
//! than a cap, so one huge file cannot exhaust memory.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

use crate::error::Error;

/// The contents of `path`, which must be a regular file of at most `limit_mib` MiB.
/// `what` names the kind of input in errors ("team templates").
pub fn read_regular(path: &Path, limit_mib: u64, what: &'static str) -> Result<Vec<u8>, Error> {
    let file = open_without_blocking(path)?;
    let meta = file.metadata().map_err(Error::io("read", path))?;
    if !meta.is_file() {
        return Err(Error::NotARegularFile {
            path: path.to_path_buf(),
            kind: describe(&meta.file_type()),
            what,
        });
    }
    let limit = limit_mib * 1024 * 1024;
    let too_large = || Error::InputTooLarge {
        path: path.to_path_buf(),
        limit_mib,
        what,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut contents = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut contents)
        .map_err(Error::io("read", path))?;
    if contents.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(contents)
}

/// Opening a FIFO for reading blocks until a writer comes; O_NONBLOCK makes it return
/// at once, so the type can be checked before anything is read.
fn open_without_blocking(path: &Path) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path).map_err(Error::io("open", path))
}

fn describe(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        return "a folder";
    }
    "not a plain file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_small_file_and_refuses_a_large_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(&path, "hi").unwrap();
        assert_eq!(read_regular(&path, 1, "tests").unwrap(), b"hi");
        std::fs::write(&path, vec![b'a'; 1024 * 1024 + 1]).unwrap();
        let error = read_regular(&path, 1, "tests").unwrap_err();
        assert!(matches!(error, Error::InputTooLarge { .. }), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipe");
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let error = read_regular(&path, 1, "tests").unwrap_err();
        assert!(error.to_string().contains("FIFO"), "{error}");
    }
}
