//! Small hand-written Verilog blocks, each with its Rust model (`update`, used by rust-hdl's
//! simulator): what rust-hdl cannot express or would express badly.
//!
//! - [`LutRam`]: RAM with a synchronous write and an asynchronous read (ECP5 distributed RAM,
//!   `TRELLIS_DPR16X4`); rust-hdl's `RAM` reads synchronously.
//! - [`Multiplier`]: 64 x 64 -> 64 in a fixed 4-cycle pipeline of 32-bit partial products.
//! - [`Divider`]: radix-2 restoring divider, signed or unsigned, 32 or 64 bits: one set-up
//!   cycle, one cycle per quotient bit, and a combinational sign fix-up in the last cycle.
//! - [`Mul32`]: combinational 32 x 32 -> 32 (hash rounds, address scaling).

use rust_hdl::prelude::*;

/// Distributed RAM: `2^A` words of `D`, written at the clock edge, read combinationally.
#[derive(LogicBlock, Default)]
pub struct LutRam<D: Synth, const A: usize> {
    /// Clock of the write port.
    pub clock: Signal<In, Clock>,
    /// Write `write_data` at `write_address` at the next edge.
    pub write_enable: Signal<In, bool>,
    /// Word written.
    pub write_address: Signal<In, Bits<A>>,
    /// Data written.
    pub write_data: Signal<In, D>,
    /// Word read.
    pub read_address: Signal<In, Bits<A>>,
    /// `mem[read_address]`, combinationally.
    pub read_data: Signal<Out, D>,
    _mem: Vec<D>,
}

impl<D: Synth, const A: usize> LutRam<D, A> {
    /// A RAM of zeros.
    pub fn new() -> Self {
        Self {
            _mem: vec![D::default(); 1 << A],
            ..Default::default()
        }
    }
}

impl<D: Synth, const A: usize> Logic for LutRam<D, A> {
    fn update(&mut self) {
        if self._mem.is_empty() {
            self._mem = vec![D::default(); 1 << A];
        }
        if self.clock.pos_edge() && self.write_enable.val() {
            self._mem[self.write_address.val().index()] = self.write_data.val();
        }
        self.read_data.next = self._mem[self.read_address.val().index()];
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
reg [{msb}:0] mem [0:{last}];
always @(posedge clock) begin
    if (write_enable) mem[write_address] <= write_data;
end
always @(*) read_data = mem[read_address];
",
            msb = D::BITS - 1,
            last = (1usize << A) - 1
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "lut_ram_write".into(),
            clock: "clock".into(),
            inputs: vec![
                "write_enable".into(),
                "write_address".into(),
                "write_data".into(),
            ],
            outputs: vec![],
        }]
    }
}

/// Pipeline state of the multiplier model.
#[derive(Clone, Copy, Debug, Default)]
struct MulState {
    a: u64,
    b: u64,
    w: bool,
    ll: u64,
    lh: u32,
    hl: u32,
    w1: bool,
    p: u64,
    w2: bool,
}

/// The multiplier. `start` latches `x`, `y` and `w32`; the low 64 bits of the product (low 32
/// zero-extended when `w32`) are on `result` three edges later, in the fourth cycle of the
/// instruction.
#[derive(LogicBlock, Default)]
pub struct Multiplier {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Latch the operands at this edge.
    pub start: Signal<In, bool>,
    /// First operand.
    pub x: Signal<In, Bits<64>>,
    /// Second operand.
    pub y: Signal<In, Bits<64>>,
    /// 32-bit multiply.
    pub w32: Signal<In, bool>,
    /// The product.
    pub result: Signal<Out, Bits<64>>,
    _s: Box<MulState>,
}

impl Logic for Multiplier {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let s = *self._s;
            let n = &mut *self._s;
            n.p = s.ll.wrapping_add((s.lh.wrapping_add(s.hl) as u64) << 32);
            n.w2 = s.w1;
            n.ll = (s.a as u32 as u64) * (s.b as u32 as u64);
            n.lh = (s.a as u32).wrapping_mul((s.b >> 32) as u32);
            n.hl = ((s.a >> 32) as u32).wrapping_mul(s.b as u32);
            n.w1 = s.w;
            if self.start.val() {
                n.a = self.x.val().to_u64();
                n.b = self.y.val().to_u64();
                n.w = self.w32.val();
            }
        }
        let s = &*self._s;
        let r = if s.w2 { s.p & 0xffff_ffff } else { s.p };
        self.result.next = r.into();
    }

    fn connect(&mut self) {
        self.result.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
reg [63:0] a, b, ll, p;
reg [31:0] lh, hl;
reg w, w1, w2;
always @(posedge clock) begin
    p <= ll + {lh + hl, 32'b0};
    w2 <= w1;
    ll <= {32'b0, a[31:0]} * {32'b0, b[31:0]};
    lh <= a[31:0] * b[63:32];
    hl <= a[63:32] * b[31:0];
    w1 <= w;
    if (start) begin
        a <= x;
        b <= y;
        w <= w32;
    end
end
always @(*) result = w2 ? {32'b0, p[31:0]} : p;
"
            .into(),
        )
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "mul".into(),
            clock: "clock".into(),
            inputs: vec!["start".into(), "x".into(), "y".into(), "w32".into()],
            outputs: vec!["result".into()],
        }]
    }
}

/// State of the divider model.
#[derive(Clone, Copy, Debug, Default)]
struct DivState {
    q: u64,
    r: u128,
    d: u64,
    n: u8,
    neg_q: bool,
    neg_r: bool,
    zero: bool,
    w: bool,
    m: bool,
    x0: u64,
}

