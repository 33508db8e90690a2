//! The project as doctor's rules see it, read once: every path on disk (with its exact
//! case, because NTFS and APFS hide case mistakes that Linux will not), the files that
//! must keep LF, the parsed Dockerfiles, compose files, go.mod files and Go sources,
//! `.gitattributes`, `.dockerignore`, and git's view (tracked paths, `core.autocrlf`)
//! when the folder is inside a repository.
//!
//! Skipped: `.git`, `vendor` (third-party code, vendored as published), `node_modules`,
//! `testdata` (the go tool ignores it; fixtures there are often deliberately odd),
//! `bin` and `dist` (build output), and whatever `.gitignore` ignores unless git
//! tracks it. `build/` is not skipped: the common Go layout keeps Dockerfiles in
//! `build/package/`. Only regular files and folders are read; links are not followed
//! and the walk stays on one file system (no `/proc`-like trees). What could not be
//! read is listed in `skipped`, so the report can say so.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use git2::{ConfigLevel, Repository};
use ignore::WalkBuilder;

use crate::doctor::bake;
use crate::doctor::build_commands::{build_commands, BuildCommand};
use crate::doctor::build_context::sent_sources;
pub use crate::doctor::build_context::{BuildContext, ContextOrigin, SentSource};
use crate::doctor::compose::{self, Compose};
use crate::doctor::dockerfile::{self, Dockerfile, ParseError};
use crate::doctor::dockerignore::Dockerignore;
use crate::doctor::file_kind::{
    dockerfile_name, is_bake_name, may_name_build_files, starts_like_dockerfile, DockerfileName,
};
pub use crate::doctor::file_kind::{is_compose_name, is_dockerfile_name, lf_kind, LfKind};
use crate::doctor::gitattributes::Gitattributes;
use crate::doctor::golisten;
use crate::doctor::gomod::{self, GoMod};
use crate::doctor::gosource::{self, GoSource};
use crate::doctor::host::Host;
use crate::doctor::ignored::GitIgnores;
use crate::doctor::shell;
use crate::doctor::skipped::{walk_error, MAX_READ};
pub use crate::doctor::skipped::{SkipReason, Skipped};
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
    /// Every way each Dockerfile is built (see `contexts_of`): compose services, bake
    /// targets and `docker build` commands that name it, else the convention.
    pub build_contexts: Vec<BuildContext>,
    /// Files doctor did not check, and why (too large, binary, unreadable, special,
    /// a link out of the project, a folder it could not list), by path.
    pub skipped: Vec<Skipped>,
    tracked: HashSet<String>,
    gitignores: GitIgnores,
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

