//! The guard against a Windows contributor's checkout: with `core.autocrlf=true` git
//! turns LF into CRLF on checkout, and include_dir embeds the templates byte for byte,
//! so without `.gitattributes` pinning them to LF a scaffold built there would write
//! CRLF files. The unit test `builtin_templates_have_no_carriage_returns` checks the
//! embedded bytes (CI's windows-latest runner, where autocrlf=true is the default,
//! builds from such a checkout); this test checks that the repository's own
//! `.gitattributes` is what keeps them LF.

mod support;

use support::git;

use std::fs;
use std::path::Path;

/// Every file under `dir` whose bytes hold a CR.
fn files_with_cr(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in ignore::WalkBuilder::new(dir).hidden(false).build() {
        let entry = entry.unwrap();
        if entry.file_type().is_some_and(|t| t.is_file())
            && fs::read(entry.path()).unwrap().contains(&b'\r')
        {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

#[test]
fn an_autocrlf_checkout_keeps_templates_and_snapshots_lf_because_of_gitattributes() {
    if !support::require("git", &["--version"], "this test clones the repository") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().unwrap();
    let clone = temp.path().join("clone");
    let source = root.to_str().unwrap();
    git(
        temp.path(),
        &["clone", "-q", "-c", "core.autocrlf=true", source, "clone"],
    );
    let attr = git(
        &clone,
        &["check-attr", "eol", "--", "templates/go.mod.tera"],
    );
    assert!(attr.contains("eol: lf"), "{attr}");
    for folder in ["templates", "snapshots"] {
        assert_eq!(files_with_cr(&clone.join(folder)), Vec::<String>::new());
    }

    // The same checkout with eol unset (as without the repository's .gitattributes):
    // CRLF arrives, so the check above can fail.
    fs::write(clone.join(".git/info/attributes"), "* text -eol\n").unwrap();
    fs::remove_dir_all(clone.join("templates")).unwrap();
    git(&clone, &["checkout", "--", "templates"]);
    assert!(
        !files_with_cr(&clone.join("templates")).is_empty(),
        "autocrlf=true without eol=lf must give CRLF"
    );
}
