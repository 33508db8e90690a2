//! `scaffold verify` against hostile surroundings: a daemon that accepts and never
//! answers, a FIFO where the answers record should be, a compose file that names the user's own volume, network and image, and the
//! containers a killed verify left (a health endpoint that trickles is in
//! verify_e2e.rs, beside the one that never answers). The engine tests use the real docker engine and
//! docker-compose; without them they say why they skip (and fail with SCAFFOLD_E2E=1).

mod support;

#[cfg(unix)]
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{new_project, require, require_docker, scaffold, unique, verify_leftovers};

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A folder with just a Dockerfile.
fn bare_project(dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    dir
}

/// `scaffold verify ARGS…` started in the background, with `env`.
fn spawn_verify(args: &[&str], dir: &Path, env: &[(&str, String)]) -> Child {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("scaffold"));
    command
        .arg("verify")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DOCKER_CONTEXT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().unwrap()
}

/// Waits for `child` at most `limit`; kills it (and fails) when it takes longer.
fn wait_at_most(mut child: Child, limit: Duration, what: &str) -> (Output, Duration) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{what}: still running after {limit:?}; killed it. stderr:\n{}",
                stderr_of(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    (child.wait_with_output().unwrap(), took)
}

/// A daemon that accepts every connection and never answers; the connections it
/// accepted, to see whether the client closed them.
fn silent_daemon() -> (String, Arc<Mutex<Vec<TcpStream>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("tcp://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&accepted);
    std::thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            keep.lock().unwrap().push(socket);
        }
    });
    (address, accepted)
}

fn require_docker_client() -> bool {
    require(
        "docker",
        &["--version"],
        "the docker client talks to the fake daemon",
    )
}

/// #7: the daemon accepts and never answers: verify ends at its deadline and says so.
#[test]
fn a_daemon_that_never_answers_fails_at_the_deadline() {
    if !require_docker_client() {
        return;
    }
    let (address, _accepted) = silent_daemon();
    let dir = bare_project("FROM scratch\nEXPOSE 8080\n");
    let child = spawn_verify(
        &[],
        dir.path(),
        &[
            ("DOCKER_HOST", address),
            ("SCAFFOLD_ENGINE_TIMEOUT", "2".into()),
        ],
    );
    let (out, took) = wait_at_most(
        child,
        Duration::from_secs(20),
        "verify against a silent daemon",
    );
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("the daemon did not answer in 2 s"),
        "{stderr}"
    );
    assert!(stderr.contains("SCAFFOLD_ENGINE_TIMEOUT"), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// #7: SIGTERM and SIGINT during the hang end verify at once, and the engine client
/// it ran is killed (the daemon sees its connections close).
#[cfg(unix)]
#[test]
fn a_signal_during_the_hang_ends_verify_and_its_client() {
    if !require_docker_client() {
        return;
    }
    for signal in ["-TERM", "-INT"] {
        let (address, accepted) = silent_daemon();
        let dir = bare_project("FROM scratch\nEXPOSE 8080\n");
        let child = spawn_verify(
            &[],
            dir.path(),
            &[
                ("DOCKER_HOST", address),
                ("SCAFFOLD_ENGINE_TIMEOUT", "600".into()),
            ],
        );
        let started = Instant::now();
        while accepted.lock().unwrap().is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the client never connected"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
        let (out, took) = wait_at_most(child, Duration::from_secs(10), "verify after a signal");
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(130), "{signal}: {stderr}");
        assert!(stderr.contains("interrupted"), "{signal}: {stderr}");
        assert!(took < Duration::from_secs(3), "{signal}: took {took:?}");
        for socket in accepted.lock().unwrap().iter_mut() {
            socket
                .set_read_timeout(Some(Duration::from_secs(3)))
                .unwrap();
            let mut byte = [0u8; 64];
            // The daemon never answered, so the client has nothing more to send: the
            // read ends with 0 bytes (or a reset) only because the client is gone.
            let closed = loop {
                match socket.read(&mut byte) {
                    Ok(0) => break true,
                    Ok(_) => continue,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        break false
                    }
                    Err(_) => break true,
                }
            };
            assert!(
                closed,
                "{signal}: the docker client still holds its connection"
            );
        }
    }
}

/// #13: a FIFO where the answers record is: a clear error at once, not a hang.
#[cfg(unix)]
#[test]
fn a_fifo_for_the_answers_record_is_refused_at_once() {
    let dir = bare_project("FROM scratch\n");
    std::fs::create_dir(dir.path().join(".scaffold")).unwrap();
    let fifo = dir.path().join(".scaffold/answers.toml");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let child = spawn_verify(&[], dir.path(), &[]);
    let (out, _) = wait_at_most(child, Duration::from_secs(10), "verify with a FIFO record");
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(".scaffold/answers.toml"), "{stderr}");
    assert!(stderr.contains("FIFO"), "{stderr}");
}

