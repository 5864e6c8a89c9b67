//! The combinational datapath in rust-hdl: the ALU, the branch comparator, load alignment and
//! operand selection (register file, banked call registers, initial values, forwarding).
//!
//! rust-hdl has no signed shifts or compares and no sign extension; they are built from
//! unsigned operations: an arithmetic shift fills the vacated bits with ones when the sign is
//! set, a signed compare flips both sign bits and compares unsigned.

use crate::decode::{AluOp, CondOp};
use rust_hdl::prelude::*;

const LOW32: u64 = 0xffff_ffff;
const HIGH32: u64 = 0xffff_ffff_0000_0000;

/// The ALU: `result = op(b, c)`, truncated to 32 bits and zero-extended for `w32` rows.
#[derive(LogicBlock)]
pub struct Alu {
    /// Function.
    pub op: Signal<In, AluOp>,
    /// 32-bit operation.
    pub w32: Signal<In, bool>,
    /// First operand (register `b`).
    pub b: Signal<In, Bits<64>>,
    /// Second operand (register `c` or the immediate).
    pub c: Signal<In, Bits<64>>,
    /// The result.
    pub result: Signal<Out, Bits<64>>,
    r: Signal<Local, Bits<64>>,
    sh: Signal<Local, Bits<6>>,
    bz: Signal<Local, Bits<64>>,
    bs: Signal<Local, Bits<64>>,
    ones: Constant<Bits<64>>,
    low8: Constant<Bits<64>>,
    low16: Constant<Bits<64>>,
    low32: Constant<Bits<64>>,
    high32: Constant<Bits<64>>,
}

impl Default for Alu {
    fn default() -> Self {
        Self {
            op: Default::default(),
            w32: Default::default(),
            b: Default::default(),
            c: Default::default(),
            result: Default::default(),
            r: Default::default(),
            sh: Default::default(),
            bz: Default::default(),
            bs: Default::default(),
            ones: Constant::new(u64::MAX.into()),
            low8: Constant::new(0xff_u64.into()),
            low16: Constant::new(0xffff_u64.into()),
            low32: Constant::new(LOW32.into()),
            high32: Constant::new(HIGH32.into()),
        }
    }
}

impl Logic for Alu {
    #[hdl_gen]
    fn update(&mut self) {
        // Shift counts are masked to the operand width; 32-bit right shifts see the low half.
        self.sh.next = self.c.val().get_bits::<6>(0);
        self.bz.next = self.b.val();
        self.bs.next = self.b.val();
        if self.w32.val() {
            self.sh.next = self.c.val().get_bits::<6>(0) & 31;
            self.bz.next = self.b.val() & self.low32.val();
            self.bs.next = self.b.val() & self.low32.val();
            if self.b.val().get_bit(31) {
                self.bs.next = self.b.val() | self.high32.val();
            }
        }
        self.r.next = self.b.val();
        match self.op.val() {
            AluOp::Add => self.r.next = self.b.val() + self.c.val(),
            AluOp::Sub => self.r.next = self.b.val() - self.c.val(),
            AluOp::Or => self.r.next = self.b.val() | self.c.val(),
            AluOp::And => self.r.next = self.b.val() & self.c.val(),
            AluOp::Xor => self.r.next = self.b.val() ^ self.c.val(),
            AluOp::Lsh => self.r.next = self.b.val() << self.sh.val(),
            AluOp::Rsh => self.r.next = self.bz.val() >> self.sh.val(),
            AluOp::Arsh => {
                self.r.next = self.bs.val() >> self.sh.val();
                if self.bs.val().get_bit(63) {
                    self.r.next =
                        (self.bs.val() >> self.sh.val()) | !(self.ones.val() >> self.sh.val());
                }
            }
            AluOp::Mov => self.r.next = self.b.val(),
            AluOp::Neg => self.r.next = (!self.b.val()) + 1,
            AluOp::Sext8 => {
                self.r.next = self.b.val() & self.low8.val();
                if self.b.val().get_bit(7) {
                    self.r.next = self.b.val() | !self.low8.val();
                }
            }
            AluOp::Sext16 => {
                self.r.next = self.b.val() & self.low16.val();
                if self.b.val().get_bit(15) {
                    self.r.next = self.b.val() | !self.low16.val();
                }
            }
            AluOp::Sext32 => {
                self.r.next = self.b.val() & self.low32.val();
                if self.b.val().get_bit(31) {
                    self.r.next = self.b.val() | self.high32.val();
                }
            }
            AluOp::Zext16 => self.r.next = self.b.val() & self.low16.val(),
            AluOp::Bswap16 => {
                self.r.next = (bit_cast::<64, 8>(self.b.val().get_bits::<8>(0)) << 8)
                    | bit_cast::<64, 8>(self.b.val().get_bits::<8>(8));
            }
            AluOp::Bswap32 => {
                self.r.next = (bit_cast::<64, 8>(self.b.val().get_bits::<8>(0)) << 24)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(8)) << 16)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(16)) << 8)
                    | bit_cast::<64, 8>(self.b.val().get_bits::<8>(24));
            }
            AluOp::Bswap64 => {
                self.r.next = (bit_cast::<64, 8>(self.b.val().get_bits::<8>(0)) << 56)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(8)) << 48)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(16)) << 40)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(24)) << 32)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(32)) << 24)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(40)) << 16)
                    | (bit_cast::<64, 8>(self.b.val().get_bits::<8>(48)) << 8)
                    | bit_cast::<64, 8>(self.b.val().get_bits::<8>(56));
            }
            AluOp::Imm => self.r.next = self.c.val(),
            AluOp::Movhi => {
                self.r.next = (self.b.val() & self.low32.val()) | (self.c.val() << 32);
            }
        }
        self.result.next = self.r.val();
        if self.w32.val() {
            self.result.next = self.r.val() & self.low32.val();
        }
    }
}

