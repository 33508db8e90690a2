//! What a build reads from its context, worked out from the Dockerfiles that use it,
//! so that a `.dockerignore` change can be proven harmless before it is written.
//!
//! Read: every COPY/ADD source; every `RUN --mount=type=bind` source; what later
//! stages take out of a stage that holds context files (`COPY . /app` in `build`, then
//! `COPY --from=build /app/.env .` in the final stage needs `.env`), followed through
//! any number of stages; the paths RUN, CMD and ENTRYPOINT name, and those of the
//! scripts and Makefile targets they run; `.git` for every git command that reads the
//! repository (`git describe`, `git rev-parse`…, also inside `$(…)` or a Makefile
//! variable); and `//go:embed` patterns. What cannot be known — a Dockerfile that does
//! not parse, a source named by a build argument, a context too large to list — is
//! kept as `unknown`: the caller then advises instead of fixing.
//!
//! The reading errs on the side of "needed": a path a RUN only writes (`-o bin/app`)
//! counts as read. That only ever keeps a line out of a new `.dockerignore`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use globset::GlobBuilder;

use crate::doctor::dockerfile::{expand, Arguments, Base, Dockerfile, Instruction, Vars};
use crate::doctor::dockerignore::Dockerignore;
use crate::doctor::project::{has_glob, is_under, join, parent, DockerfileView, Project};
use crate::doctor::shell;

/// More paths than this in a context: it is not listed, and nothing is proven.
const MAX_CONTEXT_ENTRIES: usize = 200_000;
/// Scripts and Makefiles are read this many calls deep.
const MAX_DEPTH: usize = 4;
/// Scripts and Makefiles larger than this are not read (and so not proven).
const MAX_SCRIPT: u64 = 1024 * 1024;

/// A context path the build reads, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Relative to the context, `/`-separated; may be a glob.
    pub path: String,
    /// E.g. "`COPY --from=build /app/.env` (line 9 of Dockerfile)".
    pub why: String,
    /// Named as a source from the context (COPY, ADD, a bind mount, `//go:embed`):
    /// read even if it is not there yet (generated before the build), so any exclusion
    /// of it counts. Otherwise (a path a command names, or one a later stage copies)
    /// only what is in the context now can be hidden: the rest the build makes itself.
    pub literal: bool,
}

#[derive(Debug, Default)]
pub struct ContextUse {
    /// The context folder, relative to the project ("" for the root).
    pub context: String,
    pub needs: Vec<Need>,
    /// Why the reads cannot all be known; empty when they can.
    pub unknown: Vec<String>,
    /// Every file and folder in the context, relative to it (`.git` itself, not
    /// its contents).
    files: BTreeSet<String>,
}

/// The build context of a Dockerfile: the one place this is decided for the fixes.
pub fn context_of(view: &DockerfileView) -> &str {
    &view.context
}

/// The Dockerfiles whose build a `.dockerignore` at `ignore_path` filters: the one it
/// is named for (`<Dockerfile>.dockerignore`), or every one whose context it is at the
/// root of and that has no file of its own.
pub fn builds_filtered_by<'p>(project: &'p Project, ignore_path: &str) -> Vec<&'p DockerfileView> {
    project
        .dockerfiles
        .iter()
        .filter(|view| match &view.dockerignore {
            Some((path, _)) => path == ignore_path,
            None => {
                format!("{}.dockerignore", view.path) == ignore_path
                    || join(context_of(view), ".dockerignore").as_deref() == Some(ignore_path)
            }
        })
        .collect()
}

/// What the builds filtered by `ignore_path` read from their context.
pub fn of(project: &Project, ignore_path: &str) -> ContextUse {
    let builds = builds_filtered_by(project, ignore_path);
    let context = builds.first().map_or_else(
        || parent(ignore_path).to_string(),
        |view| context_of(view).to_string(),
    );
    let mut reader = Reader {
        root: project.root.join(&context),
        context: context.clone(),
        files: BTreeSet::new(),
        needs: Vec::new(),
        unknown: Vec::new(),
        dockerfile: String::new(),
    };
    reader.list_files();
    for view in builds {
        reader.dockerfile = view.path.clone();
        match &view.parsed {
            Ok(dockerfile) => reader.dockerfile(dockerfile),
            Err(error) => reader.unknown.push(format!(
                "{} does not parse ({error}), so what it copies is unknown",
                view.path
            )),
        }
        if context_of(view) != context {
            reader.unknown.push(format!(
                "{} is built with another context than {context:?}",
                view.path
            ));
        }
    }
    reader.go_embeds(project);
    ContextUse {
        context,
        needs: reader.needs,
        unknown: reader.unknown,
        files: reader.files,
    }
}

