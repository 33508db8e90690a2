//! What a file is, from its name (and, for a name that only looks like a Dockerfile
//! variant, its first instruction): a Dockerfile, a compose file, a bake file, a file
//! whose commands may build images (Makefile, script, README), or a file that must keep
//! LF. A name is never enough to make a file of another language a Dockerfile:
//! `dockerfile.min.js` is JavaScript, `dockerfile_test.go` is Go.

/// Extensions of files that are never Dockerfiles, whatever their stem: source code,
/// documents, data, templates, archives and images. A file with one of these is read
/// as a Dockerfile only when a compose file, bake file or build command names it.
const OTHER_LANGUAGES: &[&str] = &[
    // source code
    "js",
    "mjs",
    "cjs",
    "ts",
    "mts",
    "cts",
    "tsx",
    "jsx",
    "go",
    "py",
    "pyc",
    "rb",
    "rs",
    "java",
    "kt",
    "kts",
    "scala",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "swift",
    "php",
    "pl",
    "pm",
    "lua",
    "vim",
    "el",
    "ex",
    "exs",
    "erl",
    "hs",
    "clj",
    "dart",
    "groovy",
    "gradle",
    "jl",
    "nix",
    "zig",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "psm1",
    "bat",
    "cmd",
    "awk",
    "sed",
    "mk",
    "cmake",
    "hcl",
    "tf",
    "bzl",
    "star",
    "wasm",
    "map",
    // documents and data
    "md",
    "markdown",
    "mdx",
    "rst",
    "adoc",
    "txt",
    "text",
    "html",
    "htm",
    "css",
    "scss",
    "less",
    "xml",
    "json",
    "jsonc",
    "json5",
    "yaml",
    "yml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "csv",
    "tsv",
    "sql",
    "proto",
    "graphql",
    "lock",
    "sum",
    "mod",
    "log",
    "snap",
    "golden",
    "diff",
    "patch",
    "orig",
    "rej",
    "bak",
    "swp",
    "tmp",
    "old",
    // templates (rendered into a Dockerfile by something else)
    "tera",
    "tmpl",
    "tpl",
    "j2",
    "jinja",
    "jinja2",
    "mustache",
    "hbs",
    "erb",
    "template",
    "example",
    "sample",
    "in",
    "gotmpl",
    "ejs",
    // archives, images, binaries
    "zip",
    "gz",
    "tgz",
    "tar",
    "xz",
    "bz2",
    "zst",
    "7z",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "svg",
    "ico",
    "webp",
    "pdf",
    "exe",
    "dll",
    "dylib",
    "class",
    "jar",
    // other tools' files named after Dockerfiles
    "dockerignore",
    "containerignore",
    "gitignore",
    "vim-syntax",
];

/// Template suffixes: the file is rendered into the real one, so it need not be valid
/// yet and its line endings are the renderer's business.
const TEMPLATE_SUFFIXES: &[&str] = &[".tera", ".tmpl", ".tpl", ".j2", ".template", ".example"];

/// Why a file must keep LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LfKind {
    Dockerfile,
    /// `*.sh`, `*.bash`, or a file starting with `#!`.
    Script,
    /// Named like an entrypoint (`docker-entrypoint`, `entrypoint.py`…).
    Entrypoint,
    Go,
    /// go.mod, go.sum, go.work.
    GoModule,
    Compose,
}

impl LfKind {
    pub fn describe(self) -> &'static str {
        match self {
            LfKind::Dockerfile => "Dockerfile",
            LfKind::Script => "shell script",
            LfKind::Entrypoint => "entrypoint",
            LfKind::Go => "Go source",
            LfKind::GoModule => "Go module file",
            LfKind::Compose => "compose file",
        }
    }

    /// Whether a CRLF here breaks the build or the container (rather than only
    /// diffs and tools).
    pub fn breaks_at_run_time(self) -> bool {
        matches!(
            self,
            LfKind::Dockerfile | LfKind::Script | LfKind::Entrypoint
        )
    }
}

