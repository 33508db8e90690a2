//! A Dockerfile parser that follows BuildKit's grammar, because doctor's rules are about
//! what the builder will do, and a line grep gets that wrong: a `go build` split over
//! continuation lines, a heredoc script, an image named through an `ARG`, a stage that
//! copies from another stage.
//!
//! Covered: parser directives (`# escape=`), comments (also inside continuations),
//! line continuations, heredocs (`<<EOF`, `<<-EOF`, quoted names, several per line),
//! JSON (exec) and shell form, flags (`--from`, `--platform`, `--mount`…), stages
//! (`FROM … AS name`), ARG and ENV with `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`,
//! `${VAR:+x}`, `${VAR+x}` substitution, and the stage graph (`FROM stage`,
//! `COPY --from`, `RUN --mount=from=`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use crate::doctor::read_limit;

/// Values of ARG and ENV variables known at one point of the file.
pub type Vars = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub escape: char,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper case: `FROM`, `RUN`, `COPY`…
    pub keyword: String,
    /// 1-based line of the keyword.
    pub line: usize,
    /// 1-based last line, continuation lines and heredoc bodies included.
    pub end_line: usize,
    pub flags: Vec<Flag>,
    pub args: Arguments,
    pub heredocs: Vec<Heredoc>,
}

/// What follows the keyword and its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arguments {
    /// Shell form: one string, continuation lines joined.
    Shell(String),
    /// Exec (JSON) form: `["go", "build"]`.
    Exec(Vec<String>),
}

/// `--name=value`, or `--name` alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    pub body: String,
    /// 1-based line of the first body line.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// Lower case: stage names are case-insensitive.
    pub name: Option<String>,
    /// The image as written, before ARG substitution.
    pub image: String,
    pub platform: Option<String>,
    /// Index of the FROM instruction in `Dockerfile::instructions`.
    pub from: usize,
    /// Indexes of the instructions after FROM, up to the next FROM.
    pub body: Range<usize>,
}

/// What a stage is built on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    Scratch,
    /// An earlier stage of this file.
    Stage(usize),
    /// An image reference with ARGs substituted.
    Image(String),
    /// The reference uses an ARG without a default, so it is only known at build time.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Instructions whose arguments may be a JSON array.
const EXEC_FORM: &[&str] = &["ADD", "CMD", "COPY", "ENTRYPOINT", "RUN", "SHELL", "VOLUME"];

/// Instructions that take `--flags` before their arguments.
const FLAGGED: &[&str] = &["ADD", "COPY", "FROM", "HEALTHCHECK", "RUN"];

/// Instructions that may carry heredocs.
const HEREDOC: &[&str] = &["ADD", "COPY", "RUN"];

/// Past this size a Dockerfile is not read: real ones are a few kilobytes.
pub const MAX_BYTES: usize = 1024 * 1024;

/// Past this many instructions or stages a Dockerfile is not read: real ones have a
/// few dozen instructions in a handful of stages, and what the rules ask (the ARG and
/// ENV values at each RUN, through every parent stage) grows with their product.
pub const MAX_INSTRUCTIONS: usize = 5_000;
pub const MAX_STAGES: usize = 200;

pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    read_limit::fits(text, MAX_BYTES).map_err(|message| ParseError { line: 1, message })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let escape = escape_directive(&lines);
    let mut instructions = Vec::new();
    let mut next = 0;
    while next < lines.len() {
        let trimmed = lines[next].trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            next += 1;
            continue;
        }
        let first_line = next + 1;
        let (logical, after) = logical_line(&lines, next, escape);
        next = after;
        let mut instruction = instruction(&logical, first_line)?;
        if HEREDOC.contains(&instruction.keyword.as_str()) {
            if let Arguments::Shell(args) = &instruction.args {
                for marker in heredoc_markers(args) {
                    let (heredoc, after) = heredoc_body(&lines, next, &marker, first_line)?;
                    instruction.heredocs.push(heredoc);
                    next = after;
                }
            }
        }
        instruction.end_line = next.min(lines.len()).max(first_line);
        instructions.push(instruction);
        if instructions.len() > MAX_INSTRUCTIONS {
            return Err(ParseError {
                line: first_line,
                message: format!("not read: more than {MAX_INSTRUCTIONS} instructions"),
            });
        }
    }
    let stages = stages(&instructions)?;
    Ok(Dockerfile {
        escape,
        instructions,
        stages,
    })
}

