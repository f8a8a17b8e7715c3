//! Episodes: small, self-contained pieces of a scenario, each aimed at the
//! boundaries of a group of rules. An episode spawns its procs from the root
//! and the root joins them, so episodes run one after another and what the
//! model says about one (a segment's live bytes, a proc's `curr_mem` at its
//! k-th charge, its slice at a yield point) holds when the next piece is
//! added. Each takes a `variant` that picks which boundary it aims at; the
//! rest is random.

use scenario_format::{FULL_MIN_FRAME, MAX_PROCS, Op};

use super::build::{
    Gen, declared_for, frame, frame_bytes, join, receive, repeat, send, spawn, tick, vec_alloc, vec_write,
};
use crate::model::ChargeKind;
use crate::model::spec::{SEGMENT_HEADER, SPAWN_COST};

/// An episode: adds itself to the scenario; `None` when it gave up (the
/// scenario may then hold part of it, which the caller checks).
pub(super) type Episode = fn(&mut Gen, u64) -> Option<()>;

/// A full body's declared size.
fn body_desc(builder: &mut Gen) -> u16 {
    let size = *builder.rng.pick(&[2048, 2049, 2100, 3000, 4096, 4100, 6000, 8192]);
    builder.sized(size)
}

fn full_size(builder: &Gen, high: u64) -> u64 {
    builder.rng.range(FULL_MIN_FRAME, high.max(FULL_MIN_FRAME))
}

fn thin_size(builder: &Gen) -> u64 {
    builder.rng.range(128, FULL_MIN_FRAME - 1)
}

fn status(builder: &Gen) -> u32 {
    builder.rng.range(0, 89) as u32
}

/// An id that will still be under `MAX_PROCS` and was never created.
fn never_created(base: u32, builder: &Gen) -> u32 {
    (base + builder.rng.range(8, 20) as u32).min(MAX_PROCS - 1)
}

// §10: segments and frames.

