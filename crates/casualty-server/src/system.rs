//! Readings of the process and the host for metrics and the full health check: memory and CPU
//! time from Linux's `/proc`, and free disk space from `statvfs`.
//!
//! On systems without `/proc` the memory and CPU readings are `None`, and callers leave those
//! values out.

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

/// Memory of this process, from `/proc/self/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessMemory {
    /// Resident set size (`VmRSS`) in bytes.
    pub rss_bytes: u64,
    /// Virtual memory size (`VmSize`) in bytes.
    pub vms_bytes: u64,
}

/// Memory of the host, from `/proc/meminfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostMemory {
    /// `MemTotal` in bytes.
    pub total_bytes: u64,
    /// `MemAvailable` in bytes: memory that new allocations can get without swapping.
    pub available_bytes: u64,
}

impl HostMemory {
    /// Returns the share of memory in use, `100 * (total - available) / total`.
    pub fn percent_used(&self) -> f64 {
        percent_used(self.total_bytes, self.available_bytes)
    }
}

/// Space of the file system that contains a folder, from `statvfs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Size of the file system in bytes.
    pub total_bytes: u64,
    /// Bytes that an unprivileged process can still write.
    pub available_bytes: u64,
}

impl DiskSpace {
    /// Returns the share of space that unprivileged processes can no longer use,
    /// `100 * (total - available) / total`. Blocks reserved for root count as used.
    pub fn percent_used(&self) -> f64 {
        percent_used(self.total_bytes, self.available_bytes)
    }
}

fn percent_used(total: u64, available: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    100.0 * total.saturating_sub(available) as f64 / total as f64
}

/// Reads `VmRSS` and `VmSize` of this process.
pub fn process_memory() -> Option<ProcessMemory> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(ProcessMemory { rss_bytes: kilobyte_field(&status, "VmRSS:")?, vms_bytes: kilobyte_field(&status, "VmSize:")? })
}

/// Reads `MemTotal` and `MemAvailable` of the host.
pub fn host_memory() -> Option<HostMemory> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    Some(HostMemory { total_bytes: kilobyte_field(&meminfo, "MemTotal:")?, available_bytes: kilobyte_field(&meminfo, "MemAvailable:")? })
}

/// Reads the space of the file system that contains `folder`.
///
/// # Errors
/// `statvfs` fails, for example because the folder does not exist.
// `fragment_size` and the block counts are 32-bit on some targets, so the conversions are kept.
#[allow(clippy::useless_conversion)]
pub fn disk_space(folder: &Path) -> std::io::Result<DiskSpace> {
    let stats = nix::sys::statvfs::statvfs(folder).map_err(std::io::Error::from)?;
    let fragment = u64::from(stats.fragment_size());
    Ok(DiskSpace { total_bytes: u64::from(stats.blocks()).saturating_mul(fragment), available_bytes: u64::from(stats.blocks_available()).saturating_mul(fragment) })
}

/// Returns the value of a `Name:   1234 kB` line of a `/proc` file, in bytes.
fn kilobyte_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    let kilobytes: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kilobytes.saturating_mul(1024))
}

/// Returns the CPU time of this process, user plus system, in clock ticks (`utime` and `stime`
/// of `/proc/self/stat`).
fn process_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name in brackets may contain spaces, so fields are counted after its `)`.
    // `state` is field 3 of proc_pid_stat(5); `utime` and `stime` are fields 14 and 15.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// CPU use of this process between successive samples.
#[derive(Debug, Default)]
pub struct CpuSampler {
    last: Mutex<Option<(Instant, u64)>>,
}

impl CpuSampler {
    /// Returns the CPU time this process used since the previous call, as a percentage of the
    /// wall time in between: 100 is one core kept busy, so the value can exceed 100 on a machine
    /// with several cores. The first call, and a call less than 100 ms after the previous one,
    /// returns `None` because the tick resolution makes a short interval meaningless.
    pub fn sample(&self) -> Option<f64> {
        let ticks = process_cpu_ticks()?;
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some((then, then_ticks)) = *last else {
            *last = Some((now, ticks));
            return None;
        };
        let elapsed = now.duration_since(then).as_secs_f64();
        if elapsed < 0.1 {
            return None;
        }
        *last = Some((now, ticks));
        let per_second = clock_ticks_per_second()?;
        let busy_seconds = ticks.saturating_sub(then_ticks) as f64 / per_second;
        Some(100.0 * busy_seconds / elapsed)
    }
}

/// Returns the kernel's clock tick rate (`sysconf(_SC_CLK_TCK)`), the unit of `/proc` CPU times.
fn clock_ticks_per_second() -> Option<f64> {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => Some(ticks as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kilobyte_field_reads_bytes() {
        let text = "Name:\tcasualty\nVmSize:\t  123456 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(kilobyte_field(text, "VmRSS:"), Some(2048 * 1024));
        assert_eq!(kilobyte_field(text, "VmSize:"), Some(123_456 * 1024));
        assert_eq!(kilobyte_field(text, "VmSwap:"), None);
    }

    #[test]
    fn percent_used_handles_zero_total() {
        assert_eq!(percent_used(0, 0), 0.0);
        assert_eq!(percent_used(200, 50), 75.0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn readings_available_on_linux() {
        let process = process_memory().expect("/proc/self/status is readable");
        assert!(process.rss_bytes > 0, "resident memory is positive");
        assert!(process.vms_bytes >= process.rss_bytes, "virtual memory includes resident memory");
        let host = host_memory().expect("/proc/meminfo is readable");
        assert!(host.available_bytes <= host.total_bytes);
        assert!(process_cpu_ticks().is_some());
        let disk = disk_space(Path::new(".")).expect("statvfs works on the current folder");
        assert!(disk.available_bytes <= disk.total_bytes);
    }
}
