//! The C header `reference-rt/include/rustrt.h` against these definitions:
//! compile a probe with the host C compiler, compare every size and offset.

use std::mem::{offset_of, size_of};
use std::path::Path;
use std::process::Command;

use super::*;

/// `(C expression, Rust value)` pairs that must agree.
fn layout_facts() -> Vec<(&'static str, u64)> {
    vec![
        ("RT_MAGIC", RT_MAGIC),
        ("RT_ABI_VERSION", RT_ABI_VERSION as u64),
        ("RT_EXIT_FIRST_RESERVED", ExitStatus::FIRST_RESERVED as u64),
        ("RT_EXIT_TABLE_REFUSED", ExitStatus::TABLE_REFUSED as u64),
        ("sizeof(rt_table_header)", size_of::<RtTableHeader>() as u64),
        ("offsetof(rt_table_header, magic)", offset_of!(RtTableHeader, magic) as u64),
        ("offsetof(rt_table_header, abi_version)", offset_of!(RtTableHeader, abi_version) as u64),
        ("offsetof(rt_table_header, size)", offset_of!(RtTableHeader, size) as u64),
        ("offsetof(rt_table_header, write_out)", offset_of!(RtTableHeader, write_out) as u64),
        ("sizeof(rt_table)", size_of::<RtTable>() as u64),
        ("offsetof(rt_table, header)", offset_of!(RtTable, header) as u64),
        ("offsetof(rt_table, runtime_name)", offset_of!(RtTable, runtime_name) as u64),
        ("offsetof(rt_table, write_err)", offset_of!(RtTable, write_err) as u64),
        ("offsetof(rt_table, frame_call)", offset_of!(RtTable, frame_call) as u64),
        ("offsetof(rt_table, stack_info)", offset_of!(RtTable, stack_info) as u64),
        ("offsetof(rt_table, backtrace)", offset_of!(RtTable, backtrace) as u64),
        ("offsetof(rt_table, spawn)", offset_of!(RtTable, spawn) as u64),
        ("offsetof(rt_table, yield_now)", offset_of!(RtTable, yield_now) as u64),
        ("offsetof(rt_table, join)", offset_of!(RtTable, join) as u64),
        ("offsetof(rt_table, self_id)", offset_of!(RtTable, self_id) as u64),
        ("offsetof(rt_table, proc_env)", offset_of!(RtTable, proc_env) as u64),
        ("offsetof(rt_table, send)", offset_of!(RtTable, send) as u64),
        ("offsetof(rt_table, receive)", offset_of!(RtTable, receive) as u64),
        ("offsetof(rt_table, proc_info)", offset_of!(RtTable, proc_info) as u64),
        ("RT_EXIT_STACK_LIMIT", ExitStatus::STACK_LIMIT as u64),
        ("RT_EXIT_MEMORY_BUDGET", ExitStatus::MEMORY_BUDGET as u64),
        ("RT_EXIT_DEADLOCK", ExitStatus::DEADLOCK as u64),
        ("RT_EXIT_TICK_BUDGET", ExitStatus::TICK_BUDGET as u64),
        ("RT_VEC_HEADER", StackModel::VEC_HEADER),
        ("RT_TIME_SLICE", StackModel::TIME_SLICE),
        ("RT_VEC_IN_PLACE", RT_VEC_IN_PLACE as u64),
        ("RT_VEC_COPIED", RT_VEC_COPIED as u64),
        ("RT_VEC_GROWN", RT_VEC_GROWN as u64),
        ("(unsigned long long)(long long)RT_VEC_BAD_OFFSET", RT_VEC_BAD_OFFSET as i64 as u64),
        ("sizeof(rt_vec)", size_of::<RtVec>() as u64),
        ("offsetof(rt_vec, size)", offset_of!(RtVec, size) as u64),
        ("offsetof(rt_vec, live)", offset_of!(RtVec, live) as u64),
        ("offsetof(rt_vec, init)", offset_of!(RtVec, init) as u64),
        ("offsetof(rt_vec, slots)", offset_of!(RtVec, slots) as u64),
        ("offsetof(rt_proc_info, curr_ticks)", offset_of!(ProcInfo, curr_ticks) as u64),
        ("offsetof(rt_proc_info, vec_copies)", offset_of!(ProcInfo, vec_copies) as u64),
        ("offsetof(rt_table, vec_alloc)", offset_of!(RtTable, vec_alloc) as u64),
        ("offsetof(rt_table, vec_write)", offset_of!(RtTable, vec_write) as u64),
        ("offsetof(rt_table, receive_vec)", offset_of!(RtTable, receive_vec) as u64),
        ("offsetof(rt_table, tick)", offset_of!(RtTable, tick) as u64),
        ("offsetof(rt_table, runtime_info)", offset_of!(RtTable, runtime_info) as u64),
        ("sizeof(rt_runtime_info)", size_of::<RuntimeInfo>() as u64),
        ("offsetof(rt_runtime_info, segments)", offset_of!(RuntimeInfo, segments) as u64),
        ("offsetof(rt_runtime_info, vecs)", offset_of!(RuntimeInfo, vecs) as u64),
        ("offsetof(rt_runtime_info, messages)", offset_of!(RuntimeInfo, messages) as u64),
        ("offsetof(rt_runtime_info, bytes)", offset_of!(RuntimeInfo, bytes) as u64),
        ("RT_WINDOWS_STACK_ROOM", StackModel::WINDOWS_STACK_ROOM),
        ("RT_FIRST_SEGMENT_SIZE", StackModel::FIRST_SEGMENT_SIZE),
        ("RT_SEGMENT_HEADER", StackModel::SEGMENT_HEADER),
        ("RT_FRAME_RECORD", StackModel::FRAME_RECORD),
        ("RT_CALL_RESERVE", StackModel::CALL_RESERVE),
        ("RT_ENTRY_FRAME_SIZE", StackModel::ENTRY_FRAME_SIZE),
        ("RT_PROC_CHARGE", StackModel::PROC_CHARGE),
        ("RT_MESSAGE_OVERHEAD", StackModel::MESSAGE_OVERHEAD),
        ("(unsigned long long)(long long)RT_NO_SUCH_PROC", RT_NO_SUCH_PROC as i64 as u64),
        ("(unsigned long long)(long long)RT_JOIN_SELF", RT_JOIN_SELF as i64 as u64),
        ("(unsigned long long)(long long)RT_UNSUPPORTED", RT_UNSUPPORTED as i64 as u64),
        ("sizeof(rt_frame_desc)", size_of::<FrameDesc>() as u64),
        ("offsetof(rt_frame_desc, name)", offset_of!(FrameDesc, name) as u64),
        ("sizeof(rt_stack_info)", size_of::<StackInfo>() as u64),
        ("offsetof(rt_stack_info, segment_size)", offset_of!(StackInfo, segment_size) as u64),
        ("offsetof(rt_stack_info, segment_low)", offset_of!(StackInfo, segment_low) as u64),
        ("offsetof(rt_stack_info, depth)", offset_of!(StackInfo, depth) as u64),
        ("sizeof(rt_backtrace_entry)", size_of::<BacktraceEntry>() as u64),
        ("offsetof(rt_backtrace_entry, segment_index)", offset_of!(BacktraceEntry, segment_index) as u64),
        ("sizeof(rt_spawn_args)", size_of::<SpawnArgs>() as u64),
        ("offsetof(rt_spawn_args, entry)", offset_of!(SpawnArgs, entry) as u64),
        ("offsetof(rt_spawn_args, env)", offset_of!(SpawnArgs, env) as u64),
        ("offsetof(rt_spawn_args, tick_budget)", offset_of!(SpawnArgs, tick_budget) as u64),
        ("sizeof(rt_proc_info)", size_of::<ProcInfo>() as u64),
        ("offsetof(rt_proc_info, curr_mem)", offset_of!(ProcInfo, curr_mem) as u64),
        ("offsetof(rt_proc_info, queued)", offset_of!(ProcInfo, queued) as u64),
    ]
}

#[test]
fn c_header_agrees_with_rust_definitions() {
    let header_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include");
    let dir = std::env::temp_dir().join(format!("rt-abi-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let facts = layout_facts();
    let mut probe = String::from("#include <stdio.h>\n#include \"rustrt.h\"\nint main(void) {\n");
    for (expr, _) in &facts {
        probe += &format!("    printf(\"%llu\\n\", (unsigned long long)({expr}));\n");
    }
    probe += "    return 0;\n}\n";
    let source = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&source, probe).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(&header_dir)
        .arg(&source)
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}`: {e}"));
    assert!(status.success(), "rustrt.h does not compile with `{cc}`");
    let output = Command::new(&exe).output().unwrap();
    let printed = String::from_utf8(output.stdout).unwrap();
    let c_values: Vec<u64> = printed.lines().map(|l| l.parse().unwrap()).collect();
    std::fs::remove_dir_all(&dir).ok();
    for ((expr, rust_value), c_value) in facts.iter().zip(&c_values) {
        assert_eq!(*c_value, *rust_value, "rustrt.h: `{expr}` is {c_value} in C but {rust_value} in rt-abi");
    }
    assert_eq!(c_values.len(), facts.len());
}