#[derive(Debug)]
pub struct DockerfileView {
    pub path: String,
    /// The build context folder, relative to the project ("" for the root): the
    /// first of `Project::contexts_of(path)` (compose, bake, a `docker build`
    /// command, else the convention: the Dockerfile's folder, or the nearest folder
    /// above it holding what it copies).
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
    /// The work tree's root, absolute and canonical.
    pub workdir: Option<PathBuf>,
    /// `.git/info/exclude`, when there is one.
    pub exclude_file: Option<PathBuf>,
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
        // libgit2's start-up (it loads the system's CA bundle) and the index read take
        // as long as the walk: they run beside it.
        std::thread::scope(|scope| {
            let git = scope.spawn(|| git_view(&root));
            let loader = Self::walk(&root);
            let git = git
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok(Self::read(loader, host, git))
        })
    }

    fn walk(root: &Path) -> Loader {
        let mut loader = Loader::new(root.to_path_buf());
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .ignore(false)
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .same_file_system(true)
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !(entry.file_type().is_some_and(|t| t.is_dir())
                        && SKIPPED_FOLDERS.contains(&entry.file_name().to_str().unwrap_or("")))
            })
            .build();
        for entry in walker {
            match entry {
                Ok(entry) => loader.entry(&entry),
                Err(error) => loader.walk_error(&error),
            }
        }
        loader
    }

    fn read(mut loader: Loader, host: Host, git: Option<GitView>) -> Project {
        if let Some(git) = &git {
            loader.tracked_but_ignored(&git.tracked);
        }
        loader.read_pending();
        loader.read_listen_facts_of_listening_packages();
        loader.finish(host, git)
    }

    /// Every way `dockerfile` is built, the most explicit first (compose, bake, a
    /// `docker build` command, then the convention).
    pub fn contexts_of<'a>(
        &'a self,
        dockerfile: &'a str,
    ) -> impl Iterator<Item = &'a BuildContext> {
        self.build_contexts
            .iter()
            .filter(move |context| context.dockerfile == dockerfile)
    }

    /// The context `dockerfile` is most surely built with (the one `view.context` names).
    pub fn context_of(&self, dockerfile: &str) -> Option<&BuildContext> {
        self.build_contexts
            .iter()
            .find(|context| context.dockerfile == dockerfile)
    }

    /// Whether `path` (relative to the context) exists in that context on disk, as a
    /// file, folder or link; ignored files count, since the builder does not read
    /// `.gitignore`.
    pub fn context_contains(&self, context: &BuildContext, path: &str) -> bool {
        context
            .project_path(path)
            .is_some_and(|path| self.root.join(path).symlink_metadata().is_ok())
    }

    /// Whether git tracks `path` (a file, or a folder holding tracked files).
    pub fn is_tracked(&self, path: &str) -> bool {
        self.tracked.contains(path)
            || self.git.as_ref().is_some_and(|git| {
                git.tracked
                    .iter()
                    .any(|tracked| is_under(tracked, path) && !path.is_empty())
            })
    }

    /// Whether `.gitignore` (or `.git/info/exclude`) would keep `path` out of `git
    /// add`: a file `--fix` writes there needs `git add -f PATH` to be committed. False
    /// outside a repository and for tracked paths (git keeps tracking them).
    pub fn gitignore_hides(&self, path: &str) -> bool {
        if self.git.is_none() || self.is_tracked(path) {
            return false;
        }
        let absolute = self.root.join(path);
        self.gitignores.hides(&absolute, absolute.is_dir())
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

    /// Every name folded to lower case with the paths on disk that fold to it, in no
    /// particular order.
    pub fn folded_groups(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.folded
            .iter()
            .map(|(folded, paths)| (folded.as_str(), paths.as_slice()))
    }

    /// Every path, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.exact.iter().map(String::as_str)
    }
}

pub fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

struct Loader {
    root: PathBuf,
    paths: PathIndex,
    text_files: Vec<TextFile>,
    /// Files named like Dockerfiles; which of them are Dockerfiles is decided once
    /// every reference to them is known.
    dockerfiles: Vec<DockerfileCandidate>,
    compose_files: Vec<ComposeView>,
    go_modules: Vec<GoModule>,
    go_files: Vec<GoFile>,
    /// The text of the project's `.gitattributes`.
    gitattributes: Option<String>,
    /// Bake files: path and text.
    bake_files: Vec<(String, String)>,
    /// Build commands found in Makefiles, scripts, workflows and READMEs, with the
    /// file they are in.
    commands: Vec<(String, BuildCommand)>,
    /// Absolute paths of the `.gitignore` files seen.
    gitignore_files: Vec<PathBuf>,
    skipped: Vec<Skipped>,
    /// Files found by the walk, read and parsed together afterwards (on every core).
    pending: Vec<(String, PathBuf)>,
}

struct DockerfileCandidate {
    path: String,
    text: String,
    file: TextFile,
    name: Option<DockerfileName>,
}

/// A Dockerfile as a compose file, bake file or build command names it.
struct NamedBuild {
    dockerfile: String,
    context: String,
    origin: ContextOrigin,
    target: Option<String>,
}

