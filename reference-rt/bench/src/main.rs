//! `cargo xtask bench`: the reference runtime's services against baselines,
//! each pair measured side by side in one run (a shared, noisy machine makes
//! absolute times meaningless; ratios measured together are not).
//!
//! The bench is its own crate in the runtime's sense: it loads the runtime
//! library, hands `rt_start` its entry point, and runs inside the root proc,
//! on the runtime's segmented stack, calling the runtime only through the
//! table. It writes `results/bench.json` (path given as the second argument)
//! and prints a table.
//!
//! usage: rt-bench RUNTIME-LIBRARY OUTPUT-JSON

use std::hint::black_box;
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::Instant;

use rt_abi::{FrameDesc, FrameFn, RtTable, SpawnArgs, StackInfo};

static OUTPUT: OnceLock<String> = OnceLock::new();
static TABLE: OnceLock<usize> = OnceLock::new();

fn table() -> &'static RtTable {
    // SAFETY: set once from the table the runtime handed `bench_entry`.
    unsafe { &*(*TABLE.get().unwrap() as *const RtTable) }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: rt-bench RUNTIME-LIBRARY OUTPUT-JSON");
        std::process::exit(2);
    }
    OUTPUT.set(args[2].clone()).unwrap();
    let path = std::ffi::CString::new(args[1].clone()).unwrap();
    // SAFETY: dlopen/dlsym of a library path; the symbol has rt_start's type (SPEC.md).
    let rt_start: rt_abi::RtStart = unsafe {
        let lib = libc::dlopen(path.as_ptr(), libc::RTLD_NOW);
        if lib.is_null() {
            eprintln!("rt-bench: cannot load {}", args[1]);
            std::process::exit(2);
        }
        let sym = libc::dlsym(lib, c"rt_start".as_ptr());
        if sym.is_null() {
            eprintln!("rt-bench: {} has no rt_start", args[1]);
            std::process::exit(2);
        }
        std::mem::transmute::<*mut libc::c_void, rt_abi::RtStart>(sym)
    };
    // SAFETY: bench_entry is a crate entry point; rt_start exits the process.
    unsafe { rt_start(bench_entry) }
}

unsafe extern "C" fn bench_entry(table: *const RtTable) -> i32 {
    TABLE.set(table as usize).unwrap();
    let rows = run_all();
    print_and_write(&rows);
    0
}

struct Row {
    name: &'static str,
    ns_per_op: f64,
    baseline: &'static str,
    baseline_ns_per_op: f64,
    goal: &'static str,
    note: String,
}

/// Nanoseconds per iteration of `f`, the best of a few rounds.
fn time_per_op(iterations: u64, mut f: impl FnMut(u64)) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for i in 0..iterations {
            f(black_box(i));
        }
        best = best.min(start.elapsed().as_nanos() as f64 / iterations as f64);
    }
    best
}

#[inline(never)]
extern "C" fn leaf(x: u64) -> u64 {
    black_box(x.wrapping_add(1))
}

static OUTER: FrameDesc = FrameDesc { size: 16384, name: c"bench-outer".as_ptr() };
static SMALL: FrameDesc = FrameDesc { size: 64, name: c"bench-small".as_ptr() };
static CROSSING: FrameDesc = FrameDesc { size: 1024, name: c"bench-crossing".as_ptr() };
static BODY: FrameDesc = FrameDesc { size: 32768, name: c"bench-body".as_ptr() };
static IDLE: FrameDesc = FrameDesc { size: 128, name: c"bench-idle".as_ptr() };

unsafe extern "C" fn leaf_frame(x: u64) -> u64 {
    leaf(x)
}

fn frame_call(desc: &'static FrameDesc, f: FrameFn, arg: u64) -> u64 {
    // SAFETY: a static descriptor and a function of the right type.
    unsafe { (table().frame_call)(desc, f, arg) }
}

fn stack_info() -> StackInfo {
    let mut info = StackInfo::default();
    // SAFETY: `info` is writable.
    unsafe { (table().stack_info)(&mut info) };
    info
}

fn spawn(desc: &'static FrameDesc, entry: FrameFn, arg: u64) -> u32 {
    let args =
        SpawnArgs { entry_desc: desc, entry, arg, env: std::ptr::null_mut(), mem_budget: u64::MAX, tick_budget: 0 };
    // SAFETY: valid arguments.
    unsafe { (table().spawn)(&args) }
}

