//! A `docker buildx bake` file (HCL or JSON), read just far enough to know what each
//! target builds: its context, its Dockerfile (relative to the context, as bake reads
//! it) and the stage it stops at, with `inherits` followed. Values that use variables
//! or functions (`"${TAG}"`, `cwd()`) are left unknown rather than guessed.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BakeTarget {
    pub name: String,
    /// The line of `target "name" {` (1 for JSON).
    pub line: usize,
    /// Relative to the bake file's folder; bake's default is `.`.
    pub context: Option<String>,
    /// Relative to the context; bake's default is `Dockerfile`.
    pub dockerfile: Option<String>,
    /// The stage built (`target = "builder"`); None for the last stage.
    pub target: Option<String>,
    inherits: Vec<String>,
}

/// The targets of a bake file, HCL or (when the text starts with `{`) JSON.
pub fn parse(text: &str) -> Vec<BakeTarget> {
    let targets = if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_hcl(text)
    };
    resolve_inherits(targets)
}

fn parse_json(text: &str) -> Vec<BakeTarget> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let Some(targets) = value.get("target").and_then(|t| t.as_object()) else {
        return Vec::new();
    };
    let known = |body: &serde_json::Value, key: &str| {
        body.get(key)
            .and_then(|v| v.as_str())
            .filter(|v| !v.contains("${"))
            .map(str::to_string)
    };
    targets
        .iter()
        .map(|(name, body)| BakeTarget {
            name: name.clone(),
            line: 1,
            context: known(body, "context"),
            dockerfile: known(body, "dockerfile"),
            target: known(body, "target"),
            inherits: body
                .get("inherits")
                .and_then(|v| v.as_array())
                .map(|names| {
                    names
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    /// A quoted string without interpolation; None when it interpolates.
    Text(Option<String>),
    Punct(char),
    Newline,
}

fn parse_hcl(text: &str) -> Vec<BakeTarget> {
    let tokens = tokens(text);
    let mut targets = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let (token, line) = &tokens[i];
        match token {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => depth = depth.saturating_sub(1),
            Token::Word(word) if depth == 0 && word == "target" => {
                if let (Some((Token::Text(Some(name)), _)), Some((Token::Punct('{'), _))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    let (target, end) = target_body(&tokens, i + 3, name, *line);
                    targets.push(target);
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    targets
}

/// The attributes at the top level of a target block starting at `start` (after its
/// `{`); returns the target and the index after its `}`.
fn target_body(
    tokens: &[(Token, usize)],
    start: usize,
    name: &str,
    line: usize,
) -> (BakeTarget, usize) {
    let mut target = BakeTarget {
        name: name.to_string(),
        line,
        ..BakeTarget::default()
    };
    let mut depth = 0usize;
    let mut i = start;
    while i < tokens.len() {
        match &tokens[i].0 {
            Token::Punct('{' | '[' | '(') => depth += 1,
            Token::Punct('}' | ']' | ')') if depth == 0 => return (target, i + 1),
            Token::Punct('}' | ']' | ')') => depth -= 1,
            Token::Word(key)
                if depth == 0 && tokens.get(i + 1).map(|t| &t.0) == Some(&Token::Punct('=')) =>
            {
                let value = single_text(&tokens[i + 2..]);
                match key.as_str() {
                    "context" => target.context = value,
                    "dockerfile" => target.dockerfile = value,
                    "target" => target.target = value,
                    "inherits" => target.inherits = text_list(&tokens[i + 2..]),
                    _ => {}
                }
            }
            _ => {}
        }
        i += 1;
    }
    (target, i)
}

/// The value when it is one plain string, ending the attribute.
fn single_text(rest: &[(Token, usize)]) -> Option<String> {
    match (rest.first(), rest.get(1)) {
        (Some((Token::Text(Some(text)), _)), next)
            if matches!(
                next.map(|t| &t.0),
                None | Some(Token::Newline | Token::Punct('}' | ','))
            ) =>
        {
            Some(text.clone())
        }
        _ => None,
    }
}

/// `["a", "b"]`: the plain strings of a list.
fn text_list(rest: &[(Token, usize)]) -> Vec<String> {
    if rest.first().map(|t| &t.0) != Some(&Token::Punct('[')) {
        return Vec::new();
    }
    rest[1..]
        .iter()
        .take_while(|(token, _)| *token != Token::Punct(']'))
        .filter_map(|(token, _)| match token {
            Token::Text(Some(text)) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// Words, strings, punctuation and newlines, with their line; comments (`#`, `//`,
/// `/* */`) dropped.
fn tokens(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                out.push((Token::Newline, line));
                line += 1;
                i += 1;
            }
            '#' => i = skip_to_newline(&chars, i),
            '/' if chars.get(i + 1) == Some(&'/') => i = skip_to_newline(&chars, i),
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
                i += 2;
            }
            '"' => {
                let (text, after) = quoted(&chars, i + 1);
                out.push((Token::Text(text), line));
                i = after;
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.'))
                {
                    i += 1;
                }
                out.push((Token::Word(chars[start..i].iter().collect()), line));
            }
            c if c.is_whitespace() => i += 1,
            c => {
                out.push((Token::Punct(c), line));
                i += 1;
            }
        }
    }
    out
}

fn skip_to_newline(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i] != '\n' {
        i += 1;
    }
    i
}

/// A string body from `start` (after the opening quote): its text, None when it
/// interpolates (`${…}`, `%{…}`), and the index after the closing quote.
fn quoted(chars: &[char], start: usize) -> (Option<String>, usize) {
    let mut text = String::new();
    let mut plain = true;
    let mut i = start;
    while i < chars.len() && chars[i] != '"' && chars[i] != '\n' {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                text.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '$' | '%' if chars.get(i + 1) == Some(&'{') => plain = false,
            c => text.push(c),
        }
        i += 1;
    }
    (plain.then_some(text), i + 1)
}

/// Each target with what it inherits filled in (its own values win), following chains.
fn resolve_inherits(targets: Vec<BakeTarget>) -> Vec<BakeTarget> {
    let by_name: BTreeMap<String, BakeTarget> = targets
        .iter()
        .map(|target| (target.name.clone(), target.clone()))
        .collect();
    targets
        .into_iter()
        .map(|mut target| {
            let mut queue = target.inherits.clone();
            let mut seen = vec![target.name.clone()];
            while let Some(parent) = queue.pop() {
                if seen.contains(&parent) {
                    continue;
                }
                seen.push(parent.clone());
                let Some(parent) = by_name.get(&parent) else {
                    continue;
                };
                target.context = target.context.or_else(|| parent.context.clone());
                target.dockerfile = target.dockerfile.or_else(|| parent.dockerfile.clone());
                target.target = target.target.or_else(|| parent.target.clone());
                queue.extend(parent.inherits.iter().rev().cloned());
            }
            target
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_targets_with_inherits_and_unknown_values() {
        let targets = parse(
            r#"
variable "TAG" { default = "latest" }
# shared settings
target "_common" {
  context = "."
  args = { GO_VERSION = "1.22" }
}
group "default" { targets = ["api", "worker"] }
target "api" {
  inherits = ["_common"]
  dockerfile = "build/api/Dockerfile" // the service
  tags = ["example/api:${TAG}"]
}
target "worker" {
  context = "services/worker"
  dockerfile = "${DOCKERFILE}"
  target = "runtime"
}
"#,
        );
        let summary: Vec<_> = targets
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.line,
                    t.context.as_deref(),
                    t.dockerfile.as_deref(),
                    t.target.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("_common", 4, Some("."), None, None),
                ("api", 9, Some("."), Some("build/api/Dockerfile"), None),
                ("worker", 14, Some("services/worker"), None, Some("runtime")),
            ]
        );
    }

    #[test]
    fn json_targets() {
        let targets =
            parse(r#"{"target": {"app": {"context": "app", "dockerfile": "Dockerfile.prod"}}}"#);
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].context.as_deref(), Some("app"));
        assert_eq!(targets[0].dockerfile.as_deref(), Some("Dockerfile.prod"));
        assert!(parse("{ not json").is_empty());
    }
}