/// #16: `port = 0` in the record is refused; no EXPOSE is said, not assumed silently.
#[test]
fn the_port_is_never_a_silent_guess() {
    let empty_path = tempfile::tempdir().unwrap();
    let dir = bare_project("FROM scratch\n");
    std::fs::create_dir(dir.path().join(".scaffold")).unwrap();
    let record = dir.path().join(".scaffold/answers.toml");
    std::fs::write(&record, "[answers]\nport = 0\n").unwrap();
    let out = scaffold().arg("verify").arg(dir.path()).assert().code(2);
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("port `0` is not a TCP port"), "{stderr}");
    assert!(stderr.contains("answers.toml"), "{stderr}");

    std::fs::remove_file(&record).unwrap();
    let out = scaffold()
        .env("PATH", empty_path.path())
        .arg("verify")
        .arg(dir.path())
        .assert()
        .code(3);
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("probing port 8080"), "{stderr}");
    assert!(stderr.contains("has no EXPOSE"), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");

    let out = scaffold()
        .env("PATH", empty_path.path())
        .args(["verify", "--port", "9000"])
        .arg(dir.path())
        .assert()
        .code(3);
    let stderr = stderr_of(out.get_output());
    assert!(
        stderr.contains("9000 inside the container, from --port"),
        "{stderr}"
    );
    scaffold()
        .args(["verify", "--port", "0"])
        .arg(dir.path())
        .assert()
        .code(2);
}

