//! Int8 convolution weights kept int8 through the load, packed for the kernels as integers, and
//! dequantised into tract's packed float32 layout by the first inference that reads them.
//!
//! Why: folding the bundled model's int8 weights to float32 (84 MB) and tract packing that copy for
//! its kernels (84 MB more) were most of the native model load, nearly all of it first-touch page
//! faults of fresh memory; onnxruntime's session does neither (it runs `DequantizeLinear` at every
//! inference). Here a weight whose only reader is a convolution gets a float32 *placeholder* of
//! the right shape, never written but for two marker values, so that tract declutters and plans
//! the graph as before; when tract's codegen wires the packing of that weight for the chosen
//! kernel (`OptMatMulPack` on a constant), [`PackDeferredWeights`] replaces it, before tract's
//! `PropConst` can evaluate it, with the int8 values already in the kernel's panel order
//! ([`Int8Panels`]). The first product that reads the weight dequantises all of it, with the
//! fold's own arithmetic, `(q - zero) * scale` in f32, into the packed float32 panels tract would
//! have made, which every later run reads: results are bit-identical, warm inference unchanged,
//! and the one float32 copy is written once (the fold and tract's packing wrote two).
//!
//! (Dequantising at every use instead, to keep the weights int8 in memory, measured +3–7 % on
//! warm inference here, each thread dequantising every panel it reads once per product.)
//!
//! If any placeholder is read otherwise (a pass folding it into another constant) or is not
//! packed, the load is not trusted: [`Deferred::check_all_packed`] fails and the caller loads again
//! with every weight folded (the way it was before).

use std::alloc::Layout;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use tract_linalg::mmm::{MMMInputFormat, MMMInputValue, PackedExoticFact, PackedMatrixStorage};
use tract_linalg::pack::PackedFormat;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::matmul::pack::DynPackedExoticFact;
use tract_onnx::tract_core::optim::{OptimizerSession, TypedPass};

/// One deferred weight: `rows × depth` integers (row-major, the convolution's `[O, I, kh, kw]`),
/// each row with its zero point and scale.
pub struct DeferredWeight {
    /// The `DequantizeLinear` output it is (for messages).
    pub name: String,
    pub values: Vec<u8>,
    pub signed: bool,
    pub rows: usize,
    pub depth: usize,
    pub zeros: Vec<f32>,
    pub scales: Vec<f32>,
}

/// The first two values of the `index`th placeholder, `±1.5e16` with the index in the low bits, so
/// that a placeholder is recognised wherever tract copies it (a reshape of `[O, I, 1, 1]` to
/// `[O, I]` is a new tensor), never looks uniform, never equals another constant (tract merges
/// equal ones; it takes NaNs for equal), and cannot be taken for a real weight. Up to
/// [`MAX_DEFERRED`] placeholders.
pub fn placeholder_mark(index: usize) -> Option<[f32; 2]> {
    let index = u32::try_from(index)
        .ok()
        .filter(|&i| (i as usize) < MAX_DEFERRED)?;
    Some([f32::from_bits(MARK_0 | index), f32::from_bits(MARK_1 | index)])
}

/// How many weights one load may defer (the marks' payload).
pub const MAX_DEFERRED: usize = 1 << 12;
const MARK_0: u32 = 0x5A5A_0000;
const MARK_1: u32 = 0xDA5A_0000;

/// Which placeholder `t` is (or a copy of), from its first two values.
fn placeholder_index(t: &Tensor) -> Option<usize> {
    if t.datum_type() != f32::datum_type() || t.len() < 2 {
        return None;
    }
    let plain = t.as_plain_ram()?;
    let v = plain.as_slice::<f32>().ok()?;
    let (a, b) = (v[0].to_bits(), v[1].to_bits());
    let index = a & (MAX_DEFERRED as u32 - 1);
    (a == MARK_0 | index && b == MARK_1 | index).then_some(index as usize)
}

/// The deferred weights of one load, by their placeholder's index.
#[derive(Default)]
pub struct Deferred {
    by_index: Mutex<HashMap<usize, Arc<DeferredWeight>>>,
    packed: Mutex<usize>,
    total: usize,
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Deferred({} weights)", self.total)
    }
}

