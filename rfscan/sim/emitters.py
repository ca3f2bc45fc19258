"""Emitter models: burst schedules (ground truth) and unit-power complex envelopes.

Every model answers two questions for its :class:`~rfscan.sim.scene.EmitterSpec`:

* :meth:`EmitterModel.bursts` - which transmissions overlap a time window (absolute seconds from
  the start of the scene), with their true RF edges; this is the ground truth.
* :meth:`EmitterModel.envelope` - the complex envelope at arbitrary absolute times, relative to
  :attr:`EmitterModel.ref_hz`, with unit mean power while transmitting and zero otherwise.  Only the
  part of the spectrum inside ``lo_hz +- half_band_hz`` needs to be (and for wide carriers is)
  synthesized.

Random content (bits, QPSK symbols, LoRa symbols) is drawn from generators seeded by
(scene seed, emitter id, burst/subframe/frame index), so any time window gives the same waveform.

Timing figures: GSM frame 120/26 ms, slot 15/26 ms, normal burst 148 bits, access burst 88 bits
(3GPP TS 45.002 / 45.004 / 45.010); LTE subframe 1 ms, slot 0.5 ms, 7 symbols, PUCCH hopping
and PRACH format 0 (TS 36.211); NB-IoT 3.75 kHz slot 2 ms of 7 symbols (TS 36.211 10.1);
LoRa preamble 8 up-chirps + 2 sync + 2.25 down-chirps (Semtech AN1200.22).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rfscan.sim.scene import CONTINUOUS_KINDS, LTE_BANDWIDTHS_MHZ, EmitterSpec
from rfscan.sim.waveforms import (
    GSM_BIT_S,
    LTE_TS_S,
    MulticarrierSymbols,
    gmsk_phase,
    interp_phase,
    lora_phase,
    lte_symbol_table,
    zadoff_chu,
)

__all__ = ["GSM_FRAME_S", "GSM_SLOT_S", "Burst", "EmitterModel", "make_model"]

F64 = NDArray[np.float64]
C128 = NDArray[np.complex128]

GSM_FRAME_S = 120e-3 / 26.0
GSM_SLOT_S = GSM_FRAME_S / 8.0
GSM_NORMAL_BITS = 148
GSM_ACCESS_BITS = 88
#: Training sequence code 0 (TS 45.002 table 5.2.3-1).
_TSC0 = np.array([0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1])
#: Frames of the 51-multiframe whose TS0 carries the FCCH on a BCCH carrier (TS 45.002 6.3).
_FCCH_FRAMES = frozenset({0, 10, 20, 30, 40})
#: PSS Zadoff-Chu roots for N_ID2 = 0, 1, 2 (TS 36.211 table 6.11.1.1-1).
_PSS_ROOTS = (25, 29, 34)
PRACH_CP_S = 3168 * LTE_TS_S
PRACH_SEQ_S = 24576 * LTE_TS_S
#: NB-IoT NPRACH (TS 36.211 10.1.6, Table 10.1.6.1-1): a symbol group is a cyclic prefix of 2048 Ts
#: (format 0) or 8192 Ts (format 1) and 5 symbols of 8192 Ts on one 3.75 kHz subcarrier.
NPRACH_SPACING_HZ = 3750.0
NPRACH_CP_S = {0: 2048 * LTE_TS_S, 1: 8192 * LTE_TS_S}
NPRACH_SEQ_S = 5 * 8192 * LTE_TS_S
#: LTE-M (eMTC, Rel-13) narrowband: 6 PRBs = 1.08 MHz (TS 36.211 5.2.4); hops move by whole narrowbands.
LTEM_NARROWBAND_HZ = 6 * 180e3
#: Normal-CP SC-FDMA symbol 0 (CP 160 Ts) and symbol 6/13 (CP 144 Ts) lengths: the retuning guard of
#: a PUSCH-to-PUSCH narrowband hop (TS 36.211 5.2.5) blanks one of each.
LTEM_SYMBOL0_S = (160 + 2048) * LTE_TS_S
LTEM_SYMBOL13_S = (144 + 2048) * LTE_TS_S
_QPSK = np.array([1 + 1j, -1 + 1j, 1 - 1j, -1 - 1j]) / math.sqrt(2.0)


@dataclass(frozen=True)
class Burst:
    """One transmission: absolute start/duration (s) and true RF edges (Hz)."""

    start_s: float
    duration_s: float
    freq_lower_hz: float
    freq_upper_hz: float
    detail: str
    index: int


def _rng(seed: int, ident: str, *idx: int) -> np.random.Generator:
    return np.random.default_rng(
        [seed & 0xFFFFFFFFFFFF, zlib.crc32(ident.encode()), *[i & 0xFFFFFFFFFFFF for i in idx]]
    )


def _span(t: F64, a: float, b: float) -> slice:
    """Slice of the sorted times ``t`` inside ``[a, b)``."""
    i0, i1 = np.searchsorted(t, [a, b])
    return slice(int(i0), int(i1))


class EmitterModel:
    """Base: schedule helpers shared by the kinds."""

    def __init__(self, spec: EmitterSpec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self.ref_hz = spec.freq_hz
        #: Sample rate of the capture being rendered (set by the renderer; None: unknown).
        self.capture_rate_hz: float | None = None

    # ----- schedule
    def sessions(self) -> list[tuple[float, float]]:
        """(start, end) of each transmission session / packet (end may be inf)."""
        s = self.spec
        period = s.period_s or 0.0
        length = self.burst_length_s()
        if s.times_s:
            return [(t, t + length) for t in s.times_s]
        if s.kind in CONTINUOUS_KINDS and s.start_s == 0.0 and s.count == 1:
            # Always on: no switch-on transient at t = 0 (filters look at negative times too).
            return [(-math.inf, length)]
        return [(s.start_s + i * period, s.start_s + i * period + length) for i in range(s.count)]

    def burst_length_s(self) -> float:
        return self.spec.duration_s if self.spec.duration_s is not None else math.inf

    def span_hz(self) -> tuple[float, float]:
        """Lowest and highest true RF frequency the emitter ever occupies."""
        raise NotImplementedError

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        """Transmissions overlapping ``[t_from, t_to)`` (continuous ones clipped to the window)."""
        raise NotImplementedError

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        """Unit-power envelope relative to :attr:`ref_hz` at absolute times ``t`` (sorted).

        ``rate_hz`` tells that ``t`` is the sample grid ``n / rate_hz`` (enables exact shortcuts).
        """
        raise NotImplementedError

    def _active_sessions(self, t_from: float, t_to: float) -> list[tuple[int, float, float]]:
        s = self.spec
        length = self.burst_length_s()
        if not s.times_s and s.count > 1 and s.period_s and math.isfinite(length):
            # Periodic repeats: only the few that can overlap the window (count may be huge).
            i0 = max(0, math.floor((t_from - s.start_s - length) / s.period_s))
            i1 = min(s.count - 1, math.ceil((t_to - s.start_s) / s.period_s))
            cand = ((i, s.start_s + i * s.period_s) for i in range(i0, i1 + 1))
            return [(i, a, a + length) for i, a in cand if a + length > t_from and a < t_to]
        return [(i, a, b) for i, (a, b) in enumerate(self.sessions()) if b > t_from and a < t_to]


# ------------------------------------------------------------------------------------------------ GSM


class GsmModel(EmitterModel):
    """GSM: uplink normal bursts on chosen timeslots, access bursts, or a continuous BCCH carrier."""

    def span_hz(self) -> tuple[float, float]:
        return self.ref_hz - 100e3, self.ref_hz + 100e3

    def burst_length_s(self) -> float:
        if self.spec.kind == "gsm_rach":
            return GSM_ACCESS_BITS * GSM_BIT_S
        return super().burst_length_s()

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        lo, hi = self.span_hz()
        kind = self.spec.kind
        out: list[Burst] = []
        if kind == "gsm_rach":
            for i, a, b in self._active_sessions(t_from, t_to):
                out.append(Burst(a, b - a, lo, hi, "access burst", i))
            return out
        if kind == "gsm_downlink":
            for i, a, b in self._active_sessions(t_from, t_to):
                a2, b2 = max(a, t_from), min(b, t_to)
                out.append(Burst(a2, b2 - a2, lo, hi, "BCCH carrier", i))
            return out
        dur = GSM_NORMAL_BITS * GSM_BIT_S
        for _, a, b in self._active_sessions(t_from - GSM_FRAME_S, t_to):
            f_first = max(math.ceil(a / GSM_FRAME_S - 1e-9), math.floor(t_from / GSM_FRAME_S) - 1)
            f_last = min(math.ceil(b / GSM_FRAME_S - 1e-9) - 1, math.floor(t_to / GSM_FRAME_S))
            for f in range(f_first, f_last + 1):
                if self.spec.idle_frames and f % 26 == 25:
                    continue
                for ts in sorted(self.spec.timeslots):
                    t0 = f * GSM_FRAME_S + ts * GSM_SLOT_S
                    if t0 + dur > t_from and t0 < t_to:
                        out.append(Burst(t0, dur, lo, hi, "normal burst", f * 8 + ts))
        return out

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        if t.size == 0:
            return out
        if self.spec.kind == "gsm_downlink":
            for _, a, b in self._active_sessions(float(t[0]), float(t[-1]) + 1e-12):
                sel = _span(t, a, b)
                if sel.stop > sel.start:
                    out[sel] = self._continuous(t[sel])
            return out
        n_bits = GSM_ACCESS_BITS if self.spec.kind == "gsm_rach" else GSM_NORMAL_BITS
        pad = 4
        for burst in self.bursts(float(t[0]), float(t[-1]) + 1e-12):
            i0 = int(np.searchsorted(t, burst.start_s - 2 * GSM_BIT_S))
            i1 = int(np.searchsorted(t, burst.start_s + (n_bits + 2) * GSM_BIT_S))
            if i1 <= i0:
                continue
            rng = _rng(self.seed, self.spec.id, burst.index)
            bits = rng.integers(0, 2, n_bits)
            if self.spec.kind == "gsm_uplink":
                bits[:3] = 0
                bits[-3:] = 0
                bits[61:87] = _TSC0
            diff = np.bitwise_xor(bits, np.concatenate([[1], bits[:-1]]))
            symbols = np.concatenate([np.ones(pad), 1.0 - 2.0 * diff, np.ones(pad)])
            phase = gmsk_phase(symbols)
            rel_bits = (t[i0:i1] - burst.start_s) / GSM_BIT_S
            ph = interp_phase(phase, rel_bits + pad) + rng.uniform(0, 2 * np.pi)
            # Raised-cosine power ramps 4 bits long, half amplitude at the burst edges.
            ramp_up = np.clip((rel_bits + 2.0) / 4.0, 0.0, 1.0)
            ramp_dn = np.clip((n_bits + 2.0 - rel_bits) / 4.0, 0.0, 1.0)
            amp = np.sin(0.5 * np.pi * np.minimum(ramp_up, ramp_dn)) ** 2
            out[i0:i1] = amp * np.exp(1j * ph)
        return out

    def _continuous(self, t: F64) -> C128:
        """Phase-continuous GMSK built from frame-sized blocks of 1250 bits.

        Each frame's symbols sum to a multiple of 4 (net phase a multiple of 2 pi), so the phase
        at time ``t`` depends only on the frame before, the current frame and the next one.
        """
        bits_per_frame = 1250
        f_a = math.floor(float(t[0]) / GSM_FRAME_S) - 1
        f_b = math.floor(float(t[-1]) / GSM_FRAME_S) + 1
        blocks = []
        for f in range(f_a, f_b + 1):
            rng = _rng(self.seed, self.spec.id, f + (1 << 40))
            sym = 1.0 - 2.0 * rng.integers(0, 2, bits_per_frame)
            if f % 51 in _FCCH_FRAMES:
                # Frequency correction burst in TS0: all-zero bits -> a tone at +1/(4 T) = 67.7 kHz.
                sym[:GSM_NORMAL_BITS] = 1.0
            if int(sym.sum()) % 4 != 0:
                k = int(np.flatnonzero(sym > 0)[-1])
                sym[k] = -1.0
            blocks.append(sym)
        # Leading zeros let the first bit's Gaussian pulse be integrated whole.
        phase = gmsk_phase(np.concatenate([np.zeros(8), *blocks]))
        rel_bits = (t - f_a * GSM_FRAME_S) / GSM_BIT_S + 8
        out: C128 = np.exp(1j * interp_phase(phase, rel_bits))
        return out


# ------------------------------------------------------------------------------------------------ LTE


class LteUplinkModel(EmitterModel):
    """PUSCH, PUCCH and LTE-M (SC-FDMA, 15 kHz, half-subcarrier shift, normal CP)."""

    def __init__(self, spec: EmitterSpec, seed: int) -> None:
        super().__init__(spec, seed)
        self.n_rb_total = LTE_BANDWIDTHS_MHZ[spec.bandwidth_mhz]
        self.nu0 = (-6 * self.n_rb_total + 0.5) * 15e3

    def _rb_edges(self, rb: int, n: int) -> tuple[float, float]:
        lo = self.ref_hz + (12 * rb - 6 * self.n_rb_total) * 15e3
        return lo, lo + n * 180e3

    @property
    def hop_hz(self) -> float:
        """Frequency offset of the second LTE-M narrowband (0: no hopping)."""
        s = self.spec
        if s.kind != "ltem" or s.hop_interval_ms <= 0:
            return 0.0
        return s.hop_narrowbands * LTEM_NARROWBAND_HZ

    def narrowband(self, sfs: NDArray[np.int64]) -> NDArray[np.int64]:
        """0/1: narrowband of each absolute subframe (hops every ``hop_interval_ms`` subframes)."""
        if self.hop_hz == 0.0:
            return np.zeros(np.shape(sfs), dtype=np.int64)
        return np.asarray((np.asarray(sfs) // self.spec.hop_interval_ms) % 2, dtype=np.int64)

    def span_hz(self) -> tuple[float, float]:
        if self.spec.kind == "lte_pucch":
            return self._rb_edges(0, self.n_rb_total)
        lo, hi = self._rb_edges(self.spec.rb_start, self.spec.n_rb)
        return min(lo, lo + self.hop_hz), max(hi, hi + self.hop_hz)

    def _subframes(self, t_from: float, t_to: float) -> list[int]:
        """Absolute 1 ms subframe indices transmitted and overlapping the window.

        ``subframe_period``/``subframes`` select where transmissions start; an LTE-M transmission
        then repeats over ``repetitions`` consecutive subframes (cut at the session end).
        """
        s = self.spec
        reps = s.repetitions if s.kind == "ltem" else 1
        out: list[int] = []
        for _, a, b in self._active_sessions(t_from, t_to):
            sf0 = math.ceil(a / 1e-3 - 1e-9)
            sf_end = math.ceil(b / 1e-3 - 1e-9)
            lo = max(sf0, math.floor(t_from / 1e-3))
            hi = min(sf_end, math.ceil(t_to / 1e-3))
            rel = np.arange(max(lo - sf0 - reps + 1, 0), max(hi - sf0, 0))
            first = np.isin(rel, np.array(s.subframes)) if s.subframes else rel % s.subframe_period == 0
            starts = rel[first]
            # On when the latest transmission start at or before the subframe is < reps subframes back.
            last = np.searchsorted(starts, rel, side="right") - 1
            on = (last >= 0) & (rel - starts[np.maximum(last, 0)] < reps) if starts.size else rel < 0
            keep = on & (rel >= lo - sf0)
            out.extend(int(sf0 + r) for r in rel[keep])
        return sorted(set(out))

    def _gaps(self, sfs: list[int]) -> tuple[set[int], set[int]]:
        """Subframes whose first / last SC-FDMA symbol is a retuning guard (LTE-M hop between two
        transmitted subframes in different narrowbands; TS 36.211 5.2.5, PUSCH to PUSCH: one symbol on
        each side of the subframe boundary, two in all)."""
        if self.hop_hz == 0.0 or not sfs:
            return set(), set()
        arr = np.array(sfs, dtype=np.int64)
        nb = self.narrowband(arr)
        hop = (np.diff(arr) == 1) & (np.diff(nb) != 0)
        last = {int(x) for x in arr[:-1][hop]}
        first = {int(x) for x in arr[1:][hop]}
        return first, last

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        sfs = self._subframes(t_from, t_to)
        out: list[Burst] = []
        if self.spec.kind == "lte_pucch":
            lo0, hi0 = self._rb_edges(0, 1)
            lo1, hi1 = self._rb_edges(self.n_rb_total - 1, 1)
            for sf in sfs:
                out.append(Burst(sf * 1e-3, 0.5e-3, lo0, hi0, "PUCCH slot 0", 2 * sf))
                out.append(Burst(sf * 1e-3 + 0.5e-3, 0.5e-3, lo1, hi1, "PUCCH slot 1", 2 * sf + 1))
            return out
        lo, hi = self._rb_edges(self.spec.rb_start, self.spec.n_rb)
        name = "LTE-M PUSCH" if self.spec.kind == "ltem" else "PUSCH"
        # Neighbours one subframe outside the window decide the retuning gaps at its edges.
        first_gap, last_gap = self._gaps(self._subframes(t_from - 1e-3, t_to + 1e-3))
        nbs = self.narrowband(np.array(sfs, dtype=np.int64)) if sfs else np.zeros(0, dtype=np.int64)
        # Contiguous subframes in one narrowband form one transmission (one dwell when hopping).
        run_start: int | None = None
        prev, prev_nb = -2, -1
        for sf, nb in [*zip(sfs, (int(x) for x in nbs), strict=True), (-10, -1)]:
            if sf != prev + 1 or nb != prev_nb or sf == -10:
                if run_start is not None:
                    a = run_start * 1e-3 + (LTEM_SYMBOL0_S if run_start in first_gap else 0.0)
                    b = (prev + 1) * 1e-3 - (LTEM_SYMBOL13_S if prev in last_gap else 0.0)
                    off = self.hop_hz * prev_nb
                    out.append(Burst(a, b - a, lo + off, hi + off, name, run_start))
                run_start = sf
            prev, prev_nb = sf, nb
        return out

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        if t.size == 0:
            return out
        sfs = self._subframes(float(t[0]), float(t[-1]) + 1e-12)
        if not sfs:
            return out
        start, useful, idx = lte_symbol_table(sfs[0] * 1e-3, (sfs[-1] + 1) * 1e-3)
        sym_sf = (idx // 14).astype(np.int64)
        keep = np.isin(sym_sf, np.array(sfs))
        start, useful, sym_sf, sym_no = (
            start[keep],
            useful[keep],
            sym_sf[keep],
            (idx[keep] % 14).astype(np.int64),
        )
        end = useful + 2048 * LTE_TS_S
        n_cols = 12 * self.n_rb_total
        col_rf = self.ref_hz + self.nu0 + np.arange(n_cols) * 15e3
        in_win = np.abs(col_rf - lo_hz) < half_band_hz
        # (parity, first RB, narrowband): PUCCH slot parity, or -1 for PUSCH in narrowband 0/1.
        if self.spec.kind == "lte_pucch":
            groups = [(0, 0, 0), (1, self.n_rb_total - 1, 0)]
            m = 12
        else:
            groups = [(-1, self.spec.rb_start, 0)]
            m = 12 * self.spec.n_rb
            if self.hop_hz != 0.0:
                groups.append((-1, self.spec.rb_start, 1))
        sym_nb = self.narrowband(sym_sf)
        guard = np.zeros(start.size, dtype=bool)
        first_gap, last_gap = self._gaps(self._subframes(float(t[0]) - 1e-3, float(t[-1]) + 1e-3))
        if first_gap or last_gap:
            guard = ((sym_no == 0) & np.isin(sym_sf, np.array(sorted(first_gap) or [-1]))) | (
                (sym_no == 13) & np.isin(sym_sf, np.array(sorted(last_gap) or [-1]))
            )
        for parity, rb, nb in groups:
            sel = np.ones(start.size, dtype=bool) if parity < 0 else (sym_no // 7) == parity
            sel &= (sym_nb == nb) & ~guard
            if not np.any(sel):
                continue
            off = self.hop_hz * nb
            in_win = np.abs(col_rf + off - lo_hz) < half_band_hz
            n_sym = int(sel.sum())
            data = np.empty((n_sym, m), dtype=np.complex128)
            sub = sym_sf[sel]
            for sf in np.unique(sub):
                rows = np.flatnonzero(sub == sf)
                rng = _rng(self.seed, self.spec.id, int(sf), parity + 1)
                data[rows] = _QPSK[rng.integers(0, 4, (rows.size, m))]
            spread = np.fft.fft(data, axis=1) / math.sqrt(m) / math.sqrt(m)
            coef = np.zeros((n_sym, n_cols), dtype=np.complex128)
            coef[:, 12 * rb : 12 * rb + m] = spread
            coef[:, ~in_win] = 0.0
            mc = MulticarrierSymbols(start[sel], useful[sel], end[sel], coef, self.nu0 + off, 15e3)
            out += mc.evaluate(t, rate_hz)
        return out


class PrachModel(EmitterModel):
    """PRACH format 0 preamble: 839-point Zadoff-Chu at 1.25 kHz, 0.1 ms CP + 0.8 ms sequence."""

    def burst_length_s(self) -> float:
        return PRACH_CP_S + PRACH_SEQ_S

    def span_hz(self) -> tuple[float, float]:
        half = 839 * 1250.0 / 2.0
        return self.ref_hz - half, self.ref_hz + half

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        lo, hi = self.span_hz()
        return [
            Burst(a, b - a, lo, hi, "PRACH preamble", i) for i, a, b in self._active_sessions(t_from, t_to)
        ]

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        act = self._active_sessions(float(t[0]), float(t[-1]) + 1e-12) if t.size else []
        if not act:
            return np.zeros(t.size, dtype=np.complex128)
        spec = np.fft.fft(zadoff_chu(self.spec.root)) / 839.0
        nu0 = -419 * 1250.0
        col_rf = self.ref_hz + nu0 + np.arange(839) * 1250.0
        spec[np.abs(col_rf - lo_hz) >= half_band_hz] = 0.0
        starts = np.array([a for _, a, _ in act])
        mc = MulticarrierSymbols(
            starts,
            starts + PRACH_CP_S,
            starts + PRACH_CP_S + PRACH_SEQ_S,
            np.tile(spec, (len(act), 1)),
            nu0,
            1250.0,
        )
        return mc.evaluate(t, rate_hz)


class NprachModel(EmitterModel):
    """NB-IoT NPRACH preamble: ``repetitions`` x 4 symbol groups (1.4 ms each in format 0, 1.6 ms in
    format 1), each one 3.75 kHz subcarrier of 12 (45 kHz centred on ``freq_hz``) held through its
    cyclic prefix and 5 symbols: a continuous tone per group.  Within a repetition the subcarrier hops
    by 1, 6 and 1 (TS 36.211 10.1.6.1: +1 from an even one and -1 from an odd one, +6 below 6 and -6
    from 6); the first group is on ``tone_offset``, each later repetition starts on a pseudo-random
    subcarrier (seeded here; the standard draws it from the cell's Gold sequence)."""

    def _group_s(self) -> float:
        return NPRACH_CP_S[self.spec.preamble_format] + NPRACH_SEQ_S

    def burst_length_s(self) -> float:
        return self.spec.repetitions * 4 * self._group_s()

    def span_hz(self) -> tuple[float, float]:
        half = 6 * NPRACH_SPACING_HZ
        return self.ref_hz - half, self.ref_hz + half

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        lo, hi = self.span_hz()
        return [
            Burst(a, b - a, lo, hi, "NPRACH preamble", i) for i, a, b in self._active_sessions(t_from, t_to)
        ]

    def subcarriers(self, transmission: int) -> NDArray[np.int64]:
        """Subcarrier (0..11) of every symbol group of one transmission."""
        s = self.spec
        starts = _rng(self.seed, s.id, transmission, 0x9AC).integers(0, 12, s.repetitions)
        starts[0] = s.tone_offset
        k0 = starts.astype(np.int64)
        k1 = np.where(k0 % 2 == 0, k0 + 1, k0 - 1)
        k2 = np.where(k1 < 6, k1 + 6, k1 - 6)
        k3 = np.where(k2 % 2 == 0, k2 + 1, k2 - 1)
        return np.stack([k0, k1, k2, k3], axis=1).reshape(-1)

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        act = self._active_sessions(float(t[0]), float(t[-1]) + 1e-12) if t.size else []
        if not act:
            return out
        group_s, cp_s = self._group_s(), NPRACH_CP_S[self.spec.preamble_format]
        nu0 = -5.5 * NPRACH_SPACING_HZ
        col_rf = self.ref_hz + nu0 + np.arange(12) * NPRACH_SPACING_HZ
        outside = np.abs(col_rf - lo_hz) >= half_band_hz
        for i, a, _ in act:  # a loop over the few transmissions in the window
            k = self.subcarriers(i)
            starts = np.asarray(a + np.arange(k.size) * group_s, np.float64)
            coef = np.zeros((k.size, 12), dtype=np.complex128)
            phases = _rng(self.seed, self.spec.id, i, 0x9AD).uniform(0.0, 2.0 * np.pi, k.size)
            coef[np.arange(k.size), k] = np.exp(1j * phases)
            coef[:, outside] = 0.0
            useful, end = np.asarray(starts + cp_s, np.float64), np.asarray(starts + group_s, np.float64)
            mc = MulticarrierSymbols(starts, useful, end, coef, nu0, NPRACH_SPACING_HZ)
            out += mc.evaluate(t, rate_hz)
        return out


class LteDownlinkModel(EmitterModel):
    """LTE downlink carrier (FDD, fully loaded): OFDM, QPSK on every subcarrier but the unused DC one.

    Slots 0 and 10 of every 10 ms radio frame carry the PSS (Zadoff-Chu root from ``pci % 3``,
    TS 36.211 6.11.1) in their last symbol and an SSS-like BPSK sequence (pseudo-random, not the
    m-sequence construction) in the symbol before, on the 62 subcarriers around DC with 5 empty
    subcarriers on each side.
    """

    def _sync(self, coef: C128, slots: NDArray[np.int64], sym_in_slot: NDArray[np.int64]) -> None:
        c = self.n_sc // 2
        n = np.arange(62)
        cols = np.where(n <= 30, c - 31 + n, c - 30 + n)
        guard = np.concatenate([np.arange(c - 36, c - 31), np.arange(c + 32, c + 37)])
        u = _PSS_ROOTS[self.spec.pci % 3]
        m = np.where(n <= 30, n * (n + 1), (n + 1) * (n + 2))
        pss = np.exp(-1j * np.pi * u * m / 63)
        sss = 1.0 - 2.0 * _rng(0, "sss", self.spec.pci).integers(0, 2, 62)
        sync_slot = slots % 20 % 10 == 0
        for sym_no, seq in ((6, pss), (5, sss)):
            rows = np.flatnonzero(sync_slot & (sym_in_slot == sym_no))
            if rows.size:
                coef[np.ix_(rows, cols)] = seq
                coef[np.ix_(rows, guard)] = 0.0

    def __init__(self, spec: EmitterSpec, seed: int) -> None:
        super().__init__(spec, seed)
        self.n_rb_total = LTE_BANDWIDTHS_MHZ[spec.bandwidth_mhz]
        self.n_sc = 12 * self.n_rb_total

    def span_hz(self) -> tuple[float, float]:
        half = (self.n_sc / 2 + 0.5) * 15e3
        return self.ref_hz - half, self.ref_hz + half

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        lo, hi = self.span_hz()
        out = []
        for i, a, b in self._active_sessions(t_from, t_to):
            a2, b2 = max(a, t_from), min(b, t_to)
            out.append(Burst(a2, b2 - a2, lo, hi, "LTE downlink carrier", i))
        return out

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        if t.size == 0:
            return out
        n_cols = self.n_sc + 1
        nu0 = -(self.n_sc // 2) * 15e3
        col_rf = self.ref_hz + nu0 + np.arange(n_cols) * 15e3
        in_win = np.abs(col_rf - lo_hz) < half_band_hz
        in_win[self.n_sc // 2] = False  # DC subcarrier unused
        if not np.any(in_win):
            return out
        for _, a, b in self._active_sessions(float(t[0]), float(t[-1]) + 1e-12):
            sel = _span(t, a, b)
            if sel.stop <= sel.start:
                continue
            ts = t[sel]
            start, useful, idx = lte_symbol_table(float(ts[0]), float(ts[-1]) + 1e-12)
            slots = (idx // 7).astype(np.int64)
            coef = np.zeros((start.size, n_cols), dtype=np.complex128)
            sym_in_slot = (idx % 7).astype(np.int64)
            for slot in np.unique(slots):
                rows = np.flatnonzero(slots == slot)
                rng = _rng(self.seed, self.spec.id, int(slot))
                coef[rows] = _QPSK[rng.integers(0, 4, (7, n_cols))][sym_in_slot[rows]]
            self._sync(coef, slots, sym_in_slot)
            coef[:, ~in_win] = 0.0
            coef /= math.sqrt(self.n_sc)
            mc = MulticarrierSymbols(start, useful, useful + 2048 * LTE_TS_S, coef, nu0, 15e3)
            out[sel] = mc.evaluate(ts, rate_hz)
        return out


class NbiotModel(EmitterModel):
    """NB-IoT NPUSCH: single tone (15 or 3.75 kHz) or 3/6/12 tones SC-FDMA inside 180 kHz."""

    def span_hz(self) -> tuple[float, float]:
        s = self.spec
        n = 48 if s.spacing_hz == 3750.0 else 12
        lo = self.ref_hz + (s.tone_offset - n / 2) * s.spacing_hz
        return lo, lo + s.tones * s.spacing_hz

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        lo, hi = self.span_hz()
        return [Burst(a, b - a, lo, hi, "NPUSCH", i) for i, a, b in self._active_sessions(t_from, t_to)]

    def _table(self, t_from: float, t_to: float) -> tuple[F64, F64, F64, F64]:
        if self.spec.spacing_hz == 15000.0:
            start, useful, idx = lte_symbol_table(t_from, t_to)
            return start, useful, useful + 2048 * LTE_TS_S, idx
        slot_s = 2e-3
        first = max(math.floor(t_from / slot_s) - 1, 0)
        last = max(math.floor(t_to / slot_s) + 1, 0)
        slots = np.arange(first, last + 1, dtype=np.float64)
        k = np.arange(7, dtype=np.float64)
        start = (slots[:, None] * slot_s + k[None, :] * (8448 * LTE_TS_S)).reshape(-1)
        useful = start + 256 * LTE_TS_S
        end = useful + 8192 * LTE_TS_S
        idx = (slots[:, None] * 7 + k[None, :]).reshape(-1)
        keep = (end > t_from) & (start < t_to)
        return start[keep], useful[keep], end[keep], idx[keep]

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        if t.size == 0:
            return out
        s = self.spec
        n_cols = 48 if s.spacing_hz == 3750.0 else 12
        nu0 = (-n_cols / 2 + 0.5) * s.spacing_hz
        for i, a, b in self._active_sessions(float(t[0]), float(t[-1]) + 1e-12):
            sel = _span(t, a, b)
            if sel.stop <= sel.start:
                continue
            ts = t[sel]
            start, useful, end, idx = self._table(float(ts[0]), float(ts[-1]) + 1e-12)
            slots = (idx // 7).astype(np.int64)
            sym_in_slot = (idx % 7).astype(np.int64)
            if s.tones == 1:
                raw = np.empty((idx.size, 1), dtype=np.complex128)
            else:
                raw = np.empty((idx.size, s.tones), dtype=np.complex128)
            for slot in np.unique(slots):
                rows = np.flatnonzero(slots == slot)
                rng = _rng(self.seed, s.id, i, int(slot))
                if s.tones == 1:
                    bpsk = 1.0 - 2.0 * rng.integers(0, 2, (7, 1))
                    raw[rows] = bpsk[sym_in_slot[rows]]
                else:
                    raw[rows] = _QPSK[rng.integers(0, 4, (7, s.tones))][sym_in_slot[rows]]
            if s.tones == 1:
                # pi/2-BPSK: every other symbol rotated by 90 degrees.
                data = raw * np.exp(0.5j * np.pi * (idx % 2))[:, None]
            else:
                data = np.fft.fft(raw, axis=1) / s.tones
            coef = np.zeros((idx.size, n_cols), dtype=np.complex128)
            coef[:, s.tone_offset : s.tone_offset + s.tones] = data
            col_rf = self.ref_hz + nu0 + np.arange(n_cols) * s.spacing_hz
            coef[:, np.abs(col_rf - lo_hz) >= half_band_hz] = 0.0
            mc = MulticarrierSymbols(start, useful, end, coef, nu0, s.spacing_hz)
            out[sel] = mc.evaluate(ts, rate_hz)
        return out


# ------------------------------------------------------------------------------------------------ other


class _OnOff(EmitterModel):
    """A continuous kind that ``on_s``/``off_s`` switch on and off at random (seeded) lengths."""

    def __init__(self, spec: EmitterSpec, seed: int) -> None:
        super().__init__(spec, seed)
        self._schedule: list[tuple[float, float]] = []
        self._rng_onoff = _rng(seed, spec.id, 0x0FF)
        self._until = spec.start_s  # the schedule is drawn up to here

    def _active_sessions(self, t_from: float, t_to: float) -> list[tuple[int, float, float]]:
        s = self.spec
        if s.on_s is None or s.off_s is None:
            return super()._active_sessions(t_from, t_to)
        end = s.start_s + s.duration_s if s.duration_s is not None else math.inf
        if not math.isfinite(min(t_to, end)):
            raise ValueError(f"{s.id}: an on/off schedule needs a finite window")
        while self._until < min(t_to, end):  # draw (in order, so the schedule is seeded) as needed
            on = float(self._rng_onoff.uniform(*s.on_s))
            off = float(self._rng_onoff.uniform(*s.off_s))
            self._schedule.append((self._until, min(self._until + on, end)))
            self._until += on + off
        return [(i, a, b) for i, (a, b) in enumerate(self._schedule) if b > t_from and a < t_to]

    #: How a transmission is described in the ground truth.
    DETAIL = "CW"

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        """The on-periods overlapping the window (clipped to it)."""
        lo, hi = self.span_hz()
        out = []
        for i, a, b in self._active_sessions(t_from, t_to):
            a2, b2 = max(a, t_from), min(b, t_to)
            out.append(Burst(a2, b2 - a2, lo, hi, self.DETAIL, i))
        return out


class CwModel(_OnOff):
    """Unmodulated carrier (a spur), always on or switching on and off."""

    def span_hz(self) -> tuple[float, float]:
        return self.ref_hz - 500.0, self.ref_hz + 500.0

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        if t.size == 0:
            return out
        for _, a, b in self._active_sessions(float(t[0]), float(t[-1]) + 1e-12):
            out[_span(t, a, b)] = 1.0
        return out


#: Half width (Hz) of the band impulsive noise covers: wider than any dongle's capture.
IMPULSE_HALF_BAND_HZ = 25e6


class ImpulseModel(_OnOff):
    """Impulsive noise: clicks of white noise (``click_s`` long) ``rate_hz`` times a second, on a
    jittered periodic grid (a motor drive's PWM switching edges) or at random (Poisson: arcing);
    always on or in trains (``on_s``/``off_s``).  The clicks are drawn per 1 ms tile of absolute time
    from a generator seeded by the tile, so any window renders the same clicks."""

    TILE_S = 1e-3

    DETAIL = "impulses"

    def span_hz(self) -> tuple[float, float]:
        return self.ref_hz - IMPULSE_HALF_BAND_HZ, self.ref_hz + IMPULSE_HALF_BAND_HZ

    #: Clicks of the periodic grid per tile of drawn jitter (tiles of click indices).
    GRID_TILE = 64

    def click_times(self, t_from: float, t_to: float) -> F64:
        """Start times of the clicks in ``[t_from, t_to)`` (before the on/off gating); the same
        clicks whatever the window (grid clicks by integer index, their jitter drawn per tile of
        indices; Poisson clicks per 1 ms tile of time)."""
        s = self.spec
        if s.periodic:
            pad = 6.0 * s.jitter_s  # jitter may move a click into the window from outside it
            i0 = math.floor((t_from - pad) * s.rate_hz)
            i1 = math.ceil((t_to + pad) * s.rate_hz) + 1
            t = np.arange(i0, i1, dtype=np.float64) / s.rate_hz
            if s.jitter_s > 0:
                g = self.GRID_TILE
                for k in range(i0 // g, (i1 - 1) // g + 1):  # a loop over tiles of 64 clicks
                    z = _rng(self.seed, s.id, 0x1A9, k).normal(0.0, s.jitter_s, g)
                    a, b = max(i0, k * g), min(i1, (k + 1) * g)
                    t[a - i0 : b - i0] += z[a - k * g : b - k * g]
        else:
            parts = []
            for k in range(math.floor(t_from / self.TILE_S), math.ceil(t_to / self.TILE_S)):
                rng = _rng(self.seed, s.id, 0x1A9, k)
                parts.append(
                    k * self.TILE_S + rng.uniform(0.0, self.TILE_S, rng.poisson(s.rate_hz * self.TILE_S))
                )
            t = np.concatenate(parts) if parts else np.zeros(0)
        t = np.sort(t).astype(np.float64)
        return np.asarray(t[(t >= t_from) & (t < t_to)], np.float64)

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        if t.size == 0:
            return out
        t0, t1 = float(t[0]), float(t[-1]) + 1e-12
        on = self._active_sessions(t0 - self.spec.click_s, t1)
        if not on:
            return out
        clicks = self.click_times(t0 - self.spec.click_s, t1)
        gate = np.zeros(clicks.size, bool)
        for _, a, b in on:
            gate |= (clicks >= a) & (clicks < b)
        clicks = clicks[gate]
        if clicks.size == 0:
            return out
        # Every sample inside a click: white complex noise, drawn per click, of unit power within the
        # capture (rendered at a higher rate, the capture keeps capture_rate / rate of it).
        gain = math.sqrt(rate_hz / self.capture_rate_hz) if rate_hz and self.capture_rate_hz else 1.0
        rate = rate_hz if rate_hz else (1.0 / float(t[1] - t[0]) if t.size > 1 else 1.0)
        full = math.ceil(self.spec.click_s * rate) + 2  # samples a click can cover on this grid
        lo = np.searchsorted(t, clicks)
        hi = np.searchsorted(t, clicks + self.spec.click_s)
        hi = np.maximum(hi, np.minimum(lo + 1, t.size))  # at least one sample each
        for c, (i0, i1) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):  # a loop over clicks
            if i1 <= i0:
                continue
            rng = _rng(self.seed, self.spec.id, 0xC11C, round(float(clicks[c]) * 1e9))
            z = rng.standard_normal(2 * full).view(np.complex128) / math.sqrt(2.0)
            # The click's own samples from its start, so a window cut inside it continues it.
            j0 = max(0, round((float(t[i0]) - float(clicks[c])) * rate))
            seg = z[j0 : j0 + (i1 - i0)]
            out[i0 : i0 + seg.size] = gain * seg
        return out


class LoraModel(EmitterModel):
    """LoRa CSS packets: 8 up-chirp preamble, 2 sync symbols, 2.25 down-chirps, payload."""

    def __init__(self, spec: EmitterSpec, seed: int) -> None:
        super().__init__(spec, seed)
        self.m: int = 2**spec.sf
        self.t_sym: float = self.m / spec.bw_hz

    def burst_length_s(self) -> float:
        return (12.25 + self.spec.payload_symbols) * self.t_sym

    def span_hz(self) -> tuple[float, float]:
        return self.ref_hz - self.spec.bw_hz / 2, self.ref_hz + self.spec.bw_hz / 2

    def bursts(self, t_from: float, t_to: float) -> list[Burst]:
        lo, hi = self.span_hz()
        return [
            Burst(a, b - a, lo, hi, f"LoRa SF{self.spec.sf}", i)
            for i, a, b in self._active_sessions(t_from, t_to)
        ]

    def envelope(self, t: F64, lo_hz: float, half_band_hz: float, rate_hz: float | None = None) -> C128:
        out = np.zeros(t.size, dtype=np.complex128)
        if t.size == 0:
            return out
        for i, a, b in self._active_sessions(float(t[0]), float(t[-1]) + 1e-12):
            sel = _span(t, a, b)
            if sel.stop <= sel.start:
                continue
            rng = _rng(self.seed, self.spec.id, i)
            payload = rng.integers(0, self.m, self.spec.payload_symbols)
            values = np.concatenate([np.zeros(8), [8.0, 16.0], np.zeros(3), payload]) / self.m
            p = (t[sel] - a) / self.t_sym
            # Symbol index with the 0.25-symbol down-chirp: positions >= 12.25 are payload.
            in_pay = p >= 12.25
            k = np.where(in_pay, np.floor(p - 12.25) + 13, np.floor(p)).astype(np.int64)
            u = np.where(in_pay, p - 12.25 - np.floor(p - 12.25), p - np.floor(p))
            k = np.clip(k, 0, values.size - 1)
            down = (k >= 10) & (k <= 12)
            out[sel] = np.exp(1j * lora_phase(u, values[k], down, 2.0 * np.pi * self.m))
        return out


def make_model(spec: EmitterSpec, seed: int) -> EmitterModel:
    """The model class for ``spec.kind``."""
    if spec.kind.startswith("gsm"):
        return GsmModel(spec, seed)
    if spec.kind in ("lte_pusch", "lte_pucch", "ltem"):
        return LteUplinkModel(spec, seed)
    if spec.kind == "lte_prach":
        return PrachModel(spec, seed)
    if spec.kind == "lte_downlink":
        return LteDownlinkModel(spec, seed)
    if spec.kind == "nbiot":
        return NbiotModel(spec, seed)
    if spec.kind == "nprach":
        return NprachModel(spec, seed)
    if spec.kind == "lora":
        return LoraModel(spec, seed)
    if spec.kind == "impulse":
        return ImpulseModel(spec, seed)
    return CwModel(spec, seed)
