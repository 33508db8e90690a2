//! Team templates from a git repository, through git2 (no `git` binary, no shell): a
//! bare clone in scaffold's cache folder, fetched once and reused offline; `--refresh`
//! fetches again. Files are read straight from the commit's tree, so nothing is
//! checked out and no symlink is ever followed on disk.

use std::path::{Path, PathBuf};

use git2::{Cred, FetchOptions, ObjectType, Oid, RemoteCallbacks, Repository, Tree};

use crate::error::Error;
use crate::generate::templates::folder::{FILE_LIMIT_MIB, SET_FILE_LIMIT, SET_LIMIT_MIB};
use crate::generate::templates::source::GitSource;

/// Fetch everything a ref could name: branches, tags and the remote's default branch.
const REFSPECS: [&str; 3] = [
    "+refs/heads/*:refs/remotes/origin/*",
    "+refs/tags/*:refs/tags/*",
    "+HEAD:refs/remotes/origin/HEAD",
];

/// Files of a template folder, read from git.
pub struct GitTemplates {
    /// (relative path with `/`, contents)
    pub files: Vec<(String, Vec<u8>)>,
    /// The commit the files came from, recorded in the generated project.
    pub commit: String,
    /// Set when a fetch failed and the cached copy was used.
    pub warning: Option<String>,
}

/// The cache folder for templates fetched from git.
pub fn default_cache_root() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("scaffold")
        .join("templates")
}

pub fn load(source: &GitSource, cache_root: &Path, refresh: bool) -> Result<GitTemplates, Error> {
    let cache = cache_root.join(cache_key(&source.url));
    let (repository, mut warning) = open_or_clone(source, &cache, refresh)?;
    let commit = match resolve(&repository, source) {
        Some(commit) => commit,
        // A ref the cached copy does not know yet (a new tag): fetch once more.
        None if warning.is_none() && !refresh => {
            if let Err(message) = fetch(&repository, &source.url) {
                warning = Some(message);
            }
            resolve(&repository, source).ok_or_else(|| unknown_ref(source))?
        }
        None => return Err(unknown_ref(source)),
    };
    let tree = template_tree(&repository, source, commit)?;
    let mut files = Vec::new();
    collect(&repository, &tree, &tree, "", &mut files)?;
    Ok(GitTemplates {
        files,
        commit: commit.to_string(),
        warning,
    })
}

/// The cached bare clone, fetched when new or when asked to refresh. A failed refresh
/// falls back to the cache with a warning; a failed first clone is an error.
fn open_or_clone(
    source: &GitSource,
    cache: &Path,
    refresh: bool,
) -> Result<(Repository, Option<String>), Error> {
    if let Some(repository) = open_cached(cache) {
        if !refresh {
            return Ok((repository, None));
        }
        let warning = fetch(&repository, &source.url).err().map(|message| {
            format!(
                "could not fetch `{}` ({message}); using the cached copy in {}",
                source.url,
                cache.display()
            )
        });
        return Ok((repository, warning));
    }
    first_clone(source, cache).map(|repository| (repository, None))
}

/// The cached clone, if there is a usable one: a cache without a single ref (a clone
/// cut short by an older scaffold) is no cache.
fn open_cached(cache: &Path) -> Option<Repository> {
    let repository = Repository::open_bare(cache).ok()?;
    let has_refs = repository
        .references()
        .ok()
        .is_some_and(|mut refs| refs.next().is_some());
    has_refs.then_some(repository)
}

/// Clones into a folder beside the cache and moves it into place only once the fetch
/// succeeded, so Ctrl-C or a failure mid-clone never leaves a cache that looks usable.
fn first_clone(source: &GitSource, cache: &Path) -> Result<Repository, Error> {
    let parent = cache.parent().unwrap_or(cache);
    std::fs::create_dir_all(parent).map_err(Error::io("create the template cache", parent))?;
    let partial = tempfile::Builder::new()
        .prefix(".partial-")
        .tempdir_in(parent)
        .map_err(Error::io("create the template cache", parent))?;
    let repository =
        Repository::init_bare(partial.path()).map_err(Error::git("create the template cache"))?;
    if let Err(message) = fetch(&repository, &source.url) {
        return Err(Error::TemplateFetch {
            url: source.url.clone(),
            message: format!("{message}; there is no cached copy to fall back on"),
        });
    }
    drop(repository);
    if let Some(theirs) = open_cached(cache) {
        // Another scaffold finished the same clone first.
        return Ok(theirs);
    }
    if cache.exists() {
        let _ = std::fs::remove_dir_all(cache);
    }
    let partial = partial.keep();
    if let Err(error) = std::fs::rename(&partial, cache) {
        let _ = std::fs::remove_dir_all(&partial);
        if open_cached(cache).is_none() {
            return Err(Error::io("create the template cache", cache)(error));
        }
    }
    Repository::open_bare(cache).map_err(Error::git("open the template cache"))
}

