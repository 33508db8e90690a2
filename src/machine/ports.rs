//! Ports: Windows reserves ranges of TCP ports for Hyper-V, WSL and Docker Desktop
//! (`netsh interface ipv4 show excludedportrange protocol=tcp`), and they move after
//! each reboot. Publishing a port in one fails with `bind: An attempt was made to
//! access a socket in a way forbidden by its access permissions`, though nothing
//! listens there. The project's published ports come from its compose file, else
//! from scaffold's answers record.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use yaml_rust2::{Yaml, YamlLoader};

use super::finding::{HostFinding, HostRule, Report};
use crate::doctor::Severity;
use crate::engine::{Runner, Tool};

pub const CHECK: &str = "ports";

pub static EXCLUDED: HostRule = HostRule {
    id: "SH601",
    name: "port-in-excluded-range",
    severity: Severity::Error,
    summary: "A port the project publishes is inside a range Windows has reserved.",
    why: "Windows refuses to bind a reserved port to any program: `docker run -p`/`compose up` fail with `An attempt was made to access a socket in a way forbidden by its access permissions` while nothing listens there; the ranges change after reboots and Hyper-V or WSL updates.",
    fix: "Publish another port outside every range (`HOST_PORT=18080 docker compose up`), or reserve yours before Hyper-V does: `netsh int ipv4 add excludedportrange protocol=tcp startport=8080 numberofports=1` as administrator (after `net stop winnat`, then `net start winnat`).",
};

/// A published host port (or range) and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub ports: (u16, u16),
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub published: Vec<Published>,
    /// netsh's output, or why it was not asked.
    pub netsh: Result<String, String>,
}

pub fn gather(dir: &Path, runner: &Arc<dyn Runner>, wsl: bool) -> Facts {
    let mut published = super::compose_file(dir)
        .map(|text| compose_ports(&text))
        .unwrap_or_default();
    if published.is_empty() {
        if let Some(port) = answers_port(dir) {
            published.push(Published {
                ports: (port, port),
                source: crate::generate::record::RECORD_PATH.to_string(),
            });
        }
    }
    Facts {
        published,
        netsh: netsh(runner, wsl),
    }
}

fn netsh(runner: &Arc<dyn Runner>, wsl: bool) -> Result<String, String> {
    let program: Option<PathBuf> = if cfg!(windows) {
        runner.locate("netsh")
    } else if wsl {
        runner.locate("netsh.exe").or_else(|| {
            let fixed = PathBuf::from("/mnt/c/Windows/System32/netsh.exe");
            fixed.is_file().then_some(fixed)
        })
    } else {
        return Err("not Windows or WSL: no excluded port ranges here".to_string());
    };
    let program = program.ok_or("netsh is not reachable (no interop with Windows)")?;
    let tool = Tool::new(program, &[], Arc::clone(runner));
    let answer = tool
        .output(&[
            "interface",
            "ipv4",
            "show",
            "excludedportrange",
            "protocol=tcp",
        ])
        .map_err(|error| error.to_string())?;
    if answer.success {
        Ok(answer.stdout)
    } else {
        Err(format!("netsh failed: {}", answer.reason()))
    }
}

fn answers_port(dir: &Path) -> Option<u16> {
    let text = super::read_small(&dir.join(crate::generate::record::RECORD_PATH))?;
    let record: crate::generate::record::AnswersFile = toml::from_str(&text).ok()?;
    record.answers.port
}

/// The host ports a compose file publishes: short syntax (`"8080:8080"`,
/// `"127.0.0.1:8080:8080"`, `"${HOST_PORT:-8080}:8080"`, `"9000-9002:9000-9002"`) and
/// long (`published: 8080`). A container port alone publishes a port the engine
/// picks, which is never reserved.
pub fn compose_ports(text: &str) -> Vec<Published> {
    let Ok(documents) = YamlLoader::load_from_str(text) else {
        return Vec::new();
    };
    let Some(Yaml::Hash(services)) = documents.first().map(|doc| &doc["services"]) else {
        return Vec::new();
    };
    let mut published = Vec::new();
    for (name, service) in services {
        let name = name.as_str().unwrap_or("?");
        let Yaml::Array(entries) = &service["ports"] else {
            continue;
        };
        for entry in entries {
            let host = match entry {
                Yaml::String(short) => short_host_port(short),
                Yaml::Integer(_) => None,
                Yaml::Hash(_) => match &entry["published"] {
                    Yaml::Integer(port) => u16::try_from(*port).ok().map(|p| (p, p)),
                    Yaml::String(text) => port_range(&expand_default(text)),
                    _ => None,
                },
                _ => None,
            };
            if let Some(ports) = host {
                published.push(Published {
                    ports,
                    source: format!("compose service `{name}`"),
                });
            }
        }
    }
    published
}

fn short_host_port(entry: &str) -> Option<(u16, u16)> {
    let expanded = expand_default(entry);
    let without_protocol = expanded.split('/').next().unwrap_or_default();
    let parts: Vec<&str> = without_protocol.rsplitn(3, ':').collect();
    // rsplitn: [container, host, address]
    port_range(parts.get(1)?)
}

/// `${NAME:-default}` and `${NAME-default}` as their default (what runs when the
/// variable is not set); anything else as written.
fn expand_default(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + end];
        if let Some((_, default)) = inner.split_once(":-").or_else(|| inner.split_once('-')) {
            out.push_str(default);
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

fn port_range(text: &str) -> Option<(u16, u16)> {
    let text = text.trim();
    match text.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => text.parse().ok().map(|p| (p, p)),
    }
}

