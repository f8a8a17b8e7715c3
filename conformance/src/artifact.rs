//! The artifact rules (SPEC.md, "Crates"), checked with the `object` crate on
//! every built crate: what makes one file both a program and a library whose
//! only link to the world is the runtime's start symbol.
//!
//! Each rule renders as one line, `<rule>: ok` or `<rule>: VIOLATED: <why>`;
//! the lines form the text compared with the `artifacts` case's golden, so a
//! violation shows in the diff with the rule's name and the reason.

use object::read::elf::{Dyn as _, FileHeader as _, ProgramHeader as _};
use object::{Architecture, BinaryFormat, Endianness, Object, elf, pe};

use crate::platform::{Format, Platform};

/// One rule's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleResult {
    pub rule: &'static str,
    /// `None` when the rule holds, else why not.
    pub violation: Option<String>,
}

/// The rules, in the order they render.
pub const RULES: [&str; 6] = [
    "built for the platform's format and architecture",
    "exports exactly one symbol, the rust entry point, by name",
    "imports only from the runtime library",
    "imports only the runtime's start symbol",
    "has an entry point and can be started as a program",
    "can be loaded as a library by a host",
];

/// Checks every rule on the file's bytes. The runtime library's file name is
/// taken from the platform.
pub fn check(data: &[u8], platform: &Platform) -> Vec<RuleResult> {
    let facts = match Facts::read(data, platform) {
        Ok(facts) => facts,
        Err(e) => {
            return RULES
                .iter()
                .map(|rule| RuleResult { rule, violation: Some(format!("not a readable binary: {e}")) })
                .collect();
        }
    };
    let expected_format = match platform.format {
        Format::Elf => BinaryFormat::Elf,
        Format::Pe => BinaryFormat::Pe,
    };
    let expected_arch = match platform.arch.as_str() {
        "x86_64" => Architecture::X86_64,
        "aarch64" => Architecture::Aarch64,
        _ => Architecture::Unknown,
    };
    let mut results = Vec::new();
    let mut push = |rule: usize, violation: Option<String>| results.push(RuleResult { rule: RULES[rule], violation });

    push(
        0,
        (facts.format != expected_format || facts.arch != expected_arch).then(|| {
            format!(
                "it is {:?} for {:?}, the platform needs {expected_format:?} for {expected_arch:?}",
                facts.format, facts.arch
            )
        }),
    );
    push(
        1,
        (facts.exports != [rt_abi::CRATE_ENTRY_SYMBOL]).then(|| {
            format!("it exports [{}], it must export only `{}`", facts.exports.join(", "), rt_abi::CRATE_ENTRY_SYMBOL)
        }),
    );
    let runtime = platform.runtime_file.to_ascii_lowercase();
    let libraries_ok = facts.libraries.len() == 1 && facts.libraries[0].to_ascii_lowercase() == runtime;
    push(
        2,
        (!libraries_ok).then(|| {
            format!("it needs [{}], it must need only `{}`", facts.libraries.join(", "), platform.runtime_file)
        }),
    );
    push(
        3,
        (facts.imports != [rt_abi::RT_START_SYMBOL]).then(|| {
            format!("it imports [{}], it must import only `{}`", facts.imports.join(", "), rt_abi::RT_START_SYMBOL)
        }),
    );
    push(4, (!facts.startable.is_empty()).then(|| facts.startable.join("; ")));
    push(5, (!facts.loadable.is_empty()).then(|| facts.loadable.join("; ")));
    results
}

/// The results as the lines compared with the golden.
pub fn render(results: &[RuleResult]) -> String {
    let mut text = String::new();
    for result in results {
        match &result.violation {
            None => text += &format!("{}: ok\n", result.rule),
            Some(why) => text += &format!("{}: VIOLATED: {why}\n", result.rule),
        }
    }
    text
}

/// What the rules look at, read from one file.
struct Facts {
    format: BinaryFormat,
    arch: Architecture,
    exports: Vec<String>,
    libraries: Vec<String>,
    imports: Vec<String>,
    /// Reasons it cannot be started as a program (empty: it can).
    startable: Vec<String>,
    /// Reasons a host cannot load it (empty: it can).
    loadable: Vec<String>,
}