impl Deferred {
    /// The weights whose placeholders carry [`placeholder_mark`]`(i)`, `i` their position.
    pub fn new(weights: Vec<DeferredWeight>) -> Deferred {
        let total = weights.len();
        Deferred {
            by_index: Mutex::new(weights.into_iter().map(Arc::new).enumerate().collect()),
            packed: Mutex::new(0),
            total,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many placeholders there were.
    pub fn len(&self) -> usize {
        self.total
    }

    /// The weight behind the placeholder `t`, once.
    fn take(&self, t: &Tensor) -> Option<Arc<DeferredWeight>> {
        let index = placeholder_index(t)?;
        self.by_index.lock().ok()?.remove(&index)
    }

    /// Fails unless every placeholder went to its packing and no copy of one is left in `model`.
    pub fn check_all_packed(&self, model: &TypedModel) -> TractResult<()> {
        let packed = *self.packed.lock().map_err(|_| format_err!("poisoned"))?;
        let left: Vec<String> = self
            .by_index
            .lock()
            .map_err(|_| format_err!("poisoned"))?
            .values()
            .map(|w| w.name.clone())
            .collect();
        ensure!(
            packed == self.total && left.is_empty(),
            "{packed} of {} deferred int8 weights reached their packing (not: {left:?})",
            self.total
        );
        let copies: Vec<&str> = model
            .nodes()
            .iter()
            .filter(|n| {
                n.op_as::<Const>()
                    .is_some_and(|c| placeholder_index(c.val()).is_some())
            })
            .map(|n| n.name.as_str())
            .collect();
        ensure!(
            copies.is_empty(),
            "placeholders of deferred int8 weights left in the plan: {copies:?}"
        );
        Ok(())
    }
}

/// A weight matrix in a kernel's packed f32 layout, held as integers: panels of `r` rows, each
/// `depth` steps of `r` values (then padding), dequantised when a product first reads it.
#[derive(Clone)]
pub struct Int8Panels {
    fact: PackedExoticFact,
    r: usize,
    /// Values per panel, padding included (what tract's packed panel holds).
    panel_len: usize,
    values: Arc<Vec<u8>>,
    signed: bool,
    /// Per padded row: zero point and scale, as bits (for `Hash`).
    zeros: Arc<Vec<u32>>,
    scales: Arc<Vec<u32>>,
    rows: usize,
    /// The panels in float32, each made at its first read (shared by the clones).
    dequantized: Arc<OnceLock<PanelCopy>>,
}

impl Int8Panels {
    /// What identifies the weight (all but the dequantised copy, which follows from it).
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        &PackedExoticFact,
        usize,
        usize,
        &Arc<Vec<u8>>,
        bool,
        &Arc<Vec<u32>>,
        &Arc<Vec<u32>>,
        usize,
    ) {
        (
            &self.fact,
            self.r,
            self.panel_len,
            &self.values,
            self.signed,
            &self.zeros,
            &self.scales,
            self.rows,
        )
    }
}

impl std::hash::Hash for Int8Panels {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

impl PartialEq for Int8Panels {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Int8Panels {}

impl fmt::Debug for Int8Panels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Int8Panels({}x{}, r={})", self.rows, self.fact.k, self.r)
    }
}

impl fmt::Display for Int8Panels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Int8Panels {
    /// `w` laid out in `format`'s panels (what `format.prepare_one` does with the float32 matrix).
    pub fn pack(w: &DeferredWeight, format: &PackedFormat) -> TractResult<Int8Panels> {
        ensure!(format.dt == f32::datum_type(), "not an f32 packing: {format:?}");
        ensure!(w.values.len() == w.rows * w.depth && w.zeros.len() == w.rows && w.scales.len() == w.rows);
        let r = format.r;
        let panel_len = format.single_panel_len(w.depth);
        ensure!(panel_len >= w.depth * r);
        ensure!(
            format.single_panel_layout(w.depth, 4).align() <= std::mem::align_of::<Line>(),
            "a packing aligned beyond {} bytes: {format:?}",
            std::mem::align_of::<Line>()
        );
        let panels = w.rows.div_ceil(r);
        let mut values = vec![0u8; panels * panel_len];
        for (p, panel) in values.chunks_exact_mut(panel_len).enumerate() {
            for row in 0..r.min(w.rows - p * r) {
                let src = &w.values[(p * r + row) * w.depth..][..w.depth];
                for (k, &q) in src.iter().enumerate() {
                    panel[k * r + row] = q;
                }
            }
        }
        let padded = |v: &[f32]| -> Arc<Vec<u32>> {
            let mut bits: Vec<u32> = v.iter().map(|x| x.to_bits()).collect();
            bits.resize(panels * r, 0);
            Arc::new(bits)
        };
        Ok(Int8Panels {
            fact: PackedExoticFact {
                format: Box::new(format.clone()),
                mn: w.rows.to_dim(),
                k: w.depth,
            },
            r,
            panel_len,
            values: Arc::new(values),
            signed: w.signed,
            zeros: padded(&w.zeros),
            scales: padded(&w.scales),
            rows: w.rows,
            dequantized: Arc::default(),
        })
    }

