//! What every test crate links: the process entry stub (per architecture, in
//! `arch/`), the exported `rust_entry`, the table check, and output helpers.
//!
//! A test crate is a `no_std` staticlib that calls [`crate_main!`] once with
//! its main function. The platform's linker then turns the archive into ONE
//! file that is both an executable (entry: `_rt_crate_start`, the stub) and a
//! library whose sole export is `rust_entry` (see SPEC.md, "Crates").
//!
//! Crates see the runtime only through the table: they never name the
//! reference runtime's Rust code.
#![no_std]
#![no_builtins]

mod arch;
pub use arch::{os_stack_bounds, trap};

/// The OS's record of the stack the code runs on (Windows' TEB; SPEC.md §10.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsStack {
    pub base: u64,
    pub limit: u64,
    pub dealloc: u64,
}
mod mem;

use core::fmt;
use core::sync::atomic::{AtomicPtr, Ordering};

pub use rt_abi as abi;
use rt_abi::{
    BacktraceEntry, ExitStatus, FrameDesc, FrameFn, ProcInfo, RT_ABI_VERSION, RT_MAGIC, RT_TABLE_SIZE, RtTable, RtVec,
    RuntimeInfo, SpawnArgs, StackInfo,
};

/// Declares the crate's main function: `fn(&Rt) -> i32`.
#[macro_export]
macro_rules! crate_main {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __rt_crate_main(rt: &$crate::Rt) -> i32 {
            $main(rt)
        }
    };
}

unsafe extern "Rust" {
    /// Defined by [`crate_main!`] in the test crate.
    safe fn __rt_crate_main(rt: &Rt) -> i32;
}

/// The table the crate was entered with, for the panic handler.
static TABLE: AtomicPtr<RtTable> = AtomicPtr::new(core::ptr::null_mut());

/// The crate's rust entry point: its sole export, looked up by hosts.
///
/// # Safety
/// `table` is null or points to memory readable for at least the header.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rust_entry(table: *const RtTable) -> i32 {
    // SAFETY: forwarded obligation.
    unsafe { private_entry(table) }
}

/// The entry the process stub hands to `rt_start`. It is a separate, private
/// function because a shared object may not take the PC-relative address of
/// its own exported (interposable) symbol.
unsafe extern "C" fn private_entry(table: *const RtTable) -> i32 {
    // SAFETY: the caller (runtime or host) passes a table pointer or null.
    match unsafe { accept(table) } {
        Ok(rt) => {
            TABLE.store(table.cast_mut(), Ordering::Relaxed);
            __rt_crate_main(&rt)
        }
        Err(status) => status,
    }
}

/// Checks the table's header before any slot is used.
///
/// # Safety
/// `table` is null or readable for at least `RtTableHeader`; when the magic
/// matches, readable for `header.size` bytes.
unsafe fn accept(table: *const RtTable) -> Result<Rt, i32> {
    if table.is_null() {
        return Err(ExitStatus::TABLE_REFUSED);
    }
    // SAFETY: non-null, and the caller promises the header is readable.
    let header = unsafe { &(*table).header };
    if header.magic != RT_MAGIC {
        // Without the magic nothing in the table can be trusted, not even
        // `write_out`: refuse silently, with the distinct status.
        return Err(ExitStatus::TABLE_REFUSED);
    }
    if header.abi_version != RT_ABI_VERSION || header.size < RT_TABLE_SIZE {
        let mut out = Writer::new(header.write_out);
        let _ = fmt::write(
            &mut out,
            format_args!(
                "crate refuses the runtime's table: it has ABI version {} and size {}, \
                 this crate needs ABI version {} and size at least {}\n",
                header.abi_version, header.size, RT_ABI_VERSION, RT_TABLE_SIZE
            ),
        );
        return Err(ExitStatus::TABLE_REFUSED);
    }
    // SAFETY: the header vouches for a full version-0 table.
    Ok(Rt { table: unsafe { &*table } })
}

