//! The project as doctor's rules see it, read once: every path on disk (with its exact
//! case, because NTFS and APFS hide case mistakes that Linux will not), the files that
//! must keep LF, the parsed Dockerfiles, compose files, go.mod files and Go sources,
//! `.gitattributes`, `.dockerignore`, and git's view (tracked paths, `core.autocrlf`)
//! when the folder is inside a repository.
//!
//! Skipped: `.git`, `vendor` (third-party code, vendored as published), `node_modules`,
//! `testdata` (the go tool ignores it; fixtures there are often deliberately odd),
//! `bin` and `dist` (build output), and whatever `.gitignore` ignores. `build/` is not
//! skipped: the common Go layout keeps Dockerfiles in `build/package/`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{ConfigLevel, Repository};
use ignore::WalkBuilder;

use crate::doctor::compose::{self, Compose};
use crate::doctor::dockerfile::{self, Dockerfile, ParseError};
use crate::doctor::dockerignore::Dockerignore;
use crate::doctor::gitattributes::Gitattributes;
use crate::doctor::gomod::{self, GoMod};
use crate::doctor::gosource::{self, GoSource};
use crate::doctor::host::Host;
use crate::error::Error;

const SKIPPED_FOLDERS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "vendor",
    "node_modules",
    "testdata",
    "bin",
    "dist",
];

/// Files larger than this are not read: no script, Dockerfile or Go file is this big.
const MAX_READ: u64 = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct Project {
    /// Absolute and canonical.
    pub root: PathBuf,
    pub host: Host,
    pub paths: PathIndex,
    pub text_files: Vec<TextFile>,
    pub dockerfiles: Vec<DockerfileView>,
    pub compose_files: Vec<ComposeView>,
    pub go_modules: Vec<GoModule>,
    pub go_files: Vec<GoFile>,
    /// The `.gitattributes` rules that apply: the repository root's (when the project
    /// is a folder inside a larger repository) then the project's own. Nested
    /// `.gitattributes` in subfolders are not read.
    pub gitattributes: Option<Gitattributes>,
    /// Whether the project root has its own `.gitattributes`.
    pub has_gitattributes: bool,
    pub git: Option<GitView>,
}

/// A file that must keep LF, and where its first CRLF is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFile {
    pub path: String,
    pub kind: LfKind,
    /// Lines ending in CRLF.
    pub crlf_lines: usize,
    pub first_crlf_line: Option<usize>,
}

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

#[derive(Debug)]
pub struct DockerfileView {
    pub path: String,
    /// The build context folder, relative to the project ("" for the root): from a
    /// compose file's `build:` when one names this Dockerfile, else the Dockerfile's
    /// folder when it is the root or holds a go.mod, else the project root
    /// (`docker build -f build/Dockerfile .`).
    pub context: String,
    pub parsed: Result<Dockerfile, ParseError>,
    /// The `.dockerignore` the builder uses for it: `<Dockerfile>.dockerignore` beside
    /// it, else `.dockerignore` at the context root.
    pub dockerignore: Option<(String, Dockerignore)>,
}

#[derive(Debug)]
pub struct ComposeView {
    pub path: String,
    pub parsed: Result<Compose, String>,
}

#[derive(Debug)]
pub struct GoModule {
    /// The folder holding go.mod, relative ("" for the root).
    pub dir: String,
    pub go_mod: GoMod,
    /// `vendor/modules.txt` is there: builds use vendor/ and download nothing.
    pub vendored: bool,
}

#[derive(Debug)]
pub struct GoFile {
    pub path: String,
    pub source: GoSource,
}

