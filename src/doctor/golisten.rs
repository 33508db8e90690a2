//! Where a Go file listens, read line by line without a Go parser: the address given
//! to `ListenAndServe`/`ListenAndServeTLS`, `net.Listen("tcp", …)` and the `Addr:` of an
//! `http.Server{…}` literal, plus what names those addresses may come from (string
//! constants and variables, `os.Getenv`, flag defaults). The listen-on-loopback rule
//! decides from these whether a containerised service can be reached at all.

use super::gosource::strip_comments;

/// What one file says about listening.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListenFacts {
    pub calls: Vec<ListenCall>,
    /// `NAME = "text"` in any form (`const`, `var`, `:=`, a `const (…)` block).
    pub strings: Vec<(String, String)>,
    /// `NAME := os.Getenv("VAR")` or `getEnv("VAR", "default")`: NAME, VAR.
    pub from_env: Vec<(String, String)>,
    /// `NAME := flag.String("addr", "default", …)`, `flag.StringVar(&NAME, "addr", "default", …)`:
    /// NAME, the flag, its default.
    pub flags: Vec<(String, String, String)>,
    /// Names also assigned something else (`addr = v`, `addr := cfg.Listen`): their
    /// value is not known.
    pub reassigned: Vec<String>,
}

/// A call or field that takes a listen address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenCall {
    pub line: usize,
    /// `ListenAndServe`, `net.Listen`, `http.Server Addr`.
    pub what: &'static str,
    pub address: Arg,
}

/// The address argument as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// `"127.0.0.1:8080"`.
    Literal(String),
    /// `addr`, `*addr` (a flag pointer), `cfg.Addr`.
    Name(String),
    /// Anything else: `":" + port`, `fmt.Sprintf(…)`.
    Expression(String),
}

pub fn facts(text: &str) -> ListenFacts {
    let mut facts = ListenFacts::default();
    let mut in_comment = false;
    // Brace depth inside an `http.Server{` literal, when in one.
    let mut server_depth: Option<i32> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = strip_comments(raw, &mut in_comment);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        calls_in(line, number, &mut facts.calls);
        if let Some(depth) = server_depth.as_mut() {
            if let Some(value) = line.strip_prefix("Addr:") {
                facts.calls.push(ListenCall {
                    line: number,
                    what: "http.Server Addr",
                    address: argument(value.trim().trim_end_matches(',')),
                });
            }
            *depth += braces(line);
            if *depth <= 0 {
                server_depth = None;
            }
        } else if let Some(at) = line.find("http.Server{") {
            let rest = &line[at + "http.Server{".len()..];
            if let Some(value) = field(rest, "Addr:") {
                facts.calls.push(ListenCall {
                    line: number,
                    what: "http.Server Addr",
                    address: argument(value),
                });
            }
            let depth = 1 + braces(rest);
            server_depth = (depth > 0).then_some(depth);
        }
        declarations_in(line, &mut facts);
    }
    facts
}

fn braces(text: &str) -> i32 {
    text.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// The value of `key` in a one-line literal: `Addr: "x", Handler: h}` → `"x"`.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text.find(key)?;
    let value = &text[at + key.len()..];
    let end = value.find([',', '}']).unwrap_or(value.len());
    Some(value[..end].trim())
}

/// `ListenAndServe(addr, …)`, `ListenAndServeTLS(…)`, `net.Listen("tcp", addr)`,
/// `tls.Listen("tcp", addr, …)`; and the web frameworks' `r.Run("…")` (gin),
/// `e.Start("…")` (echo), `app.Listen("…")` (fiber), counted only with a literal
/// address (`cmd.Start()` and `t.Run("name", …)` are no listeners).
fn calls_in(line: &str, number: usize, calls: &mut Vec<ListenCall>) {
    for (marker, what, position) in [
        ("ListenAndServe(", "ListenAndServe", 0),
        ("ListenAndServeTLS(", "ListenAndServe", 0),
        ("net.Listen(", "net.Listen", 1),
        ("tls.Listen(", "tls.Listen", 1),
        (".Run(", ".Run", 0),
        (".Start(", ".Start", 0),
        (".Listen(", ".Listen", 0),
    ] {
        let Some(at) = line.find(marker) else {
            continue;
        };
        let framework = marker.starts_with('.');
        if framework && (line[..at].ends_with("net") || line[..at].ends_with("tls")) {
            continue;
        }
        let args = split_args(&line[at + marker.len()..]);
        if position == 1 && !args.first().is_some_and(|a| a.starts_with("\"tcp")) {
            continue;
        }
        let Some(arg) = args.get(position) else {
            continue;
        };
        let address = argument(arg);
        let is_address = |text: &str| {
            text.rsplit_once(':').is_some_and(|(_, port)| {
                !port.is_empty() && port.chars().all(|c| c.is_ascii_digit())
            })
        };
        if framework && !matches!(&address, Arg::Literal(text) if is_address(text)) {
            continue;
        }
        calls.push(ListenCall {
            line: number,
            what,
            address,
        });
    }
}

