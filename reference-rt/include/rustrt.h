/* rustrt.h: the runtime ABI in C (SPEC.md), for people who implement a
 * runtime or a host in C.
 *
 * This header mirrors reference-rt/abi/src/lib.rs. It cannot drift
 * from it: rt-abi's tests compile this file and compare every size and offset
 * with the Rust definitions.
 */
#ifndef RUSTRT_H
#define RUSTRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "RUSTRT\0\0" read as a little-endian 64-bit word. */
#define RT_MAGIC UINT64_C(0x0000545254535552)

/* The ABI version this header describes. */
#define RT_ABI_VERSION 3u

/* Exit statuses fixed by the ABI; a crate's own results are below 90. */
#define RT_EXIT_FIRST_RESERVED 90
#define RT_EXIT_TABLE_REFUSED 90
#define RT_EXIT_STACK_LIMIT 91
#define RT_EXIT_MEMORY_BUDGET 92
#define RT_EXIT_DEADLOCK 93
#define RT_EXIT_TICK_BUDGET 94

/* The stack model's constants (SPEC.md, "Segments"). */
#define RT_FIRST_SEGMENT_SIZE 768u
#define RT_SEGMENT_HEADER 64u
#define RT_FRAME_RECORD 32u
#define RT_CALL_RESERVE 256u
#define RT_ENTRY_FRAME_SIZE 65536u
#define RT_PROC_CHARGE 256u
#define RT_MESSAGE_OVERHEAD 32u
#define RT_VEC_HEADER 32u
#define RT_TIME_SLICE 1000u
/* Windows only: bytes below every segment where DeallocationStack points. */
#define RT_WINDOWS_STACK_ROOM 8192u

/* Results of send and join; RT_UNSUPPORTED from a host's table. */
#define RT_NO_SUCH_PROC (-1)
#define RT_JOIN_SELF (-2)
#define RT_UNSUPPORTED (-3)

/* Results of vec_write. */
#define RT_VEC_IN_PLACE 0
#define RT_VEC_COPIED 1
#define RT_VEC_GROWN 2
#define RT_VEC_BAD_OFFSET (-4)

/* A copy-on-write, reference-counted byte vector. Read-only to crates. */
typedef struct rt_vec {
    uint64_t refs;  /* references (atomic) */
    uint64_t size;  /* capacity in bytes */
    uint64_t live;  /* bytes in use */
    uint64_t init;  /* bytes ever written */
    uint8_t slots[];
} rt_vec;

#if defined(_WIN32)
#define RT_EXPORT __declspec(dllexport)
#else
#define RT_EXPORT __attribute__((visibility("default")))
#endif

/* The frozen head of every table, whatever its version. */
typedef struct rt_table_header {
    uint64_t magic;       /* RT_MAGIC */
    uint32_t abi_version; /* the ABI version the table implements */
    uint32_t size;        /* sizeof the whole table, in bytes */
    /* Writes len bytes to the program's standard output. */
    void (*write_out)(const uint8_t *bytes, size_t len);
} rt_table_header;

/* A frame descriptor: the stack a function's frame needs, and its name. */
typedef struct rt_frame_desc {
    uint64_t size;
    const char *name; /* NUL-terminated */
} rt_frame_desc;

/* A function run in a frame or as a proc's body. */
typedef uint64_t (*rt_frame_fn)(uint64_t arg);

typedef struct rt_stack_info {
    uint32_t segment_index;   /* 0 for the first segment */
    uint32_t segments_held;   /* segments the proc holds, a cached one included */
    uint64_t segment_size;    /* bytes of frame space of the current segment */
    uint64_t segment_live;    /* of which used by frames */
    uint64_t segment_low;     /* lowest address of its frame space */
    uint64_t segment_high;    /* one past the highest */
    uint64_t segments_allocated;
    uint64_t segments_freed;
    uint64_t depth;           /* frames the proc is in */
} rt_stack_info;

typedef struct rt_backtrace_entry {
    const rt_frame_desc *desc;
    uint32_t segment_index;
    uint32_t reserved;
} rt_backtrace_entry;

typedef struct rt_spawn_args {
    const rt_frame_desc *entry_desc;
    rt_frame_fn entry;
    uint64_t arg;
    void *env;
    uint64_t mem_budget;
    uint64_t tick_budget;
} rt_spawn_args;

typedef struct rt_proc_info {
    uint32_t id;
    uint32_t reserved;
    uint64_t mem_budget;
    uint64_t curr_mem;
    uint64_t queued;
    uint64_t curr_ticks;
    uint64_t tick_budget;
    uint64_t vec_copies;
} rt_proc_info;

/* What is alive in the whole runtime, and what it costs (SPEC.md 13.9). */
typedef struct rt_runtime_info {
    uint64_t procs;    /* procs created and not ended */
    uint64_t segments; /* stack segments allocated and not freed */
    uint64_t vecs;     /* vecs allocated and not freed */
    uint64_t messages; /* messages queued, not yet received or discarded */
    uint64_t bytes;    /* the sum of the charges of all of the above */
} rt_runtime_info;

/* The interface table of ABI version 3. */
typedef struct rt_table {
    rt_table_header header;
    /* NUL-terminated name of the runtime implementation. */
    const char *runtime_name;
    /* Writes len bytes to the program's standard error. */
    void (*write_err)(const uint8_t *bytes, size_t len);
    /* ---- version 1: frames, segments, procs, messages ---- */
    uint64_t (*frame_call)(const rt_frame_desc *desc, rt_frame_fn fn, uint64_t arg);
    void (*stack_info)(rt_stack_info *out);
    size_t (*backtrace)(rt_backtrace_entry *out, size_t max);
    uint32_t (*spawn)(const rt_spawn_args *args);
    void (*yield_now)(void);
    int32_t (*join)(uint32_t id, uint64_t *discarded);
    uint32_t (*self_id)(void);
    void *(*proc_env)(void);
    int32_t (*send)(uint32_t to, const uint8_t *bytes, size_t len);
    size_t (*receive)(uint8_t *buf, size_t cap, uint32_t *sender);
    void (*proc_info)(rt_proc_info *out);
    /* ---- version 2: vecs, budgets, ticks ---- */
    rt_vec *(*vec_alloc)(uint64_t capacity);
    rt_vec *(*vec_share)(rt_vec *v);
    void (*vec_release)(rt_vec *v);
    int32_t (*vec_write)(rt_vec **v, uint64_t offset, const uint8_t *bytes, size_t len);
    int32_t (*send_vec)(uint32_t to, rt_vec *v);
    rt_vec *(*receive_vec)(uint32_t *sender);
    void (*tick)(uint64_t n);
    /* ---- version 3 ---- */
    void (*runtime_info)(rt_runtime_info *out);
} rt_table;

/* A crate's rust entry point (exported as "rust_entry"). */
typedef int32_t (*rt_crate_entry)(const rt_table *table);

/* The runtime's one entry point, imported by every crate. Never returns:
 * it exits the process with the entry point's return value. */
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void rt_start(rt_crate_entry entry);

#ifdef __cplusplus
}
#endif

#endif /* RUSTRT_H */
