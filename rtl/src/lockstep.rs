//! The RTL against the ISA model, bundle by bundle: both run the same image and input with
//! their traces on ([`RtlDevice::run_traced`], [`IsaModel::run_traced`]); the first completed
//! bundle whose pc, cycle count or register writes differ is the divergence, else the ends
//! (r0, verdict, fault, cycles, bundle and instruction counts, memory) are compared.
//!
//! Memory writes of stores and atomics are compared per bundle too (address, size, value);
//! helpers' writes, and everything else, at the end: the packet and metadata, the redirect, the
//! core's counters (read at their contract offsets) and all of map memory (the model's per-bundle writes are shown
//! in the report).
//!
//! [`LockstepDevice`] is both as one [`Device`] (`--device lockstep`): every run is a lockstep
//! run and a divergence is its error, every map operation goes to both and must agree, so any
//! command or test (XDP sessions, maps files, the corpus) checks the RTL against the model. Control-flow register writes (`call`'s r10,
//! `ret`'s r6-r10, `exiti`'s r0) are architectural in the model and internal in the core
//! (banked frame registers, the result register), so they are not compared.

use crate::{Retired, RtlDevice};
use rvo_isa::{Format, Insn, MapDesc};
use rvo_sim::model::Retired as ModelRetired;
use rvo_sim::{Counters, Device, DeviceError, IsaModel, RunInput, RunOutcome};

/// Where and how the RTL and the model first differ.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// Index of the completed bundle (in execution order) that differs; the number of bundles
    /// completed when the ends differ.
    pub index: usize,
    /// Its bundle (pc), when there is one.
    pub pc: Option<u32>,
    /// Its rvo instruction, as text.
    pub insn: String,
    /// What differs.
    pub what: String,
}

/// The result of one run on both.
#[derive(Clone, Debug)]
pub struct Report {
    /// The model's outcome.
    pub model: RunOutcome,
    /// The RTL's outcome.
    pub rtl: RunOutcome,
    /// Bundles compared.
    pub bundles: usize,
    /// The first divergence, if any.
    pub divergence: Option<Divergence>,
}

/// Whether the core reports `insn`'s register writes as the model does.
fn compared(insn: Option<&Insn>) -> bool {
    insn.is_some_and(|i| {
        matches!(
            i.op.format(),
            Format::Rrr
                | Format::Rri
                | Format::Rr
                | Format::Ri
                | Format::Load
                | Format::Atomic
                | Format::Helper
        )
    })
}

fn writes(w: &[(u8, u64)]) -> String {
    let v: Vec<String> = w.iter().map(|(r, v)| format!("r{r} = {v:#x}")).collect();
    format!("[{}]", v.join(", "))
}

fn end_of(o: &RunOutcome) -> String {
    format!(
        "r0 {:#x} verdict {:?} fault {} cycles {} bundles {} insns {}",
        o.r0,
        o.verdict,
        o.fault.map_or("none".into(), |f| f.to_string()),
        o.cycles,
        o.bundles,
        o.insns
    )
}

/// Run `image` over `input` on a fresh model and on `rtl` (reset to match), comparing bundle by
/// bundle.
///
/// # Errors
/// When either device refuses the image or the run.
pub fn lockstep(
    rtl: &mut RtlDevice,
    image: &[u8],
    input: &RunInput<'_>,
) -> Result<Report, DeviceError> {
    let mut model = IsaModel::new();
    model.load(image)?;
    rtl.reset();
    rtl.load(image)?;
    run_both(&mut model, rtl, input)
}