/// Frames on segment boundaries: filling a segment exactly, missing it by
/// 16 bytes, the cached segment reused exactly or too small, deep descents,
/// hot splits, thin bodies in segment 0, absurd sizes.
pub(super) fn stack(builder: &mut Gen, variant: u64) -> Option<()> {
    let body_size = *builder.rng.pick(&[2048, 2100, 3000, 4096, 6000, 8192]);
    let body = builder.sized(body_size);
    let p = builder.program(Vec::new(), status(builder));
    let limited = variant % 7 == 5;
    let budget = if limited { builder.rng.range(1 << 16, 1 << 20) } else { u64::MAX };
    let (at, id) = builder.spawn_and_join(p, body, budget, 0);
    let mut path = Vec::new();
    match variant % 7 {
        0 => {
            // A frame no bigger than the body lands in segment 2 (2 × the
            // body's F) with room for at least one more body: fill it
            // exactly, then miss it by 16 bytes.
            let a_size = full_size(builder, body_size);
            let a = builder.sized(a_size);
            builder.open(p, &mut path, frame(a, 1, Vec::new()));
            let room = builder.state_here(p, &path, id)?.room();
            let exact = builder.sized(declared_for(room, &builder.rng));
            builder.push(p, &path, frame(exact, 2, Vec::new()));
            let miss = builder.sized(declared_for(room + 16, &builder.rng));
            builder.push(p, &path, frame(miss, 3, Vec::new()));
        }
        1 => {
            // The cached next segment: reused by a frame exactly its size,
            // then freed by one bigger than it (a new one as big as that frame).
            let f1 = builder.sized(full_size(builder, 9000));
            builder.push(p, &path, frame(f1, 1, Vec::new()));
            let (_, probes) = builder.predict().ok()?;
            let cached = probes.segments.iter().rev().find(|s| s.proc == id && s.index == 2)?.size;
            let exact = builder.sized(declared_for(cached, &builder.rng));
            builder.push(p, &path, frame(exact, 2, Vec::new()));
            let bigger = cached + 16 * builder.rng.range(1, 200);
            let bigger = builder.sized(declared_for(bigger, &builder.rng));
            builder.push(p, &path, frame(bigger, 3, Vec::new()));
            builder.push(p, &path, frame(f1, 4, Vec::new()));
            if (variant / 7) % 2 == 1 {
                // The segment replacing the cache is one byte too many: the
                // cache was freed first (§10.5), then the charge fails.
                aim_budget(builder, at, id, ChargeKind::Segment, 2, 1)?;
            }
        }
        2 => {
            // A deep descent through thin frames, twice: segments beyond the
            // cached one are freed on the way back, the second reuses the cache.
            let level = builder.sized(builder.rng.range(700, FULL_MIN_FRAME - 1));
            let leaf = builder.sized(full_size(builder, 4096));
            let mut op = frame(leaf, 5, vec![Op::RuntimeInfo, Op::Backtrace { max: 32, null: false }]);
            for _ in 0..builder.rng.range(25, 50) {
                op = frame(level, 1, vec![op]);
            }
            builder.push(p, &path, op.clone());
            builder.push(p, &path, op);
        }
        3 => {
            // Hot split: a call/return loop across the boundary, at the body
            // (segment 1 is full) and inside a frame with known room.
            let crossing = builder.sized(builder.rng.range(128, 4000));
            let quiet = builder.rng.one_in(2);
            builder.push(
                p,
                &path,
                repeat(builder.rng.range(2, 300) as u32, quiet, vec![frame(crossing, 1, Vec::new())]),
            );
            let a = builder.sized(full_size(builder, body_size));
            builder.open(p, &mut path, frame(a, 2, Vec::new()));
            let room = builder.state_here(p, &path, id)?.room();
            let across = builder.sized(declared_for(room + 16 * builder.rng.range(1, 4), &builder.rng));
            let quiet = builder.rng.one_in(2);
            builder.push(p, &path, repeat(builder.rng.range(2, 50) as u32, quiet, vec![frame(across, 3, Vec::new())]));
        }
        4 => {
            // Thin bodies: in segment 0 after the start-up region (S ≤ 192),
            // or just too big for it; one runs a full frame.
            let small = builder.sized(builder.rng.range(128, 192));
            let full = builder.sized(full_size(builder, 5000));
            let child = builder.program(vec![frame(full, 7, vec![Op::RuntimeInfo])], status(builder));
            builder.spawn_and_join(child, small, u64::MAX, 0);
            let empty = builder.program(Vec::new(), status(builder));
            let bigger = builder.sized(builder.rng.range(193, FULL_MIN_FRAME - 1));
            builder.spawn_and_join(empty, bigger, u64::MAX, 0);
            let thin = builder.sized(thin_size(builder));
            let chain = builder.program(vec![frame(thin, 9, vec![frame(thin, 10, vec![])])], 1);
            builder.spawn_and_join(chain, small, u64::MAX, 0);
        }
        5 => {
            // Absurd sizes under a finite budget: F saturates, or a new
            // segment is far past the budget.
            let absurd = builder.sized(u64::MAX - builder.rng.range(0, 40));
            let huge = builder.sized(1 << builder.rng.range(30, 50));
            let pick = if builder.rng.one_in(2) { absurd } else { huge };
            builder.push(p, &path, frame(pick, 1, Vec::new()));
        }
        _ => {
            // Random nesting of thin and full frames of random sizes.
            random_frames(builder, p, &mut path, 4);
        }
    }
    Some(())
}

/// Nested frames of random sizes, up to `depth` deep.
fn random_frames(builder: &mut Gen, p: u16, path: &mut Vec<usize>, depth: u32) {
    for _ in 0..builder.rng.range(1, 3) {
        if depth == 0 {
            return;
        }
        let size = if builder.rng.one_in(2) { thin_size(builder) } else { full_size(builder, 20000) };
        let d = builder.sized(size);
        if size < FULL_MIN_FRAME {
            let inner = builder.sized(full_size(builder, 6000));
            builder.push(p, path, frame(d, 1, vec![frame(inner, 2, vec![Op::RuntimeInfo])]));
            continue;
        }
        builder.open(p, path, frame(d, 3, Vec::new()));
        random_frames(builder, p, path, depth - 1);
        path.pop();
    }
}

// §13.8: charges exactly at the budget, one byte over, far over.

