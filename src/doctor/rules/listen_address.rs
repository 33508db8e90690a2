//! Pitfall 7's neighbour, how the service runs in its container: a service that
//! listens on 127.0.0.1 (or `localhost`, `[::1]`) listens on the *container's*
//! loopback, which the engine's port forwarding never reaches. `docker run -p 8080:8080`
//! starts, the port is mapped, and every request gets "connection reset" or "empty
//! reply": it works with `go run` on the host and never in Docker.
//!
//! Precision first, because a deliberately local listener is common and fine:
//! - only Go packages the Dockerfile compiles into the image it runs (the `go build`
//!   targets of the stages the runtime stage needs, and the module packages they
//!   import), never `_test.go` files, a `tools/` or `examples/` main the image does
//!   not build, or a Dockerfile that only runs tests;
//! - a loopback listener is an error when its port is the one the image EXPOSEs. On
//!   another port it is silent when anything suggests a public listener elsewhere:
//!   another listen call, an EXPOSE of another port (the public one may be opened by
//!   a library doctor does not read), net/http/pprof imported, port 6060. Only when
//!   it is the sole listener found and the image EXPOSEs nothing is it a warning;
//! - an address that is only a default (an env variable or a flag) is silent when the
//!   Dockerfile (ENV, CMD, ENTRYPOINT) or a compose file sets that variable or flag,
//!   unless it sets it to loopback too; when nothing in the project sets it and the
//!   port is the EXPOSEd one, the default is what runs unless the deployment passes
//!   it: a warning, `likely`. A default on a port the image does not EXPOSE is silent.

use std::collections::BTreeSet;

use crate::doctor::dockerfile::{env_pairs, Base, Dockerfile};
use crate::doctor::finding::{Confidence, Finding, Location, Rule, Severity};
use crate::doctor::go_steps::go_steps;
use crate::doctor::golisten::{loopback_port, Arg, ListenCall};
use crate::doctor::project::{is_under, join, parent, DockerfileView, GoFile, Project};
use crate::doctor::rules::stages;

pub static LISTEN_ON_LOOPBACK: Rule = Rule {
    id: "SD706",
    name: "listen-on-loopback",
    severity: Severity::Error,
    summary: "The containerised Go service listens on 127.0.0.1 or localhost, so its published port can never answer.",
    why: "Inside a container 127.0.0.1 is the container's own loopback: the engine forwards a published port to the container's network interface, where nothing listens. The service starts, `docker run -p 8080:8080` maps the port, and every request ends in \"connection reset\" or \"empty reply\"; with `go run` on the host it works.",
    fix: "Listen on every interface: `:8080` (or `0.0.0.0:8080`), or read the address from an env variable or flag and set it to `:8080` in the Dockerfile (`ENV ADDR=:8080`). Keep a deliberately local debug listener (pprof on `localhost:6060`) as it is.",
    example: "Trips: `http.ListenAndServe(\"127.0.0.1:8080\", mux)` in the main package the Dockerfile builds, with `EXPOSE 8080`; `flag.String(\"addr\", \"localhost:8080\", …)` that nothing in the Dockerfile or compose overrides (a warning).\nDoes not trip: `:8080`; pprof on `localhost:6060` beside a public listener; a `localhost` default that the Dockerfile sets with `ENV ADDR=:8080`; `_test.go` files; a `tools/` main the image does not build.",
    confidence: Confidence::Certain,
    fixable: false,
    check: listen_on_loopback,
};

fn listen_on_loopback(project: &Project) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for (view, dockerfile) in project.parsed_dockerfiles() {
        for runtime in stages::runtimes(project, view, dockerfile) {
            let packages = built_packages(project, view, dockerfile, runtime.stage);
            if packages.is_empty() {
                continue;
            }
            let image = Image::of(project, view, dockerfile, runtime.stage);
            for finding in judge(project, &packages, &image) {
                let seen = findings.iter().any(|f| {
                    f.location.file == finding.location.file
                        && f.location.line == finding.location.line
                });
                if !seen {
                    findings.push(finding);
                }
            }
        }
    }
    findings
}

