//! The runtime run by tests that act as a crate: they call `sched::run_root`
//! with a body and use the table, as a crate would. Natively they run on
//! real segments; under Miri (`cargo +nightly miri test -p reference-rt`)
//! on the thread backend, where Miri checks every access the scheduler,
//! the stacks, the vecs and the messages make — aliasing and ordering
//! included. The conformance suite checks behaviour in depth; these check
//! the logic can run clean, leaks included (`runtime_info` after teardown).

use std::sync::Mutex;

use rt_abi::{
    FrameDesc, FrameFn, ProcInfo, RT_JOIN_SELF, RT_NO_SUCH_PROC, RT_VEC_COPIED, RT_VEC_GROWN, RT_VEC_IN_PLACE, RtTable,
    RtVec, RuntimeInfo, SpawnArgs, StackInfo, StackModel,
};

use crate::budget::{Account, Failure, Kind, Ledger, Request, Sink};
use crate::{sched, state, table};

/// One runtime at a time: its state is global.
static LOCK: Mutex<()> = Mutex::new(());
/// What procs observed, in order.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Test code is std code: give it frames big enough for formatting and the
/// test harness's machinery.
static BIG: FrameDesc = FrameDesc { size: 1 << 20, name: c"test-body".as_ptr() };
static SMALL: FrameDesc = FrameDesc { size: 4096, name: c"test-small".as_ptr() };

fn t() -> &'static RtTable {
    table::table()
}

fn log(line: String) {
    LOG.lock().unwrap().push(line);
}

/// Runs `body(arg)` as the root; returns its status, the log, and what was
/// still alive when the process would have exited.
fn run(body: FrameFn, arg: u64) -> (i32, Vec<String>, RuntimeInfo) {
    let _one = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    LOG.lock().unwrap().clear();
    let status = sched::run_root(&BIG, body, arg);
    // SAFETY: the runtime is not running; read before teardown.
    let left = unsafe { (*state::runtime()).ledger.info() };
    let leaked = sched::teardown();
    assert_eq!(leaked, RuntimeInfo::default(), "the runtime leaked");
    (status, std::mem::take(&mut *LOG.lock().unwrap()), left)
}

fn spawn(entry: FrameFn, arg: u64, mem_budget: u64, tick_budget: u64) -> u32 {
    spawn_in(&BIG, entry, arg, mem_budget, tick_budget)
}

fn spawn_in(desc: &'static FrameDesc, entry: FrameFn, arg: u64, mem_budget: u64, tick_budget: u64) -> u32 {
    let args = SpawnArgs { entry_desc: desc, entry, arg, env: std::ptr::null_mut(), mem_budget, tick_budget };
    // SAFETY: valid arguments.
    unsafe { (t().spawn)(&args) }
}

fn join(id: u32) -> (i32, u64) {
    let mut discarded = 0;
    // SAFETY: `discarded` is writable.
    let status = unsafe { (t().join)(id, &mut discarded) };
    (status, discarded)
}

fn me() -> u32 {
    // SAFETY: no arguments.
    unsafe { (t().self_id)() }
}

fn proc_info() -> ProcInfo {
    let mut info = ProcInfo::default();
    // SAFETY: writable.
    unsafe { (t().proc_info)(&mut info) };
    info
}

fn stack_info() -> StackInfo {
    let mut info = StackInfo::default();
    // SAFETY: writable.
    unsafe { (t().stack_info)(&mut info) };
    info
}

fn runtime_info() -> RuntimeInfo {
    let mut info = RuntimeInfo::default();
    // SAFETY: writable.
    unsafe { (t().runtime_info)(&mut info) };
    info
}

/// What is alive when the root ends is counted; `run` checks that teardown
/// then leaves nothing.
#[test]
fn procs_alive_at_the_end_are_counted() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        spawn(blocked, 0, u64::MAX, 0);
        // SAFETY: no arguments.
        unsafe { (t().yield_now)() };
        0
    }
    unsafe extern "C" fn blocked(_: u64) -> u64 {
        let mut buf = [0u8; 4];
        // SAFETY: a writable buffer.
        unsafe { (t().receive)(buf.as_mut_ptr(), 4, std::ptr::null_mut()) };
        0
    }
    let (status, _, left) = run(body, 0);
    assert_eq!(status, 0);
    // Proc 2 is still blocked when the root ends: a record and two segments.
    assert_eq!((left.procs, left.segments), (1, 2));
}

