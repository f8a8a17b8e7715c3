//! `cargo xtask stack-budget`: how deep below its caller's stack pointer
//! the reference runtime's code can go while it runs on a proc's segment,
//! measured from each platform's disassembly, against what SPEC.md gives it:
//! `RT_CALL_RESERVE` (256 bytes) for every table slot (§10.3), and the
//! 288-byte start-up region for a proc's start-up code (§10.1).
//!
//! The depth of a function is its own stack use (every push and stack
//! allocation it contains, counted as if on one path: an over-estimate)
//! plus the deepest of its direct calls (each with its return address) and
//! tail jumps. Indirect calls reach the crate's code, which has a frame of
//! its own, and the upcall machinery: neither counts. `call_on_stack` and
//! `switch` count only what they push before they leave the stack. Code
//! that runs on the thread's stack (`upcall::run`'s trampoline and what it
//! calls) is reached only through `call_on_stack`, so it never counts.
//!
//! The crate's side has the same problem: the scenario interpreter's full
//! and thin frame functions must fit `FULL_MIN_FRAME` and `THIN_MIN_FRAME`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{Context, bail};
use rt_abi::StackModel;
use xshell::{Shell, cmd};

use crate::build;

/// The stack the runtime's code uses on segments, from each platform's disassembly.
#[derive(clap::Args, Debug)]
pub struct StackBudget {}

impl StackBudget {
    pub fn run(self, sh: &Shell) -> anyhow::Result<()> {
        let platforms = build::platforms(sh, "all")?;
        crate::deps::ensure(sh, &platforms)?;
        let mut problems = Vec::new();
        for platform in &platforms {
            let built = build::build_platform(sh, platform, build::Backend::Local, false)?;
            let objdump = objdump_for(&platform.cc);
            let runtime = Disassembly::read(sh, &objdump, &built.reference_runtime)?;
            let interpreter = Disassembly::read(
                sh,
                &objdump,
                &built.dir.join("crates").join(format!("scenario{}", platform.exe_suffix)),
            )?;
            let report = check(&runtime, &interpreter);
            for line in &report.lines {
                eprintln!("stack-budget: {}: {line}", platform.name);
            }
            problems.extend(report.problems.iter().map(|p| format!("{}: {p}", platform.name)));
        }
        if !problems.is_empty() {
            bail!("runtime code can use more stack than SPEC.md gives it:\n{}", problems.join("\n"));
        }
        eprintln!("stack-budget: every slot within {} bytes, start-up within its region", StackModel::CALL_RESERVE);
        Ok(())
    }
}

/// The platform's objdump, from its C compiler's name (`x86_64-w64-mingw32-gcc` →
/// `x86_64-w64-mingw32-objdump`, `gcc` → `objdump`).
fn objdump_for(cc: &str) -> String {
    match cc.strip_suffix("gcc") {
        Some(prefix) => format!("{prefix}objdump"),
        None => "objdump".to_owned(),
    }
}

/// What a function does with the stack, from its instructions.
#[derive(Default, Debug)]
struct Function {
    /// Bytes it allocates itself (pushes and stack adjustments).
    own: u64,
    /// Functions it calls directly.
    calls: Vec<String>,
    /// Functions it tail-jumps to.
    jumps: Vec<String>,
}

struct Disassembly {
    functions: HashMap<String, Function>,
}

impl Disassembly {
    fn read(sh: &Shell, objdump: &str, file: &Path) -> anyhow::Result<Disassembly> {
        let text = cmd!(sh, "{objdump} -d --no-show-raw-insn -C {file}")
            .quiet()
            .read()
            .with_context(|| format!("cannot disassemble {}", file.display()))?;
        Ok(Disassembly::parse(&text))
    }