/// How sure a name makes doctor that a file is a Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerfileName {
    /// `Dockerfile`, `Containerfile`: the builders' own defaults.
    Default,
    /// `Dockerfile.<name>`, `Dockerfile-<name>`, `<name>.Dockerfile`…: a convention,
    /// so the file must also start like a Dockerfile (see `starts_like_dockerfile`).
    Variant,
}

/// Why a file name must keep LF, if it must.
pub fn lf_kind(name: &str) -> Option<LfKind> {
    if TEMPLATE_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
    {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    if is_dockerfile_name(name) {
        return Some(LfKind::Dockerfile);
    }
    if is_compose_name(&lower) {
        return Some(LfKind::Compose);
    }
    if matches!(name, "go.mod" | "go.sum" | "go.work" | "go.work.sum") {
        return Some(LfKind::GoModule);
    }
    let extension = lower.rsplit_once('.').map(|(_, ext)| ext);
    match extension {
        Some("go") => Some(LfKind::Go),
        Some("sh" | "bash") => Some(LfKind::Script),
        Some("md" | "txt" | "json" | "yaml" | "yml" | "toml" | "bat" | "cmd" | "ps1") => None,
        _ if lower.contains("entrypoint") => Some(LfKind::Entrypoint),
        _ => None,
    }
}

pub fn is_dockerfile_name(name: &str) -> bool {
    dockerfile_name(name).is_some()
}

/// Whether `name` is a Dockerfile by the names people give them, and how sure that is.
pub fn dockerfile_name(name: &str) -> Option<DockerfileName> {
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile" || lower == "containerfile" {
        return Some(DockerfileName::Default);
    }
    if has_other_language_extension(&lower) {
        return None;
    }
    let variant = ["dockerfile", "containerfile"].iter().any(|base| {
        lower
            .strip_prefix(base)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with(['.', '-', '_']))
            || lower
                .strip_suffix(base)
                .is_some_and(|stem| stem.len() > 1 && stem.ends_with(['.', '-', '_']))
    });
    variant.then_some(DockerfileName::Variant)
}

fn has_other_language_extension(lower: &str) -> bool {
    lower
        .rsplit_once('.')
        .is_some_and(|(_, extension)| OTHER_LANGUAGES.contains(&extension))
}

/// Whether the first instruction of `text` is one a Dockerfile can start with (a
/// parser directive or comment, ARG or FROM), so a file merely named like a variant
/// (`Dockerfile.notes`) is not reported as a broken Dockerfile.
pub fn starts_like_dockerfile(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
    else {
        return false;
    };
    let keyword = first
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or_default();
    keyword.eq_ignore_ascii_case("FROM") || keyword.eq_ignore_ascii_case("ARG")
}

pub fn is_compose_name(lower: &str) -> bool {
    let Some(stem) = lower
        .strip_suffix(".yml")
        .or_else(|| lower.strip_suffix(".yaml"))
    else {
        return false;
    };
    ["compose", "docker-compose"].iter().any(|base| {
        stem == *base
            || stem
                .strip_prefix(base)
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with(['.', '-', '_']))
    })
}

/// `docker-bake.hcl`, `docker-bake.json`, `docker-bake.override.hcl`, `docker-bake-ci.hcl`.
pub fn is_bake_name(lower: &str) -> bool {
    let Some(stem) = lower
        .strip_suffix(".hcl")
        .or_else(|| lower.strip_suffix(".json"))
    else {
        return false;
    };
    stem == "docker-bake"
        || stem
            .strip_prefix("docker-bake")
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with(['.', '-', '_']))
}