/// Aims a proc's memory budget at its first charge of a kind: exactly
/// enough, one byte short, or further short (`variant / 7 % 3`).
pub(super) fn budget(builder: &mut Gen, variant: u64) -> Option<()> {
    let body = body_desc(builder);
    let id = builder.next_id().ok()?;
    let c = builder.rng.range(0, 3000);
    let l = builder.rng.range(1, 1024) as u32;
    let to = if builder.rng.one_in(2) { id } else { 1 };
    let (ops, kind, nth) = match variant % 7 {
        0 => {
            let size =
                builder.sized(if builder.rng.one_in(2) { thin_size(builder) } else { full_size(builder, 20000) });
            let mut ops = Vec::new();
            if builder.rng.one_in(2) {
                ops.push(vec_alloc(0, c));
            }
            let inner = if size_is_full(builder, size) { vec![Op::RuntimeInfo] } else { Vec::new() };
            ops.push(frame(size, 1, inner));
            (ops, ChargeKind::Segment, 1)
        }
        1 => (vec![Op::RuntimeInfo], ChargeKind::Segment, 0),
        2 => (vec![vec_alloc(0, c)], ChargeKind::VecAlloc, 0),
        3 => {
            let written = (builder.rng.range(0, c.min(1024))) as u32;
            let offset = builder.rng.range(0, u64::from(written));
            let len = builder.rng.range(0, 1024) as u32;
            let ops = vec![
                vec_alloc(0, c),
                vec_write(0, 0, written, 1),
                Op::VecShare { src: 0, dst: 1 },
                vec_write(1, offset, len, 2),
            ];
            (ops, ChargeKind::VecCopy, 0)
        }
        4 => {
            let c = builder.rng.range(0, 1023);
            let len = builder.rng.range(c + 1, 1024) as u32;
            (vec![vec_alloc(0, c), vec_write(0, 0, len, 3)], ChargeKind::VecGrowth, 0)
        }
        5 => (vec![send(to, l, 4)], ChargeKind::Message, 0),
        _ => (vec![vec_alloc(0, c), Op::SendVec { to, slot: 0 }], ChargeKind::VecMessage, 0),
    };
    let p = builder.program(ops, status(builder));
    let (at, id) = builder.spawn_and_join(p, body, u64::MAX, 0);
    aim_budget(builder, at, id, kind, nth, (variant / 7) % 3)
}

fn size_is_full(builder: &Gen, desc: u16) -> bool {
    builder.descs[desc as usize].size >= FULL_MIN_FRAME
}

/// Sets the budget of the proc spawned at root op `at` so that its `nth`
/// charge of `kind` lands exactly on it (`how` 0), one byte over (1) or
/// further over (2), keeping every earlier charge within it.
pub(super) fn aim_budget(builder: &mut Gen, at: usize, id: u32, kind: ChargeKind, nth: usize, how: u64) -> Option<()> {
    let (_, probes) = builder.predict().ok()?;
    let charges: Vec<_> = probes.charges.iter().filter(|c| c.proc == id).collect();
    let target = charges.iter().filter(|c| c.kind == kind).nth(nth)?;
    let position = charges.iter().position(|c| std::ptr::eq(*c, *target))?;
    let needed = target.curr_mem.checked_add(target.cost)?;
    let before = charges[..position].iter().map(|c| c.curr_mem + c.cost).max().unwrap_or(0).max(SPAWN_COST);
    let budget = match how {
        0 => needed.max(before),
        1 => (needed - 1).max(before),
        _ => builder.rng.range(before, needed.saturating_sub(2).max(before)),
    };
    builder.set_budgets(at, Some(budget), None);
    Some(())
}

// §11.3: what a proc costs to start.

pub(super) fn spawn_budget(builder: &mut Gen, variant: u64) -> Option<()> {
    let body = body_desc(builder);
    let body_bytes = frame_bytes(builder.descs[body as usize].size);
    let with_body = SPAWN_COST + SEGMENT_HEADER + body_bytes.max(1536);
    let p = builder.program(vec![Op::RuntimeInfo], status(builder));
    match variant % 6 {
        0 | 1 => {
            let budget = if variant.is_multiple_of(6) { SPAWN_COST - 1 } else { builder.rng.range(0, SPAWN_COST - 1) };
            builder.root(spawn(p, body, budget, 0));
            // A refused spawn consumes no id: the next one gets it.
            builder.root(Op::Join { id: 0, discarded_null: builder.rng.one_in(2) });
            builder.spawn_and_join(p, body, u64::MAX, 0);
        }
        2 => {
            let thin = builder.sized(builder.rng.range(128, 192));
            let empty = builder.program(Vec::new(), status(builder));
            builder.spawn_and_join(empty, thin, SPAWN_COST, 0);
        }
        3 => {
            builder.spawn_and_join(p, body, SPAWN_COST, 0);
        }
        4 => {
            builder.spawn_and_join(p, body, with_body, builder.rng.range(0, 3));
        }
        _ => {
            builder.spawn_and_join(p, body, with_body - 1, 0);
        }
    }
    Some(())
}

// §11.6: joins.