/// The crate's handle on the runtime: the accepted table.
#[derive(Clone, Copy)]
pub struct Rt {
    table: &'static RtTable,
}

/// The runtime, from anywhere in the crate once `rust_entry` accepted its
/// table (a proc's body gets no `&Rt` argument).
pub fn rt() -> Rt {
    let table = TABLE.load(Ordering::Relaxed);
    assert!(!table.is_null(), "crate_support::rt() called before the table was accepted");
    // SAFETY: only accepted tables are stored, and they outlive the crate.
    Rt { table: unsafe { &*table } }
}

/// `frame_desc!(c"name", size)`: a frame descriptor, as a compiler would emit.
#[macro_export]
macro_rules! frame_desc {
    ($name:literal, $size:expr) => {
        $crate::abi::FrameDesc { size: $size, name: $name.as_ptr() }
    };
}

/// A reference to a vec that the calling proc holds (one of its `refs`).
/// Only the runtime makes them, so the pointer inside is a live vec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VecRef(*mut RtVec);

impl VecRef {
    /// The vec's header.
    ///
    /// # Safety
    /// The calling proc still holds this reference.
    pub unsafe fn get(&self) -> &RtVec {
        // SAFETY: caller's promise.
        unsafe { &*self.0 }
    }

    /// The vec's live bytes.
    ///
    /// # Safety
    /// The calling proc still holds this reference, and does not write the
    /// vec while the slice is alive.
    pub unsafe fn bytes(&self) -> &[u8] {
        // SAFETY: caller's promise; the first `live` bytes of `slots` are initialised.
        unsafe { core::slice::from_raw_parts(RtVec::slots_ptr(self.0), (*self.0).live as usize) }
    }

    /// The vec's reference count.
    ///
    /// # Safety
    /// The calling proc still holds this reference.
    pub unsafe fn refs(&self) -> u64 {
        // SAFETY: caller's promise.
        unsafe { (*self.0).refs.load(Ordering::Relaxed) }
    }

    pub fn is_null(&self) -> bool {
        self.0.is_null()
    }
}

/// The name in a frame descriptor.
///
/// # Safety
/// `desc` is a valid descriptor whose name is UTF-8.
pub unsafe fn desc_name(desc: *const FrameDesc) -> &'static str {
    // SAFETY: caller's promise.
    unsafe { core::ffi::CStr::from_ptr((*desc).name).to_str().unwrap_or("?") }
}

impl Rt {
    /// Runs `f` in a new frame described by `desc` (the table's `frame_call`).
    pub fn frame<F: FnOnce() -> u64>(&self, desc: &'static FrameDesc, f: F) -> u64 {
        unsafe extern "C" fn trampoline<F: FnOnce() -> u64>(arg: u64) -> u64 {
            // SAFETY: `arg` is the `Option<F>` below, alive for the call.
            let f = unsafe { (*(arg as *mut Option<F>)).take().unwrap_unchecked() };
            f()
        }
        let mut f = Some(f);
        // SAFETY: the descriptor is static, the trampoline matches `f`.
        unsafe { (self.table.frame_call)(desc, trampoline::<F>, &mut f as *mut Option<F> as u64) }
    }

    pub fn stack_info(&self) -> StackInfo {
        let mut info = StackInfo::default();
        // SAFETY: `info` is writable.
        unsafe { (self.table.stack_info)(&mut info) };
        info
    }

    /// Fills `out` with the innermost frames; returns how many.
    pub fn backtrace(&self, out: &mut [BacktraceEntry]) -> usize {
        // SAFETY: `out` has room for `out.len()` entries.
        unsafe { (self.table.backtrace)(out.as_mut_ptr(), out.len()) }
    }

    /// Starts a proc running `entry(arg)` in a frame described by `desc`.
    pub fn spawn(&self, desc: &'static FrameDesc, entry: FrameFn, arg: u64, mem_budget: u64) -> u32 {
        self.spawn_with_ticks(desc, entry, arg, mem_budget, 0)
    }

