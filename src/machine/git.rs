//! Git's `core.autocrlf`: with `true` (Git for Windows offers it at install) every text
//! file is checked out with CRLF, and a shell script copied into a Linux image fails
//! with `/bin/sh^M: bad interpreter` or `exec format error`, unless the project's
//! `.gitattributes` pins LF. doctor's project rules find the CRLF files already there;
//! this says what the machine will do to the next checkout.

use std::path::Path;

use super::finding::{HostFinding, HostRule, Report};
use crate::doctor::gitattributes::Gitattributes;
use crate::doctor::Severity;

pub const CHECK: &str = "git";

pub static AUTOCRLF: HostRule = HostRule {
    id: "SH701",
    name: "autocrlf-converts-checkouts",
    severity: Severity::Warning,
    summary: "git's core.autocrlf is true and the project's .gitattributes does not pin LF.",
    why: "Every checkout then writes CRLF; shell scripts and entrypoints copied into a Linux image fail (`/bin/sh^M: bad interpreter`, `exec format error`), and files differ between Windows and Linux clones.",
    fix: "Commit a .gitattributes with `* text=auto eol=lf` (`scaffold doctor --fix` writes one), or `git config --global core.autocrlf input`.",
};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// `core.autocrlf` and where it is set (`repository`, `global`, `system`…).
    pub autocrlf: Option<(String, String)>,
    /// DIR is inside a git repository.
    pub in_repository: bool,
    /// The project's `.gitattributes`.
    pub gitattributes: Option<String>,
    /// A shell script in the project (the files CRLF breaks), if any.
    pub shell_script: Option<String>,
}

pub fn gather(dir: &Path) -> Facts {
    let repository = git2::Repository::discover(dir).ok();
    let config = match &repository {
        Some(repository) => repository.config(),
        None => git2::Config::open_default(),
    };
    let autocrlf = config.ok().and_then(|config| {
        let entry = config.get_entry("core.autocrlf").ok()?;
        let value = entry.value()?.to_string();
        Some((value, level_name(entry.level()).to_string()))
    });
    Facts {
        autocrlf,
        in_repository: repository.is_some(),
        gitattributes: super::read_small(&dir.join(".gitattributes")),
        shell_script: shell_script(dir),
    }
}

fn level_name(level: git2::ConfigLevel) -> &'static str {
    match level {
        git2::ConfigLevel::Local | git2::ConfigLevel::Worktree => "repository",
        git2::ConfigLevel::Global | git2::ConfigLevel::XDG => "global",
        git2::ConfigLevel::System | git2::ConfigLevel::ProgramData => "system",
        _ => "config",
    }
}

/// The first `*.sh` within a few levels of DIR, as git would see it (ignored files
/// skipped).
fn shell_script(dir: &Path) -> Option<String> {
    ignore::WalkBuilder::new(dir)
        .max_depth(Some(4))
        .build()
        .filter_map(Result::ok)
        .find(|entry| {
            entry.file_type().is_some_and(|t| t.is_file())
                && entry.path().extension().is_some_and(|e| e == "sh")
        })
        .and_then(|entry| {
            entry
                .path()
                .strip_prefix(dir)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
}

pub fn check(facts: &Facts) -> Report {
    let Some((value, scope)) = &facts.autocrlf else {
        return Report::checked(
            CHECK,
            "core.autocrlf is not set (git keeps line endings as committed)",
            Vec::new(),
        );
    };
    let seen = format!("core.autocrlf={value} ({scope})");
    if !value.eq_ignore_ascii_case("true") {
        return Report::checked(CHECK, seen, Vec::new());
    }
    let attributes = facts
        .gitattributes
        .as_deref()
        .map(Gitattributes::parse)
        .unwrap_or_default();
    let script = facts.shell_script.as_deref().unwrap_or("entrypoint.sh");
    if attributes.pins_lf(script) && attributes.pins_lf("Dockerfile") {
        return Report::checked(
            CHECK,
            format!("{seen}; the project's .gitattributes pins LF"),
            Vec::new(),
        );
    }
    let mut finding = HostFinding::new(
        &AUTOCRLF,
        match &facts.shell_script {
            Some(script) => format!("core.autocrlf=true ({scope}) checks out `{script}` with CRLF: the project's .gitattributes does not pin LF for it"),
            None => format!("core.autocrlf=true ({scope}) checks out every text file with CRLF, and the project's .gitattributes does not pin LF"),
        },
    );
    if facts.shell_script.is_none() {
        // No script to break yet: worth knowing, not a warning.
        finding = finding.severity(Severity::Info);
    }
    Report::checked(CHECK, seen, vec![finding])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(autocrlf: &str, gitattributes: Option<&str>, script: Option<&str>) -> Facts {
        Facts {
            autocrlf: Some((autocrlf.to_string(), "global".to_string())),
            in_repository: true,
            gitattributes: gitattributes.map(str::to_string),
            shell_script: script.map(str::to_string),
        }
    }

    fn severities(facts: &Facts) -> Vec<(&'static str, Severity)> {
        check(facts)
            .findings
            .iter()
            .map(|f| (f.rule.id, f.severity))
            .collect()
    }

    #[test]
    fn git_for_windows_defaults_and_a_script() {
        let facts = facts("true", None, Some("scripts/entrypoint.sh"));
        assert_eq!(severities(&facts), [("SH701", Severity::Warning)]);
        assert!(check(&facts).findings[0]
            .message
            .contains("`scripts/entrypoint.sh`"));
        assert_eq!(
            severities(&super::tests::facts("true", Some("*.go text\n"), None)),
            [("SH701", Severity::Info)]
        );
    }

    #[test]
    fn pinned_lf_or_no_conversion_finds_nothing() {
        assert!(
            severities(&facts("true", Some("* text=auto eol=lf\n"), Some("run.sh"))).is_empty()
        );
        assert!(severities(&facts("input", None, Some("run.sh"))).is_empty());
        assert!(severities(&facts("false", None, Some("run.sh"))).is_empty());
        assert!(severities(&Facts::default()).is_empty());
    }

    #[test]
    fn the_repositorys_own_setting_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let repository = git2::Repository::init(dir.path()).unwrap();
        repository
            .config()
            .unwrap()
            .set_str("core.autocrlf", "true")
            .unwrap();
        std::fs::write(dir.path().join("run.sh"), "#!/bin/sh\n").unwrap();
        let facts = gather(dir.path());
        assert_eq!(
            facts.autocrlf,
            Some(("true".to_string(), "repository".to_string()))
        );
        assert_eq!(facts.shell_script.as_deref(), Some("run.sh"));
        assert_eq!(severities(&facts), [("SH701", Severity::Warning)]);
    }
}