/// What the runtime stage says about how the service is run.
struct Image {
    dockerfile: String,
    /// EXPOSE ports of the runtime stage (and the stages it is built from).
    exposed: Vec<u16>,
    /// ENV of the runtime stage (and its parents).
    env: Vec<(String, String)>,
    /// CMD and ENTRYPOINT words.
    command: Vec<String>,
    /// The text of the project's compose files (environment, command).
    compose: Vec<String>,
    /// Container ports the compose files publish (`"8080:8080"`, `target: 8080`).
    mapped: Vec<u16>,
}

impl Image {
    fn of(
        project: &Project,
        view: &DockerfileView,
        dockerfile: &Dockerfile,
        stage: usize,
    ) -> Image {
        let compose: Vec<String> = project
            .compose_files
            .iter()
            .filter_map(|compose| std::fs::read_to_string(project.root.join(&compose.path)).ok())
            .collect();
        let mut image = Image {
            dockerfile: view.path.clone(),
            exposed: Vec::new(),
            env: Vec::new(),
            command: Vec::new(),
            mapped: compose
                .iter()
                .flat_map(|text| published_ports(text))
                .collect(),
            compose,
        };
        let mut chain = vec![stage];
        while let Base::Stage(parent) = dockerfile.base(*chain.last().unwrap_or(&stage)) {
            if chain.contains(&parent) {
                break;
            }
            chain.push(parent);
        }
        for index in chain.into_iter().rev() {
            for (_, instruction) in dockerfile.body(index) {
                match instruction.keyword.as_str() {
                    "EXPOSE" => image.exposed.extend(
                        instruction
                            .words()
                            .iter()
                            .filter_map(|word| word.split('/').next()?.parse::<u16>().ok()),
                    ),
                    "ENV" => image.env.extend(env_pairs(instruction)),
                    "CMD" | "ENTRYPOINT" => image.command.extend(instruction.words()),
                    _ => {}
                }
            }
        }
        image
    }

    /// The value the image gives env variable `name`, or `Some(None)` when a compose
    /// file names it (the value is not read); `None` when nothing sets it.
    fn env_value(&self, name: &str) -> Option<Option<String>> {
        if let Some((_, value)) = self.env.iter().rev().find(|(key, _)| key == name) {
            return Some(Some(value.clone()));
        }
        self.compose
            .iter()
            .any(|text| text.contains(name))
            .then_some(None)
    }

    /// Like `env_value`, for a command-line flag (`-addr=…`, `--addr …`).
    fn flag_value(&self, flag: &str) -> Option<Option<String>> {
        let names = [format!("-{flag}"), format!("--{flag}")];
        for (index, word) in self.command.iter().enumerate() {
            for name in &names {
                if let Some(value) = word.strip_prefix(&format!("{name}=")) {
                    return Some(Some(value.to_string()));
                }
                if word == name {
                    return Some(self.command.get(index + 1).cloned());
                }
            }
        }
        self.compose
            .iter()
            .any(|text| names.iter().any(|name| text.contains(name.as_str())))
            .then_some(None)
    }
}

/// The container ports of compose `ports:` entries, read from the text: `- "8080:8080"`,
/// `- 127.0.0.1:8080:8080/tcp`, `- 8080`, `target: 8080`.
fn published_ports(text: &str) -> Vec<u16> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let bare = line.strip_prefix("- ").unwrap_or(line);
            if let Some(target) = bare.strip_prefix("target:") {
                return target.trim().trim_matches(['"', '\'']).parse::<u16>().ok();
            }
            let entry = line.strip_prefix("- ")?.trim().trim_matches(['"', '\'']);
            let spec = without_variables(entry.split('/').next()?);
            // `REDIS_ADDR=redis:6379`, `./data:/data`: no port mappings.
            if !spec
                .chars()
                .all(|c| c.is_ascii_digit() || ".:[]-".contains(c))
            {
                return None;
            }
            spec.rsplit(':').next()?.parse::<u16>().ok()
        })
        .collect()
}

/// The text without its `${…}` parts.
fn without_variables(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find('}')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    out.push_str(rest);
    out
}

