//! Facts about the machine doctor runs on that change the advice: for now, whether it
//! is inside WSL (where a project on the Windows drive builds many times slower).
//! Detection is separate from its inputs so tests can say "this is WSL".

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Host {
    pub wsl: bool,
}

impl Host {
    /// This machine: `WSL_DISTRO_NAME` is set in every WSL shell; `/proc/version`
    /// names Microsoft's kernel even where the variable was dropped (sudo, cron).
    pub fn detect() -> Self {
        let distro = std::env::var_os("WSL_DISTRO_NAME").filter(|name| !name.is_empty());
        let version = std::fs::read_to_string("/proc/version").ok();
        Host::from_facts(distro.is_some(), version.as_deref())
    }

    pub fn from_facts(has_distro_name: bool, proc_version: Option<&str>) -> Self {
        let microsoft_kernel =
            proc_version.is_some_and(|version| version.to_ascii_lowercase().contains("microsoft"));
        Host {
            wsl: has_distro_name || microsoft_kernel,
        }
    }
}

/// The Windows drive letter of a path under `/mnt/<drive>/` (WSL's view of `C:\`…).
pub fn windows_drive(path: &Path) -> Option<char> {
    let text = path.to_str()?;
    let rest = text.strip_prefix("/mnt/")?;
    let mut chars = rest.chars();
    let drive = chars.next()?;
    let after = chars.next();
    (drive.is_ascii_alphabetic() && matches!(after, None | Some('/')))
        .then(|| drive.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsl_from_either_fact() {
        assert!(Host::from_facts(true, None).wsl);
        assert!(
            Host::from_facts(
                false,
                Some("Linux version 5.15.153.1-microsoft-standard-WSL2")
            )
            .wsl
        );
        assert!(!Host::from_facts(false, Some("Linux version 6.1.0-18-amd64")).wsl);
    }

    #[test]
    fn drive_letters() {
        assert_eq!(windows_drive(Path::new("/mnt/c/Users/me/app")), Some('C'));
        assert_eq!(windows_drive(Path::new("/mnt/d")), Some('D'));
        assert_eq!(windows_drive(Path::new("/mnt/wsl/app")), None);
        assert_eq!(windows_drive(Path::new("/home/me/app")), None);
    }
}