#[derive(Debug, Default)]
pub struct GitView {
    /// The project's folder inside the work tree, with a trailing `/` ("" at the root).
    pub prefix: String,
    /// The work tree's root `.gitattributes`, when the project is a subfolder.
    pub root_gitattributes: Option<String>,
    /// Paths in git's index, relative to the project.
    pub tracked: Vec<String>,
    pub autocrlf: Option<GitSetting>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSetting {
    pub value: String,
    /// Where it is set, in words: "the repository's .git/config".
    pub origin: String,
    /// Set in the repository's own config (not the user's or the system's).
    pub local: bool,
}

impl Project {
    pub fn load(root: &Path, host: Host) -> Result<Project, Error> {
        let root = root.canonicalize().map_err(Error::io("read", root))?;
        let mut loader = Loader::default();
        let walker = WalkBuilder::new(&root)
            .hidden(false)
            .ignore(false)
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !(entry.file_type().is_some_and(|t| t.is_dir())
                        && SKIPPED_FOLDERS.contains(&entry.file_name().to_str().unwrap_or("")))
            })
            .build();
        for entry in walker.flatten() {
            let Ok(relative) = entry.path().strip_prefix(&root) else {
                continue;
            };
            let relative = slashed(relative);
            if relative.is_empty() {
                continue;
            }
            loader.paths.insert(&relative);
            if entry.file_type().is_some_and(|t| t.is_file()) {
                loader.file(&relative, entry.path());
            }
        }
        let git = git_view(&root);
        Ok(loader.finish(root, host, git))
    }

    /// The Dockerfiles that parsed, with their view.
    pub fn parsed_dockerfiles(&self) -> impl Iterator<Item = (&DockerfileView, &Dockerfile)> {
        self.dockerfiles
            .iter()
            .filter_map(|view| view.parsed.as_ref().ok().map(|parsed| (view, parsed)))
    }

    /// The module a file or folder belongs to: the nearest go.mod above it.
    pub fn module_of(&self, path: &str) -> Option<&GoModule> {
        self.go_modules
            .iter()
            .filter(|module| module.dir.is_empty() || is_under(path, &module.dir))
            .max_by_key(|module| module.dir.len())
    }

    /// Whether `.gitattributes` makes git check `path` out with LF everywhere.
    pub fn pins_lf(&self, path: &str) -> bool {
        let prefix = self.git.as_ref().map_or("", |git| git.prefix.as_str());
        self.gitattributes
            .as_ref()
            .is_some_and(|attributes| attributes.pins_lf(&format!("{prefix}{path}")))
    }
}

/// Whether `path` is `dir` or inside it.
pub fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
}

/// `rel` resolved against the folder `base` (both relative to the project, `/`), with
/// `.` and `..` removed; None when it leaves the project or is absolute.
pub fn join(base: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') || compose::windows_drive_len(rel) > 0 {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// The folder part of a relative path ("" for the root).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn slashed(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Every path found on disk, by exact name and by name folded to lower case.
#[derive(Debug, Default)]
pub struct PathIndex {
    exact: HashSet<String>,
    folded: HashMap<String, Vec<String>>,
}

/// How a path written in a file compares with the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseMatch {
    Exact,
    /// Only paths differing in case exist: these.
    Differs(Vec<String>),
    /// Nothing by that name, in any case (generated, ignored, or simply missing: not
    /// doctor's business).
    Missing,
}

impl PathIndex {
    pub fn insert(&mut self, path: &str) {
        if self.exact.insert(path.to_string()) {
            self.folded
                .entry(path.to_lowercase())
                .or_default()
                .push(path.to_string());
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.exact.contains(path)
    }

    pub fn lookup(&self, path: &str) -> CaseMatch {
        if path.is_empty() || self.exact.contains(path) {
            return CaseMatch::Exact;
        }
        match self.folded.get(&path.to_lowercase()) {
            Some(found) => {
                let mut found = found.clone();
                found.sort();
                CaseMatch::Differs(found)
            }
            None => CaseMatch::Missing,
        }
    }

    /// Like `lookup`, for a glob (`*`, `?`, `[…]`, `**`) relative to the project.
    pub fn lookup_glob(&self, pattern: &str) -> CaseMatch {
        let build = |insensitive: bool| {
            globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .case_insensitive(insensitive)
                .build()
                .map(|glob| glob.compile_matcher())
        };
        let (Ok(exact), Ok(folded)) = (build(false), build(true)) else {
            return CaseMatch::Missing;
        };
        if self.exact.iter().any(|path| exact.is_match(path)) {
            return CaseMatch::Exact;
        }
        let mut found: Vec<String> = self
            .exact
            .iter()
            .filter(|path| folded.is_match(path))
            .cloned()
            .collect();
        found.sort();
        if found.is_empty() {
            CaseMatch::Missing
        } else {
            CaseMatch::Differs(found)
        }
    }

    /// Every path, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.exact.iter().map(String::as_str)
    }
}

