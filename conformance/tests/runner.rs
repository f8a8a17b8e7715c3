//! The runner as a whole, on a suite of its own: a platform `fake` whose
//! runner is `sh`, crates that are shell scripts, and a real (tiny) ELF
//! runtime library built with the host's `gcc`. Each test builds the suite
//! it needs in a temporary directory and runs the `conformance` binary on
//! it, then reads what a person or a machine would: exit status, console,
//! report.json, junit.xml, the matrix, repro scripts, leftover processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use conformance::outcome::Outcome;
use conformance::report::{Report, Scope, Summary};

const PLATFORM: &str = "name = \"fake\"\ntriple = \"x86_64-unknown-linux-gnu\"\nformat = \"elf\"\narch = \"x86_64\"\n\
    cc = \"gcc\"\nrunner = [\"sh\"]\nrunner_version = []\nruntime_file = \"librustrt.so\"\nexe_suffix = \"\"\n\
    debian_packages = []\ncrate_link_args = []\nhost_link_args = []\nc_runtime_args = []\n";

/// A suite in a temporary directory.
struct Suite {
    dir: tempfile::TempDir,
}

/// A case: name, case.toml body after `about`, golden, and its crate's script.
struct CaseSpec<'a> {
    name: &'a str,
    toml: &'a str,
    golden: &'a str,
    script: &'a str,
}

fn exec_case<'a>(name: &'a str, golden: &'a str, script: &'a str) -> CaseSpec<'a> {
    CaseSpec { name, toml: "", golden, script }
}

impl Suite {
    fn new(cases: &[CaseSpec]) -> Suite {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("platforms/fake.toml"), PLATFORM);
        let crates = root.join("build/fake/crates");
        let version = rt_abi::RT_ABI_VERSION;
        // Preflight runs `handshake`; the probe names the runtime.
        write(&crates.join("handshake"), &format!("echo 'abi version: {version}'\n"));
        write(&root.join("build/fake/probe"), "echo 'runtime_name: fake rt/1'\n");
        write(&root.join("build/fake/host"), "echo \"host loaded $(basename \"$1\")\"\n");
        write(&root.join("cases/handshake/case.toml"), "about = \"a\"\ncrate = \"handshake\"\nstart = \"exec\"\n");
        write(
            &root.join("cases/handshake/expected.txt"),
            &format!("exit: 0\n--- stdout\nabi version: {version}\n--- stderr\n"),
        );
        for case in cases {
            let crate_name = case.name;
            let toml = if case.toml.contains("start =") {
                format!("about = \"a\"\ncrate = \"{crate_name}\"\n{}", case.toml)
            } else {
                format!("about = \"a\"\ncrate = \"{crate_name}\"\nstart = \"exec\"\n{}", case.toml)
            };
            write(&root.join("cases").join(case.name).join("case.toml"), &toml);
            write(&root.join("cases").join(case.name).join("expected.txt"), case.golden);
            write(&crates.join(crate_name), case.script);
        }
        let source = root.join("runtime.c");
        write(&source, "void rt_start(void *entry) { (void)entry; }\n");
        let library = root.join("runtime/fake/librustrt.so");
        std::fs::create_dir_all(library.parent().unwrap()).unwrap();
        let built = Command::new("gcc").args(["-shared", "-fPIC", "-o"]).arg(&library).arg(&source).status().unwrap();
        assert!(built.success());
        Suite { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let root = self.root();
        let mut command = Command::new(env!("CARGO_BIN_EXE_conformance"));
        if !args.iter().any(|a| a.starts_with("--results-dir")) {
            command.arg(format!("--results-dir={}", root.join("results").display()));
        }
        command
            .arg("--target=fake")
            .arg(format!("--platforms={}", root.join("platforms").display()))
            .arg(format!("--cases={}", root.join("cases").display()))
            .arg(format!("--build={}", root.join("build").display()))
            .arg(format!("--work-dir={}", root.join("work").display()))
            .args(args)
            .env_remove("CI")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let runtime = format!("--runtime={}", self.root().join("runtime").display());
        self.command(&[&[runtime.as_str()], args].concat()).output().unwrap()
    }