#[test]
fn procs_run_in_fifo_order_and_join_in_order() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        let a = spawn(worker, 1, u64::MAX, 0);
        let b = spawn(worker, 2, u64::MAX, 0);
        let c = spawn(joiner, u64::from(a), u64::MAX, 0);
        log(format!("root spawned {a} {b} {c}"));
        assert_eq!(join(me()).0, RT_JOIN_SELF);
        assert_eq!(join(99).0, RT_NO_SUCH_PROC);
        let (status, _) = join(a);
        log(format!("root joined {a}: {status}"));
        join(b);
        join(c);
        log(format!("root joined again: {:?}", join(a)));
        0
    }
    unsafe extern "C" fn worker(n: u64) -> u64 {
        for i in 0..2 {
            log(format!("worker {n} step {i}"));
            // SAFETY: no arguments.
            unsafe { (t().yield_now)() };
        }
        10 + n
    }
    unsafe extern "C" fn joiner(target: u64) -> u64 {
        let (status, _) = join(target as u32);
        log(format!("joiner saw {target} end with {status}"));
        0
    }
    let (status, log, left) = run(body, 0);
    assert_eq!(status, 0);
    assert_eq!(
        log,
        [
            "root spawned 2 3 4",
            "worker 1 step 0",
            "worker 2 step 0",
            "worker 1 step 1",
            "worker 2 step 1",
            "root joined 2: 11",
            "joiner saw 2 end with 11",
            "root joined again: (11, 0)",
        ]
    );
    // Only the root's record and segments were alive at its end.
    assert_eq!(left.procs, 0);
}

#[test]
fn messages_and_vecs_move_and_charge_exactly() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        let sink = spawn(sink, 0, u64::MAX, 0);
        let before = proc_info().curr_mem;
        // SAFETY: the table's services on vecs this proc holds.
        unsafe {
            let mut v = (t().vec_alloc)(16);
            assert_eq!(proc_info().curr_mem, before + 48);
            assert_eq!((t().vec_write)(&mut v, 0, b"hello".as_ptr(), 5), RT_VEC_IN_PLACE);
            let shared = (t().vec_share)(v);
            assert_eq!((*v).refs.load(std::sync::atomic::Ordering::Relaxed), 2);
            let mut copy = shared;
            assert_eq!((t().vec_write)(&mut copy, 5, b"!".as_ptr(), 1), RT_VEC_COPIED);
            assert_ne!(copy, v);
            assert_eq!(proc_info().vec_copies, 1);
            assert_eq!((t().vec_write)(&mut copy, 6, [7u8; 20].as_ptr(), 20), RT_VEC_GROWN);
            assert_eq!(((*copy).size, (*copy).live), (32, 26));
            assert_eq!((t().send_vec)(sink, v), 0);
            assert_eq!((t().send)(sink, b"bytes".as_ptr(), 5), 0);
            assert_eq!((t().send)(99, b"x".as_ptr(), 1), RT_NO_SUCH_PROC);
            (t().vec_release)(v);
            (t().vec_release)(copy);
            (t().vec_release)(copy); // not held any more: nothing
        }
        // The vec (48) lives on, held by the message; both messages charged.
        assert_eq!(proc_info().curr_mem, before + 48 + 32 + 37);
        join(sink);
        assert_eq!(proc_info().curr_mem, before);
        0
    }
    unsafe extern "C" fn sink(_: u64) -> u64 {
        let mut sender = 0;
        // SAFETY: valid pointers.
        unsafe {
            let v = (t().receive_vec)(&mut sender);
            let live = (*v).live as usize;
            log(format!("vec from {sender}: {:?}", std::slice::from_raw_parts(RtVec::slots_ptr(v), live)));
            let mut buf = [0u8; 3];
            let len = (t().receive)(buf.as_mut_ptr(), 3, &mut sender);
            log(format!("{len} bytes from {sender}, kept {:?}", buf));
            (t().vec_release)(v);
        }
        0
    }
    let (status, log, left) = run(body, 0);
    assert_eq!(status, 0);
    assert_eq!(log, ["vec from 1: [104, 101, 108, 108, 111]", "5 bytes from 1, kept [98, 121, 116]"]);
    assert_eq!((left.vecs, left.messages), (0, 0));
}

#[test]
fn a_failed_proc_gives_everything_back() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        let baseline = runtime_info();
        // Body frame 4384 bytes: a 4384-byte segment, so the proc starts at
        // 256 + 832 + 4448 = 5536; its vec 132 and message 32 take it to 5700,
        // then vecs of 1032: 6732, 7764, and the next (8796) fails.
        let greedy = spawn_in(&SMALL, greedy, 0, 8192, 0);
        // SAFETY: a readable byte.
        unsafe { (t().send)(greedy, [1u8].as_ptr(), 1) };
        let (status, discarded) = join(greedy);
        log(format!("greedy: {status}, {discarded} discarded"));
        let after = runtime_info();
        log(format!(
            "alive after: {} procs, {} bytes more",
            after.procs - baseline.procs,
            after.bytes - baseline.bytes
        ));
        0
    }
    unsafe extern "C" fn greedy(_: u64) -> u64 {
        // SAFETY: the table's vec services.
        unsafe {
            let v = (t().vec_alloc)(100);
            (t().send_vec)(1, v); // held by a message to the root: outlives this proc
            loop {
                (t().vec_alloc)(1000);
            }
        }
    }
    let (status, log, _) = run(body, 0);
    assert_eq!(status, 0);
    // The root's queue still holds the vec message: 132 bytes of vec + 32 of message.
    assert_eq!(log, ["greedy: 92, 1 discarded", "alive after: 0 procs, 164 bytes more"]);
}

