//! This machine's name: shown in team presence, and recorded with each evidence file (the file
//! stays in the `evidence/` folder of the machine that kept it; team mode shares the record,
//! not the file).

/// The kernel's host name, else `$HOSTNAME`, else `unknown`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}
