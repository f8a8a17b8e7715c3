//! Golden expectations: what a case's program must print and return, as one
//! text file per case (`expected.txt`), shared by every platform.
//!
//! ```text
//! exit: 7
//! --- stdout
//! handshake: entered through the table
//! --- stderr
//! ```
//!
//! A case that must crash (SPEC.md §10.11: a crash on a segment is reported
//! as the crash it is) has a golden whose first line is `crash: KIND`, KIND
//! as `outcome::crash_kind` names it, written by hand: a crash is never
//! blessed. Otherwise crashes and timeouts are outcomes of their own, never
//! compared with a golden.

use std::path::Path;

use crate::outcome::{Observed, Termination};

/// The golden text for a run that exited.
pub fn render(exit_status: i32, stdout: &str, stderr: &str) -> String {
    let mut text = format!("exit: {exit_status}\n--- stdout\n");
    push_block(&mut text, stdout);
    text.push_str("--- stderr\n");
    push_block(&mut text, stderr);
    text
}

fn push_block(text: &mut String, block: &str) {
    text.push_str(block);
    if !block.is_empty() && !block.ends_with('\n') {
        text.push_str("\n(no newline at end)\n");
    }
}

/// The result of comparing a run with its golden.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// The message says what differs, with a diff.
    Mismatch(String),
    Blessed,
}

/// The golden text of a run that exited or crashed, or `None` for a
/// timeout or a flood (never compared with a golden).
pub fn render_observed(observed: &Observed) -> Option<String> {
    let first = match &observed.termination {
        Termination::Exit(status) => format!("exit: {status}"),
        Termination::Crash(how) => format!("crash: {}", crate::outcome::crash_kind(how)),
        Termination::Timeout | Termination::OutputLimit(_) => return None,
    };
    let mut text = format!("{first}\n--- stdout\n");
    push_block(&mut text, &observed.stdout);
    text.push_str("--- stderr\n");
    push_block(&mut text, &observed.stderr);
    Some(text)
}

/// Whether the golden at `path` expects a crash (its first line is `crash: KIND`).
pub fn expects_crash(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.starts_with("crash: "))
}

/// Compares `actual` with the golden at `path`, or rewrites the golden when
/// `bless` is set. `hint` ends a mismatch's message: what the reader can do.
pub fn check(path: &Path, actual: &str, bless: bool, hint: &str) -> anyhow::Result<Verdict> {
    let actual = actual.to_owned();
    if bless {
        let current = std::fs::read_to_string(path).ok();
        if current.as_deref() != Some(actual.as_str()) {
            crate::report::write_whole(path, actual.as_bytes())?;
        }
        return Ok(Verdict::Blessed);
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(text) => text.replace("\r\n", "\n"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Verdict::Mismatch(format!(
                "the golden {} is missing; the run gave:\n{actual}\n{hint}",
                path.display()
            )));
        }
        Err(e) => anyhow::bail!("cannot read the golden {}: {e}", path.display()),
    };
    if expected == actual {
        return Ok(Verdict::Match);
    }
    let diff = similar_asserts::SimpleDiff::from_str(&expected, &actual, "expected", "actual");
    Ok(Verdict::Mismatch(format!("the output differs from the golden {}:\n{diff}\n{hint}", path.display())))
}