    fn report(&self, relative: &str) -> Report {
        Report::read(&self.root().join("results").join(relative).join("report.json")).unwrap()
    }

    fn expectations(&self, text: &str) -> String {
        let path = self.root().join("runtime/expectations.toml");
        write(&path, &format!("spec_version = {}\n{text}", rt_abi::RT_ABI_VERSION));
        format!("--expectations={}", path.display())
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn outcome_of(report: &Report, case: &str) -> Outcome {
    report.cases.iter().find(|c| c.name == format!("fake/{case}")).unwrap_or_else(|| panic!("no {case}")).outcome
}

const HI: &str = "exit: 0\n--- stdout\nhi\n--- stderr\n";

#[test]
fn a_run_counts_honestly_and_console_report_junit_and_matrix_agree() {
    let suite = Suite::new(&[
        exec_case("hello", HI, "echo hi\n"),
        CaseSpec { name: "needs-vecs", toml: "needs = [\"vecs\"]\n", golden: HI, script: "echo hi\n" },
        exec_case("known-bug", HI, "echo bye\n"),
        CaseSpec {
            name: "host-check",
            toml: "start = \"host\"\n",
            golden: "exit: 0\n--- stdout\nhost loaded host-check\n--- stderr\n",
            script: "",
        },
        // Exit 127 (cannot start) the first time only: broken, retried, passes.
        exec_case("flaky", HI, "if [ -e .tried ]; then echo hi; else touch .tried; exit 127; fi\n"),
        // 64 MiB to stdout: stopped at the cap, a failure with bounded reports.
        exec_case("flood", HI, "head -c 67108864 /dev/zero\n"),
    ]);
    let expectations =
        suite.expectations("capabilities = []\n[[xfail]]\ncase = \"known-bug\"\nreason = \"says bye\"\n");
    let output = suite.run(&[&expectations]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(101), "{stdout}\n{stderr}");

    // Console: never `ok` for what did not pass.
    let line = |trial: &str| -> String {
        let prefix = format!("test {trial} ");
        stdout
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no line for {trial}:\n{stdout}"))
            .into()
    };
    assert!(line("fake/needs-vecs").ends_with("... ignored (unsupported: needs vecs)"), "{stdout}");
    assert!(line("fake/known-bug").contains("... ignored (xfail: expected failure (says bye), as fail"), "{stdout}");
    assert!(line("fake/flood").ends_with("... FAILED"), "{stdout}");
    assert!(line("fake/hello").ends_with("... ok"), "{stdout}");
    assert!(
        stdout.contains("wrote more than 1048576 bytes to stdout and was stopped there (--output-cap)"),
        "{stdout}"
    );
    assert!(stdout.len() < 64 * 1024, "the console got {} bytes", stdout.len());

    // The run is named after the runtime's runtime_name (made fit for a path).
    let report = suite.report("fake-rt-1/fake");
    let summary = Summary::of(&report.cases);
    assert_eq!(
        summary.line(),
        "runtime: 3/5 applicable cases passed (1 unsupported, 1 xfail, 1 failed); suite's own checks: 1/1 passed"
    );
    assert!(stderr.contains(&format!("fake             {}", summary.line())), "{stderr}");
    assert_eq!(outcome_of(&report, "host-check"), Outcome::Pass);
    assert_eq!(report.cases.iter().find(|c| c.name == "fake/host-check").unwrap().scope, Scope::Suite);
    let flaky = report.cases.iter().find(|c| c.name == "fake/flaky").unwrap();
    assert_eq!(flaky.outcome, Outcome::Pass);
    assert!(flaky.retried.as_deref().unwrap_or("").contains("exit status 127"), "{flaky:?}");
    assert!(stderr.contains("run twice after an environmental failure"), "{stderr}");

    // Bounded files: 64 MiB written, kilobytes kept.
    let dir = suite.root().join("results/fake-rt-1/fake");
    for file in ["report.json", "junit.xml"] {
        let size = std::fs::metadata(dir.join(file)).unwrap().len();
        assert!(size < 200 * 1024, "{file} is {size} bytes");
    }
    let flood = report.cases.iter().find(|c| c.name == "fake/flood").unwrap();
    assert!(flood.stdout.ends_with(" bytes or more, the first 16384 shown]\n"), "{:?}", &flood.stdout[16000..]);

    // JUnit: the runtime's name, the failure text, the output, skipped as such.
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"fake-rt-1/fake\""), "{junit}");
    assert!(junit.contains("type=\"unsupported\""));
    assert!(junit.contains("<failure message=\"fail: wrote more than 1048576 bytes"));
    assert!(junit.contains("<system-out>"));
    assert!(junit.contains("flakyError"));