pub(super) fn joins(builder: &mut Gen, variant: u64) -> Option<()> {
    let body = body_desc(builder);
    let base = builder.next_id().ok()?;
    if base + 3 >= MAX_PROCS {
        return None;
    }
    let (a, b, c) = (base, base + 1, base + 2);
    let never = never_created(base + 3, builder);
    let a_ops = match variant % 3 {
        0 => vec![Op::Yield, Op::Yield, tick(builder.rng.range(0, 50))],
        1 => vec![Op::Yield, Op::Yield, vec_alloc(0, 1 << 20)],
        _ => vec![Op::Yield, Op::Yield, Op::Yield],
    };
    let a_budget = if variant % 3 == 1 { 1 << 16 } else { u64::MAX };
    let mut b_ops = Vec::new();
    let mut c_ops = Vec::new();
    if variant % 3 == 2 {
        b_ops.push(send(a, builder.rng.range(0, 64) as u32, 5));
        c_ops.push(send(a, builder.rng.range(0, 64) as u32, 6));
    }
    b_ops.extend([join(a), join(a), join(b), join(0), join(never)]);
    c_ops.extend([Op::Join { id: a, discarded_null: true }, join(b)]);
    // A status past i32::MAX is read as a negative int32_t (§5.1).
    let a_status = if builder.rng.one_in(2) { builder.rng.range(1 << 31, u64::from(u32::MAX)) as u32 } else { 7 };
    let pa = builder.program(a_ops, a_status);
    let pb = builder.program(b_ops, status(builder));
    let pc = builder.program(c_ops, status(builder));
    builder.root(spawn(pa, body, a_budget, 0));
    builder.root(spawn(pb, body, u64::MAX, 0));
    builder.root(spawn(pc, body, u64::MAX, 0));
    builder.root(join(c));
    builder.root(join(b));
    builder.root(Op::Join { id: a, discarded_null: builder.rng.one_in(2) });
    builder.root(join(c + 1));
    builder.root(join(1));
    Some(())
}

// §12: messages.

/// Two senders and a receiver; the receiver's capacities are set, once the
/// model has said which message each receive gets, to 0 (null), 1, len − 1,
/// len, len + 1 or anything.
pub(super) fn messages(builder: &mut Gen, variant: u64) -> Option<()> {
    let body = body_desc(builder);
    let base = builder.next_id().ok()?;
    if base + 4 >= MAX_PROCS {
        return None;
    }
    let (r, s1, s2) = (base, base + 1, base + 2);
    let n_messages = builder.rng.range(3, 6);
    let mut r_ops = Vec::new();
    if variant % 2 == 1 {
        // The senders run first: the queue holds both senders' messages,
        // and a sender may have ended before its message is read.
        r_ops.extend([Op::Yield, Op::Yield, Op::Yield]);
    }
    for _ in 0..2 * n_messages {
        r_ops.push(receive(0));
    }
    let sender_ops = |builder: &mut Gen, own: u32| {
        let mut ops = Vec::new();
        for i in 0..n_messages {
            let len = match builder.rng.below(5) {
                0 => 0,
                1 => 1,
                _ => builder.rng.range(2, 1023) as u32,
            };
            if len == 0 && builder.rng.one_in(2) {
                ops.push(Op::Send { to: r, len: 0, fill: 0, null: true });
            } else {
                ops.push(send(r, len, (own as u8).wrapping_mul(16).wrapping_add(i as u8)));
            }
            if builder.rng.one_in(2) {
                ops.push(Op::Yield);
            }
        }
        // To oneself, to proc 0, to an id never created, to an ended proc.
        ops.push(send(own, builder.rng.range(0, 40) as u32, 9));
        ops.push(Op::Receive { cap: 64, buf_null: false, sender_null: builder.rng.one_in(2) });
        ops.push(send(0, 3, 1));
        ops.push(send(never_created(base + 3, builder), 3, 1));
        if base > 2 {
            ops.push(send(builder.rng.range(2, u64::from(base) - 1) as u32, 3, 1));
        }
        ops
    };
    let s1_ops = sender_ops(builder, s1);
    let s2_ops = sender_ops(builder, s2);
    let pr = builder.program(r_ops, status(builder));
    let p1 = builder.program(s1_ops, status(builder));
    let p2 = builder.program(s2_ops, status(builder));
    builder.root(spawn(pr, body, u64::MAX, 0));
    builder.root(spawn(p1, body, u64::MAX, 0));
    builder.root(spawn(p2, body, u64::MAX, 0));
    builder.root(join(r));
    builder.root(join(s1));
    builder.root(join(s2));
    // Now the lengths each receive gets, and the capacities aimed at them.
    let (prediction, _) = builder.predict().ok()?;
    let lengths: Vec<u64> = prediction
        .events
        .iter()
        .filter(|e| e.proc == r && e.kind == scenario_format::record::RECEIVE)
        .map(|e| e.fields[0])
        .collect();
    let receives = builder.programs[pr as usize].ops.iter_mut().filter(|op| matches!(op, Op::Receive { .. }));
    for (i, (op, len)) in receives.zip(lengths).enumerate() {
        let len = len as u32;
        let choice = (variant / 2 + i as u64) % 6;
        let cap = match choice {
            0 => 0,
            1 => 1,
            2 => len.saturating_sub(1),
            3 => len,
            4 => len + 1,
            _ => builder.rng.range(0, 1024) as u32,
        };
        *op = Op::Receive { cap, buf_null: cap == 0 && choice == 0, sender_null: i % 3 == 2 };
    }
    // A tight budget: a send to an ended proc that a live one could not pay for.
    if base > 2 {
        let ended = builder.rng.range(2, u64::from(base) - 1) as u32;
        let len = builder.rng.range(0, 1024) as u32;
        let vec_message = builder.rng.one_in(2);
        let ops = if vec_message {
            vec![vec_alloc(0, 10), Op::RuntimeInfo, Op::SendVec { to: ended, slot: 0 }]
        } else {
            vec![Op::RuntimeInfo, send(ended, len, 1)]
        };
        let tight = builder.program(ops, 0);
        let (at, id) = builder.spawn_and_join(tight, body, u64::MAX, 0);
        let (prediction, _) = builder.predict().ok()?;
        let info =
            prediction.events.iter().rposition(|e| e.proc == id && e.kind == scenario_format::record::RUNTIME_INFO)?;
        let state = prediction.events[info + 1..].iter().find(|e| e.proc == id)?;
        let curr_mem = state.fields[1];
        let cost = if vec_message { 32 } else { 32 + u64::from(len) };
        builder.set_budgets(at, Some(curr_mem + cost - 1), None);
    }
    Some(())
}

