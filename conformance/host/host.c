/* The embedding host (seed lines 69-82): loads a crate with dlopen /
 * LoadLibrary, finds its rust entry point (the sole export), supplies its own
 * interface table and runs the crate as an embedded component.
 *
 * The host's table records every call the crate makes through it; after the
 * crate returns, the host prints the recorded calls and the return value, so
 * the case's golden checks the exact sequence. Written in C against
 * rustrt.h, which it thereby keeps honest.
 *
 * usage: host CRATE [--abi-version N] [--bad-magic] [--small-size] [--cycles N]
 *   --abi-version N  offer a table that claims ABI version N
 *   --bad-magic      offer a table whose magic is wrong
 *   --small-size     offer a table whose size is too small for version 0
 *   --cycles N       load, run and unload the crate N times, check that each
 *                    cycle behaves the same and that nothing stays behind
 * Exit status: 0 when the host did its part (the crate's own status is
 * printed, not returned), 2 when the host itself failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rustrt.h"

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#include <windows.h>
typedef HMODULE module_t;
static module_t load_crate(const char *path) { return LoadLibraryA(path); }
static void *find_symbol(module_t m, const char *name) { return (void *)GetProcAddress(m, name); }
static int unload_crate(module_t m) { return FreeLibrary(m) ? 0 : -1; }
static int is_loaded(const char *path) { return GetModuleHandleA(path) != NULL; }
static const char *load_error(void) {
    static char text[64];
    snprintf(text, sizeof text, "Windows error %lu", (unsigned long)GetLastError());
    return text;
}
/* Regions of the address space in use: reserved or committed. */
static long count_mappings(void) {
    long n = 0;
    MEMORY_BASIC_INFORMATION info;
    unsigned char *address = 0;
    while (VirtualQuery(address, &info, sizeof info) == sizeof info) {
        if (info.State != MEM_FREE) n++;
        address = (unsigned char *)info.BaseAddress + info.RegionSize;
        if (address == 0) break;
    }
    return n;
}
#else
#include <dlfcn.h>
typedef void *module_t;
static module_t load_crate(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static void *find_symbol(module_t m, const char *name) { return dlsym(m, name); }
static int unload_crate(module_t m) { return dlclose(m); }
static int is_loaded(const char *path) {
    void *m = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (m == NULL) return 0;
    dlclose(m); /* drop the reference RTLD_NOLOAD took */
    return 1;
}
static const char *load_error(void) { return dlerror(); }
/* Lines of /proc/self/maps: the process's mappings. */
static long count_mappings(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps == NULL) return -1;
    long n = 0;
    int c;
    while ((c = fgetc(maps)) != EOF)
        if (c == '\n') n++;
    fclose(maps);
    return n;
}
#endif

/* ---- the recording table ---- */

enum { MAX_CALLS = 256, MAX_BYTES = 1 << 16 };

struct call {
    const char *slot;
    size_t offset; /* into recorded_bytes */
    size_t len;
};

static struct call calls[MAX_CALLS];
static size_t n_calls;
static char recorded_bytes[MAX_BYTES];
static size_t n_bytes;
static int overflowed;

static void record(const char *slot, const uint8_t *bytes, size_t len) {
    if (n_calls == MAX_CALLS || MAX_BYTES - n_bytes < len) {
        overflowed = 1;
        return;
    }
    memcpy(recorded_bytes + n_bytes, bytes, len);
    calls[n_calls].slot = slot;
    calls[n_calls].offset = n_bytes;
    calls[n_calls].len = len;
    n_calls++;
    n_bytes += len;
}

static void host_write_out(const uint8_t *bytes, size_t len) { record("write_out", bytes, len); }
static void host_write_err(const uint8_t *bytes, size_t len) { record("write_err", bytes, len); }

/* Version 1 services. This host has no procs and no segmented stacks: it
 * runs frames on its own stack, is proc 1, and refuses what needs more. Each
 * call is recorded with its argument where there is one. */
static void record_text(const char *slot, const char *text) { record(slot, (const uint8_t *)text, strlen(text)); }

