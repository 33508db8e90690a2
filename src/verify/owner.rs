//! Which scaffold process started a container, written on it as labels, so a later
//! verify can tell a container whose verify was killed (`kill -9`, a closed laptop)
//! from one whose verify still runs: the owner is gone when it ran on this machine
//! and its process no longer exists (or that pid now belongs to a process started at
//! another time, or the machine has rebooted since). From another machine (a shared
//! remote daemon) nothing can be told, and the container is left alone.

use sysinfo::{Pid, ProcessStatus, ProcessesToUpdate, System};

pub const PID_LABEL: &str = "scaffold.verify.owner.pid";
pub const HOST_LABEL: &str = "scaffold.verify.owner.host";
pub const BOOT_LABEL: &str = "scaffold.verify.owner.boot";
pub const STARTED_LABEL: &str = "scaffold.verify.owner.started";

/// The process that owns what one verify starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    pub pid: Option<u32>,
    pub host: Option<String>,
    /// The boot's id (Linux) or boot time in seconds.
    pub boot: Option<String>,
    /// The process's start time, seconds since the epoch.
    pub started: Option<u64>,
}

impl Owner {
    /// This process.
    pub fn current() -> Owner {
        let pid = std::process::id();
        Owner {
            pid: Some(pid),
            host: System::host_name(),
            boot: Some(boot_id()),
            started: process_started(pid),
        }
    }

    /// `key=value` labels for `--label`.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        let mut add = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                labels.push(format!("{key}={value}"));
            }
        };
        add(PID_LABEL, self.pid.map(|p| p.to_string()));
        add(HOST_LABEL, self.host.clone());
        add(BOOT_LABEL, self.boot.clone());
        add(STARTED_LABEL, self.started.map(|s| s.to_string()));
        labels
    }

    /// From the labels' values (empty when a label is missing).
    pub fn from_values(pid: &str, host: &str, boot: &str, started: &str) -> Owner {
        let text = |value: &str| Some(value.trim().to_string()).filter(|v| !v.is_empty());
        Owner {
            pid: pid.trim().parse().ok(),
            host: text(host),
            boot: text(boot),
            started: started.trim().parse().ok(),
        }
    }

    /// Whether this owner is known to be gone, as seen from `here` (this process's
    /// owner); false when it cannot be told.
    pub fn is_gone(&self, here: &Owner) -> bool {
        let (Some(pid), Some(host)) = (self.pid, self.host.as_deref()) else {
            return false;
        };
        if here.host.as_deref() != Some(host) {
            return false;
        }
        if let (Some(boot), Some(now)) = (&self.boot, &here.boot) {
            if !same_boot(boot, now) {
                return true;
            }
        }
        match process_started(pid) {
            None => true,
            Some(started) => self.started.is_some_and(|s| s.abs_diff(started) > 1),
        }
    }

    /// `process 1234 on build-box`, for messages.
    pub fn describe(&self) -> String {
        match (self.pid, &self.host) {
            (Some(pid), Some(host)) => format!("process {pid} on {host}"),
            (Some(pid), None) => format!("process {pid}"),
            _ => "an unknown process".to_string(),
        }
    }
}

/// When the process `pid` started, if it runs (a zombie does not count).
fn process_started(pid: u32) -> Option<u64> {
    let pid = Pid::from_u32(pid);
    let mut system = System::new();
    system.refresh_processes(ProcessesToUpdate::Some(&[pid]), true);
    system
        .process(pid)
        .filter(|p| !matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead))
        .map(|p| p.start_time())
}

/// Linux's boot id, else the boot time.
fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .ok()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| System::boot_time().to_string())
}

/// Equal ids, or boot times a second or two apart (some systems compute it from the
/// uptime, which drifts).
fn same_boot(a: &str, b: &str) -> bool {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) => a.abs_diff(b) <= 2,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_gone() {
        let here = Owner::current();
        assert!(here.pid.is_some() && here.host.is_some() && here.started.is_some());
        assert!(!here.is_gone(&here));
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--list")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = Owner {
            pid: Some(pid),
            ..here.clone()
        };
        assert!(dead.is_gone(&here));
        let reused = Owner {
            started: here.started.map(|s| s - 1000),
            ..here.clone()
        };
        assert!(
            reused.is_gone(&here),
            "the pid now belongs to another process"
        );
        let rebooted = Owner {
            boot: Some("another-boot".into()),
            ..here.clone()
        };
        assert!(rebooted.is_gone(&here));
    }

    #[test]
    fn another_machine_or_missing_labels_cannot_be_told() {
        let here = Owner::current();
        let elsewhere = Owner {
            pid: Some(u32::MAX - 1),
            host: Some("some-other-machine".into()),
            ..Owner::default()
        };
        assert!(!elsewhere.is_gone(&here));
        assert!(!Owner::default().is_gone(&here));
    }

    #[test]
    fn labels_read_back() {
        let here = Owner::current();
        let value = |key: &str| {
            here.labels()
                .iter()
                .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_string))
                .unwrap_or_default()
        };
        let back = Owner::from_values(
            &value(PID_LABEL),
            &value(HOST_LABEL),
            &value(BOOT_LABEL),
            &value(STARTED_LABEL),
        );
        assert_eq!(back, here);
        assert!(same_boot("1700000000", "1700000001"));
        assert!(!same_boot("1700000000", "1700000100"));
    }
}
