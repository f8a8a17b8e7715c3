//! Unit tests for the conformance library: output normalisation, goldens, case files, reports,
//! artifact rules, platform selection and running a child with a time limit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::artifact::{self, RULES};
use crate::case::{Case, Start};
use crate::golden::{self, Verdict};
use crate::outcome::{Observed, Outcome, Termination, observe};
use crate::platform::Platform;
use crate::report::{self, CaseResult, Report, RunnerInfo, RuntimeInfo};
use crate::run::{Captured, Ended, run_with_limit};

// outcome

#[track_caller]
fn check_observe(ended: Ended, wine: bool, stdout: &str, stderr: &str, expected: (Termination, &str, &str)) {
    let captured = Captured { ended, stdout: stdout.into(), stderr: stderr.into(), duration: Duration::from_millis(1) };
    let (termination, stdout, stderr) = expected;
    assert_eq!(observe(&captured, wine), Observed { termination, stdout: stdout.into(), stderr: stderr.into() });
}

const WINE_FAULT: &str = "wine: Unhandled page fault on write access to 0000000000000000 at address \
                          00000001400015DC (thread 0024), starting debugger...\n";

#[test]
fn observe_wine_unhandled_exception_is_a_crash() {
    let stderr = format!("program: about to write\n{WINE_FAULT}");
    let crash = Termination::Crash("page fault on write access to 0000000000000000".into());
    check_observe(Ended::Exited(5), true, "", &stderr, (crash, "", "program: about to write\n"));
}

#[test]
fn observe_qemu_uncaught_signal_is_a_crash() {
    let stderr = "before\nqemu: uncaught target signal 11 (Segmentation fault) - core dumped\n";
    let crash = Termination::Crash("SIGSEGV (signal 11)".into());
    check_observe(Ended::Signalled(11), false, "out\n", stderr, (crash, "out\n", "before\n"));
}

#[test]
fn observe_native_signal_is_named() {
    let crash = Termination::Crash("SIGILL (signal 4)".into());
    check_observe(Ended::Signalled(4), false, "", "trap\n", (crash, "", "trap\n"));
    let other = Termination::Crash("signal 10".into());
    check_observe(Ended::Signalled(10), false, "", "", (other, "", ""));
}

#[test]
fn observe_masks_exit_status_only_under_wine() {
    check_observe(Ended::Exited(0x107), true, "", "", (Termination::Exit(7), "", ""));
    check_observe(Ended::Exited(0x107), false, "", "", (Termination::Exit(263), "", ""));
    check_observe(Ended::Exited(3), true, "", "", (Termination::Exit(3), "", ""));
}

#[test]
fn observe_strips_runner_lines_and_crlf() {
    let stderr = "0024:fixme:ntdll:Foo bar\r\nmine\r\n0024:err:module:import_dll x\nab:fixme:kept\nwine: note\n\
                  qemu-aarch64: note\nlast";
    let expected = (Termination::Exit(0), "a\nb\n", "mine\nab:fixme:kept\nlast");
    check_observe(Ended::Exited(0), true, "a\r\nb\r\n", stderr, expected);
}

#[test]
fn observe_timeout_wins_over_everything() {
    check_observe(Ended::TimedOut, true, "x", WINE_FAULT, (Termination::Timeout, "x", ""));
}

// golden

#[test]
fn render_marks_a_missing_final_newline() {
    assert_eq!(
        golden::render(3, "no newline", ""),
        "exit: 3\n--- stdout\nno newline\n(no newline at end)\n--- stderr\n"
    );
    assert_eq!(golden::render(0, "a\n", "b"), "exit: 0\n--- stdout\na\n--- stderr\nb\n(no newline at end)\n");
}

#[track_caller]
fn check_mismatch(verdict: Verdict, fragments: &[&str]) {
    let Verdict::Mismatch(message) = verdict else { panic!("expected a mismatch, got {verdict:?}") };
    for fragment in fragments {
        assert!(message.contains(fragment), "{fragment:?} not in:\n{message}");
    }
}