static uint64_t host_frame_call(const rt_frame_desc *desc, rt_frame_fn fn, uint64_t arg) {
    record_text("frame_call", desc->name);
    return fn(arg);
}
static void host_stack_info(rt_stack_info *out) {
    record_text("stack_info", "");
    memset(out, 0, sizeof *out);
}
static size_t host_backtrace(rt_backtrace_entry *out, size_t max) {
    (void)out, (void)max;
    record_text("backtrace", "");
    return 0;
}
static uint32_t host_spawn(const rt_spawn_args *args) {
    (void)args;
    record_text("spawn", "");
    return 0;
}
static void host_yield_now(void) { record_text("yield_now", ""); }
static int32_t host_join(uint32_t id, uint64_t *discarded) {
    (void)id, (void)discarded;
    record_text("join", "");
    return RT_UNSUPPORTED;
}
static uint32_t host_self_id(void) { return 1; }
static void *host_proc_env(void) { return NULL; }
static int32_t host_send(uint32_t to, const uint8_t *bytes, size_t len) {
    (void)to;
    record("send", bytes, len);
    return RT_UNSUPPORTED;
}
static size_t host_receive(uint8_t *buf, size_t cap, uint32_t *sender) {
    (void)buf, (void)cap;
    record_text("receive", "");
    if (sender != NULL) *sender = 0;
    return 0;
}
static void host_proc_info(rt_proc_info *out) {
    memset(out, 0, sizeof *out);
    out->id = 1;
}
/* Version 2: this host keeps no vecs and counts no ticks. */
static rt_vec *host_vec_alloc(uint64_t capacity) {
    (void)capacity;
    record_text("vec_alloc", "");
    return NULL;
}
static rt_vec *host_vec_share(rt_vec *v) { return v; }
static void host_vec_release(rt_vec *v) { (void)v; }
static int32_t host_vec_write(rt_vec **v, uint64_t offset, const uint8_t *bytes, size_t len) {
    (void)v, (void)offset, (void)bytes, (void)len;
    return RT_UNSUPPORTED;
}
static int32_t host_send_vec(uint32_t to, rt_vec *v) {
    (void)to, (void)v;
    return RT_UNSUPPORTED;
}
static rt_vec *host_receive_vec(uint32_t *sender) {
    if (sender != NULL) *sender = 0;
    return NULL;
}
static void host_tick(uint64_t n) { (void)n; }
static void host_runtime_info(rt_runtime_info *out) {
    record_text("runtime_info", "");
    memset(out, 0, sizeof *out);
}

static void reset_recording(void) {
    n_calls = 0;
    n_bytes = 0;
    overflowed = 0;
}

static void print_escaped(const char *bytes, size_t len) {
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (c == '\n') fputs("\\n", stdout);
        else if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
}

static void print_recording(void) {
    for (size_t i = 0; i < n_calls; i++) {
        printf("call %zu: %s ", i + 1, calls[i].slot);
        print_escaped(recorded_bytes + calls[i].offset, calls[i].len);
        putchar('\n');
    }
    if (overflowed) printf("(the recording overflowed: more calls than the host keeps)\n");
}

/* ---- one load, run, unload ---- */

