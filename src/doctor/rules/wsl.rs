//! Pitfall "+", WSL2 placement: inside WSL, `/mnt/c/…` is the Windows drive reached
//! through a file-sharing bridge; builds, `go` and git there are many times slower
//! than in WSL's own file system, and file watching does not work.

use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::host::windows_drive;
use crate::doctor::project::Project;

pub static PROJECT_ON_WINDOWS_DRIVE: Rule = Rule {
    id: "SD801",
    name: "project-on-windows-drive",
    severity: Severity::Warning,
    summary: "Inside WSL, the project is on the Windows drive (/mnt/<drive>).",
    why: "Every file access crosses the WSL/Windows bridge: `docker build` sends the context, `go build` reads sources and git scans the tree many times slower than on WSL's own ext4 file system, and file watchers miss changes.",
    fix: "Keep the project in the WSL file system, e.g. `~/src/<name>` (clone it there); open it from Windows as `\\\\wsl$\\<distro>\\home\\…` or with VS Code's WSL extension.",
    example: "Trips: working in WSL on `/mnt/c/Users/me/orders`.\nDoes not trip: `~/src/orders` inside WSL.",
    confidence: Confidence::Certain,
    fixable: false,
    check: project_on_windows_drive,
};

fn project_on_windows_drive(project: &Project) -> Vec<Finding> {
    if !project.host.wsl {
        return Vec::new();
    }
    let Some(drive) = windows_drive(&project.root) else {
        return Vec::new();
    };
    vec![Finding::new(
        &PROJECT_ON_WINDOWS_DRIVE,
        Location::project(),
        format!(
            "the project is at `{}`, on the Windows drive {drive}:",
            project.root.display()
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::host::Host;

    fn project_at(root: &str, wsl: bool) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let mut project = Project::load(dir.path(), Host { wsl }).unwrap();
        project.root = root.into();
        project
    }

    #[test]
    fn only_inside_wsl_and_only_on_a_drive() {
        let findings = project_on_windows_drive(&project_at("/mnt/c/Users/me/orders", true));
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].message.contains("drive C:"),
            "{}",
            findings[0].message
        );
        assert!(project_on_windows_drive(&project_at("/mnt/c/Users/me/orders", false)).is_empty());
        assert!(project_on_windows_drive(&project_at("/home/me/orders", true)).is_empty());
    }
}