fn join(id: u32) -> i32 {
    // SAFETY: a null `discarded` is allowed.
    unsafe { (table().join)(id, std::ptr::null_mut()) }
}

/// Runs `body` in a proc of its own (a fresh, segmented stack) and waits.
fn in_proc(body: FrameFn) {
    join(spawn(&BODY, body, 0));
}

static mut ROWS: Vec<Row> = Vec::new();

fn push(row: Row) {
    // SAFETY: one thread: the runtime runs procs one at a time.
    unsafe { (*std::ptr::addr_of_mut!(ROWS)).push(row) };
}

fn run_all() -> Vec<Row> {
    in_proc(bench_frames);
    in_proc(bench_yield);
    in_proc(bench_messages);
    in_proc(bench_vecs);
    in_proc(bench_ticks);
    bench_spawn();
    bench_idle_memory();
    // SAFETY: one thread; every proc above has ended.
    unsafe { std::mem::take(&mut *std::ptr::addr_of_mut!(ROWS)) }
}

unsafe extern "C" fn bench_frames(_: u64) -> u64 {
    const N: u64 = 2_000_000;
    let plain = time_per_op(N, |i| {
        black_box(black_box(leaf as extern "C" fn(u64) -> u64)(i));
    });
    // Oscillation: this body's frame fills its segment, so every frame it
    // enters crosses into the next one. Measured first, while no segment is
    // cached yet: the first crossing allocates, the others must not.
    let before = stack_info();
    assert_eq!(before.segment_live, before.segment_size, "the body's frame should fill its segment");
    let osc = time_per_op(N, |i| {
        black_box(frame_call(&CROSSING, leaf_frame, i));
    });
    let after = stack_info();
    assert_eq!(after.segments_allocated - before.segments_allocated, 1, "the oscillation must allocate once");
    // A frame that fits: inside an outer frame with room to spare.
    unsafe extern "C" fn fits(_: u64) -> u64 {
        time_per_op(N, |i| {
            black_box(frame_call(&SMALL, leaf_frame, i));
        })
        .to_bits()
    }
    let fit = f64::from_bits(frame_call(&OUTER, fits, 0));
    let grow = time_per_op(20_000, |i| {
        black_box(stacker::grow(64 * 1024, || leaf(i)));
    });
    for (name, ns, baseline, base_ns, goal) in [
        ("frame entry that fits in the current segment", fit, "a plain non-inlined call", plain, "<= 1.5"),
        ("call/return oscillating across a segment boundary", osc, "a plain non-inlined call", plain, "<= 3"),
        (
            "call/return oscillating across a segment boundary",
            osc,
            "stacker::grow (maybe_grow forced to grow) at the same spot",
            grow,
            "<= 0.02",
        ),
    ] {
        push(Row { name, ns_per_op: ns, baseline, baseline_ns_per_op: base_ns, goal, note: String::new() });
    }
    0
}

/// Set when the yield partner should stop.
static STOP_PARTNER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Yields until told to stop: the other half of a round trip.
unsafe extern "C" fn yield_partner(_: u64) -> u64 {
    while !STOP_PARTNER.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: the table's yield.
        unsafe { (table().yield_now)() };
    }
    0
}

unsafe extern "C" fn bench_yield(_: u64) -> u64 {
    const N: u64 = 1_000_000;
    // Two procs taking turns: each iteration is a round trip, this proc's
    // yield to the partner and the partner's yield back: two switches, as
    // corosensei's resume + yield is.
    let partner = spawn(&BODY, yield_partner, 0);
    // SAFETY: the table's yield.
    let ours = time_per_op(N, |_| unsafe { (table().yield_now)() });
    STOP_PARTNER.store(true, std::sync::atomic::Ordering::Relaxed);
    join(partner);
    // A yield with nothing else runnable switches nothing (SPEC.md §11.4).
    // SAFETY: the table's yield.
    let alone = time_per_op(N, |_| unsafe { (table().yield_now)() });
    let mut coroutine = corosensei::Coroutine::new(|yielder: &corosensei::Yielder<(), ()>, ()| {
        loop {
            yielder.suspend(());
        }
    });
    let theirs = time_per_op(N, |_| {
        black_box(coroutine.resume(()));
    });
    // Dropping a suspended coroutine unwinds its stack, which needs
    // panic = "unwind"; this workspace aborts on panic, so keep it.
    std::mem::forget(coroutine);
    push(Row {
        name: "yield round trip between two procs",
        ns_per_op: ours,
        baseline: "corosensei resume + yield",
        baseline_ns_per_op: theirs,
        goal: "<= 1.5",
        note: "two switches each".to_owned(),
    });
    push(Row {
        name: "yield with no other proc runnable",
        ns_per_op: alone,
        baseline: "corosensei resume + yield",
        baseline_ns_per_op: theirs,
        goal: "-",
        note: "no switch happens".to_owned(),
    });
    0
}