static int run_once(const char *path, const rt_table *table, int32_t *status) {
    module_t module = load_crate(path);
    if (module == NULL) {
        fprintf(stderr, "host: cannot load the crate %s: %s\n", path, load_error());
        return -1;
    }
    rt_crate_entry entry = (rt_crate_entry)find_symbol(module, "rust_entry");
    if (entry == NULL) {
        fprintf(stderr, "host: the crate %s has no export `rust_entry`\n", path);
        unload_crate(module);
        return -1;
    }
    *status = entry(table);
    if (unload_crate(module) != 0) {
        fprintf(stderr, "host: cannot unload the crate %s: %s\n", path, load_error());
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
#if defined(_WIN32)
    /* Bytes as written, like the runtime's: no LF -> CRLF in text mode. */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
#endif
    if (argc < 2) {
        fprintf(stderr, "usage: host CRATE [--abi-version N] [--bad-magic] [--small-size] [--cycles N]\n");
        return 2;
    }
    const char *path = argv[1];
    rt_table table = {
        .header = {.magic = RT_MAGIC, .abi_version = RT_ABI_VERSION, .size = sizeof(rt_table), .write_out = host_write_out},
        .runtime_name = "embedding-host",
        .write_err = host_write_err,
        .frame_call = host_frame_call,
        .stack_info = host_stack_info,
        .backtrace = host_backtrace,
        .spawn = host_spawn,
        .yield_now = host_yield_now,
        .join = host_join,
        .self_id = host_self_id,
        .proc_env = host_proc_env,
        .send = host_send,
        .receive = host_receive,
        .proc_info = host_proc_info,
        .vec_alloc = host_vec_alloc,
        .vec_share = host_vec_share,
        .vec_release = host_vec_release,
        .vec_write = host_vec_write,
        .send_vec = host_send_vec,
        .receive_vec = host_receive_vec,
        .tick = host_tick,
        .runtime_info = host_runtime_info,
    };
    long cycles = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--abi-version") == 0 && i + 1 < argc) table.header.abi_version = (uint32_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--bad-magic") == 0) table.header.magic = RT_MAGIC ^ 1;
        else if (strcmp(argv[i], "--small-size") == 0) table.header.size = sizeof(rt_table_header);
        else if (strcmp(argv[i], "--cycles") == 0 && i + 1 < argc) cycles = atol(argv[++i]);
        else {
            fprintf(stderr, "host: unknown argument `%s`\n", argv[i]);
            return 2;
        }
    }
    printf("host: table magic %s, abi version %u, size %u\n", table.header.magic == RT_MAGIC ? "ok" : "wrong",
           (unsigned)table.header.abi_version, (unsigned)table.header.size);

    if (cycles == 0) {
        int32_t status;
        if (run_once(path, &table, &status) != 0) return 2;
        print_recording();
        printf("rust_entry returned %d\n", (int)status);
        return 0;
    }

    /* Cycle 1 sets the reference: what the crate does, and how many mappings
     * the process has once the crate is gone again. */
    int32_t first_status = 0;
    static struct call first_calls[MAX_CALLS];
    static char first_bytes[MAX_BYTES];
    size_t first_n_calls = 0;
    long mappings_after_first = 0, mappings_after_last = 0;
    long same = 0, unloaded = 0;
    for (long cycle = 1; cycle <= cycles; cycle++) {
        int32_t status;
        reset_recording();
        if (run_once(path, &table, &status) != 0) {
            printf("cycle %ld failed\n", cycle);
            return 2;
        }
        if (!is_loaded(path)) unloaded++;
        if (cycle == 1) {
            first_status = status;
            first_n_calls = n_calls;
            memcpy(first_calls, calls, sizeof calls);
            memcpy(first_bytes, recorded_bytes, n_bytes);
            mappings_after_first = count_mappings();
            same++;
            printf("cycle 1:\n");
            print_recording();
            printf("rust_entry returned %d\n", (int)status);
            continue;
        }
        int cycle_same = status == first_status && n_calls == first_n_calls && !overflowed;
        for (size_t i = 0; cycle_same && i < n_calls; i++)
            cycle_same = calls[i].slot == first_calls[i].slot && calls[i].len == first_calls[i].len &&
                         memcmp(recorded_bytes + calls[i].offset, first_bytes + first_calls[i].offset, calls[i].len) == 0;
        if (cycle_same) same++;
        mappings_after_last = count_mappings();
    }
    printf("cycles: %ld\n", cycles);
    printf("cycles that returned the same status and made the same calls as cycle 1: %ld\n", same);
    printf("cycles after which the crate was no longer loaded: %ld\n", unloaded);
    if (cycles > 1) {
        long grown = mappings_after_last - mappings_after_first;
        printf("mappings left behind between cycle 1 and cycle %ld: %ld\n", cycles, grown);
        if (grown != 0)
            fprintf(stderr, "host: %ld mappings after cycle 1, %ld after cycle %ld\n", mappings_after_first,
                    mappings_after_last, cycles);
    }
    return 0;
}
