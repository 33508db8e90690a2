//! Just enough of the POSIX shell to see which commands a `RUN` line runs and with
//! which environment: `CGO_ENABLED=0 go build` sets it for go, `export CGO_ENABLED=0`
//! for every later command, but `CGO_ENABLED=0; go build` (a shell variable, not
//! exported) for nobody. Quotes, `&&`, `||`, `;`, pipes, `$(…)`, `env A=B cmd` and
//! `sh -c '…'` are understood; anything fancier is read as plain words.

/// One simple command with the environment it sees (exports made earlier in the same
/// script, then its own `NAME=value` prefixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub env: Vec<(String, String)>,
    pub words: Vec<String>,
}

impl Command {
    /// The last value given to `name` in this command's environment.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A `go` invocation: `go build`, `go mod download`, `go -C dir install`…
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoCommand {
    /// `build`, `install`, `mod download`, `test`…
    pub subcommand: String,
    pub args: Vec<String>,
    pub command: Command,
}

impl GoCommand {
    /// Whether it compiles a binary.
    pub fn builds(&self) -> bool {
        matches!(self.subcommand.as_str(), "build" | "install")
    }

    /// Whether it fetches modules (every command that loads packages does, when they
    /// are not in the module cache yet).
    pub fn fetches_modules(&self) -> bool {
        matches!(
            self.subcommand.as_str(),
            "build"
                | "install"
                | "test"
                | "vet"
                | "run"
                | "get"
                | "generate"
                | "list"
                | "mod download"
                | "mod tidy"
                | "mod vendor"
                | "mod verify"
        )
    }

    /// `go install tool@version`: builds outside this module, so no `go mod download`
    /// of this module can serve it.
    pub fn is_remote_install(&self) -> bool {
        self.subcommand == "install"
            && self
                .args
                .iter()
                .any(|arg| !arg.starts_with('-') && arg.contains('@'))
    }

    pub fn downloads_modules_only(&self) -> bool {
        self.subcommand == "mod download"
    }
}

/// A script's exports and commands past these are not followed: real scripts have a
/// few, and every command kept carries a copy of the exports, so a hostile one
/// (`export A1=1; go build; export A2=1; go build; …`) would cost their product.
pub const MAX_EXPORTS: usize = 1_000;
pub const MAX_COMMANDS: usize = 1_000;

/// Every simple command of a script, in order (the first `MAX_COMMANDS`).
pub fn commands(script: &str) -> Vec<Command> {
    commands_where(script, |_| true)
}

/// Every `go` command of a script (the first `MAX_COMMANDS`).
pub fn go_commands(script: &str) -> Vec<GoCommand> {
    commands_where(script, is_go)
        .into_iter()
        .filter_map(go_command)
        .collect()
}

/// The commands whose program passes `keep`: only those get a copy of the exports.
fn commands_where(script: &str, keep: fn(&str) -> bool) -> Vec<Command> {
    let mut exported: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for words in split_commands(script) {
        if out.len() >= MAX_COMMANDS {
            break;
        }
        collect(words, &mut exported, &mut out, keep);
    }
    out
}

fn is_go(program: &str) -> bool {
    program == "go" || program.ends_with("/go")
}

/// `go` words run without a shell (exec form).
pub fn go_command_of_words(words: &[String]) -> Option<GoCommand> {
    go_command(Command {
        env: Vec::new(),
        words: words.to_vec(),
    })
}

fn go_command(command: Command) -> Option<GoCommand> {
    if !is_go(command.words.first()?) {
        return None;
    }
    let mut rest = command.words[1..].iter();
    let mut subcommand = loop {
        let word = rest.next()?;
        if word == "-C" {
            rest.next();
        } else if !word.starts_with('-') {
            break word.clone();
        }
    };
    let mut args: Vec<String> = rest.cloned().collect();
    if subcommand == "mod" && !args.is_empty() {
        subcommand = format!("mod {}", args.remove(0));
    }
    Some(GoCommand {
        subcommand,
        args,
        command,
    })
}

/// Words that only change how the next word runs.
const PREFIXES: &[&str] = &[
    "!", "{", "(", "do", "elif", "else", "exec", "if", "nohup", "then", "time", "until", "while",
];

fn collect(
    words: Vec<String>,
    exported: &mut Vec<(String, String)>,
    out: &mut Vec<Command>,
    keep: fn(&str) -> bool,
) {
    let mut inline = Vec::new();
    let mut start = 0;
    loop {
        while words
            .get(start)
            .is_some_and(|w| PREFIXES.contains(&w.as_str()))
        {
            start += 1;
        }
        while let Some((name, value)) = words.get(start).and_then(|w| assignment(w)) {
            inline.push((name, value));
            start += 1;
        }
        if words.get(start).map(String::as_str) == Some("env") {
            start += 1;
            while words.get(start).is_some_and(|w| w.starts_with('-')) {
                start += 1;
            }
            continue;
        }
        break;
    }
    let words = &words[start..];
    let Some(program) = words.first() else {
        return; // bare `A=b`: a shell variable, not in any command's environment
    };
    if program == "export" {
        for pair in words[1..].iter().filter_map(|word| assignment(word)) {
            export(exported, pair);
        }
        return;
    }
    let name = program.rsplit('/').next().unwrap_or(program);
    if matches!(name, "sh" | "bash" | "ash" | "dash") {
        if let Some(position) = words.iter().position(|w| w == "-c" || w == "-ec") {
            if let Some(script) = words.get(position + 1) {
                let mut inner_exported = exported.clone();
                inner_exported.extend(inline);
                for inner in split_commands(script) {
                    if out.len() >= MAX_COMMANDS {
                        break;
                    }
                    collect(inner, &mut inner_exported, out, keep);
                }
                return;
            }
        }
    }
    if !keep(program) {
        return;
    }
    let mut env = exported.clone();
    env.extend(inline);
    out.push(Command {
        env,
        words: words.to_vec(),
    });
}

/// `export NAME=value`: a new value replaces the old one; past `MAX_EXPORTS` names the
/// rest are not followed.
fn export(exported: &mut Vec<(String, String)>, (name, value): (String, String)) {
    match exported.iter().position(|(known, _)| *known == name) {
        Some(index) => exported[index].1 = value,
        None if exported.len() < MAX_EXPORTS => exported.push((name, value)),
        None => {}
    }
}

fn assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return None;
    }
    Some((name.to_string(), value.to_string()))
}

