//! Rebuild when a template is added or removed: include_dir only tracks the files it
//! already embedded, so a new template would otherwise be missing until something
//! else changed.
fn main() {
    println!("cargo:rerun-if-changed=templates");
}