impl DivState {
    fn result(&self) -> u64 {
        let (quo, rm) = if self.w {
            (self.q & 0xffff_ffff, self.r as u64 & 0xffff_ffff)
        } else {
            (self.q, self.r as u64)
        };
        let qv = if self.neg_q { quo.wrapping_neg() } else { quo };
        let rv = if self.neg_r { rm.wrapping_neg() } else { rm };
        let v = match (self.zero, self.m) {
            (true, true) => self.x0,
            (true, false) => 0,
            (false, true) => rv,
            (false, false) => qv,
        };
        if self.w {
            v & 0xffff_ffff
        } else {
            v
        }
    }
}

/// The divider. `start` latches the operands and the mode; after 32 (`w32`) or 64 more edges
/// `result` holds the quotient (or with `rem` the remainder) with the table's semantics:
/// division by zero gives 0 (remainder: the dividend), signed overflow wraps, the remainder
/// takes the dividend's sign.
#[derive(LogicBlock, Default)]
pub struct Divider {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Latch the operands at this edge.
    pub start: Signal<In, bool>,
    /// Dividend.
    pub x: Signal<In, Bits<64>>,
    /// Divisor.
    pub y: Signal<In, Bits<64>>,
    /// 32-bit operation.
    pub w32: Signal<In, bool>,
    /// Signed operation.
    pub sgn: Signal<In, bool>,
    /// Remainder instead of quotient.
    pub rem: Signal<In, bool>,
    /// The result.
    pub result: Signal<Out, Bits<64>>,
    _s: Box<DivState>,
}

impl Logic for Divider {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let s = &mut *self._s;
            if self.start.val() {
                let (x, y, w) = (self.x.val().to_u64(), self.y.val().to_u64(), self.w32.val());
                let sg = self.sgn.val();
                let (sx, sy) = if w {
                    (sg && x >> 31 & 1 == 1, sg && y >> 31 & 1 == 1)
                } else {
                    (sg && x >> 63 == 1, sg && y >> 63 == 1)
                };
                let ax = if sx { x.wrapping_neg() } else { x };
                let ay = if sy { y.wrapping_neg() } else { y };
                if w {
                    s.q = (ax & 0xffff_ffff) << 32;
                    s.d = ay & 0xffff_ffff;
                    s.x0 = x & 0xffff_ffff;
                    s.n = 32;
                } else {
                    s.q = ax;
                    s.d = ay;
                    s.x0 = x;
                    s.n = 64;
                }
                s.r = 0;
                s.zero = s.d == 0;
                s.neg_q = sx != sy;
                s.neg_r = sx;
                s.w = w;
                s.m = self.rem.val();
            } else if s.n != 0 {
                let t = (s.r << 1) | (s.q >> 63) as u128;
                let ge = t >= s.d as u128;
                s.r = if ge { t - s.d as u128 } else { t };
                s.q = (s.q << 1) | ge as u64;
                s.n -= 1;
            }
        }
        self.result.next = self._s.result().into();
    }

    fn connect(&mut self) {
        self.result.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
reg [63:0] q, d, x0;
reg [64:0] r;
reg [6:0] n;
reg neg_q, neg_r, zero, w, m;
wire sx = sgn & (w32 ? x[31] : x[63]);
wire sy = sgn & (w32 ? y[31] : y[63]);
wire [63:0] ax = sx ? -x : x;
wire [63:0] ay = sy ? -y : y;
wire [64:0] t = {r[63:0], q[63]};
wire ge = t >= {1'b0, d};
wire [63:0] quo = w ? {32'b0, q[31:0]} : q;
wire [63:0] rm = w ? {32'b0, r[31:0]} : r[63:0];
wire [63:0] qv = neg_q ? -quo : quo;
wire [63:0] rv = neg_r ? -rm : rm;
wire [63:0] v = zero ? (m ? x0 : 64'b0) : (m ? rv : qv);
always @(posedge clock) begin
    if (start) begin
        q <= w32 ? {ax[31:0], 32'b0} : ax;
        d <= w32 ? {32'b0, ay[31:0]} : ay;
        x0 <= w32 ? {32'b0, x[31:0]} : x;
        n <= w32 ? 7'd32 : 7'd64;
        r <= 65'b0;
        zero <= w32 ? (ay[31:0] == 32'b0) : (ay == 64'b0);
        neg_q <= sx ^ sy;
        neg_r <= sx;
        w <= w32;
        m <= rem;
    end else if (n != 7'd0) begin
        r <= ge ? t - {1'b0, d} : t;
        q <= {q[62:0], ge};
        n <= n - 7'd1;
    end
end
always @(*) result = w ? {32'b0, v[31:0]} : v;
"
            .into(),
        )
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "div".into(),
            clock: "clock".into(),
            inputs: vec![
                "start".into(),
                "x".into(),
                "y".into(),
                "w32".into(),
                "sgn".into(),
                "rem".into(),
            ],
            outputs: vec!["result".into()],
        }]
    }
}

/// Combinational 32 x 32 -> 32 multiply (the low half): hash rounds and address scaling in
/// the helper unit. rust-hdl multiplies only 16-bit words.
#[derive(LogicBlock, Default)]
pub struct Mul32 {
    /// First operand.
    pub x: Signal<In, Bits<32>>,
    /// Second operand.
    pub y: Signal<In, Bits<32>>,
    /// `x * y` modulo 2^32.
    pub p: Signal<Out, Bits<32>>,
}

impl Logic for Mul32 {
    fn update(&mut self) {
        let p = (self.x.val().to_u64() as u32).wrapping_mul(self.y.val().to_u64() as u32);
        self.p.next = (p as u64).into();
    }

    fn connect(&mut self) {
        self.p.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom("always @(*) p = x * y;\n".into())
    }
}