    // The matrix, from the reports only.
    let matrix = std::fs::read_to_string(suite.root().join("results/matrix.md")).unwrap();
    assert!(matrix.contains("| fake | 3 / 5 | 1 | 1 | 1 | 0 | 1 / 1 |"), "{matrix}");
    assert!(matrix.contains("| needs-vecs | unsupported |"), "{matrix}");
}

#[test]
fn filters_select_several_write_their_own_report_and_a_typo_fails_under_ci() {
    let suite = Suite::new(&[exec_case("hello", HI, "echo hi\n"), exec_case("other", HI, "echo hi\n")]);
    let full = suite.run(&[]);
    assert_eq!(full.status.code(), Some(0), "{}", text(&full.stderr));
    let before = std::fs::read(suite.root().join("results/fake-rt-1/fake/report.json")).unwrap();

    let two = suite.run(&["hello", "handshake"]);
    assert_eq!(two.status.code(), Some(0), "{}", text(&two.stderr));
    let partial = suite.report("fake-rt-1/fake/partial");
    let names: Vec<&str> = partial.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["fake/handshake", "fake/hello"]);
    assert_eq!(std::fs::read(suite.root().join("results/fake-rt-1/fake/report.json")).unwrap(), before);

    let typo = suite.run(&["helo"]);
    assert_eq!(typo.status.code(), Some(0));
    assert!(text(&typo.stderr).contains("warning: no trial matches `helo`"));
    let runtime = format!("--runtime={}", suite.root().join("runtime").display());
    let under_ci = suite.command(&[&runtime, "helo"]).env("CI", "true").output().unwrap();
    assert_eq!(under_ci.status.code(), Some(2));
    assert!(text(&under_ci.stderr).contains("error: no trial matches `helo`"), "{}", text(&under_ci.stderr));
}

#[test]
fn a_refused_runtime_fails_in_one_line_and_in_junit() {
    let suite = Suite::new(&[]);
    std::fs::write(suite.root().join("runtime/fake/librustrt.so"), "#!/bin/sh\n").unwrap();
    let output = suite.run(&["--name", "refused"]);
    assert_eq!(output.status.code(), Some(101));
    let stderr = text(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("refused before any case")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("is not a runtime library for this platform"), "{stderr}");
    let report = suite.report("refused/fake");
    assert!(report.refused.is_some());
    let junit = std::fs::read_to_string(suite.root().join("results/refused/fake/junit.xml")).unwrap();
    assert!(junit.contains("errors=\"1\" failures=\"0\"") && junit.contains("type=\"refused\""), "{junit}");
    // Filters do not hide a refusal.
    assert_eq!(suite.run(&["--name", "refused", "hello"]).status.code(), Some(101));
}

