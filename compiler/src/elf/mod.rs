//! The ELF front end: XDP programs from clang (libbpf style) and aya objects.
//!
//! aya-obj parses the object: program sections, BTF-defined (`.maps`) and legacy (`maps`)
//! maps, global data (`.rodata`, `.data`, `.bss`, which Linux turns into one-entry array maps),
//! and the relocations of map references and bpf-to-bpf calls. Map references become LDDW
//! pseudo loads carrying the map's index in [`ElfObject::maps`] (sorted by name), which is how
//! the compiler core expects them. BTF line info is kept so that errors and profiles name the
//! source line.

mod precheck;

use crate::{compile_input, ebpf, CompileError, Compiled, Input, Options};
use aya_obj::programs::XdpAttachType;
use aya_obj::{EbpfSectionKind, Object, ProgramSection};
use rvo_isa::maps::MapDesc;
use std::collections::HashSet;
use std::fmt;

/// A source position from BTF line info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// The first instruction it covers.
    pub insn: usize,
    /// Source file.
    pub file: String,
    /// Line number (1-based).
    pub line: u32,
    /// Column (1-based, 0 when unknown).
    pub col: u32,
    /// The text of the line, as BTF recorded it.
    pub text: String,
}

impl fmt::Display for SourceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.rsplit('/').next().unwrap_or(&self.file);
        write!(f, "{file}:{}", self.line)?;
        if self.col > 0 {
            write!(f, ":{}", self.col)?;
        }
        if !self.text.trim().is_empty() {
            write!(f, " `{}`", self.text.trim())?;
        }
        Ok(())
    }
}

/// One program of an object, relocated.
#[derive(Clone, Debug)]
pub struct ElfProgram {
    /// Function name (what `--prog` takes).
    pub name: String,
    /// Section name, e.g. `xdp`.
    pub section: String,
    /// Instructions with subprograms appended and map references as indexes.
    pub insns: Vec<ebpf::Insn>,
    /// Line info, sorted by instruction.
    pub lines: Vec<SourceLine>,
    /// Why it cannot run on rvo, if it cannot (not XDP, or `xdp.frags`).
    pub unsupported: Option<String>,
}

impl ElfProgram {
    /// The source line of instruction `pc`: the last line-info record at or before it.
    pub fn line_of(&self, pc: usize) -> Option<&SourceLine> {
        let i = self.lines.partition_point(|l| l.insn <= pc);
        i.checked_sub(1).map(|i| &self.lines[i])
    }
}

/// What kind of map section a map came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapOrigin {
    /// A map definition (`.maps` or legacy `maps`).
    Defined,
    /// Global data: `.rodata*`, `.data*`, `.bss*`.
    GlobalData,
}

/// One map of an object.
#[derive(Clone, Debug)]
pub struct ElfMap {
    /// Its name (for global data, the section name, as bpftool shows a suffix of it).
    pub name: String,
    /// Type and sizes (offsets are assigned by the compiler).
    pub desc: MapDesc,
    /// Initial value of a global data map.
    pub init: Vec<u8>,
    /// Where it came from.
    pub origin: MapOrigin,
}

/// A parsed, relocated object.
#[derive(Clone, Debug)]
pub struct ElfObject {
    /// Programs, sorted by name.
    pub programs: Vec<ElfProgram>,
    /// Maps, sorted by name; LDDW map references index this list.
    pub maps: Vec<ElfMap>,
}