#[test]
fn golden_check_missing_bless_match_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("expected.txt");
    let bless = "cargo xtask test --bless";
    let actual = golden::render(7, "hello\n", "");
    let missing = golden::check(&path, &actual, false, bless).unwrap();
    check_mismatch(missing, &[&format!("the golden {} is missing", path.display()), "exit: 7\n", bless]);
    assert!(!path.exists());
    assert_eq!(golden::check(&path, &actual, true, bless).unwrap(), Verdict::Blessed);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), actual);
    assert_eq!(golden::check(&path, &actual, false, bless).unwrap(), Verdict::Match);
    let changed = golden::render(7, "goodbye\n", "");
    check_mismatch(golden::check(&path, &changed, false, bless).unwrap(), &["Differences", "goodbye", bless]);
    std::fs::write(&path, actual.replace('\n', "\r\n")).unwrap();
    assert_eq!(golden::check(&path, &actual, false, bless).unwrap(), Verdict::Match);
}

// case

fn load_case(toml: &str) -> (tempfile::TempDir, anyhow::Result<Case>) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("case.toml"), toml).unwrap();
    let case = Case::load(&dir);
    (root, case)
}

#[track_caller]
fn check_case_error(toml: &str, fragment: &str) {
    let (_root, case) = load_case(toml);
    let message = format!("{:#}", case.expect_err("the case must be rejected"));
    assert!(message.contains("case `demo`"), "no case name in: {message}");
    assert!(message.contains(fragment), "{fragment:?} not in: {message}");
}

const EXEC: &str = "about = \"x\"\ncrate = \"c\"\nstart = \"exec\"\n";

#[test]
fn case_load_exec() {
    let (root, case) = load_case("about = \"the handshake\"\ncrate = \"handshake\"\nstart = \"exec\"\n");
    let case = case.unwrap();
    assert_eq!((case.name.as_str(), case.dir), ("demo", root.path().join("demo")));
    assert_eq!((case.about.as_str(), case.crate_name.as_deref()), ("the handshake", Some("handshake")));
    assert_eq!((case.start, case.host_args.len(), case.timeout_seconds), (Start::Exec, 0, 30));
    assert!(case.platform_goldens.is_empty());
}

#[test]
fn case_load_errors() {
    check_case_error(&format!("{EXEC}colour = \"red\"\n"), "unknown field `colour`");
    check_case_error("about = \"x\"\nstart = \"exec\"\n", "`crate` is required");
    check_case_error("about = \"x\"\nstart = \"host\"\n", "`crate` is required");
    check_case_error("about = \"x\"\ncrate = \"c\"\nstart = \"artifacts\"\n", "`crate` must be absent");
    check_case_error(&format!("{EXEC}host_args = [\"-v\"]\n"), "`host_args` is only for");
    let blank_reason = format!("{EXEC}[platform_goldens]\nwindows-x86_64 = \"  \"\n");
    check_case_error(&blank_reason, "the platform golden for `windows-x86_64` needs a reason");
}

#[test]
fn case_golden_path_per_platform() {
    let toml = "about = \"x\"\ncrate = \"c\"\nstart = \"host\"\nhost_args = [\"-v\"]\n\
                [platform_goldens]\nwindows-x86_64 = \"Wine reports the fault differently\"\n";
    let (root, case) = load_case(toml);
    let case = case.unwrap();
    let dir = root.path().join("demo");
    assert_eq!(case.host_args, ["-v"]);
    assert_eq!(case.golden_path("windows-x86_64"), dir.join("expected.windows-x86_64.txt"));
    assert_eq!(case.golden_path("linux-x86_64"), dir.join("expected.txt"));
}

// report

fn case_result(name: &str, outcome: Outcome, duration_ms: u64, message: &str) -> CaseResult {
    CaseResult { name: name.into(), outcome, duration_ms, message: message.into() }
}