unsafe extern "C" fn bench_messages(_: u64) -> u64 {
    const N: u64 = 1_000_000;
    // SAFETY: no arguments.
    let me = unsafe { (table().self_id)() };
    let mut buf = [0u8; 8];
    // SAFETY: the table's services, with valid buffers.
    let ours = time_per_op(N, |i| unsafe {
        (table().send)(me, i.to_le_bytes().as_ptr(), 8);
        (table().receive)(buf.as_mut_ptr(), 8, std::ptr::null_mut());
    });
    let (tx, rx) = crossbeam_channel::unbounded::<[u8; 8]>();
    let theirs = time_per_op(N, |i| {
        tx.send(i.to_le_bytes()).unwrap();
        black_box(rx.recv().unwrap());
    });
    push(Row {
        name: "send + receive on one thread",
        ns_per_op: ours,
        baseline: "crossbeam-channel send + recv",
        baseline_ns_per_op: theirs,
        goal: "<= 1",
        note: String::new(),
    });
    0
}

unsafe extern "C" fn bench_vecs(_: u64) -> u64 {
    const N: u64 = 1_000_000;
    let t = table();
    // SAFETY: the table's vec services on vecs this proc holds.
    unsafe {
        let v = (t.vec_alloc)(64);
        let ours = time_per_op(N, |_| {
            let share = (t.vec_share)(black_box(v));
            (t.vec_release)(share);
        });
        let arc = std::sync::Arc::new([0u8; 64]);
        let theirs = time_per_op(N, |_| {
            drop(black_box(std::sync::Arc::clone(&arc)));
        });
        push(Row {
            name: "vec share (+ release)",
            ns_per_op: ours,
            baseline: "Arc::clone (+ drop)",
            baseline_ns_per_op: theirs,
            goal: "<= 1.5",
            note: String::new(),
        });

        const BIG: usize = 64 * 1024;
        let mut big = (t.vec_alloc)(BIG as u64);
        (t.vec_write)(&mut big, 0, vec![1u8; BIG].as_ptr(), BIG);
        let ours = time_per_op(20_000, |i| {
            let mut share = (t.vec_share)(big);
            (t.vec_write)(&mut share, 0, [i as u8].as_ptr(), 1);
            (t.vec_release)(share);
        });
        let src = vec![1u8; BIG];
        let mut dst = vec![0u8; BIG];
        let theirs = time_per_op(20_000, |_| {
            std::ptr::copy_nonoverlapping(black_box(src.as_ptr()), dst.as_mut_ptr(), BIG);
            black_box(&mut dst);
        });
        push(Row {
            name: "first write after share (64 KiB vec)",
            ns_per_op: ours,
            baseline: "memcpy of 64 KiB",
            baseline_ns_per_op: theirs,
            goal: "<= 1.2",
            note: "ours includes allocating, charging and freeing the copy".to_owned(),
        });

        let ours = time_per_op(N, |_| {
            let v = (t.vec_alloc)(black_box(64));
            (t.vec_release)(v);
        });
        let theirs = time_per_op(N, |_| {
            drop(black_box(Box::new([0u8; 64])));
        });
        push(Row {
            name: "accounted allocation of 64 bytes (+ free) through the table",
            ns_per_op: ours,
            baseline: "the system allocator, unaccounted (Box of 64 bytes)",
            baseline_ns_per_op: theirs,
            goal: "<= 2",
            note: String::new(),
        });
        (t.vec_release)(v);
        (t.vec_release)(big);
    }
    0
}

