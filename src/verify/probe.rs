//! A tiny HTTP client for one thing: asking the service under test for a path and
//! reading the status and a little of the body. Plain `TcpStream` with short timeouts,
//! so a poll that finds nothing listening costs milliseconds, not seconds, and one
//! deadline for the whole request, so one that trickles costs no more. The request
//! is HTTP/1.0, so the server answers with a plain body and closes (no chunking).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::interrupt;

/// Bodies are cut here: enough to show a greeting or an error, never a download.
const MAX_BODY: usize = 4096;

/// What the service answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// Where a published port is reached: the address to connect to and the name for the
/// Host header and messages.
#[derive(Debug, Clone)]
pub struct Target {
    pub address: SocketAddr,
    pub host: String,
}

impl Target {
    pub fn resolve(host: &str, port: u16) -> io::Result<Target> {
        let address = (host, port).to_socket_addrs()?.next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
        })?;
        Ok(Target {
            address,
            host: host.to_string(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.host, self.address.port())
    }
}

/// Time limits for one request: to connect, and for the whole request from connect
/// to the last byte. The total is one deadline, not a per-read timeout, so a service
/// that trickles a byte a second cannot make one probe last longer.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Timeouts {
    /// For polling a service that is starting: give up on each try quickly.
    pub const POLL: Timeouts = Timeouts {
        connect: Duration::from_millis(250),
        total: Duration::from_secs(2),
    };
    /// For reading a service that is up.
    pub const READ: Timeouts = Timeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_secs(5),
    };

    /// The same limits, cut so that the request ends by `deadline` (a few ms at least).
    pub fn ending_by(self, deadline: Instant) -> Timeouts {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(5));
        Timeouts {
            connect: self.connect.min(left),
            total: self.total.min(left),
        }
    }
}

/// How often a read wakes up to look at the interrupt flag and the deadline.
const READ_TICK: Duration = Duration::from_millis(100);

/// `GET path` once, ended by `timeouts.total` or Ctrl-C (an `Interrupted` error).
pub fn get(target: &Target, path: &str, timeouts: Timeouts) -> io::Result<Response> {
    let deadline = Instant::now() + timeouts.total;
    let mut stream =
        TcpStream::connect_timeout(&target.address, timeouts.connect.min(timeouts.total))?;
    stream.set_write_timeout(Some(timeouts.total))?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {}:{}\r\nUser-Agent: scaffold-verify\r\nAccept: */*\r\n\r\n",
        target.host,
        target.address.port()
    );
    stream.write_all(request.as_bytes())?;
    let raw = read_until_closed(&mut stream, deadline, timeouts.total)?;
    parse(&raw)
}

/// Reads until the server closes (HTTP/1.0) or enough has come, checking the
/// deadline and the interrupt flag at least every `READ_TICK`.
fn read_until_closed(
    stream: &mut TcpStream,
    deadline: Instant,
    total: Duration,
) -> io::Result<Vec<u8>> {
    const ENOUGH: usize = MAX_BODY + 16 * 1024;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    while raw.len() < ENOUGH {
        if interrupt::check().is_err() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no complete answer within {:.1} s ({} bytes came)",
                    total.as_secs_f64(),
                    raw.len()
                ),
            ));
        }
        stream.set_read_timeout(Some(left.min(READ_TICK)))?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n.min(ENOUGH - raw.len())]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(raw)
}

/// Status and body from a raw HTTP/1.x response.
fn parse(raw: &[u8]) -> io::Result<Response> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    if raw.is_empty() {
        // A port proxy accepted the connection but nothing listens behind it yet.
        return Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the connection closed without an answer",
        ));
    }
    let head_end = find(raw, b"\r\n\r\n").ok_or_else(|| invalid("an incomplete HTTP answer"))?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let status_line = head.lines().next().unwrap_or_default();
    let mut words = status_line.split_whitespace();
    let version = words.next().unwrap_or_default();
    if !version.starts_with("HTTP/") {
        return Err(invalid(&format!("not an HTTP answer: `{status_line}`")));
    }
    let status = words
        .next()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid(&format!("no status in `{status_line}`")))?;
    let body = &raw[head_end + 4..];
    let body = String::from_utf8_lossy(&body[..body.len().min(MAX_BODY)])
        .trim_end()
        .to_string();
    Ok(Response { status, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    #[test]
    fn status_and_body_are_read() {
        let answer = parse(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\n").unwrap();
        assert_eq!(
            answer,
            Response {
                status: 200,
                body: "hello".into()
            }
        );
        assert_eq!(
            parse(b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
                .unwrap()
                .status,
            503
        );
        assert!(parse(b"").is_err());
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }

    #[test]
    fn a_real_server_answers() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            let n = socket.read(&mut request).unwrap();
            let request = String::from_utf8_lossy(&request[..n]).to_string();
            socket
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
            request
        });
        let target = Target::resolve("127.0.0.1", port).unwrap();
        let answer = get(&target, "/healthz", Timeouts::READ).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, "ok");
        assert!(server
            .join()
            .unwrap()
            .starts_with("GET /healthz HTTP/1.0\r\n"));
    }

    /// A server that sends its answer one byte every 300 ms, for ever.
    fn trickling_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            for socket in listener.incoming() {
                let Ok(mut socket) = socket else { return };
                thread::spawn(move || {
                    let mut request = [0u8; 1024];
                    let _ = socket.read(&mut request);
                    for byte in b"HTTP/1.0 200 OK\r\n".iter().cycle() {
                        if socket.write_all(&[*byte]).is_err() {
                            return;
                        }
                        thread::sleep(Duration::from_millis(300));
                    }
                });
            }
        });
        port
    }

    #[test]
    fn a_trickling_answer_ends_at_the_total_deadline() {
        let target = Target::resolve("127.0.0.1", trickling_server()).unwrap();
        let started = Instant::now();
        let limits = Timeouts {
            connect: Duration::from_secs(1),
            total: Duration::from_millis(1500),
        };
        let error = get(&target, "/healthz", limits).unwrap_err();
        let took = started.elapsed();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");
        assert!(error.to_string().contains("within 1.5 s"), "{error}");
        assert!(
            took >= Duration::from_millis(1400) && took < Duration::from_millis(2500),
            "{took:?}"
        );
        let cut = Timeouts::READ.ending_by(Instant::now() + Duration::from_millis(400));
        let started = Instant::now();
        assert!(get(&target, "/", cut).is_err());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn nothing_listening_fails_fast() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let target = Target::resolve("127.0.0.1", port).unwrap();
        let started = std::time::Instant::now();
        assert!(get(&target, "/", Timeouts::POLL).is_err());
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
