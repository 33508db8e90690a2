//! What is verified: a folder with a Dockerfile, made by scaffold or not. From a
//! scaffold project the name and port come from `.scaffold/answers.toml`; from any
//! other, from the folder name and the Dockerfile's EXPOSE.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::error::Error;
use crate::generate::answers::{Port, ProjectName};
use crate::generate::record::{AnswersFile, RECORD_PATH};

/// The port a service listens on when nothing says otherwise (the generated service's
/// own default).
const DEFAULT_CONTAINER_PORT: u16 = 8080;

/// Compose file names, in the order `docker compose` looks for them.
const COMPOSE_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Where the container port verify probes came from, so the report can say why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortSource {
    /// `--port`.
    Flag,
    /// `.scaffold/answers.toml`.
    Record,
    /// The Dockerfile's last numeric EXPOSE.
    Expose,
    /// `ENV PORT=N` in a Dockerfile without EXPOSE.
    EnvPort,
    /// Nothing said: the generated service's own default.
    Default,
}

impl PortSource {
    /// Why this port, in words for the report.
    pub fn reason(self) -> &'static str {
        match self {
            PortSource::Flag => "from --port",
            PortSource::Record => "from .scaffold/answers.toml",
            PortSource::Expose => "from the Dockerfile's EXPOSE",
            PortSource::EnvPort => "from the Dockerfile's ENV PORT (it has no EXPOSE)",
            PortSource::Default => {
                "the default: the Dockerfile has no EXPOSE and there is no .scaffold/answers.toml; \
                 pass --port N if the service listens on another port"
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    /// A valid image name: the project name, or the folder name made valid.
    pub name: String,
    /// The port the service listens on inside the container.
    pub container_port: u16,
    /// Why that port.
    pub port_source: PortSource,
    /// The Dockerfile uses instructions only BuildKit understands (`RUN --mount`, …).
    pub needs_buildkit: bool,
    pub compose_file: Option<PathBuf>,
    /// The record says builds get the caller's proxy variables (`--build-proxy`).
    pub build_proxy: bool,
    /// The record says the build stage trusts certs/build-ca.pem (`--ca-cert`).
    pub ca_cert: bool,
}

/// Larger than any real Dockerfile or compose file; a bigger one is refused, not read.
pub const MAX_PROJECT_FILE: u64 = 8 * 1024 * 1024;
/// Larger than any real answers record.
const MAX_RECORD: u64 = 1024 * 1024;

impl Project {
    /// The project in `dir`; `port` is `--port`, which wins over everything else.
    pub fn open(dir: &Path, port: Option<u16>) -> Result<Project, Error> {
        let dockerfile = dir.join("Dockerfile");
        let text = read_regular_text(&dockerfile, MAX_PROJECT_FILE)?.ok_or_else(|| {
            Error::NoDockerfile {
                path: dir.to_path_buf(),
            }
        })?;
        let record_path = dir.join(RECORD_PATH);
        let record = read_record(&record_path)?;
        let recorded_name = record
            .as_ref()
            .and_then(|a| a.answers.name.as_deref())
            .and_then(|n| n.parse::<ProjectName>().ok())
            .map(|n| n.to_string());
        let recorded_port = record
            .as_ref()
            .and_then(|a| a.answers.port)
            .map(|port| {
                port.to_string().parse::<Port>().map_err(|message| {
                    Error::InvalidAnswer(format!(
                        "answers file `{}`: {message}; verify probes the port it records",
                        record_path.display()
                    ))
                })
            })
            .transpose()?
            .map(Port::get);
        let (container_port, port_source) = port
            .map(|p| (p, PortSource::Flag))
            .or(recorded_port.map(|p| (p, PortSource::Record)))
            .or_else(|| listening_port(&text))
            .unwrap_or((DEFAULT_CONTAINER_PORT, PortSource::Default));
        Ok(Project {
            dir: dir.to_path_buf(),
            name: recorded_name.unwrap_or_else(|| name_from_folder(dir)),
            container_port,
            port_source,
            needs_buildkit: needs_buildkit(&text),
            compose_file: COMPOSE_FILES
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.is_file()),
            build_proxy: record
                .as_ref()
                .and_then(|a| a.answers.build_proxy)
                .unwrap_or(false),
            ca_cert: record.as_ref().is_some_and(|a| a.answers.ca_cert.is_some()),
        })
    }

    /// The tag verify builds: the project name, with a tag that says where it came from
    /// (so the user's own `NAME:latest` is never replaced).
    pub fn image_tag(&self) -> String {
        format!("{}:verify", self.name)
    }
}

/// The answers record, when there is one; one that cannot be read or parsed is an
/// error (verify would otherwise guess the name and port).
fn read_record(path: &Path) -> Result<Option<AnswersFile>, Error> {
    let Some(text) = read_regular_text(path, MAX_RECORD)? else {
        return Ok(None);
    };
    toml::from_str(&text).map(Some).map_err(|error| {
        Error::InvalidAnswer(format!("answers file `{}`: {error}", path.display()))
    })
}

/// The text of `path`, or `None` when there is nothing there. Only a regular file (or
/// a symlink to one) is read, at most `limit` bytes: a FIFO would block for ever (and
/// is opened without blocking to find out), a device could be endless.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<Option<String>, Error> {
    let refuse = |problem: String| Error::UnreadableInput {
        path: path.to_path_buf(),
        problem,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(Error::io("read", path)(error)),
    };
    let metadata = file.metadata().map_err(Error::io("read", path))?;
    if !metadata.is_file() {
        return Err(refuse(format!(
            "is {}, not a regular file: verify reads only regular files; replace it with one",
            file_kind(&metadata)
        )));
    }
    if metadata.len() > limit {
        return Err(refuse(format!(
            "is {} bytes, more than the {limit} bytes verify reads: is it the right file?",
            metadata.len()
        )));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io("read", path))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| refuse("is not UTF-8 text: save it as UTF-8".to_string()))
}