// §13: vecs.

/// Every vec path: in place, at live, past live, null bytes, shared writes
/// (zero-length, copy and grow), growth from full, releases (held or not,
/// through a slot or the registry), vec messages received as vecs or bytes,
/// a byte message received as a vec, vecs outliving their maker.
pub(super) fn vecs(builder: &mut Gen, variant: u64) -> Option<()> {
    let body = body_desc(builder);
    let base = builder.next_id().ok()?;
    if base + 3 >= MAX_PROCS {
        return None;
    }
    let (a, b) = (base, base + 1);
    let capacity = match variant % 3 {
        0 => 0,
        1 => builder.rng.range(1, 64),
        _ => builder.rng.range(64, 2000),
    };
    // A's vec, tracked by hand: size and live after each write.
    let mut size = capacity;
    let mut live = 0u64;
    let mut a_ops = vec![vec_alloc(0, capacity)];
    let write = |ops: &mut Vec<Op>, slot: u8, offset: u64, len: u64, fill: u8, size: &mut u64, live: &mut u64| {
        ops.push(vec_write(slot, offset, len as u32, fill));
        let end = offset + len;
        if end > *size {
            *size = (*size * 2).max(end);
        }
        *live = (*live).max(end);
    };
    let first = builder.rng.range(0, 1024.min(capacity.max(1) * 3));
    write(&mut a_ops, 0, 0, first, 1, &mut size, &mut live);
    let append = builder.rng.range(0, 100);
    write(&mut a_ops, 0, live, append, 2, &mut size, &mut live);
    a_ops.push(vec_write(0, live + builder.rng.range(1, 10), 1, 3));
    a_ops.push(Op::VecWrite { slot: 0, offset: 0, len: 0, fill: 0, null: true });
    // Shared: a zero-length write copies (same size).
    a_ops.push(Op::VecShare { src: 0, dst: 1 });
    a_ops.push(Op::VecWrite {
        slot: 1,
        offset: builder.rng.range(0, live),
        len: 0,
        fill: 0,
        null: builder.rng.one_in(2),
    });
    // Shared: a bad offset is refused before any copy (§13.4).
    a_ops.push(vec_write(1, live + builder.rng.range(1, 10), builder.rng.range(0, 4) as u32, 9));
    // Shared: copy and grow at once.
    a_ops.push(Op::VecShare { src: 0, dst: 2 });
    let over = (size - live + builder.rng.range(1, 200)).min(1024);
    a_ops.push(vec_write(2, live, over as u32, 4));
    // Fill A's own to the brim (in place), then grow it from full.
    if size > live && size - live <= 1024 {
        write(&mut a_ops, 0, live, size - live, 5, &mut size, &mut live);
        write(&mut a_ops, 0, live, builder.rng.range(1, 1024), 6, &mut size, &mut live);
    }
    a_ops.push(Op::VecShare { src: 0, dst: 3 });
    a_ops.push(Op::VecRelease { slot: 3 });
    a_ops.push(Op::VecRelease { slot: 1 });
    // To B: the vec (A's reference then goes), bytes, another vec.
    a_ops.push(Op::SendVec { to: b, slot: 0 });
    a_ops.push(Op::VecRelease { slot: 0 });
    a_ops.push(send(b, builder.rng.range(0, 100) as u32, 7));
    a_ops.push(vec_alloc(4, builder.rng.range(0, 100)));
    a_ops.push(Op::SendVec { to: b, slot: 4 });
    if variant % 2 == 1 {
        // A stays alive while B frees what A made: its charges come back.
        a_ops.push(Op::VecRelease { slot: 4 });
        a_ops.push(join(b));
    }
    let mut b_ops = vec![];
    if variant.is_multiple_of(2) {
        b_ops.push(join(a));
    }
    b_ops.push(Op::ReceiveVec { slot: 0, sender_null: builder.rng.one_in(2) });
    // B holds the only reference: a write past its size grows it, freeing
    // the vec A made.
    let past_size = (size - live + 1).min(1024);
    b_ops.push(vec_write(0, live, past_size as u32, 8));
    b_ops.push(Op::ReceiveVec { slot: 1, sender_null: false });
    b_ops.push(receive(16));
    // A status past i32::MAX is read as a negative int32_t (§5.1).
    let a_status = if builder.rng.one_in(2) { builder.rng.range(1 << 31, u64::from(u32::MAX)) as u32 } else { 7 };
    let pa = builder.program(a_ops, a_status);
    let pb = builder.program(b_ops, status(builder));
    builder.root(vec_alloc(7, builder.rng.range(0, 300)));
    builder.root(spawn(pa, body, u64::MAX, 0));
    builder.root(spawn(pb, body, u64::MAX, 0));
    builder.root(join(a));
    builder.root(join(b));
    builder.root(Op::VecRelease { slot: 7 });
    // Now the registry: the root's vec and the one B grew.
    let (prediction, _) = builder.predict().ok()?;
    let record = |proc: u32, kind: u8| prediction.events.iter().find(|e| e.proc == proc && e.kind == kind).cloned();
    let mut roots = prediction.events.iter().filter(|e| e.proc == 1 && e.kind == scenario_format::record::VEC_ALLOC);
    let root_vec = roots.next_back()?.fields[0] as u16;
    let grown = record(b, scenario_format::record::VEC_WRITE)?.fields[2] as u16;
    // B releases the root's vec (not held: nothing) and its own through the registry.
    let ops = &mut builder.programs[pb as usize].ops;
    let after_write = ops.iter().position(|op| matches!(op, Op::VecWrite { .. }))? + 1;
    ops.insert(after_write, Op::VecReleaseAny { index: grown });
    ops.insert(0, Op::VecReleaseAny { index: root_vec });
    Some(())
}