/// Where one listen call's address comes from.
enum Address {
    /// Loopback for sure: a literal or a constant.
    Loopback(u16),
    /// Loopback unless the runtime sets `what` (an env variable or a flag).
    LoopbackDefault { port: u16, what: Override },
    /// Not loopback, or not known.
    Other,
}

enum Override {
    Env(String),
    Flag(String),
}

/// The listen calls in the built packages, judged.
fn judge(project: &Project, packages: &BTreeSet<String>, image: &Image) -> Vec<Finding> {
    let files: Vec<&GoFile> = project
        .go_files
        .iter()
        .filter(|file| !file.path.ends_with("_test.go") && packages.contains(parent(&file.path)))
        .collect();
    let mut calls: Vec<(&GoFile, &ListenCall, Address)> = Vec::new();
    for file in &files {
        let package: Vec<&GoFile> = files
            .iter()
            .copied()
            .filter(|other| parent(&other.path) == parent(&file.path))
            .collect();
        for call in &file.source.listen.calls {
            calls.push((file, call, address(&package, &call.address)));
        }
    }
    let others = |this: &ListenCall| {
        calls.iter().any(|(_, call, address)| {
            !std::ptr::eq(*call, this) && matches!(address, Address::Other)
        })
    };
    // net/http/pprof serves on whatever listener it is given: a loopback one is the
    // deliberate, local profiling port.
    let profiles = files.iter().any(|file| {
        file.source
            .imports
            .iter()
            .any(|(_, path)| path == "net/http/pprof")
    });
    calls
        .iter()
        .filter_map(|(file, call, address)| {
            let port = match address {
                Address::Loopback(port) | Address::LoopbackDefault { port, .. } => *port,
                Address::Other => return None,
            };
            let exposed = image.exposed.contains(&port) || image.mapped.contains(&port);
            let public_elsewhere = others(call)
                || !image.exposed.is_empty()
                || !image.mapped.is_empty()
                || profiles
                || port == 6060;
            if !exposed && public_elsewhere {
                // A local debug or admin listener beside the public one (which may be
                // opened by a library or framework doctor does not read).
                return None;
            }
            let site = Site {
                location: Location::line(&file.path, call.line),
                what: call.what,
                port,
                exposed,
            };
            match address {
                Address::Loopback(_) => Some(site.literal(image)),
                Address::LoopbackDefault { what, .. } => site.default(image, what),
                Address::Other => None,
            }
        })
        .collect()
}

/// One loopback listen call that may be the service's port.
struct Site {
    location: Location,
    what: &'static str,
    port: u16,
    /// Its port is the one the image EXPOSEs (else it is the only listener found, in
    /// an image that EXPOSEs nothing).
    exposed: bool,
}

impl Site {
    fn reason(&self, image: &Image) -> String {
        if image.exposed.contains(&self.port) {
            format!("the port `{}` EXPOSEs", image.dockerfile)
        } else if self.exposed {
            "the container port compose publishes".to_string()
        } else {
            format!(
                "the only listener found in the service `{}` builds, which EXPOSEs no port",
                image.dockerfile
            )
        }
    }

    fn finding(&self, message: String) -> Finding {
        Finding::new(&LISTEN_ON_LOOPBACK, self.location.clone(), message)
    }

    /// A literal or constant loopback address: an error on the EXPOSEd port.
    fn literal(&self, image: &Image) -> Finding {
        let (what, port, reason) = (self.what, self.port, self.reason(image));
        if self.exposed {
            return self
                .finding(format!(
                    "`{what}` listens on loopback port {port} ({reason}): inside the container nothing outside it can reach that port, so the mapped port never answers"
                ))
                .hint(format!("Listen on `:{port}` (every interface)."));
        }
        self.finding(format!(
            "`{what}` listens on loopback port {port} ({reason}): if this is the service's port, nothing outside the container can reach it"
        ))
        .severity(Severity::Warning)
        .confidence(Confidence::Likely)
        .hint(format!("Listen on `:{port}` (every interface), and EXPOSE it."))
    }

