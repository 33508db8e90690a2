//! The parts of `go.mod` doctor needs: the module path (to tell local imports from
//! third-party ones), whether there is anything to download, and the `go` version
//! (which decides whether `go build` uses vendor/ by itself).

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoMod {
    pub module: Option<String>,
    /// `require` entries, direct and indirect.
    pub requires: usize,
    /// The `go` directive, e.g. `1.22` or `1.21.5`.
    pub go: Option<String>,
}

impl GoMod {
    /// Whether `go build` uses vendor/ without `-mod=vendor`: only from `go 1.14` on
    /// (and when there is no `go` line, it assumes an old version).
    pub fn uses_vendor_by_default(&self) -> bool {
        let Some(version) = self.go.as_deref() else {
            return false;
        };
        let mut parts = version
            .split('.')
            .map(|part| part.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (major, minor) >= (1, 14)
    }
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
            (Some("go"), Some(version)) => go_mod.go = Some(version.to_string()),
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
        assert_eq!(go_mod.go.as_deref(), Some("1.22"));
        assert!(go_mod.uses_vendor_by_default());
        assert!(!parse("module x\ngo 1.13\n").uses_vendor_by_default());
        assert!(parse("module x\ngo 1.21.5\n").uses_vendor_by_default());
        assert!(!parse("module x\n").uses_vendor_by_default());
    }
}