    fn parse(text: &str) -> Disassembly {
        let mut functions = HashMap::new();
        let mut current: Option<(String, Function)> = None;
        for line in text.lines() {
            if let Some(name) = line.strip_suffix(">:").and_then(|l| l.split_once(" <")).map(|(_, n)| n) {
                if let Some((n, f)) = current.take() {
                    functions.insert(n, f);
                }
                current = Some((demangled_path(name), Function::default()));
                continue;
            }
            let Some((name, function)) = current.as_mut() else { continue };
            let Some(insn) = line.split_once(":\t").map(|(_, i)| i.trim()) else { continue };
            function.own += stack_bytes(insn);
            if let Some(target) = branch_target(insn, "call").or_else(|| branch_target(insn, "bl")) {
                function.calls.push(target);
            } else if let Some(target) = branch_target(insn, "jmp").or_else(|| branch_target(insn, "b"))
                && target != *name
            {
                function.jumps.push(target);
            }
        }
        if let Some((n, f)) = current.take() {
            functions.insert(n, f);
        }
        Disassembly { functions }
    }

    /// The function whose path ends with `suffix` (`sched::enter_frame`).
    fn find(&self, suffix: &str) -> Option<&str> {
        self.functions.keys().find(|name| name.ends_with(suffix)).map(String::as_str)
    }

    /// How deep `name` can go below the stack pointer it was called with,
    /// its return address not included, and the chain of functions that
    /// reaches it. `leaves` gives the fixed depth of functions that leave
    /// the stack, or are not counted.
    fn deepest(&self, name: &str, leaves: &BTreeMap<&str, u64>, seen: &mut Vec<String>) -> (u64, Vec<String>) {
        if let Some((_, d)) = leaves.iter().find(|(suffix, _)| name.ends_with(*suffix)) {
            return (*d, vec![format!("{name} ({d})")]);
        }
        let Some(function) = self.functions.get(name) else { return (0, vec![format!("{name} (outside)")]) };
        if seen.iter().any(|s| s == name) {
            // Recursion: counted once (the runtime's fast paths do not recurse).
            return (function.own, vec![format!("{name} ({}, recursive)", function.own)]);
        }
        seen.push(name.to_owned());
        let mut best = (function.own, vec![format!("{name} ({})", function.own)]);
        for callee in &function.calls {
            let (d, mut chain) = self.deepest(callee, leaves, seen);
            if function.own + 8 + d > best.0 {
                chain.insert(0, format!("{name} ({}) + call", function.own));
                best = (function.own + 8 + d, chain);
            }
        }
        for target in &function.jumps {
            let (d, mut chain) = self.deepest(target, leaves, seen);
            if d > best.0 {
                chain.insert(0, format!("{name} (tail jump)"));
                best = (d, chain);
            }
        }
        seen.pop();
        best
    }
}

/// A symbol's path without Rust's hash suffix (`rustrt::sched::enter_frame`).
fn demangled_path(name: &str) -> String {
    let name = name.split(".llvm.").next().unwrap_or(name);
    match name.rsplit_once("::h") {
        Some((path, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => path.to_owned(),
        _ => name.to_owned(),
    }
}

/// The stack bytes one instruction allocates (x86-64 in AT&T syntax, AArch64).
fn stack_bytes(insn: &str) -> u64 {
    let mut parts = insn.split_whitespace();
    let op = parts.next().unwrap_or("");
    let rest: String = parts.collect::<Vec<_>>().join(" ");
    match op {
        "push" | "pushq" => 8,
        "sub" if rest.ends_with(",%rsp") => hex_imm(rest.trim_start_matches('$').split(',').next().unwrap_or("")),
        // AArch64: `sub sp, sp, #0x40`, `stp x29, x30, [sp, #-64]!`, `str x19, [sp, #-16]!`
        "sub" if rest.starts_with("sp, sp, #") => hex_imm(rest.trim_start_matches("sp, sp, #")),
        "stp" | "str" if rest.ends_with("]!") && rest.contains("[sp, #-") => {
            let n = rest.rsplit_once("#-").map(|(_, n)| n.trim_end_matches("]!")).unwrap_or("0");
            n.parse().unwrap_or(0)
        }
        _ => 0,
    }
}

fn hex_imm(text: &str) -> u64 {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).unwrap_or(0),
        None => text.parse().unwrap_or(0),
    }
}