unsafe extern "C" fn bench_ticks(_: u64) -> u64 {
    const N: u64 = 20_000_000;
    let t = table();
    let work = |i: u64, acc: u64| acc.wrapping_mul(31).wrapping_add(i);
    let plain = time_per_op(N, |i| {
        black_box(work(i, black_box(i)));
    });
    // A compiler's placement: count back-edges in a register, hand them to
    // the runtime every 64 iterations (exact counts, 1/64 of the calls).
    let mut pending = 0;
    let batched = time_per_op(N, |i| {
        black_box(work(i, black_box(i)));
        pending += 1;
        if pending == 64 {
            // SAFETY: the table's tick.
            unsafe { (t.tick)(64) };
            pending = 0;
        }
    });
    let every = time_per_op(N / 4, |i| {
        black_box(work(i, black_box(i)));
        // SAFETY: the table's tick.
        unsafe { (t.tick)(1) };
    });
    push(Row {
        name: "tick counting in a hot loop (batched by 64)",
        ns_per_op: batched,
        baseline: "the same loop without ticks",
        baseline_ns_per_op: plain,
        goal: "<= 1.25",
        note: String::new(),
    });
    push(Row {
        name: "tick counting in a hot loop (a table call per iteration)",
        ns_per_op: every,
        baseline: "the same loop without ticks",
        baseline_ns_per_op: plain,
        goal: "<= 1.25",
        note: String::new(),
    });
    0
}

unsafe extern "C" fn empty(_: u64) -> u64 {
    0
}

fn bench_spawn() {
    let ours = time_per_op(20_000, |_| {
        join(spawn(&IDLE, empty, 0));
    });
    let theirs = time_per_op(2_000, |_| {
        std::thread::spawn(|| black_box(0)).join().unwrap();
    });
    push(Row {
        name: "spawn + join of an empty proc",
        ns_per_op: ours,
        baseline: "std::thread spawn + join",
        baseline_ns_per_op: theirs,
        goal: "as low as it goes",
        note: String::new(),
    });
}

unsafe extern "C" fn idle(_: u64) -> u64 {
    let mut buf = [0u8; 1];
    // SAFETY: a writable one-byte buffer.
    unsafe { (table().receive)(buf.as_mut_ptr(), 1, std::ptr::null_mut()) };
    0
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

fn bench_idle_memory() {
    const N: u32 = 20_000;
    let before = resident_bytes();
    let ids: Vec<u32> = (0..N).map(|_| spawn(&IDLE, idle, 0)).collect();
    // Let every proc run into its receive and block there.
    // SAFETY: the table's yield.
    unsafe { (table().yield_now)() };
    let after = resident_bytes();
    for &id in &ids {
        // SAFETY: a readable one-byte message.
        unsafe { (table().send)(id, [0u8].as_ptr(), 1) };
    }
    for id in ids {
        join(id);
    }
    let per_proc = (after.saturating_sub(before)) as f64 / f64::from(N);
    push(Row {
        name: "resident bytes per idle proc (blocked in receive)",
        ns_per_op: per_proc,
        baseline: "the goal: 1 KiB",
        baseline_ns_per_op: 1024.0,
        goal: "<= 1",
        note: format!("bytes, not ns: {N} procs, resident set before and after"),
    });
}

fn print_and_write(rows: &[Row]) {
    let mut json = Vec::new();
    println!("{:<52} {:>12} {:>12} {:>9}  {:<8} baseline", "measured", "ns/op", "base ns/op", "ratio", "goal");
    for row in rows {
        let ratio = row.ns_per_op / row.baseline_ns_per_op;
        println!(
            "{:<52} {:>12.2} {:>12.2} {:>9.4}  {:<8} {}{}",
            row.name,
            row.ns_per_op,
            row.baseline_ns_per_op,
            ratio,
            row.goal,
            row.baseline,
            if row.note.is_empty() { String::new() } else { format!(" ({})", row.note) }
        );
        json.push(serde_json::json!({
            "name": row.name,
            "ns_per_op": row.ns_per_op,
            "baseline": row.baseline,
            "baseline_ns_per_op": row.baseline_ns_per_op,
            "ratio": ratio,
            "goal": row.goal,
            "note": row.note,
        }));
    }
    let path = OUTPUT.get().unwrap();
    let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path)).expect("cannot write the bench results");
    println!("wrote {path}");
    std::io::stdout().flush().ok();
}