/// Splits a script into the words of each simple command.
fn split_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let end_word = |word: &mut String, in_word: &mut bool, words: &mut Vec<String>| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => end_word(&mut word, &mut in_word, &mut words),
            '\n' | ';' | '&' | '|' | '(' | ')' => {
                end_word(&mut word, &mut in_word, &mut words);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            '#' if !in_word => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
            }
            '\'' => {
                in_word = true;
                for next in chars.by_ref() {
                    if next == '\'' {
                        break;
                    }
                    word.push(next);
                }
            }
            '"' => {
                in_word = true;
                while let Some(next) = chars.next() {
                    match next {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                if !matches!(escaped, '"' | '\\' | '$' | '`' | '\n') {
                                    word.push('\\');
                                }
                                if escaped != '\n' {
                                    word.push(escaped);
                                }
                            }
                        }
                        other => word.push(other),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(escaped) => {
                    in_word = true;
                    word.push(escaped);
                }
            },
            '$' if chars.peek() == Some(&'(') => {
                in_word = true;
                word.push('$');
                let mut depth = 0;
                for next in chars.by_ref() {
                    word.push(next);
                    match next {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut words);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(script: &str) -> Vec<(String, Option<String>)> {
        go_commands(script)
            .into_iter()
            .map(|go| {
                let cgo = go.command.env("CGO_ENABLED").map(str::to_string);
                (go.subcommand, cgo)
            })
            .collect()
    }

    #[test]
    fn inline_assignments_apply_to_their_command_only() {
        assert_eq!(
            go("CGO_ENABLED=0 GOOS=linux go build -o /app . && go vet ./..."),
            vec![("build".into(), Some("0".into())), ("vet".into(), None)]
        );
    }

    #[test]
    fn exports_apply_to_later_commands_and_plain_variables_to_none() {
        assert_eq!(
            go("export CGO_ENABLED=0; go build ."),
            vec![("build".into(), Some("0".into()))]
        );
        assert_eq!(
            go("CGO_ENABLED=0; go build ."),
            vec![("build".into(), None)]
        );
        assert_eq!(
            go("env -i CGO_ENABLED=0 /usr/local/go/bin/go install ./cmd/x"),
            vec![("install".into(), Some("0".into()))]
        );
    }

    #[test]
    fn quotes_subshells_and_sh_c() {
        assert_eq!(
            go(
                r#"go build -ldflags="-s -w -X 'main.v=$(git describe)'" -o "/out dir/app" ./cmd/app"#
            ),
            vec![("build".into(), None)]
        );
        assert_eq!(
            go("sh -c 'CGO_ENABLED=0 go build .' | tee log"),
            vec![("build".into(), Some("0".into()))]
        );
        assert_eq!(
            go("if true; then go mod download; fi # go build in a comment"),
            vec![("mod download".into(), None)]
        );
        assert_eq!(go("echo 'go build'"), vec![]);
    }

    #[test]
    fn go_flags_before_the_subcommand() {
        let commands = go_commands("go -C ./service build -o /app .");
        assert_eq!(commands[0].subcommand, "build");
        assert_eq!(commands[0].args, vec!["-o", "/app", "."]);
        assert!(commands[0].builds() && commands[0].fetches_modules());
    }

    /// Each of these took minutes (a `remove(0)` per prefix word, a copy of every
    /// export per command).
    #[test]
    fn hostile_scripts_stay_linear() {
        let prefixed = "! ".repeat(200_000) + "CGO_ENABLED=0 go build";
        assert_eq!(go(&prefixed), vec![("build".into(), Some("0".into()))]);
        let exports: String = (0..20_000)
            .map(|i| format!("export A{i}=1; go build; "))
            .collect();
        let commands = go_commands(&exports);
        assert_eq!(commands.len(), MAX_COMMANDS);
        assert!(commands
            .iter()
            .all(|go| go.command.env.len() <= MAX_EXPORTS));
        let commands = go_commands("export A=1; export A=2; go build");
        assert_eq!(
            commands[0].command.env,
            vec![("A".to_string(), "2".to_string())]
        );
    }
}