impl Loader {
    fn new(root: PathBuf) -> Loader {
        Loader {
            root,
            paths: PathIndex::default(),
            text_files: Vec::new(),
            dockerfiles: Vec::new(),
            compose_files: Vec::new(),
            go_modules: Vec::new(),
            go_files: Vec::new(),
            gitattributes: None,
            bake_files: Vec::new(),
            commands: Vec::new(),
            gitignore_files: Vec::new(),
            skipped: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// One walked entry: regular files are read, folders listed; links are not
    /// followed and special files (FIFOs, sockets, devices) never opened.
    fn entry(&mut self, entry: &ignore::DirEntry) {
        let Ok(relative) = entry.path().strip_prefix(&self.root) else {
            return;
        };
        let relative = slashed(relative);
        if relative.is_empty() {
            return;
        }
        self.paths.insert(&relative);
        let Some(file_type) = entry.file_type() else {
            return;
        };
        if file_type.is_file() {
            self.pending.push((relative, entry.path().to_path_buf()));
        } else if file_type.is_symlink() {
            let inside = entry
                .path()
                .canonicalize()
                .is_ok_and(|target| target.starts_with(&self.root));
            if !inside && is_wanted(&relative) {
                self.skip(&relative, SkipReason::LinkOutside);
            }
        } else if !file_type.is_dir() {
            self.skip(&relative, SkipReason::SpecialFile);
        }
    }

    fn walk_error(&mut self, error: &ignore::Error) {
        let Some((path, text)) = walk_error(error) else {
            return;
        };
        let relative = path
            .as_deref()
            .and_then(|path| path.strip_prefix(&self.root).ok())
            .map(slashed)
            .unwrap_or_default();
        self.skip(&relative, SkipReason::UnreadableFolder(text));
    }

    fn skip(&mut self, relative: &str, reason: SkipReason) {
        self.skipped.push(Skipped {
            path: relative.to_string(),
            reason,
        });
    }

    /// Files git tracks that `.gitignore` matches (a `.gitignore` of `.*` next to a
    /// tracked `.dockerignore`): git still checks them out and the builder still reads
    /// them, so doctor reads them too.
    fn tracked_but_ignored(&mut self, tracked: &[String]) {
        for path in tracked {
            if self.paths.contains(path)
                || path.split('/').any(|part| SKIPPED_FOLDERS.contains(&part))
            {
                continue;
            }
            let absolute = self.root.join(path);
            if !absolute.symlink_metadata().is_ok_and(|m| m.is_file()) {
                continue;
            }
            let mut dir = parent(path);
            while !dir.is_empty() {
                self.paths.insert(dir);
                dir = parent(dir);
            }
            self.paths.insert(path);
            self.pending.push((path.clone(), absolute));
        }
    }

    /// Reads and parses every pending file, on up to one thread per core, and takes
    /// what each holds in walk order (so the result does not depend on the threads).
    fn read_pending(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        // In path order, so the lists made from them are sorted already (sorting them
        // again in `finish` then costs one pass).
        pending.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for found in read_all(&pending) {
            self.take(found);
        }
    }

    /// The listen facts of every Go file in a folder where one file may listen (a
    /// constant or a reassignment in a sibling decides what its address is); the
    /// others were not read for them.
    fn read_listen_facts_of_listening_packages(&mut self) {
        let listening: HashSet<String> = self
            .go_files
            .iter()
            .filter(|file| file.source.listen_read)
            .map(|file| parent(&file.path).to_string())
            .collect();
        for file in &mut self.go_files {
            if file.source.listen_read || !listening.contains(parent(&file.path)) {
                continue;
            }
            if let Ok(bytes) = read_small(&self.root.join(&file.path)) {
                file.source.listen = golisten::facts(&String::from_utf8_lossy(&bytes));
                file.source.listen_read = true;
            }
        }
    }

    fn take(&mut self, found: Found) {
        match found {
            Found::Gitignore(path) => self.gitignore_files.push(path),
            Found::Skipped(relative, reason) => self.skip(&relative, reason),
            Found::Gitattributes(text) => self.gitattributes = Some(text),
            Found::Bake(relative, text) => self.bake_files.push((relative, text)),
            Found::Commands(relative, commands) => self.commands.extend(
                commands
                    .into_iter()
                    .map(|command| (relative.clone(), command)),
            ),
            Found::Dockerfile(candidate) => self.dockerfiles.push(candidate),
            Found::Compose(view) => self.compose_files.push(view),
            Found::Go(file) => self.go_files.push(file),
            Found::GoModule(module) => self.go_modules.push(module),
            Found::Text(file) => self.text_files.push(file),
        }
    }

    /// A file some other file names (`-f stack.yml`, `dockerfile: build/app.docker`)
    /// that its name did not reveal: read now, as `kind`.
    fn named_file(&mut self, relative: &str, kind: LfKind) {
        let absolute = self.root.join(relative);
        if !absolute.symlink_metadata().is_ok_and(|m| m.is_file()) {
            return;
        }
        let bytes = match read_small(&absolute) {
            Ok(bytes) => bytes,
            Err(reason) => return self.skip(relative, reason),
        };
        if bytes.iter().take(8000).any(|b| *b == 0) {
            return self.skip(relative, SkipReason::Binary);
        }
        let text = String::from_utf8_lossy(&bytes);
        let file = text_file(relative, kind, &bytes);
        match kind {
            LfKind::Dockerfile => self.dockerfiles.push(DockerfileCandidate {
                path: relative.to_string(),
                text: text.into_owned(),
                file,
                name: Some(DockerfileName::Default),
            }),
            _ => {
                self.compose_files.push(ComposeView {
                    path: relative.to_string(),
                    parsed: compose::parse(&text),
                });
                self.text_files.push(file);
            }
        }
    }

    fn finish(mut self, host: Host, git: Option<GitView>) -> Project {
        if self.gitattributes.is_none() {
            // git reads the work tree's .gitattributes whatever .gitignore says.
            self.gitattributes = read_small(&self.root.join(".gitattributes"))
                .ok()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        }
        self.read_named_compose_and_bake_files();
        let named = self.named_builds();
        for build in &named {
            if !self.dockerfiles.iter().any(|d| d.path == build.dockerfile) {
                self.named_file(&build.dockerfile.clone(), LfKind::Dockerfile);
            }
        }
        let mut dockerfiles = Vec::new();
        let mut build_contexts = Vec::new();
        for candidate in std::mem::take(&mut self.dockerfiles) {
            let is_named = named.iter().any(|build| build.dockerfile == candidate.path);
            let accepted = is_named
                || match candidate.name {
                    Some(DockerfileName::Default) => true,
                    Some(DockerfileName::Variant) => starts_like_dockerfile(&candidate.text),
                    None => false,
                };
            if !accepted
                || dockerfiles
                    .iter()
                    .any(|d: &DockerfileView| d.path == candidate.path)
            {
                continue;
            }
            let parsed = dockerfile::parse(&candidate.text);
            let mut contexts: Vec<BuildContext> = named
                .iter()
                .filter(|build| build.dockerfile == candidate.path)
                .map(|build| self.context(build, parsed.as_ref().ok()))
                .collect();
            if contexts.is_empty() {
                let convention = NamedBuild {
                    dockerfile: candidate.path.clone(),
                    context: self.conventional_context(&candidate.path, parsed.as_ref().ok()),
                    origin: ContextOrigin::Convention,
                    target: None,
                };
                contexts.push(self.context(&convention, parsed.as_ref().ok()));
            }
            self.text_files.push(candidate.file);
            dockerfiles.push(DockerfileView {
                path: candidate.path,
                context: contexts[0].dir.clone(),
                parsed,
                dockerignore: contexts[0].dockerignore.clone(),
            });
            build_contexts.extend(contexts);
        }
        sort_by_path(&mut dockerfiles, |d| &d.path);
        // Stable: each Dockerfile's contexts keep their order (the most explicit first).
        build_contexts.sort_by(|a, b| a.dockerfile.cmp(&b.dockerfile));
        sort_by_path(&mut self.compose_files, |c| &c.path);
        sort_by_path(&mut self.go_files, |g| &g.path);
        sort_by_path(&mut self.text_files, |t| &t.path);
        self.go_modules.sort_by(|a, b| a.dir.cmp(&b.dir));
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        self.skipped.dedup_by(|a, b| a.path == b.path);
        let has_gitattributes = self.gitattributes.is_some();
        let gitattributes = attributes_chain(git.as_ref(), self.gitattributes.as_deref());
        let gitignores = self.gitignores(git.as_ref());
        let tracked = git
            .as_ref()
            .map(|git| git.tracked.iter().cloned().collect())
            .unwrap_or_default();
        Project {
            root: self.root,
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
            build_contexts,
            skipped: self.skipped,
            tracked,
            gitignores,
        }
    }

    /// Compose and bake files that commands name with `-f` but no name convention found.
    fn read_named_compose_and_bake_files(&mut self) {
        let commands = std::mem::take(&mut self.commands);
        for (file, command) in &commands {
            let (named, is_compose) = match command {
                BuildCommand::Compose { file, .. } => (file, true),
                BuildCommand::Bake { file, .. } => (file, false),
                BuildCommand::Build { .. } => continue,
            };
            let Some(path) = self.resolve_from(file, named) else {
                continue;
            };
            if is_compose || is_compose_name(&path.to_ascii_lowercase()) {
                if !self.compose_files.iter().any(|c| c.path == path) {
                    self.named_file(&path, LfKind::Compose);
                }
            } else if !self.bake_files.iter().any(|(p, _)| *p == path) {
                if let Ok(bytes) = read_small(&self.root.join(&path)) {
                    self.bake_files
                        .push((path, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        self.commands = commands;
    }

    /// A path a command in `file` names: relative to the file's folder (make, most
    /// scripts) or to the project (READMEs, CI workflows), whichever exists.
    fn resolve_from(&self, file: &str, named: &str) -> Option<String> {
        [parent(file), ""]
            .into_iter()
            .filter_map(|base| join(base, named))
            .find(|path| self.is_file(path))
    }

    fn is_file(&self, relative: &str) -> bool {
        !relative.is_empty()
            && self
                .root
                .join(relative)
                .symlink_metadata()
                .is_ok_and(|m| m.is_file())
    }

    /// Every Dockerfile a compose service, bake target or build command names, with
    /// the context it is built from there.
    fn named_builds(&self) -> Vec<NamedBuild> {
        let mut builds = Vec::new();
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
                    builds.push(NamedBuild {
                        dockerfile: path,
                        context,
                        origin: ContextOrigin::Compose {
                            file: view.path.clone(),
                            service: service.name.clone(),
                            line: service.line,
                        },
                        target: service.build_target.clone(),
                    });
                }
            }
        }
        for (file, text) in &self.bake_files {
            for target in bake::parse(text) {
                let Some(context) = join(parent(file), target.context.as_deref().unwrap_or("."))
                else {
                    continue;
                };
                let dockerfile = target.dockerfile.as_deref().unwrap_or("Dockerfile");
                if let Some(path) = join(&context, dockerfile).filter(|p| self.is_file(p)) {
                    builds.push(NamedBuild {
                        dockerfile: path,
                        context,
                        origin: ContextOrigin::Bake {
                            file: file.clone(),
                            target: target.name.clone(),
                            line: target.line,
                        },
                        target: target.target.clone(),
                    });
                }
            }
        }
        for (file, command) in &self.commands {
            let BuildCommand::Build {
                line,
                dockerfile,
                context,
                target,
            } = command
            else {
                continue;
            };
            let found = [parent(file), ""].into_iter().find_map(|base| {
                let context = join(base, context)?;
                let dockerfile = match dockerfile {
                    Some(dockerfile) => join(base, dockerfile)?,
                    None => join(&context, "Dockerfile")?,
                };
                self.is_file(&dockerfile).then_some((dockerfile, context))
            });
            if let Some((dockerfile, context)) = found {
                builds.push(NamedBuild {
                    dockerfile,
                    context,
                    origin: ContextOrigin::Command {
                        file: file.clone(),
                        line: *line,
                    },
                    target: target.clone(),
                });
            }
        }
        // Compose first, then bake, then commands; one entry per context and stage.
        let mut seen = HashSet::new();
        builds.retain(|build| {
            seen.insert((
                build.dockerfile.clone(),
                build.context.clone(),
                build.target.clone(),
            ))
        });
        builds
    }

    /// The folder a Dockerfile nothing names is built from: its own, unless what it
    /// copies is only found in a folder above it (`build/package/Dockerfile` that copies
    /// `go.mod`, built with `docker build -f build/package/Dockerfile .`).
    fn conventional_context(&self, dockerfile: &str, parsed: Option<&Dockerfile>) -> String {
        let own = parent(dockerfile).to_string();
        let Some(parsed) = parsed else { return own };
        let sent = sent_sources(parsed, None);
        // `COPY . .` then `go build` needs go.mod in the context, even unnamed.
        let needs_module = sent.iter().any(SentSource::is_whole_context) && runs_go(parsed);
        let mut sources: Vec<String> = sent
            .into_iter()
            .filter(|source| !source.is_whole_context() && !source.path.contains('$'))
            .filter_map(|source| {
                let literal = source
                    .path
                    .split(['*', '?', '['])
                    .next()
                    .unwrap_or_default();
                let literal = literal.trim_end_matches('/');
                (!literal.is_empty()).then(|| literal.to_string())
            })
            .collect();
        if needs_module {
            sources.push("go.mod".to_string());
        }
        if sources.is_empty() {
            return own;
        }
        // Where nothing is found, the folder of the nearest go.mod (else its own).
        let mut best = (0, self.nearest_module_dir(&own).unwrap_or(own.clone()));
        let mut dir = Some(own.as_str());
        while let Some(candidate) = dir {
            // In any case: a COPY whose case is wrong still shows where it is built.
            let found = sources
                .iter()
                .filter(|source| {
                    join(candidate, source).is_some_and(|path| {
                        self.paths.lookup(&path) != CaseMatch::Missing
                            || self.root.join(path).symlink_metadata().is_ok()
                    })
                })
                .count();
            if found == sources.len() {
                return candidate.to_string();
            }
            if found > best.0 {
                best = (found, candidate.to_string());
            }
            dir = (!candidate.is_empty()).then(|| parent(candidate));
        }
        best.1
    }

    fn nearest_module_dir(&self, from: &str) -> Option<String> {
        let mut dir = Some(from);
        while let Some(candidate) = dir {
            if self.go_modules.iter().any(|module| module.dir == candidate) {
                return Some(candidate.to_string());
            }
            dir = (!candidate.is_empty()).then(|| parent(candidate));
        }
        None
    }

    fn context(&self, build: &NamedBuild, parsed: Option<&Dockerfile>) -> BuildContext {
        let beside = format!("{}.dockerignore", build.dockerfile);
        let at_context = join(&build.context, ".dockerignore").unwrap_or_default();
        let dockerignore = [beside, at_context].into_iter().find_map(|candidate| {
            let bytes = read_small(&self.root.join(&candidate)).ok()?;
            Some((
                candidate,
                Dockerignore::parse(&String::from_utf8_lossy(&bytes)),
            ))
        });
        BuildContext {
            dockerfile: build.dockerfile.clone(),
            dir: build.context.clone(),
            origin: build.origin.clone(),
            target: build.target.clone(),
            has_git: self
                .root
                .join(&build.context)
                .join(".git")
                .symlink_metadata()
                .is_ok(),
            dockerignore,
            sends: parsed
                .map(|parsed| sent_sources(parsed, build.target.as_deref()))
                .unwrap_or_default(),
        }
    }

    /// The `.gitignore` files seen, the work tree's above the project, and
    /// `.git/info/exclude`.
    fn gitignores(&self, git: Option<&GitView>) -> GitIgnores {
        let mut files = self.gitignore_files.clone();
        let mut exclude = None;
        if let Some(workdir) = git.and_then(|git| git.workdir.as_deref()) {
            let mut dir = self.root.parent();
            while let Some(current) = dir.filter(|d| d.starts_with(workdir)) {
                files.push(current.join(".gitignore"));
                dir = current.parent();
            }
            exclude = Some((workdir, git.and_then(|g| g.exclude_file.as_deref())));
        }
        let files: Vec<PathBuf> = files.into_iter().filter(|f| f.is_file()).collect();
        GitIgnores::new(
            &files,
            exclude.and_then(|(root, file)| file.map(|file| (root, file))),
        )
    }
}

/// Whether any RUN of the Dockerfile runs the go tool.
/// What one file holds for doctor.
enum Found {
    Gitignore(PathBuf),
    Skipped(String, SkipReason),
    Gitattributes(String),
    Bake(String, String),
    Commands(String, Vec<BuildCommand>),
    Dockerfile(DockerfileCandidate),
    Compose(ComposeView),
    Go(GoFile),
    GoModule(GoModule),
    Text(TextFile),
}

/// Below this many files a second thread costs more than it saves.
const FILES_PER_THREAD: usize = 256;

/// `read_file` of each, in order, split into one run of files per core.
fn read_all(pending: &[(String, PathBuf)]) -> Vec<Found> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (pending.len() / FILES_PER_THREAD).clamp(1, cores);
    if threads == 1 {
        return read_run(pending);
    }
    let run = pending.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = pending
            .chunks(run)
            .map(|chunk| scope.spawn(move || read_run(chunk)))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

fn read_run(pending: &[(String, PathBuf)]) -> Vec<Found> {
    pending
        .iter()
        .flat_map(|(relative, absolute)| read_file(relative, absolute))
        .collect()
}

fn read_file(relative: &str, absolute: &Path) -> Vec<Found> {
    let mut found = Vec::new();
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    if name == ".gitignore" {
        found.push(Found::Gitignore(absolute.to_path_buf()));
    }
    let kind = lf_kind(name);
    let bake = is_bake_name(&lower);
    let commands = may_name_build_files(relative, &lower)
        && (!lower.ends_with(".md") || !relative.contains('/') || relative.starts_with("docs/"));
    let by_name = kind.is_some() || bake || commands || name == ".gitattributes";
    if !by_name && name.contains('.') {
        return found;
    }
    let bytes = match read_small(absolute) {
        Ok(bytes) => bytes,
        Err(reason) => {
            // A name without a dot is a script only if it starts with `#!`.
            if by_name || starts_with_shebang(absolute) {
                found.push(Found::Skipped(relative.to_string(), reason));
            }
            return found;
        }
    };
    if name == ".gitattributes" {
        if relative == name {
            found.push(Found::Gitattributes(
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
        return found;
    }
    let kind = match kind {
        Some(kind) => Some(kind),
        None if bytes.starts_with(b"#!") => Some(LfKind::Script),
        None if by_name => None,
        None => return found,
    };
    if bytes.iter().take(8000).any(|b| *b == 0) {
        found.push(Found::Skipped(relative.to_string(), SkipReason::Binary));
        return found;
    }
    let text = String::from_utf8_lossy(&bytes);
    if bake {
        found.push(Found::Bake(relative.to_string(), text.to_string()));
    }
    if commands || kind == Some(LfKind::Script) {
        found.push(Found::Commands(relative.to_string(), build_commands(&text)));
    }
    let Some(kind) = kind else { return found };
    let file = text_file(relative, kind, &bytes);
    match kind {
        LfKind::Dockerfile => {
            found.push(Found::Dockerfile(DockerfileCandidate {
                path: relative.to_string(),
                text: text.into_owned(),
                file,
                name: dockerfile_name(name),
            }));
            return found;
        }
        LfKind::Compose => found.push(Found::Compose(ComposeView {
            path: relative.to_string(),
            parsed: compose::parse(&text),
        })),
        LfKind::Go => found.push(Found::Go(GoFile {
            path: relative.to_string(),
            source: gosource::parse(&text),
        })),
        LfKind::GoModule if name == "go.mod" => found.push(Found::GoModule(GoModule {
            dir: parent(relative).to_string(),
            go_mod: gomod::parse(&text),
            vendored: absolute
                .with_file_name("vendor")
                .join("modules.txt")
                .is_file(),
        })),
        _ => {}
    }
    found.push(Found::Text(file));
    found
}

fn runs_go(dockerfile: &Dockerfile) -> bool {
    dockerfile
        .instructions
        .iter()
        .filter(|instruction| instruction.keyword == "RUN")
        .flat_map(|instruction| instruction.scripts())
        .any(|script| !shell::go_commands(script).is_empty())
}

/// Whether a name is one doctor would read, so a link by that name is worth a word.
fn is_wanted(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    lf_kind(name).is_some()
        || is_bake_name(&lower)
        || name == ".gitattributes"
        || name.ends_with(".dockerignore")
}

fn text_file(relative: &str, kind: LfKind, bytes: &[u8]) -> TextFile {
    TextFile {
        path: relative.to_string(),
        kind,
        crlf_lines: bytes.windows(2).filter(|pair| pair == b"\r\n").count(),
        first_crlf_line: first_crlf_line(bytes),
    }
}

fn starts_with_shebang(path: &Path) -> bool {
    use std::io::Read;
    let mut start = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok()
        && &start == b"#!"
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

/// Reads a regular file of at most `MAX_READ` bytes with one open and one stat: this
/// runs for every file a project holds. Opened non-blocking, so a FIFO swapped in
/// after the walk cannot hang doctor.
fn read_small(path: &Path) -> Result<Vec<u8>, SkipReason> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|e| SkipReason::from_io(&e))?;
    let metadata = file.metadata().map_err(|e| SkipReason::from_io(&e))?;
    if !metadata.is_file() {
        return Err(SkipReason::SpecialFile);
    }
    if metadata.len() > MAX_READ {
        return Err(SkipReason::TooLarge {
            bytes: metadata.len(),
        });
    }
    // The size stat gave, in one read: no second read to find the end (a file that
    // grows meanwhile is read as it was when stat looked).
    let mut bytes = vec![0; metadata.len() as usize];
    let mut file = file;
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SkipReason::from_io(&e)),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
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
    let exclude_file = Some(repository.path().join("info").join("exclude")).filter(|f| f.is_file());
    Some(GitView {
        prefix,
        root_gitattributes,
        tracked,
        autocrlf,
        workdir: Some(workdir),
        exclude_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
