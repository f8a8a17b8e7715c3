//! `cargo xtask debuggers`: the reference runtime under the tools people
//! debug with, on linux-x86_64.
//!
//! - **gdb**: a proc stopped in a frame on its segment 3 shows a backtrace
//!   that crosses every segment (through `call_on_stack`'s CFI), the proc's
//!   start (`start_trampoline`'s CFI names the main context as its caller)
//!   and reaches `rt_start` on the thread's stack. Crates have no
//!   `DT_DEBUG`, so gdb cannot find the runtime by itself: the script adds
//!   its symbols at the address `/proc/PID/maps` shows (the recipe is in
//!   ARCHITECTURE.md).
//! - **valgrind's memcheck**: many procs, a message flood, 10,000 spawns and
//!   exits, 100 and 1,000 load/run/unload cycles in a host: no error, no byte
//!   definitely lost. Segments are registered as stacks
//!   (`VALGRIND_STACK_REGISTER`), so memcheck follows the switches.
//!
//! Each tool that is not installed is skipped with one line.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use scenario_format::{Desc, Op, Program, Scenario};
use xshell::Shell;

use crate::build::{self, Built};

/// gdb's backtrace through segments and valgrind's memcheck on linux-x86_64.
#[derive(clap::Args, Debug)]
pub struct Debuggers {}

impl Debuggers {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let platforms = build::platforms(sh, "linux-x86_64")?;
        crate::deps::ensure(sh, &platforms)?;
        let built = build::build_platform(sh, &platforms[0], build::Backend::Local, false)?;
        let work = sh.current_dir().join("target/conformance/debuggers");
        prepare(&built, &work)?;
        gdb(&work)?;
        memcheck(&built, &work)?;
        Ok(())
    }
}

/// A work directory with the reference runtime, the crates and the host.
fn prepare(built: &Built, work: &Path) -> anyhow::Result<()> {
    if work.exists() {
        std::fs::remove_dir_all(work)?;
    }
    std::fs::create_dir_all(work)?;
    std::fs::copy(&built.reference_runtime, work.join(&built.platform.runtime_file))?;
    for entry in std::fs::read_dir(built.dir.join("crates"))? {
        let path = entry?.path();
        std::fs::copy(&path, work.join(path.file_name().unwrap()))?;
    }
    std::fs::copy(built.dir.join("host"), work.join("host"))?;
    Ok(())
}

fn installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// A scenario whose proc 2 is, at its `BACKTRACE`, in a frame on its
/// segment 3: body frame (2,048 bytes: segment 1), a frame of 2,048
/// (segment 2, 4,672 bytes, half used), a frame of 4,000 (segment 3).
fn deep_scenario() -> Scenario {
    let desc = |size: u64, name: &str| Desc { size, name: name.into() };
    Scenario {
        seed: 0,
        descs: vec![desc(2048, "on-segment-1"), desc(2048, "on-segment-2"), desc(4000, "on-segment-3")],
        programs: vec![
            Program {
                ops: vec![
                    Op::Spawn { program: 1, desc: 0, mem_budget: u64::MAX, tick_budget: 0, env: false },
                    Op::Join { id: 2, discarded_null: false },
                ],
                status: 0,
            },
            Program {
                ops: vec![Op::Frame {
                    desc: 1,
                    ret: 0,
                    body: vec![Op::Frame { desc: 2, ret: 0, body: vec![Op::Backtrace { max: 8, null: false }] }],
                }],
                status: 0,
            },
        ],
    }
}

const GDB_SCRIPT: &str = r#"
import gdb
gdb.execute("set pagination off")
gdb.execute("break scenario::run_backtrace")
gdb.execute("run")
pid = gdb.selected_inferior().pid
runtime = None
for line in open("/proc/%d/maps" % pid):
    fields = line.split()
    if len(fields) >= 6 and fields[5].endswith("/librustrt.so") and int(fields[2], 16) == 0:
        runtime = (int(fields[0].split("-")[0], 16), fields[5])
        break
gdb.execute("add-symbol-file %s -o %#x" % (runtime[1], runtime[0]))
gdb.execute("bt")
gdb.execute("kill")
"#;