/// Why an object cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Not a valid eBPF ELF object.
    Parse(String),
    /// Relocations could not be applied.
    Relocation(String),
    /// No program of that name.
    NoSuchProgram {
        wanted: String,
        available: Vec<String>,
    },
    /// A call to a kernel function (kfunc), which the device cannot reach.
    Kfunc {
        section: String,
        insn: usize,
        function: String,
    },
    /// Several XDP programs and none chosen.
    Ambiguous { available: Vec<String> },
    /// The object has no program rvo can run.
    NoXdpProgram { available: Vec<String> },
    /// The chosen program cannot run on rvo.
    Unsupported { program: String, reason: String },
    /// A map the device cannot hold.
    Map { map: String, reason: String },
    /// The compiler refused the program.
    Compile {
        program: String,
        error: Box<CompileError>,
        line: Option<Box<SourceLine>>,
    },
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Parse(e) => write!(f, "not a valid eBPF object: {e}"),
            ElfError::Relocation(e) => write!(f, "relocation failed: {e}"),
            ElfError::NoSuchProgram { wanted, available } => {
                write!(
                    f,
                    "no program `{wanted}` (the object has: {})",
                    available.join(", ")
                )
            }
            ElfError::NoXdpProgram { available } if available.is_empty() => {
                write!(f, "the object has no programs")
            }
            ElfError::NoXdpProgram { available } => {
                write!(
                    f,
                    "the object has no XDP program (it has: {})",
                    available.join(", ")
                )
            }
            ElfError::Kfunc { section, insn, function } => write!(
                f,
                "section `{section}` instruction {insn}: call to kernel function `{function}` (a kfunc): kernel functions run on the host CPU and cannot run on the device"
            ),
            ElfError::Ambiguous { available } => {
                write!(
                    f,
                    "the object has several programs ({}): choose one with --prog",
                    available.join(", ")
                )
            }
            ElfError::Unsupported { program, reason } => write!(f, "program `{program}`: {reason}"),
            ElfError::Map { map, reason } => write!(f, "map `{map}`: {reason}"),
            ElfError::Compile {
                program,
                error,
                line,
            } => {
                write!(f, "program `{program}`: ")?;
                match (error.pc, line) {
                    (Some(pc), Some(line)) => write!(
                        f,
                        "instruction {pc} (`{}`) at {line}: {}",
                        crate::disasm::Disasm {
                            insns: &error.insn,
                            pc: 0
                        },
                        error.kind
                    ),
                    _ => write!(f, "{error}"),
                }
            }
        }
    }
}

impl std::error::Error for ElfError {}

