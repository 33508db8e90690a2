//! Why a running container's published port never answers, from inside: the TCP
//! sockets its process listens on. The usual cause is a service bound to 127.0.0.1
//! (or `localhost`): inside a container that is the container's own loopback, which
//! the engine's port forwarding never reaches, so verify would only see a timeout.
//!
//! The sockets are read without a shell in the image (distroless and scratch have
//! none): from `/proc/<pid>/net/tcp{,6}` of the container's process when the engine
//! runs on this Linux machine, else with `exec CONTAINER cat /proc/net/tcp` (only
//! when the image has `cat`), else from the service's own "listening on …" log line.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::engine::{self, Engine};
use crate::error::Error;

/// One TCP socket in LISTEN state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    pub ip: IpAddr,
    pub port: u16,
}

impl Listener {
    fn is_loopback(&self) -> bool {
        self.ip.is_loopback()
    }

    /// Docker's embedded DNS server (127.0.0.11) in user-defined networks: the engine's
    /// socket, not the service's.
    fn is_engine_dns(&self) -> bool {
        self.ip == IpAddr::V4(Ipv4Addr::new(127, 0, 0, 11))
    }
}

impl fmt::Display for Listener {
    /// `127.0.0.1:8080`, `[::1]:8080`, `:8080` for every interface.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            ip if ip.is_unspecified() => write!(f, ":{}", self.port),
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
        }
    }
}

/// Where the sockets were seen, for the message: a reader trusts what it can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `/proc/<pid>/net/tcp` of the container's process, read on this machine.
    HostProc,
    /// `/proc/net/tcp` read with the engine's `exec`.
    ExecProc,
    /// A line of the service's log.
    Log(String),
}

impl Source {
    /// Whether the listing is complete: `/proc` shows every socket, a log line only
    /// the ones the service mentions.
    fn is_complete(&self) -> bool {
        !matches!(self, Source::Log(_))
    }

    fn describe(&self) -> String {
        match self {
            Source::HostProc | Source::ExecProc => "seen in its /proc/net/tcp".to_string(),
            Source::Log(line) => format!("its log says `{}`", line.trim()),
        }
    }
}

/// The LISTEN sockets of a `/proc/net/tcp` or `/proc/net/tcp6` listing. Addresses
/// are hex, each 32-bit word in the kernel's (little-endian) byte order; the port
/// is plain hex. Lines that do not parse are skipped.
pub fn parse_proc_net_tcp(text: &str) -> Vec<Listener> {
    const LISTEN: &str = "0A";
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _slot = fields.next()?;
            let local = fields.next()?;
            let _remote = fields.next()?;
            let state = fields.next()?;
            if !state.eq_ignore_ascii_case(LISTEN) {
                return None;
            }
            let (ip, port) = local.split_once(':')?;
            Some(Listener {
                ip: proc_ip(ip)?,
                port: u16::from_str_radix(port, 16).ok()?,
            })
        })
        .collect()
}

/// `0100007F` → 127.0.0.1; 32 hex digits → an IPv6 address, word by word.
fn proc_ip(hex: &str) -> Option<IpAddr> {
    let word = |chunk: &str| u32::from_str_radix(chunk, 16).ok().map(u32::swap_bytes);
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(hex)?))),
        32 => {
            let mut octets = [0u8; 16];
            for (index, chunk) in octets.chunks_mut(4).enumerate() {
                let part = hex.get(index * 8..index * 8 + 8)?;
                chunk.copy_from_slice(&word(part)?.to_be_bytes());
            }
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

/// The first log line that says where the service listens (`listening on
/// 127.0.0.1:8080`, `addr=localhost:8080`, `Running on http://[::1]:8080`), with the
/// addresses it names. Only loopback and every-interface addresses count: a log
/// names many other addresses (databases, peers).
pub fn listening_line(logs: &[String]) -> Option<(String, Vec<Listener>)> {
    const SAYS_LISTENING: &[&str] = &["listen", "serving", "started on", "running on"];
    logs.iter().find_map(|line| {
        let lower = line.to_ascii_lowercase();
        if !SAYS_LISTENING.iter().any(|word| lower.contains(word)) {
            return None;
        }
        let listeners: Vec<Listener> = lower
            .split(|c: char| c.is_whitespace() || "\"'=,()<>`".contains(c))
            .filter_map(log_address)
            .collect();
        (!listeners.is_empty()).then(|| (line.clone(), listeners))
    })
}

/// `127.0.0.1:8080`, `localhost:8080`, `[::1]:8080`, `0.0.0.0:8080`, `[::]:8080`,
/// `:8080`, each possibly after `http://` and before a path.
fn log_address(word: &str) -> Option<Listener> {
    let word = word
        .split_once("://")
        .map_or(word, |(_, rest)| rest)
        .split('/')
        .next()?
        .trim_end_matches(['.', ';']);
    let (host, port) = word.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let ip = match host {
        "127.0.0.1" | "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        "[::1]" => IpAddr::V6(Ipv6Addr::LOCALHOST),
        "" | "0.0.0.0" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "[::]" => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => return None,
    };
    Some(Listener { ip, port })
}

/// What the sockets say about a port that never answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnosis {
    /// It listens on the port, but on loopback only.
    LoopbackOnly { listener: Listener },
    /// It listens, but on other ports.
    OtherPort { listeners: Vec<Listener> },
    /// It listens on no TCP port at all.
    Nothing,
}

