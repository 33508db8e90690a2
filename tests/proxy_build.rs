//! Builds behind a company proxy, for real, on loopback: a module proxy of our own
//! (tests/tools/goproxy, Go standard library) serves one module over HTTPS with a
//! certificate from a CA made at test time, on 127.0.0.1 only. The generated project
//! requires that module, and a real `docker build --network host` (BuildKit) downloads
//! it: without `--ca-cert` it fails with the x509 error verify names, with it it
//! passes, and neither the CA nor the proxy values end up in the final image.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use scaffold::verify::build_failure::{diagnose, BuildNetwork};

/// A value for HTTPS_PROXY that must never appear in the image. Go never sends
/// requests to 127.0.0.1 through a proxy, so the build still reaches the test proxy.
const PROXY_MARKER: &str = "http://proxy-marker.invalid:3128";

/// The test proxy, running; killed (by its own id) when dropped.
struct TestProxy {
    child: Child,
    port: u16,
    ca: PathBuf,
}

impl TestProxy {
    fn start(dir: &Path, module: &str) -> TestProxy {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/goproxy");
        let binary = dir.join("goproxy");
        let built = Command::new("go")
            .args(["build", "-o"])
            .arg(&binary)
            .arg(".")
            .current_dir(&source)
            .env("GOTOOLCHAIN", "local")
            .env("GOFLAGS", "-mod=mod")
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "go build of the test proxy: {}",
            String::from_utf8_lossy(&built.stderr)
        );
        let mut child = Command::new(&binary)
            .arg("-dir")
            .arg(dir)
            .args(["-module", module])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the test proxy prints its port");
        TestProxy {
            child,
            port,
            ca: dir.join("ca.pem"),
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Images this test built, removed at the end whatever happened.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("docker")
                .args(["rmi", "--force", image])
                .output();
        }
    }
}

/// A generated project whose code imports `module`, with go.mod and go.sum made on
/// the host from the test proxy (trusting its CA there).
fn project_requiring(
    parent: &Path,
    name: &str,
    flags: &[&str],
    proxy: &TestProxy,
    module: &str,
) -> PathBuf {
    let dir = parent.join(name);
    support::new_project(&dir, name, flags);
    let package = dir.join("internal/greeting");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(
        package.join("greeting.go"),
        format!("package greeting\n\nimport \"{module}\"\n\n// Text is the greeting of the module from the test proxy.\nfunc Text() string {{ return greet.Hello() }}\n"),
    )
    .unwrap();
    let tidy = support::bar::go()
        .args(["mod", "tidy"])
        .current_dir(&dir)
        .env("SSL_CERT_FILE", &proxy.ca)
        .env("GOPROXY", proxy.url())
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod -modcacherw")
        .env("GOMODCACHE", parent.join("modcache"))
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(
        tidy.status.success(),
        "go mod tidy: {}",
        String::from_utf8_lossy(&tidy.stderr)
    );
    let go_mod = std::fs::read_to_string(dir.join("go.mod")).unwrap();
    assert!(go_mod.contains(module), "{go_mod}");
    dir
}

/// `docker build` as the README says, through the test proxy; success and the log.
fn docker_build(dir: &Path, tag: &str, proxy: &TestProxy, extra: &[&str]) -> (bool, String, f64) {
    let started = Instant::now();
    let output = Command::new("docker")
        .args(["build", "--network", "host", "--progress", "plain"])
        .args(["--build-arg", &format!("GOPROXY={}", proxy.url())])
        .args(["--build-arg", "GONOSUMDB=example.test"])
        .args(["--build-arg", "HTTP_PROXY", "--build-arg", "HTTPS_PROXY"])
        .args(["--build-arg", "NO_PROXY"])
        .args(extra)
        .args(["--tag", tag, "."])
        .current_dir(dir)
        .env("DOCKER_BUILDKIT", "1")
        .env("HTTPS_PROXY", PROXY_MARKER)
        .env("HTTP_PROXY", PROXY_MARKER)
        .env("NO_PROXY", "localhost")
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.success(),
        log,
        started.elapsed().as_secs_f64(),
    )
}

/// Whether `needle` occurs anywhere in `docker save IMAGE` (a tar of uncompressed
/// layer tars, so a file in any layer appears as its bytes).
fn saved_image_contains(image: &str, needle: &[u8]) -> bool {
    let mut child = Command::new("docker")
        .args(["save", image])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut window: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut found = false;
    loop {
        let read = stdout.read(&mut chunk).unwrap();
        if read == 0 {
            break;
        }
        window.extend_from_slice(&chunk[..read]);
        if window.windows(needle.len()).any(|w| w == needle) {
            found = true;
            break;
        }
        let keep = window.len().saturating_sub(needle.len());
        window.drain(..keep);
    }
    drop(stdout);
    let status = child.wait().unwrap();
    assert!(found || status.success(), "docker save {image} failed");
    found
}

/// The first line of the CA's base64 body: unique to this run's CA.
fn pem_body_line(ca_pem: &str) -> String {
    ca_pem
        .lines()
        .find(|line| !line.starts_with("-----") && line.len() > 40)
        .expect("a PEM body")
        .to_string()
}