#[test]
fn bad_input_is_one_line_naming_the_thing_and_the_rule() {
    let suite = Suite::new(&[]);
    let missing = suite.command(&["--runtime", "/nowhere/librustrt.so"]).output().unwrap();
    let unwritable = suite.run(&["--results-dir", "/proc/no-such-dir"]);
    let bad_name = suite.run(&["--name", "a/b"]);
    let bad_shard = suite.run(&["--shard", "3/2"]);
    let no_suite = Command::new(env!("CARGO_BIN_EXE_conformance")).args(["--runtime", "x"]).output().unwrap();
    for (output, phrase) in [
        (missing, "the runtime under test /nowhere/librustrt.so does not exist"),
        (unwritable, "the results directory /proc/no-such-dir cannot be created"),
        (bad_name, "--name `a/b` cannot name a results directory"),
        (bad_shard, "`3/2` is not a shard"),
        (no_suite, "run the runner from an unpacked kit, or name the suite's parts"),
    ] {
        assert_eq!(output.status.code(), Some(2), "{phrase}: {}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(phrase), "{phrase} not in {stderr}");
        assert!(stderr.trim_end().lines().filter(|l| !l.trim().is_empty()).count() <= 4, "{stderr}");
    }
}

#[test]
fn sigint_stops_every_case_and_leaves_no_process() {
    // Each case starts a child in its group, one that escapes it (setsid),
    // then says it is running and waits.
    let script = "sleep 1000 & setsid sleep 1000 & touch started-$$; wait\n";
    let suite = Suite::new(&[exec_case("sleeper-a", HI, script), exec_case("sleeper-b", HI, script)]);
    let runtime = format!("--runtime={}", suite.root().join("runtime").display());
    let mut runner =
        suite.command(&[&runtime, "--test-threads=2"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while count_files_named(&suite.root().join("work"), "started-") < 2 {
        assert!(started.elapsed() < Duration::from_secs(20), "the cases did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(processes_under(suite.root()) >= 4, "the test cannot see the cases' processes");
    // SAFETY: kill(2) on the runner we started.
    unsafe { libc::kill(runner.id() as i32, libc::SIGINT) };
    let status = runner.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(runner.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by SIGINT"), "{stderr}");
    let deadline = Instant::now() + Duration::from_secs(2);
    while processes_under(suite.root()) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(processes_under(suite.root()), 0, "processes were left behind:\n{stderr}");
    assert!(!suite.root().join("results/fake-rt-1/fake/report.json").exists(), "an interrupted run wrote a report");
}

fn count_files_named(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                count_files_named(&path, prefix)
            } else {
                usize::from(e.file_name().to_string_lossy().starts_with(prefix))
            }
        })
        .sum()
}

/// Live (not zombie) processes whose working directory is under `dir`.
fn processes_under(dir: &Path) -> usize {
    let dir = dir.canonicalize().unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()))
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z'));
            !zombie && std::fs::read_link(e.path().join("cwd")).is_ok_and(|cwd: PathBuf| cwd.starts_with(&dir))
        })
        .count()
}

#[test]
fn shards_run_apart_and_merge_into_the_full_report() {
    let suite = Suite::new(&[
        exec_case("a", HI, "echo hi\n"),
        exec_case("b", HI, "echo hi\n"),
        exec_case("c", HI, "echo hi\n"),
    ]);
    for shard in ["1/2", "2/2"] {
        let output = suite.run(&["--shard", shard]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let first = suite.report("fake-rt-1/fake/shards/1-of-2");
    let second = suite.report("fake-rt-1/fake/shards/2-of-2");
    assert_eq!(first.cases.len() + second.cases.len(), 4);
    assert!(!suite.root().join("results/fake-rt-1/fake/report.json").exists());
    let merge = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["merge", "--results-dir"])
        .arg(suite.root().join("results"))
        .output()
        .unwrap();
    assert_eq!(merge.status.code(), Some(0), "{}", text(&merge.stderr));
    let merged = suite.report("fake-rt-1/fake");
    let names: Vec<&str> = merged.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["fake/a", "fake/b", "fake/c", "fake/handshake"]);
    assert!(std::fs::read_to_string(suite.root().join("results/matrix.md")).unwrap().contains("| fake | 4 / 4 |"));
}

