//! Differential scenarios: a run of the interpreter crate, with a scenario
//! written into it, against the model's prediction for that scenario.
//!
//! The trace is compared record by record; the first record that differs
//! is reported with the records before it, so a reader sees the step where
//! the runtime left the ABI. Then the runtime's standard error (its lines,
//! SPEC.md §14.5) and how the process ended.

use scenario_format::{BadTrace, Event, decode_trace, record};

use crate::model::Prediction;
use crate::outcome::Termination;

/// What a run of the interpreter showed.
pub struct Run<'a> {
    /// Standard output, raw: the records.
    pub stdout: &'a [u8],
    /// Standard error, the runner's own lines removed.
    pub stderr: &'a str,
    pub termination: &'a Termination,
}

/// How a run compares with the prediction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// The runtime did something else: where and what, several lines.
    Mismatch(String),
    /// The interpreter reported an internal error where the model predicted
    /// nothing different before it: a problem of the suite, not the runtime.
    Internal(String),
}

/// Records shown before the first difference.
const CONTEXT: usize = 3;

pub fn compare(prediction: &Prediction, run: &Run) -> Verdict {
    let (events, bad) = match decode_trace(run.stdout) {
        Ok(events) => (events, None),
        Err(BadTrace { events, why }) => (events, Some(why)),
    };
    let expected = &prediction.events;
    let first_difference = expected.iter().zip(&events).position(|(e, a)| e != a);
    if let Some(step) = first_difference {
        if events[step].kind == record::INTERNAL {
            return internal(&events[step]);
        }
        return Verdict::Mismatch(difference(expected, &events, step, run));
    }
    if events.len() > expected.len() {
        let extra = &events[expected.len()];
        if extra.kind == record::INTERNAL {
            return internal(extra);
        }
        return Verdict::Mismatch(format!(
            "the runtime's run went on after the {} records the model predicts, with:\n  {extra}\n{}",
            expected.len(),
            ending(run)
        ));
    }
    if events.len() < expected.len() {
        let mut text = difference(expected, &events, events.len(), run);
        if let Some(why) = bad {
            text.push_str(&format!("\n(and the output was not whole records: {why})"));
        }
        return Verdict::Mismatch(text);
    }
    if let Some(why) = bad {
        return Verdict::Mismatch(format!(
            "after the {} predicted records the output is not records: {why}",
            events.len()
        ));
    }
    if run.stderr != prediction.stderr {
        let diff = similar_asserts::SimpleDiff::from_str(&prediction.stderr, run.stderr, "expected", "actual");
        return Verdict::Mismatch(format!("the trace matches, but the runtime's standard error differs:\n{diff}"));
    }
    match run.termination {
        Termination::Exit(status) if *status == prediction.exit_status => Verdict::Match,
        Termination::Exit(status) => Verdict::Mismatch(format!(
            "the trace and standard error match, but the process exited with {status}, not {}",
            prediction.exit_status
        )),
        other => Verdict::Mismatch(format!(
            "the trace and standard error match, but the process {} instead of exiting with {}",
            describe(other),
            prediction.exit_status
        )),
    }
}

fn internal(event: &Event) -> Verdict {
    Verdict::Internal(format!(
        "the scenario interpreter stopped with internal error {} where the model predicted nothing different",
        event.fields.first().copied().unwrap_or(0)
    ))
}

/// The report of a first difference at `step` (`actual` may end there).
fn difference(expected: &[Event], actual: &[Event], step: usize, run: &Run) -> String {
    let mut text = format!("the trace differs from the model at record {step}:\n");
    for event in &expected[step.saturating_sub(CONTEXT)..step] {
        text.push_str(&format!("  same:     {event}\n"));
    }
    match expected.get(step) {
        Some(event) => text.push_str(&format!("  expected: {event}\n")),
        None => text.push_str("  expected: (no more records)\n"),
    }
    match actual.get(step) {
        Some(event) => text.push_str(&format!("  actual:   {event}\n")),
        None => text.push_str(&format!("  actual:   (no more records) — {}\n", ending(run))),
    }
    text.trim_end().to_owned()
}

/// How the run ended, with its standard error when there is some.
fn ending(run: &Run) -> String {
    let mut text = describe(run.termination);
    if !run.stderr.is_empty() {
        text.push_str(&format!("; its standard error:\n{}", run.stderr.trim_end()));
    }
    text
}

fn describe(termination: &Termination) -> String {
    match termination {
        Termination::Exit(status) => format!("the process exited with {status}"),
        Termination::Crash(how) => format!("the process crashed ({how})"),
        Termination::Timeout => "the process ran past its time limit".to_owned(),
        Termination::OutputLimit(stream) => format!("the process wrote too much to {stream} and was stopped"),
    }
}