fn fetch(repository: &Repository, url: &str) -> Result<(), String> {
    let mut remote = repository
        .remote_anonymous(url)
        .map_err(|e| e.message().to_string())?;
    let mut options = FetchOptions::new();
    options.remote_callbacks(credentials());
    remote
        .fetch(&REFSPECS, Some(&mut options), None)
        .map_err(|e| e.message().to_string())
}

/// The user's usual credentials: ssh-agent for ssh, git's credential helpers for https.
fn credentials() -> RemoteCallbacks<'static> {
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(|url, username, allowed| {
        if allowed.contains(git2::CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) {
            if let Ok(config) = git2::Config::open_default() {
                return Cred::credential_helper(&config, url, username);
            }
        }
        Cred::default()
    });
    callbacks
}

/// The commit a source names: a branch, a tag, a commit id, or the default branch.
fn resolve(repository: &Repository, source: &GitSource) -> Option<Oid> {
    let candidates: Vec<String> = match &source.reference {
        None => vec!["refs/remotes/origin/HEAD".into()],
        Some(name) => vec![
            format!("refs/remotes/origin/{name}"),
            format!("refs/tags/{name}"),
            name.clone(),
        ],
    };
    candidates.iter().find_map(|spec| {
        let object = repository.revparse_single(spec).ok()?;
        object.peel_to_commit().ok().map(|commit| commit.id())
    })
}

fn unknown_ref(source: &GitSource) -> Error {
    Error::TemplateFetch {
        url: source.url.clone(),
        message: format!(
            "`{}` is not a branch, tag or commit of that repository",
            source.reference.as_deref().unwrap_or("HEAD")
        ),
    }
}

fn template_tree<'r>(
    repository: &'r Repository,
    source: &GitSource,
    commit: Oid,
) -> Result<Tree<'r>, Error> {
    let root = repository
        .find_commit(commit)
        .and_then(|commit| commit.tree())
        .map_err(Error::git("read the template commit"))?;
    let Some(subfolder) = &source.subfolder else {
        return Ok(root);
    };
    root.get_path(Path::new(subfolder))
        .and_then(|entry| entry.to_object(repository))
        .and_then(|object| object.peel_to_tree())
        .map_err(|_| Error::TemplateFetch {
            url: source.url.clone(),
            message: format!("the repository has no folder `{subfolder}` at that ref"),
        })
}

/// Reads every file below `tree`. A symlink is read as the file it names, but only
/// when that file is inside the template folder.
fn collect(
    repository: &Repository,
    root: &Tree<'_>,
    tree: &Tree<'_>,
    prefix: &str,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), Error> {
    for entry in tree.iter() {
        let name = entry.name().unwrap_or_default();
        let path = format!("{prefix}{name}");
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let subtree = entry
                    .to_object(repository)
                    .and_then(|object| object.peel_to_tree())
                    .map_err(Error::git("read a template folder"))?;
                collect(repository, root, &subtree, &format!("{path}/"), files)?;
            }
            Some(ObjectType::Blob) => {
                let blob = repository
                    .find_blob(entry.id())
                    .map_err(Error::git("read a template file"))?;
                let contents = if entry.filemode() == 0o120000 {
                    symlink_target(repository, root, &path, blob.content())?
                } else {
                    blob.content().to_vec()
                };
                check_size(&path, contents.len(), files)?;
                files.push((path, contents));
            }
            // Submodules are other repositories: not part of the template.
            _ => {}
        }
    }
    Ok(())
}

