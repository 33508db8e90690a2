//! Pitfall 7, bind-mount permissions: files a container writes to a bind mount belong
//! to its UID on the host; a root container leaves root-owned files behind, a named
//! user means nothing to the host (or to Kubernetes' runAsNonRoot), and compose bind
//! mounts with host-specific paths work on one machine only. (Relative binds are the
//! portable form and binds without `:ro`/`:rw` are usually meant to be writable: the
//! retired SD703 and SD704 said otherwise and were wrong on real projects.)

use crate::doctor::compose::{windows_drive_len, Mount, MountKind};
use crate::doctor::dockerfile::{expand, Arguments, Base, Dockerfile};
use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::image::ImageRef;
use crate::doctor::known_images::{default_user, DefaultUser};
use crate::doctor::project::{is_under, join, CaseMatch, DockerfileView, Project};
use crate::doctor::rules::stages::{self, Runtime};
use crate::doctor::shell;

pub static RUNS_AS_ROOT: Rule = Rule {
    id: "SD701",
    name: "runs-as-root",
    severity: Severity::Warning,
    summary: "The final stage (or a compose `build.target` stage) runs as root: USER root, or no USER on a base image that runs as root.",
    why: "The service runs as root: files it writes to bind mounts are root-owned on the host (`permission denied` for the developer afterwards), and a compromise of the service is a root compromise of the container.",
    fix: "Add a numeric non-root user at the end of the final stage: `USER 65532:65532` (distroless's nonroot), and chown what it must write to that UID.",
    example: "Trips: a final stage on `alpine:3.20` without USER, or `USER root` with `ENTRYPOINT [\"/app\"]`.\nDoes not trip: `USER 65532:65532`; `USER root` with an entrypoint that drops privileges (`exec su-exec app \"$@\"`, gosu, setpriv); a base image that sets a non-root user (distroless `:nonroot`, grafana/k6).",
    confidence: Confidence::Likely,
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
    example: "Trips: `USER app`.\nDoes not trip: `USER 10001:10001`.",
    confidence: Confidence::Certain,
    fixable: false,
    check: non_numeric_user,
};

pub static HOST_SPECIFIC_BIND_PATH: Rule = Rule {
    id: "SD705",
    name: "host-specific-bind-path",
    severity: Severity::Warning,
    summary: "A compose bind mount with a Windows path, `~` or `${PWD}`.",
    why: "`C:\\…` and backslashes only work on Docker Desktop for Windows; `~` is a different folder in PowerShell, WSL and the Linux VM; `PWD` is not set in PowerShell or cmd, so `${PWD}/data` becomes `/data`: the file works on some machines only.",
    fix: "Use a path relative to the compose file (`./data`), or a variable set per machine (`${DATA_DIR}`).",
    example: "Trips: compose `C:\\\\data:/data`, `~/data:/data`, `${PWD}/data:/data`.\nDoes not trip: `./data:/data` (relative binds resolve against the compose file on every machine).",
    confidence: Confidence::Certain,
    fixable: false,
    check: host_specific_bind_path,
};

fn runs_as_root(project: &Project) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        for runtime in stages::runtimes(project, view, dockerfile) {
            findings.extend(root_finding(project, view, dockerfile, &runtime));
        }
    }
    findings
}

fn root_finding(
    project: &Project,
    view: &DockerfileView,
    dockerfile: &Dockerfile,
    runtime: &Runtime,
) -> Option<Finding> {
    let stage = runtime.stage;
    let from_line = dockerfile.instruction(dockerfile.stages[stage].from).line;
    let (location, message) = match effective_user(dockerfile, stage) {
        Some(user) if !user.unresolved && is_root(&user.name) => (
            Location::line(&view.path, user.line),
            format!(
                "`USER {}` in {}: the service runs as root",
                user.text,
                runtime.described(dockerfile)
            ),
        ),
        Some(_) => return None,
        None => {
            let image = match stages::root_base(dockerfile, stage) {
                Base::Scratch => "scratch".to_string(),
                Base::Image(reference) => reference,
                Base::Stage(_) | Base::Unknown(_) => return None,
            };
            match default_user(&ImageRef::parse(&image)) {
                DefaultUser::NonRoot(_) => return None,
                DefaultUser::Root => {}
                DefaultUser::Unknown => {
                    return Some(
                        Finding::new(
                            &RUNS_AS_ROOT,
                            Location::line(&view.path, from_line),
                            format!(
                                "{} sets no USER, and doctor does not know which user `{image}` runs as: root, unless the image sets another",
                                runtime.described(dockerfile)
                            ),
                        )
                        .severity(Severity::Info)
                        .confidence(Confidence::Possible),
                    )
                }
            }
            (
                Location::line(&view.path, from_line),
                format!(
                    "{} sets no USER and `{image}` runs as root, so the service does",
                    runtime.described(dockerfile)
                ),
            )
        }
    };
    match privilege_drop(project, view, dockerfile, stage) {
        Drop::Seen => None,
        Drop::NotSeen => Some(Finding::new(&RUNS_AS_ROOT, location, message).confidence(Confidence::Certain)),
        Drop::ScriptNotFound(script) => Some(
            Finding::new(
                &RUNS_AS_ROOT,
                location,
                format!("{message} (unless the entrypoint `{script}`, which doctor cannot find here, drops privileges)"),
            )
            .confidence(Confidence::Likely),
        ),
    }
}

/// Whether the container's entrypoint switches to another user before the service
/// starts: `USER root` on purpose, so it can fix ownership first.
enum Drop {
    Seen,
    NotSeen,
    /// The entrypoint is a script that is not in the project.
    ScriptNotFound(String),
}

