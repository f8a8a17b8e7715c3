//! Running one child process: a time limit, bounded output, a controlled
//! environment, its own process group, and optionally an address-space limit.
//!
//! Output is read from pipes while the child runs and kept up to a cap per
//! stream; a child that writes past the cap is stopped there (`OutputLimit`),
//! so a flooding runtime costs neither memory nor disk nor time. When the
//! child ends, what is left of its process group is killed and the pipes are
//! drained for a short grace period only: a process that escaped the group
//! and holds a pipe (Wine's helpers can) cannot keep the runner waiting.
//!
//! The child's environment is built from an allowlist (`child_env`): the
//! dynamic loader's variables, QEMU's and Wine's settings from the caller's
//! shell never reach a case.

use std::ffi::OsString;
use std::io::Read as _;
use std::os::fd::AsRawFd as _;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// How a child process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// It was killed by this signal.
    Signalled(i32),
    /// It ran past the time limit and was killed.
    TimedOut,
    /// It wrote more than the cap to this stream (`stdout` or `stderr`) and was killed.
    OutputLimit(&'static str),
}

/// What a child wrote to one stream: at most the cap, and how much in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stream {
    pub bytes: Vec<u8>,
    /// Bytes written, kept or not.
    pub total: u64,
}

impl Stream {
    pub fn truncated(&self) -> bool {
        self.total > self.bytes.len() as u64
    }
}

impl From<&[u8]> for Stream {
    fn from(bytes: &[u8]) -> Stream {
        Stream { bytes: bytes.to_vec(), total: bytes.len() as u64 }
    }
}

/// What a child process did.
#[derive(Clone, Debug)]
pub struct Captured {
    pub ended: Ended,
    pub stdout: Stream,
    pub stderr: Stream,
    pub duration: Duration,
}

/// The limits one child runs under.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub time: Duration,
    /// Bytes kept per stream; past it the child is stopped.
    pub output_cap: usize,
    /// `RLIMIT_AS` in bytes, for children that run natively.
    pub address_space: Option<u64>,
    /// Run with `personality(ADDR_NO_RANDOMIZE)`: a fixed address layout
    /// (`Platform::fixed_address_layout`).
    pub fixed_address_layout: bool,
    /// Make the child's stdout and stderr non-blocking pipes of 4 KiB, so
    /// that its writes come back short or refused (`EAGAIN`) while the
    /// runner has not read yet (`Case::nonblocking_output`).
    pub nonblocking_output: bool,
}

/// The default cap on each captured stream: 1 MiB.
pub const DEFAULT_OUTPUT_CAP: usize = 1 << 20;

/// How long a slow reader waits before each read (`Limits::nonblocking_output`).
const SLOW_READER: Duration = Duration::from_millis(10);

/// How long the pipes are drained after the child's group was killed.
const DRAIN_GRACE: Duration = Duration::from_millis(200);