/// One run on a model and an RTL core that hold the same image and state, compared bundle by
/// bundle and at the end (map memory included).
///
/// # Errors
/// When either device refuses the run.
pub fn run_both(
    model: &mut IsaModel,
    rtl: &mut RtlDevice,
    input: &RunInput<'_>,
) -> Result<Report, DeviceError> {
    let mut mt: Vec<ModelRetired> = Vec::new();
    let want = model.run_traced(input, &mut |r| mt.push(r.clone()))?;
    let (got, rt) = rtl.run_traced(input)?;
    let mut divergence = compare(rtl, &mt, &rt).or_else(|| compare_ends(rtl, &want, &got, &rt));
    if divergence.is_none() && model.counters() != rtl.counters() {
        divergence = Some(at_end(
            rtl,
            &rt,
            format!(
                "the core's counters {:?} differ from the model's {:?}",
                rtl.counters(),
                model.counters()
            ),
        ));
    }
    if divergence.is_none() {
        let (m, r) = (model.map_memory().to_vec(), rtl.map_memory());
        if let Some(at) = (0..m.len().max(r.len())).find(|&i| m.get(i) != r.get(i)) {
            divergence = Some(at_end(
                rtl,
                &rt,
                format!(
                    "map memory differs from byte {at:#x}: model {:02x?}, RTL {:02x?}",
                    &m[at.min(m.len())..(at + 16).min(m.len())],
                    &r[at.min(r.len())..(at + 16).min(r.len())]
                ),
            ));
        }
    }
    Ok(Report {
        model: want,
        rtl: got,
        bundles: mt.len().min(rt.len()),
        divergence,
    })
}

/// The model and the RTL as one device: see the module's documentation.
pub struct LockstepDevice {
    model: IsaModel,
    rtl: RtlDevice,
}

impl LockstepDevice {
    /// Both devices, the RTL tracing to `vcd` when given.
    ///
    /// # Errors
    /// When the RTL is not in this build.
    pub fn new(vcd: Option<std::path::PathBuf>) -> Result<LockstepDevice, String> {
        Ok(LockstepDevice {
            model: IsaModel::new(),
            rtl: RtlDevice::new(vcd)?,
        })
    }
}

/// Both answers when they agree, else the divergence.
fn agree<T: PartialEq + std::fmt::Debug>(
    what: &str,
    m: Result<T, DeviceError>,
    r: Result<T, DeviceError>,
) -> Result<T, DeviceError> {
    match (m, r) {
        (Ok(m), Ok(r)) if m == r => Ok(m),
        (Err(m), Err(r)) if m.to_string() == r.to_string() => Err(m),
        (m, r) => Err(DeviceError::Diverged {
            bundle: None,
            what: format!("{what}: model {m:?}, RTL {r:?}"),
        }),
    }
}

impl Device for LockstepDevice {
    fn name(&self) -> &'static str {
        "lockstep"
    }

    fn load(&mut self, image: &[u8]) -> Result<(), DeviceError> {
        self.model.load(image)?;
        self.rtl.load(image)
    }

    fn run(&mut self, input: &RunInput<'_>) -> Result<RunOutcome, DeviceError> {
        let report = run_both(&mut self.model, &mut self.rtl, input)?;
        match report.divergence {
            None => Ok(report.rtl),
            Some(d) => Err(DeviceError::Diverged {
                bundle: d.pc,
                what: format!(
                    "completed bundle #{} (@{} `{}`): {}",
                    d.index,
                    d.pc.map_or("-".into(), |pc| pc.to_string()),
                    d.insn,
                    d.what
                ),
            }),
        }
    }

    fn counters(&self) -> Counters {
        self.rtl.counters()
    }

    fn maps(&self) -> Vec<MapDesc> {
        self.rtl.maps()
    }

    fn map_lookup(&mut self, map: usize, key: &[u8]) -> Result<Option<Vec<u8>>, DeviceError> {
        let m = self.model.map_lookup(map, key);
        agree("map lookup", m, self.rtl.map_lookup(map, key))
    }

    fn map_update(
        &mut self,
        map: usize,
        key: &[u8],
        value: &[u8],
        flags: u64,
    ) -> Result<(), DeviceError> {
        let m = self.model.map_update(map, key, value, flags);
        agree("map update", m, self.rtl.map_update(map, key, value, flags))
    }

    fn map_delete(&mut self, map: usize, key: &[u8]) -> Result<(), DeviceError> {
        let m = self.model.map_delete(map, key);
        agree("map delete", m, self.rtl.map_delete(map, key))
    }

    fn map_next_key(
        &mut self,
        map: usize,
        key: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, DeviceError> {
        let m = self.model.map_next_key(map, key);
        agree("map next key", m, self.rtl.map_next_key(map, key))
    }
}

