//! Writing a scenario image into a copy of the interpreter crate: the
//! crate's `.rtscn` section (`scenario_format::SECTION_NAME`) is file data of
//! `SECTION_SIZE` bytes, found with `object` in ELF and PE alike, so the
//! crate still imports only `rt_start` and the image needs no other channel.

use anyhow::{Context, bail};
use object::{Object, ObjectSection};
use scenario_format::{SECTION_NAME, SECTION_SIZE};

/// Where the section's bytes are in the file.
pub fn section_range(crate_file: &[u8]) -> anyhow::Result<std::ops::Range<usize>> {
    let file = object::File::parse(crate_file).context("the scenario crate is not an object file")?;
    let section = file
        .section_by_name(SECTION_NAME)
        .with_context(|| format!("the scenario crate has no {SECTION_NAME} section"))?;
    let Some((offset, size)) = section.file_range() else {
        bail!("the scenario crate's {SECTION_NAME} section has no file contents")
    };
    if size < SECTION_SIZE as u64 {
        bail!("the scenario crate's {SECTION_NAME} section has {size} bytes; an image may need {SECTION_SIZE}");
    }
    Ok(offset as usize..(offset + size) as usize)
}

/// `crate_file` with `image` at the start of its section, the rest zeroed.
pub fn with_image(crate_file: &[u8], image: &[u8]) -> anyhow::Result<Vec<u8>> {
    let range = section_range(crate_file)?;
    if image.len() > range.len() {
        bail!("a scenario image of {} bytes does not fit the {}-byte section", image.len(), range.len());
    }
    let mut out = crate_file.to_vec();
    let section = &mut out[range];
    section.fill(0);
    section[..image.len()].copy_from_slice(image);
    Ok(out)
}