#[test]
fn diff_exits_non_zero_on_regressions_and_survives_a_closed_pipe() {
    let suite = Suite::new(&[exec_case("hello", HI, "echo hi\n")]);
    let old_dir = format!("--results-dir={}", suite.root().join("old").display());
    assert_eq!(suite.run(&[&old_dir]).status.code(), Some(0));
    let old = suite.root().join("old/fake-rt-1/fake/report.json");
    let expectations = suite.expectations("capabilities = []\n");
    write(
        &suite.root().join("cases/hello/case.toml"),
        "about = \"a\"\ncrate = \"hello\"\nstart = \"exec\"\nneeds = [\"procs\"]\n",
    );
    let new_dir = format!("--results-dir={}", suite.root().join("new").display());
    assert_eq!(suite.run(&[&new_dir, &expectations]).status.code(), Some(0));
    let new = suite.root().join("new/fake-rt-1/fake/report.json");
    let diff = |a: &Path, b: &Path| {
        Command::new(env!("CARGO_BIN_EXE_conformance")).arg("diff").arg(a).arg(b).output().unwrap()
    };
    let regressed = diff(&old, &new);
    assert_eq!(regressed.status.code(), Some(1));
    // A dropped capability: a regression, not a fix.
    assert!(
        text(&regressed.stdout).starts_with("### Conformance: 1 regression, 0 fixes"),
        "{}",
        text(&regressed.stdout)
    );
    assert_eq!(diff(&new, &old).status.code(), Some(0));

    let mut piped = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .arg("diff")
        .arg(&old)
        .arg(&new)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(piped.stdout.take()); // the reader went away, like `| head -0`
    let output = piped.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("panicked"), "{}", text(&output.stderr));
}

#[test]
fn a_failed_case_leaves_a_repro_that_reruns_it_alone() {
    let suite = Suite::new(&[exec_case("bye", HI, "echo bye\n")]);
    let output = suite.run(&[]);
    assert_eq!(output.status.code(), Some(101));
    let script = suite.root().join("results/fake-rt-1/fake/repro/bye.sh");
    assert!(text(&output.stdout).contains(&format!("rerun it without the suite: {}", script.display())));
    // The build changes afterwards: the repro still runs what failed.
    write(&suite.root().join("build/fake/crates/bye"), "echo hi\n");
    let rerun = Command::new(&script).output().unwrap();
    assert_eq!(text(&rerun.stdout), "bye\n", "{}", text(&rerun.stderr));
}

#[test]
fn a_repro_that_cannot_be_written_hides_no_outcome() {
    let suite = Suite::new(&[exec_case("bye", HI, "echo bye\n")]);
    // `repro` is a file: no script can be written under it.
    write(&suite.root().join("results/fake-rt-1/fake/repro"), "in the way");
    let output = suite.run(&[]);
    assert_eq!(output.status.code(), Some(101));
    let report = suite.report("fake-rt-1/fake");
    let bye = report.cases.iter().find(|c| c.name == "fake/bye").unwrap();
    assert_eq!(bye.outcome, Outcome::Fail);
    assert!(bye.message.starts_with("the output differs from the golden"), "{}", bye.message);
    assert!(bye.message.contains("+bye") && bye.message.contains("(no repro script: "), "{}", bye.message);
}

#[test]
fn cases_start_with_no_signal_blocked() {
    // The runner's stop handler must not leave its mark on the cases (nor on
    // Wine's server, which must answer `wineserver -k`).
    let golden = "exit: 0\n--- stdout\nSigBlk:\t0000000000000000\n--- stderr\n";
    let suite = Suite::new(&[exec_case("mask", golden, "exec grep SigBlk /proc/self/status\n")]);
    let output = suite.run(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
}

#[test]
fn a_missing_runner_is_the_environment_s_fault_in_one_line() {
    let suite = Suite::new(&[exec_case("hello", HI, "echo hi\n")]);
    write(
        &suite.root().join("platforms/fake.toml"),
        &PLATFORM.replace("runner = [\"sh\"]", "runner = [\"no-such-runner\"]"),
    );
    let output = suite.run(&["--name", "nowhere"]);
    assert_eq!(output.status.code(), Some(101));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("the environment cannot run this platform: the runner `no-such-runner` is not installed"),
        "{stderr}"
    );
    let report = suite.report("nowhere/fake");
    assert_eq!(report.cases.len(), 1);
    assert_eq!(report.cases[0].outcome, Outcome::Broken);
    assert_eq!(Summary::of(&report.cases).runtime.broken, 1);
}

#[test]
fn listing_runs_nothing() {
    let suite = Suite::new(&[exec_case("hello", HI, "touch ran\necho hi\n")]);
    let output = suite.run(&["--list"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "fake/handshake: test\nfake/hello: test\n");
    assert_eq!(count_files_named(&suite.root().join("work"), "ran"), 0);
    assert!(!suite.root().join("results/fake-rt-1").exists());
}
