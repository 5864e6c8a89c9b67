//! What must be known about an object before aya-obj sees it: that it is eBPF at all, that no
//! section asks for absurd memory (aya-obj would allocate it), which code sections hold program
//! types aya-obj cannot name (it would refuse the whole object), and which calls go to kernel
//! functions (kfuncs), which no device can reach.

use super::ElfError;
use object::elf::{SHF_EXECINSTR, SHT_NOBITS};
use object::read::elf::{ElfFile64, FileHeader, SectionHeader};
use object::{Endianness, Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionKind};
use std::str::FromStr;

/// Facts found before parsing.
#[derive(Debug, Default)]
pub struct Precheck {
    /// The object bytes with foreign program sections hidden from aya-obj.
    pub bytes: Vec<u8>,
    /// Programs of types rvo does not run: (section name, function names).
    pub foreign: Vec<(String, Vec<String>)>,
    /// Calls to kernel functions: (section, instruction index in it, function name).
    pub kfuncs: Vec<(String, usize, String)>,
}

/// The largest section the device could ever hold as global data.
const MAX_SECTION: u64 = rvo_isa::region::MAP_MEMORY as u64;

/// Check an object and prepare it for aya-obj.
pub fn precheck(bytes: &[u8]) -> Result<Precheck, ElfError> {
    let file = ElfFile64::<Endianness>::parse(bytes).map_err(|e| ElfError::Parse(e.to_string()))?;
    if file.architecture() != object::Architecture::Bpf {
        return Err(ElfError::Parse(format!(
            "built for {:?}, not eBPF (compile with clang -target bpf)",
            file.architecture()
        )));
    }
    let mut out = Precheck {
        bytes: bytes.to_vec(),
        ..Precheck::default()
    };
    let endian = file.endian();
    let headers = file
        .elf_header()
        .section_headers(endian, bytes)
        .map_err(|e| ElfError::Parse(e.to_string()))?;
    let shoff = file.elf_header().e_shoff.get(endian) as usize;
    for section in file.sections() {
        let name = section.name().unwrap_or("");
        let header = headers
            .get(section.index().0)
            .ok_or_else(|| ElfError::Parse("bad section index".into()))?;
        if header.sh_type(endian) == SHT_NOBITS && section.size() > MAX_SECTION {
            return Err(ElfError::Parse(format!(
                "section `{name}` asks for {} bytes, more than the device's {MAX_SECTION} bytes of map memory",
                section.size()
            )));
        }
        let code =
            section.kind() == SectionKind::Text && section.size() > 0 && !name.starts_with(".text");
        if code && aya_obj::ProgramSection::from_str(name).is_err() {
            let functions = file
                .symbols()
                .filter(|s| {
                    s.section_index() == Some(section.index())
                        && s.kind() == object::SymbolKind::Text
                })
                .filter_map(|s| s.name().ok().map(str::to_string))
                .collect();
            out.foreign.push((name.to_string(), functions));
            // Clear SHF_EXECINSTR in the copy so aya-obj passes the section over.
            let flags_at = shoff + section.index().0 * 64 + 8;
            if let Some(flags) = out.bytes.get_mut(flags_at..flags_at + 8) {
                let v = u64::from_le_bytes(flags.try_into().unwrap_or([0; 8]))
                    & !(SHF_EXECINSTR as u64);
                flags.copy_from_slice(&v.to_le_bytes());
            }
        }
        if section.kind() == SectionKind::Text {
            for (offset, rel) in section.relocations() {
                let RelocationTarget::Symbol(sym) = rel.target() else {
                    continue;
                };
                let Ok(sym) = file.symbol_by_index(sym) else {
                    continue;
                };
                let insn = section
                    .data()
                    .ok()
                    .and_then(|d| d.get(offset as usize..offset as usize + 2));
                let is_call = insn.is_some_and(|i| i[0] == crate::ebpf::CALL);
                if sym.is_undefined() && is_call {
                    let fname = sym.name().unwrap_or("?").to_string();
                    out.kfuncs
                        .push((name.to_string(), offset as usize / 8, fname));
                    // Mark it a kfunc call (src = BPF_PSEUDO_KFUNC_CALL) in the copy, as
                    // libbpf does, so linking passes it by and the compiler names it with
                    // its instruction and source line.
                    if let Some((start, _)) = section.file_range() {
                        if let Some(regs) = out.bytes.get_mut(start as usize + offset as usize + 1)
                        {
                            *regs = (*regs & 0x0f) | (crate::ebpf::BPF_PSEUDO_KFUNC_CALL << 4);
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Run `f`, turning a panic into `None` without the panic message on stderr (aya-obj indexes
/// section data with the sizes the headers claim).
pub fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
    std::panic::set_hook(hook);
    result
}
