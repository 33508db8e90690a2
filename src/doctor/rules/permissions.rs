//! Pitfall 7, bind-mount permissions: files a container writes to a bind mount belong
//! to its UID on the host; a root container leaves root-owned files behind, a named
//! user means nothing to the host (or to Kubernetes' runAsNonRoot), and compose bind
//! mounts without a mode or with host-specific paths behave differently per machine.

use crate::doctor::compose::{windows_drive_len, Mount, MountKind};
use crate::doctor::dockerfile::{expand, Base, Dockerfile};
use crate::doctor::finding::{Finding, Location, Rule, Severity};
use crate::doctor::image::ImageRef;
use crate::doctor::project::Project;

pub static RUNS_AS_ROOT: Rule = Rule {
    id: "SD701",
    name: "runs-as-root",
    severity: Severity::Warning,
    summary: "The final stage has no USER, or USER is root.",
    why: "The service runs as root: files it writes to bind mounts are root-owned on the host (`permission denied` for the developer afterwards), and a compromise of the service is a root compromise of the container.",
    fix: "Add a numeric non-root user at the end of the final stage: `USER 65532:65532` (distroless's nonroot), and chown what it must write to that UID.",
    fixable: false,
    check: runs_as_root,
};

pub static NON_NUMERIC_USER: Rule = Rule {
    id: "SD702",
    name: "non-numeric-user",
    severity: Severity::Warning,
    summary: "USER names a user instead of a numeric UID:GID.",
    why: "A name means nothing outside the image: the host sees only the UID on bind-mounted files, Kubernetes' runAsNonRoot cannot verify a name, and on scratch there is no /etc/passwd to resolve it.",
    fix: "Use the numeric IDs, e.g. `USER 65532:65532`, and `chown 65532:65532` what the service writes.",
    fixable: false,
    check: non_numeric_user,
};

pub static BIND_MOUNT_WITHOUT_MODE: Rule = Rule {
    id: "SD703",
    name: "bind-mount-without-mode",
    severity: Severity::Warning,
    summary: "A compose bind mount without a mode (`:ro`, `:rw`, `:z`).",
    why: "It is writable by default, so the container (often root) can change or leave root-owned files in the host folder; on SELinux hosts (Fedora, RHEL) it is not even readable without `:z`.",
    fix: "Say what the container may do: `./config:/etc/app:ro` for inputs, `:rw` (plus a matching UID) for outputs, and `:z` on SELinux hosts.",
    fixable: false,
    check: bind_mount_without_mode,
};

pub static RELATIVE_BIND_MOUNT: Rule = Rule {
    id: "SD704",
    name: "relative-bind-mount",
    severity: Severity::Info,
    summary: "A compose bind mount with a relative host path.",
    why: "It resolves against the folder of the first compose file, not the shell's; run from elsewhere (`-f`, `--project-directory`) it points at another folder, and Docker then creates a missing one as an empty, root-owned folder.",
    fix: "Run compose from the project folder, or use a named volume for data the container owns; keep relative binds for inputs, mounted `:ro`.",
    fixable: false,
    check: relative_bind_mount,
};

pub static HOST_SPECIFIC_BIND_PATH: Rule = Rule {
    id: "SD705",
    name: "host-specific-bind-path",
    severity: Severity::Warning,
    summary: "A compose bind mount with a Windows path or `~`.",
    why: "`C:\\…` and backslashes only work on Docker Desktop for Windows; `~` is a different folder in PowerShell, WSL and the Linux VM: the file works on one machine only.",
    fix: "Use a path relative to the compose file (`./data`), or a variable set per machine (`${DATA_DIR}`).",
    fixable: false,
    check: host_specific_bind_path,
};

fn runs_as_root(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        let last = dockerfile.final_stage();
        match effective_user(dockerfile, last.index) {
            Some(user) if !user.unresolved && is_root(&user.name) => {
                findings.push(Finding::new(
                    &RUNS_AS_ROOT,
                    Location::line(&view.path, user.line),
                    format!("`USER {}`: the service runs as root", user.text),
                ));
            }
            Some(_) => {}
            None => {
                let base = dockerfile.root_base(last.index);
                let runs_as_root = match &base {
                    Base::Scratch => true,
                    Base::Image(reference) => !ImageRef::parse(reference).runs_as_non_root(),
                    Base::Stage(_) | Base::Unknown(_) => false,
                };
                if runs_as_root {
                    findings.push(Finding::new(
                        &RUNS_AS_ROOT,
                        Location::line(&view.path, dockerfile.instruction(last.from).line),
                        "the final stage sets no USER, so the service runs as root",
                    ));
                }
            }
        }
    }
    findings
}

