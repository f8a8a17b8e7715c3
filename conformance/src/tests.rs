//! Unit tests for the conformance library: output normalisation, goldens, case files, reports
//! and JUnit, artifact rules, platform selection, running a child (time limit, output cap,
//! environment, address space), filters and shards, repro scripts, the matrix, diff and merge.
//! The runner as a whole (signals, subreaper, retries, report placement) is tested in
//! `tests/runner.rs`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::artifact::{self, RULES};
use crate::case::{Case, Start};
use crate::golden::{self, Verdict};
use crate::outcome::{Observed, Outcome, Termination, observe};
use crate::platform::Platform;
use crate::report::{self, CaseResult, Report, RunnerInfo, RuntimeInfo, Scope, Selection, Summary};
use crate::run::{Captured, Ended, Limits, Stream, run_with_limit};

// outcome

#[track_caller]
fn check_observe(ended: Ended, wine: bool, stdout: &str, stderr: &str, expected: (Termination, &str, &str)) {
    let captured = Captured {
        ended,
        stdout: Stream::from(stdout.as_bytes()),
        stderr: Stream::from(stderr.as_bytes()),
        duration: Duration::from_millis(1),
    };
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
fn observe_strips_runner_lines_and_shows_every_byte() {
    let stderr = "0024:fixme:ntdll:Foo bar\nmine\r\n0024:err:module:import_dll x\nab:fixme:kept\nwine: note\n\
                  qemu-aarch64: note\nlast";
    let expected = (Termination::Exit(0), "a\\x0d\nb\\x00\u{fffd}\\\\\t\n", "mine\\x0d\nab:fixme:kept\nlast");
    check_observe(Ended::Exited(0), true, "a\r\nb\0\u{fffd}\\\t\n", stderr, expected);
}

#[test]
fn normalised_output_tells_every_byte_apart() {
    use crate::outcome::normalise;
    assert_eq!(normalise(b"a\0b\xffc\rd\\e\t\n\xc3\xa9\x7f"), "a\\x00b\\xffc\\x0dd\\\\e\t\n\u{e9}\\x7f");
    assert_ne!(normalise(b"\xfe"), normalise(b"\xff"));
    assert_ne!(normalise(b"\\xff"), normalise(b"\xff"));
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
    CaseResult {
        name: name.into(),
        scope: Scope::Runtime,
        area: "handshake".into(),
        outcome,
        duration_ms,
        message: message.into(),
        stdout: String::new(),
        stderr: String::new(),
        retried: None,
    }
}

fn report_with_cases(runtime: &str, platform: &str, cases: Vec<CaseResult>) -> Report {
    Report {
        spec_version: 2,
        runtime: RuntimeInfo { name: runtime.into(), runtime_name: None, path: "/rt".into(), sha256: "00".into() },
        platform: platform.into(),
        triple: "t".into(),
        runner: RunnerInfo { command: vec![], version: String::new() },
        started_at: "2024-01-01T00:00:00Z".into(),
        selection: Selection::Full,
        refused: None,
        summary: Summary::default(),
        cases,
    }
}

#[test]
fn junit_names_the_runtime_and_carries_failure_text_and_output() {
    let mut fail = case_result("linux-x86_64/fail", Outcome::Fail, 20, "the output differs\n- a <b>\n+ c & d");
    fail.stdout = "what it printed\n".into();
    fail.stderr = "its complaint\n".into();
    let mut flaky = case_result("linux-x86_64/flaky", Outcome::Pass, 3, "");
    flaky.retried = Some("Wine exited with status 1 and the program wrote nothing".into());
    let mut host = case_result("linux-x86_64/embed", Outcome::Pass, 1, "");
    host.scope = Scope::Suite;
    let report = report_with_cases(
        "my-rt",
        "linux-x86_64",
        vec![
            case_result("linux-x86_64/pass", Outcome::Pass, 1500, ""),
            fail,
            case_result("linux-x86_64/crash", Outcome::Crash, 0, "crashed (segfault): SIGSEGV"),
            case_result("linux-x86_64/vecs", Outcome::Unsupported, 0, "needs vecs"),
            case_result("linux-x86_64/known", Outcome::Xfail, 0, "expected failure (r), as fail"),
            flaky,
            host,
        ],
    );
    let xml = report.junit();
    for fragment in [
        "<testsuite name=\"my-rt/linux-x86_64\" tests=\"7\" skipped=\"2\" errors=\"1\" failures=\"1\">",
        "<property name=\"runtime\" value=\"my-rt\"/>",
        "<property name=\"score\" value=\"runtime: 2/5 applicable cases passed (1 unsupported, 1 xfail, 2 failed); suite&apos;s own checks: 1/1 passed\"/>",
        "<testcase name=\"fail\" classname=\"my-rt.linux-x86_64\"",
        "<failure message=\"fail: the output differs\" type=\"fail\">the output differs\n- a &lt;b&gt;\n+ c &amp; d</failure>",
        "<system-out>what it printed\n</system-out>",
        "<system-err>its complaint\n</system-err>",
        "<error message=\"crash: crashed (segfault): SIGSEGV\" type=\"crash\">",
        "<skipped message=\"unsupported: needs vecs\" type=\"unsupported\"/>",
        "<skipped message=\"xfail: expected failure (r), as fail\" type=\"xfail\"/>",
        "<flakyError message=\"Wine exited with status 1 and the program wrote nothing\" type=\"broken\">",
        "<property name=\"scope\" value=\"suite\"/>",
    ] {
        assert!(xml.contains(fragment), "{fragment}\nnot in:\n{xml}");
    }
}

#[test]
fn summary_counts_passed_over_applicable_and_the_suite_apart() {
    let mut artifact = case_result("p/artifacts/x", Outcome::Fail, 0, "");
    artifact.scope = Scope::Suite;
    let cases = [
        case_result("p/a", Outcome::Pass, 0, ""),
        case_result("p/b", Outcome::Unsupported, 0, ""),
        case_result("p/c", Outcome::Xfail, 0, ""),
        case_result("p/d", Outcome::Xpass, 0, ""),
        case_result("p/e", Outcome::Broken, 0, ""),
        artifact,
    ];
    let summary = Summary::of(&cases);
    assert_eq!((summary.runtime.passed, summary.runtime.applicable, summary.runtime.cases), (1, 4, 5));
    assert_eq!((summary.suite.checks, summary.suite.passed, summary.suite.failed), (1, 0, 1));
    assert_eq!(
        summary.line(),
        "runtime: 1/4 applicable cases passed (1 unsupported, 1 xfail, 1 failed, 1 broken (environment)); \
         suite's own checks: 0/1 passed"
    );
}

#[test]
fn capped_text_says_how_much_there_was() {
    assert_eq!(report::capped("short", 5, 10), "short");
    assert_eq!(report::capped("0123456789", 10, 4), "0123\n[… truncated: 10 bytes or more, the first 4 shown]\n");
    // Bytes dropped upstream (the capture cap) count too.
    assert_eq!(report::capped("ab", 1000, 10), "ab\n[… truncated: 1000 bytes or more, the first 2 shown]\n");
    // Never cut inside a character.
    assert_eq!(report::capped("é", 2, 1), "\n[… truncated: 2 bytes or more, the first 0 shown]\n");
}

#[test]
fn selections_write_where_they_cannot_overwrite_a_full_report() {
    let dir = Path::new("/r/rt/linux-x86_64");
    assert_eq!(Selection::Full.dir(dir), dir);
    assert_eq!(Selection::Filtered("handshake".into()).dir(dir), dir.join("partial"));
    assert_eq!(Selection::Shard { index: 2, count: 4 }.dir(dir), dir.join("shards/2-of-4"));
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

fn limits(time: Duration) -> Limits {
    Limits {
        time,
        output_cap: crate::run::DEFAULT_OUTPUT_CAP,
        address_space: None,
        fixed_address_layout: false,
        nonblocking_output: false,
    }
}

fn run_sh_with(script: &str, limits: &Limits, env: &[(OsString, OsString)]) -> Captured {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    run_with_limit(command, env, limits).unwrap()
}

fn run_sh(script: &str, limit: Duration) -> Captured {
    let env = crate::run::child_env(std::env::vars_os(), &[]);
    run_sh_with(script, &limits(limit), &env)
}

#[test]
fn run_captures_exit_status_and_output() {
    let captured = run_sh("echo out; echo err >&2; exit 3", Duration::from_secs(10));
    assert_eq!(captured.ended, Ended::Exited(3));
    assert_eq!(captured.stdout, Stream::from(&b"out\n"[..]));
    assert_eq!(captured.stderr, Stream::from(&b"err\n"[..]));
}

#[test]
fn run_stops_a_flood_at_the_cap_and_keeps_only_the_cap() {
    let started = Instant::now();
    let limits = Limits {
        time: Duration::from_secs(20),
        output_cap: 64 * 1024,
        address_space: None,
        fixed_address_layout: false,
        nonblocking_output: false,
    };
    let env = crate::run::child_env(std::env::vars_os(), &[]);
    // Would write 64 MiB, then sleep: stopped at the cap, long before either.
    let captured = run_sh_with("head -c 67108864 /dev/zero; sleep 10", &limits, &env);
    assert_eq!(captured.ended, Ended::OutputLimit("stdout"));
    assert_eq!(captured.stdout.bytes.len(), 64 * 1024);
    assert!(captured.stdout.truncated() && captured.stdout.total > 64 * 1024);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn child_env_keeps_only_the_allowlist_and_the_extras() {
    let inherited = [
        ("PATH", "/usr/bin"),
        ("HOME", "/root"),
        ("LD_LIBRARY_PATH", "/evil"),
        ("LD_PRELOAD", "/evil.so"),
        ("QEMU_LD_PREFIX", "/evil"),
        ("WINEDEBUG", "+all"),
        ("CARGO_TARGET_DIR", "/x"),
    ]
    .map(|(k, v)| (OsString::from(k), OsString::from(v)));
    let env = crate::run::child_env(inherited, &[("WINEDEBUG".into(), "-all".into())]);
    let names: Vec<String> =
        env.iter().map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy())).collect();
    assert_eq!(names, ["HOME=/root", "PATH=/usr/bin", "WINEDEBUG=-all"]);
}

#[test]
fn run_gives_the_child_exactly_the_environment_it_is_given() {
    let env = vec![(OsString::from("PATH"), OsString::from("/usr/bin:/bin")), ("ONLY".into(), "this".into())];
    let captured = run_sh_with("env | sort", &limits(Duration::from_secs(10)), &env);
    let text = String::from_utf8(captured.stdout.bytes).unwrap();
    // sh adds PWD (and may add SHLVL, _); nothing from the test's own environment arrives.
    let names: Vec<&str> =
        text.lines().filter_map(|l| l.split('=').next()).filter(|n| !["PWD", "SHLVL", "_"].contains(n)).collect();
    assert_eq!(names, ["ONLY", "PATH"], "{text}");
}

#[test]
fn children_start_with_no_signal_blocked() {
    // Through `run_with_limit`, with and without a pre-exec step.
    let env = crate::run::child_env(std::env::vars_os(), &[]);
    let script = "exec grep SigBlk /proc/self/status";
    let bounded = Limits { address_space: Some(1 << 40), ..limits(Duration::from_secs(10)) };
    let clean = "SigBlk:\t0000000000000000\n";
    for limits in [limits(Duration::from_secs(10)), bounded] {
        let captured = run_sh_with(script, &limits, &env);
        assert_eq!(String::from_utf8_lossy(&captured.stdout.bytes), clean, "{limits:?}");
    }
}

#[test]
fn run_limits_the_address_space_when_asked() {
    let script = "dd if=/dev/zero of=/dev/null bs=256M count=1 2>&1";
    let env = crate::run::child_env(std::env::vars_os(), &[]);
    let free = run_sh_with(script, &limits(Duration::from_secs(20)), &env);
    assert_eq!(free.ended, Ended::Exited(0), "{:?}", String::from_utf8_lossy(&free.stdout.bytes));
    let bounded = Limits { address_space: Some(64 << 20), ..limits(Duration::from_secs(20)) };
    let limited = run_sh_with(script, &bounded, &env);
    assert_ne!(limited.ended, Ended::Exited(0));
    assert!(String::from_utf8_lossy(&limited.stdout.bytes).contains("memory exhausted"), "{limited:?}");
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
    let grandchild: u32 = String::from_utf8(captured.stdout.bytes).unwrap().trim().parse().unwrap();
    while !has_ended(grandchild) && started.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(has_ended(grandchild), "the background `sleep` ({grandchild}) outlived the time limit");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn run_does_not_wait_for_an_escaped_process_holding_the_pipe() {
    let started = Instant::now();
    // The escaped `sleep` keeps stdout open; the case itself ends at once.
    let captured = run_sh("setsid sleep 3 & echo done", Duration::from_secs(10));
    assert_eq!(captured.ended, Ended::Exited(0));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn run_reports_a_signal() {
    let captured = run_sh("kill -SEGV $$", Duration::from_secs(10));
    assert_eq!(captured.ended, Ended::Signalled(11));
}

#[test]
fn environmental_endings_are_told_from_the_runtime_s() {
    use crate::outcome::environmental;
    let captured = |ended: Ended, stdout: &str| Captured {
        ended,
        stdout: Stream::from(stdout.as_bytes()),
        stderr: Stream::default(),
        duration: Duration::ZERO,
    };
    let check = |c: &Captured, wine: bool| environmental(c, &observe(c, wine), wine);
    assert!(check(&captured(Ended::Exited(127), ""), false).unwrap().contains("could not be started"));
    assert!(check(&captured(Ended::Exited(1), ""), true).unwrap().contains("Wine exited with status 1"));
    // Output from the program: its own exit, not Wine's.
    assert_eq!(check(&captured(Ended::Exited(1), "started\n"), true), None);
    assert_eq!(check(&captured(Ended::Exited(1), ""), false), None);
    assert_eq!(check(&captured(Ended::Signalled(11), ""), true), None);
}

#[test]
fn wine_s_undispatchable_exceptions_and_stack_overflows_are_crashes() {
    // A crash on a segment: the unwind leaves the TEB's bounds; exit = the code's low byte.
    let undispatchable = "0024:err:seh:call_stack_handlers invalid frame 0000000000511F70 (0000000000520000-0000000000522000)\n\
        0024:err:seh:NtRaiseException Exception frame is not in stack limits => unable to dispatch exception.\n";
    let crash = |what: &str| Termination::Crash(what.to_owned());
    let illegal = crash("illegal instruction (exception code ending 0x1d) that Wine could not dispatch");
    check_observe(Ended::Exited(0x1d), true, "on segment 3\n", undispatchable, (illegal, "on segment 3\n", ""));
    let fault = crash("access violation (exception code ending 0x05) that Wine could not dispatch");
    check_observe(Ended::Exited(5), true, "", undispatchable, (fault, "", ""));
    assert_eq!(
        crate::outcome::crash_kind("access violation (exception code ending 0x05)"),
        "segfault / access violation"
    );
    // No room below sp for the exception record: Wine exits 1.
    let overflow = "0024:err:virtual:virtual_setup_exception stack overflow 1088 bytes addr 0x7ffff7a1b2c3 stack 0x511fc0 (0x510000-0x511000-0x522000)\n";
    let expected = crash("stack overflow: no room for the exception record below the stack pointer");
    check_observe(Ended::Exited(1), true, "", overflow, (expected, "", ""));
    // A program's own line that merely looks like one stays its output.
    check_observe(
        Ended::Exited(0),
        true,
        "",
        "err: my own message\n",
        (Termination::Exit(0), "", "err: my own message\n"),
    );
}

#[test]
fn wine_s_start_up_address_conflict_is_broken() {
    use crate::outcome::environmental;
    let captured = Captured {
        ended: Ended::Exited(1),
        stdout: Stream::default(),
        stderr: Stream::from(
            &b"err:virtual:virtual_alloc_first_teb wine: failed to map the shared user data: c0000018\n"[..],
        ),
        duration: Duration::ZERO,
    };
    let why = environmental(&captured, &observe(&captured, true), true).unwrap();
    assert!(why.contains("shared user data"), "{why}");
}

#[test]
fn a_fixed_address_layout_turns_randomization_off_for_the_child_only() {
    let env = crate::run::child_env(std::env::vars_os(), &[]);
    let fixed = Limits { fixed_address_layout: true, ..limits(Duration::from_secs(10)) };
    let persona = |limits: &Limits| {
        let out = run_sh_with("cat /proc/self/personality", limits, &env).stdout.bytes;
        u32::from_str_radix(String::from_utf8(out).unwrap().trim(), 16).unwrap()
    };
    let no_randomize = libc::ADDR_NO_RANDOMIZE as u32;
    assert_ne!(persona(&fixed) & no_randomize, 0);
    assert_eq!(persona(&limits(Duration::from_secs(10))) & no_randomize, 0);
}

// filters and shards

fn args(list: &[&str]) -> crate::cli::RunArgs {
    use clap::Parser as _;
    crate::cli::Cli::parse_from(std::iter::once("conformance").chain(list.iter().copied())).run
}

#[test]
fn several_filters_exact_and_skip_select_like_libtest() {
    let two = args(&["handshake", "embed"]);
    assert!(two.selects("linux-x86_64/handshake") && two.selects("windows-x86_64/embed-100-cycles"));
    assert!(!two.selects("linux-x86_64/preemption"));
    let exact = args(&["--exact", "linux-x86_64/handshake"]);
    assert!(exact.selects("linux-x86_64/handshake") && !exact.selects("linux-x86_64/handshake2"));
    let skip = args(&["--skip", "windows", "handshake"]);
    assert!(skip.selects("linux-x86_64/handshake") && !skip.selects("windows-x86_64/handshake"));
    assert!(args(&[]).selects("anything") && !args(&[]).is_filtered() && two.is_filtered());
    assert_eq!(skip.selection_text(), "handshake --skip windows");
}

#[test]
fn shards_parse_and_split_evenly() {
    use crate::cli::Shard;
    let shard: Shard = "2/3".parse().unwrap();
    assert_eq!((shard.index, shard.count), (2, 3));
    let taken: Vec<usize> = (0..7).filter(|&i| shard.takes(i)).collect();
    assert_eq!(taken, [1, 4]);
    for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
        let error = bad.parse::<Shard>().unwrap_err();
        assert!(error.contains("use K/N with 1 <= K <= N"), "{bad}: {error}");
    }
}

#[test]
fn run_args_survive_the_round_trip_through_a_command_line() {
    let given =
        args(&["--target", "linux-x86_64", "--name", "x", "--shard", "1/2", "--exact", "--skip", "s", "a", "b"]);
    let back = args(&given.to_args().iter().map(|a| a.to_str().unwrap()).collect::<Vec<_>>());
    assert_eq!(format!("{given:?}"), format!("{back:?}"));
}

// repro

#[test]
fn repro_scripts_carry_the_files_they_ran_and_refuse_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("case.sh");
    std::fs::write(&program, "echo the case ran\n").unwrap();
    let repro = crate::repro::Repro {
        trial: "linux-x86_64/case".into(),
        runtime_name: "rt".into(),
        files: vec![(program.clone(), "case.sh".into())],
        env: vec![("PATH".into(), "/usr/bin:/bin".into())],
        argv: vec!["sh".into(), "./case.sh".into()],
    };
    let repro_dir = dir.path().join("repro");
    let script = crate::repro::write(&repro_dir, "case", &repro).unwrap();
    // A rebuild changes the original: the script still runs what the suite ran.
    std::fs::write(&program, "echo something else\n").unwrap();
    let moved = dir.path().join("moved");
    std::fs::rename(&repro_dir, &moved).unwrap();
    let script = moved.join(script.file_name().unwrap());
    let output = Command::new(&script).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "the case ran\n", "{output:?}");
    // A changed blob is refused.
    let blob = std::fs::read_dir(moved.join("blobs")).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&blob, "echo tampered\n").unwrap();
    let output = Command::new(&script).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("refusing to run other files than the suite ran"));
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
    let cases = outcomes.iter().map(|(case, o)| case_result(&format!("{platform}/{case}"), *o, 0, "")).collect();
    report_with_cases(runtime, platform, cases)
}