    /// A loopback default of an env variable or flag: judged by what the project sets.
    fn default(&self, image: &Image, source: &Override) -> Option<Finding> {
        let (set, described) = match source {
            Override::Env(name) => (image.env_value(name), format!("the env variable `{name}`")),
            Override::Flag(name) => (image.flag_value(name), format!("the flag `-{name}`")),
        };
        let (what, port, reason) = (self.what, self.port, self.reason(image));
        match set {
            // Set to loopback in the image itself: as sure as a literal.
            Some(Some(value)) if loopback_port(&value).is_some() => Some(
                self.finding(format!(
                    "`{what}` takes its address from {described}, which `{}` sets to `{value}` ({reason}): the mapped port never answers",
                    image.dockerfile
                ))
                .hint(format!("Set it to `:{port}`.")),
            ),
            // Set to something else, or by compose: trust it.
            Some(_) => None,
            // A default on a port the image does not EXPOSE: too unsure.
            None if !self.exposed => None,
            None => Some(
                self.finding(format!(
                    "`{what}` takes its address from {described}, whose default is loopback port {port} ({reason}), and neither the Dockerfile nor compose sets it: unless the deployment does, the mapped port never answers"
                ))
                .severity(Severity::Warning)
                .confidence(Confidence::Likely)
                .hint(format!(
                    "Make the default `:{port}`, or set it in the Dockerfile (`ENV`, or the flag in CMD)."
                )),
            ),
        }
    }
}

/// What a listen call's argument is, from the declarations of its package.
fn address(package: &[&GoFile], arg: &Arg) -> Address {
    let name = match arg {
        Arg::Literal(text) => {
            return loopback_port(text).map_or(Address::Other, Address::Loopback);
        }
        Arg::Name(name) => name.as_str(),
        Arg::Expression(_) => return Address::Other,
    };
    let facts = package.iter().map(|file| &file.source.listen);
    let pointee = name.trim_start_matches('*');
    for facts in facts {
        if let Some((_, flag, default)) = facts.flags.iter().find(|(var, _, _)| var == pointee) {
            return loopback_port(default).map_or(Address::Other, |port| {
                Address::LoopbackDefault {
                    port,
                    what: Override::Flag(flag.clone()),
                }
            });
        }
    }
    let package_facts = || package.iter().map(|file| &file.source.listen);
    if package_facts().any(|facts| facts.reassigned.iter().any(|var| var == name)) {
        return Address::Other; // `addr = v`: set from something doctor does not follow
    }
    let values: Vec<&String> = package_facts()
        .flat_map(|facts| facts.strings.iter())
        .filter(|(var, _)| var == name)
        .map(|(_, value)| value)
        .collect();
    let env = package_facts()
        .flat_map(|facts| facts.from_env.iter())
        .find(|(var, _)| var == name)
        .map(|(_, env)| env.clone());
    // One value, all of it loopback; assigned more than once (or not at all) is unknown.
    let ports: BTreeSet<Option<u16>> = values.iter().map(|value| loopback_port(value)).collect();
    match (ports.into_iter().collect::<Vec<_>>().as_slice(), env) {
        ([Some(port)], None) => Address::Loopback(*port),
        ([Some(port)], Some(env)) => Address::LoopbackDefault {
            port: *port,
            what: Override::Env(env),
        },
        _ => Address::Other,
    }
}

