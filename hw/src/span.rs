//! The span check of the helper unit: whether a buffer `[addr, addr + len)` a helper reads or
//! writes lies in one region, and if not, its first byte that does not — the address the
//! model's byte-wise `Memory::read` faults at.

use rust_hdl::prelude::*;
use rvo_isa::region::{Region, STACK_SIZE};

/// Combinational span check against the packet `[pmeta, pend)`, the stack and the maps in use.
#[derive(LogicBlock)]
pub struct Span {
    /// First byte.
    pub addr: Signal<In, Bits<64>>,
    /// Bytes.
    pub len: Signal<In, Bits<32>>,
    /// Packet region start (`data_meta`).
    pub pmeta: Signal<In, Bits<13>>,
    /// Packet region end (`data_end`).
    pub pend: Signal<In, Bits<13>>,
    /// Bytes of map memory in use.
    pub map_len: Signal<In, Bits<32>>,
    /// Every byte is in bounds (always for `len` 0).
    pub ok: Signal<Out, bool>,
    /// The first byte out of bounds.
    pub bad: Signal<Out, Bits<64>>,
    off: Signal<Local, Bits<32>>,
    tag: Signal<Local, Bits<8>>,
    lo: Signal<Local, Bits<33>>,
    hi: Signal<Local, Bits<33>>,
    known: Signal<Local, bool>,
    stop: Signal<Local, Bits<33>>,
    in_range: Signal<Local, bool>,
    t_pkt: Constant<Bits<8>>,
    t_stk: Constant<Bits<8>>,
    t_map: Constant<Bits<8>>,
    c_stack: Constant<Bits<33>>,
}

impl Default for Span {
    fn default() -> Self {
        Self {
            addr: Default::default(),
            len: Default::default(),
            pmeta: Default::default(),
            pend: Default::default(),
            map_len: Default::default(),
            ok: Default::default(),
            bad: Default::default(),
            off: Default::default(),
            tag: Default::default(),
            lo: Default::default(),
            hi: Default::default(),
            known: Default::default(),
            stop: Default::default(),
            in_range: Default::default(),
            t_pkt: Constant::new((Region::Packet as u64).into()),
            t_stk: Constant::new((Region::Stack as u64).into()),
            t_map: Constant::new((Region::Map as u64).into()),
            c_stack: Constant::new((STACK_SIZE as u64).into()),
        }
    }
}

impl Logic for Span {
    #[hdl_gen]
    fn update(&mut self) {
        self.off.next = self.addr.val().get_bits::<32>(0);
        self.tag.next = self.addr.val().get_bits::<8>(32);
        self.known.next = !self.addr.val().get_bits::<24>(40).any();
        self.lo.next = 0.into();
        self.hi.next = 0.into();
        if self.tag.val() == self.t_pkt.val() {
            self.lo.next = bit_cast::<33, 13>(self.pmeta.val());
            self.hi.next = bit_cast::<33, 13>(self.pend.val());
        } else if self.tag.val() == self.t_stk.val() {
            self.hi.next = self.c_stack.val();
        } else if self.tag.val() == self.t_map.val() {
            self.hi.next = bit_cast::<33, 32>(self.map_len.val());
        } else {
            self.known.next = false;
        }
        self.stop.next = bit_cast::<33, 32>(self.off.val()) + bit_cast::<33, 32>(self.len.val());
        self.in_range.next = self.known.val()
            && (bit_cast::<33, 32>(self.off.val()) >= self.lo.val())
            && (bit_cast::<33, 32>(self.off.val()) < self.hi.val());
        self.ok.next =
            !self.len.val().any() || (self.in_range.val() && (self.stop.val() <= self.hi.val()));
        self.bad.next = self.addr.val();
        if self.in_range.val() {
            self.bad.next = self.addr.val()
                + bit_cast::<64, 33>(self.hi.val() - bit_cast::<33, 32>(self.off.val()));
        }
    }
}