/// The top-level arguments of a call, up to its closing parenthesis on this line.
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    let mut in_string = false;
    for c in text.chars() {
        match c {
            '"' => in_string = !in_string,
            '(' | '{' | '[' if !in_string => depth += 1,
            ')' | '}' | ']' if !in_string => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            ',' if !in_string && depth == 0 => {
                args.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        args.push(current.trim().to_string());
    }
    args
}

fn argument(text: &str) -> Arg {
    let text = text.trim();
    if let Some(literal) = string_literal(text) {
        return Arg::Literal(literal);
    }
    let name = text.trim_start_matches(['*', '&']);
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        return Arg::Name(name.to_string());
    }
    Arg::Expression(text.to_string())
}

/// `"text"` or `` `text` `` as a whole.
fn string_literal(text: &str) -> Option<String> {
    for quote in ['"', '`'] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            if !inner.contains(quote) {
                return Some(inner.to_string());
            }
        }
    }
    None
}

/// `NAME = "…"`, `NAME := os.Getenv("…")`, flag declarations.
fn declarations_in(line: &str, facts: &mut ListenFacts) {
    if let Some((name, call)) = flag_var(line) {
        facts.flags.push((name, call.0, call.1));
        return;
    }
    let line = line
        .strip_prefix("const ")
        .or_else(|| line.strip_prefix("var "))
        .unwrap_or(line);
    let Some((left, right)) = line.split_once(":=").or_else(|| line.split_once('=')) else {
        return;
    };
    let left = left.trim().trim_end_matches(" string").trim();
    let Some(name) = left.split(',').next().map(str::trim) else {
        return;
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        return;
    }
    let right = right.trim();
    if let Some(value) = string_literal(right) {
        facts.strings.push((name.to_string(), value));
    } else if let Some((flag, default)) = flag_call(right, ".String(") {
        facts.flags.push((name.to_string(), flag, default));
    } else if let Some(var) = env_call(right) {
        facts.from_env.push((name.to_string(), var));
        if let Some(default) = split_args(after_paren(right))
            .get(1)
            .and_then(|a| string_literal(a))
        {
            facts.strings.push((name.to_string(), default));
        }
    } else {
        facts.reassigned.push(name.to_string());
    }
}

/// `flag.StringVar(&addr, "addr", "localhost:8080", "…")` (also pflag's, cobra's
/// `Flags().StringVar`): the variable, and (flag, default).
fn flag_var(line: &str) -> Option<(String, (String, String))> {
    let at = line.find(".StringVar(")?;
    let args = split_args(&line[at + ".StringVar(".len()..]);
    let name = args.first()?.trim_start_matches('&').to_string();
    let flag = string_literal(args.get(1)?)?;
    let default = string_literal(args.get(2)?)?;
    Some((name, (flag, default)))
}

/// `flag.String("addr", "localhost:8080", "…")`: (flag, default).
fn flag_call(text: &str, marker: &str) -> Option<(String, String)> {
    let at = text.find(marker)?;
    let args = split_args(&text[at + marker.len()..]);
    Some((
        string_literal(args.first()?)?,
        string_literal(args.get(1)?)?,
    ))
}

/// `os.Getenv("ADDR")`, `os.LookupEnv("ADDR")`, `getEnv("ADDR", "…")`,
/// `envOr("ADDR", "…")`: the variable.
fn env_call(text: &str) -> Option<String> {
    let open = text.find('(')?;
    let function = &text[..open];
    if !function.to_ascii_lowercase().contains("env") {
        return None;
    }
    string_literal(split_args(&text[open + 1..]).first()?)
}