#[test]
fn diff_lists_regressions_fixes_and_other_changes() {
    use crate::summary::diff_markdown;
    let old = [report_with(
        "rt",
        "linux-x86_64",
        &[
            ("a", Outcome::Pass),
            ("b", Outcome::Fail),
            ("c", Outcome::Crash),
            ("d", Outcome::Pass),
            ("e", Outcome::Pass),
            ("f", Outcome::Unsupported),
        ],
    )];
    let new = [report_with(
        "rt",
        "linux-x86_64",
        &[
            ("a", Outcome::Crash),
            ("b", Outcome::Pass),
            ("c", Outcome::Timeout),
            ("d", Outcome::Pass),
            ("e", Outcome::Unsupported),
            ("f", Outcome::Pass),
            ("g", Outcome::Fail),
        ],
    )];
    let (md, n_regressions) = diff_markdown(&old, &new);
    assert_eq!(n_regressions, 3, "{md}");
    assert!(md.starts_with("### Conformance: 3 regressions, 2 fixes, 1 other change\n"), "{md}");
    assert!(md.contains("#### Regressions\n\n| case | runtime | platform | before | after |\n|---|---|---|---|---|\n| a | rt | linux-x86_64 | pass | crash |\n"), "{md}");
    // A dropped capability is a regression, not a fix; a new failing case too.
    assert!(md.contains("| e | rt | linux-x86_64 | pass | unsupported |"), "{md}");
    assert!(md.contains("| g | rt | linux-x86_64 | (absent) | fail |"), "{md}");
    assert!(md.contains("#### Fixes\n\n| case | runtime | platform | before | after |\n|---|---|---|---|---|\n| b | rt | linux-x86_64 | fail | pass |\n| f |"), "{md}");
    assert!(md.contains("| c | rt | linux-x86_64 | crash | timeout |"), "{md}");
    assert!(!md.contains("| d |"), "{md}");
    assert_eq!(diff_markdown(&old, &old), ("### Conformance: 0 regressions, 0 fixes, 0 other changes\n".into(), 0));
}