/// Programs that run a command as another user.
const PRIVILEGE_DROPPERS: &[&str] = &[
    "su-exec",
    "gosu",
    "s6-setuidgid",
    "setpriv",
    "chpst",
    "runuser",
    "setuidgid",
];

fn privilege_drop(
    project: &Project,
    view: &DockerfileView,
    dockerfile: &Dockerfile,
    stage: usize,
) -> Drop {
    let words = entrypoint_words(dockerfile, stage);
    if words.iter().any(|word| is_dropper(word)) {
        return Drop::Seen;
    }
    let Some(script) = words
        .iter()
        .find(|word| !word.starts_with('-') && !is_shell(word))
        .filter(|word| looks_like_script(word))
    else {
        return Drop::NotSeen;
    };
    let Some(path) = script_source(project, view, dockerfile, script) else {
        return Drop::ScriptNotFound(script.clone());
    };
    let text = std::fs::read_to_string(project.root.join(&path)).unwrap_or_default();
    let drops = shell::commands(&text)
        .iter()
        .flat_map(|command| command.words.first())
        .any(|program| is_dropper(program));
    if drops {
        Drop::Seen
    } else {
        Drop::NotSeen
    }
}

/// The project file an entrypoint script in the image comes from: the source of the
/// COPY that puts it there (`COPY docker-entrypoint.sh /entrypoint.sh`), else a file
/// of the same name in the build context (`COPY . .`).
fn script_source(
    project: &Project,
    view: &DockerfileView,
    dockerfile: &Dockerfile,
    script: &str,
) -> Option<String> {
    let name = script.rsplit('/').next().unwrap_or(script);
    let exists = |path: &str| match project.paths.lookup(path) {
        CaseMatch::Exact => Some(path.to_string()),
        CaseMatch::Differs(found) => found.into_iter().next(),
        CaseMatch::Missing => None,
    };
    let copied = dockerfile
        .instructions
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "COPY" | "ADD") && i.flag("from").is_none())
        .find_map(|instruction| {
            let words = instruction.words();
            let (destination, sources) = words.split_last()?;
            sources.iter().find_map(|source| {
                let source_name = source.rsplit('/').next().unwrap_or(source);
                let lands_as_script = destination.trim_end_matches('/').rsplit('/').next()
                    == Some(name)
                    || (destination.ends_with('/') && source_name == name);
                lands_as_script
                    .then(|| join(&view.context, source).and_then(|path| exists(&path)))
                    .flatten()
            })
        });
    copied.or_else(|| {
        project
            .text_files
            .iter()
            .find(|file| {
                is_under(&file.path, &view.context) && file.path.rsplit('/').next() == Some(name)
            })
            .map(|file| file.path.clone())
    })
}

fn is_dropper(word: &str) -> bool {
    let program = word.rsplit('/').next().unwrap_or(word);
    PRIVILEGE_DROPPERS.contains(&program)
}

fn is_shell(word: &str) -> bool {
    let program = word.rsplit('/').next().unwrap_or(word);
    matches!(
        program,
        "sh" | "bash" | "ash" | "dash" | "tini" | "dumb-init" | "--"
    )
}

/// `docker-entrypoint.sh`, `/entrypoint`, `./run.sh`: a script, not the service binary.
fn looks_like_script(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word).to_ascii_lowercase();
    name.ends_with(".sh")
        || name.ends_with(".bash")
        || name.contains("entrypoint")
        || name == "start"
        || name == "run"
}

/// The words of the last ENTRYPOINT and the last CMD the stage has (inherited from the
/// stages it is built FROM included).
fn entrypoint_words(dockerfile: &Dockerfile, stage: usize) -> Vec<String> {
    let mut entrypoint: Option<Vec<String>> = None;
    let mut cmd: Option<Vec<String>> = None;
    let mut current = Some(stage);
    while let Some(index) = current {
        for (_, instruction) in dockerfile.body(index).collect::<Vec<_>>().into_iter().rev() {
            let slot = match instruction.keyword.as_str() {
                "ENTRYPOINT" => &mut entrypoint,
                "CMD" => &mut cmd,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(match &instruction.args {
                    Arguments::Exec(words) => words.clone(),
                    Arguments::Shell(text) => shell::commands(text)
                        .into_iter()
                        .flat_map(|command| command.words)
                        .collect(),
                });
            }
        }
        current = match dockerfile.base(index) {
            Base::Stage(parent) if parent != index => Some(parent),
            _ => None,
        };
    }
    entrypoint.into_iter().chain(cmd).flatten().collect()
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

fn host_specific_bind_path(project: &Project) -> Vec<Finding> {
    bind_findings(project, |mount| {
        let source = mount.source.as_deref()?;
        let problem = if windows_drive_len(source) > 0 || source.contains('\\') {
            "a Windows path"
        } else if source.starts_with('~') {
            "`~`, which is a different folder on each side of WSL"
        } else if uses_pwd(source) {
            "`PWD`, which PowerShell and cmd do not set (compose then mounts from `/`)"
        } else {
            return None;
        };
        Some((
            &HOST_SPECIFIC_BIND_PATH,
            format!("bind mount `{}` uses {problem}", mount.text),
        ))
    })
}

/// `$PWD…` or `${PWD}…`; `${PWD:-.}` and `${PWD-.}` have a default and are portable.
fn uses_pwd(source: &str) -> bool {
    let bare = source
        .strip_prefix("$PWD")
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
    bare || source.starts_with("${PWD}")
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