pub fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

#[derive(Default)]
struct Loader {
    paths: PathIndex,
    text_files: Vec<TextFile>,
    dockerfiles: Vec<(String, String)>,
    compose_files: Vec<ComposeView>,
    go_modules: Vec<GoModule>,
    go_files: Vec<GoFile>,
    /// The text of the project's `.gitattributes`.
    gitattributes: Option<String>,
    dockerignores: HashMap<String, Dockerignore>,
}

impl Loader {
    fn file(&mut self, relative: &str, absolute: &Path) {
        let name = relative.rsplit('/').next().unwrap_or(relative);
        let kind = lf_kind(name);
        let wanted = kind.is_some()
            || name == ".gitattributes"
            || name == ".dockerignore"
            || name.ends_with(".dockerignore")
            || !name.contains('.');
        if !wanted {
            return;
        }
        let Some(bytes) = read_small(absolute) else {
            return;
        };
        if name == ".gitattributes" {
            if relative == name {
                self.gitattributes = Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            return;
        }
        if name.ends_with(".dockerignore") {
            let rules = Dockerignore::parse(&String::from_utf8_lossy(&bytes));
            self.dockerignores.insert(relative.to_string(), rules);
            return;
        }
        let kind = match kind {
            Some(kind) => kind,
            None if bytes.starts_with(b"#!") => LfKind::Script,
            None => return,
        };
        if bytes.iter().take(8000).any(|b| *b == 0) {
            return; // binary
        }
        self.text_files.push(TextFile {
            path: relative.to_string(),
            kind,
            crlf_lines: bytes.windows(2).filter(|pair| pair == b"\r\n").count(),
            first_crlf_line: first_crlf_line(&bytes),
        });
        let text = String::from_utf8_lossy(&bytes);
        match kind {
            LfKind::Dockerfile => self
                .dockerfiles
                .push((relative.to_string(), text.into_owned())),
            LfKind::Compose => self.compose_files.push(ComposeView {
                path: relative.to_string(),
                parsed: compose::parse(&text),
            }),
            LfKind::Go => self.go_files.push(GoFile {
                path: relative.to_string(),
                source: gosource::parse(&text),
            }),
            LfKind::GoModule if name == "go.mod" => self.go_modules.push(GoModule {
                dir: parent(relative).to_string(),
                go_mod: gomod::parse(&text),
                vendored: absolute
                    .with_file_name("vendor")
                    .join("modules.txt")
                    .is_file(),
            }),
            _ => {}
        }
    }

    fn finish(mut self, root: PathBuf, host: Host, git: Option<GitView>) -> Project {
        let contexts = self.compose_contexts();
        let module_dirs: HashSet<&str> = self.go_modules.iter().map(|m| m.dir.as_str()).collect();
        let mut dockerfiles = Vec::new();
        for (path, text) in std::mem::take(&mut self.dockerfiles) {
            let dir = parent(&path).to_string();
            let context = contexts.get(&path).cloned().unwrap_or_else(|| {
                if dir.is_empty() || module_dirs.contains(dir.as_str()) {
                    dir.clone()
                } else {
                    String::new()
                }
            });
            let beside = format!("{path}.dockerignore");
            let at_context = join(&context, ".dockerignore").unwrap_or_default();
            let dockerignore = [beside, at_context].into_iter().find_map(|candidate| {
                self.dockerignores
                    .get(&candidate)
                    .map(|rules| (candidate.clone(), rules.clone()))
            });
            dockerfiles.push(DockerfileView {
                parsed: dockerfile::parse(&text),
                path,
                context,
                dockerignore,
            });
        }
        sort_by_path(&mut dockerfiles, |d| &d.path);
        sort_by_path(&mut self.compose_files, |c| &c.path);
        sort_by_path(&mut self.go_files, |g| &g.path);
        sort_by_path(&mut self.text_files, |t| &t.path);
        self.go_modules.sort_by(|a, b| a.dir.cmp(&b.dir));
        let has_gitattributes = self.gitattributes.is_some();
        let gitattributes = attributes_chain(git.as_ref(), self.gitattributes.as_deref());
        Project {
            root,
            host,
            paths: self.paths,
            text_files: self.text_files,
            dockerfiles,
            compose_files: self.compose_files,
            go_modules: self.go_modules,
            go_files: self.go_files,
            gitattributes,
            has_gitattributes,
            git,
        }
    }

    /// Dockerfile path → build context, from every compose `build:`.
    fn compose_contexts(&self) -> BTreeMap<String, String> {
        let mut contexts = BTreeMap::new();
        for view in &self.compose_files {
            let Ok(compose) = &view.parsed else { continue };
            for service in &compose.services {
                let Some((context, dockerfile)) = &service.build else {
                    continue;
                };
                let Some(context) = join(parent(&view.path), context) else {
                    continue;
                };
                let dockerfile = dockerfile.as_deref().unwrap_or("Dockerfile");
                if let Some(path) = join(&context, dockerfile) {
                    contexts.insert(path, context.clone());
                }
            }
        }
        contexts
    }
}

/// The repository root's `.gitattributes` (if the project is a subfolder), then the
/// project's, with patterns relative to where each file is.
fn attributes_chain(git: Option<&GitView>, own: Option<&str>) -> Option<Gitattributes> {
    let prefix = git.map_or("", |git| git.prefix.trim_end_matches('/'));
    let mut chain = git
        .and_then(|git| git.root_gitattributes.as_deref())
        .map(Gitattributes::parse)
        .unwrap_or_default();
    if let Some(own) = own {
        chain.extend(Gitattributes::parse_in(own, prefix));
    }
    (git.is_some_and(|git| git.root_gitattributes.is_some()) || own.is_some()).then_some(chain)
}

fn sort_by_path<T>(items: &mut [T], key: impl Fn(&T) -> &String) {
    items.sort_by(|a, b| key(a).cmp(key(b)));
}

/// Why a file name must keep LF, if it must.
pub fn lf_kind(name: &str) -> Option<LfKind> {
    const TEMPLATE_SUFFIXES: &[&str] = &[".tera", ".tmpl", ".tpl", ".j2", ".template", ".example"];
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
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
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
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

fn read_small(path: &Path) -> Option<Vec<u8>> {
    let metadata = std::fs::metadata(path).ok()?;
    if metadata.len() > MAX_READ {
        return None;
    }
    std::fs::read(path).ok()
}

fn first_crlf_line(bytes: &[u8]) -> Option<usize> {
    let position = bytes.windows(2).position(|pair| pair == b"\r\n")?;
    Some(1 + bytes[..position].iter().filter(|b| **b == b'\n').count())
}

/// git's view of the project, when it is inside a work tree.
fn git_view(root: &Path) -> Option<GitView> {
    let repository = Repository::discover(root).ok()?;
    let workdir = repository.workdir()?.canonicalize().ok()?;
    let prefix = slashed(root.strip_prefix(&workdir).ok()?);
    let prefix = if prefix.is_empty() {
        prefix
    } else {
        format!("{prefix}/")
    };
    let tracked = repository
        .index()
        .map(|index| {
            index
                .iter()
                .filter_map(|entry| String::from_utf8(entry.path).ok())
                .filter_map(|path| path.strip_prefix(&prefix).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let autocrlf = repository.config().ok().and_then(|config| {
        let entry = config.get_entry("core.autocrlf").ok()?;
        let value = entry.value()?.to_string();
        let (origin, local) = match entry.level() {
            ConfigLevel::Local | ConfigLevel::Worktree => ("the repository's .git/config", true),
            ConfigLevel::Global => ("your global ~/.gitconfig", false),
            ConfigLevel::XDG => ("your ~/.config/git/config", false),
            ConfigLevel::System | ConfigLevel::ProgramData => ("the system's git config", false),
            ConfigLevel::App | ConfigLevel::Highest => ("git's configuration", false),
        };
        Some(GitSetting {
            value,
            origin: origin.to_string(),
            local,
        })
    });
    let root_gitattributes = if prefix.is_empty() {
        None
    } else {
        std::fs::read_to_string(workdir.join(".gitattributes")).ok()
    };
    Some(GitView {
        prefix,
        root_gitattributes,
        tracked,
        autocrlf,
    })
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
    fn joining_paths() {
        assert_eq!(join("", "./a/../b/").as_deref(), Some("b"));
        assert_eq!(join("deploy", "../src").as_deref(), Some("src"));
        assert_eq!(join("", "../x"), None);
        assert_eq!(join("", "/etc"), None);
        assert!(is_under("a/b", "a") && !is_under("ab", "a") && is_under("x", ""));
    }

    #[test]
    fn case_lookups() {
        let mut index = PathIndex::default();
        for path in [
            "services",
            "services/UserService.go",
            "web",
            "web/Index.html",
        ] {
            index.insert(path);
        }
        assert_eq!(index.lookup("services/UserService.go"), CaseMatch::Exact);
        assert_eq!(
            index.lookup("Services/userservice.go"),
            CaseMatch::Differs(vec!["services/UserService.go".into()])
        );
        assert_eq!(index.lookup("nope"), CaseMatch::Missing);
        assert_eq!(index.lookup_glob("web/*.html"), CaseMatch::Exact);
        assert_eq!(
            index.lookup_glob("web/index.*"),
            CaseMatch::Differs(vec!["web/Index.html".into()])
        );
    }

    #[test]
    fn crlf_positions() {
        assert_eq!(first_crlf_line(b"a\nb\r\nc"), Some(2));
        assert_eq!(first_crlf_line(b"a\n"), None);
    }

    #[test]
    fn loads_a_folder_skipping_vendor_and_ignored_files() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(".gitignore", "/out/\n");
        write("go.mod", "module example.com/x\n");
        write("Dockerfile", "FROM scratch\r\n");
        write("vendor/a/a.go", "package a\r\n");
        write("out/b.sh", "echo\r\n");
        write("deploy/compose.yaml", "services:\n  app:\n    build:\n      context: ..\n      dockerfile: build/Dockerfile\n");
        write("build/Dockerfile", "FROM scratch\n");
        write("tools/entry", "#!/bin/sh\r\necho\r\n");
        let project = Project::load(dir.path(), Host::default()).unwrap();
        let files: Vec<_> = project
            .text_files
            .iter()
            .map(|f| format!("{}:{}", f.path, f.crlf_lines))
            .collect();
        assert_eq!(
            files,
            [
                "Dockerfile:1",
                "build/Dockerfile:0",
                "deploy/compose.yaml:0",
                "go.mod:0",
                "tools/entry:2"
            ]
        );
        assert!(!project.paths.contains("vendor/a/a.go"));
        assert_eq!(project.dockerfiles[1].context, "");
        assert!(project.git.is_none());
    }
}
