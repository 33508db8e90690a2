//! scaffold: create a Go service that builds and runs in Docker the first time, on
//! Windows as well as Linux and macOS.
//!
//! The flow is always: parse arguments (`cli`), then `generate` validates the answers,
//! loads the templates and renders the project in memory; `write` checks the
//! destination, stages, commits and moves the project into place; `verify` proves the
//! result by building and running it (through `engine`); `doctor` finds the same
//! pitfalls in any project; `update` re-renders a project made earlier and merges the
//! change into it three ways, against the pristine render kept in its git history.
//! Only `report` prints.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod exit_status;
pub mod generate;
pub mod host;
pub mod interrupt;
pub mod machine;
pub mod report;
pub mod update;
pub mod verify;
pub mod write;

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
        Command::Update(args) => commands::update::run(args, reporter),
    }
}