/// The diagnosis for `port` from the sockets seen; `None` when they explain nothing
/// (it does listen there on a reachable address, or a log line cannot tell).
pub fn diagnose(listeners: &[Listener], port: u16, complete: bool) -> Option<Diagnosis> {
    let own: Vec<Listener> = listeners
        .iter()
        .copied()
        .filter(|listener| !listener.is_engine_dns())
        .collect();
    let on_port: Vec<&Listener> = own.iter().filter(|l| l.port == port).collect();
    if on_port.iter().any(|listener| !listener.is_loopback()) {
        return None;
    }
    if let Some(listener) = on_port.first() {
        return Some(Diagnosis::LoopbackOnly {
            listener: **listener,
        });
    }
    if !own.is_empty() {
        let mut others = own;
        others.dedup();
        return Some(Diagnosis::OtherPort { listeners: others });
    }
    complete.then_some(Diagnosis::Nothing)
}

/// The diagnosis in words: what was seen, and what to change.
pub fn explain(diagnosis: &Diagnosis, port: u16, source: &Source) -> String {
    let seen = source.describe();
    match diagnosis {
        Diagnosis::LoopbackOnly { listener } => {
            let family = if listener.ip.is_ipv4() {
                "127.0.0.1"
            } else {
                "::1"
            };
            format!(
                "the service listens on {family} inside the container ({listener}, {seen}), which the published port cannot reach; listen on 0.0.0.0 (`:{port}`)"
            )
        }
        Diagnosis::OtherPort { listeners } => {
            let names: Vec<String> = listeners.iter().map(Listener::to_string).collect();
            let first = listeners.first().map_or(port, |l| l.port);
            format!(
                "the service listens on {} inside the container ({seen}), but verify publishes port {port} (the port the image EXPOSEs or --port names); listen on `:{port}`, or EXPOSE {first} / pass --port {first}",
                names.join(", ")
            )
        }
        Diagnosis::Nothing => format!(
            "the service listens on no TCP port inside the container ({seen}): it never reached its listen call, or listens on a unix socket; make it listen on `:{port}`"
        ),
    }
}

/// Looks inside `container` for why `port` never answered: its sockets, else the
/// listening line of `logs`. `None` when nothing explains it. `local_linux` says the
/// engine runs on this Linux machine, so its process ids are this machine's.
pub fn look_inside(
    engine: &Engine,
    container: &str,
    port: u16,
    logs: &[String],
    local_linux: bool,
) -> Result<Option<String>, Error> {
    let mut sockets = None;
    if local_linux {
        sockets = host_proc(engine, container)?.map(|listeners| (listeners, Source::HostProc));
    }
    if sockets.is_none() {
        sockets = exec_proc(engine, container)?.map(|listeners| (listeners, Source::ExecProc));
    }
    let sockets = sockets
        .or_else(|| listening_line(logs).map(|(line, listeners)| (listeners, Source::Log(line))));
    Ok(sockets.and_then(|(listeners, source)| {
        diagnose(&listeners, port, source.is_complete())
            .map(|diagnosis| explain(&diagnosis, port, &source))
    }))
}

/// `/proc/<pid>/net/tcp{,6}` of the container's main process, when that pid is this
/// machine's and really the container's (its cgroup names the container id: with
/// Docker Desktop or a VM the pid belongs to another kernel).
fn host_proc(engine: &Engine, container: &str) -> Result<Option<Vec<Listener>>, Error> {
    let format = "{{.State.Pid}} {{.Id}}";
    let Some(answer) = engine::known(engine.checked(&["inspect", "--format", format, container]))?
    else {
        return Ok(None);
    };
    let Some((pid, id)) = answer.split_once(' ') else {
        return Ok(None);
    };
    let Ok(pid) = pid.trim().parse::<u32>() else {
        return Ok(None);
    };
    let id = id.trim();
    let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
    let ours = pid > 0
        && id.len() >= 12
        && std::fs::read_to_string(proc.join("cgroup")).is_ok_and(|cgroup| cgroup.contains(id));
    if !ours {
        return Ok(None);
    }
    let Ok(tcp) = std::fs::read_to_string(proc.join("net/tcp")) else {
        return Ok(None);
    };
    let tcp6 = std::fs::read_to_string(proc.join("net/tcp6")).unwrap_or_default();
    Ok(Some(listeners_of(&tcp, &tcp6)))
}