/// `# escape=`` ` `` at the top of the file; directives end at the first line that is
/// not one (a blank line included).
fn escape_directive(lines: &[&str]) -> char {
    for line in lines {
        let Some(comment) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = comment.split_once('=') else {
            break;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            break;
        }
        if key.eq_ignore_ascii_case("escape") {
            if let Some(c) = value.trim().chars().next() {
                if c == '`' || c == '\\' {
                    return c;
                }
            }
        }
    }
    '\\'
}

/// Joins an instruction's continuation lines the way BuildKit does: the escape
/// character and the line break go, the next line's indentation stays, comment and
/// blank lines inside are dropped. Returns the line and the index after it.
fn logical_line(lines: &[&str], start: usize, escape: char) -> (String, usize) {
    let (first, mut continues) = strip_continuation(lines[start].trim_start(), escape);
    let mut logical = first.to_string();
    let mut next = start + 1;
    while continues && next < lines.len() {
        let line = lines[next];
        next += 1;
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let (text, more) = strip_continuation(line, escape);
        logical.push_str(text);
        continues = more;
    }
    (logical, next)
}

fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(rest) => (rest, true),
        None => (line, false),
    }
}

fn instruction(logical: &str, line: usize) -> Result<Instruction, ParseError> {
    let logical = logical.trim();
    let (word, rest) = logical
        .split_once(char::is_whitespace)
        .unwrap_or((logical, ""));
    let keyword = word.to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        return Err(ParseError {
            line,
            message: format!("unknown instruction `{word}`"),
        });
    }
    let mut rest = rest.trim_start();
    let mut flags = Vec::new();
    if FLAGGED.contains(&keyword.as_str()) {
        while let Some(flag) = rest.strip_prefix("--") {
            let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
            let (name, value) = match flag[..end].split_once('=') {
                Some((name, value)) => (name, Some(unquote(value).to_string())),
                None => (&flag[..end], None),
            };
            flags.push(Flag {
                name: name.to_ascii_lowercase(),
                value,
            });
            rest = flag[end..].trim_start();
        }
    }
    let args = exec_form(&keyword, rest)
        .map(Arguments::Exec)
        .unwrap_or_else(|| Arguments::Shell(rest.to_string()));
    Ok(Instruction {
        keyword,
        line,
        end_line: line,
        flags,
        args,
        heredocs: Vec::new(),
    })
}