#[test]
fn matrix_counts_unsupported_as_not_applicable_and_the_suite_apart() {
    let mut artifact = case_result("linux-x86_64/artifacts/x", Outcome::Pass, 0, "");
    artifact.scope = Scope::Suite;
    let mut vecs = case_result("linux-x86_64/vecs", Outcome::Unsupported, 0, "");
    vecs.area = "vecs and memory".into();
    let reports = [
        report_with_cases(
            "rt",
            "linux-x86_64",
            vec![case_result("linux-x86_64/handshake", Outcome::Pass, 0, ""), vecs, artifact],
        ),
        report_with("rt", "windows-x86_64", &[("handshake", Outcome::Crash)]),
    ];
    let md = crate::summary::matrix_markdown(&reports);
    assert!(md.contains("| linux-x86_64 | 1 / 1 | 1 | 0 | 0 | 0 | 1 / 1 |"), "{md}");
    assert!(md.contains("| windows-x86_64 | 0 / 1 | 0 | 0 | 1 | 0 | 0 / 0 |"), "{md}");
    assert!(md.contains("| handshake | 1 / 2 | 0 | 0 | 1 |"), "{md}");
    assert!(md.contains("| vecs and memory | 0 / 0 | 1 | 0 | 0 |"), "{md}");
    assert!(md.contains("### Runtime cases\n\n| case | linux-x86_64 | windows-x86_64 |\n|---|---|---|\n| handshake | pass | crash |\n| vecs | unsupported | – |\n"), "{md}");
    assert!(md.contains("### The suite's own checks\n\n| case | linux-x86_64 | windows-x86_64 |\n|---|---|---|\n| artifacts/x | pass | – |\n"), "{md}");
    let html = crate::summary::matrix_html(&reports);
    assert!(html.contains("<td class=\"crash\">crash</td>"), "{html}");
    assert!(html.contains("<td class=\"unsupported\">unsupported</td>"), "{html}");
}

#[test]
fn shard_reports_merge_into_one_full_report_only_when_complete() {
    let shard = |index: u32, cases: &[(&str, Outcome)]| {
        let mut report = report_with("rt", "linux-x86_64", cases);
        report.selection = Selection::Shard { index, count: 2 };
        report
    };
    let merged =
        crate::summary::merge(vec![shard(2, &[("b", Outcome::Fail)]), shard(1, &[("a", Outcome::Pass)])]).unwrap();
    assert_eq!(merged.selection, Selection::Full);
    assert_eq!(merged.cases.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["linux-x86_64/a", "linux-x86_64/b"]);
    let missing = crate::summary::merge(vec![shard(1, &[("a", Outcome::Pass)])]).unwrap_err().to_string();
    assert!(missing.contains("shards [1] of 2 are there"), "{missing}");
    let mut other = shard(2, &[("b", Outcome::Pass)]);
    other.runtime.sha256 = "ff".into();
    let mixed = crate::summary::merge(vec![shard(1, &[]), other]).unwrap_err().to_string();
    assert!(mixed.contains("different runtime libraries"), "{mixed}");
}
