//! Rebuild when a template is added or removed: include_dir only tracks the files it
//! already embedded, so a new template would otherwise be missing until something
//! else changed. Also tells the crate which target triple it is built for, so
//! `scaffold --version` can say which build a user runs (x86_64 or aarch64, MSVC or
//! GNU, static musl or not).
fn main() {
    println!("cargo:rerun-if-changed=templates");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=SCAFFOLD_TARGET={target}");
}