fn compare(rtl: &RtlDevice, mt: &[ModelRetired], rt: &[Retired]) -> Option<Divergence> {
    for k in 0..mt.len().max(rt.len()) {
        let (m, r) = (mt.get(k), rt.get(k));
        let pc = m.map(|m| m.pc).or(r.map(|r| r.pc));
        let div = |what: String| Divergence {
            index: k,
            pc,
            insn: pc.map_or_else(String::new, |pc| rtl.insn_text(pc)),
            what,
        };
        let (m, r) = match (m, r) {
            (Some(m), Some(r)) => (m, r),
            (Some(m), None) => {
                return Some(div(format!(
                    "the model completes bundle @{} (cycle {}, writes {}), the RTL completes no \
                     more bundles",
                    m.pc,
                    m.cycles,
                    writes(&m.regs)
                )))
            }
            (None, Some(r)) => {
                return Some(div(format!(
                    "the RTL completes bundle @{} (cycle {}, writes {}), the model completes no \
                     more bundles",
                    r.pc,
                    r.cycles,
                    writes(&r.writes)
                )))
            }
            (None, None) => return None,
        };
        if m.pc != r.pc {
            return Some(div(format!(
                "the model completes bundle @{}, the RTL @{} `{}`",
                m.pc,
                r.pc,
                rtl.insn_text(r.pc)
            )));
        }
        if m.cycles != r.cycles {
            return Some(div(format!(
                "completes at cycle {} on the model, {} on the RTL",
                m.cycles, r.cycles
            )));
        }
        let mregs: &[(u8, u64)] = if compared(rtl.insn(m.pc).as_ref()) {
            &m.regs
        } else {
            &[]
        };
        let rregs: &[(u8, u64)] = if compared(rtl.insn(m.pc).as_ref()) {
            &r.writes
        } else {
            &[]
        };
        if mregs != rregs {
            return Some(div(format!(
                "register writes: model {}, RTL {} (model memory writes {:?})",
                writes(mregs),
                writes(rregs),
                m.mem
            )));
        }
        if m.mem != r.mem {
            return Some(div(format!(
                "memory writes: model {:?}, RTL {:?}",
                m.mem, r.mem
            )));
        }
    }
    None
}

fn compare_ends(
    rtl: &RtlDevice,
    want: &RunOutcome,
    got: &RunOutcome,
    rt: &[Retired],
) -> Option<Divergence> {
    let same = got.r0 == want.r0
        && got.verdict == want.verdict
        && got.cycles == want.cycles
        && got.fault == want.fault
        && got.bundles == want.bundles
        && got.insns == want.insns
        && got.mem == want.mem
        && got.meta == want.meta
        && got.redirect == want.redirect;
    if same {
        return None;
    }
    Some(at_end(
        rtl,
        rt,
        format!(
            "same bundles, different end: RTL {} | model {}{}",
            end_of(got),
            end_of(want),
            if got.mem == want.mem {
                ""
            } else {
                " (memory differs)"
            }
        ),
    ))
}

/// A divergence found after the last completed bundle.
fn at_end(rtl: &RtlDevice, rt: &[Retired], what: String) -> Divergence {
    let pc = rt.last().map(|r| r.pc);
    Divergence {
        index: rt.len(),
        pc,
        insn: pc.map_or_else(String::new, |pc| rtl.insn_text(pc)),
        what,
    }
}
