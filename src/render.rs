//! Turns a template set and a context into the files of a project, in memory. No I/O:
//! writing is `staging`'s job.

use std::collections::BTreeMap;

use tera::{Context, Tera};

use crate::error::Error;
use crate::template_set::{check_template_path, TemplateSet, BUILTIN_PREFIX, TEMPLATE_SUFFIX};

/// One file of the new project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative path with `/` separators.
    pub path: String,
    pub contents: Vec<u8>,
}

/// Renders every file of `set` whose condition holds. Text comes out with LF line
/// endings whatever the template had.
pub fn render(set: &TemplateSet, context: &Context) -> Result<Vec<RenderedFile>, Error> {
    let tera = compile(set)?;
    let mut files = Vec::new();
    for file in &set.files {
        if !condition_holds(set, &file.path, context)? {
            continue;
        }
        let path = render_path(&file.path, context)?;
        let contents = if file.is_template() {
            tera.render(&file.path, context)
                .map_err(|error| template_error(&file.path, &error))?
                .into_bytes()
        } else {
            file.contents.clone()
        };
        files.push(RenderedFile {
            path,
            contents: with_lf_line_endings(contents),
        });
    }
    refuse_case_collisions(&files)?;
    Ok(files)
}

/// One Tera instance holding every template, so `{% extends %}` and `{% include %}`
/// can refer to each other by path, and to the built-in ones as `builtin/PATH`.
fn compile(set: &TemplateSet) -> Result<Tera, Error> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    let mut sources = Vec::new();
    for base in set.bases.iter().filter(|f| f.is_template()) {
        sources.push((format!("{BUILTIN_PREFIX}{}", base.path), utf8(base)?));
    }
    for file in set.files.iter().filter(|f| f.is_template()) {
        sources.push((file.path.clone(), utf8(file)?));
    }
    tera.add_raw_templates(sources)
        .map_err(|error| Error::TemplateSet(error_chain(&error)))?;
    Ok(tera)
}

fn utf8(file: &crate::template_set::TemplateFile) -> Result<&str, Error> {
    std::str::from_utf8(&file.contents).map_err(|_| Error::Template {
        file: file.path.clone(),
        message: "is not UTF-8 text: only text files can carry the .tera suffix".into(),
    })
}

fn condition_holds(set: &TemplateSet, path: &str, context: &Context) -> Result<bool, Error> {
    let Some(answer) = set.manifest.condition(path) else {
        return Ok(true);
    };
    match context.get(answer).and_then(|value| value.as_bool()) {
        Some(holds) => Ok(holds),
        None => Err(Error::Template {
            file: path.to_string(),
            message: format!("its condition `{answer}` is not a yes/no answer"),
        }),
    }
}

/// The output path: the `.tera` suffix dropped and `{{ name }}`-style segments rendered.
/// The result must stay inside the project.
fn render_path(template_path: &str, context: &Context) -> Result<String, Error> {
    let path = template_path
        .strip_suffix(TEMPLATE_SUFFIX)
        .unwrap_or(template_path);
    let path = if path.contains("{{") {
        Tera::one_off(path, context, false).map_err(|error| template_error(path, &error))?
    } else {
        path.to_string()
    };
    check_template_path(&path).map_err(|_| Error::UnsafeTemplatePath {
        path: template_path.to_string(),
        reason: format!("renders to `{path}`, which is not a plain path inside the project"),
    })?;
    Ok(path)
}

fn template_error(file: &str, error: &tera::Error) -> Error {
    Error::Template {
        file: file.to_string(),
        message: error_chain(error),
    }
}

/// Tera nests the real cause (file, line, undefined variable) in its error chain.
fn error_chain(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// CRLF and lone CR become LF in text; binary files (with NUL bytes) are left alone.
fn with_lf_line_endings(contents: Vec<u8>) -> Vec<u8> {
    if !contents.contains(&b'\r') || contents.contains(&0) {
        return contents;
    }
    let mut out = Vec::with_capacity(contents.len());
    let mut bytes = contents.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' {
            if bytes.peek() != Some(&&b'\n') {
                out.push(b'\n');
            }
        } else {
            out.push(byte);
        }
    }
    out
}

/// Two paths that differ only in case are one file on Windows and macOS.
fn refuse_case_collisions(files: &[RenderedFile]) -> Result<(), Error> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for file in files {
        if let Some(other) = seen.insert(file.path.to_lowercase(), &file.path) {
            return Err(Error::Template {
                file: file.path.clone(),
                message: format!(
                    "differs from `{other}` only in case: they would be one file on Windows and macOS"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use crate::template_set::{Origin, TemplateFile};

    fn set(files: &[(&str, &str)]) -> TemplateSet {
        TemplateSet {
            files: files
                .iter()
                .map(|(path, text)| TemplateFile {
                    path: path.to_string(),
                    contents: text.as_bytes().to_vec(),
                    origin: Origin::BuiltIn,
                })
                .collect(),
            manifest: Manifest::default(),
            bases: Vec::new(),
            dropped: Vec::new(),
        }
    }

    fn context() -> Context {
        let mut context = Context::new();
        context.insert("name", "demo");
        context.insert("redis", &false);
        context
    }

    #[test]
    fn renders_templates_and_copies_the_rest() {
        let files = render(
            &set(&[("a.txt.tera", "hi {{ name }}"), ("b.yml", "${{ x }}")]),
            &context(),
        )
        .unwrap();
        assert_eq!(files[0].path, "a.txt");
        assert_eq!(files[0].contents, b"hi demo");
        assert_eq!(files[1].contents, b"${{ x }}");
    }

    #[test]
    fn undefined_variables_fail_with_the_file_name() {
        let error = render(&set(&[("x.tera", "{{ nope }}")]), &context()).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("x.tera") && message.contains("nope"),
            "{message}"
        );
    }

    #[test]
    fn paths_render_and_stay_inside() {
        let files = render(&set(&[("cmd/{{ name }}/main.go", "")]), &context()).unwrap();
        assert_eq!(files[0].path, "cmd/demo/main.go");
        let mut escape = context();
        escape.insert("name", "..");
        let error = render(&set(&[("{{ name }}/x", "")]), &escape).unwrap_err();
        assert!(error.to_string().contains("not a plain path"), "{error}");
    }

    #[test]
    fn line_endings_become_lf() {
        assert_eq!(with_lf_line_endings(b"a\r\nb\rc\n".to_vec()), b"a\nb\nc\n");
        assert_eq!(with_lf_line_endings(b"\0\r\n".to_vec()), b"\0\r\n");
    }

    #[test]
    fn conditions_leave_files_out() {
        let mut templates = set(&[("redis.go", "x"), ("main.go", "y")]);
        templates
            .manifest
            .when
            .insert("redis.go".into(), "redis".into());
        let files = render(&templates, &context()).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "main.go");
    }

    #[test]
    fn case_collisions_are_refused() {
        let error = render(&set(&[("README.md", ""), ("readme.md", "")]), &context()).unwrap_err();
        assert!(error.to_string().contains("only in case"), "{error}");
    }
}
