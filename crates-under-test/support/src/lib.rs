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
mod mem;

use core::fmt;
use core::sync::atomic::{AtomicPtr, Ordering};

pub use rt_abi as abi;
use rt_abi::{ExitStatus, RT_ABI_VERSION, RT_MAGIC, RT_TABLE_SIZE, RtTable};

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
pub struct Rt {
    table: &'static RtTable,
}

impl Rt {
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