fn after_paren(text: &str) -> &str {
    text.find('(').map_or("", |at| &text[at + 1..])
}

/// `127.0.0.1:8080`, `localhost:8080`, `[::1]:8080` → 8080: an address only this
/// machine (inside a container: only the container) can reach. Port 0 (a random
/// port, tests and helpers) does not count.
pub fn loopback_port(address: &str) -> Option<u16> {
    let (host, port) = address.rsplit_once(':')?;
    let loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
    let port: u16 = port.parse().ok()?;
    (loopback && port != 0).then_some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_calls_in_their_usual_forms() {
        let facts = facts(concat!(
            "package main\n",
            "func main() {\n",
            "\tlog.Fatal(http.ListenAndServe(\"127.0.0.1:8080\", mux))\n",
            "\tln, err := net.Listen(\"tcp\", \"localhost:9000\")\n",
            "\tsrv := &http.Server{\n",
            "\t\tAddr:    addr, // from the flag\n",
            "\t\tHandler: mux,\n",
            "\t}\n",
            "\tgo srv.ListenAndServeTLS(\"\", \"\")\n",
            "\tother := &http.Server{Addr: \":\" + port, Handler: h}\n",
            "\tnet.Listen(\"unix\", \"/tmp/s\")\n",
            "\tr.Run(\"localhost:8081\")\n",
            "\tcmd.Start(); t.Run(\"name\", f)\n",
            "\tapp.Listen(\":3000\")\n",
            "\t// http.ListenAndServe(\"localhost:1\", nil)\n",
            "}\n",
        ));
        let calls: Vec<String> = facts
            .calls
            .iter()
            .map(|c| format!("{}:{} {:?}", c.line, c.what, c.address))
            .collect();
        assert_eq!(
            calls,
            [
                "3:ListenAndServe Literal(\"127.0.0.1:8080\")",
                "4:net.Listen Literal(\"localhost:9000\")",
                "6:http.Server Addr Name(\"addr\")",
                "9:ListenAndServe Literal(\"\")",
                "10:http.Server Addr Expression(\"\\\":\\\" + port\")",
                "12:.Run Literal(\"localhost:8081\")",
                "14:.Listen Literal(\":3000\")",
            ]
        );
    }

    #[test]
    fn where_an_address_name_comes_from() {
        let facts = facts(concat!(
            "const listenAddr = \"127.0.0.1:8080\"\n",
            "var (\n\tdebugAddr = \"localhost:6060\"\n)\n",
            "addr := flag.String(\"addr\", \"localhost:8080\", \"listen address\")\n",
            "flag.StringVar(&cfg.Addr, \"listen\", \"127.0.0.1:9090\", \"where\")\n",
            "port := os.Getenv(\"PORT\")\n",
            "bind := getEnv(\"BIND_ADDR\", \"localhost:8080\")\n",
            "if v := os.Getenv(\"LISTEN\"); v != \"\" {\n\tlistenAddr = v\n}\n",
        ));
        assert!(facts.reassigned.contains(&"listenAddr".to_string()));
        assert_eq!(
            facts.strings,
            [
                ("listenAddr".to_string(), "127.0.0.1:8080".to_string()),
                ("debugAddr".into(), "localhost:6060".into()),
                ("bind".into(), "localhost:8080".into()),
            ]
        );
        assert_eq!(
            facts.flags,
            [
                (
                    "addr".to_string(),
                    "addr".to_string(),
                    "localhost:8080".to_string()
                ),
                ("cfg.Addr".into(), "listen".into(), "127.0.0.1:9090".into()),
            ]
        );
        assert_eq!(
            facts.from_env,
            [
                ("port".to_string(), "PORT".to_string()),
                ("bind".into(), "BIND_ADDR".into()),
            ]
        );
    }

    #[test]
    fn loopback_addresses() {
        for (address, port) in [
            ("127.0.0.1:8080", Some(8080)),
            ("localhost:6060", Some(6060)),
            ("[::1]:80", Some(80)),
            ("127.0.0.1:0", None),
            (":8080", None),
            ("0.0.0.0:8080", None),
            ("redis:6379", None),
        ] {
            assert_eq!(loopback_port(address), port, "{address}");
        }
    }
}