#[test]
fn junit_escapes_and_counts() {
    let report = Report {
        spec_version: 1,
        runtime: RuntimeInfo { name: "reference-rt".into(), path: "/rt".into(), sha256: "00".into() },
        platform: "linux-x86_64".into(),
        triple: "x86_64-unknown-linux-gnu".into(),
        runner: RunnerInfo { command: vec![], version: String::new() },
        started_at: "2024-01-01T00:00:00Z".into(),
        refused: None,
        cases: vec![
            case_result("linux-x86_64/pass", Outcome::Pass, 1500, ""),
            case_result("linux-x86_64/fail", Outcome::Fail, 20, "a <b> & \"c\""),
            case_result("linux-x86_64/crash", Outcome::Crash, 0, "SIGSEGV"),
            case_result("linux-x86_64/slow", Outcome::Timeout, 0, ""),
            case_result("bare", Outcome::Unsupported, 0, "needs <vecs>"),
            case_result("linux-x86_64/known", Outcome::Xfail, 0, "listed"),
            case_result("linux-x86_64/cleaned", Outcome::Xpass, 0, "remove it"),
            case_result("linux-x86_64/nowine", Outcome::Broken, 0, "no wine64"),
        ],
    };
    let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
<testsuite name="reference-rt/linux-x86_64" tests="8" failures="2" errors="3" skipped="2" time="1.520" timestamp="2024-01-01T00:00:00Z">
  <testcase classname="linux-x86_64" name="pass" time="1.500"/>
  <testcase classname="linux-x86_64" name="fail" time="0.020"><failure type="fail" message="fail">a &lt;b&gt; &amp; &quot;c&quot;</failure></testcase>
  <testcase classname="linux-x86_64" name="crash" time="0.000"><error type="crash" message="crash">SIGSEGV</error></testcase>
  <testcase classname="linux-x86_64" name="slow" time="0.000"><error type="timeout" message="timeout"></error></testcase>
  <testcase classname="linux-x86_64" name="bare" time="0.000"><skipped message="unsupported: needs &lt;vecs&gt;"/></testcase>
  <testcase classname="linux-x86_64" name="known" time="0.000"><skipped message="xfail: listed"/></testcase>
  <testcase classname="linux-x86_64" name="cleaned" time="0.000"><failure type="xpass" message="xpass">remove it</failure></testcase>
  <testcase classname="linux-x86_64" name="nowine" time="0.000"><error type="broken" message="broken">no wine64</error></testcase>
</testsuite>
</testsuites>
"#;
    assert_eq!(report.junit(), expected);
}

fn dir_listing(dir: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn write_whole_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    report::write_whole(&path, b"first").unwrap();
    report::write_whole(&path, b"second").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    assert_eq!(dir_listing(dir.path()), ["report.json".to_owned()].into());

    // A failed rename (onto a directory) cleans up too.
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    assert!(report::write_whole(&dir.path().join("taken"), b"x").is_err());
    assert_eq!(dir_listing(dir.path()), ["report.json".to_owned(), "taken".into()].into());
}

// artifact and platform

fn platforms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../platforms")
}

fn linux_x86_64() -> Platform {
    Platform::load(&platforms_dir().join("linux-x86_64.toml")).unwrap()
}

#[test]
fn artifact_rules_on_bytes_that_are_not_a_binary() {
    let results = artifact::check(b"hello", &linux_x86_64());
    assert_eq!(results.iter().map(|r| r.rule).collect::<Vec<_>>(), RULES);
    for result in &results {
        let why = result.violation.as_deref().unwrap_or_default();
        assert!(why.starts_with("not a readable binary: "), "{}: {why:?}", result.rule);
    }
}

#[test]
fn artifact_rules_on_an_ordinary_executable() {
    let data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let results = artifact::check(&data, &linux_x86_64());
    let violated: Vec<&str> = results.iter().filter(|r| r.violation.is_some()).map(|r| r.rule).collect();
    assert_eq!(violated, [RULES[1], RULES[2], RULES[3], RULES[5]]);
    let text = artifact::render(&results);
    let rules: Vec<&str> = text.lines().map(|line| line.split(": ").next().unwrap()).collect();
    assert_eq!(rules, RULES);
}

#[track_caller]
fn check_select(target: &str, expected: &[&str]) {
    let all = Platform::load_all(&platforms_dir()).unwrap();
    let chosen = Platform::select(all, target).unwrap();
    assert_eq!(chosen.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), expected);
}

#[test]
fn platform_select() {
    check_select("all", &["linux-aarch64", "linux-x86_64", "windows-x86_64"]);
    check_select("linux-aarch64", &["linux-aarch64"]);
    check_select("x86_64-pc-windows-gnu", &["windows-x86_64"]);
    let all = Platform::load_all(&platforms_dir()).unwrap();
    let error = Platform::select(all, "mips").unwrap_err().to_string();
    assert_eq!(
        error,
        "unknown target `mips`: use `all`, or one of: linux-aarch64 (aarch64-unknown-linux-gnu), \
         linux-x86_64 (x86_64-unknown-linux-gnu), windows-x86_64 (x86_64-pc-windows-gnu)"
    );
}

