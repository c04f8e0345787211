//! The default size of sled's page cache, from the machine's memory.
//!
//! sled's own default is 1 GiB, and a store fills it: the header scan at open reads every object
//! once. On a small machine (or a container limited to 512 MiB) that alone is more than there is.
//! The default here is a sixteenth of the memory the server may use (the smaller of the machine's,
//! from `/proc/meminfo`, and the cgroup's limit, from `/sys/fs/cgroup/memory.max` when there is
//! one), between 32 MiB and 256 MiB. The resident Locate index (200 to 320 bytes per object) and
//! the decrypted-object cache come on top; `store_cache_size` in the configuration overrides it.

const MIB: u64 = 1024 * 1024;
const FLOOR: u64 = 32 * MIB;
const CEILING: u64 = 256 * MIB;
/// When the memory cannot be read (not Linux, no /proc): what 4 GiB would give.
const UNKNOWN: u64 = CEILING;

/// The default page-cache size for this machine, in bytes.
pub fn default_cache_capacity() -> u64 {
    capacity_for(usable_memory())
}

fn capacity_for(memory: Option<u64>) -> u64 {
    memory.map_or(UNKNOWN, |bytes| (bytes / 16).clamp(FLOOR, CEILING))
}

/// The memory this process may use: the machine's, or its cgroup's limit when lower.
fn usable_memory() -> Option<u64> {
    let machine = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| mem_total(&text));
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|text| text.trim().parse().ok());
    match (machine, cgroup) {
        (Some(machine), Some(cgroup)) => Some(u64::min(machine, cgroup)),
        (machine, cgroup) => machine.or(cgroup),
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sixteenth_of_memory_within_bounds() {
        assert_eq!(capacity_for(Some(2048 * MIB)), 128 * MIB);
        assert_eq!(capacity_for(Some(64 * 1024 * MIB)), CEILING);
        assert_eq!(capacity_for(Some(256 * MIB)), FLOOR);
        assert_eq!(capacity_for(None), UNKNOWN);
        let capacity = default_cache_capacity();
        assert!((FLOOR..=CEILING).contains(&capacity), "{capacity}");
    }

    #[test]
    fn reads_mem_total() {
        let meminfo = "MemTotal:        8048576 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(meminfo), Some(8_048_576 * 1024));
        assert_eq!(mem_total("nothing"), None);
        // cgroup v2 says "max" when there is no limit: not a number, ignored.
        assert!("max".parse::<u64>().is_err());
    }
}