    fn row_params(&self, panel: usize) -> (&[f32], &[f32]) {
        let cast = |v: &[u32]| -> &[f32] {
            // SAFETY: u32 and f32 have the same size and alignment; every bit pattern is an f32.
            unsafe { std::slice::from_raw_parts(v.as_ptr() as *const f32, v.len()) }
        };
        let range = panel * self.r..(panel + 1) * self.r;
        (&cast(&self.zeros)[range.clone()], &cast(&self.scales)[range])
    }
}

/// `out[k * r + row] = (q - zeros[row]) * scales[row]`: the fold's arithmetic.
#[inline(always)]
fn dequantize_panel(q: &[u8], signed: bool, zeros: &[f32], scales: &[f32], out: &mut [f32]) {
    let r = zeros.len();
    if signed {
        for (qs, os) in q.chunks_exact(r).zip(out.chunks_exact_mut(r)) {
            for (((o, &q), &z), &s) in os.iter_mut().zip(qs).zip(zeros).zip(scales) {
                *o = (f32::from(q as i8) - z) * s;
            }
        }
    } else {
        for (qs, os) in q.chunks_exact(r).zip(out.chunks_exact_mut(r)) {
            for (((o, &q), &z), &s) in os.iter_mut().zip(qs).zip(zeros).zip(scales) {
                *o = (f32::from(q) - z) * s;
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn dequantize_panel_avx512(q: &[u8], signed: bool, zeros: &[f32], scales: &[f32], out: &mut [f32]) {
    dequantize_panel(q, signed, zeros, scales, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dequantize_panel_avx2(q: &[u8], signed: bool, zeros: &[f32], scales: &[f32], out: &mut [f32]) {
    dequantize_panel(q, signed, zeros, scales, out)
}

/// Blocks of the dequantised copy, aligned as tract aligns its packed panels (the kernels' f32
/// packings ask for 512 bytes).
#[derive(Clone, Copy)]
#[repr(C, align(512))]
struct Line([f32; LINE]);

const LINE: usize = 128;

const EMPTY: u8 = 0;
const FILLING: u8 = 1;
const READY: u8 = 2;

/// A weight's float32 panels, each written once by the first thread that reads it: the threads of
/// the first product share the work (and the first touch of the memory) instead of one doing it all
/// while the others wait.
struct PanelCopy {
    lines: std::ptr::NonNull<Line>,
    panels: usize,
    lines_per_panel: usize,
    state: Box<[std::sync::atomic::AtomicU8]>,
}

// SAFETY: a panel is written by the one thread that moved its state from EMPTY to FILLING, and read
// only after its state is READY (release / acquire): no access races.
unsafe impl Send for PanelCopy {}
// SAFETY: as for `Send`.
unsafe impl Sync for PanelCopy {}

impl PanelCopy {
    fn layout(panels: usize, lines_per_panel: usize) -> Layout {
        // `pack` bounds the size by the weight's own (already allocated) integers × 4.
        Layout::array::<Line>(panels * lines_per_panel.max(1)).unwrap_or(Layout::new::<Line>())
    }

    fn new(panels: usize, lines_per_panel: usize) -> PanelCopy {
        let layout = PanelCopy::layout(panels, lines_per_panel);
        // SAFETY: the layout's size is non-zero (at least one `Line`); memory is written before it
        // is read (per panel, see `panel`).
        let raw = unsafe { std::alloc::alloc(layout) } as *mut Line;
        let lines = std::ptr::NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
        PanelCopy {
            lines,
            panels,
            lines_per_panel,
            state: (0..panels)
                .map(|_| std::sync::atomic::AtomicU8::new(EMPTY))
                .collect(),
        }
    }

    /// Panel `i` (`i < panels`), written by `fill(i, out)` if no thread has yet. A thread that
    /// finds it being written fills the panels after it meanwhile (the threads of one product read
    /// the same panels in the same order: waiting would make the first run's filling serial).
    fn panel(&self, i: usize, fill: impl Fn(usize, &mut [f32])) -> *const u8 {
        use std::sync::atomic::Ordering::Acquire;
        let state = &self.state[i];
        if state.load(Acquire) != READY && !self.try_fill(i, &fill) {
            let mut next = i + 1;
            let mut spins = 0u32;
            while state.load(Acquire) != READY {
                // Another thread is writing it: help with the rest, then wait.
                while next < self.panels && !self.try_fill(next, &fill) {
                    next += 1;
                }
                if next < self.panels {
                    next += 1;
                    continue;
                }
                std::hint::spin_loop();
                spins += 1;
                if spins % 64 == 0 {
                    yield_thread();
                }
            }
        }
        self.start(i) as *const u8
    }

    fn start(&self, i: usize) -> *mut Line {
        // SAFETY: callers pass `i < panels`: the panel lies inside the allocation.
        unsafe { self.lines.as_ptr().add(i * self.lines_per_panel) }
    }

    /// Writes panel `i` if no thread has started it; false if one has.
    fn try_fill(&self, i: usize, fill: &impl Fn(usize, &mut [f32])) -> bool {
        use std::sync::atomic::Ordering::{Acquire, Release};
        let state = &self.state[i];
        if state.compare_exchange(EMPTY, FILLING, Acquire, Acquire).is_err() {
            return false;
        }
        // SAFETY: this thread alone moved the panel to FILLING: nobody else writes or reads it
        // until READY. `Line` is `LINE` f32 values with no padding.
        let out =
            unsafe { std::slice::from_raw_parts_mut(self.start(i) as *mut f32, self.lines_per_panel * LINE) };
        fill(i, out);
        state.store(READY, Release);
        true
    }
}

/// Lets another thread run (natively; wasm threads only spin).
fn yield_thread() {
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::yield_now();
}

impl Drop for PanelCopy {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe {
            std::alloc::dealloc(
                self.lines.as_ptr() as *mut u8,
                PanelCopy::layout(self.panels, self.lines_per_panel),
            )
        };
    }
}

impl Int8Panels {
    /// Blocks per panel in the dequantised copy.
    fn panel_lines(&self) -> usize {
        self.panel_len.div_ceil(LINE)
    }

    /// Dequantises panel `i` into `out` (`panel_len` values).
    fn dequantize_into(&self, i: usize, out: &mut [f32]) {
        // `pack` made `values` hold every panel.
        let q = &self.values[i * self.panel_len..(i + 1) * self.panel_len];
        let (zeros, scales) = self.row_params(i);
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked just above).
                unsafe { dequantize_panel_avx512(q, self.signed, zeros, scales, out) };
                return;
            }
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                unsafe { dequantize_panel_avx2(q, self.signed, zeros, scales, out) };
                return;
            }
        }
        dequantize_panel(q, self.signed, zeros, scales, out);
    }
}

impl MMMInputValue for Int8Panels {
    fn format(&self) -> &dyn MMMInputFormat {
        &*self.fact.format
    }

    fn scratch_panel_buffer_layout(&self) -> Option<Layout> {
        None
    }

    fn panel_bytes(&self, i: usize, _buffer: Option<*mut u8>) -> TractResult<*const u8> {
        ensure!(i < self.rows.div_ceil(self.r), "panel {i} out of range");
        let copy = self
            .dequantized
            .get_or_init(|| PanelCopy::new(self.rows.div_ceil(self.r), self.panel_lines()));
        Ok(copy.panel(i, |j, out| self.dequantize_into(j, &mut out[..self.panel_len])))
    }

    fn mn(&self) -> usize {
        self.rows
    }

    fn k(&self) -> usize {
        self.fact.k
    }

    fn exotic_fact(&self) -> &dyn ExoticFact {
        &self.fact
    }

    fn extract_at_mn_f16(&self, mn: usize, slice: &mut [f16]) -> TractResult<()> {
        let mut f = vec![0f32; slice.len()];
        self.extract_at_mn_f32(mn, &mut f)?;
        for (o, x) in slice.iter_mut().zip(f) {
            *o = f16::from_f32(x);
        }
        Ok(())
    }

    fn extract_at_mn_f32(&self, mn: usize, slice: &mut [f32]) -> TractResult<()> {
        ensure!(mn < self.rows && slice.len() == self.fact.k);
        let (p, row) = (mn / self.r, mn % self.r);
        let (zeros, scales) = self.row_params(p);
        let q = &self.values[p * self.panel_len..];
        for (k, o) in slice.iter_mut().enumerate() {
            let v = q[k * self.r + row];
            let v = if self.signed {
                f32::from(v as i8)
            } else {
                f32::from(v)
            };
            *o = (v - zeros[row]) * scales[row];
        }
        Ok(())
    }
}

/// The codegen pass (run first in each round, before tract's `PropConst`): every `OptMatMulPack`
/// of a placeholder becomes a constant of [`Int8Panels`].
#[derive(Debug, Clone)]
pub struct PackDeferredWeights(pub Arc<Deferred>);

impl TypedPass for PackDeferredWeights {
    fn reset(&mut self) -> TractResult<()> {
        Ok(())
    }

    fn next(
        &mut self,
        _session: &mut OptimizerSession,
        model: &TypedModel,
    ) -> TractResult<Option<TypedModelPatch>> {
        for node in model.eval_order()? {
            let node = model.node(node);
            if node.op.name() != "OptMatMulPack" || node.inputs.len() != 1 {
                continue;
            }
            let input = node.inputs[0];
            let Some(konst) = model.outlet_fact(input)?.konst.clone() else {
                continue;
            };
            if konst.datum_type() != f32::datum_type() {
                continue;
            }
            let Some(weight) = self.0.take(&konst) else {
                continue;
            };
            // The placeholder must have no other reader: its values are not the weight's.
            let readers = model.outlet_successors(input);
            ensure!(
                readers.len() == 1,
                "a deferred weight ({}) has other readers than its packing: {:?}",
                model.node(input.node).name,
                readers
                    .iter()
                    .map(|r| format!("{} ({})", model.node(r.node).name, model.node(r.node).op.name()))
                    .collect::<Vec<_>>()
            );
            let patch = pack_patch(model, node, &weight)?;
            *self.0.packed.lock().map_err(|_| format_err!("poisoned"))? += 1;
            return Ok(Some(patch));
        }
        Ok(None)
    }
}

/// The patch replacing `node` (an `OptMatMulPack` of `weight`'s placeholder) by its packed constant.
fn pack_patch(model: &TypedModel, node: &TypedNode, weight: &DeferredWeight) -> TractResult<TypedModelPatch> {
    let input_fact = model.outlet_fact(node.inputs[0])?;
    let output_fact = &node.outputs[0].fact;
    let packers = &output_fact
        .exotic_fact
        .as_ref()
        .and_then(|f| f.downcast_ref::<DynPackedExoticFact>())
        .context("OptMatMulPack without its packed fact")?
        .packers;
    ensure!(packers.len() == 1, "more than one packing for a deferred weight");
    let format = packers[0]
        .downcast_ref::<PackedFormat>()
        .context("a deferred weight packed in a format that is not PackedFormat")?;
    // Where k and mn are in the input: the op's own axes mapping ('K' and 'M').
    let mapping = node.op.axes_mapping(&[input_fact], &[output_fact])?;
    let axis = |repr: char| -> TractResult<usize> {
        mapping
            .iter_all_axes()
            .find(|a| a.repr == repr)
            .and_then(|a| a.inputs[0].first().copied())
            .with_context(|| format!("no {repr} axis"))
    };
    let (k_axis, mn_axis) = (axis('K')?, axis('M')?);
    let shape = input_fact.shape.as_concrete().context("symbolic weight shape")?;
    let others_are_one = shape
        .iter()
        .enumerate()
        .all(|(i, &d)| i == k_axis || i == mn_axis || d == 1);
    ensure!(
        others_are_one && mn_axis < k_axis && shape[mn_axis] == weight.rows && shape[k_axis] == weight.depth,
        "deferred weight {}x{} packed as {shape:?} (k axis {k_axis}, mn axis {mn_axis})",
        weight.rows,
        weight.depth
    );
    let panels = Int8Panels::pack(weight, format)?;
    let out_shape: TVec<usize> = output_fact
        .shape
        .as_concrete()
        .context("symbolic pack output")?
        .into();
    let tensor =
        PackedMatrixStorage::new_batched(&out_shape, tvec![Box::new(panels) as Box<dyn MMMInputValue>])
            .into_tensor(f32::datum_type());
    let konst = Const::new_with_opt_exotic_fact(tensor.into_arc_tensor(), output_fact.exotic_fact.clone())?;
    TypedModelPatch::replace_single_op(model, node, &[], konst)
}
