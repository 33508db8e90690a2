//! Parsing is most of what `scaffold new` spends its time on, and most of that is Tera's
//! parser scanning literal text one character at a time, looking for a tag. The
//! built-in templates are mostly literal text (comments, prose), so before they are
//! parsed each long literal run is moved into a context value and replaced by a
//! `{{ __scaffold_text_N }}` tag: the output is byte for byte the same (a test renders
//! every built-in template both ways), the parse about five times cheaper. Team
//! templates are never rewritten, so their error messages keep true line numbers.

/// The prefix of the context values that hold moved text. Team variables must start
/// with a letter, so they can never collide with it.
pub const TEXT_VARIABLE_PREFIX: &str = "__scaffold_text_";

/// Shorter runs stay in place: a tag costs more to parse than a few characters.
const MIN_MOVED_LEN: usize = 32;

/// `template` with its long literal runs replaced by tags; the runs are appended to
/// `texts`, and the tag for `texts[k]` names `__scaffold_text_k`.
pub fn move_literal_text(template: &str, texts: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(template.len() / 3);
    let mut rest = template;
    let mut trim_start = false;
    while let Some(open) = next_tag(rest) {
        let (text, tagged) = rest.split_at(open);
        let Some(tag_len) = tag_length(tagged) else {
            // An unterminated tag: leave the rest for Tera to report.
            push_text(&mut out, text, trim_start, false, texts);
            out.push_str(tagged);
            return out;
        };
        push_text(&mut out, text, trim_start, trims_before(tagged), texts);
        let tag = &tagged[..tag_len];
        let verbatim_len = if is_raw_open(tag) {
            raw_block_length(tagged).unwrap_or(tagged.len())
        } else {
            tag_len
        };
        let verbatim = &tagged[..verbatim_len];
        out.push_str(verbatim);
        trim_start = trims_after(verbatim);
        rest = &tagged[verbatim_len..];
    }
    push_text(&mut out, rest, trim_start, false, texts);
    out
}

/// Where the next `{{`, `{%` or `{#` starts.
fn next_tag(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%' | b'#'))
}

/// The length of the tag at the start of `text`, closing delimiter included. A
/// delimiter inside a string literal (`{{ '}}' }}`) does not close the tag.
fn tag_length(text: &str) -> Option<usize> {
    let close: &[u8] = match &text[..2] {
        "{{" => b"}}",
        "{%" => b"%}",
        _ => b"#}",
    };
    let bytes = text.as_bytes();
    let in_comment = close == b"#}";
    let mut quote: Option<u8> = None;
    let mut i = 2;
    while i + 1 < bytes.len() {
        match quote {
            Some(q) if bytes[i] == q => quote = None,
            Some(_) => {}
            None if !in_comment && matches!(bytes[i], b'"' | b'\'' | b'`') => {
                quote = Some(bytes[i])
            }
            None if &bytes[i..i + 2] == close => return Some(i + 2),
            None => {}
        }
        i += 1;
    }
    None
}

fn trims_before(tag: &str) -> bool {
    tag[2..].starts_with('-')
}

fn trims_after(verbatim: &str) -> bool {
    let bytes = verbatim.as_bytes();
    bytes.len() >= 3 && bytes[bytes.len() - 3] == b'-'
}

fn is_raw_open(tag: &str) -> bool {
    tag.starts_with("{%") && tag[2..tag.len() - 2].trim_matches(['-', ' ', '\t', '\n']) == "raw"
}

/// `{% raw %}…{% endraw %}` as a whole: its content is literal, tags and all.
fn raw_block_length(text: &str) -> Option<usize> {
    let mut searched = 0;
    while let Some(open) = text[searched..].find("{%").map(|at| at + searched) {
        let len = tag_length(&text[open..])?;
        let inner = &text[open + 2..open + len - 2];
        if inner.trim_matches(['-', ' ', '\t', '\n']) == "endraw" {
            return Some(open + len);
        }
        searched = open + len;
    }
    None
}

fn push_text(
    out: &mut String,
    text: &str,
    trim_start: bool,
    trim_end: bool,
    texts: &mut Vec<String>,
) {
    if text.len() < MIN_MOVED_LEN {
        // Tera applies the whitespace control itself.
        out.push_str(text);
        return;
    }
    // The tag that replaces the text is not text, so Tera's `-` would no longer reach
    // it: apply the whitespace control here, as Tera would.
    let mut text = text;
    if trim_start {
        text = text.trim_start();
    }
    if trim_end {
        text = text.trim_end();
    }
    out.push_str("{{ ");
    out.push_str(TEXT_VARIABLE_PREFIX);
    out.push_str(&texts.len().to_string());
    out.push_str(" }}");
    texts.push(text.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> (String, String) {
        let mut texts = Vec::new();
        let moved = move_literal_text(template, &mut texts);
        let mut context = tera::Context::new();
        context.insert("name", "demo");
        context.insert("redis", &true);
        let plain = tera::Tera::one_off(template, &context, false).unwrap();
        for (k, text) in texts.iter().enumerate() {
            context.insert(format!("{TEXT_VARIABLE_PREFIX}{k}"), text);
        }
        let fast = tera::Tera::one_off(&moved, &context, false).unwrap();
        (plain, fast)
    }

    #[test]
    fn output_is_unchanged_with_whitespace_control_and_raw_blocks() {
        let long = "a long run of literal text, longer than the threshold\n";
        let template = format!(
            "{long}{{{{ name }}}}\n{long}  {{%- if redis -%}}  \n{long}{{% endif %}}\n\
             {{# a comment #}}{long}{{{{ '}}}}' }}}}{long}{{% raw %}}{{{{ not a tag }}}} {long}{{% endraw %}}{long}"
        );
        let (plain, fast) = render(&template);
        assert_eq!(plain, fast);
        assert!(fast.contains("{{ not a tag }}"));
    }

    #[test]
    fn short_text_stays_in_place() {
        let mut texts = Vec::new();
        assert_eq!(
            move_literal_text("hi {{ name }}", &mut texts),
            "hi {{ name }}"
        );
        assert!(texts.is_empty());
    }
}
