//! The interactive `scaffold new`, driven through a real pseudo-terminal: defaults on
//! Enter, invalid answers re-asked with their message, Ctrl-C leaving nothing behind,
//! and the printed one-line command making the very same project without questions.
#![cfg(unix)]

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::{Eof, Regex, Session, WaitStatus};
use tempfile::TempDir;

/// Generous for a loaded CI machine; a passing test takes well under a second.
const EXPECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Enter, as a terminal sends it.
const ENTER: &str = "\r";

/// `scaffold new` at a pseudo-terminal, with a transcript of what it showed so far
/// for failure messages.
struct Terminal {
    session: Session,
    transcript: String,
}

impl Terminal {
    /// `scaffold new --no-git --no-verify EXTRA…` in `cwd`.
    fn spawn_new(cwd: &Path, extra: &[&str]) -> Terminal {
        let mut command = Command::new(env!("CARGO_BIN_EXE_scaffold"));
        command
            .current_dir(cwd)
            .args(["new", "--no-git", "--no-verify"])
            .args(extra)
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .env("XDG_CONFIG_HOME", cwd.join(".no-config"))
            .env_remove("SCAFFOLD_TEMPLATES")
            .env_remove("CLICOLOR_FORCE");
        let mut session = Session::spawn(command).expect("spawn scaffold at a pseudo-terminal");
        session.set_expect_timeout(Some(EXPECT_TIMEOUT));
        Terminal {
            session,
            transcript: String::new(),
        }
    }

    /// Waits for `needle` and returns what matched; a failure shows the transcript.
    fn expect<N: expectrl::Needle + std::fmt::Debug>(&mut self, needle: N) -> String {
        let wanted = format!("{needle:?}");
        match self.session.expect(needle) {
            Ok(found) => {
                self.transcript
                    .push_str(&String::from_utf8_lossy(found.as_bytes()));
                String::from_utf8_lossy(found.get(0).unwrap_or_default()).into_owned()
            }
            Err(error) => {
                if let Ok(rest) = self.session.check(Regex("(?s).+")) {
                    self.transcript
                        .push_str(&String::from_utf8_lossy(rest.as_bytes()));
                }
                panic!(
                    "waiting for {wanted}: {error}\n--- the terminal showed ---\n{}",
                    self.transcript
                );
            }
        }
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
    }

    /// Waits for `prompt`, types `reply` and Enter.
    fn answer(&mut self, prompt: &str, reply: &str) {
        self.expect(prompt);
        self.send(&format!("{reply}{ENTER}"));
    }

    /// Reads to the end of the output and returns the exit status.
    fn finish(&mut self) -> WaitStatus {
        self.expect(Eof);
        self.session.get_process().wait().unwrap()
    }
}

/// The prompts after the name, in order; Enter takes each default.
const PROMPTS_AFTER_NAME: [&str; 8] = [
    "Go module path",
    "Go version",
    "Port",
    "Runtime image",
    "Add redis",
    "GOPROXY",
    "CI workflow",
    "Add Kubernetes",
];

/// Splits a command line as printed by scaffold: plain words, and single-quoted words
/// in which `''` stands for one quote.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while chars.peek().is_some() {
        let mut word = String::new();
        while let Some(c) = chars.next() {
            match c {
                ' ' => break,
                '\'' => loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            word.push('\'');
                        }
                        Some('\'') | None => break,
                        Some(c) => word.push(c),
                    }
                },
                c => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

fn project_in(cwd: &TempDir) -> std::path::PathBuf {
    cwd.path().join("demo")
}

#[test]
fn every_default_on_enter_and_the_printed_command_makes_the_same_project() {
    let cwd = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::spawn_new(cwd.path(), &[]);
    terminal.answer("Project name", "demo");
    for prompt in PROMPTS_AFTER_NAME {
        terminal.answer(prompt, "");
    }
    terminal.expect("To make the same project again");
    let line = terminal.expect(Regex(r"scaffold new demo [^\r\n]*--yes"));
    let status = terminal.finish();
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "status {status:?}\n{}",
        terminal.transcript
    );

    let interactive = support::read_tree(&project_in(&cwd));
    let record = String::from_utf8_lossy(&interactive[".scaffold/answers.toml"]).into_owned();
    for default in [
        "name = \"demo\"",
        "module = \"example.com/demo\"",
        "port = 8080",
        "runtime = \"distroless\"",
        "redis = true",
    ] {
        assert!(record.contains(default), "`{default}` in:\n{record}");
    }

    // The printed command, run without a terminal elsewhere, makes identical files.
    let words = shell_words(&line);
    assert_eq!(words[..3], ["scaffold", "new", "demo"], "{line}");
    for flag in ["--no-git", "--no-verify", "--yes", "--redis"] {
        assert!(words.iter().any(|w| w == flag), "{flag} missing: {line}");
    }
    let again = tempfile::tempdir().unwrap();
    support::scaffold()
        .current_dir(again.path())
        .args(&words[1..])
        .timeout(EXPECT_TIMEOUT)
        .assert()
        .success();
    let scripted = support::read_tree(&project_in(&again));
    assert_eq!(
        scripted.keys().collect::<Vec<_>>(),
        interactive.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &interactive {
        assert!(scripted[path] == *bytes, "{path} differs");
    }
}

