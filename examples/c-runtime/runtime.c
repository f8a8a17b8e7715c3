/* A small runtime written in C: the handshake only (ABI version-0 slots
 * and the header), no segmented stacks, procs, messages, vecs or ticks.
 * It declares exactly that in expectations.toml (capabilities = []), so the
 * suite runs the handshake cases and reports the others as unsupported.
 *
 * Every later slot is filled with a stub that fails loudly: the suite never
 * calls a slot of an undeclared capability, and a crate that did would see
 * the process end with status 70 and a message, not a crash. */
#include <stdio.h>
#include <stdlib.h>
#include "rustrt.h"
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

static void write_out(const uint8_t *bytes, size_t len) { fwrite(bytes, 1, len, stdout); fflush(stdout); }
static void write_err(const uint8_t *bytes, size_t len) { fwrite(bytes, 1, len, stderr); fflush(stderr); }

static void unsupported(const char *slot) {
    fprintf(stderr, "example-c-runtime: %s is not implemented (capability not declared)\n", slot);
    exit(70);
}
static uint64_t frame_call(const rt_frame_desc *d, rt_frame_fn f, uint64_t a) { (void)d; (void)f; (void)a; unsupported("frame_call"); return 0; }
static void stack_info(rt_stack_info *o) { (void)o; unsupported("stack_info"); }
static size_t backtrace(rt_backtrace_entry *o, size_t m) { (void)o; (void)m; unsupported("backtrace"); return 0; }
static uint32_t spawn(const rt_spawn_args *a) { (void)a; unsupported("spawn"); return 0; }
static void yield_now(void) { unsupported("yield_now"); }
static int32_t join(uint32_t id, uint64_t *d) { (void)id; (void)d; unsupported("join"); return 0; }
static uint32_t self_id(void) { return 1; }
static void *proc_env(void) { return NULL; }
static int32_t send(uint32_t to, const uint8_t *b, size_t n) { (void)to; (void)b; (void)n; unsupported("send"); return 0; }
static size_t receive(uint8_t *b, size_t c, uint32_t *s) { (void)b; (void)c; (void)s; unsupported("receive"); return 0; }
static void proc_info(rt_proc_info *o) { (void)o; unsupported("proc_info"); }
static rt_vec *vec_alloc(uint64_t c) { (void)c; unsupported("vec_alloc"); return NULL; }
static rt_vec *vec_share(rt_vec *v) { (void)v; unsupported("vec_share"); return NULL; }
static void vec_release(rt_vec *v) { (void)v; unsupported("vec_release"); }
static int32_t vec_write(rt_vec **v, uint64_t o, const uint8_t *b, size_t n) { (void)v; (void)o; (void)b; (void)n; unsupported("vec_write"); return 0; }
static int32_t send_vec(uint32_t to, rt_vec *v) { (void)to; (void)v; unsupported("send_vec"); return 0; }
static rt_vec *receive_vec(uint32_t *s) { (void)s; unsupported("receive_vec"); return NULL; }
static void tick(uint64_t n) { (void)n; unsupported("tick"); }

static const rt_table table = {
    .header = {.magic = RT_MAGIC, .abi_version = RT_ABI_VERSION, .size = sizeof(rt_table), .write_out = write_out},
    .runtime_name = "example-c-runtime",
    .write_err = write_err,
    .frame_call = frame_call, .stack_info = stack_info, .backtrace = backtrace,
    .spawn = spawn, .yield_now = yield_now, .join = join, .self_id = self_id, .proc_env = proc_env,
    .send = send, .receive = receive, .proc_info = proc_info,
    .vec_alloc = vec_alloc, .vec_share = vec_share, .vec_release = vec_release, .vec_write = vec_write,
    .send_vec = send_vec, .receive_vec = receive_vec, .tick = tick,
};

RT_EXPORT void rt_start(rt_crate_entry entry) {
#ifdef _WIN32
    /* SPEC.md 2.2: every byte as written; a text-mode stream would write
     * each "\n" as "\r\n". */
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
#endif
    int32_t status = entry(&table);
    fflush(stdout);
    exit(status);
}
