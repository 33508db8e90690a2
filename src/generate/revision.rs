//! Which templates a project was rendered from, in words: the scaffold version for the
//! built-in set, plus the commit of a git team source or a content hash of a folder
//! one. Recorded in `.scaffold/answers.toml`; `update` names both ends with it.

use git2::{ObjectType, Oid};

use crate::generate::record::AnswersFile;
use crate::generate::templates::set::{Origin, TemplateSet};

/// A hash of the team's files (paths, contents) and the layered manifest (drops,
/// variables, defaults): it changes when the folder does. Git's blob hash, so no extra
/// hashing crate.
pub fn team_files_hash(set: &TemplateSet) -> String {
    let mut bytes = Vec::new();
    for file in set.files.iter().filter(|f| f.origin != Origin::BuiltIn) {
        bytes.extend_from_slice(file.path.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(file.contents.len().to_string().as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&file.contents);
    }
    bytes.extend_from_slice(format!("{:?}{:?}", set.manifest, set.dropped).as_bytes());
    Oid::hash_object(ObjectType::Blob, &bytes)
        .map(|oid| oid.to_string())
        .unwrap_or_default()
}

/// `scaffold 0.1.0`, or `scaffold 0.1.0 + ../team @ 1a2b3c4d5e6f` for team templates.
pub fn describe(record: &AnswersFile) -> String {
    let mut text = format!(
        "scaffold {}",
        record.scaffold_version.as_deref().unwrap_or("(unknown)")
    );
    if let Some(source) = &record.templates {
        text.push_str(&format!(" + {source}"));
        if let Some(id) = record
            .templates_commit
            .as_ref()
            .or(record.templates_hash.as_ref())
        {
            text.push_str(&format!(" @ {}", &id[..id.len().min(12)]));
        }
    }
    text
}

/// The answers and team variables that differ between two records, as
/// `runtime = alpine (was distroless)`.
pub fn changed_answers(old: &AnswersFile, new: &AnswersFile) -> Vec<String> {
    let values = |record: &AnswersFile| {
        let mut map = match serde_json::to_value(&record.answers) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        for (key, value) in &record.variables {
            map.insert(key.clone(), serde_json::Value::String(value.clone()));
        }
        map
    };
    let (old, new) = (values(old), values(new));
    let text = |value: Option<&serde_json::Value>| match value {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Null) | None => "(none)".to_string(),
        Some(other) => other.to_string(),
    };
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| old.get(*key) != new.get(*key))
        .map(|key| {
            format!(
                "{key} = {} (was {})",
                text(new.get(key)),
                text(old.get(key))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_templates_and_the_changed_answers() {
        let mut old = AnswersFile {
            scaffold_version: Some("0.1.0".into()),
            ..Default::default()
        };
        old.answers.runtime = Some("distroless".into());
        assert_eq!(describe(&old), "scaffold 0.1.0");
        let mut new = old.clone();
        new.answers.runtime = Some("alpine".into());
        new.templates = Some("../team".into());
        new.templates_hash = Some("0123456789abcdef".into());
        assert_eq!(describe(&new), "scaffold 0.1.0 + ../team @ 0123456789ab");
        assert_eq!(
            changed_answers(&old, &new),
            ["runtime = alpine (was distroless)"]
        );
    }
}