    /// `spawn`, with a tick budget (0: none).
    pub fn spawn_with_ticks(
        &self,
        desc: &'static FrameDesc,
        entry: FrameFn,
        arg: u64,
        mem_budget: u64,
        tick_budget: u64,
    ) -> u32 {
        let args = SpawnArgs { entry_desc: desc, entry, arg, env: core::ptr::null_mut(), mem_budget, tick_budget };
        // SAFETY: the arguments are valid for the call.
        unsafe { (self.table.spawn)(&args) }
    }

    /// `spawn`, with an environment (closure) pointer the body reads with `proc_env`.
    pub fn spawn_with_env(
        &self,
        desc: &'static FrameDesc,
        entry: FrameFn,
        arg: u64,
        env: *mut core::ffi::c_void,
        mem_budget: u64,
    ) -> u32 {
        let args = SpawnArgs { entry_desc: desc, entry, arg, env, mem_budget, tick_budget: 0 };
        // SAFETY: the arguments are valid for the call.
        unsafe { (self.table.spawn)(&args) }
    }

    /// The calling proc's environment pointer.
    pub fn proc_env(&self) -> *mut core::ffi::c_void {
        // SAFETY: no arguments.
        unsafe { (self.table.proc_env)() }
    }

    /// Runs `body(0)` in a proc of its own (no memory limit), waits for it
    /// and prints `proc ended with status N`; returns 0 for `main`.
    pub fn run_in_proc(&self, desc: &'static FrameDesc, body: FrameFn) -> i32 {
        let id = self.spawn(desc, body, 0, u64::MAX);
        let (status, _) = self.join(id);
        outln!(self, "proc ended with status {status}");
        0
    }

    pub fn yield_now(&self) {
        // SAFETY: no arguments.
        unsafe { (self.table.yield_now)() }
    }

    /// Waits for proc `id`; its status and how many messages it left unread.
    pub fn join(&self, id: u32) -> (i32, u64) {
        let mut discarded = 0;
        // SAFETY: `discarded` is writable.
        let status = unsafe { (self.table.join)(id, &mut discarded) };
        (status, discarded)
    }

    pub fn self_id(&self) -> u32 {
        // SAFETY: no arguments.
        unsafe { (self.table.self_id)() }
    }

    pub fn send(&self, to: u32, bytes: &[u8]) -> i32 {
        // SAFETY: `bytes` is readable for its length.
        unsafe { (self.table.send)(to, bytes.as_ptr(), bytes.len()) }
    }

    /// Waits for a message; returns its length (it may exceed `buf`) and sender.
    pub fn receive(&self, buf: &mut [u8]) -> (usize, u32) {
        let mut sender = 0;
        // SAFETY: `buf` is writable for its length; `sender` is writable.
        let len = unsafe { (self.table.receive)(buf.as_mut_ptr(), buf.len(), &mut sender) };
        (len, sender)
    }

    /// A new vec of `capacity` bytes, held by the calling proc.
    pub fn vec_alloc(&self, capacity: u64) -> VecRef {
        // SAFETY: no pointers.
        VecRef(unsafe { (self.table.vec_alloc)(capacity) })
    }

    /// One more reference to `v` for the calling proc.
    pub fn vec_share(&self, v: VecRef) -> VecRef {
        // SAFETY: a `VecRef` is a vec the proc holds.
        VecRef(unsafe { (self.table.vec_share)(v.0) })
    }

    pub fn vec_release(&self, v: VecRef) {
        // SAFETY: a `VecRef` is a vec the proc holds.
        unsafe { (self.table.vec_release)(v.0) }
    }

    /// Writes `bytes` at `offset` of `*v` (which may change); an `RT_VEC_*` result.
    pub fn vec_write(&self, v: &mut VecRef, offset: u64, bytes: &[u8]) -> i32 {
        // SAFETY: a `VecRef` is a vec the proc holds; `bytes` is readable.
        unsafe { (self.table.vec_write)(&mut v.0, offset, bytes.as_ptr(), bytes.len()) }
    }

