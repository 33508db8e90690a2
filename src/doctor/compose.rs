//! A compose file, read with yaml-rust2's event parser so every value keeps its line:
//! the services, where each is built from (to know a Dockerfile's build context) and
//! the volumes each mounts, in short (`./data:/data:ro`) or long syntax. Anchors,
//! aliases and `<<` merge keys (common in compose files) are resolved.

use std::collections::{HashMap, HashSet};

use yaml_rust2::parser::{Event, Parser};

use crate::doctor::read_limit;
use yaml_rust2::scanner::Marker;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compose {
    pub services: Vec<Service>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub line: usize,
    /// `build:` context (relative to the compose file) and Dockerfile (relative to it).
    pub build: Option<(String, Option<String>)>,
    pub volumes: Vec<Mount>,
    /// `image:` with its line: the image to run, or (with `build:`) the name to give
    /// the image built.
    pub image: Option<(usize, String)>,
    /// `build.target`: the stage compose builds instead of the last one.
    pub build_target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub line: usize,
    /// The entry as written (short syntax) or `source:target` (long syntax).
    pub text: String,
    pub kind: MountKind,
    /// The host path of a bind mount, the name of a named volume.
    pub source: Option<String>,
    pub target: String,
    /// Short syntax: what follows the target (`ro`, `rw,z`…). Long syntax: `ro`
    /// or `rw` from `read_only`, plus `bind.selinux`.
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    Bind,
    Volume,
    /// tmpfs, npipe, image and others doctor has nothing to say about.
    Other,
}

pub fn parse(text: &str) -> Result<Compose, String> {
    let root = load(text)?;
    let mut compose = Compose::default();
    let Some(services) = root.get("services") else {
        return Ok(compose);
    };
    for (key, service) in services.entries() {
        let Some(name) = key.scalar() else { continue };
        compose.services.push(Service {
            name: name.to_string(),
            line: key.line,
            build: service.get("build").and_then(build),
            volumes: service
                .get("volumes")
                .map(|volumes| volumes.items().iter().filter_map(mount).collect())
                .unwrap_or_default(),
            image: service
                .get("image")
                .and_then(|image| Some((image.line, image.scalar()?.to_string()))),
            build_target: service
                .get("build")
                .and_then(|build| build.get("target"))
                .and_then(Node::scalar)
                .map(str::to_string),
        });
    }
    Ok(compose)
}

fn build(node: &Node) -> Option<(String, Option<String>)> {
    if let Some(context) = node.scalar() {
        return Some((context.to_string(), None));
    }
    let context = node
        .get("context")
        .and_then(Node::scalar)
        .unwrap_or(".")
        .to_string();
    let dockerfile = node
        .get("dockerfile")
        .and_then(Node::scalar)
        .map(str::to_string);
    Some((context, dockerfile))
}

fn mount(node: &Node) -> Option<Mount> {
    match node.scalar() {
        Some(text) => Some(short_mount(text, node.line)),
        None => long_mount(node),
    }
}

/// `[SOURCE:]TARGET[:MODE]`; a Windows drive (`C:\data`) is part of the source.
fn short_mount(text: &str, line: usize) -> Mount {
    let drive_len = windows_drive_len(text);
    let (drive, rest) = text.split_at(drive_len);
    let parts = split_outside_braces(rest);
    let (source, target, mode) = match parts.as_slice() {
        [target] if drive.is_empty() => (None, target.to_string(), None),
        [source, target] => (Some(format!("{drive}{source}")), target.to_string(), None),
        [source, target, mode, ..] => (
            Some(format!("{drive}{source}")),
            target.to_string(),
            Some(mode.to_string()),
        ),
        _ => (Some(text.to_string()), String::new(), None),
    };
    let kind = match &source {
        None => MountKind::Volume,
        Some(source) if is_host_path(source) => MountKind::Bind,
        Some(_) => MountKind::Volume,
    };
    Mount {
        line,
        text: text.to_string(),
        kind,
        source,
        target,
        mode,
    }
}

