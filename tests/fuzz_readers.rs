//! Property tests (fuzzing) of doctor's readers: the Dockerfile, compose, .dockerignore
//! and .gitattributes parsers, and the whole of doctor on a project made of such files.
//! Inputs are built from each format's own tokens (quotes, escapes, heredocs, anchors,
//! globs, multibyte text) so most reach deep into the parsers, plus arbitrary strings.
//!
//! Properties: reading never panics and stays within a time bound; a Dockerfile's
//! instructions, heredocs and errors have line numbers inside the file; compose
//! services too.
//!
//! A short run is part of `cargo test`. A long run:
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz_readers`
//! (each property runs that many cases; `fuzz/` holds the cargo-fuzz harness).

use std::time::{Duration, Instant};

mod reader_checks;

use proptest::prelude::*;
use proptest::test_runner::Config;
use scaffold::doctor::host::Host;
use scaffold::doctor::Project;

/// One case of any reader on these small inputs takes milliseconds; this much means
/// something grew out of bounds.
const CASE_LIMIT: Duration = Duration::from_secs(5);

/// `PROPTEST_CASES` when set, else `default` (a short run for every `cargo test`).
fn config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Text made of lines that each start with one of `starts` and go on with up to
/// `width` of `tokens`, with random indentation and line ends; or arbitrary text.
fn text_of(
    starts: &'static [&'static str],
    tokens: &'static [&'static str],
    width: usize,
) -> BoxedStrategy<String> {
    let line = (
        0usize..6,
        prop::sample::select(starts),
        prop::collection::vec(prop::sample::select(tokens), 0..width),
        prop::bool::ANY,
    )
        .prop_map(|(indent, start, words, spaced)| {
            let separator = if spaced { " " } else { "" };
            format!("{}{start} {}", " ".repeat(indent), words.join(separator))
        });
    let eol = prop::sample::select(&["\n", "\r\n", "\n\n"][..]);
    let structured = prop::collection::vec((line, eol), 0..30).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(line, eol)| line + eol)
            .collect::<String>()
    });
    prop_oneof![8 => structured, 1 => any::<String>()].boxed()
}

/// Most lines start with an instruction, the first often with a FROM, so that most
/// inputs parse and reach what the rules ask of a parsed file.
fn dockerfile_text() -> impl Strategy<Value = String> {
    let first =
        prop::sample::select(&["", "FROM golang:1.22 AS build\n", "ARG B=a\nFROM $B\n"][..]);
    (first, text_of(DOCKERFILE_STARTS, DOCKERFILE_TOKENS, 8))
        .prop_map(|(first, rest)| first.to_string() + &rest)
}

const DOCKERFILE_STARTS: &[&str] = &[
    "FROM",
    "RUN",
    "ENV",
    "ARG",
    "COPY",
    "ADD",
    "CMD",
    "ENTRYPOINT",
    "USER",
    "ONBUILD",
    "SHELL",
    "HEALTHCHECK",
    "run",
    "#",
    "",
    "\\",
    "EOF",
];

const ANY_START: &[&str] = &[""];

const DOCKERFILE_TOKENS: &[&str] = &[
    "FROM",
    "from",
    "RUN",
    "ENV",
    "ARG",
    "COPY",
    "ADD",
    "CMD",
    "ENTRYPOINT",
    "USER",
    "WORKDIR",
    "LABEL",
    "ONBUILD",
    "SHELL",
    "HEALTHCHECK",
    "EXPOSE",
    "VOLUME",
    "STOPSIGNAL",
    "MAINTAINER",
    "--from=build",
    "--from=0",
    "--mount=type=cache,target=/go/pkg/mod",
    "--mount=from=a,source=.env",
    "--platform=$BUILDPLATFORM",
    "--",
    "--x=\"q\"",
    "AS",
    "as",
    "build",
    "a",
    "scratch",
    "golang:1.22",
    "alpine@sha256:00",
    "\"",
    "'",
    "\\",
    "`",
    "<<EOF",
    "<<-'E'",
    "<<\"X\"",
    "<<<",
    "EOF",
    "E",
    "X",
    "\t",
    "${A:-x}",
    "${A+y}",
    "$A",
    "${",
    "}",
    "${A#p}",
    "A=1",
    "\"A\"",
    "\"A\"€",
    "€",
    "é",
    "\u{feff}",
    "\u{0}",
    "#",
    "# escape=`",
    "# escape=\\",
    "=",
    "[",
    "]",
    "[\"go\",",
    "\"build\"]",
    "go",
    "go build",
    "go mod download",
    "CGO_ENABLED=0",
    "export",
    "env",
    "sh",
    "-c",
    "&&",
    ";",
    "|",
    "$(",
    ")",
    "0",
    "1000",
    ":",
    "/app",
    ".",
    "..",
    "./...",
];

