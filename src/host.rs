//! Facts about the machine scaffold runs on, used to size the `.wslconfig` suggestion.

/// Memory and cores of this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostResources {
    pub memory_gib: u64,
    pub cores: u64,
}

impl HostResources {
    /// Reads this machine; falls back to a modest laptop when the OS will not say.
    pub fn detect() -> Self {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        let memory_gib = system.total_memory() / (1024 * 1024 * 1024);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get() as u64)
            .unwrap_or(4);
        HostResources {
            memory_gib: if memory_gib == 0 { 8 } else { memory_gib },
            cores,
        }
    }
}

/// What to give the WSL2 VM that runs Docker Desktop's engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WslSuggestion {
    pub memory_gb: u64,
    pub processors: u64,
    pub swap_gb: u64,
}

impl WslSuggestion {
    /// Half the memory (Go builds need 2 GB or more; more than 16 rarely helps) and all
    /// cores but one, so Windows stays responsive while `go build` runs in parallel.
    pub fn for_host(host: HostResources) -> Self {
        let memory_gb = (host.memory_gib / 2)
            .clamp(2, 16)
            .min(host.memory_gib.max(2));
        let processors = if host.cores > 2 {
            host.cores - 1
        } else {
            host.cores.max(1)
        };
        let swap_gb = (memory_gb / 4).clamp(1, 8);
        WslSuggestion {
            memory_gb,
            processors,
            swap_gb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_host() {
        let laptop = WslSuggestion::for_host(HostResources {
            memory_gib: 16,
            cores: 8,
        });
        assert_eq!(
            (laptop.memory_gb, laptop.processors, laptop.swap_gb),
            (8, 7, 2)
        );
        let small = WslSuggestion::for_host(HostResources {
            memory_gib: 4,
            cores: 2,
        });
        assert_eq!(
            (small.memory_gb, small.processors, small.swap_gb),
            (2, 2, 1)
        );
        let big = WslSuggestion::for_host(HostResources {
            memory_gib: 128,
            cores: 32,
        });
        assert_eq!((big.memory_gb, big.processors, big.swap_gb), (16, 31, 4));
    }

    #[test]
    fn detection_reports_something_plausible() {
        let host = HostResources::detect();
        assert!(host.memory_gib >= 1 && host.cores >= 1, "{host:?}");
    }
}