// run

fn run_sh(script: &str, limit: Duration) -> Captured {
    let scratch = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    run_with_limit(command, limit, scratch.path()).unwrap()
}

#[test]
fn run_captures_exit_status_and_output() {
    let captured = run_sh("echo out; echo err >&2; exit 3", Duration::from_secs(10));
    assert_eq!(captured.ended, Ended::Exited(3));
    assert_eq!(captured.stdout, b"out\n");
    assert_eq!(captured.stderr, b"err\n");
}

/// Whether process `pid` has ended: it is gone, or a zombie not yet reaped.
fn has_ended(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.is_empty() || stat.rsplit(") ").next().is_some_and(|state| state.starts_with('Z'))
}

#[test]
fn run_kills_the_process_group_at_the_time_limit() {
    let started = Instant::now();
    let captured = run_sh("sleep 5 & echo $!; wait", Duration::from_millis(200));
    assert_eq!(captured.ended, Ended::TimedOut);
    assert!(captured.duration >= Duration::from_millis(200), "{:?}", captured.duration);
    let grandchild: u32 = String::from_utf8(captured.stdout).unwrap().trim().parse().unwrap();
    while !has_ended(grandchild) && started.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(has_ended(grandchild), "the background `sleep` ({grandchild}) outlived the time limit");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn run_reports_a_signal() {
    let captured = run_sh("kill -SEGV $$", Duration::from_secs(10));
    assert_eq!(captured.ended, Ended::Signalled(11));
}

#[test]
fn preflight_reads_the_claimed_abi_version() {
    use crate::preflight::claimed_version;
    assert_eq!(claimed_version("handshake: entered through the table\nmagic ok: true\nabi version: 2\n"), Some(2));
    assert_eq!(
        claimed_version("crate refuses the runtime's table: it has ABI version 7 and size 40, this crate needs …"),
        Some(7)
    );
    assert_eq!(claimed_version(""), None);
}

#[test]
fn preflight_refuses_what_is_not_a_runtime_library() {
    let platform = crate::platform::Platform::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../platforms/linux-x86_64.toml"),
    )
    .unwrap();
    let not_binary = crate::preflight::check_library(b"#!/bin/sh\n", &platform).unwrap_err();
    assert!(not_binary.contains("not a library"), "{not_binary}");
    // This test binary is an x86_64 ELF without `rt_start`.
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let no_start = crate::preflight::check_library(&exe, &platform).unwrap_err();
    assert!(no_start.contains("does not export `rt_start`"), "{no_start}");
    let aarch64 = crate::platform::Platform { arch: "aarch64".into(), ..platform };
    let wrong_arch = crate::preflight::check_library(&exe, &aarch64).unwrap_err();
    assert!(wrong_arch.contains("needs Elf for Aarch64"), "{wrong_arch}");
}

#[test]
fn crash_kinds_are_told_apart_whoever_reported_them() {
    use crate::outcome::crash_kind;
    for (how, kind) in [
        ("SIGSEGV (signal 11)", "segfault / access violation"),
        ("page fault on write access to 0000000000000000", "segfault / access violation"),
        ("stack overflow", "stack overflow"),
        ("SIGABRT (signal 6)", "abort"),
        ("illegal instruction", "illegal instruction"),
        ("SIGILL (signal 4)", "illegal instruction"),
        ("SIGTRAP (signal 5)", "trap"),
        ("signal 10", "other"),
    ] {
        assert_eq!(crash_kind(how), kind, "{how}");
    }
}