// §14: ticks and slices.

/// Spinners; one is aimed so that a yield point lands on a slice of 999,
/// 1000 or 1001 ticks, at a frame entry or a tick, or makes a tick whose n
/// does not fit 32 bits (the slice counts n saturated, not its low bits).
/// Variant 8: a proc yields while alone, which starts a new slice too.
pub(super) fn slices(builder: &mut Gen, variant: u64) -> Option<()> {
    if variant % 9 == 8 {
        return lone_yield(builder);
    }
    let body = body_desc(builder);
    let base = builder.next_id().ok()?;
    let n_spinners = if variant % 9 == 5 { 1 } else { builder.rng.range(1, 3) as u32 };
    if base + n_spinners >= MAX_PROCS {
        return None;
    }
    let leaf = builder.sized(builder.rng.range(128, 3000));
    let mut programs = Vec::new();
    for _ in 0..n_spinners {
        let spin = tick(builder.rng.range(1, 300));
        let count = builder.rng.range(1, 40) as u32;
        let ops = vec![repeat(count, true, vec![spin, frame(leaf, 0, Vec::new())]), tick(0)];
        programs.push(builder.program(ops, status(builder)));
    }
    for &p in &programs {
        builder.root(spawn(p, body, u64::MAX, 0));
    }
    for i in 0..n_spinners {
        builder.root(join(base + i));
    }
    let (_, probes) = builder.predict().ok()?;
    let marker = probes.yield_points.iter().rev().find(|y| y.proc == base)?;
    let slice = marker.slice;
    let aimed = &mut builder.programs[programs[0] as usize].ops;
    match variant % 9 {
        0 => aimed.extend([tick(999 - slice), frame(leaf, 1, Vec::new())]),
        1 => aimed.push(tick(1000 - slice)),
        2 => aimed.push(tick(1001 - slice)),
        3 if slice <= 998 => aimed.extend([tick(998 - slice), frame(leaf, 2, Vec::new()), frame(leaf, 3, Vec::new())]),
        3 => aimed.extend([frame(leaf, 2, Vec::new()), tick(998), frame(leaf, 2, Vec::new())]),
        4 => aimed.extend([tick(u64::MAX), tick(5), frame(leaf, 4, Vec::new())]),
        5 => aimed.extend([tick(1000 - slice + builder.rng.range(0, 3)), tick(0)]),
        // Past 32 bits: a multiple of 2^32 (its low bits are 0) or just past one.
        7 => {
            let high = builder.rng.range(1, 4) << 32;
            let n = if builder.rng.one_in(2) { high } else { high + builder.rng.range(1, 999 - slice.min(998)) };
            aimed.extend([tick(n), tick(1), frame(leaf, 5, Vec::new())]);
        }
        _ => aimed.extend([tick(0), tick(0), tick(999 - slice), tick(0), tick(1)]),
    }
    Some(())
}

