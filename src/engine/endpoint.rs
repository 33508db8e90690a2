//! Where the engine's daemon runs, because that is where a published port opens. With
//! a local daemon (a unix socket, a Windows named pipe, Docker Desktop, colima, a
//! podman machine) ports are published on this machine's loopback; with DOCKER_HOST or
//! a docker context pointing at `tcp://` or `ssh://` another machine, they open there.

use std::path::PathBuf;

use super::{Engine, EngineKind};

/// Where published ports can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortHost {
    /// This machine: publish on 127.0.0.1 only, so nothing is exposed to the network.
    Local,
    /// Another machine, by name or address: publish on all its interfaces, probe it there.
    Remote(String),
}

/// The daemon address as configured (for messages) and where its ports open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `DOCKER_HOST`, the current context's endpoint, or `default`.
    pub address: String,
    pub ports: PortHost,
}

impl Endpoint {
    /// The host to connect to for a published port.
    pub fn probe_host(&self) -> &str {
        match &self.ports {
            PortHost::Local => "127.0.0.1",
            PortHost::Remote(host) => host,
        }
    }

    /// The `-p` value that publishes `container_port` on a port the engine picks (never
    /// a fixed one, so nothing clashes with what already listens).
    pub fn publish_spec(&self, container_port: u16) -> String {
        match &self.ports {
            PortHost::Local => format!("127.0.0.1::{container_port}"),
            PortHost::Remote(_) => container_port.to_string(),
        }
    }

    /// Reads the engine's configuration: DOCKER_HOST, then DOCKER_CONTEXT or the current
    /// context in the docker config file (`docker context inspect` is asked only for a
    /// context other than `default`); CONTAINER_HOST for podman.
    pub fn detect(engine: &Engine) -> Endpoint {
        let variable = match engine.kind {
            EngineKind::Docker => "DOCKER_HOST",
            EngineKind::Podman => "CONTAINER_HOST",
        };
        if let Some(address) = non_empty_var(variable) {
            return Endpoint::from_address(address);
        }
        if engine.kind == EngineKind::Docker {
            if let Some(context) = current_docker_context().filter(|c| c != "default") {
                let args = [
                    "context",
                    "inspect",
                    context.as_str(),
                    "--format",
                    "{{.Endpoints.docker.Host}}",
                ];
                if let Ok(address) = engine.checked(&args) {
                    return Endpoint::from_address(address);
                }
            }
        }
        Endpoint {
            address: "default".to_string(),
            ports: PortHost::Local,
        }
    }

    pub fn from_address(address: String) -> Endpoint {
        let ports = port_host(&address);
        Endpoint { address, ports }
    }
}

/// Where a daemon at `address` (`unix://…`, `npipe://…`, `tcp://host:port`,
/// `ssh://user@host:port`) publishes ports.
pub fn port_host(address: &str) -> PortHost {
    let Some((scheme, rest)) = address.split_once("://") else {
        return PortHost::Local;
    };
    if !matches!(scheme, "tcp" | "ssh" | "http" | "https") {
        return PortHost::Local;
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    let local = host.is_empty()
        || host == "localhost"
        || host == "::1"
        || host == "0.0.0.0"
        || host.starts_with("127.");
    if local {
        PortHost::Local
    } else {
        PortHost::Remote(host.to_string())
    }
}

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// DOCKER_CONTEXT, else `currentContext` in `$DOCKER_CONFIG/config.json` (default
/// `~/.docker/config.json`).
fn current_docker_context() -> Option<String> {
    if let Some(context) = non_empty_var("DOCKER_CONTEXT") {
        return Some(context);
    }
    let dir = non_empty_var("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".docker")))?;
    let path = dir.join("config.json");
    // Only a regular file: reading a FIFO there would block for ever.
    if !path
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() < 4 * 1024 * 1024)
    {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    config
        .get("currentContext")?
        .as_str()
        .map(str::to_string)
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sockets_and_loopback_publish_here() {
        for address in [
            "unix:///var/run/docker.sock",
            "npipe:////./pipe/docker_engine",
            "tcp://127.0.0.1:2375",
            "tcp://localhost:2375",
            "tcp://[::1]:2375",
            "unix:///Users/me/.colima/default/docker.sock",
        ] {
            assert_eq!(port_host(address), PortHost::Local, "{address}");
        }
    }

    #[test]
    fn remote_daemons_publish_there() {
        assert_eq!(
            port_host("tcp://build-box:2376"),
            PortHost::Remote("build-box".into())
        );
        assert_eq!(
            port_host("ssh://me@10.1.2.3:22"),
            PortHost::Remote("10.1.2.3".into())
        );
        assert_eq!(
            port_host("ssh://builder.example.com"),
            PortHost::Remote("builder.example.com".into())
        );
    }

    #[test]
    fn local_ports_bind_to_loopback_only() {
        let local = Endpoint::from_address("unix:///var/run/docker.sock".into());
        assert_eq!(local.publish_spec(8080), "127.0.0.1::8080");
        assert_eq!(local.probe_host(), "127.0.0.1");
        let remote = Endpoint::from_address("tcp://box:2376".into());
        assert_eq!(remote.publish_spec(8080), "8080");
        assert_eq!(remote.probe_host(), "box");
    }
}
