//! Every process the runner starts, so that none outlives it.
//!
//! Each case runs in its own process group, registered here while it runs.
//! On Linux the runner becomes a child subreaper (`PR_SET_CHILD_SUBREAPER`):
//! a process that leaves its group and its parent (`setsid`, double fork) is
//! reparented to the runner instead of init, where `kill_orphans` finds it.
//! On SIGINT or SIGTERM, `install_stop_handler`'s thread kills every
//! registered group and every orphan, runs the caller's clean-up (stopping
//! the wineserver) and exits with status 130.
//!
//! Rule: once the runner is a subreaper, every child is started through
//! `spawn_tracked`, or `kill_orphans` would take it for a leftover.

use std::collections::BTreeSet;
use std::io;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Process ids (each the leader of its own group) of the children running now.
static LIVE: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());
/// Set once a stop began: no new child starts.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// Whether this process is a child subreaper.
static SUBREAPER: AtomicBool = AtomicBool::new(false);
/// An environment entry (`WINEPREFIX=…`) that marks orphans spared until the
/// end: Wine's service processes, which a case's Wine may start, which other
/// cases share, and which `wineserver -k` ends with the run.
static SPARED: Mutex<Option<String>> = Mutex::new(None);

/// Spares orphans whose environment holds `entry` (`NAME=value`) from
/// `kill_orphans`, but not from a stop.
pub fn spare_orphans_with(entry: String) {
    *SPARED.lock().unwrap_or_else(|e| e.into_inner()) = Some(entry);
}

/// Starts `command` (which must put the child in a process group of its own)
/// and registers it. Refused once a stop began.
pub fn spawn_tracked(command: &mut Command) -> io::Result<Child> {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    if STOPPING.load(Ordering::SeqCst) {
        return Err(io::Error::new(io::ErrorKind::Interrupted, "the suite is stopping"));
    }
    // Spawned under the lock: an orphan scan never sees an unregistered child.
    let child = command.spawn()?;
    live.insert(child.id());
    Ok(child)
}

/// Kills what is left of `pid`'s process group, forgets it, and kills any
/// orphan it left (a process that escaped the group).
pub fn finish(pid: u32) {
    kill_group(pid);
    // The group's processes die asynchronously; their escaped children are
    // reparented to us only then.
    wait_group_gone(pid, Duration::from_millis(500));
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).remove(&pid);
    kill_orphans(false);
}

/// Waits until no live (non-zombie) process is left in group `pgid`.
fn wait_group_gone(pgid: u32, limit: Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < limit && group_alive(pgid) {
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Whether a live (non-zombie) process is in group `pgid`.
fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else { return false };
    entries.flatten().any(|entry| {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { return false };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
        let Some((_, rest)) = stat.rsplit_once(") ") else { return false };
        let mut fields = rest.split(' ');
        let state = fields.next().unwrap_or("");
        let process_group = fields.nth(1).and_then(|g| g.parse::<u32>().ok());
        process_group == Some(pgid) && state != "Z" && state != "X"
    })
}

/// Kills process group `pgid` with SIGKILL.
pub fn kill_group(pgid: u32) {
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe { libc::kill(-(pgid as i32), libc::SIGKILL) };
}

/// Makes this process a child subreaper (Linux). Returns whether it is one.
pub fn become_subreaper() -> bool {
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) only sets a flag of this process.
    let ok = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == 0;
    SUBREAPER.store(ok, Ordering::SeqCst);
    ok
}