/// The string table of a `.BTF` section (where line info's file names and lines live).
fn btf_strings(file: &object::File<'_>) -> Option<Vec<u8>> {
    use object::{Object as _, ObjectSection as _};
    let data = file.section_by_name(".BTF")?.data().ok()?;
    let u32_at = |i: usize| {
        data.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let hdr_len = u32_at(4)? as usize;
    let (str_off, str_len) = (u32_at(16)? as usize, u32_at(20)? as usize);
    data.get(hdr_len + str_off..hdr_len + str_off + str_len)
        .map(<[u8]>::to_vec)
}

fn string_at(strings: &[u8], off: u32) -> String {
    let tail = strings.get(off as usize..).unwrap_or(&[]);
    let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
    String::from_utf8_lossy(&tail[..end]).into_owned()
}

fn unsupported_reason(section: &ProgramSection) -> Option<String> {
    match section {
        ProgramSection::Xdp { frags: true, .. } => {
            Some("xdp.frags (multi-buffer) programs need packets in fragments; the device holds each packet in one buffer".into())
        }
        ProgramSection::Xdp { attach_type: XdpAttachType::CpuMap, .. } => {
            Some("programs for CPU maps (xdp/cpumap) run on the host CPU, not on the device".into())
        }
        ProgramSection::Xdp { .. } => None,
        other => Some(format!("it is not an XDP program ({}); rvo runs XDP programs", section_kind(other))),
    }
}

fn section_kind(s: &ProgramSection) -> String {
    let debug = format!("{s:?}");
    debug.split([' ', '{']).next().unwrap_or("").to_string()
}

/// Parse and relocate an object.
///
/// # Errors
/// When the bytes are not a valid eBPF object or its relocations fail.
pub fn parse_object(bytes: &[u8]) -> Result<ElfObject, ElfError> {
    // aya-obj indexes section data with the sizes the headers claim; a corrupt file must give
    // an error, never a panic.
    let pre = precheck::precheck(bytes)?;
    let parsed = precheck::quietly(|| Object::parse(&pre.bytes))
        .ok_or_else(|| ElfError::Parse("corrupt ELF (inconsistent sections)".into()))?;
    let mut obj = parsed.map_err(|e| ElfError::Parse(error_chain(&e)))?;
    let strings = object::File::parse(bytes)
        .ok()
        .as_ref()
        .and_then(btf_strings)
        .unwrap_or_default();

    let mut names: Vec<String> = obj.maps.keys().cloned().collect();
    names.sort();
    let maps: Vec<ElfMap> = names
        .iter()
        .map(|name| {
            let m = &obj.maps[name];
            let origin = match m.section_kind() {
                EbpfSectionKind::Data | EbpfSectionKind::Rodata | EbpfSectionKind::Bss => {
                    MapOrigin::GlobalData
                }
                _ => MapOrigin::Defined,
            };
            let init = if origin == MapOrigin::GlobalData {
                m.data().to_vec()
            } else {
                Vec::new()
            };
            let desc = MapDesc {
                map_type: m.map_type(),
                key_size: m.key_size(),
                value_size: m.value_size(),
                max_entries: m.max_entries(),
                flags: m.map_flags(),
                init_len: init.len() as u32,
                ..MapDesc::default()
            };
            ElfMap {
                name: name.clone(),
                desc,
                init,
                origin,
            }
        })
        .collect();

    let text_sections: HashSet<usize> = obj.functions.keys().map(|(section, _)| *section).collect();
    let relocated = precheck::quietly(|| {
        let refs = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i as i32, &obj.maps[n]));
        let refs: Vec<_> = refs.collect();
        let mut o = obj.clone();
        o.relocate_maps(refs.into_iter(), &text_sections)
            .map_err(|e| ElfError::Relocation(error_chain(&e)))?;
        o.relocate_calls(&text_sections)
            .map_err(|e| ElfError::Relocation(error_chain(&e)))?;
        Ok::<Object, ElfError>(o)
    })
    .ok_or_else(|| ElfError::Relocation("corrupt relocations".into()))?;
    obj = match (relocated, pre.kfuncs.first()) {
        (Ok(o), _) => o,
        // aya-obj cannot link a call to an undefined function: say what it is.
        (Err(_), Some((section, insn, function))) => {
            return Err(ElfError::Kfunc {
                section: section.clone(),
                insn: *insn,
                function: function.clone(),
            })
        }
        (Err(e), None) => return Err(e),
    };

    let mut programs: Vec<ElfProgram> = obj
        .programs
        .iter()
        .filter_map(|(name, p)| {
            let func = obj.functions.get(&p.function_key())?;
            let insns = func
                .instructions
                .iter()
                .map(|i| ebpf::Insn {
                    opc: i.code,
                    dst: i.dst_reg(),
                    src: i.src_reg(),
                    off: i.off,
                    imm: i.imm,
                })
                .collect();
            let mut lines: Vec<SourceLine> = func
                .line_info
                .line_info
                .iter()
                .map(|l| SourceLine {
                    insn: l.insn_off as usize,
                    file: string_at(&strings, l.file_name_off),
                    line: l.line_col >> 10,
                    col: l.line_col & 0x3ff,
                    text: string_at(&strings, l.line_off),
                })
                .collect();
            lines.sort_by_key(|l| l.insn);
            Some(ElfProgram {
                name: name.clone(),
                section: format!("{:?}", p.section),
                insns,
                lines,
                unsupported: unsupported_reason(&p.section),
            })
        })
        .collect();
    for (section, functions) in &pre.foreign {
        for name in functions {
            programs.push(ElfProgram {
                name: name.clone(),
                section: section.clone(),
                insns: Vec::new(),
                lines: Vec::new(),
                unsupported: Some(format!(
                    "it is not an XDP program (section `{section}`); rvo runs XDP programs"
                )),
            });
        }
    }
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ElfObject { programs, maps })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