#[test]
fn frames_grow_segments_and_the_spare_is_kept() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        let before = stack_info();
        for _ in 0..3 {
            // SAFETY: a static descriptor and a function of the right type.
            unsafe { (t().frame_call)(&SPILL, nested, 0) };
        }
        let after = stack_info();
        log(format!(
            "allocated {}, freed {}, held {}",
            after.segments_allocated - before.segments_allocated,
            after.segments_freed - before.segments_freed,
            after.segments_held
        ));
        0
    }
    static SPILL: FrameDesc = FrameDesc { size: 1 << 21, name: c"spill".as_ptr() };
    unsafe extern "C" fn nested(_: u64) -> u64 {
        // SAFETY: as above.
        unsafe { (t().frame_call)(&SMALL, leaf, 0) }
    }
    unsafe extern "C" fn leaf(_: u64) -> u64 {
        stack_info().depth
    }
    let (status, log, _) = run(body, 0);
    assert_eq!(status, 0);
    // The root's body frame fills its segment 1 exactly, so SPILL goes to a
    // new segment 2 (allocated once, then cached: §10.6), and SMALL to a new
    // segment 3, freed each time the proc steps back from 2 to 1 (a proc
    // keeps one segment beyond its current one): 1 + 3 allocated, 3 freed,
    // segments 0 to 2 held at the end.
    assert_eq!(log, ["allocated 4, freed 3, held 3"]);
}

#[test]
fn ticks_preempt_and_budgets_fail() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        let a = spawn(spinner, 1, u64::MAX, 0);
        let b = spawn(spinner, 2, u64::MAX, 0);
        let c = spawn(spinner, 3, u64::MAX, 2500);
        log(format!("joined: {:?} {:?} {:?}", join(a), join(b), join(c)));
        0
    }
    unsafe extern "C" fn spinner(n: u64) -> u64 {
        for i in 0..3 {
            log(format!("spinner {n} round {i}"));
            // SAFETY: no pointers.
            unsafe { (t().tick)(999) };
        }
        n
    }
    let (status, log, _) = run(body, 0);
    assert_eq!(status, 0);
    // Each body frame counts 1 tick, so a spinner's first tick(999) ends
    // its slice (1000) and it goes to the tail; after that a slice holds
    // two rounds (999, then 1998). Spinner 3 fails at its third tick:
    // 1 + 3 × 999 = 2998 > 2500.
    assert_eq!(
        log,
        [
            "spinner 1 round 0",
            "spinner 2 round 0",
            "spinner 3 round 0",
            "spinner 1 round 1",
            "spinner 1 round 2",
            "spinner 2 round 1",
            "spinner 2 round 2",
            "spinner 3 round 1",
            "spinner 3 round 2",
            "joined: (1, 0) (2, 0) (94, 0)",
        ]
    );
}

#[test]
fn a_deadlock_ends_the_process_with_93() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        let waiter = spawn(wait, 0, u64::MAX, 0);
        join(waiter);
        0
    }
    unsafe extern "C" fn wait(_: u64) -> u64 {
        // SAFETY: a null buffer of capacity 0.
        unsafe { (t().receive_vec)(std::ptr::null_mut()) };
        0
    }
    let (status, _, left) = run(body, 0);
    assert_eq!(status, 93);
    assert_eq!(left.procs, 2);
}