/// Splits on `:` except inside `${…}` (`${DATA:-./data}:/data`).
fn split_outside_braces(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn long_mount(node: &Node) -> Option<Mount> {
    let target = node.get("target").and_then(Node::scalar)?.to_string();
    let source = node
        .get("source")
        .and_then(Node::scalar)
        .map(str::to_string);
    let kind = match node.get("type").and_then(Node::scalar) {
        Some("bind") => MountKind::Bind,
        Some("volume") | None => MountKind::Volume,
        Some(_) => MountKind::Other,
    };
    let mut modes = Vec::new();
    if let Some(read_only) = node.get("read_only").and_then(Node::scalar) {
        modes.push(if read_only == "true" { "ro" } else { "rw" });
    }
    if let Some(selinux) = node
        .get("bind")
        .and_then(|bind| bind.get("selinux"))
        .and_then(Node::scalar)
    {
        modes.push(selinux);
    }
    Some(Mount {
        line: node.line,
        text: format!("{}:{target}", source.as_deref().unwrap_or_default()),
        kind,
        source,
        target,
        mode: (!modes.is_empty()).then(|| modes.join(",")),
    })
}

/// What compose takes for a host path rather than a volume name.
pub fn is_host_path(source: &str) -> bool {
    source.starts_with(['.', '/', '~', '\\', '$']) || windows_drive_len(source) > 0
}

pub fn windows_drive_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/')
    {
        2
    } else {
        0
    }
}

/// A YAML node with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    line: usize,
    value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Scalar(String),
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(text) => Some(text),
            _ => None,
        }
    }

    fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Mapping(entries) => entries,
            _ => &[],
        }
    }

    fn items(&self) -> &[Node] {
        match &self.value {
            Value::Sequence(items) => items,
            _ => &[],
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(_, value)| value)
    }
}

/// Past this many nodes copied for anchors and aliases a compose file is refused: a
/// real one copies a few hundred (an `x-common` block in each service), a "billion
/// laughs" of nested aliases would copy 10^9 and take gigabytes. `docker compose`
/// refuses those too ("excessive aliasing").
pub const MAX_COPIED_NODES: usize = 100_000;

/// Past this nesting a compose file is refused: real ones nest about ten deep, and a
/// tree thousands deep overflows the stack when it is dropped.
pub const MAX_DEPTH: usize = 128;

/// Past this size a compose file is not read: real ones are a few kilobytes.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// Reads the first document event by event (yaml-rust2's own `load` recurses once per
/// level, so a deep document would overflow the stack), refusing one past the bounds.
fn load(text: &str) -> Result<Node, String> {
    read_limit::fits(text, MAX_BYTES)?;
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = parser
            .next_token()
            .map_err(|error| format!("not valid YAML: {error}"))?;
        if matches!(event, Event::DocumentEnd | Event::StreamEnd) {
            break;
        }
        builder.on_event(event, mark);
        if let Some(refusal) = builder.refusal.take() {
            return Err(refusal);
        }
    }
    Ok(builder.root.unwrap_or(Node {
        line: 1,
        value: Value::Mapping(Vec::new()),
    }))
}

/// Builds the node tree from parser events.
#[derive(Default)]
struct Builder {
    /// Open sequences and mappings: the node, its anchor, how many nodes it holds.
    stack: Vec<(Node, usize, usize)>,
    /// For a mapping on the stack: a key waiting for its value.
    keys: Vec<Option<Node>>,
    /// Each anchored node and how many nodes it holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes copied so far for anchors and aliases.
    copied: usize,
    /// Why the document is refused, once it is.
    refusal: Option<String>,
    root: Option<Node>,
}

impl Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line().max(1);
        match event {
            Event::Scalar(text, _, anchor, _) => {
                let node = Node {
                    line,
                    value: Value::Scalar(text),
                };
                self.finish(node, anchor, 1);
            }
            Event::SequenceStart(anchor, _) => self.open(line, Value::Sequence(Vec::new()), anchor),
            Event::MappingStart(anchor, _) => self.open(line, Value::Mapping(Vec::new()), anchor),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, anchor, size)) = self.stack.pop() {
                    self.keys.pop();
                    self.finish(node, anchor, size);
                }
            }
            Event::Alias(id) => {
                let (node, size) = self.anchors.get(&id).cloned().unwrap_or((
                    Node {
                        line,
                        value: Value::Scalar(String::new()),
                    },
                    1,
                ));
                self.count_copies(size);
                self.finish(node, 0, size);
            }
            _ => {}
        }
    }

    fn open(&mut self, line: usize, value: Value, anchor: usize) {
        if self.stack.len() >= MAX_DEPTH {
            self.refusal = Some(format!(
                "not read: nested more than {MAX_DEPTH} levels deep (line {line})"
            ));
            return;
        }
        self.stack.push((Node { line, value }, anchor, 1));
        self.keys.push(None);
    }

    /// Refuses the document once anchors and aliases have copied too many nodes; an
    /// alias copies the whole anchored tree, so only a count keeps the cost bounded.
    fn count_copies(&mut self, size: usize) {
        self.copied = self.copied.saturating_add(size);
        if self.copied > MAX_COPIED_NODES {
            self.refusal = Some(format!(
                "not read: its anchors and aliases expand past {MAX_COPIED_NODES} nodes \
                 (nested aliases, a \"billion laughs\"; `docker compose` refuses it too)"
            ));
        }
    }

    /// A complete node of `size` nodes: remember its anchor and put it in its parent.
    fn finish(&mut self, node: Node, anchor: usize, size: usize) {
        if self.refusal.is_some() {
            return;
        }
        if anchor > 0 {
            self.count_copies(size);
            if self.refusal.is_some() {
                return;
            }
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some((parent, _, parent_size)) = self.stack.last_mut() else {
            self.root.get_or_insert(node);
            return;
        };
        *parent_size = parent_size.saturating_add(size);
        match &mut parent.value {
            Value::Sequence(items) => items.push(node),
            Value::Mapping(entries) => {
                let key_slot = self.keys.last_mut().expect("a key slot per mapping");
                match key_slot.take() {
                    None => *key_slot = Some(node),
                    Some(key) if key.scalar() == Some("<<") => merge(entries, node),
                    Some(key) => entries.push((key, node)),
                }
            }
            Value::Scalar(_) => {}
        }
    }
}

