//! What is verified: a folder with a Dockerfile, made by scaffold or not. From a
//! scaffold project the name and port come from `.scaffold/answers.toml`; from any
//! other, from the folder name and the Dockerfile's EXPOSE.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::error::Error;
use crate::generate::answers::ProjectName;
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

#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    /// A valid image name: the project name, or the folder name made valid.
    pub name: String,
    /// The port the service listens on inside the container.
    pub container_port: u16,
    /// The Dockerfile uses instructions only BuildKit understands (`RUN --mount`, …).
    pub needs_buildkit: bool,
    pub compose_file: Option<PathBuf>,
}

impl Project {
    pub fn open(dir: &Path) -> Result<Project, Error> {
        let dockerfile = dir.join("Dockerfile");
        if !dockerfile.is_file() {
            return Err(Error::NoDockerfile {
                path: dir.to_path_buf(),
            });
        }
        let text =
            std::fs::read_to_string(&dockerfile).map_err(Error::io("read", dockerfile.clone()))?;
        let answers = AnswersFile::read(&dir.join(RECORD_PATH)).ok();
        let recorded_name = answers
            .as_ref()
            .and_then(|a| a.answers.name.as_deref())
            .and_then(|n| n.parse::<ProjectName>().ok())
            .map(|n| n.to_string());
        let recorded_port = answers.as_ref().and_then(|a| a.answers.port);
        Ok(Project {
            dir: dir.to_path_buf(),
            name: recorded_name.unwrap_or_else(|| name_from_folder(dir)),
            container_port: recorded_port
                .or_else(|| listening_port(&text))
                .unwrap_or(DEFAULT_CONTAINER_PORT),
            needs_buildkit: needs_buildkit(&text),
            compose_file: COMPOSE_FILES
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.is_file()),
        })
    }

    /// The tag verify builds: the project name, with a tag that says where it came from
    /// (so the user's own `NAME:latest` is never replaced).
    pub fn image_tag(&self) -> String {
        format!("{}:verify", self.name)
    }
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
fn listening_port(dockerfile: &str) -> Option<u16> {
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
    last(expose).or_else(|| last(env_port))
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
            Some(8081)
        );
        assert_eq!(listening_port("FROM a\nENV PORT=9090\n"), Some(9090));
        assert_eq!(listening_port("FROM a\nEXPOSE ${PORT}\n"), None);
    }

    #[test]
    fn a_project_needs_a_dockerfile() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            Project::open(dir.path()),
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
        let project = Project::open(&dir).unwrap();
        assert_eq!(project.name, "my-service");
        assert_eq!(project.image_tag(), "my-service:verify");
        assert_eq!(project.container_port, 9000);
        assert!(!project.needs_buildkit);
        assert_eq!(project.compose_file, Some(dir.join("compose.yaml")));
    }
}
