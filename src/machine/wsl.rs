//! WSL: the distro, a project on a Windows drive (`/mnt/c`), `.wslconfig`'s memory and
//! processors for the VM every container runs in, and `appendWindowsPath`, which puts
//! every Windows PATH folder (each lookup crossing to Windows) on Linux's PATH.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::finding::{HostFinding, HostRule, Report};
use crate::doctor::Severity;
use crate::engine::Runner;
use crate::host::{HostResources, WslSuggestion};

pub const CHECK: &str = "wsl";

pub static ON_WINDOWS_DRIVE: HostRule = HostRule {
    id: "SH201",
    name: "project-on-windows-drive",
    severity: Severity::Warning,
    summary: "Inside WSL, the project folder is on a Windows drive (/mnt/c/…).",
    why: "Every file a build or `go` reads crosses the 9P bridge to Windows: builds are many times slower, and file watchers (compose watch, air, IDEs in WSL) see no changes made from Windows.",
    fix: "Move the project into the WSL file system (e.g. ~/src) and open it from Windows as \\\\wsl$\\DISTRO\\home\\….",
};

pub static SMALL_VM: HostRule = HostRule {
    id: "SH202",
    name: "wslconfig-memory-too-small",
    severity: Severity::Warning,
    summary: ".wslconfig gives the WSL2 VM less than 2 GB of memory.",
    why: "Docker Desktop's engine and every build run in that VM; `go build` needs 1-2 GB and is killed (`signal: killed`, exit 137) with less.",
    fix: "Raise `memory=` under [wsl2] in %UserProfile%\\.wslconfig, then `wsl --shutdown`.",
};

pub static MORE_THAN_MACHINE: HostRule = HostRule {
    id: "SH203",
    name: "wslconfig-exceeds-machine",
    severity: Severity::Info,
    summary: ".wslconfig asks for more processors or memory than this machine has.",
    why: "WSL silently gives the VM what the machine has, so the setting does not say what builds really get.",
    fix: "Set `processors=` and `memory=` under [wsl2] in %UserProfile%\\.wslconfig to what the machine has (scaffold suggests values), then `wsl --shutdown`.",
};

pub static WINDOWS_PATH: HostRule = HostRule {
    id: "SH204",
    name: "windows-path-appended",
    severity: Severity::Info,
    summary: "WSL appends the Windows PATH to Linux's (appendWindowsPath is on).",
    why: "Each folder of the Windows PATH is a /mnt/c/… folder; every lookup of a command that is not found (shell completion, scripts probing for tools) walks them across the 9P bridge and takes seconds; Windows programs (docker.exe, go.exe) can also shadow the Linux ones.",
    fix: "Set `appendWindowsPath = false` under [interop] in /etc/wsl.conf, `wsl --shutdown`, and add back only the folders you need (e.g. VS Code's bin) in ~/.profile.",
};

/// What this machine says about WSL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// Inside WSL: the distro.
    pub distro: Option<String>,
    /// scaffold itself runs on Windows (where `.wslconfig` also matters).
    pub windows: bool,
    /// The project folder, absolute.
    pub dir: PathBuf,
    /// `.wslconfig` and its text; `Err` says why it was not read.
    pub wslconfig: Result<(PathBuf, Option<String>), String>,
    /// `/etc/wsl.conf`, if any.
    pub wsl_conf: Option<String>,
    /// PATH's folders.
    pub path: Vec<PathBuf>,
    /// What Linux (inside WSL: the VM) or Windows reports.
    pub resources: HostResources,
}

pub fn gather(dir: &Path, runner: &Arc<dyn Runner>) -> Facts {
    let distro = crate::host::wsl_distro();
    let windows = cfg!(windows);
    let wslconfig = if windows {
        dirs::home_dir()
            .map(|home| home.join(".wslconfig"))
            .ok_or_else(|| "the user profile folder is not known".to_string())
    } else if distro.is_some() {
        windows_profile(runner).map(|profile| profile.join(".wslconfig"))
    } else {
        Err("not WSL".to_string())
    }
    .map(|path| {
        let text = std::fs::read_to_string(&path).ok();
        (path, text)
    });
    Facts {
        distro,
        windows,
        dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        wslconfig,
        wsl_conf: std::fs::read_to_string("/etc/wsl.conf").ok(),
        path: std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect())
            .unwrap_or_default(),
        resources: HostResources::detect(),
    }
}