/// A proc that yields, or is preempted, while it is the only runnable one
/// starts a new slice all the same (§14.2): the root wakes a receiver after
/// a lone yield, then counts ticks that cross the slice boundary only if
/// the yield did not reset it.
fn lone_yield(builder: &mut Gen) -> Option<()> {
    let body = body_desc(builder);
    let receiver = builder.next_id().ok()?;
    if receiver + 1 >= MAX_PROCS {
        return None;
    }
    let p = builder.program(vec![receive(builder.rng.range(0, 16) as u32), tick(1)], status(builder));
    builder.root(spawn(p, body, u64::MAX, 0));
    // The receiver runs until it blocks; then the root is alone.
    builder.root(Op::Yield);
    let before = builder.rng.range(500, 999);
    builder.root(tick(before));
    if builder.rng.one_in(2) {
        builder.root(Op::Yield);
    } else {
        // Preempted while alone: the slice starts again too.
        builder.root(tick(1000 - before + builder.rng.range(0, 50)));
    }
    builder.root(send(receiver, builder.rng.range(0, 8) as u32, 1));
    builder.root(tick(builder.rng.range(1000 - before + 1, 999)));
    let leaf = builder.sized(128);
    builder.root(frame(leaf, 0, Vec::new()));
    builder.root(join(receiver));
    Some(())
}

/// A tick budget aimed at a yield point: reached exactly, or passed by one
/// tick, at a frame entry or at a tick.
pub(super) fn tick_budget(builder: &mut Gen, variant: u64) -> Option<()> {
    if variant % 6 >= 4 {
        return budget_and_slice(builder, variant.is_multiple_of(2));
    }
    let body = body_desc(builder);
    let leaf = builder.sized(builder.rng.range(128, 3000));
    let mut ops = Vec::new();
    for _ in 0..builder.rng.range(2, 6) {
        ops.push(repeat(builder.rng.range(1, 30) as u32, builder.rng.one_in(2), vec![tick(builder.rng.range(1, 100))]));
        ops.push(frame(leaf, 1, Vec::new()));
    }
    let p = builder.program(ops, status(builder));
    let (at, id) = builder.spawn_and_join(p, body, u64::MAX, 0);
    let (_, probes) = builder.predict().ok()?;
    let at_frame = variant.is_multiple_of(2);
    let points: Vec<_> = probes.yield_points.iter().filter(|y| y.proc == id).skip(1).collect();
    let candidates: Vec<_> = points.iter().filter(|y| y.at_frame == at_frame && y.curr_ticks > 2).collect();
    let point = candidates.get(builder.rng.below(candidates.len().max(1) as u64) as usize)?;
    let budget = if (variant / 2).is_multiple_of(2) { point.curr_ticks } else { point.curr_ticks - 1 };
    builder.set_budgets(at, None, Some(budget));
    Some(())
}

/// One yield point that both passes the tick budget and ends the slice,
/// with another proc runnable: the budget is applied first (§14.2), so the
/// proc fails there instead of being preempted and failing later.
fn budget_and_slice(builder: &mut Gen, at_frame: bool) -> Option<()> {
    let body = body_desc(builder);
    let spinner = builder.next_id().ok()?;
    if spinner + 2 >= MAX_PROCS {
        return None;
    }
    let spin = builder.program(vec![repeat(builder.rng.range(2, 5) as u32, true, vec![tick(400)])], status(builder));
    builder.root(spawn(spin, body, u64::MAX, 0));
    let n = builder.rng.range(1000, 1400);
    let ops = if at_frame {
        vec![tick(n - 1), frame(builder.sized(128), 0, Vec::new()), tick(1)]
    } else {
        vec![tick(n), tick(1)]
    };
    let p = builder.program(ops, status(builder));
    // The body frame's tick and then n: the budget is passed where the slice ends.
    let budget = builder.rng.range(1, n);
    let (_, id) = builder.spawn_and_join(p, body, u64::MAX, budget);
    builder.root(join(spinner));
    let _ = id;
    Some(())
}

