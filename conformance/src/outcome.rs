//! From what a child process did to what the runtime did: crashes told apart
//! from exits the way each runner reports them, and the runner's own lines
//! (Wine, QEMU) removed so that one golden holds on every platform; every
//! byte shown (`normalise`); and which endings are the environment's fault
//! (`broken`), not the runtime's.

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
        if let Some(what) = wine_crash_line(line, &captured.ended) {
            crash.get_or_insert(what);
        } else if let Some(rest) = line.strip_prefix("wine: Unhandled ") {
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
    let raw_stderr = normalise(&captured.stderr.bytes);
    if wine && raw_stderr.lines().any(|l| strip_thread_id(l).starts_with("err:virtual:virtual_alloc_first_teb")) {
        return Some(
            "Wine could not map its shared user data at start-up (an address conflict, before the program ran)"
                .to_owned(),
        );
    }
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

/// Wine's error lines for a program killed by an exception that Wine never
/// took to the program's top-level filter, so no `wine: Unhandled` line
/// follows (the platform file enables `err:seh` and `err:virtual`):
///
/// - `err:seh:NtRaiseException Exception frame is not in stack limits =>
///   unable to dispatch exception.`: the unwinder left the TEB's stack
///   bounds, as it does from a crash on a segment, whose frames chain to
///   earlier segments; the exit status is the exception code's low byte;
/// - `err:virtual:virtual_setup_exception stack overflow …`: no room below
///   the stack pointer for the exception's record (Wine then exits 1).
fn wine_crash_line(line: &str, ended: &Ended) -> Option<String> {
    let line = strip_thread_id(line.trim_end());
    if line.starts_with("err:seh:NtRaiseException Exception frame is not in stack limits") {
        let code = match ended {
            Ended::Exited(code) => *code & 0xff,
            _ => return Some("an exception Wine could not dispatch".to_owned()),
        };
        // The low byte of the NTSTATUS exception codes a crash raises.
        let what = match code {
            0x05 => "access violation",
            0x1d => "illegal instruction",
            0xfd => "stack overflow",
            0x03 => "breakpoint",
            0x94 => "integer divide by zero",
            _ => "exception",
        };
        return Some(format!("{what} (exception code ending 0x{code:02x}) that Wine could not dispatch"));
    }
    if line.starts_with("err:virtual:virtual_setup_exception stack overflow") {
        return Some("stack overflow: no room for the exception record below the stack pointer".to_owned());
    }
    None
}

/// A Wine debug line without its `0024:` thread id, when it has one.
fn strip_thread_id(line: &str) -> &str {
    match line.split_once(':') {
        Some((id, rest)) if id.len() == 4 && id.chars().all(|c| c.is_ascii_hexdigit()) => rest,
        _ => line,
    }
}

/// Lines the runner (Wine, QEMU) writes on its own account.
fn is_runner_line(line: &str) -> bool {
    let line = line.trim_end();
    if line.starts_with("wine: ") || line.starts_with("qemu: ") || line.starts_with("qemu-aarch64: ") {
        return true;
    }
    // Wine's debug channels, `0024:fixme:ntdll:NtQuerySystemInformation …`,
    // also without the thread id (before Wine's threads exist).
    let mut parts = strip_thread_id(line).splitn(3, ':');
    if let (Some(class), Some(channel), Some(_)) = (parts.next(), parts.next(), parts.next())
        && matches!(class, "fixme" | "err" | "warn" | "trace")
        && !channel.is_empty()
        && channel.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return true;
    }
    false
}

/// Output as golden text, with nothing lost: every byte that is not
/// printable UTF-8 is written `\xNN` (invalid UTF-8, NUL, a lone CR, other
/// control characters but newline and tab), and a backslash `\\`, so that
/// two different outputs never read the same. CRLF stays CRLF: a runtime
/// that adds CRs is wrong on every platform.
pub fn normalise(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                '\n' | '\t' => text.push(c),
                c if c.is_ascii_control() => text.push_str(&format!("\\x{:02x}", c as u32)),
                c if c.is_control() => text.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => text.push(c),
            }
        }
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
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