/// The function a direct `op` (call, bl, jmp, b) goes to, if this is one.
fn branch_target(insn: &str, op: &str) -> Option<String> {
    let (mnemonic, rest) = insn.split_once(char::is_whitespace)?;
    if mnemonic != op {
        return None;
    }
    let target = rest.split_once('<')?.1.strip_suffix('>')?;
    // `<f+0x12>` is a jump inside a function; only its start is a call target.
    let (function, offset) = target.split_once('+').unwrap_or((target, ""));
    (offset.is_empty() || op == "call" || op == "bl").then(|| demangled_path(function))
}

struct Report {
    lines: Vec<String>,
    problems: Vec<String>,
}

/// The table's slots, by the functions that implement them.
const SLOTS: [&str; 22] = [
    "table::write_out",
    "table::write_err",
    "table::frame_call",
    "table::stack_info",
    "table::backtrace",
    "table::spawn",
    "table::yield_now",
    "table::join",
    "table::self_id",
    "table::proc_env",
    "table::send",
    "table::receive",
    "table::proc_info",
    "table::vec_alloc",
    "table::vec_share",
    "table::vec_release",
    "table::vec_write",
    "table::send_vec",
    "table::receive_vec",
    "table::tick",
    "table::runtime_info",
    "sched::proc_start",
];

fn check(runtime: &Disassembly, interpreter: &Disassembly) -> Report {
    let mut report = Report { lines: Vec::new(), problems: Vec::new() };
    let runtime_leaves = leaves(runtime);
    let reserve = StackModel::CALL_RESERVE;
    let start_up = StackModel::CALL_RESERVE + StackModel::FRAME_RECORD;
    let mut deepest = (0, "");
    for slot in SLOTS {
        let Some(name) = runtime.find(slot) else {
            report.problems.push(format!("no function `{slot}` in the runtime's disassembly"));
            continue;
        };
        let start = slot == "sched::proc_start";
        // The slot's return address is below its caller's stack pointer too;
        // the start-up code begins with the trampoline's (a call and, on
        // Windows, shadow space: `start_trampoline`'s own allocation).
        let entry = if start {
            let trampoline = runtime.find("start_trampoline").map_or(0, |t| runtime.functions[t].own);
            trampoline + 8
        } else {
            8
        };
        let (below, chain) = runtime.deepest(name, &runtime_leaves, &mut Vec::new());
        let depth = entry + below;
        let budget = if start { start_up } else { reserve };
        if depth > budget {
            report.problems.push(format!(
                "`{slot}` can use {depth} bytes of its caller's stack; it has {budget}: {}",
                chain.join(" -> ")
            ));
        }
        if !start && depth > deepest.0 {
            deepest = (depth, slot);
        }
        if start {
            report.lines.push(format!("proc start-up code: at most {depth} of its {start_up} bytes"));
        }
    }
    report.lines.push(format!("deepest slot: `{}`, at most {} of {reserve} bytes", deepest.1, deepest.0));
    // The interpreter's frame functions against the smallest frames that run them.
    for (function, min) in
        [("scenario::full", scenario_format::FULL_MIN_FRAME), ("thin", scenario_format::THIN_MIN_FRAME)]
    {
        let Some(name) = interpreter.find(function) else {
            report.problems.push(format!("no function `{function}` in the interpreter's disassembly"));
            continue;
        };
        // Its return address and (Windows) its caller's shadow space are in the frame too.
        let (below, chain) = interpreter.deepest(name, &panics(), &mut Vec::new());
        let depth = 8 + 32 + below;
        if depth > min {
            report.problems.push(format!(
                "the interpreter's `{function}` uses {depth} bytes; its smallest frame is {min}: {}",
                chain.join(" -> ")
            ));
        }
        report.lines.push(format!("interpreter `{function}`: at most {depth} of {min} bytes ({})", chain.join(" -> ")));
    }
    report
}