/// Variables a child inherits from the runner's environment; everything else
/// is dropped (the loader's `LD_*`, `QEMU_*`, `WINE*`, the caller's own).
pub const INHERITED_VARIABLES: [&str; 8] = ["PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "LANG", "LC_ALL", "TZ"];

/// The environment of a child: the allowlisted variables of `inherited`,
/// then `extra` (the platform's runner settings, the Wine prefix), sorted.
pub fn child_env(
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    extra: &[(String, String)],
) -> Vec<(OsString, OsString)> {
    let mut env: std::collections::BTreeMap<OsString, OsString> =
        inherited.into_iter().filter(|(name, _)| INHERITED_VARIABLES.iter().any(|v| name == v)).collect();
    for (name, value) in extra {
        env.insert(name.into(), value.into());
    }
    env.into_iter().collect()
}

/// Runs `command` (its program, arguments, directory and environment already
/// set; the environment is replaced by exactly `env`) under `limits`.
/// An error means the child could not be started.
pub fn run_with_limit(mut command: Command, env: &[(OsString, OsString)], limits: &Limits) -> anyhow::Result<Captured> {
    command.env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    if let Some(bytes) = limits.address_space {
        let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
        // SAFETY: the closure runs in the child between fork and exec and only
        // calls setrlimit(2), which is async-signal-safe, on a stack value.
        unsafe {
            command.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    if limits.fixed_address_layout {
        without_address_randomization(&mut command);
    }
    if limits.nonblocking_output {
        // SAFETY: the closure runs in the child between fork and exec and only
        // calls fcntl(2), which is async-signal-safe, on its own descriptors.
        unsafe {
            command.pre_exec(|| {
                for fd in [1, 2] {
                    libc::fcntl(fd, libc::F_SETPIPE_SZ, 4096);
                    let flags = libc::fcntl(fd, libc::F_GETFL);
                    if flags == -1 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == -1 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
    }
    let started = Instant::now();
    let mut child = crate::procs::spawn_tracked(&mut command)
        .with_context(|| format!("cannot start {:?}", command.get_program()))?;
    let pid = child.id();
    let result = supervise(&mut child, limits, started);
    crate::procs::finish(pid);
    result
}

/// Reads the child's pipes until it ends, is stopped, or floods.
fn supervise(child: &mut std::process::Child, limits: &Limits, started: Instant) -> anyhow::Result<Captured> {
    let mut pipes = [
        Pipe::new(std::os::fd::OwnedFd::from(child.stdout.take().context("no stdout pipe")?).into(), "stdout")?,
        Pipe::new(std::os::fd::OwnedFd::from(child.stderr.take().context("no stderr pipe")?).into(), "stderr")?,
    ];
    let mut ended = None;
    let mut drain_until = None;
    loop {
        let open: Vec<usize> = (0..2).filter(|&i| !pipes[i].closed).collect();
        if limits.nonblocking_output && ended.is_none() {
            // A slow reader, so that the child's writes to its small
            // non-blocking pipes do come back refused, on every platform.
            std::thread::sleep(SLOW_READER);
        }
        if !open.is_empty() {
            let mut fds: Vec<libc::pollfd> =
                open.iter().map(|&i| libc::pollfd { fd: pipes[i].fd(), events: libc::POLLIN, revents: 0 }).collect();
            // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures.
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 5) };
            for &i in &open {
                pipes[i].read_available(limits.output_cap);
                if ended.is_none() && pipes[i].stream.truncated() {
                    crate::procs::kill_group(child.id());
                    ended = Some(Ended::OutputLimit(pipes[i].name));
                }
            }
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
        if ended.is_none() {
            if let Some(status) = child.try_wait()? {
                ended = Some(match (status.code(), status.signal()) {
                    (Some(code), _) => Ended::Exited(code),
                    (None, Some(signal)) => Ended::Signalled(signal),
                    (None, None) => unreachable!("a process ends by exit or by signal"),
                });
            } else if started.elapsed() >= limits.time {
                ended = Some(Ended::TimedOut);
            }
        }
        if ended.is_some() && drain_until.is_none() {
            // Whatever the program left running in its group goes with it.
            crate::procs::kill_group(child.id());
            drain_until = Some(Instant::now() + DRAIN_GRACE);
        }
        if let Some(deadline) = drain_until
            && (pipes.iter().all(|p| p.closed) || Instant::now() >= deadline)
        {
            break;
        }
    }
    let duration = started.elapsed();
    child.wait()?;
    let [stdout, stderr] = pipes.map(|p| p.stream);
    Ok(Captured { ended: ended.expect("the loop ends once the child ended"), stdout, stderr, duration })
}

/// One non-blocking pipe from the child.
struct Pipe {
    reader: std::fs::File,
    name: &'static str,
    stream: Stream,
    closed: bool,
}

impl Pipe {
    fn new(reader: std::fs::File, name: &'static str) -> anyhow::Result<Pipe> {
        let fd = reader.as_raw_fd();
        // SAFETY: fcntl(2) on a file descriptor this process owns.
        let ok = unsafe { libc::fcntl(fd, libc::F_SETFL, libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK) } != -1;
        anyhow::ensure!(ok, "cannot make the child's {name} non-blocking");
        Ok(Pipe { reader, name, stream: Stream::default(), closed: false })
    }

    fn fd(&self) -> i32 {
        self.reader.as_raw_fd()
    }

    /// Reads what is there, keeping at most `cap` bytes and counting the rest.
    fn read_available(&mut self, cap: usize) {
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    return;
                }
                Ok(n) => {
                    let room = cap.saturating_sub(self.stream.bytes.len()).min(n);
                    self.stream.bytes.extend_from_slice(&buf[..room]);
                    self.stream.total += n as u64;
                    if self.stream.truncated() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.closed = true;
                    return;
                }
            }
        }
    }
}

/// Makes `command`'s process run without address-space randomization
/// (`personality(ADDR_NO_RANDOMIZE)`): Wine's start-up needs it on Debian
/// (ARCHITECTURE.md, "Wine's start-up and ASLR").
pub fn without_address_randomization(command: &mut Command) -> &mut Command {
    // SAFETY: the closure runs in the child between fork and exec and only
    // calls personality(2), which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            // 0xffffffff queries the current persona without changing it.
            let current = libc::personality(0xffff_ffff);
            if current == -1 || libc::personality((current | libc::ADDR_NO_RANDOMIZE) as libc::c_ulong) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}