/// The branch comparator: whether `cond(a, b)` holds (on the low halves for `w32`).
#[derive(LogicBlock)]
pub struct Cond {
    /// Condition.
    pub op: Signal<In, CondOp>,
    /// Signed ordering.
    pub sgn: Signal<In, bool>,
    /// Compare the low 32 bits.
    pub w32: Signal<In, bool>,
    /// Left operand (register `a`).
    pub a: Signal<In, Bits<64>>,
    /// Right operand (register `b` or the immediate).
    pub b: Signal<In, Bits<64>>,
    /// The condition holds.
    pub taken: Signal<Out, bool>,
    x: Signal<Local, Bits<64>>,
    y: Signal<Local, Bits<64>>,
    xf: Signal<Local, Bits<64>>,
    yf: Signal<Local, Bits<64>>,
    low32: Constant<Bits<64>>,
    high32: Constant<Bits<64>>,
    sign: Constant<Bits<64>>,
}

impl Default for Cond {
    fn default() -> Self {
        Self {
            op: Default::default(),
            sgn: Default::default(),
            w32: Default::default(),
            a: Default::default(),
            b: Default::default(),
            taken: Default::default(),
            x: Default::default(),
            y: Default::default(),
            xf: Default::default(),
            yf: Default::default(),
            low32: Constant::new(LOW32.into()),
            high32: Constant::new(HIGH32.into()),
            sign: Constant::new((1_u64 << 63).into()),
        }
    }
}

impl Logic for Cond {
    #[hdl_gen]
    fn update(&mut self) {
        // Operands as 64-bit values: low halves zero- or sign-extended for 32-bit compares.
        self.x.next = self.a.val();
        self.y.next = self.b.val();
        if self.w32.val() {
            self.x.next = self.a.val() & self.low32.val();
            self.y.next = self.b.val() & self.low32.val();
            if self.sgn.val() && self.a.val().get_bit(31) {
                self.x.next = self.a.val() | self.high32.val();
            }
            if self.sgn.val() && self.b.val().get_bit(31) {
                self.y.next = self.b.val() | self.high32.val();
            }
        }
        // Signed order is unsigned order with the sign bits flipped.
        self.xf.next = self.x.val();
        self.yf.next = self.y.val();
        if self.sgn.val() {
            self.xf.next = self.x.val() ^ self.sign.val();
            self.yf.next = self.y.val() ^ self.sign.val();
        }
        match self.op.val() {
            CondOp::Eq => self.taken.next = self.xf.val() == self.yf.val(),
            CondOp::Ne => self.taken.next = self.xf.val() != self.yf.val(),
            CondOp::Gt => self.taken.next = self.xf.val() > self.yf.val(),
            CondOp::Ge => self.taken.next = self.xf.val() >= self.yf.val(),
            CondOp::Lt => self.taken.next = self.xf.val() < self.yf.val(),
            CondOp::Le => self.taken.next = self.xf.val() <= self.yf.val(),
            CondOp::Set => self.taken.next = (self.xf.val() & self.yf.val()).any(),
        }
    }
}

/// Load alignment: the `size` bytes starting at byte `shift` of the 8-byte window `word` (byte
/// lane `j` in bits `8j..8j+8`, wrapping), zero- or sign-extended.
#[derive(LogicBlock)]
pub struct Extract {
    /// The byte lanes' outputs.
    pub word: Signal<In, Bits<64>>,
    /// Lane of the first byte.
    pub shift: Signal<In, Bits<3>>,
    /// Access size in bytes.
    pub size: Signal<In, Bits<4>>,
    /// Sign-extend.
    pub sgn: Signal<In, bool>,
    /// The loaded value.
    pub value: Signal<Out, Bits<64>>,
    dbl: Signal<Local, Bits<128>>,
    dsh: Signal<Local, Bits<128>>,
    rot: Signal<Local, Bits<64>>,
    low8: Constant<Bits<64>>,
    low16: Constant<Bits<64>>,
    low32: Constant<Bits<64>>,
    /// The other sizes (3, 5, 6, 7 bytes: helper units' tails), zero-extended.
    odd: [Constant<Bits<4>>; 4],
    odd_mask: [Constant<Bits<64>>; 4],
}