#[test]
fn expectations_are_read_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let cases = vec![load_case_named(dir.path(), "known", "start = \"exec\"\ncrate = \"k\"\n")];
    let platforms = vec!["linux-x86_64".to_owned()];
    let write = |text: &str| {
        let path = dir.path().join("expectations.toml");
        std::fs::write(&path, text).unwrap();
        path
    };
    let ok = crate::expectations::Expectations::load(
        &write("spec_version = 2\ncapabilities = [\"procs\"]\n[[xfail]]\ncase = \"known\"\nplatforms = [\"linux-x86_64\"]\nreason = \"r\"\n"),
        &cases,
        &platforms,
    )
    .unwrap();
    assert_eq!(ok.expected_failure("known", "linux-x86_64"), Some("r"));
    assert_eq!(ok.expected_failure("known", "linux-aarch64"), None);
    for (text, phrase) in [
        ("spec_version = 2\ncapabilities = [\"threads\"]\n", "unknown capability `threads`"),
        ("spec_version = 2\n[[xfail]]\ncase = \"nope\"\nreason = \"r\"\n", "names case `nope`"),
        ("spec_version = 2\n[[xfail]]\ncase = \"known\"\nreason = \" \"\n", "needs a reason"),
        (
            "spec_version = 2\n[[xfail]]\ncase = \"known\"\nplatforms = [\"mars\"]\nreason = \"r\"\n",
            "unknown platform `mars`",
        ),
        ("spec_version = 2\ntypo = 1\n", "invalid"),
    ] {
        let err =
            format!("{:#}", crate::expectations::Expectations::load(&write(text), &cases, &platforms).unwrap_err());
        assert!(err.contains(phrase), "{text:?}: {err}");
    }
}

fn load_case_named(root: &Path, name: &str, toml: &str) -> Case {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("case.toml"), format!("about = \"a\"\n{toml}")).unwrap();
    Case::load(&dir).unwrap()
}

fn report_with(runtime: &str, platform: &str, outcomes: &[(&str, Outcome)]) -> Report {
    Report {
        spec_version: 2,
        runtime: RuntimeInfo { name: runtime.into(), path: "/rt".into(), sha256: "00".into() },
        platform: platform.into(),
        triple: "t".into(),
        runner: RunnerInfo { command: vec![], version: String::new() },
        started_at: "2024-01-01T00:00:00Z".into(),
        refused: None,
        cases: outcomes.iter().map(|(case, o)| case_result(&format!("{platform}/{case}"), *o, 0, "")).collect(),
    }
}

#[test]
fn diff_lists_regressions_fixes_and_other_changes() {
    use crate::summary::diff_markdown;
    let old = [report_with(
        "rt",
        "linux-x86_64",
        &[("a", Outcome::Pass), ("b", Outcome::Fail), ("c", Outcome::Crash), ("d", Outcome::Pass)],
    )];
    let new = [report_with(
        "rt",
        "linux-x86_64",
        &[("a", Outcome::Crash), ("b", Outcome::Pass), ("c", Outcome::Timeout), ("d", Outcome::Pass)],
    )];
    let md = diff_markdown(&old, &new);
    assert!(md.starts_with("### Conformance: 1 regression, 1 fix, 1 other change\n"), "{md}");
    assert!(md.contains("#### Regressions\n\n| case | runtime | platform | before | after |\n|---|---|---|---|---|\n| a | rt | linux-x86_64 | pass | crash |\n"), "{md}");
    assert!(md.contains("| b | rt | linux-x86_64 | fail | pass |"), "{md}");
    assert!(md.contains("| c | rt | linux-x86_64 | crash | timeout |"), "{md}");
    assert!(!md.contains("| d |"), "{md}");
    assert_eq!(diff_markdown(&old, &old), "### Conformance: 0 regressions, 0 fixes, 0 other changes\n");
}

#[test]
fn matrix_has_one_row_per_case_and_totals_per_area() {
    let reports = [
        report_with("rt", "linux-x86_64", &[("handshake", Outcome::Pass), ("artifacts/x", Outcome::Fail)]),
        report_with("rt", "windows-x86_64", &[("handshake", Outcome::Crash)]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let cases = vec![
        load_case_named(dir.path(), "handshake", "start = \"exec\"\ncrate = \"h\"\n"),
        load_case_named(dir.path(), "artifacts", "start = \"artifacts\"\n"),
    ];
    let md = crate::summary::matrix_markdown(&reports, &cases);
    assert!(md.contains("| case | linux-x86_64 | windows-x86_64 |"), "{md}");
    assert!(md.contains("| handshake | pass | crash |"), "{md}");
    assert!(md.contains("| artifacts/x | fail | – |"), "{md}");
    assert!(md.contains("| artifact rules | 0 | 1 |"), "{md}");
    assert!(md.contains("| handshake | 1 | 1 |"), "{md}");
    let html = crate::summary::matrix_html(&reports, &cases);
    assert!(html.contains("<td class=\"crash\">crash</td>"), "{html}");
}