/// Files whose commands may run `docker build -f …` or `docker compose -f …`: make
/// files, task runners, shell scripts, CI workflows and READMEs.
pub fn may_name_build_files(relative: &str, lower_name: &str) -> bool {
    matches!(
        lower_name,
        "makefile" | "gnumakefile" | "justfile" | "taskfile.yml" | "taskfile.yaml"
    ) || [".mk", ".sh", ".bash", ".md"]
        .iter()
        .any(|suffix| lower_name.ends_with(suffix))
        || (relative.starts_with(".github/workflows/")
            && (lower_name.ends_with(".yml") || lower_name.ends_with(".yaml")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds() {
        assert_eq!(lf_kind("Dockerfile"), Some(LfKind::Dockerfile));
        assert_eq!(lf_kind("api.Dockerfile"), Some(LfKind::Dockerfile));
        assert_eq!(lf_kind("Dockerfile.dev"), Some(LfKind::Dockerfile));
        assert_eq!(lf_kind("Dockerfile.tera"), None);
        assert_eq!(lf_kind("Dockerfile.dockerignore"), None);
        assert_eq!(
            lf_kind("docker-compose.override.yml"),
            Some(LfKind::Compose)
        );
        assert_eq!(lf_kind("compose.yaml"), Some(LfKind::Compose));
        assert_eq!(lf_kind("composer.yml"), None);
        assert_eq!(lf_kind("docker-entrypoint"), Some(LfKind::Entrypoint));
        assert_eq!(lf_kind("run.sh"), Some(LfKind::Script));
        assert_eq!(lf_kind("go.sum"), Some(LfKind::GoModule));
        assert_eq!(lf_kind("entrypoint.md"), None);
    }

    #[test]
    fn dockerfile_names_people_use() {
        for name in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "Dockerfile.dev",
            "Dockerfile.api.prod",
            "Dockerfile-worker",
            "Dockerfile_test",
            "api.Dockerfile",
            "worker.dockerfile",
            "web-Dockerfile",
            "Containerfile.alpine",
        ] {
            assert!(is_dockerfile_name(name), "{name}");
        }
        for name in [
            "dockerfile.min.js",
            "dockerfile.go",
            "dockerfile_test.go",
            "Dockerfile.md",
            "Dockerfile.tmpl",
            "Dockerfile.in",
            "Dockerfile.dockerignore",
            "dockerfile.json",
            "dockerfile.vim",
            "Dockerfiles",
            "MyDockerfile",
            "dockerfile-parser.ts",
            "Dockerfile.",
        ] {
            assert!(!is_dockerfile_name(name), "{name}");
        }
        assert_eq!(dockerfile_name("Dockerfile"), Some(DockerfileName::Default));
        assert_eq!(
            dockerfile_name("Dockerfile.dev"),
            Some(DockerfileName::Variant)
        );
    }

    #[test]
    fn a_variant_must_start_like_a_dockerfile() {
        assert!(starts_like_dockerfile(
            "# syntax=docker/dockerfile:1\n\nARG GO=1.22\nFROM golang:${GO}\n"
        ));
        assert!(starts_like_dockerfile("from alpine\n"));
        assert!(!starts_like_dockerfile("Notes about the Dockerfile\n"));
        assert!(!starts_like_dockerfile("RUN echo\n"));
        assert!(!starts_like_dockerfile(""));
    }

    #[test]
    fn compose_and_bake_names() {
        for name in [
            "compose.yaml",
            "docker-compose.yml",
            "docker-compose.prod.yml",
            "docker-compose-dev.yml",
            "compose-local.yaml",
            "compose.override.yaml",
        ] {
            assert!(is_compose_name(name), "{name}");
        }
        for name in ["composer.yml", "compose.yml.bak", "docker-compose.json"] {
            assert!(!is_compose_name(name), "{name}");
        }
        assert!(is_bake_name("docker-bake.hcl") && is_bake_name("docker-bake.override.json"));
        assert!(!is_bake_name("bake.hcl") && !is_bake_name("docker-baker.hcl"));
    }
}
