"""Group bursts into emitters, estimate their period and duty cycle, classify them.

Grouping is by frequency: bursts sorted by centre frequency join the nearest of the last few groups
(``OPEN_GROUPS``) whose mean centre is within ``max(freq_tol_hz, 0.4 * bandwidth)`` of theirs (the
centre of a weak narrow burst's pieces wanders by a third of its width; channels of one technology are a
whole width apart) and whose mean bandwidth is within a factor 1.6 of theirs, so all bursts of one GSM
channel or one LTE allocation form one emitter (a PRACH and a PUSCH of one phone are two emitters), and
a wider piece between two narrow ones in frequency order does not cut the narrow ones' group in two. A
second pass merges PUCCH pairs: two groups of ~0.5 ms, <= 2 RB wide bursts whose centres are a whole
number of 180 kHz RBs apart and which alternate (a burst of one starts where a burst of the other ends,
within 0.15 ms) are the two edges of one LTE carrier; the emitter is placed at their midpoint. A third
pass merges LTE-M narrowband hops: two groups of <= 1.2 MHz wide bursts (<= 6 PRBs) of similar width, at
least 0.8 ms long, whose centres are a whole number of 1.08 MHz narrowbands apart (within 40 kHz plus
half their width difference) and which alternate with a short retuning gap (a dwell of one ends at most
0.35 ms before a dwell of the other starts) are one LTE-M UE hopping between two narrowbands (Rel-13
eMTC: TS 36.211 5.2.4 narrowbands of 6 PRBs, 5.2.5 guard period of up to 2 SC-FDMA symbols, ~0.14 ms, at
each retune); the emitter spans both.  Last, a few bursts with no period named cellular on the
frequency of an intermittent narrow interferer (a spur fading in and out, see
``Classification.interferer``), beside its pieces in time and no stronger, are named "unknown": some
of its pieces read wider (:func:`_piece_of_interferer`).

Period: the smallest lag ``T`` such that at least 60% of the burst starts ``s`` (with ``s + T`` inside
the observed span) have another start within ``tol`` of ``s + T``; candidates are the lags to the next
eight starts.  The starts fall into trains separated by gaps longer than ``TRAIN_GAP_PERIODS * T`` (a
sweep watches a channel in short dwells seconds apart): the last start of a train expects no partner,
so it is not counted against ``T``.  This finds the repetition of the whole pattern (GSM 4.615 ms
frame even when a phone uses several slots per frame, LTE 1/5/10 ms), and returns None for irregular
or too few bursts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from rfscan.bands.classify import CELLULAR_TECHS
from rfscan.dsp.classify import (
    NBIOT_LENGTH_TOL_S,
    ONE_RB_MAX_HZ,
    WEAK_SNR_DB,
    Classification,
    EmitterFeatures,
    classify,
)
from rfscan.dsp.detect import Burst

__all__ = ["Emitter", "Watch", "build_emitters", "estimate_period", "group_by_frequency"]


@dataclass(frozen=True)
class Watch:
    """A span of spectrum watched for some time (coverage)."""

    center_hz: float
    span_hz: float
    watched_s: float

    def contains(self, freq_hz: float) -> bool:
        """True when ``freq_hz`` lies inside the span."""
        return abs(freq_hz - self.center_hz) <= self.span_hz / 2


@dataclass(frozen=True)
class Emitter:
    """One emitter: a group of bursts on one frequency.

    Attributes
    ----------
    freq_hz, bandwidth_hz : float
        Median centre and median occupied bandwidth of its bursts (PUCCH pairs and hopping LTE-M:
        the centre and the width from the lowest to the highest burst edge).
    tech : str
        One of :data:`rfscan.dsp.classify.TECHS`.
    burst_count : int
    first_s, last_s : float
        Start of the first burst and end of the last one.
    duty_cycle : float
        On-time over ``last_s - first_s`` (one burst, or an always-on emitter: over the watched time).
    period_s : float or None
        Repetition period of the burst starts.
    peak_dbfs : float
        Highest burst peak.
    snr_db : float
        Median burst SNR (in the bursts' own bandwidth).
    confidence : float
        Confidence of ``tech`` (0..1).
    reason : str
        Why that tech.
    continuous : bool
        On for >= 90% of the time its frequency was watched.
    tech_alternatives : tuple of str
        Other technologies with the same measured shape and timing (empty: none).
    """

    freq_hz: float
    bandwidth_hz: float
    tech: str
    burst_count: int
    first_s: float
    last_s: float
    duty_cycle: float
    period_s: float | None
    peak_dbfs: float
    snr_db: float
    confidence: float
    reason: str
    continuous: bool
    tech_alternatives: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON names of the result contract (plus ``confidence``, ``reason`` and ``tech_alternatives``)."""
        return {
            "freq_hz": self.freq_hz,
            "bandwidth_hz": self.bandwidth_hz,
            "tech": self.tech,
            "burst_count": self.burst_count,
            "first_s": self.first_s,
            "last_s": self.last_s,
            "duty_cycle": self.duty_cycle,
            "period_s": self.period_s,
            "peak_dbfs": self.peak_dbfs,
            "snr_db": self.snr_db,
            "confidence": self.confidence,
            "reason": self.reason,
            "tech_alternatives": list(self.tech_alternatives),
        }


#: Longest period reported: burst structures repeat within frames (GSM 4.615 ms, LTE 1-10 ms, PRACH
#: and SR configurations up to 80 ms, paging cycles up to 2.56 s); a longer "period" in a sweep is the
#: revisit time of the sweep itself (an alias of the watch schedule), not a property of the emitter.
MAX_PERIOD_S = 1.0

#: A gap longer than this many periods ends a train of bursts (the channel was not watched, or the
#: emitter paused): the start before it is not expected to have a partner one period later.
TRAIN_GAP_PERIODS = 8


def estimate_period(
    starts_s: NDArray[np.float64] | Sequence[float],
    *,
    tol_s: float = 60e-6,
    rel_tol: float = 0.005,
    min_score: float = 0.6,
    max_lag: int = 8,
    min_period_s: float = 0.4e-3,
    max_period_s: float = MAX_PERIOD_S,
) -> float | None:
    """Repetition period of a burst train, or None (see module docstring).

    Parameters
    ----------
    starts_s : array
        Burst start times.
    tol_s, rel_tol : float
        Matching tolerance ``tol_s + rel_tol * T``.
    min_score : float
        Fraction of starts that must have a partner one period later.
    max_lag : int
        Candidate lags are to the next ``max_lag`` starts.
    min_period_s, max_period_s : float
        Shortest and longest period considered.
    """
    s = np.sort(np.asarray(starts_s, np.float64))
    if s.size < 3:
        return None
    if s.size > 4000:  # bounded cost: the most recent bursts carry the same period
        s = s[-4000:]
    lags = np.concatenate([s[j:] - s[:-j] for j in range(1, min(max_lag, s.size - 1) + 1)])
    lags = lags[(lags >= min_period_s) & (lags <= max_period_s)]
    if lags.size == 0:
        return None
    grid = np.round(lags / (2 * tol_s)).astype(np.int64)
    uniq, counts = np.unique(grid, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:24]
    candidates = np.sort(uniq[order] * (2 * tol_s))
    best: float | None = None
    gaps = np.diff(s)
    for t in candidates:  # a loop over a few candidate periods, vectorized over the starts
        tol = tol_s + rel_tol * t
        ok = s + t <= s[-1] + tol
        ok[:-1] &= gaps <= TRAIN_GAP_PERIODS * t + tol  # the last start of a train expects no partner
        if np.count_nonzero(ok) < 2:
            continue
        target = s[ok] + t
        idx = np.clip(np.searchsorted(s, target), 1, s.size - 1)
        near = np.where(np.abs(s[idx] - target) < np.abs(s[idx - 1] - target), s[idx], s[idx - 1])
        match = np.abs(near - target) <= tol
        if match.mean() >= min_score:
            best = float(np.median(near[match] - s[ok][match]))
            break
    return best


#: A burst may join any of this many most recent frequency groups (:func:`group_by_frequency`).
OPEN_GROUPS = 4


def group_by_frequency(bursts: Sequence[Burst], *, freq_tol_hz: float = 20e3) -> list[list[int]]:
    """Indices of the bursts of each frequency group (see module docstring)."""
    if not bursts:
        return []
    f = np.array([b.freq_hz for b in bursts])
    bw = np.array([b.bandwidth_hz for b in bursts])
    order = np.argsort(f, kind="stable")
    groups: list[list[int]] = [[int(order[0])]]
    # Running reference of every group: mean centre and mean bandwidth of its members.  A burst joins
    # the nearest of the last few groups that it fits (bursts are sorted by frequency, so a group's
    # centre drifts only within the tolerance): a weak spur's pieces read either narrow or several
    # times wider, and one wide piece between two narrow ones in frequency must not cut the narrow
    # group in two.
    sf, sb = [float(f[order[0]])], [float(bw[order[0]])]
    for i in order[1:]:  # loop over bursts
        best, best_d = -1, math.inf
        for gi in range(len(groups) - 1, max(len(groups) - 1 - OPEN_GROUPS, -1), -1):
            n = len(groups[gi])
            ref, gbw = sf[gi] / n, sb[gi] / n
            tol = max(freq_tol_hz, 0.4 * min(bw[i], gbw))
            similar = max(bw[i], gbw) <= 1.6 * min(bw[i], gbw) + 2 * freq_tol_hz
            d = abs(f[i] - ref)
            if d <= tol and similar and d < best_d:
                best, best_d = gi, d
        if best >= 0:
            groups[best].append(int(i))
            sf[best] += float(f[i])
            sb[best] += float(bw[i])
        else:
            groups.append([int(i)])
            sf.append(float(f[i]))
            sb.append(float(bw[i]))
    return groups


def _alternation(a: list[Burst], b: list[Burst], tol_s: float = 0.15e-3) -> float:
    """Fraction of bursts of ``a`` directly followed or preceded by a burst of ``b``."""
    sa = np.array([x.start_s for x in a])
    ea = sa + np.array([x.duration_s for x in a])
    sb = np.sort(np.array([x.start_s for x in b]))
    eb = np.sort(np.array([x.start_s + x.duration_s for x in b]))

    def near(t: NDArray[np.float64], ref: NDArray[np.float64]) -> NDArray[np.bool_]:
        idx = np.clip(np.searchsorted(ref, t), 1, max(ref.size - 1, 1))
        d = np.minimum(np.abs(ref[np.minimum(idx, ref.size - 1)] - t), np.abs(ref[idx - 1] - t))
        return np.asarray(d <= tol_s)

    return float(np.mean(near(ea, sb) | near(sa, eb)))


def _pucch_pairs(groups: list[list[int]], bursts: Sequence[Burst]) -> list[tuple[int, int]]:
    """Pairs of group indices that are the two PUCCH edges of one LTE carrier."""
    info = []
    for gi, g in enumerate(groups):
        d = np.median([bursts[i].duration_s for i in g])
        w = np.median([bursts[i].bandwidth_hz for i in g])
        f = np.median([bursts[i].freq_hz for i in g])
        if len(g) >= 2 and 0.35e-3 <= d <= 0.65e-3 and w <= 400e3:
            info.append((gi, float(f)))
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for x in range(len(info)):
        for y in range(x + 1, len(info)):
            ga, fa = info[x]
            gb, fb = info[y]
            if ga in used or gb in used:
                continue
            k = abs(fb - fa) / 180e3
            if k < 1.5 or abs(k - round(k)) > 0.2:
                continue
            a = [bursts[i] for i in groups[ga]]
            b = [bursts[i] for i in groups[gb]]
            if _alternation(a, b) >= 0.5 and _alternation(b, a) >= 0.5:
                pairs.append((ga, gb))
                used.update((ga, gb))
    return pairs


#: LTE-M narrowband: 6 PRBs of 180 kHz (TS 36.211 5.2.4).
NARROWBAND_HZ = 6 * 180e3


def _narrowband_hops(
    groups: list[list[int]], bursts: Sequence[Burst], taken: set[int]
) -> list[tuple[int, int]]:
    """Pairs of group indices that are the two narrowbands of one hopping LTE-M UE."""
    info = []
    for gi, g in enumerate(groups):
        if gi in taken:
            continue
        d = float(np.median([bursts[i].duration_s for i in g]))
        w = float(np.median([bursts[i].bandwidth_hz for i in g]))
        f = float(np.median([bursts[i].freq_hz for i in g]))
        if d >= 0.8e-3 and w <= 1.2e6:
            info.append((gi, f, w, len(g)))
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for x in range(len(info)):
        for y in range(x + 1, len(info)):
            ga, fa, wa, na = info[x]
            gb, fb, wb, nb = info[y]
            if ga in used or gb in used or na + nb < 3:
                continue
            k = round(abs(fb - fa) / NARROWBAND_HZ)
            # A group measured wider on one side has its centre moved by up to half the difference.
            if k < 1 or abs(abs(fb - fa) - k * NARROWBAND_HZ) > 40e3 + 0.5 * abs(wa - wb):
                continue
            if max(wa, wb) > 1.3 * min(wa, wb) + 40e3:
                continue
            a = [bursts[i] for i in groups[ga]]
            b = [bursts[i] for i in groups[gb]]
            if _alternation(a, b, 0.35e-3) >= 0.5 and _alternation(b, a, 0.35e-3) >= 0.5:
                pairs.append((ga, gb))
                used.update((ga, gb))
    return pairs


def build_emitters(
    bursts: Sequence[Burst], watches: Sequence[Watch], *, freq_tol_hz: float = 20e3
) -> tuple[list[Emitter], list[int]]:
    """Group bursts into classified emitters.

    Parameters
    ----------
    bursts : sequence of Burst
        Bursts of the whole analysis (images already removed).
    watches : sequence of Watch
        Watched spans (for always-on detection and the duty cycle of single bursts).
    freq_tol_hz : float
        Minimum frequency tolerance for grouping.

    Returns
    -------
    emitters : list of Emitter
        Sorted by frequency.
    assignment : list of int
        Emitter index of every burst.
    """
    groups = group_by_frequency(bursts, freq_tol_hz=freq_tol_hz)
    pairs = _pucch_pairs(groups, bursts)
    paired = {g for p in pairs for g in p}
    hops = _narrowband_hops(groups, bursts, paired)
    merged: list[tuple[list[int], str]] = []
    for ga, gb in pairs:
        merged.append((groups[ga] + groups[gb], "pucch"))
    for ga, gb in hops:
        merged.append((groups[ga] + groups[gb], "hop"))
    paired.update(g for p in hops for g in p)
    merged.extend((g, "") for gi, g in enumerate(groups) if gi not in paired)
    members = [[bursts[i] for i in idx] for idx, _ in merged]
    made = [_make_emitter(bs, watches, pair) for bs, (_, pair) in zip(members, merged, strict=True)]
    interferers = [_interferer(e, bs) for (e, inter), bs in zip(made, members, strict=True) if inter]
    emitters = [
        (_piece_of_interferer(e, bs, interferers), idx)
        for (e, _), bs, (idx, _) in zip(made, members, merged, strict=True)
    ]
    emitters.sort(key=lambda e: e[0].freq_hz)
    assignment = [-1] * len(bursts)
    for k, (_, idx) in enumerate(emitters):
        for i in idx:
            assignment[i] = k
    return [e for e, _ in emitters], assignment


#: A burst is a piece of an intermittent interferer only within this time (s) of one of its pieces
#: (the simulated spurs fading in and out stay off for up to ~0.13 s).
PIECE_NEAR_S = 0.25
#: At most this many bursts are taken for an interferer's pieces (a modem sending more often, or
#: periodically, keeps its name) ...
PIECE_MAX_BURSTS = 3
#: ... or this many weak bursts (median under WEAK_SNR_DB) of scattered lengths: a spur that came in
#: 32 pieces left 4 weak (4.2 dB) ones of 0.2-29 ms out of its group (quiet scene 940572).  A fixed
#: number, not a share of the spur's pieces, which grows with watch time: a weak session of more
#: bursts beside a spur is a modem's.  Not stronger ones: an aperiodic session of 8 NB-IoT units at
#: 14 dB beside a spur is a modem (10 such bursts beside a spur in 240 pieces, 940248, stay a false
#: uplink).  Nor bursts that repeat one length (``_repeat_one_length``): a spur's pieces last random
#: lengths, a modem's units the standard's.
PIECE_MAX_WEAK_BURSTS = 4
#: Bursts repeat one length when at least PIECE_SAME_SHARE of them (and 3) last within this share
#: (or NBIOT_LENGTH_TOL_S, 0.15 ms) of one of them.
PIECE_SAME_LENGTH = 0.05
PIECE_SAME_SHARE = 0.4


def _repeat_one_length(durations_s: NDArray[np.float64]) -> bool:
    """Whether many of these bursts last one length (``PIECE_SAME_LENGTH``, ``PIECE_SAME_SHARE``)."""
    d = np.sort(durations_s)
    tol = np.maximum(NBIOT_LENGTH_TOL_S, PIECE_SAME_LENGTH * d)
    alike = np.searchsorted(d, d + tol, side="right") - np.searchsorted(d, d - tol, side="left")
    return int(alike.max(initial=0)) >= max(3, PIECE_SAME_SHARE * d.size)


@dataclass(frozen=True)
class _Interferer:
    """An intermittent narrow interferer: its emitter, the start and end of its pieces (rows, by
    start; its always-on records left out), and its level: the median SNR of its bursts, or of its
    always-on record when that is more (a spur on most of the time reads far stronger over the
    whole capture than in its pieces, measured over a floor it raises)."""

    emitter: Emitter
    pieces: NDArray[np.float64]
    level_db: float


def _interferer(e: Emitter, bs: list[Burst]) -> _Interferer:
    pieces = sorted((b.start_s, b.end_s) for b in bs if not b.always_on)
    level = max([e.snr_db, *(b.snr_db for b in bs if b.always_on)])
    return _Interferer(e, np.array(pieces, np.float64).reshape(-1, 2), level)


def _piece_of_interferer(e: Emitter, bs: Sequence[Burst], interferers: Sequence[_Interferer]) -> Emitter:
    """``e`` named "unknown" when it is a piece of an intermittent narrow interferer, else ``e``.

    A spur fading in and out is cut into narrow bursts of random length; its weak pieces read up to
    several times wider (a fading edge, clicks' leftovers) and their centre moves by a third of that
    width, so one can fall out of the spur's frequency group and, alone, last a whole NB-IoT length
    (a strong one switching on splatters: a 48 ms piece read 273 kHz wide, an LTE-M train).  Such a
    piece is up to ``PIECE_MAX_BURSTS`` bursts (weak ones of scattered lengths: up to
    ``PIECE_MAX_WEAK_BURSTS``) with no period, no stronger than the interferer
    (``_Interferer.level_db``), within ``PIECE_NEAR_S`` of one of the interferer's pieces, and on its
    frequency: its centre inside the interferer's band or, one RB wide or less (``ONE_RB_MAX_HZ``),
    its band holding the interferer's centre.  No measurement here tells such a piece from a
    modem's; a modem sending periodically, more often, or stronger than the spur keeps its name.
    """
    if e.tech not in CELLULAR_TECHS or e.period_s is not None:
        return e
    # Narrow: one centre inside the other's band.  Wider (a strong spur switching on splatters): its
    # centre on the interferer's own narrow band.
    reach = e.bandwidth_hz if e.bandwidth_hz <= ONE_RB_MAX_HZ else 0.0
    most = PIECE_MAX_BURSTS
    if (
        e.snr_db < WEAK_SNR_DB
        and e.burst_count > most
        and not _repeat_one_length(np.array([b.duration_s for b in bs]))
    ):
        most = PIECE_MAX_WEAK_BURSTS
    for it in interferers:  # a loop over the few interferers of a capture
        i, pieces = it.emitter, it.pieces
        near = (pieces[:, 0] <= e.last_s + PIECE_NEAR_S) & (pieces[:, 1] >= e.first_s - PIECE_NEAR_S)
        if (
            e.burst_count <= most
            and e.burst_count < i.burst_count
            and e.snr_db <= it.level_db
            and abs(e.freq_hz - i.freq_hz) <= max(reach, i.bandwidth_hz) / 2
            and bool(near.any())
        ):
            return replace(
                e,
                tech="unknown",
                confidence=0.2,
                reason=(
                    f"{e.burst_count} burst(s) on the frequency of an intermittent narrow interferer "
                    f"({i.freq_hz / 1e6:.4f} MHz, {i.burst_count} bursts), beside its pieces and no "
                    f"stronger: read as one of them (a {e.tech} shape alone: {e.reason})"
                ),
                tech_alternatives=(),
            )
    return e


def _make_emitter(bs: list[Burst], watches: Sequence[Watch], pair: str) -> tuple[Emitter, bool]:
    """One emitter from its bursts, and whether it is an intermittent narrow interferer
    (``Classification.interferer``, or an always-on tone that also came in two or more pieces: it
    faded out and back; a sweep's revisits add always-on records, not pieces); ``pair`` is "pucch",
    "hop" (LTE-M narrowbands) or ""."""
    is_pair = pair != ""
    start = np.array([b.start_s for b in bs])
    dur = np.array([b.duration_s for b in bs])
    f = np.array([b.freq_hz for b in bs])
    bw = np.array([b.bandwidth_hz for b in bs])
    if is_pair:
        lo, hi = float(np.min(f - bw / 2)), float(np.max(f + bw / 2))
        freq, width = (lo + hi) / 2, hi - lo
    else:
        freq, width = float(np.median(f)), float(np.median(bw))
    first, last = float(start.min()), float((start + dur).max())
    on = float(dur.sum())
    # The watches this emitter's bursts came from (their capture centres): overlapping sweep hops
    # keep only their own window, so a spur kept by one hop is measured against that hop's time only,
    # and a signal on a hop boundary kept by both against both.  (Else: the watches around it.)
    centres = {b.center_hz for b in bs}
    relevant = [w for w in watches if any(abs(w.center_hz - c) < 1.0 for c in centres)] or [
        w for w in watches if w.contains(freq)
    ]
    watched = sum(w.watched_s for w in relevant) or (last - first)
    occupancy = min(on / watched, 1.0) if watched > 0 else 1.0
    # On through every capture it was seen in, in two or more (a sweep's visits): a weak always-on
    # signal that the other visits missed is still always on (one such visit could be a long unit).
    continuous = occupancy >= 0.9 or (len(bs) >= 2 and all(b.always_on for b in bs))
    duty = occupancy if continuous or len(bs) == 1 else min(on / max(last - first, 1e-12), 1.0)
    period = None if continuous else estimate_period(start)
    span = max((w.span_hz for w in relevant), default=float(np.max(bw)))
    centre = relevant[0].center_hz if relevant else freq
    edge = span / 2 - (abs(freq - centre) + width / 2)
    feats = EmitterFeatures(
        durations_s=dur,
        bandwidths_hz=bw,
        chirp_scores=np.array([b.chirp_score for b in bs]),
        period_s=period,
        occupancy=occupancy,
        span_hz=span,
        edge_distance_hz=edge,
        pucch_pair=pair == "pucch",
        narrowband_hop=pair == "hop",
        sweeps=np.array([b.sweep for b in bs]),
        drift_ts=np.array([b.drift_t for b in bs]),
        snrs_db=np.array([b.snr_db for b in bs]),
        span_s=last - first,
        impulsive=np.array([b.impulsive for b in bs]),
        tone_shares=np.array([b.tone_share for b in bs]),
        in_clicks=2 * sum(b.in_clicks for b in bs) >= len(bs),
    )
    cls: Classification = classify(feats)
    return Emitter(
        freq_hz=freq,
        bandwidth_hz=width,
        tech=cls.tech,
        burst_count=len(bs),
        first_s=first,
        last_s=last,
        duty_cycle=float(duty),
        period_s=period,
        peak_dbfs=float(max(b.peak_dbfs for b in bs)),
        snr_db=float(np.median([b.snr_db for b in bs])),
        confidence=cls.confidence,
        reason=cls.reason,
        continuous=continuous,
        tech_alternatives=cls.alternatives,
    ), cls.interferer or (cls.tech == "cw" and sum(not b.always_on for b in bs) >= 2)
