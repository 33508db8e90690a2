//! Turns a template set and a context into the files of a project, in memory. No I/O:
//! writing is `staging`'s job.

use tera::{Context, Tera};

use crate::error::Error;
use crate::generate::templates::set::{
    check_template_path, refuse_paths_differing_only_in_case, Origin, TemplateSet, BUILTIN_PREFIX,
    TEMPLATE_SUFFIX,
};
use crate::generate::templates::text::{move_literal_text, TEXT_VARIABLE_PREFIX};

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
    let (tera, moved_text) = compile(set)?;
    let mut context = context.clone();
    for (k, text) in moved_text.iter().enumerate() {
        context.insert(format!("{TEXT_VARIABLE_PREFIX}{k}"), text);
    }
    let context = &context;
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
    refuse_paths_differing_only_in_case(files.iter().map(|file| file.path.as_str()))?;
    Ok(files)
}

/// One Tera instance holding every template, so `{% extends %}` and `{% include %}`
/// can refer to each other by path, and to the built-in ones as `builtin/PATH`.
/// Built-in templates have their literal text moved out first (`templates::text`); the
/// moved text is returned, to be put in the context.
fn compile(set: &TemplateSet) -> Result<(Tera, Vec<String>), Error> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    let mut moved_text = Vec::new();
    let mut sources = Vec::new();
    let bases = set
        .bases
        .iter()
        .map(|base| (format!("{BUILTIN_PREFIX}{}", base.path), base));
    let files = set.files.iter().map(|file| (file.path.clone(), file));
    for (name, file) in bases.chain(files).filter(|(_, f)| f.is_template()) {
        let text = utf8(file)?;
        let source = match file.origin {
            Origin::BuiltIn => move_literal_text(text, &mut moved_text),
            Origin::Team | Origin::Overridden => text.to_string(),
        };
        sources.push((name, source));
    }
    tera.add_raw_templates(sources)
        .map_err(|error| Error::TemplateSet(error_chain(&error)))?;
    Ok((tera, moved_text))
}

fn utf8(file: &crate::generate::templates::set::TemplateFile) -> Result<&str, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::templates::manifest::Manifest;
    use crate::generate::templates::set::{Origin, TemplateFile};

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
    fn moving_literal_text_out_changes_no_builtin_output() {
        use crate::generate::answers::{Defaults, Fill, GivenAnswers, Runtime};
        use crate::generate::context::template_context;
        use crate::host::{HostResources, WslSuggestion};
        let builtin = TemplateSet::builtin().unwrap();
        let mut untouched = builtin.clone();
        for file in &mut untouched.files {
            file.origin = Origin::Team;
        }
        let wsl = WslSuggestion::for_host(HostResources {
            memory_gib: 16,
            cores: 8,
        });
        for runtime in Runtime::ALL {
            for redis in [true, false] {
                let answers = GivenAnswers {
                    name: Some("my-svc".parse().unwrap()),
                    runtime: Some(runtime),
                    redis: Some(redis),
                    ..Default::default()
                }
                .complete(&mut Fill::Defaults, &Defaults::default())
                .unwrap();
                let context = template_context(&answers, wsl);
                assert_eq!(
                    render(&builtin, &context).unwrap(),
                    render(&untouched, &context).unwrap(),
                    "{runtime} redis={redis}"
                );
            }
        }
    }

    #[test]
    fn case_collisions_are_refused() {
        let error = render(&set(&[("README.md", ""), ("readme.md", "")]), &context()).unwrap_err();
        assert!(error.to_string().contains("only in case"), "{error}");
    }
}
