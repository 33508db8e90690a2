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