impl Default for Extract {
    fn default() -> Self {
        Self {
            word: Default::default(),
            shift: Default::default(),
            size: Default::default(),
            sgn: Default::default(),
            value: Default::default(),
            dbl: Default::default(),
            dsh: Default::default(),
            rot: Default::default(),
            low8: Constant::new(0xff_u64.into()),
            low16: Constant::new(0xffff_u64.into()),
            low32: Constant::new(LOW32.into()),
            odd: [3u64, 5, 6, 7].map(|n| Constant::new(n.into())),
            odd_mask: [3u64, 5, 6, 7].map(|n| Constant::new(((1u64 << (8 * n)) - 1).into())),
        }
    }
}

impl Logic for Extract {
    #[hdl_gen]
    fn update(&mut self) {
        self.dbl.next =
            (bit_cast::<128, 64>(self.word.val()) << 64) | bit_cast::<128, 64>(self.word.val());
        self.dsh.next = self.dbl.val() >> (bit_cast::<7, 3>(self.shift.val()) << 3);
        self.rot.next = self.dsh.val().get_bits::<64>(0);
        self.value.next = self.rot.val();
        if self.size.val() == 1 {
            self.value.next = self.rot.val() & self.low8.val();
            if self.sgn.val() && self.rot.val().get_bit(7) {
                self.value.next = self.rot.val() | !self.low8.val();
            }
        }
        if self.size.val() == 2 {
            self.value.next = self.rot.val() & self.low16.val();
            if self.sgn.val() && self.rot.val().get_bit(15) {
                self.value.next = self.rot.val() | !self.low16.val();
            }
        }
        if self.size.val() == 4 {
            self.value.next = self.rot.val() & self.low32.val();
            if self.sgn.val() && self.rot.val().get_bit(31) {
                self.value.next = self.rot.val() | !self.low32.val();
            }
        }
        for i in 0..4 {
            if self.size.val() == self.odd[i].val() {
                self.value.next = self.rot.val() & self.odd_mask[i].val();
            }
        }
    }
}

/// Number of call-preserved registers kept in per-frame banks (r6-r10).
pub const BANKED: usize = 5;
/// First banked register.
pub const FIRST_BANKED: usize = 6;

/// One register read: the register file or the current frame's bank, the initial value of a
/// register not yet written in this run, or the value being written back this cycle.
#[derive(LogicBlock)]
pub struct OperandSel {
    /// Register number.
    pub x: Signal<In, Bits<4>>,
    /// The register file's word at `x`.
    pub main: Signal<In, Bits<64>>,
    /// The banked registers r6-r10 of the current frame.
    pub bank: [Signal<In, Bits<64>>; BANKED],
    /// Registers written in this run (bank 0 for r6-r10).
    pub valid: Signal<In, Bits<16>>,
    /// Current call depth.
    pub depth: Signal<In, Bits<3>>,
    /// A write-back is in progress.
    pub wb_valid: Signal<In, bool>,
    /// Its register.
    pub wb_reg: Signal<In, Bits<4>>,
    /// Its bank.
    pub wb_bank: Signal<In, Bits<3>>,
    /// Its value.
    pub wb_value: Signal<In, Bits<64>>,
    /// Initial r1.
    pub init_r1: Signal<In, Bits<64>>,
    /// Initial r2.
    pub init_r2: Signal<In, Bits<64>>,
    /// Initial r10.
    pub init_r10: Signal<In, Bits<64>>,
    /// The register's value.
    pub value: Signal<Out, Bits<64>>,
    banked: Signal<Local, bool>,
    raw: Signal<Local, Bits<64>>,
    v: Signal<Local, Bits<64>>,
}

impl Default for OperandSel {
    fn default() -> Self {
        Self {
            x: Default::default(),
            main: Default::default(),
            bank: std::array::from_fn(|_| Default::default()),
            valid: Default::default(),
            depth: Default::default(),
            wb_valid: Default::default(),
            wb_reg: Default::default(),
            wb_bank: Default::default(),
            wb_value: Default::default(),
            init_r1: Default::default(),
            init_r2: Default::default(),
            init_r10: Default::default(),
            value: Default::default(),
            banked: Default::default(),
            raw: Default::default(),
            v: Default::default(),
        }
    }
}

impl Logic for OperandSel {
    #[hdl_gen]
    fn update(&mut self) {
        self.banked.next = (self.x.val() >= 6) && (self.x.val() <= 10);
        self.raw.next = self.main.val();
        for i in 0..BANKED {
            if self.x.val().index() == i + 6 {
                self.raw.next = self.bank[i].val();
            }
        }
        self.v.next = self.raw.val();
        if !(self.valid.val().get_bit(self.x.val().index())
            || (self.banked.val() && self.depth.val().any()))
        {
            self.v.next = 0.into();
            if self.x.val() == 1 {
                self.v.next = self.init_r1.val();
            }
            if self.x.val() == 2 {
                self.v.next = self.init_r2.val();
            }
            if self.x.val() == 10 {
                self.v.next = self.init_r10.val();
            }
        }
        self.value.next = self.v.val();
        if self.wb_valid.val()
            && (self.wb_reg.val() == self.x.val())
            && (!self.banked.val() || (self.wb_bank.val() == self.depth.val()))
        {
            self.value.next = self.wb_value.val();
        }
    }
}