/// The same bounds as for a template folder on disk.
fn check_size(path: &str, size: usize, files: &[(String, Vec<u8>)]) -> Result<(), Error> {
    let mib = 1024 * 1024;
    if size as u64 > FILE_LIMIT_MIB * mib {
        return Err(Error::TemplateLimit(format!(
            "`{path}` is larger than {FILE_LIMIT_MIB} MiB, the limit for one template file"
        )));
    }
    let total: u64 = files.iter().map(|(_, c)| c.len() as u64).sum::<u64>() + size as u64;
    if files.len() >= SET_FILE_LIMIT || total > SET_LIMIT_MIB * mib {
        return Err(Error::TemplateLimit(format!(
            "the template set holds more than {SET_FILE_LIMIT} files or {SET_LIMIT_MIB} MiB (reached at `{path}`)"
        )));
    }
    Ok(())
}

fn symlink_target(
    repository: &Repository,
    root: &Tree<'_>,
    link: &str,
    target: &[u8],
) -> Result<Vec<u8>, Error> {
    let target = String::from_utf8_lossy(target);
    let outside = || Error::UnsafeTemplatePath {
        path: link.to_string(),
        reason: format!("is a symlink to `{target}`, outside the template folder"),
    };
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    if target.starts_with('/') {
        return Err(outside());
    }
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or_else(outside)?;
            }
            other => parts.push(other),
        }
    }
    let resolved = parts.join("/");
    let refuse = |reason: String| Error::UnsafeTemplatePath {
        path: link.to_string(),
        reason,
    };
    let object = root
        .get_path(Path::new(&resolved))
        .and_then(|entry| entry.to_object(repository))
        .map_err(|_| {
            refuse(format!(
                "is a symlink to `{target}`, which is not in the template folder at that commit"
            ))
        })?;
    if object.kind() == Some(ObjectType::Tree) {
        return Err(refuse(format!(
            "is a symlink to the folder `{resolved}`: in a git template a symlink may name a file only; copy the folder or link its files one by one"
        )));
    }
    let blob = object
        .peel_to_blob()
        .map_err(|_| refuse(format!("is a symlink to `{target}`, which is not a file")))?;
    Ok(blob.content().to_vec())
}

/// A stable folder name for a URL: readable, and unique through a hash.
fn cache_key(url: &str) -> String {
    let readable: String = url
        .rsplit('/')
        .next()
        .unwrap_or("templates")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    // FNV-1a: stable across Rust versions, unlike std's hasher.
    let hash = url.bytes().fold(0xcbf29ce484222325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100000001b3)
    });
    format!("{readable}-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_are_stable_and_distinct() {
        assert_eq!(
            cache_key("https://h/a/t.git"),
            cache_key("https://h/a/t.git")
        );
        assert_ne!(
            cache_key("https://h/a/t.git"),
            cache_key("https://h/b/t.git")
        );
        assert!(cache_key("https://h/a/t.git").starts_with("t-git-"));
    }

    #[test]
    fn a_cache_left_empty_by_an_interrupted_clone_is_cloned_again() {
        let origin = tempfile::tempdir().unwrap();
        let repository = Repository::init(origin.path()).unwrap();
        std::fs::write(origin.path().join("README.md.tera"), "hi").unwrap();
        let mut index = repository.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        let tree = repository.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = git2::Signature::now("t", "t@example.com").unwrap();
        repository
            .commit(Some("HEAD"), &signature, &signature, "t", &tree, &[])
            .unwrap();
        // A file URL on both systems: file:///tmp/x, file:///C:/Users/x.
        let path = origin.path().display().to_string().replace('\\', "/");
        let source = GitSource {
            url: format!(
                "file://{}{path}",
                if path.starts_with('/') { "" } else { "/" }
            ),
            reference: None,
            subfolder: None,
        };
        let cache_root = tempfile::tempdir().unwrap();
        // What Ctrl-C during an older scaffold's first clone left: a bare repository
        // without a single ref.
        Repository::init_bare(cache_root.path().join(cache_key(&source.url))).unwrap();
        let loaded = load(&source, cache_root.path(), false).unwrap();
        assert_eq!(loaded.files.len(), 1);
        assert!(loaded.warning.is_none());
    }
}