impl ContextUse {
    /// The first need that `new` leaves out of the context while `old` lets it in,
    /// with the path that would go missing: the need itself, or a file under it or
    /// matching it.
    pub fn broken_by(&self, old: &Dockerignore, new: &Dockerignore) -> Option<(&Need, String)> {
        let hidden = |path: &str| new.excludes(path) && !old.excludes(path);
        for need in &self.needs {
            if has_glob(&need.path) {
                let Ok(glob) = GlobBuilder::new(&need.path).literal_separator(true).build() else {
                    continue;
                };
                let matcher = glob.compile_matcher();
                let found = self
                    .files
                    .iter()
                    .filter(|file| matcher.is_match(file.as_str()))
                    .flat_map(|file| std::iter::once(file.clone()).chain(self.under(file)))
                    .find(|file| hidden(file));
                if let Some(file) = found {
                    return Some((need, file));
                }
                continue;
            }
            let there = need.literal || self.files.contains(&need.path);
            if there && hidden(&need.path) {
                return Some((need, need.path.clone()));
            }
            if let Some(file) = self.under(&need.path).find(|file| hidden(file)) {
                return Some((need, file));
            }
        }
        None
    }

    /// The listed paths inside folder `dir`.
    fn under<'a>(&'a self, dir: &str) -> impl Iterator<Item = String> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.files
            .range(prefix.clone()..)
            .take_while(move |path| path.starts_with(&prefix))
            .cloned()
    }
}

/// What one stage holds from the context: image path → context path ("" for the
/// whole context), and its working directory.
#[derive(Debug, Clone, Default)]
struct StageFiles {
    holds: Vec<(String, String)>,
    workdir: String,
}

impl StageFiles {
    /// The context paths an absolute image path comes from: through a hold that
    /// contains it, else (when the stage holds context files at all) any tail of the
    /// path that exists in the context — so a path is never missed because a base
    /// image's WORKDIR or an unusual copy was not followed.
    fn to_context(&self, image_path: &str, files: &BTreeSet<String>) -> Vec<String> {
        let mut found: Vec<String> = self
            .holds
            .iter()
            .filter_map(|(image, context)| {
                let rest = strip_dir(image_path, image)?;
                join(context, rest)
            })
            .collect();
        if found.is_empty() && !self.holds.is_empty() {
            let trimmed = image_path.trim_start_matches('/');
            let mut tail = trimmed;
            loop {
                if !tail.is_empty() && files.contains(tail) {
                    found.push(tail.to_string());
                    break;
                }
                match tail.split_once('/') {
                    Some((_, rest)) => tail = rest,
                    None => break,
                }
            }
        }
        found
    }

    /// An image path written in the stage (relative to its WORKDIR or absolute).
    fn absolute(&self, path: &str) -> String {
        image_join(&self.workdir, path)
    }
}

/// `path` relative to folder `dir` when it is `dir` or inside it ("" for `dir` itself).
fn strip_dir<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return Some(path.trim_start_matches('/'));
    }
    let rest = path.strip_prefix(dir)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// An absolute image path, `.` and `..` resolved, no trailing `/` (but `/` itself).