#[test]
fn invalid_answers_are_re_asked_with_their_message() {
    let cwd = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::spawn_new(cwd.path(), &[]);
    terminal.answer("Project name", "My App");
    terminal.expect("has a space");
    terminal.expect("try `my-app`");
    terminal.answer("Project name", "demo");
    terminal.answer("Go module path", "");
    terminal.answer("Go version", "1.20");
    terminal.expect("too old");
    terminal.answer("Go version", "1.26");
    terminal.answer("Port", "99999");
    terminal.expect("is not a TCP port");
    terminal.answer("Port", "9000");
    // Runtime: down one to alpine, then Enter.
    terminal.expect("Runtime image");
    terminal.send(&format!("\x1b[B{ENTER}"));
    // Redis: `n` answers at once.
    terminal.expect("Add redis");
    terminal.send("n");
    terminal.answer("GOPROXY", "goproxy.cn");
    terminal.expect("is not a URL");
    terminal.answer("GOPROXY", "https://goproxy.cn,direct");
    // CI: down one to GitHub Actions; Kubernetes: `y`.
    terminal.expect("CI workflow");
    terminal.send(&format!("\x1b[B{ENTER}"));
    terminal.expect("Add Kubernetes");
    terminal.send("y");
    let status = terminal.finish();
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "status {status:?}\n{}",
        terminal.transcript
    );

    let record = fs::read_to_string(project_in(&cwd).join(".scaffold/answers.toml")).unwrap();
    for answer in [
        "name = \"demo\"",
        "go_version = \"1.26\"",
        "port = 9000",
        "runtime = \"alpine\"",
        "redis = false",
        "goproxy = \"https://goproxy.cn,direct\"",
        "ci = \"github\"",
        "k8s = true",
    ] {
        assert!(record.contains(answer), "`{answer}` in:\n{record}");
    }
}

#[test]
fn answers_given_as_flags_are_not_asked() {
    let cwd = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::spawn_new(
        cwd.path(),
        &[
            "demo",
            "--module",
            "github.com/acme/demo",
            "--go-version",
            "1.26",
            "--runtime",
            "scratch",
            "--no-redis",
            "--ci",
            "gitlab",
            "--k8s",
        ],
    );
    terminal.answer("Port", "");
    terminal.answer("GOPROXY", "");
    let status = terminal.finish();
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "status {status:?}\n{}",
        terminal.transcript
    );
    for asked in [
        "Project name",
        "Go module path",
        "Go version",
        "Runtime image",
        "Add redis",
        "CI workflow",
        "Add Kubernetes",
    ] {
        assert!(
            !terminal.transcript.contains(asked),
            "{asked} was asked:\n{}",
            terminal.transcript
        );
    }
    assert!(project_in(&cwd).join(".scaffold/answers.toml").is_file());
}

#[test]
fn team_template_variables_are_asked_with_their_menu_and_rule() {
    let cwd = tempfile::tempdir().unwrap();
    let team = cwd.path().join(".team");
    fs::create_dir_all(&team).unwrap();
    fs::write(team.join("OWNERS.tera"), "{{ team }} {{ cost_center }}\n").unwrap();
    fs::write(
        team.join("scaffold-template.toml"),
        "[[variables]]\nname = \"team\"\nprompt = \"Owning team\"\nchoices = [\"platform\", \"payments\"]\n\n\
         [[variables]]\nname = \"cost_center\"\nprompt = \"Cost center\"\nregex = \"[A-Z]{2}[0-9]{3}\"\n",
    )
    .unwrap();
    let mut terminal =
        Terminal::spawn_new(cwd.path(), &["demo", "--templates", team.to_str().unwrap()]);
    for prompt in PROMPTS_AFTER_NAME {
        terminal.answer(prompt, "");
    }
    // A menu: down one to `payments`.
    terminal.expect("Owning team");
    terminal.send(&format!("\x1b[B{ENTER}"));
    terminal.answer("Cost center", "ab1");
    terminal.expect("does not match");
    terminal.answer("Cost center", "AB123");
    terminal.expect("--set cost_center=AB123");
    let status = terminal.finish();
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "status {status:?}\n{}",
        terminal.transcript
    );
    let owners = fs::read_to_string(project_in(&cwd).join("OWNERS")).unwrap();
    assert_eq!(owners, "payments AB123\n");
}

/// Ctrl-C at a prompt ends scaffold at once, as interrupted, leaving the folder empty.
fn assert_ctrl_c_leaves_nothing(answers_before: &[(&str, &str)], prompt: &str) {
    let cwd = tempfile::tempdir().unwrap();
    let mut terminal = Terminal::spawn_new(cwd.path(), &[]);
    for (question, reply) in answers_before {
        terminal.answer(question, reply);
    }
    terminal.expect(prompt);
    let started = Instant::now();
    terminal.send("\x03");
    let status = terminal.finish();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "Ctrl-C took {:?}",
        started.elapsed()
    );
    let interrupted = match status {
        WaitStatus::Exited(_, 130) => true,
        WaitStatus::Signaled(_, signal, _) => signal == expectrl::Signal::SIGINT,
        _ => false,
    };
    assert!(
        interrupted,
        "at `{prompt}`: status {status:?}\n{}",
        terminal.transcript
    );
    let left: Vec<_> = fs::read_dir(cwd.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != ".no-config")
        .collect();
    assert!(left.is_empty(), "at `{prompt}` left {left:?}");
}

#[test]
fn ctrl_c_at_the_first_prompt_leaves_nothing() {
    assert_ctrl_c_leaves_nothing(&[], "Project name");
}

#[test]
fn ctrl_c_at_a_menu_leaves_nothing() {
    assert_ctrl_c_leaves_nothing(
        &[
            ("Project name", "demo"),
            ("Go module path", ""),
            ("Go version", ""),
            ("Port", ""),
        ],
        "Runtime image",
    );
}

#[test]
fn shell_words_read_back_quoted_values() {
    assert_eq!(
        shell_words("scaffold new demo --goproxy 'https://a,direct' --dir 'it''s'"),
        [
            "scaffold",
            "new",
            "demo",
            "--goproxy",
            "https://a,direct",
            "--dir",
            "it's"
        ]
    );
}