const COMPOSE_TOKENS: &[&str] = &[
    "services:",
    "app:",
    "build:",
    "context:",
    "dockerfile:",
    "volumes:",
    "image:",
    "x-c:",
    "- ",
    "-",
    "&a",
    "&b",
    "*a",
    "*b",
    "<<:",
    "<<: *a",
    "<<: [*a, *b]",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ": ",
    "\"",
    "'",
    "|",
    ">-",
    "---",
    "...",
    "? ",
    "!!str",
    "!t",
    "%YAML 1.2",
    "#",
    "€",
    "\t",
    "type: bind",
    "type: volume",
    "source: C:\\x",
    "target: /x",
    "read_only: true",
    "bind:",
    "selinux: z",
    "./a:/a:ro",
    "data:/d",
    "${D:-./d}:/d:rw",
    "C:\\logs:/logs",
    "~/x:/x",
    "\\\\",
    "null",
    "~",
    "0x1",
    "\u{feff}",
];

const GLOB_TOKENS: &[&str] = &[
    "*",
    "**",
    "?",
    "[",
    "]",
    "[!a]",
    "[a-z]",
    "!",
    "/",
    "\\",
    "a",
    "b",
    ".git",
    ".env",
    "#",
    " ",
    "..",
    ".",
    "{",
    "}",
    "{a,b}",
    ",",
    "€",
    "\t",
    "*.sh",
    "**/",
    "Dockerfile",
];

const GITATTRIBUTES_TOKENS: &[&str] = &[
    "*",
    "**",
    "?",
    "[",
    "]",
    "!",
    "/",
    "\\",
    "a",
    "*.sh",
    "*.bat",
    "**/docker/**",
    "Dockerfile",
    "#",
    "[attr]x",
    "text",
    "-text",
    "!text",
    "text=auto",
    "eol=lf",
    "eol=crlf",
    "!eol",
    "binary",
    "crlf",
    "-crlf",
    "crlf=input",
    "filter=lfs",
    "diff",
    "€",
    "{a,b}",
    " ",
    "\t",
];

/// Paths to ask the glob readers about.
fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "a",
                "b",
                ".git",
                ".env",
                "config",
                "Dockerfile",
                "run.sh",
                "x.bat",
                "docker",
                "€",
                "[",
                "*",
                ".",
                "..",
                "",
            ][..],
        ),
        1..5,
    )
    .prop_map(|parts| parts.join("/"))
}

fn timed(what: &str, text: &str, read: impl FnOnce()) {
    let start = Instant::now();
    read();
    let elapsed = start.elapsed();
    assert!(
        elapsed < CASE_LIMIT,
        "{what} took {elapsed:?} on {} bytes: {text:?}",
        text.len()
    );
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn dockerfile_reader(text in dockerfile_text()) {
        timed("Dockerfile", &text, || reader_checks::dockerfile(&text));
    }

    #[test]
    fn compose_reader(text in text_of(ANY_START, COMPOSE_TOKENS, 6)) {
        timed("compose", &text, || reader_checks::compose(&text));
    }

    #[test]
    fn dockerignore_reader(text in text_of(ANY_START, GLOB_TOKENS, 6), paths in prop::collection::vec(path(), 0..8)) {
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        timed(".dockerignore", &text, || reader_checks::dockerignore(&text, &paths));
    }

    #[test]
    fn gitattributes_reader(text in text_of(ANY_START, GITATTRIBUTES_TOKENS, 5), paths in prop::collection::vec(path(), 0..8)) {
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        timed(".gitattributes", &text, || reader_checks::gitattributes(&text, &paths));
    }
}

proptest! {
    #![proptest_config(config(60))]

    /// All four files in one project, through every rule of doctor.
    #[test]
    fn doctor_on_a_project_of_fuzzed_files(
        dockerfile in dockerfile_text(),
        compose in text_of(ANY_START, COMPOSE_TOKENS, 6),
        dockerignore in text_of(ANY_START, GLOB_TOKENS, 6),
        gitattributes in text_of(ANY_START, GITATTRIBUTES_TOKENS, 5),
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("Dockerfile", &dockerfile),
            ("compose.yaml", &compose),
            (".dockerignore", &dockerignore),
            (".gitattributes", &gitattributes),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        timed("doctor", &dockerfile, || {
            let project = Project::load(dir.path(), Host::default()).unwrap();
            scaffold::doctor::check(&project);
        });
    }
}
