//! CPU time from Linux's /proc: of this process, of some of its threads (the in-process echo
//! server runs on threads of its own, so that its cost can be told from the client's), and of
//! another process (the server, given its PID). Reading files keeps `unsafe` and libc out of our
//! code; the price is the resolution of /proc, one clock tick (10 ms), small beside seconds of load.

use std::path::Path;
use std::time::Duration;

/// The kernel reports CPU time in clock ticks of USER_HZ, which Linux fixes at 100 per second for
/// user space on every architecture it runs on today.
const TICKS_PER_SECOND: u64 = 100;

/// CPU time spent in user space and in the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: Duration,
    pub system: Duration,
}

impl CpuTimes {
    pub fn total(&self) -> Duration {
        self.user + self.system
    }

    /// The time spent between two readings (zero rather than negative if a thread went away).
    pub fn since(&self, earlier: &CpuTimes) -> CpuTimes {
        CpuTimes { user: self.user.saturating_sub(earlier.user), system: self.system.saturating_sub(earlier.system) }
    }

    fn add(&mut self, other: CpuTimes) {
        self.user += other.user;
        self.system += other.system;
    }
}

/// This process, all threads.
pub fn this_process() -> Option<CpuTimes> {
    read_stat(Path::new("/proc/self/stat"))
}

/// Another process, all threads.
pub fn process(pid: u32) -> Option<CpuTimes> {
    read_stat(Path::new(&format!("/proc/{pid}/stat")))
}

/// The threads of this process whose name starts with `prefix`.
pub fn threads_named(prefix: &str) -> Option<CpuTimes> {
    let mut sum = CpuTimes::default();
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        if let Some((name, times)) = parse_stat(&text)
            && name.starts_with(prefix)
        {
            sum.add(times);
        }
    }
    Some(sum)
}

fn read_stat(path: &Path) -> Option<CpuTimes> {
    parse_stat(&std::fs::read_to_string(path).ok()?).map(|(_, times)| times)
}

/// Parses a `stat` line: `pid (name) state ... utime stime ...`. The name may hold spaces and
/// parentheses, so the fields are counted from its last closing parenthesis; utime and stime are
/// fields 14 and 15 of the line, the 12th and 13th after the name.
fn parse_stat(text: &str) -> Option<(&str, CpuTimes)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?;
    let mut fields = text.get(close + 1..)?.split_ascii_whitespace().skip(11);
    let ticks = |field: Option<&str>| field.and_then(|f| f.parse::<u64>().ok());
    let (user, system) = (ticks(fields.next())?, ticks(fields.next())?);
    let duration = |ticks: u64| Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND);
    Some((name, CpuTimes { user: duration(user), system: duration(system) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_stat_line_whose_name_has_spaces_and_parentheses() {
        let line = "4242 (kw echo (1)) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 37 0 0 20 0 3 0 100 0 0";
        let (name, times) = parse_stat(line).unwrap();
        assert_eq!(name, "kw echo (1)");
        assert_eq!(times.user, Duration::from_millis(2500));
        assert_eq!(times.system, Duration::from_millis(370));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process_and_its_threads() {
        assert!(this_process().is_some());
        assert!(
            threads_named("")
                .is_some_and(|all| all.total() <= this_process().unwrap().total() + Duration::from_millis(50))
        );
    }
}