/// The package folders compiled into the image `stage` runs: the `go build`/`go
/// install` targets of the stages it needs that resolve to a `package main` folder of
/// a module in the build context, and every module package they import, transitively.
fn built_packages(
    project: &Project,
    view: &DockerfileView,
    dockerfile: &Dockerfile,
    stage: usize,
) -> BTreeSet<String> {
    let modules: Vec<(&str, &str)> = project
        .go_modules
        .iter()
        .filter(|module| is_under(&module.dir, &view.context))
        .filter_map(|module| Some((module.dir.as_str(), module.go_mod.module.as_deref()?)))
        .collect();
    let is_main = |dir: &str| {
        project.go_files.iter().any(|file| {
            parent(&file.path) == dir
                && !file.path.ends_with("_test.go")
                && file.source.package.as_deref() == Some("main")
        })
    };
    let mut todo: Vec<String> = Vec::new();
    for needed in dockerfile.needed_by(stage) {
        for step in go_steps(dockerfile, needed)
            .into_iter()
            .filter(|s| s.go.builds())
        {
            for target in package_args(&step.go.args) {
                for (dir, path) in &modules {
                    for found in resolve(project, dir, path, &target) {
                        if is_main(&found) {
                            todo.push(found);
                        }
                    }
                }
            }
        }
    }
    let mut packages = BTreeSet::new();
    while let Some(dir) = todo.pop() {
        if !packages.insert(dir.clone()) {
            continue;
        }
        for file in project.go_files.iter().filter(|f| parent(&f.path) == dir) {
            for (_, import) in &file.source.imports {
                for (module_dir, module_path) in &modules {
                    if let Some(rest) = import.strip_prefix(module_path) {
                        if rest.is_empty() || rest.starts_with('/') {
                            if let Some(joined) = join(module_dir, rest.trim_start_matches('/')) {
                                todo.push(joined);
                            }
                        }
                    }
                }
            }
        }
    }
    packages
}

/// The package arguments of `go build`: not flags, not their values (`.` when none).
fn package_args(args: &[String]) -> Vec<String> {
    const TAKES_VALUE: &[&str] = &[
        "-o",
        "-ldflags",
        "-gcflags",
        "-asmflags",
        "-tags",
        "-mod",
        "-C",
        "-p",
        "-pkgdir",
        "-installsuffix",
        "-modfile",
        "-overlay",
        "-pgo",
        "-buildmode",
        "-compiler",
        "-gccgoflags",
        "-toolexec",
        "-exec",
    ];
    let mut packages = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        if arg.starts_with('-') {
            let flag = arg.trim_start_matches('-');
            skip = !arg.contains('=') && TAKES_VALUE.contains(&format!("-{flag}").as_str());
            continue;
        }
        packages.push(arg.clone());
    }
    if packages.is_empty() {
        packages.push(".".to_string());
    }
    packages
}

/// Folders of `module` (at `dir`, path `path`) that `target` names: `.`, `./cmd/api`,
/// `./cmd/...`, `example.com/app/cmd/api`, `main.go`.
fn resolve(project: &Project, dir: &str, path: &str, target: &str) -> Vec<String> {
    let in_module = target
        .strip_prefix(path)
        .filter(|rest| rest.is_empty() || rest.starts_with('/'));
    let relative = if let Some(rest) = in_module {
        rest.trim_start_matches('/').to_string()
    } else if target == "." || target.starts_with("./") {
        target
            .trim_start_matches("./")
            .trim_start_matches('.')
            .to_string()
    } else if target.ends_with(".go") {
        parent(target.trim_start_matches("./")).to_string()
    } else {
        return Vec::new();
    };
    if let Some(prefix) = relative.strip_suffix("...") {
        let Some(base) = join(dir, prefix.trim_end_matches('/')) else {
            return Vec::new();
        };
        return project
            .go_files
            .iter()
            .map(|file| parent(&file.path).to_string())
            .filter(|folder| is_under(folder, &base))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
    }
    join(dir, relative.trim_end_matches('/'))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_port_mappings_give_their_container_port() {
        let compose = "services:\n  api:\n    ports:\n      - \"${HOST_PORT:-8080}:8080\"\n      - 127.0.0.1:9090:9090/tcp\n      - target: 7070\n      - 6060\n    environment:\n      - REDIS_ADDR=redis:6379\n    volumes:\n      - ./data:/data\n";
        assert_eq!(published_ports(compose), [8080, 9090, 7070, 6060]);
    }

    #[test]
    fn go_build_package_arguments_skip_flags_and_their_values() {
        let args: Vec<String> = [
            "-trimpath",
            "-ldflags",
            "-s -w",
            "-o",
            "/out/api",
            "./cmd/api",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(package_args(&args), ["./cmd/api"]);
        assert_eq!(package_args(&["-o=/app".to_string()]), ["."]);
    }
}