/// `exec CONTAINER cat /proc/net/tcp` (and tcp6): only images with a `cat` answer.
fn exec_proc(engine: &Engine, container: &str) -> Result<Option<Vec<Listener>>, Error> {
    let read = |file: &str| -> Result<Option<String>, Error> {
        let answer = engine::known(engine.output(&["exec", container, "cat", file]))?;
        Ok(answer
            .filter(|answer| answer.success && answer.stdout.contains("local_address"))
            .map(|answer| answer.stdout))
    };
    let Some(tcp) = read("/proc/net/tcp")? else {
        return Ok(None);
    };
    let tcp6 = read("/proc/net/tcp6")?.unwrap_or_default();
    Ok(Some(listeners_of(&tcp, &tcp6)))
}

fn listeners_of(tcp: &str, tcp6: &str) -> Vec<Listener> {
    let mut listeners = parse_proc_net_tcp(tcp);
    listeners.extend(parse_proc_net_tcp(tcp6));
    listeners
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runner::fake::FakeRunner;
    use crate::engine::{EngineKind, Tool};
    use std::path::PathBuf;
    use std::sync::Arc;

    const HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    const HEADER6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    /// A Go service on `127.0.0.1:8080` (distroless, uid 65532), with one
    /// connection the port forwarder left in TIME_WAIT-like state 06.
    fn tcp_loopback_8080() -> String {
        format!(
            "{HEADER}   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 412345 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F90 0100007F:B6D2 06 00000000:00000000 03:000016A1 00000000     0        0 0 3 0000000000000000\n"
        )
    }

    /// Go's `:8080`: one dual-stack socket on `::`.
    fn tcp6_any_8080() -> String {
        format!(
            "{HEADER6}   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 413001 1 0000000000000000 100 0 0 10 0\n"
        )
    }

    /// `[::1]:8080` and a pprof `127.0.0.1:6060`.
    fn tcp6_loopback_8080() -> String {
        format!(
            "{HEADER6}   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 413002 1 0000000000000000 100 0 0 10 0\n"
        )
    }

    fn at(ip: &str, port: u16) -> Listener {
        Listener {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn proc_net_tcp_gives_listening_sockets_in_both_families() {
        assert_eq!(
            parse_proc_net_tcp(&tcp_loopback_8080()),
            [at("127.0.0.1", 8080)]
        );
        assert_eq!(parse_proc_net_tcp(&tcp6_any_8080()), [at("::", 8080)]);
        assert_eq!(parse_proc_net_tcp(&tcp6_loopback_8080()), [at("::1", 8080)]);
        // 172.17.0.2:9090, as a service bound to the container's own address.
        let eth0 = format!("{HEADER}   0: 020011AC:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n");
        assert_eq!(parse_proc_net_tcp(&eth0), [at("172.17.0.2", 9090)]);
        assert_eq!(parse_proc_net_tcp(HEADER), []);
        assert_eq!(parse_proc_net_tcp("garbage\n 0: zz:1F90 0:0 0A\n"), []);
    }

    #[test]
    fn loopback_on_the_port_is_the_127_trap() {
        let listeners = parse_proc_net_tcp(&tcp_loopback_8080());
        let diagnosis = diagnose(&listeners, 8080, true).unwrap();
        assert_eq!(
            diagnosis,
            Diagnosis::LoopbackOnly {
                listener: at("127.0.0.1", 8080)
            }
        );
        let text = explain(&diagnosis, 8080, &Source::HostProc);
        assert!(
            text.starts_with("the service listens on 127.0.0.1 inside the container (127.0.0.1:8080, seen in its /proc/net/tcp)"),
            "{text}"
        );
        assert!(text.ends_with("listen on 0.0.0.0 (`:8080`)"), "{text}");
        let v6 = diagnose(&parse_proc_net_tcp(&tcp6_loopback_8080()), 8080, true).unwrap();
        assert!(explain(&v6, 8080, &Source::ExecProc).contains("listens on ::1 inside"));
    }

    #[test]
    fn every_interface_on_the_port_explains_nothing() {
        let mut listeners = parse_proc_net_tcp(&tcp_loopback_8080());
        listeners.extend(parse_proc_net_tcp(&tcp6_any_8080()));
        assert_eq!(diagnose(&listeners, 8080, true), None);
        assert_eq!(diagnose(&[at("172.17.0.2", 8080)], 8080, true), None);
    }

    #[test]
    fn another_port_and_no_port_are_named() {
        let other = diagnose(&[at("::", 9090), at("127.0.0.11", 41234)], 8080, true).unwrap();
        assert_eq!(
            other,
            Diagnosis::OtherPort {
                listeners: vec![at("::", 9090)]
            }
        );
        let text = explain(&other, 8080, &Source::HostProc);
        assert!(
            text.starts_with("the service listens on :9090 inside the container"),
            "{text}"
        );
        assert!(text.contains("EXPOSE 9090 / pass --port 9090"), "{text}");
        assert_eq!(diagnose(&[], 8080, true), Some(Diagnosis::Nothing));
        // A log without a listening line proves nothing.
        assert_eq!(diagnose(&[], 8080, false), None);
        assert!(explain(&Diagnosis::Nothing, 8080, &Source::HostProc)
            .contains("listens on no TCP port"));
    }

    #[test]
    fn a_listening_log_line_names_the_address() {
        let logs: Vec<String> = [
            "connecting to redis at 10.0.0.5:6379",
            r#"time=2026-12-02T01:40:00Z level=INFO msg=listening addr=127.0.0.1:8080"#,
        ]
        .map(String::from)
        .to_vec();
        let (line, listeners) = listening_line(&logs).unwrap();
        assert!(line.contains("msg=listening"));
        assert_eq!(listeners, [at("127.0.0.1", 8080)]);
        for (line, expected) in [
            (
                "[GIN-debug] Listening and serving HTTP on localhost:8080",
                at("127.0.0.1", 8080),
            ),
            ("⇨ http server started on [::1]:8080", at("::1", 8080)),
            (
                " * Running on http://127.0.0.1:5000/ (Press CTRL+C to quit)",
                at("127.0.0.1", 5000),
            ),
            (
                r#"{"level":"info","msg":"listening on :8080"}"#,
                at("0.0.0.0", 8080),
            ),
            // The generated service's own line (log/slog JSON), as `docker logs` shows it.
            (
                r#"{"time":"2026-12-02T01:46:09.830979382Z","level":"INFO","msg":"listening","service":"lsnprobe","addr":"127.0.0.1:8080"}"#,
                at("127.0.0.1", 8080),
            ),
        ] {
            let (_, found) = listening_line(&[line.to_string()]).unwrap();
            assert_eq!(found, [expected], "{line}");
        }
        assert!(listening_line(&["dialing db at 127.0.0.1:5432".to_string()]).is_none());
        let (line, found) = listening_line(&logs).unwrap();
        let text = explain(
            &diagnose(&found, 8080, false).unwrap(),
            8080,
            &Source::Log(line),
        );
        assert!(text.contains("its log says `time="), "{text}");
    }

    #[test]
    fn without_proc_or_cat_the_log_line_is_used() {
        let runner = FakeRunner::default().answer(
            "docker exec c1 cat /proc/net/tcp",
            false,
            "",
            "exec: \"cat\": executable file not found in $PATH",
        );
        let engine = Engine {
            kind: EngineKind::Docker,
            tool: Tool::new(PathBuf::from("docker"), &[], Arc::new(runner)),
        };
        let logs = vec!["level=INFO msg=listening addr=localhost:8080".to_string()];
        let text = look_inside(&engine, "c1", 8080, &logs, true)
            .unwrap()
            .unwrap();
        assert!(text.contains("listens on 127.0.0.1 inside"), "{text}");
        assert_eq!(look_inside(&engine, "c1", 8080, &[], true).unwrap(), None);
    }

    #[test]
    fn cat_in_the_image_reads_its_sockets() {
        let runner = FakeRunner::default()
            .answer(
                "docker exec c1 cat /proc/net/tcp",
                true,
                &tcp_loopback_8080(),
                "",
            )
            .answer("docker exec c1 cat /proc/net/tcp6", true, HEADER6, "");
        let engine = Engine {
            kind: EngineKind::Docker,
            tool: Tool::new(PathBuf::from("docker"), &[], Arc::new(runner)),
        };
        let text = look_inside(&engine, "c1", 8080, &[], false)
            .unwrap()
            .unwrap();
        assert!(
            text.contains("(127.0.0.1:8080, seen in its /proc/net/tcp)"),
            "{text}"
        );
    }
}