/// Panics, not counted: a panic is a bug that ends the process (the
/// runtime's panic handler moves to the thread's stack to format its
/// message; a crate's writes it and traps).
fn panics() -> BTreeMap<&'static str, u64> {
    [
        "rust_begin_unwind",
        "panic_nounwind",
        "panic_nounwind_fmt",
        "panic_fmt",
        "panic_bounds_check",
        "slice_index_fail",
        "panic_cannot_unwind",
        "unwrap_failed",
        "panicking::panic",
        "panic_const_add_overflow",
        "panic_const_sub_overflow",
    ]
    .into_iter()
    .map(|p| (p, 0))
    .collect()
}

/// What `call_on_stack` and `switch` use before they leave the stack, and
/// what is not counted.
fn leaves(runtime: &Disassembly) -> BTreeMap<&'static str, u64> {
    let mut leaves = BTreeMap::new();
    for (suffix, counted) in [("arch::x86_64_sysv::call_on_stack", 8), ("arch::aarch64::call_on_stack", 16)] {
        leaves.insert(suffix, counted);
    }
    // Windows' call_on_stack: five pushes before it moves; call_on_segment:
    // four and 8 bytes of alignment (elsewhere it is call_on_stack, inlined).
    leaves.insert("arch::x86_64_windows::call_on_stack", 40);
    leaves.insert("arch::x86_64_windows::call_on_segment", 40);
    // switch: System V pushes its 64-byte frame (minus the return address
    // counted by the caller); the others keep the context in the record.
    leaves.insert("arch::x86_64_sysv::switch", 56);
    // `upcall::run_erased` calls `f` itself only when code already runs on
    // the thread's stack; from a segment it goes through call_on_stack, so
    // its indirect call is not counted either way.
    leaves.insert("upcall::run::trampoline", 0);
    leaves.extend(panics());
    leaves.insert("arch::x86_64_windows::switch", 0);
    leaves.insert("arch::aarch64::switch", 0);
    let _ = runtime;
    leaves
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_bytes_reads_both_instruction_sets() {
        assert_eq!(stack_bytes("push   %rbp"), 8);
        assert_eq!(stack_bytes("sub    $0xa8,%rsp"), 0xa8);
        assert_eq!(stack_bytes("sub    $0x20,%rax"), 0);
        assert_eq!(stack_bytes("sub\tsp, sp, #0xb0"), 0xb0);
        assert_eq!(stack_bytes("stp\tx29, x30, [sp, #-64]!"), 64);
        assert_eq!(stack_bytes("stp\tx29, x30, [sp, #16]"), 0);
    }

    #[test]
    fn depth_adds_calls_and_follows_tail_jumps() {
        let text = "\n0000000000001000 <a::f::h0123456789abcdef>:\n    1000:\tpush   %rbp\n    1001:\tsub    $0x20,%rsp\n    1005:\tcall   2000 <b::g::h0123456789abcdef>\n    100a:\tjmp    1001 <a::f::h0123456789abcdef+0x1>\n    100c:\tjmp    3000 <c::h>\n\n0000000000002000 <b::g::h0123456789abcdef>:\n    2000:\tsub    $0x100,%rsp\n\n0000000000003000 <c::h>:\n    3000:\tpush   %rbx\n";
        let d = Disassembly::parse(text);
        assert_eq!(d.functions["a::f"].own, 40);
        assert_eq!(d.functions["a::f"].jumps, vec!["c::h".to_owned()]);
        assert_eq!(d.deepest("a::f", &BTreeMap::new(), &mut Vec::new()).0, 40 + 8 + 0x100);
    }
}
