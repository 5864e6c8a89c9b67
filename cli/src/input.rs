//! Program input: assembly text, a bpf_conformance `.data` file, raw instruction bytes, or an
//! rvo image. The form is told by content, not by name.

use anyhow::{bail, Context, Result};
use rvo_compiler::data_file::DataFile;
use rvo_compiler::ebpf;
use rvo_compiler::elf::{parse_object, ElfObject};
use std::path::Path;

/// A program as the user gave it.
pub enum Program {
    /// eBPF instructions, with the memory a `.data` file carries.
    Ebpf {
        insns: Vec<ebpf::Insn>,
        mem: Vec<u8>,
    },
    /// An already compiled rvo image.
    Image(Vec<u8>),
    /// An ELF object (clang or aya).
    Elf(Box<ElfObject>),
}

/// Read hex bytes as the conformance tools write them: whitespace-separated bytes, or runs
/// of hex digits two per byte.
pub fn parse_hex(text: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for tok in text.split_whitespace() {
        let tok = tok.strip_prefix("0x").unwrap_or(tok);
        if tok.len() <= 2 {
            out.push(u8::from_str_radix(tok, 16).with_context(|| format!("bad hex byte `{tok}`"))?);
            continue;
        }
        if tok.len() % 2 != 0 {
            bail!("hex string `{tok}` has an odd number of digits");
        }
        for pair in tok.as_bytes().chunks(2) {
            let s = std::str::from_utf8(pair).unwrap_or("");
            out.push(
                u8::from_str_radix(s, 16)
                    .with_context(|| format!("bad hex byte `{s}` in `{tok}`"))?,
            );
        }
    }
    Ok(out)
}

/// Read a program file.
pub fn read_program(path: &Path) -> Result<Program> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display();
    if bytes.starts_with(&rvo_isa::IMAGE_MAGIC.to_le_bytes()) {
        return Ok(Program::Image(bytes));
    }
    if bytes.starts_with(b"\x7fELF") {
        let object = parse_object(&bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        return Ok(Program::Elf(Box::new(object)));
    }
    if let Ok(text) = std::str::from_utf8(&bytes) {
        if text.lines().any(|l| l.starts_with("-- ")) {
            let file = DataFile::parse(text).with_context(|| format!("{name}: bad .data file"))?;
            let insns = file.program().with_context(|| format!("{name}"))?;
            return Ok(Program::Ebpf {
                insns,
                mem: file.mem,
            });
        }
        if bytes.len() % 8 != 0
            || text
                .chars()
                .all(|c| c.is_ascii_graphic() || c.is_ascii_whitespace())
        {
            let insns = rvo_compiler::asm::assemble(text)
                .with_context(|| format!("{name}: assembly error"))?;
            return Ok(Program::Ebpf {
                insns,
                mem: Vec::new(),
            });
        }
    }
    let mut insns = vec![ebpf::Insn::default(); bytes.len() / 8];
    let insns = rvo_compiler::parse_insns(&bytes, &mut insns)
        .with_context(|| format!("{name}"))?
        .to_vec();
    Ok(Program::Ebpf {
        insns,
        mem: Vec::new(),
    })
}