fn image_join(base: &str, path: &str) -> String {
    let mut parts: Vec<&str> = if path.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

struct Reader {
    /// The context folder on disk.
    root: PathBuf,
    context: String,
    files: BTreeSet<String>,
    needs: Vec<Need>,
    unknown: Vec<String>,
    /// The Dockerfile being read, for the reasons.
    dockerfile: String,
}

impl Reader {
    fn list_files(&mut self) {
        let walker = ignore::WalkBuilder::new(&self.root)
            .standard_filters(false)
            .follow_links(false)
            .filter_entry(|entry| {
                entry.depth() == 0
                    || entry.file_name() != ".git"
                    || !entry.file_type().is_some_and(|t| t.is_dir())
            })
            .build();
        for entry in walker.flatten() {
            let Ok(relative) = entry.path().strip_prefix(&self.root) else {
                continue;
            };
            let relative = relative.to_string_lossy().replace('\\', "/");
            if !relative.is_empty() {
                self.files.insert(relative);
            }
            if self.files.len() > MAX_CONTEXT_ENTRIES {
                self.unknown.push(format!(
                    "the build context has more than {MAX_CONTEXT_ENTRIES} files, too many to check"
                ));
                return;
            }
        }
        // `.git` is skipped by the filter above only below itself.
        if self.root.join(".git").exists() {
            self.files.insert(".git".to_string());
        }
    }

    /// A source named from the context: see `Need::literal`.
    fn need(&mut self, path: String, why: String) {
        self.push_need(path, why, true);
    }

    /// A path the build reads if the context has it.
    fn need_if_there(&mut self, path: String, why: String) {
        self.push_need(path, why, false);
    }

    fn push_need(&mut self, path: String, why: String, literal: bool) {
        let path = path.trim_end_matches('/').to_string();
        if path.is_empty() {
            return;
        }
        if let Some(known) = self.needs.iter_mut().find(|need| need.path == path) {
            known.literal |= literal;
            return;
        }
        self.needs.push(Need { path, why, literal });
    }

    fn place(&self, instruction: &Instruction) -> String {
        format!("line {} of {}", instruction.line, self.dockerfile)
    }

    fn dockerfile(&mut self, dockerfile: &Dockerfile) {
        let mut stages: Vec<StageFiles> = Vec::new();
        for stage in &dockerfile.stages {
            let mut files = match dockerfile.base(stage.index) {
                Base::Stage(parent) => stages.get(parent).cloned().unwrap_or_default(),
                _ => StageFiles {
                    holds: Vec::new(),
                    workdir: "/".to_string(),
                },
            };
            for (index, instruction) in dockerfile.body(stage.index) {
                let vars = dockerfile.vars_at(stage.index, index);
                match instruction.keyword.as_str() {
                    "WORKDIR" => {
                        let (dir, _) = expand(&instruction.words().join(" "), &vars);
                        files.workdir = files.absolute(&dir);
                    }
                    "COPY" | "ADD" => self.copy(
                        dockerfile,
                        stage.index,
                        &stages,
                        &mut files,
                        instruction,
                        &vars,
                    ),
                    "RUN" => self.run(dockerfile, stage.index, &stages, &files, instruction, &vars),
                    "CMD" | "ENTRYPOINT" => {
                        let scripts = match &instruction.args {
                            Arguments::Shell(text) => vec![text.clone()],
                            Arguments::Exec(words) => vec![quote_words(words)],
                        };
                        let why =
                            format!("`{}` ({})", instruction.keyword, self.place(instruction));
                        for script in scripts {
                            self.script(&script, &files, &why, 0);
                        }
                    }
                    _ => {}
                }
            }
            stages.push(files);
        }
    }

    fn copy(
        &mut self,
        dockerfile: &Dockerfile,
        stage: usize,
        stages: &[StageFiles],
        files: &mut StageFiles,
        instruction: &Instruction,
        vars: &Vars,
    ) {
        if !instruction.heredocs.is_empty() {
            return; // `COPY <<EOF`: written inline, not read from the context
        }
        let words = instruction.words();
        let Some((dest, sources)) = words.split_last() else {
            return;
        };
        let (dest, _) = expand(dest, vars);
        let dest_dir = files.absolute(&dest);
        let into_folder = dest.ends_with('/') || sources.len() > 1;
        let what = format!("`{}`", written(instruction));
        let why = format!("{what} ({})", self.place(instruction));
        if let Some(from) = instruction.flag("from") {
            let (from, _) = expand(from, vars);
            let Some(source_stage) = dockerfile.stage_named(&from, stage) else {
                return; // an image, or a named context: not this context
            };
            let Some(source) = stages.get(source_stage).cloned() else {
                return;
            };
            for word in sources {
                let (path, unresolved) = expand(word, vars);
                if unresolved {
                    self.unknown.push(format!(
                        "{what} ({}) names its source with a build argument",
                        self.place(instruction)
                    ));
                    continue;
                }
                let image_path = image_join("/", &path);
                for context_path in source.to_context(&image_path, &self.files) {
                    self.need_if_there(
                        context_path,
                        format!("{why}, which the `{from}` stage got from the context"),
                    );
                }
                for (held, context_path) in &source.holds {
                    if let Some(rest) = strip_dir(held, &image_path) {
                        // A folder holding context files: they travel with it.
                        files
                            .holds
                            .push((image_join(&dest_dir, rest), context_path.clone()));
                    } else if let Some(rest) = strip_dir(&image_path, held) {
                        if let Some(context_path) = join(context_path, rest) {
                            let target = if into_folder {
                                image_join(&dest_dir, rest.rsplit('/').next().unwrap_or(rest))
                            } else {
                                dest_dir.clone()
                            };
                            files.holds.push((target, context_path));
                        }
                    }
                }
            }
            return;
        }
        for word in sources {
            if word.contains("://") || word.starts_with("git@") {
                continue; // ADD of a URL or a git repository
            }
            let (path, unresolved) = expand(word, vars);
            if unresolved {
                self.unknown.push(format!(
                    "{what} ({}) names its source with a build argument",
                    self.place(instruction)
                ));
                continue;
            }
            let Some(context_path) = join("", &path) else {
                self.unknown.push(format!(
                    "{what} ({}) names a source outside the context",
                    self.place(instruction)
                ));
                continue;
            };
            if context_path.is_empty() || path.trim_start_matches("./") == "*" {
                files.holds.push((dest_dir.clone(), String::new()));
                continue;
            }
            let is_folder = self.root.join(&context_path).is_dir();
            let target = if is_folder || !into_folder {
                dest_dir.clone()
            } else {
                image_join(
                    &dest_dir,
                    context_path.rsplit('/').next().unwrap_or(&context_path),
                )
            };
            if !has_glob(&context_path) {
                files.holds.push((target, context_path.clone()));
            }
            self.need(context_path, why.clone());
        }
    }

    fn run(
        &mut self,
        dockerfile: &Dockerfile,
        stage: usize,
        stages: &[StageFiles],
        files: &StageFiles,
        instruction: &Instruction,
        vars: &Vars,
    ) {
        let mut files = files.clone();
        let why = format!("`RUN` ({})", self.place(instruction));
        for flag in instruction.flags.iter().filter(|flag| flag.name == "mount") {
            let (mount, _) = expand(flag.value.as_deref().unwrap_or_default(), vars);
            let options: Vec<(&str, &str)> = mount
                .split(',')
                .map(|option| option.split_once('=').unwrap_or((option, "")))
                .collect();
            let value = |keys: &[&str]| {
                options
                    .iter()
                    .find(|(key, _)| keys.contains(key))
                    .map(|(_, value)| value.to_string())
            };
            if value(&["type"]).is_some_and(|kind| kind != "bind") {
                continue; // cache, secret, ssh and tmpfs mounts do not read the context
            }
            let source = value(&["source", "src"]).unwrap_or_default();
            let target =
                files.absolute(&value(&["target", "dst", "destination"]).unwrap_or_default());
            let mount_why = format!("`RUN --mount={mount}` ({})", self.place(instruction));
            match value(&["from"]) {
                Some(from) => {
                    let Some(source_stage) = dockerfile.stage_named(&from, stage) else {
                        continue;
                    };
                    if let Some(held) = stages.get(source_stage) {
                        let image_path = image_join("/", &source);
                        for context_path in held.to_context(&image_path, &self.files) {
                            self.need_if_there(context_path.clone(), mount_why.clone());
                            files.holds.push((target.clone(), context_path));
                        }
                    }
                }
                None => match join("", &source) {
                    Some(context_path) => {
                        files.holds.push((target, context_path.clone()));
                        self.need(context_path, mount_why);
                    }
                    None => self
                        .unknown
                        .push(format!("{mount_why} mounts a path outside the context")),
                },
            }
        }
        let scripts: Vec<String> = match &instruction.args {
            Arguments::Exec(words) => vec![quote_words(words)],
            Arguments::Shell(_) => instruction
                .scripts()
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        for script in scripts {
            self.script(&script, &files, &why, 0);
        }
    }

    /// The reads of a shell script run in a stage holding `files`.
    fn script(&mut self, script: &str, files: &StageFiles, why: &str, depth: usize) {
        // Command substitutions anywhere: in words, in `NAME=$(…)` prefixes and in
        // bare assignments (`commit=$(git rev-parse HEAD)`), which run too.
        for inner in substitutions(script) {
            self.script(&inner, files, why, depth);
        }
        for command in shell::commands(script) {
            self.command(&command.words, files, why, depth);
        }
    }

    fn command(&mut self, words: &[String], files: &StageFiles, why: &str, depth: usize) {
        let Some(program) = words.first() else {
            return;
        };
        let name = program.rsplit('/').next().unwrap_or(program);
        match name {
            "git" if git_reads_repository(&words[1..]) => {
                self.need_if_there(
                    ".git".to_string(),
                    format!("{why} runs `{}`", words.join(" ")),
                );
            }
            "make" | "gmake" => self.make(&words[1..], files, why, depth),
            "rm" | "mkdir" | "touch" => return, // they write, not read
            "sh" | "bash" | "ash" | "dash" | "zsh" | "." | "source" => {
                if let Some(script) = words[1..].iter().find(|word| !word.starts_with('-')) {
                    self.script_file(script, files, why, depth);
                }
            }
            _ if program.contains('/') => self.script_file(program, files, why, depth),
            _ => {}
        }
        let mut previous = program.as_str();
        for word in &words[1..] {
            let written = matches!(previous, ">" | ">>" | "-o" | "--output");
            previous = word;
            if written {
                continue; // an output, not an input
            }
            let path = word
                .rsplit_once('=')
                .map_or(word.as_str(), |(_, value)| value);
            if looks_like_a_path(path) {
                for context_path in self.context_paths(path, files) {
                    self.need_if_there(context_path, format!("{why} names `{path}`"));
                }
            }
        }
    }

    /// The context paths a path written in a command stands for: through what the stage
    /// holds, and (for a relative path the holds do not explain) the same path from the
    /// context root.
    fn context_paths(&self, path: &str, files: &StageFiles) -> Vec<String> {
        let absolute = files.absolute(path);
        let mut found = files.to_context(&absolute, &self.files);
        if found.is_empty() && !path.starts_with('/') {
            if let Some(path) = join("", path) {
                found.push(path);
            }
        }
        found
    }

    /// A script the build runs: read it too, when it is in the context.
    fn script_file(&mut self, path: &str, files: &StageFiles, why: &str, depth: usize) {
        for context_path in self.context_paths(path, files) {
            self.need_if_there(context_path.clone(), format!("{why} runs `{path}`"));
            if let Some(text) = self.read(&context_path, depth, why) {
                let why = format!("{why}, through `{context_path}`");
                self.script(&text, files, &why, depth + 1);
            }
        }
    }

    fn make(&mut self, args: &[String], files: &StageFiles, why: &str, depth: usize) {
        let mut dir = ".".to_string();
        let mut makefile: Option<String> = None;
        let mut targets = Vec::new();
        let mut words = args.iter();
        while let Some(word) = words.next() {
            match word.as_str() {
                "-C" | "--directory" => dir = words.next().cloned().unwrap_or_default(),
                "-f" | "--file" | "--makefile" => makefile = words.next().cloned(),
                flag if flag.starts_with("-C") && flag.len() > 2 => dir = flag[2..].to_string(),
                flag if flag.starts_with('-') => {}
                assignment if assignment.contains('=') => {}
                target => targets.push(target.to_string()),
            }
        }
        let candidates: Vec<String> = match makefile {
            Some(file) => vec![image_join(&files.absolute(&dir), &file)],
            None => ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .map(|name| image_join(&files.absolute(&dir), name))
                .collect(),
        };
        for candidate in candidates {
            for context_path in self.context_paths(&candidate, files) {
                if !self.root.join(&context_path).is_file() {
                    continue;
                }
                self.need_if_there(context_path.clone(), format!("{why} runs make"));
                if let Some(text) = self.read(&context_path, depth, why) {
                    let why = format!(
                        "{why}, through `make {}` in `{context_path}`",
                        targets.join(" ")
                    );
                    for script in makefile_scripts(&text, &targets) {
                        self.script(&script, files, &why, depth + 1);
                    }
                }
                return;
            }
        }
    }

    /// A script or Makefile from the context, if it can be read; what cannot be read
    /// is unknown.
    fn read(&mut self, context_path: &str, depth: usize, why: &str) -> Option<String> {
        let path = self.root.join(context_path);
        let metadata = std::fs::metadata(&path).ok()?;
        if !metadata.is_file() {
            return None;
        }
        if depth >= MAX_DEPTH || metadata.len() > MAX_SCRIPT {
            self.unknown.push(format!(
                "{why} runs `{context_path}`, which is too deep or too large to read"
            ));
            return None;
        }
        let bytes = std::fs::read(&path).ok()?;
        if bytes.iter().take(8000).any(|byte| *byte == 0) {
            return None; // a binary: it runs, but says nothing readable
        }
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `//go:embed` patterns of the Go files in the context: `go build` reads them.
    fn go_embeds(&mut self, project: &Project) {
        let mut embeds = Vec::new();
        for file in &project.go_files {
            if !is_under(&file.path, &self.context) {
                continue;
            }
            let relative = strip_dir(&file.path, &self.context).unwrap_or(&file.path);
            let dir = parent(relative).to_string();
            for (line, patterns) in &file.source.embeds {
                for pattern in patterns {
                    let pattern = pattern.strip_prefix("all:").unwrap_or(pattern);
                    if let Some(path) = join(&dir, pattern) {
                        embeds.push((
                            path,
                            format!("`//go:embed {pattern}` (line {line} of {})", file.path),
                        ));
                    }
                }
            }
        }
        for (path, why) in embeds {
            self.need(path, why);
        }
    }
}

/// An instruction as written, flags included: `COPY --from=build /app/.env .`.
fn written(instruction: &Instruction) -> String {
    let mut parts = vec![instruction.keyword.clone()];
    for flag in &instruction.flags {
        parts.push(match &flag.value {
            Some(value) => format!("--{}={value}", flag.name),
            None => format!("--{}", flag.name),
        });
    }
    parts.extend(instruction.words());
    parts.join(" ")
}

/// Exec-form words as one shell command, each quoted.
fn quote_words(words: &[String]) -> String {
    words
        .iter()
        .map(|word| format!("'{}'", word.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scripts inside `$(…)` and backticks of a word.
fn substitutions(word: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = word.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' && chars.get(i + 1) == Some(&'(') {
            let mut depth = 0;
            let start = i + 2;
            let mut j = i + 1;
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            found.push(chars[start..j.min(chars.len())].iter().collect());
            i = j + 1;
        } else if chars[i] == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|c| *c == '`')
                .map_or(chars.len(), |p| i + 1 + p);
            found.push(chars[i + 1..end].iter().collect());
            i = end + 1;
        } else {
            i += 1;
        }
    }
    found
}

/// Git commands that never look at the repository around them.
fn git_reads_repository(args: &[String]) -> bool {
    let mut words = args.iter();
    let subcommand = loop {
        match words.next() {
            None => return false, // bare `git`: prints help
            Some(word) if word == "-C" || word == "-c" => {
                words.next();
            }
            Some(word) if word.starts_with('-') => {
                if matches!(word.as_str(), "--version" | "--help" | "--exec-path") {
                    return false;
                }
            }
            Some(word) => break word.as_str(),
        }
    };
    let rest: Vec<&String> = words.collect();
    match subcommand {
        "clone" | "init" | "ls-remote" | "version" | "help" => false,
        "config" => !rest
            .iter()
            .any(|word| matches!(word.as_str(), "--global" | "--system")),
        _ => true,
    }
}

/// A word that may name a file: not a flag, a URL, a variable or `.` itself.
fn looks_like_a_path(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('-')
        && !word.contains("://")
        && !word.contains(['$', '`', '(', ')', '{', '}', '<', '>', '@'])
        && word.trim_start_matches("./") != "."
        && word != "/"
        && word.trim_end_matches('/') != ".."
}

/// The shell lines `make TARGETS` runs, as far as is sound to tell: every variable
/// assignment (make evaluates `$(shell …)` in them whatever the target) and the
/// recipes of the targets and of everything they depend on, with the `@`, `-` and `+`
/// prefixes removed. No target: the first one.
fn makefile_scripts(text: &str, targets: &[String]) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let mut scripts = Vec::new();
    let mut rules: Vec<(Vec<String>, Vec<String>, Vec<String>)> = Vec::new();
    for line in joined.lines() {
        if let Some(recipe) = line.strip_prefix('\t') {
            if let Some((_, _, recipes)) = rules.last_mut() {
                recipes.push(recipe.trim_start_matches(['@', '-', '+']).to_string());
            }
            continue;
        }
        let line = line.split('#').next().unwrap_or_default();
        if line.trim().is_empty() {
            continue;
        }
        if let Some(position) = line.find(['=']) {
            let before = &line[..position];
            if !before.contains(':') || before.ends_with(':') || before.ends_with("::") {
                scripts.push(make_shell(&line[position + 1..]));
                continue;
            }
        }
        if let Some((names, rest)) = line.split_once(':') {
            let (prerequisites, inline) = rest.split_once(';').unwrap_or((rest, ""));
            let names: Vec<String> = names.split_whitespace().map(str::to_string).collect();
            let prerequisites = prerequisites
                .split_whitespace()
                .filter(|word| *word != "|")
                .map(str::to_string)
                .collect();
            let recipes = if inline.trim().is_empty() {
                Vec::new()
            } else {
                vec![inline.trim().to_string()]
            };
            rules.push((names, prerequisites, recipes));
        }
    }
    let mut todo: Vec<String> = if targets.is_empty() {
        rules
            .iter()
            .flat_map(|(names, _, _)| names.iter())
            .find(|name| !name.starts_with('.'))
            .cloned()
            .into_iter()
            .collect()
    } else {
        targets.to_vec()
    };
    let mut seen = BTreeSet::new();
    while let Some(target) = todo.pop() {
        if !seen.insert(target.clone()) {
            continue;
        }
        let mut known = false;
        for (names, prerequisites, recipes) in &rules {
            let matches = names.iter().any(|name| {
                name == &target
                    || name
                        .split_once('%')
                        .is_some_and(|(a, b)| target.starts_with(a) && target.ends_with(b))
            });
            if matches {
                known = true;
                todo.extend(prerequisites.iter().cloned());
                scripts.extend(recipes.iter().map(|recipe| make_shell(recipe)));
            }
        }
        if !known && targets.contains(&target) {
            // A target doctor cannot find (generated, or from an included file): read
            // every recipe rather than miss one.
            for (_, _, recipes) in &rules {
                scripts.extend(recipes.iter().map(|recipe| make_shell(recipe)));
            }
        }
    }
    scripts
}

/// A make line as shell: `$(shell cmd)` becomes `$(cmd)`, `$$` becomes `$`.
fn make_shell(text: &str) -> String {
    text.replace("$(shell ", "$(").replace("$$", "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_commands_that_read_the_repository() {
        let words =
            |text: &str| -> Vec<String> { text.split_whitespace().map(str::to_string).collect() };
        assert!(git_reads_repository(&words("describe --tags")));
        assert!(git_reads_repository(&words("-C . rev-parse HEAD")));
        assert!(!git_reads_repository(&words("clone https://example.com/x")));
        assert!(!git_reads_repository(&words(
            "config --global url.x.insteadOf y"
        )));
        assert!(!git_reads_repository(&words("--version")));
    }

    #[test]
    fn substitutions_in_words() {
        assert_eq!(
            substitutions("-X main.v=$(git describe --tags) -X main.c=`git rev-parse HEAD`"),
            ["git describe --tags", "git rev-parse HEAD"]
        );
    }

    #[test]
    fn makefile_targets_and_variables() {
        let makefile = "VERSION := $(shell git describe --tags)\n\nbuild: gen\n\t@go build -ldflags \"-X main.v=$(VERSION)\" .\n\ngen:\n\t./scripts/gen.sh\n\nrelease:\n\tgoreleaser release\n";
        let scripts = makefile_scripts(makefile, &["build".to_string()]);
        assert!(scripts.iter().any(|s| s.contains("$(git describe")));
        assert!(scripts.iter().any(|s| s.contains("./scripts/gen.sh")));
        assert!(!scripts.iter().any(|s| s.contains("goreleaser")));
        let first = makefile_scripts("all:\n\techo hi\nother:\n\tcat .env\n", &[]);
        assert_eq!(first, ["echo hi"]);
    }

    #[test]
    fn image_paths_and_holds() {
        assert_eq!(image_join("/app", "./bin/../x"), "/app/x");
        assert_eq!(image_join("/app", "/etc"), "/etc");
        assert_eq!(strip_dir("/app/.env", "/app"), Some(".env"));
        assert_eq!(strip_dir("/application", "/app"), None);
        let stage = StageFiles {
            holds: vec![("/src".into(), String::new())],
            workdir: "/src".into(),
        };
        let files: BTreeSet<String> = [".env".to_string()].into();
        assert_eq!(stage.to_context("/src/.env", &files), [".env"]);
        let elsewhere = StageFiles {
            holds: vec![("/build".into(), "cmd".into())],
            workdir: "/".into(),
        };
        assert_eq!(elsewhere.to_context("/app/.env", &files), [".env"]);
    }

    /// What the builds of a project made of `files` read, through its `.dockerignore`.
    fn uses(files: &[(&str, &str)]) -> ContextUse {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let project = Project::load(dir.path(), crate::doctor::host::Host::default()).unwrap();
        of(&project, ".dockerignore")
    }

    /// The path `added` (lines appended to `old`) would hide from the build.
    fn hides(uses: &ContextUse, old: &str, added: &str) -> Option<String> {
        let before = Dockerignore::parse(old);
        let after = Dockerignore::parse(&format!("{old}\n{added}"));
        uses.broken_by(&before, &after).map(|(_, path)| path)
    }

    #[test]
    fn copies_are_followed_through_stages() {
        let uses = uses(&[
            (
                "Dockerfile",
                "FROM golang AS source\nCOPY . /src\nFROM source AS build\nRUN go build -o /out/app /src\nFROM alpine AS assets\nCOPY --from=build /src /srv/app\nFROM alpine\nCOPY --from=assets /srv/app/config/.env /etc/app.env\n",
            ),
            ("config/.env", "A=1\n"),
            (".env", "B=2\n"),
        ]);
        assert!(uses.unknown.is_empty(), "{:?}", uses.unknown);
        assert_eq!(hides(&uses, "", "config/").as_deref(), Some("config/.env"));
        assert_eq!(hides(&uses, "", "**/.env").as_deref(), Some("config/.env"));
        assert_eq!(
            hides(&uses, "", ".env"),
            None,
            "the root .env is not copied out"
        );
    }

    #[test]
    fn bind_mounts_from_the_context_and_from_stages() {
        let uses = uses(&[
            (
                "Dockerfile",
                "FROM alpine AS files\nCOPY . /ctx\nFROM alpine\nRUN --mount=type=bind,from=files,source=/ctx/secrets/token,target=/t cat /t\nRUN --mount=type=bind,source=.npmrc,target=/root/.npmrc true\nRUN --mount=type=cache,target=/root/.cache true\n",
            ),
            ("secrets/token", "x\n"),
        ]);
        assert_eq!(
            hides(&uses, "", "secrets").as_deref(),
            Some("secrets/token")
        );
        assert_eq!(hides(&uses, "", ".npmrc").as_deref(), Some(".npmrc"));
    }

    #[test]
    fn what_commands_and_entrypoints_read() {
        let uses = uses(&[
            (
                "Dockerfile",
                "FROM alpine\nWORKDIR /app\nCOPY . .\nRUN rm -rf .git && go build -o bin/app .\nENTRYPOINT [\"/app/docker-entrypoint.sh\"]\n",
            ),
            ("docker-entrypoint.sh", "#!/bin/sh\nset -a; . /app/.env; set +a\nexec /app/bin/app\n"),
            (".env", "A=1\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("bin/app", "local build\n"),
        ]);
        assert_eq!(
            hides(&uses, "", ".git"),
            None,
            "`rm -rf .git` does not read it"
        );
        assert_eq!(hides(&uses, "", ".env").as_deref(), Some(".env"));
        // `exec /app/bin/app` runs what the image built over the local copy; the
        // entrypoint names it, so it stays: conservative, never wrong.
        assert_eq!(hides(&uses, "", "bin/").as_deref(), Some("bin/app"));
    }

    #[test]
    fn outputs_and_paths_the_build_makes_are_not_reads() {
        let uses = uses(&[
            (
                "Dockerfile",
                "FROM golang AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o bin/app . > build.log\nFROM alpine\nCOPY --from=build /src/dist/app /app\n",
            ),
            ("bin/app", "local build\n"),
            ("main.go", "package main\n"),
        ]);
        assert_eq!(hides(&uses, "", "bin/"), None, "{:?}", uses.needs);
        assert_eq!(
            hides(&uses, "", "dist/"),
            None,
            "dist/app is made in the image"
        );
    }

    #[test]
    fn embedded_files_are_read_by_go_build() {
        let uses = uses(&[
            (
                "Dockerfile",
                "FROM golang\nWORKDIR /src\nCOPY . .\nRUN go build .\n",
            ),
            (
                "web/web.go",
                "package web\n\nimport \"embed\"\n\n//go:embed dist\nvar files embed.FS\n",
            ),
            ("web/dist/index.html", "<h1>hi</h1>\n"),
        ]);
        assert_eq!(
            hides(&uses, "", "dist/"),
            None,
            "`dist/` only matches at the root"
        );
        assert_eq!(hides(&uses, "", "**/dist").as_deref(), Some("web/dist"));
    }

    #[test]
    fn exceptions_are_matched_as_the_builder_does() {
        let uses = uses(&[
            (
                "Dockerfile",
                "FROM alpine\nCOPY .env.example /app/.env\nCOPY cmd/ /src/cmd/\n",
            ),
            (".env.example", "A=\n"),
            ("cmd/app/main.go", "package main\n"),
        ]);
        assert_eq!(hides(&uses, "", ".env*\n!.env.example"), None);
        assert_eq!(
            hides(&uses, "*\n!cmd/\n!.env.example", ".env*").as_deref(),
            Some(".env.example")
        );
        assert_eq!(
            hides(&uses, "*\n!cmd/\n!.env.example", "**/*.go").as_deref(),
            Some("cmd/app/main.go")
        );
        assert_eq!(hides(&uses, "*\n!cmd/\n!.env.example", ".git"), None);
    }

    #[test]
    fn what_cannot_be_known_is_said() {
        let unparsed = uses(&[("Dockerfile", "COPY . .\n")]);
        assert!(
            unparsed.unknown[0].contains("does not parse"),
            "{:?}",
            unparsed.unknown
        );
        let argument = uses(&[("Dockerfile", "FROM alpine\nARG SRC\nCOPY ${SRC} /app\n")]);
        assert!(
            argument.unknown[0].contains("build argument"),
            "{:?}",
            argument.unknown
        );
    }
}