fn exec_form(keyword: &str, rest: &str) -> Option<Vec<String>> {
    if !EXEC_FORM.contains(&keyword) || !rest.starts_with('[') {
        return None;
    }
    serde_json::from_str(rest).ok()
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

struct HeredocMarker {
    name: String,
    strip_tabs: bool,
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` outside quotes, in order; `<<<` is a here-string.
fn heredoc_markers(args: &str) -> Vec<HeredocMarker> {
    let chars: Vec<char> = args.chars().collect();
    let mut markers = Vec::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '<'
                && chars.get(i + 1) == Some(&'<')
                && chars.get(i + 2) != Some(&'<') =>
            {
                let mut j = i + 2;
                let strip_tabs = chars.get(j) == Some(&'-');
                if strip_tabs {
                    j += 1;
                }
                let open = chars.get(j).copied().filter(|c| *c == '"' || *c == '\'');
                if open.is_some() {
                    j += 1;
                }
                let start = j;
                while j < chars.len()
                    && (chars[j].is_ascii_alphanumeric() || "_-.".contains(chars[j]))
                {
                    j += 1;
                }
                if j > start {
                    markers.push(HeredocMarker {
                        name: chars[start..j].iter().collect(),
                        strip_tabs,
                    });
                }
                if open.is_some() && chars.get(j) == open.as_ref() {
                    j += 1;
                }
                i = j;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    markers
}

fn heredoc_body(
    lines: &[&str],
    start: usize,
    marker: &HeredocMarker,
    instruction_line: usize,
) -> Result<(Heredoc, usize), ParseError> {
    let mut body = String::new();
    let mut next = start;
    loop {
        let Some(line) = lines.get(next) else {
            return Err(ParseError {
                line: instruction_line,
                message: format!(
                    "the heredoc `<<{}` is never closed: add a line with only `{}`",
                    marker.name, marker.name
                ),
            });
        };
        next += 1;
        let line = if marker.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if line == marker.name {
            break;
        }
        body.push_str(line);
        body.push('\n');
    }
    Ok((
        Heredoc {
            name: marker.name.clone(),
            body,
            line: start + 1,
        },
        next,
    ))
}

fn stages(instructions: &[Instruction]) -> Result<Vec<Stage>, ParseError> {
    let mut stages: Vec<Stage> = Vec::new();
    for (index, instruction) in instructions.iter().enumerate() {
        if instruction.keyword == "FROM" {
            if stages.len() == MAX_STAGES {
                return Err(ParseError {
                    line: instruction.line,
                    message: format!("not read: more than {MAX_STAGES} stages (FROM lines)"),
                });
            }
            if let Some(last) = stages.last_mut() {
                last.body.end = index;
            }
            let words = instruction.words();
            let (image, name) = match words.as_slice() {
                [image] => (image.clone(), None),
                [image, as_word, name] if as_word.eq_ignore_ascii_case("as") => {
                    (image.clone(), Some(name.to_ascii_lowercase()))
                }
                _ => {
                    return Err(ParseError {
                        line: instruction.line,
                        message: "FROM takes an image and an optional `AS name`".to_string(),
                    })
                }
            };
            stages.push(Stage {
                index: stages.len(),
                name,
                image,
                platform: instruction.flag("platform").map(str::to_string),
                from: index,
                body: index + 1..instructions.len(),
            });
        } else if stages.is_empty() && instruction.keyword != "ARG" {
            return Err(ParseError {
                line: instruction.line,
                message: format!(
                    "{} before the first FROM: only ARG may come before FROM",
                    instruction.keyword
                ),
            });
        }
    }
    if stages.is_empty() {
        return Err(ParseError {
            line: 1,
            message: "no FROM instruction: a Dockerfile needs at least one stage".to_string(),
        });
    }
    Ok(stages)
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|flag| flag.name == name)
            .and_then(|flag| flag.value.as_deref())
    }

    /// The arguments as words: the JSON array, or the shell form split on whitespace
    /// with simple quotes removed (enough for FROM, COPY, USER, ARG, ENV).
    pub fn words(&self) -> Vec<String> {
        match &self.args {
            Arguments::Exec(words) => words.clone(),
            Arguments::Shell(text) => split_words(text),
        }
    }

    /// For RUN: the shell scripts it runs. The shell-form text, and each heredoc that
    /// the shell reads as a script (`RUN <<EOF`, `RUN bash <<EOF`); not the heredocs
    /// fed to another program (`RUN python3 <<EOF`).
    pub fn scripts(&self) -> Vec<&str> {
        let Arguments::Shell(text) = &self.args else {
            return Vec::new();
        };
        let command: Vec<&str> = text
            .split_whitespace()
            .filter(|word| !word.starts_with("<<"))
            .collect();
        let shell_reads_heredoc = match command.as_slice() {
            [] => true,
            [shell, options @ ..] => {
                is_shell(shell) && options.iter().all(|option| option.starts_with('-'))
            }
        };
        let mut scripts = vec![text.as_str()];
        if shell_reads_heredoc {
            scripts.extend(self.heredocs.iter().map(|heredoc| heredoc.body.as_str()));
        }
        scripts
    }
}

fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh")
}

/// Whitespace-separated words with one level of `"…"` or `'…'` quoting removed.
pub fn split_words(text: &str) -> Vec<String> {
    words_with_ends(text)
        .into_iter()
        .map(|(word, _)| word)
        .collect()
}

/// The words of `split_words`, each with the byte offset just past it in `text`: an
/// unquoted word is shorter than what it was written as, so its length is no offset.
fn words_with_ends(text: &str) -> Vec<(String, usize)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for (offset, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push((std::mem::take(&mut word), offset));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push((word, text.len()));
    }
    words
}

impl Dockerfile {
    /// The ARGs declared before the first FROM, with their defaults: usable in FROM
    /// lines, and in a stage only when redeclared there.
    pub fn global_args(&self) -> Vars {
        let first_from = self.stages.first().map_or(0, |stage| stage.from);
        let mut vars = Vars::new();
        for instruction in &self.instructions[..first_from] {
            declare_args(instruction, &mut vars, &Vars::new(), &Vars::new());
        }
        vars
    }

    /// The last stage: what `docker build` produces without `--target`.
    pub fn final_stage(&self) -> &Stage {
        self.stages.last().expect("parse guarantees a stage")
    }

    pub fn instruction(&self, index: usize) -> &Instruction {
        &self.instructions[index]
    }

    /// The instructions of a stage after its FROM, with their indexes.
    pub fn body(&self, stage: usize) -> impl Iterator<Item = (usize, &Instruction)> {
        let range = self.stages[stage].body.clone();
        range.map(move |index| (index, &self.instructions[index]))
    }

    /// A stage by name (case-insensitive) or number, as `COPY --from` and `FROM` name them;
    /// only stages before `before`.
    pub fn stage_named(&self, reference: &str, before: usize) -> Option<usize> {
        let reference = reference.to_ascii_lowercase();
        if let Ok(number) = reference.parse::<usize>() {
            return (number < before).then_some(number);
        }
        self.stages[..before.min(self.stages.len())]
            .iter()
            .rev()
            .find(|stage| stage.name.as_deref() == Some(reference.as_str()))
            .map(|stage| stage.index)
    }

    pub fn base(&self, stage: usize) -> Base {
        let (image, unresolved) = expand(&self.stages[stage].image, &self.global_args());
        if unresolved {
            return Base::Unknown(image);
        }
        if image.eq_ignore_ascii_case("scratch") {
            return Base::Scratch;
        }
        match self.stage_named(&image, stage) {
            Some(parent) if image.parse::<usize>().is_err() => Base::Stage(parent),
            _ => Base::Image(image),
        }
    }

    /// Follows `FROM stage` links down to what the stage finally rests on.
    pub fn root_base(&self, stage: usize) -> Base {
        let mut current = stage;
        loop {
            match self.base(current) {
                Base::Stage(parent) => current = parent,
                other => return other,
            }
        }
    }

    /// The stages `stage` itself reads from: its parent and every `COPY --from`,
    /// `RUN --mount=from=` naming a stage.
    pub fn dependencies(&self, stage: usize) -> BTreeSet<usize> {
        let mut needs = BTreeSet::new();
        if let Base::Stage(parent) = self.base(stage) {
            needs.insert(parent);
        }
        for (_, instruction) in self.body(stage) {
            let mut references: Vec<String> = instruction
                .flag("from")
                .map(str::to_string)
                .into_iter()
                .collect();
            for flag in instruction.flags.iter().filter(|flag| flag.name == "mount") {
                let mount = flag.value.as_deref().unwrap_or_default();
                references.extend(
                    mount
                        .split(',')
                        .filter_map(|part| part.strip_prefix("from="))
                        .map(str::to_string),
                );
            }
            for reference in references {
                if let Some(found) = self.stage_named(&reference, stage) {
                    needs.insert(found);
                }
            }
        }
        needs
    }

    /// `stage` and every stage it needs, directly or not.
    pub fn needed_by(&self, stage: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![stage];
        while let Some(current) = todo.pop() {
            if seen.insert(current) {
                todo.extend(self.dependencies(current));
            }
        }
        seen
    }

    /// ARG and ENV values in effect just before instruction `at` (an index into
    /// `instructions`) of `stage`: ENV inherited from parent stages, then the stage's
    /// own ARG (global defaults apply when redeclared) and ENV in order. An ARG without
    /// a value anywhere is left out: it is unset unless given with `--build-arg`.
    pub fn vars_at(&self, stage: usize, at: usize) -> Vars {
        let global = self.global_args();
        let mut env = match self.base(stage) {
            Base::Stage(parent) => {
                let end = self.stages[parent].body.end;
                self.env_only(self.vars_at(parent, end), parent, end)
            }
            _ => Vars::new(),
        };
        let mut vars = env.clone();
        for (index, instruction) in self.body(stage) {
            if index >= at {
                break;
            }
            match instruction.keyword.as_str() {
                "ARG" => declare_args(instruction, &mut vars, &global, &env),
                "ENV" => {
                    for (name, value) in env_pairs(instruction) {
                        let (value, _) = expand(&value, &vars);
                        env.insert(name.clone(), value.clone());
                        vars.insert(name, value);
                    }
                }
                _ => {}
            }
        }
        vars
    }

    /// The ENV part of a stage's variables: what a child stage inherits.
    fn env_only(&self, vars: Vars, stage: usize, end: usize) -> Vars {
        let mut names: BTreeSet<String> = BTreeSet::new();
        let mut current = Some(stage);
        while let Some(index) = current {
            for (position, instruction) in self.body(index) {
                if position < end && instruction.keyword == "ENV" {
                    names.extend(env_pairs(instruction).into_iter().map(|(name, _)| name));
                }
            }
            current = match self.base(index) {
                Base::Stage(parent) => Some(parent),
                _ => None,
            };
        }
        vars.into_iter()
            .filter(|(name, _)| names.contains(name))
            .collect()
    }
}

/// `ARG NAME`, `ARG NAME=default`, several per line. An ARG without a default takes
/// the global default of the same name, or keeps an ENV value already set.
fn declare_args(instruction: &Instruction, vars: &mut Vars, global: &Vars, env: &Vars) {
    for word in instruction.words() {
        match word.split_once('=') {
            Some((name, value)) => {
                if env.contains_key(name) {
                    continue; // ENV wins over ARG of the same name
                }
                let (value, _) = expand(value, vars);
                vars.insert(name.to_string(), value);
            }
            None => {
                if let Some(value) = global.get(&word) {
                    vars.entry(word).or_insert_with(|| value.clone());
                }
            }
        }
    }
}

/// `ENV A=1 B="two words"` or the legacy `ENV A value with spaces`.
pub fn env_pairs(instruction: &Instruction) -> Vec<(String, String)> {
    let Arguments::Shell(text) = &instruction.args else {
        return Vec::new();
    };
    let words = words_with_ends(text);
    match words.first() {
        Some((first, end)) if !first.contains('=') => {
            let value = text[*end..].trim();
            vec![(first.clone(), unquote(value).to_string())]
        }
        _ => words
            .into_iter()
            .filter_map(|(word, _)| {
                word.split_once('=')
                    .map(|(name, value)| (name.to_string(), value.to_string()))
            })
            .collect(),
    }
}

/// Substitutes `$NAME`, `${NAME}` and the `:-`, `-`, `:+`, `+` forms. Returns the text
/// and whether some variable had no known value (it expands to nothing, as in Docker
/// when no `--build-arg` is given, but the result is then only a guess).
pub fn expand(text: &str, vars: &Vars) -> (String, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut unresolved = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            let Some(close) = chars[i + 2..].iter().position(|c| *c == '}') else {
                out.extend(&chars[i..]);
                break;
            };
            let inner: String = chars[i + 2..i + 2 + close].iter().collect();
            let (value, known) = substitute(&inner, vars);
            unresolved |= !known;
            out.push_str(&value);
            i += close + 3;
            continue;
        }
        let name: String = chars[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
            .collect();
        if name.is_empty() {
            out.push('$');
            i += 1;
            continue;
        }
        match vars.get(&name) {
            Some(value) => out.push_str(value),
            None => unresolved = true,
        }
        i += 1 + name.chars().count();
    }
    (out, unresolved)
}

/// The inside of `${…}`: its value and whether it is known.
fn substitute(inner: &str, vars: &Vars) -> (String, bool) {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, operator) = inner.split_at(name_end);
    let value = vars.get(name);
    let word = |rest: &str| expand(rest, vars);
    if let Some(default) = operator.strip_prefix(":-") {
        return match value.filter(|v| !v.is_empty()) {
            Some(v) => (v.clone(), true),
            None => word(default).map_known(),
        };
    }
    if let Some(default) = operator.strip_prefix('-') {
        return match value {
            Some(v) => (v.clone(), true),
            None => word(default).map_known(),
        };
    }
    if let Some(alternative) = operator.strip_prefix(":+") {
        return match value.filter(|v| !v.is_empty()) {
            Some(_) => word(alternative).map_known(),
            None => (String::new(), true),
        };
    }
    if let Some(alternative) = operator.strip_prefix('+') {
        return match value {
            Some(_) => word(alternative).map_known(),
            None => (String::new(), true),
        };
    }
    if !operator.is_empty() {
        // ${VAR#pattern} and friends: not worth guessing.
        return (String::new(), false);
    }
    match value {
        Some(v) => (v.clone(), true),
        None => (String::new(), false),
    }
}

trait MapKnown {
    fn map_known(self) -> (String, bool);
}

impl MapKnown for (String, bool) {
    /// `expand` says "unresolved"; `substitute` says "known".
    fn map_known(self) -> (String, bool) {
        (self.0, !self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Dockerfile {
        parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn joins_continuations_and_skips_comments_inside_them() {
        let file = parsed(
            "FROM golang:1.22 AS build\nRUN go mod download && \\\n# a comment\n\n    CGO_ENABLED=0 go build ./...\nCMD [\"/app\"]\n",
        );
        let run = &file.instructions[1];
        assert_eq!(run.keyword, "RUN");
        assert_eq!(
            run.args,
            Arguments::Shell("go mod download &&     CGO_ENABLED=0 go build ./...".into())
        );
        assert_eq!((run.line, run.end_line), (2, 5));
        assert_eq!(
            file.instructions[2].args,
            Arguments::Exec(vec!["/app".into()])
        );
        assert_eq!(file.instructions[2].line, 6);
    }

    #[test]
    fn honours_the_escape_directive_and_crlf() {
        let file =
            parsed("# escape=`\r\nFROM mcr.microsoft.com/windows\r\nRUN dir `\r\n  c:\\\r\n");
        assert_eq!(file.escape, '`');
        assert_eq!(
            file.instructions[1].args,
            Arguments::Shell("dir   c:\\".into())
        );
        // A directive after a blank line is only a comment.
        let file = parsed("\n# escape=`\nFROM scratch\n");
        assert_eq!(file.escape, '\\');
    }

    #[test]
    fn reads_heredocs_as_part_of_the_instruction() {
        let file = parsed(
            "FROM alpine:3.20\nRUN <<EOF\nset -e\ngo build ./...\nEOF\nCOPY <<-\"A\" /a <<B /b\n\tone\n\tA\ntwo\nB\nUSER 1000\n",
        );
        let run = &file.instructions[1];
        assert_eq!(run.heredocs.len(), 1);
        assert_eq!(run.heredocs[0].body, "set -e\ngo build ./...\n");
        assert_eq!((run.line, run.end_line), (2, 5));
        assert_eq!(run.scripts(), vec!["<<EOF", "set -e\ngo build ./...\n"]);
        let copy = &file.instructions[2];
        let names: Vec<_> = copy.heredocs.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(copy.heredocs[0].body, "one\n");
        assert_eq!(file.instructions[3].keyword, "USER");
        assert_eq!(file.instructions[3].line, 11);
    }

    #[test]
    fn a_heredoc_fed_to_another_program_is_not_a_shell_script() {
        let file = parsed("FROM python:3\nRUN python3 <<EOF\nprint('go build')\nEOF\n");
        assert_eq!(file.instructions[1].scripts(), vec!["python3 <<EOF"]);
    }

    #[test]
    fn an_unclosed_heredoc_is_an_error_with_its_line() {
        let error = parse("FROM alpine\nRUN <<EOF\necho\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("never closed"), "{error}");
    }

    #[test]
    fn here_strings_are_not_heredocs() {
        let file = parsed("FROM alpine\nRUN cat <<< hello\nUSER 1\n");
        assert!(file.instructions[1].heredocs.is_empty());
    }

    #[test]
    fn unknown_instructions_and_missing_from_are_errors() {
        assert_eq!(parse("FROM a\nRUNN x\n").unwrap_err().line, 2);
        assert!(parse("RUN echo\n").is_err());
        assert!(parse("# only a comment\n").is_err());
    }

    #[test]
    fn stages_flags_and_the_stage_graph() {
        let file = parsed(
            "ARG GO=1.22\nFROM --platform=$BUILDPLATFORM golang:${GO}-alpine AS Build\nRUN --mount=type=cache,target=/root/.cache/go-build go build\nFROM build AS test\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /app /app\nCOPY --from=0 /x /x\n",
        );
        assert_eq!(file.stages.len(), 3);
        assert_eq!(file.stages[0].name.as_deref(), Some("build"));
        assert_eq!(file.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(file.base(0), Base::Image("golang:1.22-alpine".into()));
        assert_eq!(file.base(1), Base::Stage(0));
        assert_eq!(file.root_base(1), Base::Image("golang:1.22-alpine".into()));
        assert_eq!(file.final_stage().index, 2);
        assert_eq!(file.dependencies(2), BTreeSet::from([0]));
        assert_eq!(file.needed_by(1), BTreeSet::from([0, 1]));
        let run = &file.instructions[2];
        assert_eq!(run.flags[0].name, "mount");
        assert_eq!(
            run.flags[0].value.as_deref(),
            Some("type=cache,target=/root/.cache/go-build")
        );
    }

    #[test]
    fn an_image_from_an_arg_without_default_is_unknown() {
        let file = parsed("ARG BASE\nFROM ${BASE}\n");
        assert_eq!(file.base(0), Base::Unknown(String::new()));
        let file = parsed("ARG BASE=scratch\nFROM $BASE\n");
        assert_eq!(file.base(0), Base::Scratch);
    }

    #[test]
    fn variables_follow_arg_and_env_scoping() {
        let file = parsed(
            "ARG GOPROXY=https://proxy.golang.org\nARG UNUSED=1\nFROM golang AS build\nARG GOPROXY\nENV CGO_ENABLED=0 GOFLAGS=\"-mod=mod\"\nENV LEGACY some value\nARG CGO_ENABLED=1\nRUN go build\nFROM build\nRUN true\n",
        );
        let vars = file.vars_at(0, 7);
        assert_eq!(vars["GOPROXY"], "https://proxy.golang.org");
        assert_eq!(vars["CGO_ENABLED"], "0", "ENV wins over a later ARG");
        assert_eq!(vars["GOFLAGS"], "-mod=mod");
        assert_eq!(vars["LEGACY"], "some value");
        assert!(!vars.contains_key("UNUSED"), "globals need redeclaring");
        let child = file.vars_at(1, 9);
        assert_eq!(child["CGO_ENABLED"], "0", "ENV is inherited");
        assert!(!child.contains_key("GOPROXY"), "ARG is not inherited");
    }

    #[test]
    fn expansion_forms() {
        let vars = Vars::from([("A".into(), "x".into()), ("E".into(), String::new())]);
        assert_eq!(expand("$A/${A}", &vars), ("x/x".into(), false));
        assert_eq!(expand("${B:-d}", &vars), ("d".into(), false));
        assert_eq!(expand("${E:-d}", &vars), ("d".into(), false));
        assert_eq!(expand("${E-d}", &vars), ("".into(), false));
        assert_eq!(expand("${A:+y}", &vars), ("y".into(), false));
        assert_eq!(expand("${B:+y}", &vars), ("".into(), false));
        assert_eq!(expand("$B", &vars), ("".into(), true));
        assert_eq!(expand("\\$A", &vars), ("$A".into(), false));
        assert_eq!(expand("${B:-$A}", &vars), ("x".into(), false));
    }

    #[test]
    fn env_and_words() {
        assert_eq!(
            split_words(r#"a "b c" 'd'"#),
            vec!["a".to_string(), "b c".into(), "d".into()]
        );
    }

    /// The unquoted name is shorter than the quoted one: its length is no offset into
    /// the text (slicing by it panicked inside the `€`).
    #[test]
    fn legacy_env_with_a_quoted_name_and_multibyte_text() {
        let file = parsed("FROM scratch\nENV \"A\"€ value\nENV \"B\" two words\n");
        assert_eq!(
            env_pairs(&file.instructions[1]),
            vec![("A€".to_string(), "value".to_string())]
        );
        assert_eq!(
            env_pairs(&file.instructions[2]),
            vec![("B".to_string(), "two words".to_string())]
        );
    }

    #[test]
    fn files_past_the_bounds_are_not_read() {
        let error = parse(&format!("FROM scratch\n{}", "#".repeat(MAX_BYTES))).unwrap_err();
        assert_eq!(
            (error.line, error.message.as_str()),
            (1, "not read: larger than 1 MiB")
        );
        let runs = "RUN true\n".repeat(MAX_INSTRUCTIONS);
        let error = parse(&format!("FROM scratch\n{runs}")).unwrap_err();
        assert_eq!(error.line, MAX_INSTRUCTIONS + 1);
        assert!(
            error.message.contains("more than 5000 instructions"),
            "{error}"
        );
        let stages: String = (0..=MAX_STAGES)
            .map(|i| format!("FROM scratch AS s{i}\n"))
            .collect();
        let error = parse(&stages).unwrap_err();
        assert_eq!(error.line, MAX_STAGES + 1);
        assert!(error.message.contains("more than 200 stages"), "{error}");
    }
}
