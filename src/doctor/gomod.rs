//! The parts of `go.mod` doctor needs: the module path (to tell local imports from
//! third-party ones) and whether there is anything to download.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoMod {
    pub module: Option<String>,
    /// `require` entries, direct and indirect.
    pub requires: usize,
}

pub fn parse(text: &str) -> GoMod {
    let mut go_mod = GoMod::default();
    let mut in_require_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        if in_require_block {
            if line == ")" {
                in_require_block = false;
            } else if !line.is_empty() {
                go_mod.requires += 1;
            }
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("module"), Some(path)) => {
                go_mod.module = Some(path.trim_matches(['"', '`']).to_string());
            }
            (Some("require"), Some("(")) => in_require_block = true,
            (Some("require"), Some(_)) => go_mod.requires += 1,
            _ => {}
        }
    }
    go_mod
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_and_requires() {
        let go_mod = parse(
            "module \"example.com/orders\" // the service\n\ngo 1.22\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\t// a comment\n\tgithub.com/c/d v1.2.0 // indirect\n)\nrequire github.com/e/f v0.1.0\n",
        );
        assert_eq!(go_mod.module.as_deref(), Some("example.com/orders"));
        assert_eq!(go_mod.requires, 3);
        assert_eq!(parse("module x\n\ngo 1.22\n").requires, 0);
    }
}
