//! From what a child process did to what the runtime did: crashes told apart
//! from exits the way each runner reports them, and the runner's own lines
//! (Wine, QEMU) and CRLF removed so that one golden holds on every platform;
//! and which endings are the environment's fault (`broken`), not the runtime's.

use serde::{Deserialize, Serialize};

use crate::run::{Captured, Ended};

/// The outcome of one case, as reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// A failure the runtime's expectations list.
    Xfail,
    /// A listed failure that passed: an error, so lists get cleaned.
    Xpass,
    /// The case needs a capability the runtime does not declare.
    Unsupported,
    Crash,
    Timeout,
    /// The environment, not the runtime: a runner missing, a binary it cannot start.
    Broken,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Xfail => "xfail",
            Outcome::Xpass => "xpass",
            Outcome::Unsupported => "unsupported",
            Outcome::Crash => "crash",
            Outcome::Timeout => "timeout",
            Outcome::Broken => "broken",
        }
    }

    /// Whether a run with this outcome stays green.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::Xfail | Outcome::Unsupported)
    }

    /// Whether the case ran and did not pass: a repro script helps.
    pub fn deserves_repro(self) -> bool {
        !matches!(self, Outcome::Pass | Outcome::Unsupported)
    }

    /// Whether the runtime failed the case (as opposed to the environment,
    /// or a pass).
    pub fn is_runtime_failure(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Crash | Outcome::Timeout)
    }
}

/// How the program under test ended, once the runner's view is taken off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Termination {
    /// It exited with this status (0..=255 on every platform).
    Exit(i32),
    /// It crashed; the text says how ("SIGSEGV", "page fault on read access").
    Crash(String),
    /// It ran past its time limit.
    Timeout,
    /// It wrote more than the cap to this stream and was stopped.
    OutputLimit(&'static str),
}

/// What the program under test did, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub termination: Termination,
    pub stdout: String,
    pub stderr: String,
}

/// Normalises a captured run. `wine` says whether the runner was Wine.
pub fn observe(captured: &Captured, wine: bool) -> Observed {
    let stdout = normalise(&captured.stdout.bytes);
    let raw_stderr = normalise(&captured.stderr.bytes);
    let mut crash = None;
    let mut stderr = String::new();
    for line in raw_stderr.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("wine: Unhandled ") {
            // "wine: Unhandled page fault on read access to 0 at address ..., starting debugger..."
            let what = rest.split(" at address").next().unwrap_or(rest).trim();
            crash = Some(what.to_owned());
        } else if let Some(rest) = line.strip_prefix("qemu: uncaught target signal ") {
            // "qemu: uncaught target signal 11 (Segmentation fault) - core dumped"
            let number = rest.split(' ').next().and_then(|n| n.parse().ok());
            crash = Some(number.map_or_else(|| rest.trim().to_owned(), signal_name));
        } else if !is_runner_line(line) {
            stderr.push_str(line);
        }
    }
    let termination = match &captured.ended {
        Ended::TimedOut => Termination::Timeout,
        Ended::OutputLimit(stream) => Termination::OutputLimit(stream),
        Ended::Signalled(signal) => Termination::Crash(crash.unwrap_or_else(|| signal_name(*signal))),
        Ended::Exited(_) if crash.is_some() => Termination::Crash(crash.unwrap()),
        // Wine passes on the low byte of the Windows exit code.
        Ended::Exited(code) if wine => Termination::Exit(code & 0xff),
        Ended::Exited(code) => Termination::Exit(*code),
    };
    Observed { termination, stdout, stderr }
}

/// Why a run failed for a reason of the environment rather than of the
/// runtime, or `None`: the runner or the program could not be started
/// (exit 126 or 127, as shells and the loader report it), or Wine exited 1
/// with no output at all from the program (Wine's own abort, seen once in
/// about 60 runs). Such a case is `broken`, and is run once more.
pub fn environmental(captured: &Captured, observed: &Observed, wine: bool) -> Option<String> {
    let silent = observed.stdout.is_empty() && observed.stderr.trim().is_empty();
    match captured.ended {
        Ended::Exited(code @ (126 | 127)) => Some(format!(
            "the program could not be started (exit status {code}, as the shell or the dynamic loader reports it)"
        )),
        Ended::Exited(1) if wine && silent && observed.termination == Termination::Exit(1) => Some(
            "Wine exited with status 1 and the program wrote nothing: Wine's own abort (for instance \
             an exception it treats as an unrecoverable stack overflow), not an exit of the program"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Lines the runner (Wine, QEMU) writes on its own account.
fn is_runner_line(line: &str) -> bool {
    let line = line.trim_end();
    if line.starts_with("wine: ") || line.starts_with("qemu: ") || line.starts_with("qemu-aarch64: ") {
        return true;
    }
    // Wine debug channels: "0024:fixme:ntdll:NtQuerySystemInformation ..."
    let mut parts = line.splitn(3, ':');
    let (Some(id), Some(class)) = (parts.next(), parts.next()) else { return false };
    id.len() == 4 && id.chars().all(|c| c.is_ascii_hexdigit()) && matches!(class, "fixme" | "err" | "warn" | "trace")
}

/// Text with CRLF turned into LF; invalid UTF-8 shown with replacement characters.
pub fn normalise(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

/// The kind of a crash, told apart the same way whatever reported it:
/// native signals, QEMU's signals, Wine's exception names.
pub fn crash_kind(how: &str) -> &'static str {
    let how = how.to_ascii_lowercase();
    if how.contains("stack overflow") {
        "stack overflow"
    } else if how.contains("sigsegv")
        || how.contains("sigbus")
        || how.contains("page fault")
        || how.contains("access violation")
    {
        "segfault / access violation"
    } else if how.contains("sigabrt") || how.contains("abort") {
        "abort"
    } else if how.contains("sigill") || how.contains("illegal instruction") {
        "illegal instruction"
    } else if how.contains("sigtrap") || how.contains("breakpoint") {
        "trap"
    } else {
        "other"
    }
}

pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        _ => return format!("signal {signal}"),
    };
    format!("{name} (signal {signal})")
}
