//! Facts about the machine scaffold runs on: its size (for the `.wslconfig`
//! suggestion) and whether it is a Linux inside WSL (for doctor's and verify's advice
//! on where to keep a project).

use std::path::Path;

/// Memory and cores of this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostResources {
    pub memory_gib: u64,
    pub cores: u64,
}

impl HostResources {
    /// Reads this machine; falls back to a modest laptop when the OS will not say.
    pub fn detect() -> Self {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        let memory_gib = system.total_memory() / (1024 * 1024 * 1024);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u64)
            .unwrap_or(4);
        HostResources {
            memory_gib: if memory_gib == 0 { 8 } else { memory_gib },
            cores,
        }
    }
}

/// What to give the WSL2 VM that runs Docker Desktop's engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WslSuggestion {
    pub memory_gb: u64,
    pub processors: u64,
    pub swap_gb: u64,
}

impl WslSuggestion {
    /// Half the memory (Go builds need 2 GB or more; more than 16 rarely helps) and all
    /// cores but one, so Windows stays responsive while `go build` runs in parallel.
    pub fn for_host(host: HostResources) -> Self {
        let memory_gb = (host.memory_gib / 2)
            .clamp(2, 16)
            .min(host.memory_gib.max(2));
        let processors = if host.cores > 2 {
            host.cores - 1
        } else {
            host.cores.max(1)
        };
        let swap_gb = (memory_gb / 4).clamp(1, 8);
        WslSuggestion {
            memory_gb,
            processors,
            swap_gb,
        }
    }
}

/// The WSL distro this runs in, if any: `WSL_DISTRO_NAME` is set in every WSL shell;
/// `/proc/version` names Microsoft's kernel even where the variable was dropped (sudo,
/// cron), and then the distro is just "WSL".
pub fn wsl_distro() -> Option<String> {
    wsl_distro_from(
        std::env::var("WSL_DISTRO_NAME").ok().as_deref(),
        std::fs::read_to_string("/proc/version").ok().as_deref(),
    )
}

/// `wsl_distro` from its two facts, so tests can say "this is WSL".
pub fn wsl_distro_from(
    distro_variable: Option<&str>,
    proc_version: Option<&str>,
) -> Option<String> {
    if let Some(name) = distro_variable.filter(|name| !name.is_empty()) {
        return Some(name.to_string());
    }
    let microsoft_kernel =
        proc_version.is_some_and(|version| version.to_ascii_lowercase().contains("microsoft"));
    microsoft_kernel.then(|| "WSL".to_string())
}

/// The Windows drive letter of a path under `/mnt/<drive>/`, WSL's view of `C:\`: a
/// project there builds many times slower, every file crossing the 9P bridge.
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
        assert_eq!(
            wsl_distro_from(Some("Ubuntu"), None).as_deref(),
            Some("Ubuntu")
        );
        let kernel = "Linux version 5.15.153.1-microsoft-standard-WSL2";
        assert_eq!(wsl_distro_from(None, Some(kernel)).as_deref(), Some("WSL"));
        assert_eq!(
            wsl_distro_from(Some(""), Some("Linux version 6.1.0-18-amd64")),
            None
        );
    }

    #[test]
    fn drive_letters() {
        assert_eq!(windows_drive(Path::new("/mnt/c/Users/me/app")), Some('C'));
        assert_eq!(windows_drive(Path::new("/mnt/d")), Some('D'));
        assert_eq!(windows_drive(Path::new("/mnt/wsl/app")), None);
        assert_eq!(windows_drive(Path::new("/home/me/app")), None);
    }

    #[test]
    fn sizes_follow_the_host() {
        let laptop = WslSuggestion::for_host(HostResources {
            memory_gib: 16,
            cores: 8,
        });
        assert_eq!(
            (laptop.memory_gb, laptop.processors, laptop.swap_gb),
            (8, 7, 2)
        );
        let small = WslSuggestion::for_host(HostResources {
            memory_gib: 4,
            cores: 2,
        });
        assert_eq!(
            (small.memory_gb, small.processors, small.swap_gb),
            (2, 2, 1)
        );
        let big = WslSuggestion::for_host(HostResources {
            memory_gib: 128,
            cores: 32,
        });
        assert_eq!((big.memory_gb, big.processors, big.swap_gb), (16, 31, 4));
    }

    #[test]
    fn detection_reports_something_plausible() {
        let host = HostResources::detect();
        assert!(host.memory_gib >= 1 && host.cores >= 1, "{host:?}");
    }
}