    pub fn send_vec(&self, to: u32, v: VecRef) -> i32 {
        // SAFETY: a `VecRef` is a vec the proc holds.
        unsafe { (self.table.send_vec)(to, v.0) }
    }

    /// Waits for a message; the vec it carries (null for bytes) and its sender.
    pub fn receive_vec(&self) -> (VecRef, u32) {
        let mut sender = 0;
        // SAFETY: `sender` is writable.
        let v = unsafe { (self.table.receive_vec)(&mut sender) };
        (VecRef(v), sender)
    }

    /// Counts `n` ticks: a yield point.
    pub fn tick(&self, n: u64) {
        // SAFETY: no pointers.
        unsafe { (self.table.tick)(n) }
    }

    /// What is alive in the whole runtime (SPEC.md §13.9).
    pub fn runtime_info(&self) -> RuntimeInfo {
        let mut info = RuntimeInfo::default();
        // SAFETY: `info` is writable.
        unsafe { (self.table.runtime_info)(&mut info) };
        info
    }

    pub fn proc_info(&self) -> ProcInfo {
        let mut info = ProcInfo::default();
        // SAFETY: `info` is writable.
        unsafe { (self.table.proc_info)(&mut info) };
        info
    }

    /// The raw table, for cases that inspect it.
    pub fn table(&self) -> &'static RtTable {
        self.table
    }

    /// A writer to the program's standard output.
    pub fn out(&self) -> Writer {
        Writer::new(self.table.header.write_out)
    }

    /// A writer to the program's standard error.
    pub fn err(&self) -> Writer {
        Writer::new(self.table.write_err)
    }
}

/// Writes through one of the table's byte-writing slots, a line at a time:
/// text is gathered in a buffer and handed over at each newline, when the
/// buffer is full, and when the writer is dropped. So a runtime or host sees
/// one call per line, whatever the formatting machinery does.
pub struct Writer {
    slot: unsafe extern "C" fn(*const u8, usize),
    buf: [u8; 256],
    len: usize,
}

impl Writer {
    fn new(slot: unsafe extern "C" fn(*const u8, usize)) -> Writer {
        Writer { slot, buf: [0; 256], len: 0 }
    }

    fn flush(&mut self) {
        if self.len > 0 {
            // SAFETY: the slot comes from an accepted table and takes any bytes.
            unsafe { (self.slot)(self.buf.as_ptr(), self.len) };
            self.len = 0;
        }
    }
}

impl fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &byte in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = byte;
            self.len += 1;
            if byte == b'\n' {
                self.flush();
            }
        }
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `outln!(rt, "...", args)`: a line to standard output.
#[macro_export]
macro_rules! outln {
    ($rt:expr, $($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($rt.out(), $($arg)*);
    }};
}

/// `errln!(rt, "...", args)`: a line to standard error, through `write_err`.
#[macro_export]
macro_rules! errln {
    ($rt:expr, $($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($rt.err(), $($arg)*);
    }};
}

/// Crates have no allocator (they may import nothing but `rt_start`). A
/// workspace-wide build can still link `alloc` into one (cargo unifies the
/// features of a shared dependency), which needs a global allocator to
/// exist: this one refuses every request.
struct NoAllocator;

// SAFETY: `alloc` returns null (a refusal), which the contract allows.
unsafe impl core::alloc::GlobalAlloc for NoAllocator {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[cfg(not(test))]
#[global_allocator]
static NO_ALLOCATOR: NoAllocator = NoAllocator;

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use core::fmt::Write as _;
    let table = TABLE.load(Ordering::Relaxed);
    if !table.is_null() {
        // SAFETY: only accepted tables are stored, and they outlive the crate.
        let mut err = Writer::new(unsafe { (*table).write_err });
        let _ = writeln!(err, "crate panicked: {info}");
    }
    arch::trap()
}