/// Failure lines are SPEC.md §14.5's templates.
#[test]
fn failure_lines_follow_the_templates() {
    struct Lines(Vec<u8>);
    impl Sink for Lines {
        fn put(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes)
        }
    }
    let mut ledger = Ledger::default();
    let mut account = Account::new(1000);
    account.try_charge(&mut ledger, Kind::Vec, 900).unwrap();
    let over = account.check(200).unwrap_err();
    let cases: [(Failure, &str); 5] = [
        (
            Failure::StackLimit { frame_name: c"f\xffg".as_ptr(), frame_bytes: 544, segment_size: 1536, over },
            "rustrt: proc 7 failed: stack limit: frame `f\u{fffd}g` needs 544 bytes, and a new 1536-byte segment \
             would bring the proc to 1100 of its 1000-byte memory budget\n",
        ),
        (
            Failure::memory(Request::Vec { size: 168 }, over),
            "rustrt: proc 7 failed: memory budget: a vec of 168 bytes costs 200 bytes, which would bring the proc \
             to 1100 of its 1000-byte memory budget\n",
        ),
        (
            Failure::memory(Request::Message { len: 168, to: 3 }, over),
            "rustrt: proc 7 failed: memory budget: a 168-byte message to proc 3 costs 200 bytes, which would bring \
             the proc to 1100 of its 1000-byte memory budget\n",
        ),
        (
            Failure::memory(Request::VecMessage { to: 3 }, over),
            "rustrt: proc 7 failed: memory budget: a vec message to proc 3 costs 200 bytes, which would bring the \
             proc to 1100 of its 1000-byte memory budget\n",
        ),
        (
            Failure::TickBudget { used: 11, budget: 10 },
            "rustrt: proc 7 failed: tick budget: 11 ticks used, the budget is 10\n",
        ),
    ];
    for (failure, expected) in cases {
        let mut lines = Lines(Vec::new());
        failure.write_line(7, &mut lines);
        // The name's byte 0xff is written as it is.
        assert_eq!(String::from_utf8_lossy(&lines.0), expected);
    }
    assert_eq!(ledger.info().bytes, 900);
}

#[test]
fn frame_bytes_rounds_and_saturates() {
    let f = StackModel::frame_bytes;
    assert_eq!([f(0), f(1), f(16), f(17), f(4096)], [288, 304, 304, 320, 4384]);
    assert_eq!(f(u64::MAX - 8), u64::MAX, "an absurd size asks for an impossible frame");
}

/// SPEC.md §13.8: a `send_vec` the sender cannot pay for changes nothing,
/// so the vec's reference count is as before and nothing leaks when the
/// sender's end releases it.
#[test]
fn a_send_vec_over_budget_leaks_nothing() {
    unsafe extern "C" fn body(_: u64) -> u64 {
        let baseline = runtime_info();
        let broke = spawn_in(&SMALL, broke, 0, 5536 + 132, 0);
        log(format!("sender: {:?}", join(broke)));
        let after = runtime_info();
        log(format!("vecs {} -> {}, bytes the same: {}", baseline.vecs, after.vecs, baseline.bytes == after.bytes));
        0
    }
    unsafe extern "C" fn broke(_: u64) -> u64 {
        // SAFETY: the table's vec services on a vec this proc holds.
        unsafe {
            // 5536 + 132: exactly the vec; the vec message's 32 are over.
            let v = (t().vec_alloc)(100);
            (t().send_vec)(1, v);
        }
        0
    }
    let (status, log, _) = run(body, 0);
    assert_eq!(status, 0);
    assert_eq!(log, ["sender: (92, 0)", "vecs 0 -> 0, bytes the same: true"]);
}

/// The modules form a DAG (ARCHITECTURE.md, "Invariants"): each uses only
/// modules before it in this order. `arch` and `os` are per-target
/// directories whose files are all checked.
const MODULE_ORDER: [&str; 12] =
    ["arch", "budget", "os", "heap", "upcall", "stack", "vec", "queue", "state", "messages", "sched", "table"];

/// The modules of `crate::…` a source file uses.
fn used_modules(source: &str) -> std::collections::BTreeSet<String> {
    let mut used = std::collections::BTreeSet::new();
    for (i, _) in source.match_indices("crate::") {
        let rest = &source[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d}`: the first segment of each item.
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                used.insert(name);
            }
        } else {
            used.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    used.retain(|name| MODULE_ORDER.contains(&name.as_str()));
    used
}

#[test]
#[cfg_attr(miri, ignore = "reads the source files: a check of the code's shape, not of its logic")]
fn the_modules_form_a_dag() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for (rank, module) in MODULE_ORDER.iter().enumerate() {
        let single = src.join(format!("{module}.rs"));
        let files: Vec<std::path::PathBuf> = if single.is_file() {
            vec![single]
        } else {
            std::fs::read_dir(src.join(module)).unwrap().map(|e| e.unwrap().path()).collect()
        };
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for used in used_modules(&source) {
                let used_rank = MODULE_ORDER.iter().position(|m| *m == used).unwrap();
                if used_rank >= rank && used != *module {
                    offenders.push(format!("{} uses `{used}`, which comes after `{module}`", file.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "the runtime's modules are not a DAG in MODULE_ORDER:\n{}", offenders.join("\n"));
    assert_eq!(
        used_modules("use crate::{budget::Kind, os};\nlet x = crate::stack::f();"),
        ["budget", "os", "stack"].map(String::from).into_iter().collect()
    );
}
