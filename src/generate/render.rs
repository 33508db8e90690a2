//! Turns a template set and a context into the files of a project, in memory. No I/O:
//! writing is `staging`'s job.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use tera::{Context, Tera};

use crate::error::Error;
use crate::generate::template_functions;
use crate::generate::templates::paths::{check_template_path, refuse_colliding_paths};
use crate::generate::templates::set::{Origin, TemplateSet, BUILTIN_PREFIX, TEMPLATE_SUFFIX};
use crate::generate::templates::text::{move_literal_text, TEXT_VARIABLE_PREFIX};

/// One file of the new project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Relative path with `/` separators.
    pub path: String,
    pub contents: Vec<u8>,
}

/// The longest one project may take to render. The built-in set takes milliseconds; a
/// template whose loops never end is stopped here, before anything is written.
pub const RENDER_DEADLINE: Duration = Duration::from_secs(30);

/// Renders every file of `set` whose condition holds. Text comes out with LF line
/// endings whatever the template had.
pub fn render(set: &TemplateSet, context: &Context) -> Result<Vec<RenderedFile>, Error> {
    render_within(set, context, RENDER_DEADLINE)
}

/// Renders on a worker thread and gives up after `deadline`. Tera cannot be stopped
/// mid-render, so a runaway render is left to end with the process, which the error
/// ends soon: nothing is on disk yet.
fn render_within(
    set: &TemplateSet,
    context: &Context,
    deadline: Duration,
) -> Result<Vec<RenderedFile>, Error> {
    let (set, context) = (set.clone(), context.clone());
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("render".into())
        // The main thread's usual size: deep `extends`/`include` chains need it.
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            let _ = sender.send(render_now(&set, &context));
        })
        .map_err(|error| Error::TemplateSet(format!("could not start rendering: {error}")))?;
    match receiver.recv_timeout(deadline) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(Error::TemplateLimit(format!(
            "rendering took longer than {} s, where a project takes well under one; look for a loop that runs too often",
            deadline.as_secs_f32()
        ))),
        Err(RecvTimeoutError::Disconnected) => Err(Error::TemplateSet(
            "rendering stopped unexpectedly".into(),
        )),
    }
}

fn render_now(set: &TemplateSet, context: &Context) -> Result<Vec<RenderedFile>, Error> {
    let (mut tera, moved_text) = compile(set, context)?;
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
        let path = render_path(&mut tera, &file.path, context)?;
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
    refuse_colliding_paths(files.iter().map(|file| file.path.as_str()))?;
    Ok(files)
}

/// One Tera instance holding every template, so `{% extends %}` and `{% include %}`
/// can refer to each other by path, and to the built-in ones as `builtin/PATH`.
/// Built-in templates have their literal text moved out first (`templates::text`); the
/// moved text is returned, to be put in the context.
/// Templates whose condition is off (Kubernetes manifests without `--k8s`, the GitLab
/// file without `--ci gitlab`) are left out unless another template names them:
/// parsing is most of what `new` costs.
fn compile(set: &TemplateSet, context: &Context) -> Result<(Tera, Vec<String>), Error> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![]);
    template_functions::install(&mut tera);
    let mut moved_text = Vec::new();
    let mut sources = Vec::new();
    let bases = set
        .bases
        .iter()
        .map(|base| (format!("{BUILTIN_PREFIX}{}", base.path), base));
    let wanted = wanted_templates(set, context)?;
    let files = set
        .files
        .iter()
        .filter(|file| wanted.contains(file.path.as_str()))
        .map(|file| (file.path.clone(), file));
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

/// The paths of the files to compile: those whose condition holds, and any other a
/// template mentions by path (an `{% include %}` of a file that is itself off).
fn wanted_templates<'a>(
    set: &'a TemplateSet,
    context: &Context,
) -> Result<std::collections::HashSet<&'a str>, Error> {
    let mut wanted = std::collections::HashSet::new();
    let mut off = Vec::new();
    for file in &set.files {
        if condition_holds(set, &file.path, context)? {
            wanted.insert(file.path.as_str());
        } else {
            off.push(file.path.as_str());
        }
    }
    let mentioned = |path: &str| {
        set.files
            .iter()
            .chain(&set.bases)
            .filter(|file| file.is_template())
            .any(|file| std::str::from_utf8(&file.contents).is_ok_and(|text| text.contains(path)))
    };
    for path in off {
        if mentioned(path) {
            wanted.insert(path);
        }
    }
    Ok(wanted)
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
/// The result must stay inside the project. Rendered by the same Tera as the files, so
/// the same functions are refused.
fn render_path(tera: &mut Tera, template_path: &str, context: &Context) -> Result<String, Error> {
    let path = template_path
        .strip_suffix(TEMPLATE_SUFFIX)
        .unwrap_or(template_path);
    let path = if path.contains("{{") {
        tera.render_str(path, context)
            .map_err(|error| template_error(path, &error))?
    } else {
        path.to_string()
    };
    check_template_path(&path).map_err(|error| match error {
        Error::UnsafeTemplatePath { reason, .. } => Error::UnsafeTemplatePath {
            path: template_path.to_string(),
            reason: format!("renders to `{}`, which {reason}", path.escape_debug()),
        },
        other => other,
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
        assert!(error.to_string().contains("renders to `../x`"), "{error}");
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

    /// A file that is off is not compiled (so a plain `new` skips parsing the
    /// Kubernetes manifests), yet a template that includes it still finds it.
    #[test]
    fn a_file_that_is_off_is_compiled_only_when_another_includes_it() {
        let mut templates = set(&[
            ("off.txt.tera", "{{ nope }}"),
            ("part.tera", "from the part"),
            ("main.txt.tera", "{% include \"part.tera\" %}"),
        ]);
        for off in ["off.txt.tera", "part.tera"] {
            templates.manifest.when.insert(off.into(), "redis".into());
        }
        let files = render(&templates, &context()).unwrap();
        let paths: Vec<_> = files.iter().map(|file| file.path.as_str()).collect();
        assert_eq!(paths, ["main.txt"]);
        assert_eq!(files[0].contents, b"from the part");
        let wanted = wanted_templates(&templates, &context()).unwrap();
        assert!(!wanted.contains("off.txt.tera"));
        assert!(wanted.contains("part.tera"));
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

    #[test]
    fn a_render_that_runs_too_long_is_stopped() {
        let loops = "{% set a = [1,2,3,4,5,6,7,8,9,10] %}".to_string()
            + &"{% for i in a %}".repeat(9)
            + "x"
            + &"{% endfor %}".repeat(9);
        let started = std::time::Instant::now();
        let error = render_within(
            &set(&[("x.tera", &loops)]),
            &context(),
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert!(matches!(error, Error::TemplateLimit(_)), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_rendered_path_cannot_reach_git_or_use_get_env() {
        let error = render(&set(&[("{{ \".\" }}git/config", "")]), &context()).unwrap_err();
        assert!(error.to_string().contains("git's own folder"), "{error}");
        let error = render(&set(&[("{{ get_env(name=\"HOME\") }}", "")]), &context()).unwrap_err();
        assert!(error.to_string().contains("`get_env`"), "{error}");
    }
}