#[test]
fn the_build_trusts_the_company_ca_only_with_ca_cert_and_never_ships_it() {
    if !support::require_docker() || !support::require_go() {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    // A module path unique to this run: BuildKit's module cache mount is shared by
    // every build, so a module downloaded once would be there without the proxy.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let module = format!("example.test/run{}x{nanos}/greet", std::process::id());
    let proxy = TestProxy::start(temp.path(), &module);
    let ca_pem = std::fs::read_to_string(&proxy.ca).unwrap();
    let ca_flag = proxy.ca.to_str().unwrap().to_string();
    let mut images = Images(Vec::new());

    // Without --ca-cert: the x509 error, which verify's classifier names.
    let plain = project_requiring(temp.path(), "plain", &[], &proxy, &module);
    let plain_tag = format!("{}:test", support::unique("scaffold-proxy-plain"));
    images.0.push(plain_tag.clone());
    let (ok, log, plain_seconds) = docker_build(&plain, &plain_tag, &proxy, &[]);
    assert!(!ok, "the build trusted a CA it was never given:\n{log}");
    assert!(
        log.contains("x509: certificate signed by unknown authority"),
        "{log}"
    );
    let lines: Vec<String> = log.lines().map(str::to_string).collect();
    let cause = diagnose(&lines, BuildNetwork::default()).expect("a named cause");
    assert_eq!(cause.kind, "unknown-authority");
    assert!(cause.fix.contains("--ca-cert"), "{}", cause.fix);

    // With --ca-cert (and --build-proxy): the same module downloads.
    let trusted = project_requiring(
        temp.path(),
        "trusted",
        &["--ca-cert", &ca_flag, "--build-proxy"],
        &proxy,
        &module,
    );
    let kept = std::fs::read_to_string(trusted.join("certs/build-ca.pem")).unwrap();
    assert_eq!(kept.trim(), ca_pem.trim());
    let tag = format!("{}:test", support::unique("scaffold-proxy-trusted"));
    images.0.push(tag.clone());
    let (ok, log, trusted_seconds) = docker_build(&trusted, &tag, &proxy, &[]);
    assert!(ok, "the build with --ca-cert failed:\n{log}");
    eprintln!("build without --ca-cert failed in {plain_seconds:.1} s; with it built in {trusted_seconds:.1} s");

    // The CA is in no layer of the final image, though the build stage has it (the
    // control: the same search finds it there).
    let body = pem_body_line(&ca_pem);
    assert!(
        !saved_image_contains(&tag, body.as_bytes()),
        "the CA is in a layer of {tag}"
    );
    let stage = format!("{}:build-stage", support::unique("scaffold-proxy-trusted"));
    images.0.push(stage.clone());
    let (ok, log, _) = docker_build(&trusted, &stage, &proxy, &["--target", "build"]);
    assert!(ok, "{log}");
    assert!(
        saved_image_contains(&stage, body.as_bytes()),
        "the search cannot find the CA even in the build stage"
    );

    // Neither the certificate nor the proxy values are in the image's history.
    let history = Command::new("docker")
        .args(["history", "--no-trunc", "--format", "{{.CreatedBy}}", &tag])
        .output()
        .unwrap();
    assert!(history.status.success());
    let history = String::from_utf8_lossy(&history.stdout);
    for secret in ["build-ca", "CERTIFICATE", "proxy-marker", body.as_str()] {
        assert!(
            !history.contains(secret),
            "`{secret}` in the history:\n{history}"
        );
    }
    assert!(history.contains("ENTRYPOINT"), "{history}");
}

/// `scaffold verify` of `dir` in a shell whose proxy variables name a proxy that does
/// not exist: its stderr.
fn verify_with_a_proxy_in_the_shell(dir: &Path) -> String {
    let output = support::scaffold()
        .arg("verify")
        .arg(dir)
        .env("HTTPS_PROXY", PROXY_MARKER)
        .env("HTTP_PROXY", PROXY_MARKER)
        .env("NO_PROXY", "localhost")
        .env("DOCKER_BUILDKIT", "1")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "verify did not fail the build"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// No module proxy is reachable from this machine's builds (proxy.golang.org does not
/// resolve), so a project with a module to download fails here for real: verify names
/// the cause, and passes the shell's proxy variables only to a project that asks.
#[test]
fn verify_passes_the_proxy_only_when_the_project_asks_and_names_the_cause() {
    if !support::require_docker() || !support::require_go() {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let module = format!("example.test/verify{}/greet", std::process::id());
    let proxy = TestProxy::start(temp.path(), &module);
    let name = support::unique("proxyasks");
    let asks = project_requiring(temp.path(), &name, &["--build-proxy"], &proxy, &module);
    let stderr = verify_with_a_proxy_in_the_shell(&asks);
    assert!(
        stderr.contains("Cause: the builder could not resolve the proxy `proxy-marker.invalid`"),
        "verify did not pass HTTPS_PROXY to the build:\n{stderr}"
    );
    let name = support::unique("proxyplain");
    let plain = project_requiring(temp.path(), &name, &[], &proxy, &module);
    let stderr = verify_with_a_proxy_in_the_shell(&plain);
    assert!(!stderr.contains("proxy-marker"), "{stderr}");
    assert!(
        stderr.contains("could not resolve `proxy.golang.org`")
            && stderr.contains("did not get it")
            && stderr.contains("scaffold update --build-proxy"),
        "{stderr}"
    );
}
