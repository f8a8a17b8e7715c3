/* rustrt.h: the runtime ABI in C (SPEC.md), for people who implement a
 * runtime or a host in C.
 *
 * This header mirrors crates-under-test/rt-abi/src/lib.rs. It cannot drift
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
#define RT_ABI_VERSION 0u

/* Exit statuses fixed by the ABI; a crate's own results are below 90. */
#define RT_EXIT_FIRST_RESERVED 90
#define RT_EXIT_TABLE_REFUSED 90

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

/* The interface table of ABI version 0. */
typedef struct rt_table {
    rt_table_header header;
    /* NUL-terminated name of the runtime implementation. */
    const char *runtime_name;
    /* Writes len bytes to the program's standard error. */
    void (*write_err)(const uint8_t *bytes, size_t len);
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
