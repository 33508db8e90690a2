//! Everything scaffold prints goes through here: results on stdout, progress, warnings
//! and errors on stderr. No other module prints.

#![allow(clippy::print_stderr)] // the one module that prints

use std::fmt::Display;
use std::io::Write;

use console::style;

#[derive(Debug, Clone, Copy, Default)]
pub struct Reporter {
    quiet: bool,
}

impl Reporter {
    pub fn new(quiet: bool) -> Self {
        Reporter { quiet }
    }

    /// A result the user asked for (a file list, a script): stdout, even when quiet.
    pub fn output(&self, text: impl Display) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
    }

    /// Progress and summaries: stderr, silenced by --quiet.
    pub fn status(&self, label: &str, text: impl Display) {
        if !self.quiet {
            eprintln!("{:>10} {text}", style(label).green().bold());
        }
    }

    /// A plain line of advice, silenced by --quiet.
    pub fn note(&self, text: impl Display) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    pub fn warn(&self, text: impl Display) {
        eprintln!("{} {text}", style("warning:").yellow().bold());
    }

    pub fn error(&self, text: impl Display) {
        eprintln!("{} {text}", style("error:").red().bold());
    }
}
