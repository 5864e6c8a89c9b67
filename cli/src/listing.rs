//! Side-by-side listings: each eBPF instruction next to the rvo bundle lanes it became.

use rvo_compiler::{disasm::Disasm, Compiled};
use rvo_isa::{ImageView, Insn};
use std::fmt::Write;

/// The rvo code of an image, one bundle per line.
pub fn image_listing(image: &[u8]) -> anyhow::Result<String> {
    let view = ImageView::parse(image).map_err(|e| anyhow::anyhow!("{e}"))?;
    let h = view.header;
    let mut out = format!(
        "; rvo image: {} bundles x {} lanes, stack {} bytes, from {} eBPF instructions\n",
        h.code_bundles, h.lanes, h.stack_size, h.ebpf_insns
    );
    for b in 0..h.code_bundles as usize {
        let lanes: Vec<String> = (0..h.lanes as usize)
            .map(|l| match Insn::decode(view.word(b, l)) {
                Ok(i) => i.to_string(),
                Err(e) => format!("<{e}>"),
            })
            .collect();
        let _ = writeln!(out, "{b:5}: {}", lanes.join(" ; "));
    }
    Ok(out)
}

/// eBPF on the left, the rvo instructions each became on the right (`@bundle.lane`).
pub fn side_by_side(c: &Compiled, source: &dyn Fn(usize) -> Option<String>) -> String {
    let view = ImageView::parse(&c.image).ok();
    let mut out = String::new();
    let _ = writeln!(out, "{:>5}  {:<36} rvo (@bundle.lane)", "pc", "eBPF");
    let mut pc = 0;
    let mut last_line = None;
    while pc < c.ebpf.len() {
        let line = source(pc);
        if line.is_some() && line != last_line {
            let _ = writeln!(out, "       ; {}", line.clone().unwrap_or_default());
            last_line = line;
        }
        let text = Disasm { insns: &c.ebpf, pc }.to_string();
        let rvo: Vec<String> = c
            .source_map
            .iter()
            .filter(|(_, _, src)| *src == pc)
            .map(|&(b, l, _)| {
                let insn = view.and_then(|v| Insn::decode(v.word(b, l)).ok());
                format!(
                    "@{b}.{l} {}",
                    insn.map(|i| i.to_string()).unwrap_or_default()
                )
            })
            .collect();
        let rvo = if rvo.is_empty() {
            "(fused into the previous)".to_string()
        } else {
            rvo.join("; ")
        };
        let _ = writeln!(out, "{pc:>5}  {text:<36} {rvo}");
        pc += if c.ebpf[pc].opc == rvo_compiler::ebpf::LD_DW_IMM {
            2
        } else {
            1
        };
    }
    out
}
