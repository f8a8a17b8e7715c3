//! Checks of the runtime under test before any case runs on a platform: is
//! it a library of the platform's format and architecture that exports
//! `rt_start`, and does it implement the ABI version this suite checks?
//! Each problem is one clear message instead of a failure in every case.

use object::{Architecture, BinaryFormat, Object};

use crate::platform::{Format, Platform};

/// Why a file cannot be the platform's runtime library, or `Ok`.
pub fn check_library(data: &[u8], platform: &Platform) -> Result<(), String> {
    let file = object::File::parse(data).map_err(|e| format!("it is not a library of any known format ({e})"))?;
    let (format, arch) = (file.format(), file.architecture());
    let want_format = match platform.format {
        Format::Elf => BinaryFormat::Elf,
        Format::Pe => BinaryFormat::Pe,
    };
    let want_arch = match platform.arch.as_str() {
        "aarch64" => Architecture::Aarch64,
        _ => Architecture::X86_64,
    };
    if format != want_format || arch != want_arch {
        return Err(format!(
            "it is a {format:?} file for {arch:?}; {} needs {want_format:?} for {want_arch:?}",
            platform.name
        ));
    }
    let exports = file.exports().map_err(|e| format!("its export table cannot be read ({e})"))?;
    if !exports.iter().any(|e| e.name() == rt_abi::RT_START_SYMBOL.as_bytes()) {
        return Err(format!("it does not export `{}`", rt_abi::RT_START_SYMBOL));
    }
    Ok(())
}

/// The ABI version a runtime's table claims, read from what the `handshake`
/// crate printed: its report on success, or its refusal (SPEC.md, section 4).
pub fn claimed_version(stdout: &str) -> Option<u32> {
    if let Some(rest) = stdout.split("abi version: ").nth(1) {
        return rest.lines().next()?.trim().parse().ok();
    }
    let rest = stdout.split("it has ABI version ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}