// §10.10: backtraces.

/// Nested frames (some thin, some big enough to cross segments) and
/// backtraces of max 0 (null or not), 1, depth − 1, depth, depth + 1, from
/// a spawned proc or from the root.
pub(super) fn backtraces(builder: &mut Gen, variant: u64) -> Option<()> {
    let from_root = variant % 3 == 2;
    let levels = builder.rng.range(1, 12) as usize;
    let mut sizes = Vec::new();
    for _ in 0..levels {
        let size = match builder.rng.below(3) {
            0 => thin_size(builder),
            1 => full_size(builder, 4096),
            _ => 8192,
        };
        sizes.push(size);
    }
    // The innermost frame runs the backtraces, so it is full.
    let innermost = full_size(builder, 9000);
    sizes.push(innermost);
    let depth = sizes.len() as u64 + 1;
    let maxes = [0, 1, depth - 1, depth, depth + 1, builder.rng.range(0, 32)];
    let mut inner = vec![Op::Backtrace { max: 0, null: true }];
    for (i, max) in maxes.iter().enumerate() {
        if i as u64 % 2 == variant % 2 || *max <= 1 {
            inner.push(Op::Backtrace { max: (*max).min(32) as u8, null: false });
        }
    }
    let mut op = frame(builder.sized(innermost), 1, inner);
    for size in sizes.iter().rev().skip(1) {
        let d = builder.sized(*size);
        op = if *size >= FULL_MIN_FRAME {
            frame(d, 2, vec![Op::Backtrace { max: 32, null: false }, op])
        } else {
            frame(d, 2, vec![op])
        };
    }
    if from_root {
        builder.root(op);
        return Some(());
    }
    let body = body_desc(builder);
    let p = builder.program(vec![op], status(builder));
    builder.spawn_and_join(p, body, u64::MAX, 0);
    Some(())
}

// §11.7: procs that fail or end holding things.

/// A proc fails over its budget holding vecs, with messages queued to it
/// and messages it sent still queued elsewhere; others observe it with
/// `runtime_info` and `join`. Or a proc ends with messages whose sender has
/// ended.
pub(super) fn failures(builder: &mut Gen, variant: u64) -> Option<()> {
    let body = body_desc(builder);
    let base = builder.next_id().ok()?;
    if base + 3 >= MAX_PROCS {
        return None;
    }
    if variant % 2 == 1 {
        // R ends with unread messages from S, which ended first.
        let (r, s) = (base, base + 1);
        let pr = builder.program(vec![Op::Yield, Op::Yield, Op::Yield], status(builder));
        let ps = builder.program(
            vec![send(r, builder.rng.range(0, 50) as u32, 1), vec_alloc(0, 8), Op::SendVec { to: r, slot: 0 }],
            0,
        );
        builder.root(spawn(pr, body, u64::MAX, 0));
        builder.root(spawn(ps, body, u64::MAX, 0));
        builder.root(join(r));
        builder.root(Op::RuntimeInfo);
        builder.root(join(s));
        return Some(());
    }
    let (q, p) = (base, base + 1);
    let q_ops = vec![
        send(p, builder.rng.range(0, 200) as u32, 1),
        vec_alloc(0, builder.rng.range(0, 500)),
        Op::SendVec { to: p, slot: 0 },
        Op::VecRelease { slot: 0 },
        join(p),
        Op::RuntimeInfo,
        receive(builder.rng.range(0, 300) as u32),
        Op::ReceiveVec { slot: 1, sender_null: false },
        Op::VecRelease { slot: 1 },
        Op::RuntimeInfo,
    ];
    let big = builder.rng.range(1000, 100_000);
    let p_ops = vec![
        vec_alloc(0, builder.rng.range(0, 2000)),
        vec_alloc(1, builder.rng.range(0, 2000)),
        send(q, builder.rng.range(0, 300) as u32, 2),
        Op::VecShare { src: 0, dst: 2 },
        Op::SendVec { to: q, slot: 2 },
        Op::Yield,
        Op::RuntimeInfo,
        vec_alloc(3, big),
    ];
    let pq = builder.program(q_ops, status(builder));
    let pp = builder.program(p_ops, status(builder));
    builder.root(spawn(pq, body, u64::MAX, 0));
    let at = builder.root(spawn(pp, body, u64::MAX, 0));
    builder.root(join(p));
    builder.root(Op::RuntimeInfo);
    builder.root(join(q));
    aim_budget(builder, at, p, ChargeKind::VecAlloc, 2, 1 + variant / 2 % 2)
}