/// `%USERPROFILE%` of the Windows user, as a WSL path, asked from `cmd.exe`.
fn windows_profile(runner: &Arc<dyn Runner>) -> Result<PathBuf, String> {
    let cmd = runner
        .locate("cmd.exe")
        .or_else(|| {
            let fixed = PathBuf::from("/mnt/c/Windows/System32/cmd.exe");
            fixed.is_file().then_some(fixed)
        })
        .ok_or("cmd.exe is not reachable from WSL (no interop), so the Windows profile folder is not known")?;
    let tool = crate::engine::Tool::new(cmd, &[], Arc::clone(runner));
    let answer = tool
        .output(&["/d", "/c", "echo %USERPROFILE%"])
        .map_err(|error| error.to_string())?;
    wsl_path(answer.stdout.trim()).ok_or_else(|| {
        format!(
            "cmd.exe printed `{}` for %USERPROFILE%",
            answer.stdout.trim()
        )
    })
}

/// `C:\Users\me` as WSL sees it: `/mnt/c/Users/me`.
pub fn wsl_path(windows: &str) -> Option<PathBuf> {
    let mut chars = windows.chars();
    let drive = chars.next().filter(char::is_ascii_alphabetic)?;
    let rest = windows.get(2..).filter(|_| chars.next() == Some(':'))?;
    let rest = rest.replace('\\', "/");
    Some(PathBuf::from(format!(
        "/mnt/{}{rest}",
        drive.to_ascii_lowercase()
    )))
}

/// A `key = value` from an INI file's `[section]` (`.wslconfig`, `wsl.conf`): keys and
/// sections case-insensitive, `#` and `;` comments.
pub fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.trim().to_ascii_lowercase();
        } else if let Some((k, v)) = line.split_once('=') {
            if current == section && k.trim().eq_ignore_ascii_case(key) {
                let value = v.split(['#', ';']).next().unwrap_or_default();
                return Some(value.trim().trim_matches('"').to_string());
            }
        }
    }
    None
}

/// `8GB`, `4096MB`, `2g` in whole-ish gigabytes.
pub fn memory_gb(text: &str) -> Option<f64> {
    let lower = text.trim().to_ascii_lowercase();
    let digits: String = lower
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let number: f64 = digits.parse().ok()?;
    let unit = lower[digits.len()..].trim();
    match unit {
        "gb" | "g" => Some(number),
        "mb" | "m" => Some(number / 1024.0),
        "tb" | "t" => Some(number * 1024.0),
        "kb" | "k" => Some(number / (1024.0 * 1024.0)),
        "" | "b" => Some(number / (1024.0 * 1024.0 * 1024.0)),
        _ => None,
    }
}

pub fn check(facts: &Facts) -> Report {
    if facts.distro.is_none() && !facts.windows {
        return Report::not_applicable(
            CHECK,
            "not inside WSL (no WSL_DISTRO_NAME, and /proc/version names no Microsoft kernel) and not on Windows",
        );
    }
    let mut findings = Vec::new();
    let mut seen = Vec::new();
    if let Some(distro) = &facts.distro {
        seen.push(format!("WSL distro `{distro}`"));
        match crate::host::windows_drive(&facts.dir) {
            Some(drive) => {
                seen.push(format!("project on the Windows drive {drive}:"));
                let name = facts
                    .dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "project".into());
                findings.push(
                    HostFinding::new(&ON_WINDOWS_DRIVE, format!("`{}` is on the Windows drive {drive}: inside WSL (`{distro}`)", facts.dir.display()))
                        .hint(format!("move it into the WSL file system: `mv {} ~/src/{name}`, and open it from Windows as \\\\wsl$\\{distro}\\home\\…", facts.dir.display())),
                );
            }
            None => seen.push("project in the WSL file system".to_string()),
        }
        seen.push(windows_path(facts, &mut findings));
    }
    seen.push(wslconfig(facts, &mut findings));
    Report::checked(CHECK, seen.join("; "), findings)
}