/// The ranges in netsh's table, in any display language: the lines that hold two
/// port numbers (an administered range ends in `*`).
pub fn excluded_ranges(netsh: &str) -> Vec<(u16, u16)> {
    netsh
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().filter(|w| *w != "*").collect();
            match words.as_slice() {
                [start, end] => Some((start.parse().ok()?, end.parse().ok()?)),
                _ => None,
            }
        })
        .collect()
}

pub fn check(facts: &Facts) -> Report {
    let netsh = match &facts.netsh {
        Err(why) => return Report::not_applicable(CHECK, why.clone()),
        Ok(text) => text,
    };
    if facts.published.is_empty() {
        return Report::not_applicable(CHECK, "the project publishes no fixed host port (no compose `ports`, no port in .scaffold/answers.toml)");
    }
    let ranges = excluded_ranges(netsh);
    let findings: Vec<HostFinding> = facts
        .published
        .iter()
        .filter_map(|published| {
            let (low, high) = published.ports;
            let (start, end) = *ranges.iter().find(|(start, end)| low <= *end && high >= *start)?;
            let port = if low == high { low.to_string() } else { format!("{low}-{high}") };
            Some(
                HostFinding::new(
                    &EXCLUDED,
                    format!("port {port} ({}) is inside the range {start}-{end} Windows has reserved", published.source),
                )
                .hint(format!(
                    "publish a port outside every reserved range (e.g. `HOST_PORT={} docker compose up`), or reserve {port} as administrator: \
                     `net stop winnat`, `netsh int ipv4 add excludedportrange protocol=tcp startport={low} numberofports={}`, `net start winnat`",
                    free_port(&ranges),
                    u32::from(high) - u32::from(low) + 1
                )),
            )
        })
        .collect();
    let ports: Vec<String> = facts
        .published
        .iter()
        .map(|p| p.ports.0.to_string())
        .collect();
    Report::checked(
        CHECK,
        format!(
            "{} reserved ranges; the project publishes {}",
            ranges.len(),
            ports.join(", ")
        ),
        findings,
    )
}

/// A port for the advice that no reserved range holds.
fn free_port(ranges: &[(u16, u16)]) -> u16 {
    (18080..=u16::MAX)
        .find(|port| {
            !ranges
                .iter()
                .any(|(start, end)| port >= start && port <= end)
        })
        .unwrap_or(18080)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `netsh interface ipv4 show excludedportrange protocol=tcp` on Windows 11 with
    /// Hyper-V and Docker Desktop, as cmd.exe prints it (CRLF).
    pub const NETSH: &str = "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n----------    --------\r\n      1080        1179\r\n      2869        2869\r\n      5357        5357\r\n      7999        8098\r\n     50000       50059     *\r\n\r\n* - Administered port exclusions.\r\n\r\n";

    /// The same in a German Windows.
    const NETSH_DE: &str = "\r\nPortausschlussbereiche für das Protokoll \"tcp\"\r\n\r\nStartport    Endport\r\n----------    --------\r\n      8180        8279\r\n\r\n* - Verwaltete Portausschlüsse.\r\n";

    const SCAFFOLD_COMPOSE: &str = "services:\n  app:\n    build: .\n    ports:\n      - \"${HOST_PORT:-8080}:8080\"\n  redis:\n    image: redis:7-alpine\n";

    fn facts(published: Vec<Published>) -> Facts {
        Facts {
            published,
            netsh: Ok(NETSH.to_string()),
        }
    }

    #[test]
    fn the_ranges_are_read_in_any_language() {
        assert_eq!(
            excluded_ranges(NETSH),
            [
                (1080, 1179),
                (2869, 2869),
                (5357, 5357),
                (7999, 8098),
                (50000, 50059)
            ]
        );
        assert_eq!(excluded_ranges(NETSH_DE), [(8180, 8279)]);
    }

    #[test]
    fn scaffolds_default_port_inside_a_hyper_v_range() {
        let report = check(&facts(compose_ports(SCAFFOLD_COMPOSE)));
        assert_eq!(report.findings.len(), 1);
        let finding = &report.findings[0];
        assert!(
            finding
                .message
                .contains("port 8080 (compose service `app`) is inside the range 7999-8098"),
            "{finding:?}"
        );
        assert!(
            finding.fix_text().contains("HOST_PORT=18080"),
            "{finding:?}"
        );
    }

    #[test]
    fn a_port_outside_every_range_is_fine() {
        let compose = SCAFFOLD_COMPOSE.replace("8080", "9000");
        assert!(check(&facts(compose_ports(&compose))).findings.is_empty());
        let mut facts = facts(compose_ports(SCAFFOLD_COMPOSE));
        facts.netsh = Ok(NETSH_DE.to_string());
        assert!(check(&facts).findings.is_empty());
    }

    #[test]
    fn compose_port_shapes() {
        let compose = "services:\n  a:\n    ports:\n      - \"127.0.0.1:5357:80\"\n      - \"9000-9002:9000-9002/tcp\"\n      - \"3000\"\n      - 4000\n  b:\n    ports:\n      - target: 80\n        published: \"1100\"\n      - target: 81\n        published: 6000\n";
        let ports: Vec<(u16, u16)> = compose_ports(compose).iter().map(|p| p.ports).collect();
        assert_eq!(
            ports,
            [(5357, 5357), (9000, 9002), (1100, 1100), (6000, 6000)]
        );
        assert_eq!(check(&facts(compose_ports(compose))).findings.len(), 2);
    }

    #[test]
    fn without_netsh_or_ports_it_does_not_apply() {
        use super::super::finding::State;
        let none = Facts {
            published: compose_ports(SCAFFOLD_COMPOSE),
            netsh: Err("not Windows or WSL".into()),
        };
        assert!(matches!(check(&none).state, State::NotApplicable(_)));
        assert!(matches!(
            check(&facts(Vec::new())).state,
            State::NotApplicable(_)
        ));
    }
}