/// Whether a stop (SIGINT, SIGTERM) began.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// Once a stop began, waits for the stop handler to end the process: the
/// killed cases' outcomes must not become a report.
pub fn park_if_stopping() {
    while stopping() {
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Kills and reaps every child of this process that is not registered: as
/// a subreaper, those are descendants of cases whose parents ended. Unless
/// `all`, spared ones (`spare_orphans_with`) stay. Returns how many it killed.
pub fn kill_orphans(all: bool) -> usize {
    if !SUBREAPER.load(Ordering::SeqCst) {
        return 0;
    }
    let spared = if all { None } else { SPARED.lock().unwrap_or_else(|e| e.into_inner()).clone() };
    let is_spared = |pid: &u32| {
        spared.as_ref().is_some_and(|entry| {
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            environ.split(|&b| b == 0).any(|var| var == entry.as_bytes())
        })
    };
    let mut n_killed = 0;
    // Killing an orphan can orphan its own children (reparented to us a
    // moment later): repeat until a round after the last kill finds none.
    for _ in 0..100 {
        let orphans: Vec<u32> = {
            let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
            children_of(std::process::id()).into_iter().filter(|pid| !live.contains(pid) && !is_spared(pid)).collect()
        };
        if orphans.is_empty() {
            break;
        }
        for &pid in &orphans {
            kill_group(pid);
            // SAFETY: kill(2) on one process id; no memory is involved.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            reap(pid);
            n_killed += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    n_killed
}

/// Waits (briefly) for a killed child to end, so it leaves no zombie.
fn reap(pid: u32) {
    for _ in 0..500 {
        let mut status = 0;
        // SAFETY: waitpid(2) on one of our children with a valid status pointer.
        let got = unsafe { libc::waitpid(pid as i32, &mut status, libc::WNOHANG) };
        if got != 0 {
            return; // reaped, or not our child any more
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The ids of the processes whose parent is `parent`, from `/proc`.
pub fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut children = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, rest)| rest) else { continue };
        let ppid = rest.split(' ').nth(1).and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            children.push(pid);
        }
    }
    children
}

/// The write end of the pipe the signal handler writes to.
static SIGNAL_PIPE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

extern "C" fn on_stop_signal(signal: libc::c_int) {
    let byte = signal as u8;
    // SAFETY: write(2) is async-signal-safe; the buffer is one byte on this stack.
    unsafe { libc::write(SIGNAL_PIPE.load(Ordering::Relaxed), (&byte as *const u8).cast(), 1) };
}

/// Installs handlers for SIGINT and SIGTERM (a self-pipe, read by a thread
/// of its own). On the first signal it stops everything: no new child
/// starts, every registered group and every orphan is killed, `clean_up`
/// runs, and the process exits with 130.
///
/// Handlers, not a blocked mask: a child inherits a signal mask, but its
/// handlers are reset to the default when it execs, so the cases (and
/// Wine's server, which must answer `wineserver -k`) start as anywhere else.
pub fn install_stop_handler(clean_up: impl FnOnce() -> String + Send + 'static) {
    let mut fds = [0; 2];
    // SAFETY: pipe2(2) writes two descriptors into a valid two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        eprintln!("conformance: warning: no stop handler (cannot create a pipe): SIGINT ends the runner at once");
        return;
    }
    SIGNAL_PIPE.store(fds[1], Ordering::Relaxed);
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction(2) with a zeroed struct whose handler is a valid
        // extern "C" function that only calls write(2).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_stop_signal as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
    let read_end = fds[0];
    std::thread::spawn(move || {
        let mut byte = 0u8;
        // SAFETY: read(2) of one byte into a valid buffer from our own pipe.
        while unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) } != 1 {}
        let signal = i32::from(byte);
        let started = std::time::Instant::now();
        let groups: Vec<u32> = {
            let live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
            STOPPING.store(true, Ordering::SeqCst);
            for &pid in live.iter() {
                kill_group(pid);
            }
            live.iter().copied().collect()
        };
        let n_groups = groups.len();
        for pgid in groups {
            wait_group_gone(pgid, Duration::from_secs(1));
        }
        let n_orphans = kill_orphans(true);
        let note = clean_up();
        let name = if signal == libc::SIGINT { "SIGINT" } else { "SIGTERM" };
        eprintln!(
            "conformance: stopped by {name}: killed {n_groups} running case(s) and {n_orphans} leftover process(es){note} \
             in {} ms; no report was written",
            started.elapsed().as_millis()
        );
        std::process::exit(130);
    });
}
