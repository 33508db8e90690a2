//! scaffold: create a Go service that builds and runs in Docker the first time, on
//! Windows as well as Linux and macOS.
//!
//! The flow is always: parse arguments (`cli`), validate answers (`answers`, `prompt`),
//! render templates in memory (`template_set`, `render`, `context`), then act on disk
//! (`destination`, `staging`, `git`), and prove the result by building and running it
//! (`verify`, through `engine`); `doctor` finds the same pitfalls in any project. Only
//! `report` prints.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod answers;
pub mod answers_file;
pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod destination;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod exit_status;
pub mod git;
pub mod host;
pub mod interrupt;
pub mod manifest;
pub mod prompt;
pub mod render;
pub mod report;
pub mod staging;
pub mod template_git;
pub mod template_loader;
pub mod template_set;
pub mod template_source;
pub mod template_text;
pub mod variables;
pub mod verify;

pub use error::Error;
pub use exit_status::ExitStatus;

use cli::{Cli, Command};
use report::Reporter;

/// Runs one parsed command line.
pub fn run(cli: &Cli, reporter: &Reporter) -> Result<ExitStatus, Error> {
    interrupt::install();
    match &cli.command {
        Command::New(args) => commands::new::run(args, reporter),
        Command::Verify(args) => commands::verify::run(args, reporter),
        Command::Doctor(args) => commands::doctor::run(args, reporter),
        Command::Templates(command) => commands::templates::run(command, reporter),
        Command::Completions { shell } => Ok(commands::completions::run(*shell)),
    }
}
