//! What conferral's core takes from the operating system, which it never reaches itself:
//! credential ids and key seeds from the OS random generator ([`OsIds`], [`random_seed`]) and
//! the names delivery workers go by ([`worker_id`]).

use conferral::lifecycle::IdSource;

/// Credential ids of 128 bits from the operating system's random generator.
///
/// ```
/// use conferral::lifecycle::{IdSource, is_valid_id};
/// let mut ids = conferral_os::OsIds;
/// let (a, b) = (ids.next_id(), ids.next_id());
/// assert!(is_valid_id(&a) && a != b);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct OsIds;

impl IdSource for OsIds {
    fn next_id(&mut self) -> String {
        let mut bytes = [0u8; 16];
        // Without a generator the id is empty, which the issuer refuses, so nothing is ever
        // issued under a guessable id.
        if getrandom::fill(&mut bytes).is_err() {
            return String::new();
        }
        conferral::ids::encode(bytes)
    }
}

/// The id of delivery worker `index` of this process: `host:pid:index`, so that status can
/// say which machine and process hold leases. The host name is the kernel's (Linux), else
/// `HOSTNAME`, else `localhost`.
pub fn worker_id(index: usize) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}:{index}", std::process::id())
}

/// 32 bytes from the operating system's random generator (an issuer key's seed), or `None`
/// when it gives none.
pub fn random_seed() -> Option<[u8; 32]> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).ok()?;
    Some(seed)
}
