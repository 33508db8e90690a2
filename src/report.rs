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

    /// Long work with a changing step: a spinner on stderr when it is a terminal (and
    /// `wanted`, i.e. no full log is printed instead); otherwise one status line, so
    /// logs in CI stay plain.
    pub fn progress(&self, label: &str, text: &str, wanted: bool) -> Progress {
        if self.quiet || !wanted || !console::Term::stderr().features().is_attended() {
            self.status(label, text);
            return Progress(None);
        }
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_style(
            indicatif::ProgressStyle::with_template("{prefix:>10.cyan.bold} {spinner} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        spinner.set_prefix(label.to_string());
        spinner.set_message(text.to_string());
        spinner.enable_steady_tick(std::time::Duration::from_millis(100));
        Progress(Some(spinner))
    }
}

/// A spinner from `Reporter::progress`; does nothing when none is drawn.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn set_message(&self, text: impl Into<String>) {
        if let Some(spinner) = &self.0 {
            spinner.set_message(text.into());
        }
    }

    /// Removes the spinner, leaving the terminal as it was.
    pub fn finish(&self) {
        if let Some(spinner) = &self.0 {
            spinner.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A word that bash, zsh and PowerShell all read back unchanged: plain words as they
/// are, anything else in single quotes (a comma would make a PowerShell array).
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_quote_what_shells_would_change() {
        assert_eq!(shell_word("example.com/demo"), "example.com/demo");
        assert_eq!(
            shell_word("https://proxy.golang.org,direct"),
            "'https://proxy.golang.org,direct'"
        );
        assert_eq!(shell_word("my dir"), "'my dir'");
    }
}