fn non_numeric_user(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        let Some(user) = effective_user(dockerfile, dockerfile.final_stage().index) else {
            continue;
        };
        if user.unresolved || is_root(&user.name) {
            continue;
        }
        let numeric = |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit());
        if numeric(&user.name) && user.group.as_deref().is_none_or(numeric) {
            continue;
        }
        findings.push(Finding::new(
            &NON_NUMERIC_USER,
            Location::line(&view.path, user.line),
            format!("`USER {}` is a name, not a numeric UID:GID", user.text),
        ));
    }
    findings
}

struct User {
    line: usize,
    /// As written.
    text: String,
    name: String,
    group: Option<String>,
    unresolved: bool,
}

/// The last USER of the stage or of the stages it is built FROM.
fn effective_user(dockerfile: &Dockerfile, stage: usize) -> Option<User> {
    let mut current = Some(stage);
    while let Some(index) = current {
        let last_user = dockerfile
            .body(index)
            .filter(|(_, instruction)| instruction.keyword == "USER")
            .last();
        if let Some((position, instruction)) = last_user {
            let text = instruction.words().join(" ");
            let (value, unresolved) = expand(&text, &dockerfile.vars_at(index, position));
            let (name, group) = match value.split_once(':') {
                Some((name, group)) => (name.to_string(), Some(group.to_string())),
                None => (value.clone(), None),
            };
            return Some(User {
                line: instruction.line,
                text,
                name,
                group,
                unresolved,
            });
        }
        current = match dockerfile.base(index) {
            Base::Stage(parent) => Some(parent),
            _ => None,
        };
    }
    None
}

fn is_root(name: &str) -> bool {
    name == "root" || name == "0"
}

fn bind_mount_without_mode(project: &Project) -> Vec<Finding> {
    bind_findings(project, |mount| {
        let has_mode = mount.mode.as_deref().is_some_and(|mode| {
            mode.split(',')
                .any(|option| matches!(option, "ro" | "rw" | "z" | "Z"))
        });
        (!has_mode).then(|| {
            (
                &BIND_MOUNT_WITHOUT_MODE,
                format!("bind mount `{}` has no mode, so it is writable", mount.text),
            )
        })
    })
}

fn relative_bind_mount(project: &Project) -> Vec<Finding> {
    bind_findings(project, |mount| {
        let source = mount.source.as_deref()?;
        source.starts_with('.').then(|| {
            (
                &RELATIVE_BIND_MOUNT,
                format!("bind mount `{}` uses a relative host path", mount.text),
            )
        })
    })
}

fn host_specific_bind_path(project: &Project) -> Vec<Finding> {
    bind_findings(project, |mount| {
        let source = mount.source.as_deref()?;
        let problem = if windows_drive_len(source) > 0 || source.contains('\\') {
            "a Windows path"
        } else if source.starts_with('~') {
            "`~`, which is a different folder on each side of WSL"
        } else {
            return None;
        };
        Some((
            &HOST_SPECIFIC_BIND_PATH,
            format!("bind mount `{}` uses {problem}", mount.text),
        ))
    })
}

/// Findings for the bind mounts of every compose service.
fn bind_findings(
    project: &Project,
    check: impl Fn(&Mount) -> Option<(&'static Rule, String)>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for view in &project.compose_files {
        let Ok(compose) = &view.parsed else { continue };
        for service in &compose.services {
            for mount in service.volumes.iter().filter(|m| m.kind == MountKind::Bind) {
                if let Some((rule, message)) = check(mount) {
                    findings.push(Finding::new(
                        rule,
                        Location::line(&view.path, mount.line),
                        format!("service `{}`: {message}", service.name),
                    ));
                }
            }
        }
    }
    findings
}
