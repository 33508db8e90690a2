//! Asking a person at a terminal, with dialoguer: defaults on Enter, choices from a
//! menu, and each answer checked by the same rules as its flag before it is accepted.

use std::io::IsTerminal;

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Select};

use crate::error::Error;
use crate::generate::answers::Ask;

/// True when a person can answer: stdin and stdout are terminals, and so is stderr,
/// where dialoguer draws the prompts (`scaffold new 2>log` must not fail half-way).
pub fn is_interactive() -> bool {
    std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal()
}

pub struct TerminalAsk {
    theme: ColorfulTheme,
}

impl TerminalAsk {
    pub fn new() -> Self {
        TerminalAsk {
            theme: ColorfulTheme::default(),
        }
    }
}

impl Default for TerminalAsk {
    fn default() -> Self {
        Self::new()
    }
}

impl Ask for TerminalAsk {
    fn text(
        &mut self,
        question: &str,
        default: Option<&str>,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, Error> {
        let mut input = Input::<String>::with_theme(&self.theme)
            .with_prompt(question)
            .validate_with(|text: &String| validate(text));
        if let Some(default) = default {
            input = input.default(default.to_string());
        }
        input.interact_text().map_err(prompt_error)
    }

    fn choose(&mut self, question: &str, choices: &[&str], default: usize) -> Result<usize, Error> {
        Select::with_theme(&self.theme)
            .with_prompt(question)
            .items(choices)
            .default(default)
            .interact()
            .map_err(prompt_error)
    }

    fn confirm(&mut self, question: &str, default: bool) -> Result<bool, Error> {
        Confirm::with_theme(&self.theme)
            .with_prompt(question)
            .default(default)
            .interact()
            .map_err(prompt_error)
    }
}

fn prompt_error(error: dialoguer::Error) -> Error {
    // A menu hides the cursor; give it back however the prompt ended.
    let _ = console::Term::stderr().show_cursor();
    let dialoguer::Error::IO(error) = error;
    if error.kind() == std::io::ErrorKind::Interrupted {
        // In raw mode console reads Ctrl-C as a key and returns this (raising SIGINT
        // too, whose handler may lose the race): it is Ctrl-C, exit 130, not a failure.
        return Error::Interrupted;
    }
    Error::Prompt(error.to_string())
}
