//! What the fuzzers check on one input of each of doctor's readers, shared by the
//! property tests (tests/fuzz_readers.rs) and the cargo-fuzz targets (fuzz/): the
//! reader does not panic, and what it returns is consistent with the file (line
//! numbers inside it). Everything doctor's rules ask of a parsed file is asked here
//! too, so a panic or a blow-up there is found as well.

#![allow(dead_code)] // each fuzz target uses one reader

use scaffold::doctor::compose;
use scaffold::doctor::dockerfile::{self, Arguments};
use scaffold::doctor::dockerignore::Dockerignore;
use scaffold::doctor::gitattributes::Gitattributes;
use scaffold::doctor::go_steps::go_steps;
use scaffold::doctor::shell;

/// Paths to ask the glob readers about, besides the input's own lines.
pub const PATHS: &[&str] = &[
    ".git",
    ".git/config",
    ".env",
    "Dockerfile",
    "scripts/run.sh",
    "a/b/c.bat",
    "docker/€/x",
    "./a/",
    "",
];

/// Lines of a file as counted by its reader (a BOM is not a line).
pub fn line_count(text: &str) -> usize {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .split('\n')
        .count()
}

/// Parses a Dockerfile and uses everything doctor's rules ask of it.
pub fn dockerfile(text: &str) {
    let lines = line_count(text);
    let file = match dockerfile::parse(text) {
        Ok(file) => file,
        Err(error) => {
            assert!((1..=lines).contains(&error.line), "{error} ({lines} lines)");
            return;
        }
    };
    for instruction in &file.instructions {
        assert!(
            1 <= instruction.line && instruction.line <= instruction.end_line,
            "{instruction:?}"
        );
        assert!(
            instruction.end_line <= lines,
            "{instruction:?} ({lines} lines)"
        );
        for heredoc in &instruction.heredocs {
            assert!(
                heredoc.line > instruction.line && heredoc.line <= lines,
                "{heredoc:?} ({lines} lines)"
            );
        }
        instruction.words();
        dockerfile::env_pairs(instruction);
        if let Arguments::Shell(_) = instruction.args {
            for script in instruction.scripts() {
                shell::commands(script);
            }
        }
    }
    for stage in 0..file.stages.len() {
        file.base(stage);
        file.root_base(stage);
        file.needed_by(stage);
        file.vars_at(stage, file.stages[stage].body.end);
        go_steps(&file, stage);
    }
}

/// Parses a compose file; its services start on lines of the file.
pub fn compose(text: &str) {
    let lines = line_count(text);
    if let Ok(compose) = compose::parse(text) {
        for service in &compose.services {
            assert!(
                (1..=lines).contains(&service.line),
                "{service:?} ({lines} lines)"
            );
        }
    }
}

pub fn dockerignore(text: &str, paths: &[&str]) {
    let ignore = Dockerignore::parse(text);
    for path in paths.iter().chain(PATHS) {
        ignore.excludes(path);
    }
}

pub fn gitattributes(text: &str, paths: &[&str]) {
    let mut attributes = Gitattributes::parse(text);
    attributes.extend(Gitattributes::parse_in(text, "a"));
    for path in paths.iter().chain(PATHS) {
        attributes.pins_lf(path);
    }
}
