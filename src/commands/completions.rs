//! `scaffold completions SHELL`: a completion script generated from the CLI declaration,
//! so it can never fall behind the flags.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit_status::ExitStatus;

pub fn run(shell: Shell) -> ExitStatus {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "scaffold", &mut std::io::stdout());
    ExitStatus::Success
}