fn windows_path(facts: &Facts, findings: &mut Vec<HostFinding>) -> String {
    let off = facts
        .wsl_conf
        .as_deref()
        .and_then(|text| ini_value(text, "interop", "appendWindowsPath"))
        .is_some_and(|value| value.eq_ignore_ascii_case("false"));
    let windows_folders = facts
        .path
        .iter()
        .filter(|folder| crate::host::windows_drive(folder).is_some())
        .count();
    if off || windows_folders == 0 {
        return "no Windows folders on PATH".to_string();
    }
    findings.push(HostFinding::new(
        &WINDOWS_PATH,
        format!("PATH has {windows_folders} folders on Windows drives (appendWindowsPath is not false in /etc/wsl.conf)"),
    ));
    format!("{windows_folders} Windows folders on PATH")
}

fn wslconfig(facts: &Facts, findings: &mut Vec<HostFinding>) -> String {
    let (path, text) = match &facts.wslconfig {
        Err(why) => return format!(".wslconfig not checked: {why}"),
        Ok((path, None)) => {
            return format!(
                "no {} (WSL gives its VM half the memory and every processor)",
                path.display()
            )
        }
        Ok((path, Some(text))) => (path, text),
    };
    let suggestion = WslSuggestion::for_host(facts.resources);
    let suggested = format!(
        "under [wsl2] in {}: memory={}GB, processors={}, then `wsl --shutdown`",
        path.display(),
        suggestion.memory_gb,
        suggestion.processors
    );
    let memory = ini_value(text, "wsl2", "memory");
    let processors = ini_value(text, "wsl2", "processors").and_then(|p| p.parse::<u64>().ok());
    if let Some(gb) = memory.as_deref().and_then(memory_gb) {
        if gb < 2.0 {
            findings.push(
                HostFinding::new(
                    &SMALL_VM,
                    format!(
                        "{} sets memory={} for the WSL2 VM",
                        path.display(),
                        memory.as_deref().unwrap_or_default()
                    ),
                )
                .hint(format!("raise it, e.g. {suggested}")),
            );
        } else if facts.windows && gb > facts.resources.memory_gib as f64 + 1.0 {
            findings.push(
                HostFinding::new(
                    &MORE_THAN_MACHINE,
                    format!(
                        "{} sets memory={} and this machine has {} GB",
                        path.display(),
                        memory.as_deref().unwrap_or_default(),
                        facts.resources.memory_gib
                    ),
                )
                .hint(format!("set what it has, e.g. {suggested}")),
            );
        }
    }
    if let Some(asked) = processors.filter(|asked| *asked > facts.resources.cores) {
        findings.push(
            HostFinding::new(
                &MORE_THAN_MACHINE,
                format!(
                    "{} sets processors={asked} and {} has {} cores",
                    path.display(),
                    if facts.windows {
                        "this machine"
                    } else {
                        "the WSL VM"
                    },
                    facts.resources.cores
                ),
            )
            .hint(format!("set what the machine has, e.g. {suggested}")),
        );
    }
    format!(
        "{}: memory={}, processors={}",
        path.display(),
        memory.unwrap_or_else(|| "(default)".into()),
        processors.map_or("(default)".to_string(), |p| p.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/version` of a WSL2 kernel.
    const WSL_PROC_VERSION: &str = "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 12.2.0, GNU ld (GNU Binutils) 2.40) #1 SMP Fri Mar 29 23:14:13 UTC 2024\n";

    /// A `.wslconfig` as people write it after a blog post on "WSL eats my RAM".
    const TIGHT_WSLCONFIG: &str =
        "# limits for WSL2\r\n[wsl2]\r\nmemory=1GB   # keep it small\r\nprocessors=2\r\nswap=0\r\n";

    pub fn wsl_facts() -> Facts {
        Facts {
            distro: crate::host::wsl_distro_from(None, Some(WSL_PROC_VERSION)),
            windows: false,
            dir: PathBuf::from("/home/me/src/orders"),
            wslconfig: Ok((PathBuf::from("/mnt/c/Users/me/.wslconfig"), None)),
            wsl_conf: Some("[boot]\nsystemd=true\n[interop]\nappendWindowsPath = false\n".into()),
            path: vec!["/usr/local/bin".into(), "/usr/bin".into()],
            resources: HostResources {
                memory_gib: 16,
                cores: 8,
            },
        }
    }

    fn ids(report: &Report) -> Vec<&str> {
        report.findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn outside_wsl_and_windows_it_does_not_apply() {
        let facts = Facts {
            distro: None,
            ..wsl_facts()
        };
        let report = check(&facts);
        assert!(
            matches!(report.state, super::super::finding::State::NotApplicable(_)),
            "{report:?}"
        );
    }

    #[test]
    fn a_tidy_wsl_setup_finds_nothing() {
        let report = check(&wsl_facts());
        assert!(report.findings.is_empty(), "{report:?}");
        assert!(
            format!("{:?}", report.state).contains("WSL distro `WSL`"),
            "{report:?}"
        );
    }

    #[test]
    fn a_project_under_mnt_c() {
        let facts = Facts {
            dir: PathBuf::from("/mnt/c/Users/me/orders"),
            ..wsl_facts()
        };
        let report = check(&facts);
        assert_eq!(ids(&report), ["SH201"]);
        assert!(
            report.findings[0].fix_text().contains("~/src/orders"),
            "{report:?}"
        );
    }

    #[test]
    fn the_windows_path_on_linux_path() {
        let mut facts = wsl_facts();
        facts.wsl_conf = Some("[boot]\nsystemd=true\n".into());
        facts.path.push("/mnt/c/Windows/system32".into());
        facts
            .path
            .push("/mnt/c/Program Files/Docker/Docker/resources/bin".into());
        let report = check(&facts);
        assert_eq!(ids(&report), ["SH204"]);
        assert!(
            report.findings[0].message.contains("2 folders"),
            "{report:?}"
        );
        facts.wsl_conf = None;
        assert_eq!(ids(&check(&facts)), ["SH204"]);
    }

    #[test]
    fn a_vm_too_small_for_go_builds() {
        let mut facts = wsl_facts();
        facts.wslconfig = Ok((
            PathBuf::from("/mnt/c/Users/me/.wslconfig"),
            Some(TIGHT_WSLCONFIG.into()),
        ));
        let report = check(&facts);
        assert_eq!(ids(&report), ["SH202"]);
        assert!(
            report.findings[0]
                .fix_text()
                .contains("memory=8GB, processors=7"),
            "{report:?}"
        );
        facts.wslconfig = Ok((
            PathBuf::from("/mnt/c/Users/me/.wslconfig"),
            Some("[wsl2]\nmemory=8GB\nprocessors=4\n".into()),
        ));
        assert!(check(&facts).findings.is_empty());
    }

    #[test]
    fn more_processors_than_there_are() {
        let mut facts = wsl_facts();
        facts.windows = true;
        facts.distro = None;
        facts.wslconfig = Ok((
            PathBuf::from(r"C:\Users\me\.wslconfig"),
            Some("[wsl2]\nmemory=64GB\nprocessors=16\n".into()),
        ));
        assert_eq!(ids(&check(&facts)), ["SH203", "SH203"]);
    }

    #[test]
    fn ini_and_paths_are_read_loosely() {
        assert_eq!(
            ini_value(TIGHT_WSLCONFIG, "wsl2", "memory").as_deref(),
            Some("1GB")
        );
        assert_eq!(
            ini_value(
                "[Interop]\nAppendWindowsPath=false",
                "interop",
                "appendwindowspath"
            )
            .as_deref(),
            Some("false")
        );
        assert_eq!(memory_gb("4096MB"), Some(4.0));
        assert_eq!(memory_gb("8GB"), Some(8.0));
        assert_eq!(memory_gb("lots"), None);
        assert_eq!(
            wsl_path(r"C:\Users\me"),
            Some(PathBuf::from("/mnt/c/Users/me"))
        );
        assert_eq!(wsl_path("%USERPROFILE%"), None);
    }
}