/// `<<: *defaults` (or a list of them): keys the mapping does not set itself.
fn merge(entries: &mut Vec<(Node, Node)>, merged: Node) {
    let sources = match merged.value {
        Value::Sequence(items) => items,
        other => vec![Node {
            line: merged.line,
            value: other,
        }],
    };
    let mut present: HashSet<Option<String>> = entries
        .iter()
        .map(|(key, _)| key.scalar().map(str::to_string))
        .collect();
    for source in sources {
        if let Value::Mapping(more) = source.value {
            for (key, value) in more {
                if present.insert(key.scalar().map(str::to_string)) {
                    entries.push((key, value));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = "\
x-common: &common
  volumes:
    - ./shared:/shared
services:
  app:
    build:
      context: .
      dockerfile: build/Dockerfile
    volumes:
      - ./config:/etc/app:ro
      - data:/var/lib/app
      - C:\\logs:/logs
      - ${DATA:-./data}:/data:rw
      - type: bind
        source: ./src
        target: /src
        read_only: true
      - /cache
  worker:
    <<: *common
    build: ./worker
";

    #[test]
    fn services_builds_and_mounts_with_lines() {
        let compose = parse(COMPOSE).unwrap();
        let app = &compose.services[0];
        assert_eq!((app.name.as_str(), app.line), ("app", 5));
        assert_eq!(
            app.build,
            Some((".".to_string(), Some("build/Dockerfile".to_string())))
        );
        let summary: Vec<_> = app
            .volumes
            .iter()
            .map(|m| {
                format!(
                    "{}:{:?}:{}:{}",
                    m.line,
                    m.kind,
                    m.source.as_deref().unwrap_or("-"),
                    m.mode.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                "10:Bind:./config:ro",
                "11:Volume:data:-",
                "12:Bind:C:\\logs:-",
                "13:Bind:${DATA:-./data}:rw",
                "14:Bind:./src:ro",
                "18:Volume:-:-"
            ]
        );
        let worker = &compose.services[1];
        assert_eq!(worker.build, Some(("./worker".to_string(), None)));
        assert_eq!(worker.volumes[0].source.as_deref(), Some("./shared"));
    }

    #[test]
    fn broken_yaml_is_an_error() {
        assert!(parse("services:\n  app: [\n").is_err());
        assert_eq!(parse("").unwrap(), Compose::default());
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_is_expanded() {
        let mut text = String::from("x-0: &a0 lol\n");
        for level in 1..=9 {
            let aliases = vec![format!("*a{}", level - 1); 9].join(", ");
            text.push_str(&format!("x-{level}: &a{level} [{aliases}]\n"));
        }
        text.push_str("services:\n  app:\n    image: alpine\n");
        let error = parse(&text).unwrap_err();
        assert!(
            error.contains("aliases expand past 100000 nodes"),
            "{error}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let error = parse(&("- ".repeat(100_000) + "x\n")).unwrap_err();
        assert!(error.contains("nested more than 128 levels"), "{error}");
        let error = parse(&("[".repeat(200) + &"]".repeat(200))).unwrap_err();
        assert!(error.contains("nested more than"), "{error}");
    }

    #[test]
    fn a_merge_of_many_keys_is_one_pass() {
        let keys: String = (0..20_000).map(|i| format!("  k{i}: v\n")).collect();
        let text = format!(
            "x-a: &a\n{keys}services:\n  app:\n    <<: *a\n{}",
            keys.replace("  k", "    k")
        );
        let compose = parse(&text).unwrap();
        assert_eq!(compose.services.len(), 1);
    }

    #[test]
    fn only_the_first_document_is_read() {
        let compose = parse("services:\n  a:\n    image: x\n---\nservices: [\n").unwrap();
        assert_eq!(compose.services[0].name, "a");
    }
}