/// What a backtrace from segment 3 must show, each at least so many times:
/// the frame functions on segments 3, 2 and 1, and between them the three
/// `call_on_stack` frames (CFI marks them as signal frames, see
/// `arch/x86_64_sysv.rs`) and the proc's start trampoline, then the thread's
/// stack down to the crate's entry stub.
const EXPECTED_FRAMES: [(&str, usize); 8] = [
    ("scenario::run_backtrace", 1),
    ("scenario::full", 3),
    ("<signal handler called>", 4),
    ("rustrt::sched::enter_frame", 3),
    ("rustrt::sched::proc_start", 1),
    ("rustrt::sched::run_root", 1),
    ("rustrt::table::rt_start", 1),
    ("_rt_crate_start", 1),
];

fn gdb(work: &Path) -> anyhow::Result<()> {
    if !installed("gdb") {
        eprintln!("debuggers: gdb is not installed: the backtrace check is skipped");
        return Ok(());
    }
    let crate_file = std::fs::read(work.join("scenario"))?;
    let image = deep_scenario().encode().map_err(|e| anyhow::anyhow!("{e}"))?;
    let program = work.join("deep");
    std::fs::write(&program, conformance::image::with_image(&crate_file, &image)?)?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755))?;
    let script = work.join("backtrace.py");
    std::fs::write(&script, GDB_SCRIPT)?;
    let output = Command::new("gdb")
        .args(["-batch", "-nx", "-x"])
        .arg(&script)
        .arg(&program)
        .current_dir(work)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .context("cannot run gdb")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    let frames: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    let mut missing = Vec::new();
    for (function, times) in EXPECTED_FRAMES {
        let seen = frames.iter().filter(|f| f.contains(&format!(" {function} ")) || f.ends_with(function)).count();
        if seen < times {
            missing.push(format!("{function} (seen {seen} times, expected at least {times})"));
        }
    }
    let stopped = text.lines().find(|l| l.contains("Backtrace stopped") || l.contains("previous frame inner"));
    if !missing.is_empty() || stopped.is_some() || !frames.last().is_some_and(|f| f.contains("_rt_crate_start")) {
        bail!(
            "gdb's backtrace from a frame on segment 3 does not reach rt_start through every segment: {}{}\n{}",
            missing.join(", "),
            stopped.map(|s| format!("; gdb says: {s}")).unwrap_or_default(),
            frames.join("\n")
        );
    }
    eprintln!("debuggers: gdb: {} frames from segment 3 of proc 2 to _rt_crate_start", frames.len());
    Ok(())
}

/// What memcheck runs: a name, the program and its arguments.
fn memcheck_runs(work: &Path) -> Vec<(&'static str, Vec<PathBuf>)> {
    let file = |name: &str| work.join(name);
    vec![
        ("many-procs", vec![file("many-procs")]),
        ("message-flood", vec![file("message-flood")]),
        ("spawn-exit-loop (10,000 spawns and exits)", vec![file("spawn-exit-loop")]),
        ("embed, 100 cycles", vec![file("host"), file("embed"), "--cycles".into(), "100".into()]),
        ("embed, 1,000 load/run/unload cycles", vec![file("host"), file("embed"), "--cycles".into(), "1000".into()]),
    ]
}

fn memcheck(_built: &Built, work: &Path) -> anyhow::Result<()> {
    if !installed("valgrind") {
        eprintln!("debuggers: valgrind is not installed: the memcheck runs are skipped (apt-get install valgrind)");
        return Ok(());
    }
    // glibc's own reports, each explained in the file.
    let suppressions = crate::project_root().join("xtask/glibc.supp");
    let mut problems = Vec::new();
    for (name, argv) in memcheck_runs(work) {
        let output = Command::new("valgrind")
            .args(["--quiet", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite"])
            .arg(format!("--suppressions={}", suppressions.display()))
            .args(&argv)
            .current_dir(work)
            .env_remove("LD_LIBRARY_PATH")
            .output()
            .with_context(|| format!("cannot run valgrind on {name}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reports: Vec<&str> = stderr.lines().filter(|l| l.starts_with("==")).collect();
        if output.status.code() == Some(99) || !reports.is_empty() {
            problems.push(format!(
                "{name}: memcheck reports (exit {:?}):\n{}",
                output.status.code(),
                reports.join("\n")
            ));
        } else {
            eprintln!("debuggers: memcheck: {name}: 0 errors, 0 bytes definitely lost");
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}
