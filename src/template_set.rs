//! The set of template files a project is rendered from: the built-in set embedded in
//! the binary, so `scaffold` works offline and from a single file.

use include_dir::{include_dir, Dir};

use crate::error::Error;
use crate::manifest::{Manifest, MANIFEST_FILE};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Files ending in this are rendered with Tera (and lose the suffix); every other file
/// is copied byte for byte, so Go templates or `${{ }}` in CI files pass through untouched.
pub const TEMPLATE_SUFFIX: &str = ".tera";

/// Where a template file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
}

#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// Relative path with `/` separators, as in the template folder.
    pub path: String,
    pub contents: Vec<u8>,
    pub origin: Origin,
}

impl TemplateFile {
    pub fn is_template(&self) -> bool {
        self.path.ends_with(TEMPLATE_SUFFIX)
    }
}

#[derive(Debug, Clone)]
pub struct TemplateSet {
    pub files: Vec<TemplateFile>,
    pub manifest: Manifest,
}

impl TemplateSet {
    /// The templates compiled into this binary.
    pub fn builtin() -> Result<Self, Error> {
        let mut files = Vec::new();
        collect(&BUILTIN, &mut files);
        let manifest = match files.iter().position(|f| f.path == MANIFEST_FILE) {
            Some(index) => {
                let file = files.remove(index);
                let text = String::from_utf8_lossy(&file.contents);
                Manifest::parse(&text, MANIFEST_FILE)?
            }
            None => Manifest::default(),
        };
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(TemplateSet { files, manifest })
    }
}

fn collect(dir: &Dir<'static>, files: &mut Vec<TemplateFile>) {
    for file in dir.files() {
        files.push(TemplateFile {
            path: slash_path(file.path()),
            contents: file.contents().to_vec(),
            origin: Origin::BuiltIn,
        });
    }
    for sub in dir.dirs() {
        collect(sub, files);
    }
}

/// A relative path with `/` separators whatever the OS.
fn slash_path(path: &std::path::Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_have_no_carriage_returns() {
        // include_dir embeds bytes as checked out: a CRLF checkout must not leak out.
        for file in TemplateSet::builtin().unwrap().files {
            assert!(!file.contents.contains(&b'\r'), "{} has CR bytes", file.path);
        }
    }

    #[test]
    fn every_condition_names_an_existing_template() {
        let set = TemplateSet::builtin().unwrap();
        for path in set.manifest.when.keys() {
            assert!(
                set.files.iter().any(|f| &f.path == path),
                "{MANIFEST_FILE} names `{path}`, which is not a template"
            );
        }
    }
}
