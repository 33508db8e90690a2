//! Facts about the machine doctor runs on that change the advice: for now, whether it
//! is inside WSL (where a project on the Windows drive builds many times slower). The
//! detection itself is shared with verify in `crate::host`.

pub use crate::host::windows_drive;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Host {
    pub wsl: bool,
}

impl Host {
    pub fn detect() -> Self {
        Host {
            wsl: crate::host::wsl_distro().is_some(),
        }
    }
}