impl Facts {
    fn read(data: &[u8], platform: &Platform) -> anyhow::Result<Facts> {
        let file = object::File::parse(data)?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let exports = file.exports()?.iter().map(|e| text(e.name())).collect();
        let mut imports: Vec<String> = file.imports()?.iter().map(|i| text(i.name())).collect();
        imports.sort();
        imports.dedup();
        let mut facts = Facts {
            format: file.format(),
            arch: file.architecture(),
            exports,
            libraries: Vec::new(),
            imports,
            startable: Vec::new(),
            loadable: Vec::new(),
        };
        match (&file, platform.format) {
            (object::File::Elf64(elf_file), Format::Elf) => facts.read_elf(elf_file, data)?,
            (object::File::Pe64(pe_file), Format::Pe) => facts.read_pe(pe_file)?,
            _ => {
                facts.startable.push("not a 64-bit binary of the platform's format".into());
                facts.loadable.push("not a 64-bit binary of the platform's format".into());
            }
        }
        Ok(facts)
    }

    fn read_elf(&mut self, file: &object::read::elf::ElfFile64<Endianness>, data: &[u8]) -> anyhow::Result<()> {
        let endian = file.endian();
        let header = file.elf_header();
        if header.e_entry(endian) == 0 {
            self.startable.push("the ELF entry point is 0".into());
        }
        let has_interp = file.elf_program_headers().iter().any(|ph| ph.p_type(endian) == elf::PT_INTERP);
        if !has_interp {
            self.startable.push("there is no PT_INTERP segment, so the kernel cannot start it".into());
        }
        if header.e_type(endian) != elf::ET_DYN {
            self.loadable.push("it is not ET_DYN, so dlopen refuses it".into());
        }
        let sections = file.elf_section_table();
        if let Some((entries, strings_index)) = sections.dynamic(endian, data)? {
            let strings = sections.strings(endian, data, strings_index)?;
            for entry in entries {
                let tag = entry.d_tag(endian);
                if tag == u64::from(elf::DT_NEEDED) {
                    let name = strings
                        .get(entry.d_val(endian) as u32)
                        .map_err(|()| anyhow::anyhow!("a DT_NEEDED entry has no name"))?;
                    self.libraries.push(String::from_utf8_lossy(name).into_owned());
                } else if tag == u64::from(elf::DT_FLAGS_1) && entry.d_val(endian) & u64::from(elf::DF_1_PIE) != 0 {
                    self.loadable.push("DT_FLAGS_1 has DF_1_PIE, which glibc's dlopen refuses".into());
                }
            }
        } else {
            self.loadable.push("there is no dynamic section".into());
        }
        Ok(())
    }

    fn read_pe(&mut self, file: &object::read::pe::PeFile64) -> anyhow::Result<()> {
        use object::read::pe::ImageNtHeaders;
        use object::read::pe::ImageOptionalHeader;
        let nt = file.nt_headers();
        let characteristics = nt.file_header().characteristics.get(object::LittleEndian);
        let optional = nt.optional_header();
        if optional.address_of_entry_point() == 0 {
            self.startable.push("AddressOfEntryPoint is 0".into());
        }
        if characteristics & pe::IMAGE_FILE_DLL != 0 {
            self.startable.push("it is flagged IMAGE_FILE_DLL, which Windows will not start as a process".into());
        }
        if characteristics & pe::IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
            self.startable.push("it is not flagged IMAGE_FILE_EXECUTABLE_IMAGE".into());
        }
        if optional.dll_characteristics() & pe::IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE == 0 {
            self.loadable.push("it is not flagged DYNAMIC_BASE, so it cannot be relocated when loaded".into());
        }
        if characteristics & pe::IMAGE_FILE_RELOCS_STRIPPED != 0 {
            self.loadable.push("its relocations are stripped".into());
        }
        if let Some(table) = file.import_table()? {
            let mut descriptors = table.descriptors()?;
            while let Some(descriptor) = descriptors.next()? {
                let name = table.name(descriptor.name.get(object::LittleEndian))?;
                self.libraries.push(String::from_utf8_lossy(name).into_owned());
            }
        }
        Ok(())
    }
}