/// `a folder`, `a FIFO (named pipe)`, … for messages.
fn file_kind(metadata: &std::fs::Metadata) -> &'static str {
    if metadata.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = metadata.file_type();
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    "not a regular file"
}

/// The folder's name made into a valid image name: lower case, `a-z0-9._-`.
fn name_from_folder(dir: &Path) -> String {
    let folder = std::fs::canonicalize(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut name: String = folder
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    name.truncate(63);
    if name.is_empty() {
        "app".to_string()
    } else {
        name
    }
}

/// The last numeric EXPOSE (the final stage's), else `ENV PORT=N`.
fn listening_port(dockerfile: &str) -> Option<(u16, PortSource)> {
    static EXPOSE: OnceLock<Regex> = OnceLock::new();
    static ENV_PORT: OnceLock<Regex> = OnceLock::new();
    let expose = EXPOSE.get_or_init(|| Regex::new(r"(?im)^\s*EXPOSE\s+(\d+)(?:/tcp)?\b").unwrap());
    let env_port =
        ENV_PORT.get_or_init(|| Regex::new(r"(?im)^\s*ENV\s+(?:.*\s)?PORT[= ]\s*(\d+)").unwrap());
    let last = |re: &Regex| {
        re.captures_iter(dockerfile)
            .filter_map(|c| c[1].parse::<u16>().ok())
            .filter(|p| *p != 0)
            .last()
    };
    last(expose)
        .map(|p| (p, PortSource::Expose))
        .or_else(|| last(env_port).map(|p| (p, PortSource::EnvPort)))
}

/// Whether the Dockerfile uses what the classic builder rejects: `RUN --mount`,
/// `--network` or `--security`, and `COPY`/`ADD --link` or `--chmod`.
pub fn needs_buildkit(dockerfile: &str) -> bool {
    static FLAGS: OnceLock<Regex> = OnceLock::new();
    FLAGS
        .get_or_init(|| {
            Regex::new(
                r"(?im)^\s*(RUN\s+(--\S+\s+)*--(mount|network|security)|(COPY|ADD)\s+(--\S+\s+)*--(link|chmod))",
            )
            .unwrap()
        })
        .is_match(dockerfile)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildkit_instructions_are_recognised() {
        assert!(needs_buildkit(
            "FROM x\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\n"
        ));
        assert!(needs_buildkit(
            "FROM x\n  run --network=none --mount=type=cache,target=/a true\n"
        ));
        assert!(needs_buildkit("FROM x\nCOPY --link a b\n"));
        assert!(!needs_buildkit(
            "FROM x\nRUN go build -o main .\n# RUN --mount in a comment\n"
        ));
    }

    #[test]
    fn the_port_comes_from_the_last_expose() {
        assert_eq!(
            listening_port("FROM a\nEXPOSE 9000\nFROM b\nEXPOSE 8081/tcp\n"),
            Some((8081, PortSource::Expose))
        );
        assert_eq!(
            listening_port("FROM a\nENV PORT=9090\n"),
            Some((9090, PortSource::EnvPort))
        );
        assert_eq!(listening_port("FROM a\nEXPOSE ${PORT}\n"), None);
    }

    #[test]
    fn a_project_needs_a_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Project::open(dir.path(), None),
            Err(Error::NoDockerfile { .. })
        ));
    }

    #[test]
    fn folder_names_become_image_names() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("My Service!");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("Dockerfile"), "FROM scratch\nEXPOSE 9000\n").unwrap();
        std::fs::write(dir.join("compose.yaml"), "services: {}\n").unwrap();
        let project = Project::open(&dir, None).unwrap();
        assert_eq!(project.name, "my-service");
        assert_eq!(project.image_tag(), "my-service:verify");
        assert_eq!(project.container_port, 9000);
        assert!(!project.needs_buildkit);
        assert_eq!(project.compose_file, Some(dir.join("compose.yaml")));
        assert_eq!(project.port_source, PortSource::Expose);
    }

    fn project_with(dockerfile: &str, record: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
        if let Some(record) = record {
            std::fs::create_dir(dir.path().join(".scaffold")).unwrap();
            std::fs::write(dir.path().join(RECORD_PATH), record).unwrap();
        }
        dir
    }

    #[test]
    fn the_port_says_where_it_came_from() {
        let bare = project_with("FROM scratch\n", None);
        let project = Project::open(bare.path(), None).unwrap();
        assert_eq!(
            (project.container_port, project.port_source),
            (8080, PortSource::Default)
        );
        assert!(project.port_source.reason().contains("no EXPOSE"));
        assert!(project.port_source.reason().contains("--port"));
        let project = Project::open(bare.path(), Some(9000)).unwrap();
        assert_eq!(
            (project.container_port, project.port_source),
            (9000, PortSource::Flag)
        );
        let recorded = project_with(
            "FROM scratch\nEXPOSE 7000\n",
            Some("[answers]\nport = 9100\n"),
        );
        let project = Project::open(recorded.path(), None).unwrap();
        assert_eq!(
            (project.container_port, project.port_source),
            (9100, PortSource::Record)
        );
        let project = Project::open(recorded.path(), Some(9200)).unwrap();
        assert_eq!(project.port_source, PortSource::Flag);
    }

    #[test]
    fn a_record_with_port_zero_is_refused() {
        let dir = project_with("FROM scratch\n", Some("[answers]\nport = 0\n"));
        let error = Project::open(dir.path(), None).unwrap_err();
        let text = error.to_string();
        assert_eq!(error.exit_status(), crate::exit_status::ExitStatus::Usage);
        assert!(text.contains("answers.toml"), "{text}");
        assert!(text.contains("port `0` is not a TCP port"), "{text}");
    }

    #[test]
    fn a_record_that_does_not_parse_is_refused() {
        let dir = project_with("FROM scratch\n", Some("[answers\n"));
        let error = Project::open(dir.path(), None).unwrap_err();
        assert!(error.to_string().contains("answers.toml"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = project_with("FROM scratch\n", None);
        std::fs::create_dir(dir.path().join(".scaffold")).unwrap();
        let fifo = dir.path().join(RECORD_PATH);
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let error = Project::open(dir.path(), None).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("answers.toml"), "{text}");
        assert!(
            text.contains("a FIFO (named pipe), not a regular file"),
            "{text}"
        );
        assert_eq!(error.exit_status(), crate::exit_status::ExitStatus::Usage);
    }

    #[test]
    fn files_beyond_the_limit_or_not_utf8_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'a'; 2048]).unwrap();
        let error = read_regular_text(&path, 1024).unwrap_err();
        assert!(error.to_string().contains("more than"), "{error}");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let error = read_regular_text(&path, 1024).unwrap_err();
        assert!(error.to_string().contains("UTF-8"), "{error}");
        assert_eq!(
            read_regular_text(&dir.path().join("none"), 1024).unwrap(),
            None
        );
    }
}
