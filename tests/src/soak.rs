//! Memory over a soak (`make load`): samples of a process's resident memory and the verdict
//! "flat" on them.
//!
//! The criterion: after the warm-up, the least-squares slope of VmRSS over the soak's second
//! half is below a threshold (MiB per minute). A leak grows with the traffic, so it shows as a
//! sustained slope to the end; start-up growth (allocator arenas, connection pools, caches
//! filling) is over by then. The mean of the last third against the second third is reported
//! beside it, as a second view of the same question.

use std::time::Duration;

/// One reading of a process's `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mem {
    /// VmRSS: resident now.
    pub rss_kib: u64,
    /// VmHWM: the resident peak so far.
    pub hwm_kib: u64,
}

/// VmRSS and VmHWM of `pid` (None: this process); None when the process is gone.
pub fn proc_memory(pid: Option<u32>) -> Option<Mem> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    let s = std::fs::read_to_string(path).ok()?;
    let field = |name: &str| {
        s.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
    };
    Some(Mem { rss_kib: field("VmRSS:")?, hwm_kib: field("VmHWM:")? })
}

/// A reading `t` seconds after the soak started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub t: f64,
    pub mem: Mem,
}

/// What the criterion says about one process's samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The judged window (s since the soak started): its second half.
    pub from: f64,
    pub to: f64,
    /// Samples in the window.
    pub n: usize,
    /// Least-squares slope of VmRSS over the window, MiB per minute.
    pub slope_mib_min: f64,
    /// Mean VmRSS (MiB) over the second and the last third of the soak.
    pub second_third_mib: f64,
    pub last_third_mib: f64,
    pub threshold_mib_min: f64,
    pub flat: bool,
}

/// Fewer samples than this in the judged window: no verdict (the soak was too short).
pub const MIN_SAMPLES: usize = 5;

/// The warm-up left out of the reported series: the first minute, or the first third of a
/// shorter soak.
pub fn warm_up(soak: Duration) -> f64 {
    (soak.as_secs_f64() / 3.0).min(60.0)
}

fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

fn mean(v: &[&Sample]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    mib(v.iter().map(|s| s.mem.rss_kib as f64).sum::<f64>() / v.len() as f64)
}

/// Least-squares slope of VmRSS in MiB per minute; None under two distinct times.
pub fn slope_mib_min(v: &[&Sample]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let n = v.len() as f64;
    let (mt, my) =
        (v.iter().map(|s| s.t).sum::<f64>() / n, v.iter().map(|s| mib(s.mem.rss_kib as f64)).sum::<f64>() / n);
    let var: f64 = v.iter().map(|s| (s.t - mt).powi(2)).sum();
    if var == 0.0 {
        return None;
    }
    let cov: f64 = v.iter().map(|s| (s.t - mt) * (mib(s.mem.rss_kib as f64) - my)).sum();
    Some(cov / var * 60.0)
}

/// The verdict on samples of a soak of `soak`; None with fewer than [`MIN_SAMPLES`] in its
/// second half.
pub fn verdict(samples: &[Sample], soak: Duration, threshold_mib_min: f64) -> Option<Verdict> {
    let end = soak.as_secs_f64();
    let within = |a: f64, b: f64| samples.iter().filter(|s| s.t >= a && s.t <= b).collect::<Vec<_>>();
    let half = within(end / 2.0, end);
    if half.len() < MIN_SAMPLES {
        return None;
    }
    let slope = slope_mib_min(&half)?;
    Some(Verdict {
        from: end / 2.0,
        to: end,
        n: half.len(),
        slope_mib_min: slope,
        second_third_mib: mean(&within(end / 3.0, 2.0 * end / 3.0)),
        last_third_mib: mean(&within(2.0 * end / 3.0, end)),
        threshold_mib_min,
        flat: slope < threshold_mib_min,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One sample every 2 s for `secs`, VmRSS from `mib_at(t)`.
    fn series(secs: u64, mib_at: impl Fn(f64) -> f64) -> Vec<Sample> {
        (0..=secs / 2)
            .map(|i| {
                let t = i as f64 * 2.0;
                let rss_kib = (mib_at(t) * 1024.0) as u64;
                Sample { t, mem: Mem { rss_kib, hwm_kib: rss_kib } }
            })
            .collect()
    }

    const SOAK: Duration = Duration::from_secs(300);

    #[test]
    fn a_plateau_after_the_warm_up_is_flat() {
        // 40 MiB climbing to 60 in the first 100 s, then ±0.5 MiB of noise.
        let s = series(300, |t| if t < 100.0 { 40.0 + t / 5.0 } else { 60.0 + 0.5 * (t / 7.0).sin() });
        let v = verdict(&s, SOAK, 1.0).unwrap();
        assert!(v.flat, "{v:?}");
        assert!(v.slope_mib_min.abs() < 0.3, "{v:?}");
        assert_eq!((v.from, v.to), (150.0, 300.0));
        assert_eq!(v.n, 76);
        assert!((v.last_third_mib - v.second_third_mib).abs() < 0.5, "{v:?}");
    }

    #[test]
    fn steady_growth_to_the_end_is_not_flat() {
        // 1.5 MiB a minute, the whole soak.
        let s = series(300, |t| 50.0 + 1.5 * t / 60.0);
        let v = verdict(&s, SOAK, 1.0).unwrap();
        assert!(!v.flat, "{v:?}");
        assert!((v.slope_mib_min - 1.5).abs() < 0.01, "{v:?}");
        assert!(v.last_third_mib > v.second_third_mib + 2.0, "{v:?}");
        // Below a looser threshold it passes: the threshold is what decides.
        assert!(verdict(&s, SOAK, 2.0).unwrap().flat);
    }

    #[test]
    fn growth_that_only_starts_late_is_caught() {
        let s = series(300, |t| if t < 200.0 { 60.0 } else { 60.0 + 3.0 * (t - 200.0) / 60.0 });
        assert!(!verdict(&s, SOAK, 1.0).unwrap().flat);
    }

    #[test]
    fn too_short_a_soak_gets_no_verdict() {
        let s = series(6, |_| 50.0);
        assert_eq!(verdict(&s, Duration::from_secs(6), 1.0), None);
        assert_eq!(verdict(&[], SOAK, 1.0), None);
    }

    #[test]
    fn warm_up_is_a_minute_or_a_third() {
        assert_eq!(warm_up(SOAK), 60.0);
        assert_eq!(warm_up(Duration::from_secs(60)), 20.0);
    }

    #[test]
    fn reads_memory_of_a_live_process_and_none_of_a_gone_one() {
        let me = proc_memory(None).unwrap();
        assert!(me.rss_kib > 0 && me.hwm_kib >= me.rss_kib, "{me:?}");
        assert_eq!(proc_memory(Some(std::process::id())).map(|m| m.hwm_kib > 0), Some(true));
        // Past the kernel's pid_max (at most 2^22): no such process.
        assert_eq!(proc_memory(Some(u32::MAX)), None);
    }
}