/// #16: a Dockerfile that does not parse names its line, not `load .dockerignore`.
#[test]
fn a_dockerfile_syntax_error_names_the_line() {
    if !require_docker() {
        return;
    }
    let dir = bare_project("FROM alpine:3\nRUN true\nCOPPY a b\n");
    let out = scaffold().arg("verify").arg(dir.path()).assert().code(1);
    let stderr = stderr_of(out.get_output());
    assert!(
        stderr.contains("Dockerfile` line 3 does not parse"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown instruction: COPPY"), "{stderr}");
    assert!(stderr.contains("3 | COPPY a b"), "{stderr}");
    assert!(!stderr.contains("load .dockerignore"), "{stderr}");
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().unwrap()
}

fn docker_ok(args: &[&str]) -> String {
    let out = docker(args);
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        stderr_of(&out)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Removes what a test made in the engine, whatever happened.
struct EngineThings(Vec<Vec<String>>);

impl Drop for EngineThings {
    fn drop(&mut self) {
        for args in self.0.iter().rev() {
            let _ = Command::new("docker").args(args).output();
        }
    }
}

fn compose_project(name: &str) -> (tempfile::TempDir, PathBuf) {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join(name);
    new_project(&dir, name, &["--redis"]);
    (parent, dir)
}

fn require_compose() -> bool {
    require_docker()
        && require(
            "docker-compose",
            &["version"],
            "--compose runs the compose file",
        )
}

/// #2: a volume and a network of the user's that the compose file names with `name:`
/// survive `verify --compose`, the volume with its data.
#[test]
fn compose_leaves_the_users_named_volume_and_network_alone() {
    if !require_compose() {
        return;
    }
    let name = &unique("vh-volume");
    let volume = format!("{name}-devdata");
    let network = format!("{name}-devnet");
    let _made = EngineThings(vec![
        vec!["volume".into(), "rm".into(), volume.clone()],
        vec!["network".into(), "rm".into(), network.clone()],
    ]);
    docker_ok(&["volume", "create", &volume]);
    docker_ok(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/data"),
        "alpine:3",
        "sh",
        "-c",
        "echo precious > /data/keep.txt",
    ]);
    docker_ok(&["network", "create", &network]);
    let (_tmp, dir) = compose_project(name);
    let compose = dir.join("docker-compose.yml");
    let text = std::fs::read_to_string(&compose).unwrap();
    let text = text
        .replace(
            "      - redis-data:/data\n",
            "      - redis-data:/data\n      - devdata:/devdata\n    networks: [default, shared]\n",
        )
        .replace(
            "\nvolumes:\n  redis-data:",
            &format!(
                "\nnetworks:\n  shared:\n    name: {network}\n\nvolumes:\n  redis-data:\n  devdata:\n    name: {volume}\n"
            ),
        );
    std::fs::write(&compose, text).unwrap();
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--compose", "--rm-image"])
        .assert()
        .success();
    let kept = docker_ok(&[
        "run",
        "--rm",
        "-v",
        &format!("{volume}:/data"),
        "alpine:3",
        "cat",
        "/data/keep.txt",
    ]);
    assert_eq!(kept, "precious");
    docker_ok(&["network", "inspect", &network]);
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains("Removed compose project"), "{stderr}");
    assert!(
        stderr.contains("redis-data"),
        "its own volume is removed: {stderr}"
    );
    let left = verify_leftovers(name);
    assert!(left.is_empty(), "verify left behind: {left:?}");
}

/// #10: `image: team/worker:dev` beside `build:` for another service: verify builds
/// that service under its own tag, and the user's image is the same image afterwards.
#[test]
fn compose_never_rebuilds_the_users_image() {
    if !require_compose() {
        return;
    }
    let name = &unique("vh-image");
    let users_image = format!("team/{name}-worker:dev");
    let _made = EngineThings(vec![vec!["rmi".into(), users_image.clone()]]);
    docker_ok(&["tag", "alpine:3", &users_image]);
    let before = docker_ok(&["image", "inspect", "--format", "{{.Id}}", &users_image]);
    let (_tmp, dir) = compose_project(name);
    std::fs::create_dir(dir.join("worker")).unwrap();
    std::fs::write(
        dir.join("worker/Dockerfile"),
        "FROM alpine:3\nLABEL built.by=compose\nCMD [\"sleep\", \"3600\"]\n",
    )
    .unwrap();
    let compose = dir.join("docker-compose.yml");
    let text = std::fs::read_to_string(&compose).unwrap().replace(
        "\nvolumes:\n  redis-data:",
        &format!(
            "\n  worker:\n    build: ./worker\n    image: {users_image}\n\nvolumes:\n  redis-data:"
        ),
    );
    std::fs::write(&compose, text).unwrap();
    let out = scaffold()
        .arg("verify")
        .arg(&dir)
        .args(["--compose", "--json", "--rm-image"])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let project = report["compose_project"].as_str().unwrap().to_string();
    let after = docker_ok(&["image", "inspect", "--format", "{{.Id}}", &users_image]);
    assert_eq!(before, after, "verify rebuilt and re-tagged {users_image}");
    let verify_tag = format!("{project}-worker:verify");
    assert!(
        !docker(&["image", "inspect", &verify_tag]).status.success(),
        "{verify_tag} is removed at the end"
    );
    let stderr = stderr_of(out.get_output());
    assert!(stderr.contains(&format!("image {verify_tag}")), "{stderr}");
    let left = verify_leftovers(name);
    assert!(left.is_empty(), "verify left behind: {left:?}");
}

/// #15: a container (and its compose project's network) left by a verify whose
/// process is gone is removed, with a message; one whose owner runs stays.
#[cfg(target_os = "linux")]
#[test]
fn containers_of_a_killed_verify_are_reaped_and_live_ones_kept() {
    if !require_docker() {
        return;
    }
    let name = &unique("vh-reap");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    let mut finished = Command::new("true").spawn().unwrap();
    let dead_pid = finished.id().to_string();
    finished.wait().unwrap();
    let live_pid = std::process::id().to_string();
    let dead = format!("scaffold-verify-{name}-dead");
    let live = format!("scaffold-verify-{name}-live");
    let dead_network = format!("{dead}_default");
    let _made = EngineThings(vec![
        vec!["network".into(), "rm".into(), dead_network.clone()],
        vec!["rm".into(), "-f".into(), dead.clone()],
        vec!["rm".into(), "-f".into(), live.clone()],
    ]);
    docker_ok(&[
        "network",
        "create",
        "--label",
        &format!("com.docker.compose.project={dead}"),
        &dead_network,
    ]);
    for (container, pid) in [(&dead, &dead_pid), (&live, &live_pid)] {
        docker_ok(&[
            "create",
            "--name",
            container,
            "--label",
            &format!("scaffold.verify={container}"),
            "--label",
            &format!("scaffold.verify.project={name}"),
            "--label",
            &format!("scaffold.verify.owner.pid={pid}"),
            "--label",
            &format!("scaffold.verify.owner.host={host}"),
            "--label",
            &format!("com.docker.compose.project={container}"),
            "alpine:3",
            "true",
        ]);
    }
    // A Dockerfile that does not parse: verify reaps first, then fails fast.
    let dir = bare_project("FROM alpine:3\nCOPPY a b\n");
    let out = scaffold().arg("verify").arg(dir.path()).assert().code(1);
    let stderr = stderr_of(out.get_output());
    assert!(
        stderr.contains(&format!(
            "container {dead}, left by a verify that was killed (process {dead_pid} on {host} is gone)"
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&dead_network), "{stderr}");
    assert!(!docker(&["container", "inspect", &dead]).status.success());
    assert!(!docker(&["network", "inspect", &dead_network])
        .status
        .success());
    assert!(
        docker(&["container", "inspect", &live]).status.success(),
        "a container whose verify still runs was removed"
    );
    assert!(!stderr.contains(&live), "{stderr}");
}