impl ElfObject {
    /// The program to run: the one named, or the only XDP program.
    ///
    /// # Errors
    /// When there is no such program, none that is XDP, or several and none was named.
    pub fn program(&self, name: Option<&str>) -> Result<&ElfProgram, ElfError> {
        let all = || {
            self.programs
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        };
        let p = match name {
            Some(n) => self.programs.iter().find(|p| p.name == n).ok_or_else(|| {
                ElfError::NoSuchProgram {
                    wanted: n.into(),
                    available: all(),
                }
            })?,
            None => {
                let mut xdp = self.programs.iter().filter(|p| p.unsupported.is_none());
                match (xdp.next(), xdp.next()) {
                    (Some(p), None) => p,
                    (Some(_), Some(_)) => return Err(ElfError::Ambiguous { available: all() }),
                    // A lone program that cannot run says why.
                    _ if self.programs.len() == 1 => &self.programs[0],
                    _ => return Err(ElfError::NoXdpProgram { available: all() }),
                }
            }
        };
        match &p.unsupported {
            Some(reason) => Err(ElfError::Unsupported {
                program: p.name.clone(),
                reason: reason.clone(),
            }),
            None => Ok(p),
        }
    }

    /// Compile `prog` with every other XDP program of the object as a tail-call target
    /// (program index `i + 1` in [`ElfObject::tail_call_order`] order).
    ///
    /// # Errors
    /// A compile error with the program name and source line, or a map the device cannot hold.
    pub fn compile(&self, prog: &ElfProgram, opts: &Options) -> Result<Compiled, ElfError> {
        for m in &self.maps {
            m.desc.memory_size().map_err(|e| ElfError::Map {
                map: m.name.clone(),
                reason: e.to_string(),
            })?;
        }
        let order = self.tail_call_order(prog);
        let mut insns = Vec::new();
        let mut starts = Vec::new();
        for p in &order {
            starts.push(insns.len() as u32);
            insns.extend_from_slice(&p.insns);
        }
        let descs: Vec<MapDesc> = self.maps.iter().map(|m| m.desc).collect();
        let init: Vec<u8> = self
            .maps
            .iter()
            .flat_map(|m| m.init.iter().copied())
            .collect();
        let input = Input {
            insns: &insns,
            programs: &starts,
            maps: &descs,
            map_init: &init,
        };
        compile_input(&input, opts).map_err(|error| self.locate(&order, &starts, error))
    }

    /// The programs in image order: `prog` first, then the object's other XDP programs.
    pub fn tail_call_order<'a>(&'a self, prog: &'a ElfProgram) -> Vec<&'a ElfProgram> {
        let others = self
            .programs
            .iter()
            .filter(|p| p.name != prog.name && p.unsupported.is_none());
        std::iter::once(prog).chain(others).collect()
    }

    /// Turn a compile error on the concatenated programs into one naming the program, its own
    /// instruction index, the source line and (for maps) the map's name.
    fn locate(&self, order: &[&ElfProgram], starts: &[u32], mut error: CompileError) -> ElfError {
        if let crate::ErrorKind::Map(i, e) = error.kind {
            let map = self
                .maps
                .get(i as usize)
                .map_or_else(|| format!("#{i}"), |m| m.name.clone());
            return ElfError::Map {
                map,
                reason: e.to_string(),
            };
        }
        let Some(pc) = error.pc else {
            return ElfError::Compile {
                program: order[0].name.clone(),
                error: Box::new(error),
                line: None,
            };
        };
        let which = starts
            .partition_point(|&s| s as usize <= pc)
            .saturating_sub(1);
        let prog = order[which];
        let local = pc - starts[which] as usize;
        error.pc = Some(local);
        ElfError::Compile {
            program: prog.name.clone(),
            error: Box::new(error),
            line: prog.line_of(local).cloned().map(Box::new),
        }
    }
}
