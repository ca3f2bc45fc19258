"""Cellular technology from the time-frequency shape of an emitter's bursts.

Features (vectorized over the bursts of an emitter) and the facts they rest on (3GPP TS 45.001/45.002
for GSM, TS 36.211 for LTE; see docs/rf reference):

* GSM: GMSK ~200 kHz channel (measured occupied width 150-320 kHz), normal burst 148 bits = 546 us,
  access burst 88 bits = 325 us, multislot (uplink, up to 5 slots) n x 577 us; TDMA frame 60/13 ms = 4.615 ms.
* LTE: SC-FDMA in 180 kHz resource blocks, 0.5 ms slots / 1 ms subframes; PRACH format 0 is
  839 x 1.25 kHz = 1.05 MHz for 0.9 ms; PUCCH hops between the two carrier edges each slot.
* NB-IoT: one 180 kHz RB or single 3.75/15 kHz tones, ms-long repetitions.  LTE-M: <= 6 RB (1.08 MHz)
  narrowbands with long repetition trains.
* UMTS: 3.84 Mcps, ~4.2-5 MHz, wider than a 2.4 MS/s capture (seen as filling it).
* CW: a few bins wide and always on.  Chirps (LoRa) sweep their band: their frame-to-frame centroid
  moves consistently in one direction, and (however slowly they sweep) it spreads over ~1/sqrt(12)
  of the band (:attr:`rfscan.dsp.detect.Burst.sweep`).

Timing outweighs shape where the shape is unreliable: a period on the 577 us GSM slot grid that is
not a whole number of ms is GSM even when weak bursts measure like 0.5 ms LTE slots.  Below
``WEAK_SNR_DB`` (8 dB median burst SNR) burst edges are under the noise: a single weak burst is
"unknown" (unless PRACH- or chirp-shaped), and weak emitters are called "noncellular" only from a
chirp's evidence (nor NB-IoT unless repeated or long): their measured shapes are not trusted to rule a
cellular one out.  A burst 100-250 kHz wide whose own centroid drifts one way through it (|t| >= 10,
``DRIFT_T_CHIRP``) is a chirp at any SNR: a weak LoRa packet's long pieces pass for NB-IoT units.
A weak chirp breaks into short pieces whose centroid spread is mostly noise, but each piece's centroid
still drifts with the chirp: >= 3 pieces of a weak emitter, wider than 60 kHz, that
nearly all drift the same way (Stouffer sum of their regression t statistics,
:attr:`rfscan.dsp.detect.Burst.drift_t`) are "noncellular"; a stationary or hopping signal's pieces
drift both ways.  A weak narrow unit (a single NB-IoT tone reads as narrow as a CW spur) is NB-IoT
only when it lasts, or its pieces span, an NB-IoT length (4, 8, 16, 32... ms, within 6%), from 2 dB,
and it fills little of the watched time; of three or more such units, at least half must each last
such a length.
LTE-M and an LTE PUSCH of <= 6 RB have the same per-subframe shape; what tells them apart is timing
(Rel-13 eMTC, TS 36.211/36.213): an LTE-M transmission is repeated over many consecutive subframes
(CE mode A up to 32, mode B up to 2048) and may hop between two 6-PRB (1.08 MHz) narrowbands every
1-8 ms with a retuning gap of up to 2 symbols (~0.14 ms).  "ltem": <= 1.2 MHz bursts of >= 4 ms
(a repetition train), or bursts alternating between two narrowbands (``narrowband_hop``, set by the
grouping); an LTE PUSCH is scheduled one 1 ms subframe at a time, so anything else on the LTE grid is
"lte".  One PRB for several ms stays "nbiot": a 12-tone NB-IoT NPUSCH has the same shape as a one-PRB
LTE-M repetition train (said in the reason).
Bursts made mostly where clicks of impulsive noise were taken out (``impulsive``, set by the
pipeline) stay "unknown" unless the lower quartile of the SNRs of the bursts clicks were taken out of
reaches 10 dB; in a capture full of clicks (``in_clicks``) so do weak bursts under 2 ms with no period
(what clicks too weak to be found leave), PRACH-shaped and chirped ones excepted.  A narrow emitter
is NB-IoT only when most of its strong bursts last an NB-IoT transmission (whole 1 ms units, or
5.6/6.4 ms NPRACH multiples; as narrow as a tone, only the lengths a one- or three-tone NPUSCH or an
NPRACH can take: 2, 4, 5.6, 6.4, 8, 11.2, 12 ms...); a spur fading in and out keeps to no such
length, and of three or more weak bursts at least half must each last such a length (from five
weak bursts shaped as a tone, more of them than lengths drawn at random would).  A burst with
most of its energy in three bins
(``Burst.tone_share``) is no GSM burst, RB or PRACH (their energy is spread over 13-110 bins; a GSM
FCCH burst, a pure tone, is named by its own rule); with
clicks taken out of some of its frames it is as narrow as a tone whatever its 98% span: a click's
leftovers widen a spur's burst to an RB or more, never its core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["TECHS", "Classification", "EmitterFeatures", "classify"]

TECHS = ("gsm", "lte", "nbiot", "ltem", "umts", "nr", "cw", "noncellular", "unknown")

GSM_SLOT_S = 15e-3 / 26
GSM_FRAME_S = 8 * GSM_SLOT_S
GSM_ACCESS_S = 88 * 6 / 1625e3
GSM_NORMAL_S = 148 * 6 / 1625e3
RB_HZ = 180e3
#: Below this median burst SNR (dB, in the measured width) burst edges are under the noise: the shape
#: of one burst is not trusted to tell the technology, nor that of several to rule a cellular one out.
WEAK_SNR_DB = 8.0
#: A weak single burst that fits a GSM burst or an LTE subframe to within 60 us is classified from
#: this median SNR (dB) up (at 5 dB in a 200 kHz burst each 107 us frame is still ~3 sigma over the
#: noise, so its edges are placed to about a frame).
SHAPE_SNR_DB = 5.0
#: A weak burst of 2 ms or more is measured well enough from this SNR (dB) up.
LONG_SNR_DB = 4.0
#: Narrowest 98% span of a GSM access burst at >= WEAK_SNR_DB: in 3 frames it keeps only the core of
#: its GMSK spectrum over the noise (measured 110-135 kHz at 8-9 dB); nothing else cellular is that
#: short (LTE slots are 0.5 ms, NB-IoT units >= 1 ms).  Other GSM bursts: 120 kHz, or this width
#: when GSM frame timing backs them.
GSM_MIN_HZ = 100e3
#: Lengths (s) a weak tone-narrow unit is read at: one resource unit of 3 tones (4 ms) or 1 tone
#: (8 ms at 15 kHz, 32 ms at 3.75 kHz), repeated 2**k times (TS 36.211 10.1.2.3, TS 36.213 16.5), a
#: subset of NBIOT_TONE_LENGTHS_S (a weak unit's length is looked at with a wide, relative tolerance:
#: the full table would accept most lengths), and that tolerance (its edges under the noise).
NARROW_UNIT_LENGTHS_S = 4e-3 * 2.0 ** np.arange(6)
NARROW_UNIT_TOL = 0.06
#: A narrow unit of such a length is measured well enough from this SNR (dB).
NARROW_UNIT_SNR_DB = 2.0
#: Widest 98% span of a one-RB (180 kHz) signal: SC-FDMA skirts and a weak edge add up to ~50 kHz.
ONE_RB_MAX_HZ = 250e3
#: Longest period read as LTE timing: SRS periodicity up to 320 ms (TS 36.213 8.2).
LTE_MAX_PERIOD_S = 0.32
#: Widest 98% span of a weak CW tone (a spur): 2-4 bins of 9.4 kHz.  A weak single-tone NB-IoT unit
#: reads 25-110 kHz (its pi/2-BPSK sidelobes, less those under the noise), so a weak narrow "unit"
#: must be wider than this or last an NB-IoT unit length.
CW_MAX_HZ = 45e3
#: A weak tone's 98% span reads wider than the tone (the noise of its sides): 15 kHz NB-IoT tones at
#: 6-10 dB in their own width read 29-83 kHz (8 ms units, 8 seeds each); a spur fading in and out at
#: 5-8 dB read 48 kHz (quiet scene 940646; median tone share 0.98).  Three or more weak bursts too
#: weak to measure their shape flag an intermittent narrow interferer (``Classification.interferer``)
#: up to CW_MAX_HZ, and up to this width when shaped as a tone (at least half of them with a tone
#: share >= TONE_SHARE: not the fragments of a weak multi-tone NB-IoT unit).
WEAK_TONE_MAX_HZ = 90e3
#: A burst with this share of its energy in three adjacent bins (:attr:`rfscan.dsp.detect.Burst.tone_share`)
#: is shaped as a tone, narrower than ~3 NB-IoT tones of 15 kHz (a 3-tone unit reads 0.58-0.67, a
#: single 15 kHz tone 0.87-0.88, a spur 0.94-0.98 through the Tukey window; a spur's bursts widened by
#: a click's leftovers read 0.76-0.95 with 98% spans of 120-560 kHz).  Such a burst is no GSM burst,
#: RB or PRACH, and is judged on the lengths of a tone-narrow NB-IoT transmission
#: (NBIOT_TONE_LENGTHS_S), as the standard has them.
TONE_SHARE = 0.7
#: It is read as narrow as a tone (CW_MAX_HZ) whatever its 98% span when clicks were taken out of at
#: least this share of its frames: their leftovers widen a tone's 98% span (measured 0.18-0.92 in the
#: bursts of spurs read as LTE or NB-IoT in 1 h of quiet scenes with impulsive noise).  Without clicks
#: a burst's 98% span is its own: a single 15 kHz NB-IoT tone reads 25-110 kHz from its sidelobes,
#: which is what tells it from a spur (CW_MAX_HZ).
TONE_IMPULSIVE = 0.1
#: Stretch (s) of a weak narrow transmission seen in pieces: NB-IoT resource units last 1-32 ms
#: (TS 36.211 10.1.2.3: single tone 8 ms at 15 kHz, 32 ms at 3.75 kHz), twice that with edges lost.
NARROW_UNIT_S = (2e-3, 64e-3)
#: Weak drift test (pieces of a weak chirp): per-piece centroid-drift t statistics are clipped to
#: +-DRIFT_T_CLIP (a few frames give heavy-tailed t values), and their Stouffer sum must reach
#: DRIFT_Z_MIN with >= DRIFT_ONE_WAY of the clear (|t| >= 1) pieces, >= DRIFT_MIN_PIECES of them,
#: drifting the same way (all of them up to 5 pieces, one dissenting from 6; a LoRa packet's 2.25
#: sync down-chirps may give a few of the other sign; with the z gate, 5 of 6 noise pieces agreeing
#: by chance is rare).  A piece holding a frequency step also gives a large |t| (an NB-IoT
#: NPRACH tone hops by 3.75 or 22.5 kHz every 1.4 ms, TS 36.211 10.1.6), but its steps go both ways;
#: and the pieces must be wider than DRIFT_MIN_HZ.  That width does not keep NPRACH out by itself:
#: its tone hops within 45 kHz, but its pieces read 46-73 kHz (the tone's own width and the
#: window's); its steps going both ways do (8-32 repetitions at 10-17 dB in 3.75 kHz were never
#: "noncellular", stop 15).
DRIFT_T_CLIP = 4.0
DRIFT_Z_MIN = 4.0
DRIFT_MIN_PIECES = 3
DRIFT_ONE_WAY = 5 / 6
DRIFT_MIN_HZ = 60e3
#: A burst of DRIFT_CHIRP_MIN_HZ to ONE_RB_MAX_HZ whose own centroid drift t statistic
#: (:attr:`rfscan.dsp.detect.Burst.drift_t`) reaches this is a chirp.  Measured over the detection
#: benchmark's scenes (with and without clicks): cellular bursts 60-250 kHz wide (GSM, one RB,
#: NB-IoT, LTE-M) read |t| <= 4.4 (597 bursts, 99th percentile 3); LoRa bursts a median of 8.6, over
#: 30 in the weak packets that were named NB-IoT (131-199 kHz wide).  An NB-IoT NPRACH preamble (its
#: tone hopping within 45 kHz; simulator kind ``nprach``) reads |t| up to ~12 and 46-73 kHz wide,
#: hence the floor; wider than ONE_RB_MAX_HZ a PRACH's Zadoff-Chu sweep reads up to 70 and an LTE-M
#: dwell crossing a hop 11.5: the test stays out of both.
DRIFT_T_CHIRP = 10.0
DRIFT_CHIRP_MIN_HZ = 100e3
#: Bursts made mostly (this share of their frames) where clicks of impulsive noise were taken out
#: are not classified unless the lower quartile of the SNRs of the bursts clicks were taken out of
#: reaches IMPULSIVE_TRUST_DB (the median until 2 of 3 GSM-shaped click leftovers at 8.1, 11.1 and
#: 14.2 dB were named a GSM uplink once in 1 h of quiet scenes with clicks): what is left of a dense
#: click train can read as a weak burst of random shape.  (15 dB, with the scale-back of whole
#: frames this replaced, left 3 of 130 modem emitters in click-filled scenes unnamed; under 10 dB
#: a click train's leftovers were named LTE-M once in 600 s of such scenes.)
IMPULSIVE_SHARE = 0.5
IMPULSIVE_TRUST_DB = 10.0
#: Wider than this (Hz, more than six RBs and a PRACH) an uplink burst is a PUSCH or a WCDMA signal.
WIDE_HZ = 1.2e6
#: Shortest LTE-M repetition train (4 subframes, CE mode A), less one 107 us frame of edge error.
TRAIN_MIN_S = 3.9e-3
#: Lengths (s) whose whole multiples an NB-IoT uplink transmission lasts: resource units of 12 tones
#: (1 ms), 6 tones or one tone of NPUSCH format 2 (2 ms), 3 tones (4 ms), one tone (8 or 32 ms), times
#: units and repetitions (TS 36.211 10.1.2.3, TS 36.213 16.5); NPRACH repeats a 5.6 ms (format 0) or
#: 6.4 ms (format 1) preamble (TS 36.211 10.1.6).  As narrow as one tone (<= CW_MAX_HZ), the 1 ms unit
#: of 12 tones does not apply.
NBIOT_UNITS_S = (1e-3, 5.6e-3, 6.4e-3)


#: Longest single NPUSCH burst: 256 ms, then a 40 ms gap (TS 36.211 10.1.3.6).
NBIOT_MAX_BURST_S = 0.256


def _tone_unit_lengths() -> NDArray[np.float64]:
    """Every length (s) of a tone-narrow NB-IoT transmission, sorted: NPUSCH format 2 (one tone, a
    2 ms or 8 ms unit), format 1 on one tone (8 or 32 ms units) or 3 tones (4 ms), times N_RU of
    {1, 2, 3, 4, 5, 6, 8, 10} units (format 1), times N_rep of {1, 2, ... 128} repetitions (TS 36.211
    10.1.2.3, TS 36.213 16.5.1.1 Tables 16.5.1.1-2 and -3), up to 256 ms; NPRACH: 1-64 repetitions
    (2**k) of a 5.6 or 6.4 ms preamble (TS 36.211 10.1.6)."""
    reps = 2.0 ** np.arange(8)
    n_ru = np.array([1, 2, 3, 4, 5, 6, 8, 10], np.float64)
    fmt1 = np.outer(np.array([4e-3, 8e-3, 32e-3]), n_ru).ravel()
    npusch = np.outer(np.concatenate([fmt1, [2e-3, 8e-3]]), reps).ravel()
    # After 256 ms of NPUSCH a UE stops for a 40 ms gap (TS 36.211 10.1.3.6): no burst is longer;
    # NPRACH stops after 64 preambles (TS 36.211 10.1.6.1).
    npusch = npusch[npusch <= NBIOT_MAX_BURST_S]
    nprach = np.outer(np.array([5.6e-3, 6.4e-3]), reps[:7]).ravel()
    return np.unique(np.concatenate([npusch, nprach]))


#: Lengths of tone-narrow NB-IoT transmissions (<= CW_MAX_HZ, or tone-shaped): not every whole
#: number of 2 ms (6, 10 or 14 ms is none).
NBIOT_TONE_LENGTHS_S = _tone_unit_lengths()
#: How far (s) a burst clearly over the noise (>= WEAK_SNR_DB) may read from such a length: its edges
#: are placed to well within a 107 us frame (0.5 % of a long one: the dongle's clock error).  (A spur
#: fading in and out keeps to no such length: on a 1 ms grid 30 % of random lengths pass, on a 2 ms
#: grid 15 %; most of an emitter's bursts must.)
NBIOT_LENGTH_TOL_S = 0.15e-3
NBIOT_LENGTH_SHARE = 0.6
#: Of UNIT_CHANCE_MIN_BURSTS or more weak bursts shaped as a tone (as a spur is), the count lasting
#: NB-IoT lengths must exceed what lengths drawn at random give (:func:`_unit_length_chance`, within
#: UNIT_CHANCE_REACH_S or UNIT_CHANCE_REACH of each length, UNIT_CHANCE_POINTS of them) by
#: UNIT_CHANCE_Z standard deviations, unless they repeat one length.  A weak burst's 2 % tolerance
#: passes 20-35 % of random lengths on the tone-narrow table (NBIOT_TONE_LENGTHS_S) and 20-100 % on
#: the 1 ms grid (all of them from ~25 ms): a spur fading in and out for 0.3-51 ms at 7 dB, two thirds
#: of its pieces tone-shaped, had 22 of 42 pass where chance gives 18 (z = 1.6, quiet scene 990396),
#: and was NB-IoT.  In a held-out hour of quiet scenes (1000000) one emitter came to this test
#: (z = 1.5).  Drawn at random (a review, 4000 draws each), such spurs were NB-IoT 18 % of the time
#: before the test and 4-5 % with it; weak single-tone sessions of 8/16/32 ms units read within
#: 0.1-0.3 ms, some broken in pieces, lost 2-4 points (66 -> 64 %), none when read within 0.1 ms and
#: whole.  Fewer bursts give the test little power: from 3 to 4 the share rule alone.  Weak bursts of
#: several tones (most not tone-shaped) keep the share rule alone too: their units of 8-32 ms are
#: read to no better than chance (z = -0.4 to 1.7 in 6 of 150 sessions at 3-10 dB), and no spur
#: reads as they do.  (The normal approximation passes up to 5-6 % of chance draws at 3-5 bursts;
#: an exact tail would lose 9 points of weak sessions.)
UNIT_CHANCE_MIN_BURSTS = 5
UNIT_CHANCE_REACH_S = 0.5e-3
UNIT_CHANCE_REACH = 0.25
UNIT_CHANCE_POINTS = 65
UNIT_CHANCE_Z = 2.0


@dataclass(frozen=True)
class Classification:
    """Technology guess with a confidence in [0, 1] and a human-readable reason."""

    tech: str
    confidence: float
    reason: str
    #: Other technologies whose transmissions have the same measured shape and timing (e.g. a
    #: one-RB repetition train: NB-IoT 12-tone NPUSCH or one-PRB LTE-M); empty when none.
    alternatives: tuple[str, ...] = ()
    #: Narrow bursts switching on and off at random lengths, or several weak ones about as narrow as a
    #: tone (``WEAK_TONE_MAX_HZ``): a spur fading in and out, an intermittent interferer.  A few
    #: weaker bursts beside its pieces, on its frequency, are its pieces too (``rfscan.dsp.emitters``,
    #: which also counts an always-on tone that came in pieces).
    interferer: bool = False


@dataclass(frozen=True)
class EmitterFeatures:
    """What the classifier looks at (arrays are per burst).

    Attributes
    ----------
    durations_s, bandwidths_hz, chirp_scores : ndarray
        Per-burst duration, occupied bandwidth and chirp score.
    period_s : float or None
        Repetition period of the burst starts.
    occupancy : float
        On-time over the time the emitter's frequency was watched.
    span_hz : float
        Capture bandwidth (sample rate).
    edge_distance_hz : float
        Distance of the emitter's occupied band to the nearest capture edge (<= 0: touching).
    pucch_pair : bool
        Bursts alternate between two symmetric carrier edges every 0.5 ms.
    narrowband_hop : bool
        <= 6 PRB bursts alternate between two narrowbands (whole multiples of 1.08 MHz apart) with
        short retuning gaps (:func:`rfscan.dsp.emitters.build_emitters`).
    sweeps : ndarray or None
        Per-burst sweep statistic (:attr:`rfscan.dsp.detect.Burst.sweep`); None: not measured.
    drift_ts : ndarray or None
        Per-burst t statistic of the centroid drift (:attr:`rfscan.dsp.detect.Burst.drift_t`; 0: not
        measured); None: not measured.
    snrs_db : ndarray or None
        Per-burst SNR; None: not measured (taken as strong).
    span_s : float or None
        From the start of the first burst to the end of the last; None: not known.
    impulsive : ndarray or None
        Per-burst share of its frames out of which clicks of impulsive noise were taken
        (:attr:`rfscan.dsp.detect.Burst.impulsive`); None: not measured.
    tone_shares : ndarray or None
        Per-burst share of the energy in its three strongest adjacent bins
        (:attr:`rfscan.dsp.detect.Burst.tone_share`); None: not measured.
    in_clicks : bool
        At least half of the bursts were seen in a capture full of impulsive noise
        (:attr:`rfscan.dsp.detect.Burst.in_clicks`): weak short ones with no period are not named.
    """

    durations_s: NDArray[np.float64]
    bandwidths_hz: NDArray[np.float64]
    chirp_scores: NDArray[np.float64]
    period_s: float | None
    occupancy: float
    span_hz: float
    edge_distance_hz: float
    pucch_pair: bool = False
    narrowband_hop: bool = False
    sweeps: NDArray[np.float64] | None = None
    drift_ts: NDArray[np.float64] | None = None
    snrs_db: NDArray[np.float64] | None = None
    span_s: float | None = None
    impulsive: NDArray[np.float64] | None = None
    tone_shares: NDArray[np.float64] | None = None
    in_clicks: bool = False


def _near_multiple(
    x: NDArray[np.float64] | float, unit: float, tol: NDArray[np.float64] | float
) -> NDArray[np.bool_]:
    x = np.asarray(x, np.float64)
    k = np.maximum(np.round(x / unit), 1.0)
    return np.asarray(np.abs(x - k * unit) <= tol)


def _nbiot_lengths(
    dur: NDArray[np.float64], snr: NDArray[np.float64], tone_narrow: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Per burst: whether its length is that of an NB-IoT transmission (a whole number of
    ``NBIOT_UNITS_S``, or one of ``NBIOT_TONE_LENGTHS_S`` where ``tone_narrow``: a tone-narrow
    burst), to ``NBIOT_LENGTH_TOL_S`` when the burst is clearly over the noise and to
    ``max(0.1 ms, 2 %)`` when weak (its edges under the noise)."""
    tol = np.where(
        snr >= WEAK_SNR_DB, np.maximum(NBIOT_LENGTH_TOL_S, 0.005 * dur), np.maximum(0.1e-3, 0.02 * dur)
    )
    ok = np.zeros(dur.size, bool)
    tone = np.asarray(tone_narrow, bool)
    if tone.any():
        d, t = dur[tone], tol[tone]
        table = NBIOT_TONE_LENGTHS_S
        i = np.clip(np.searchsorted(table, d), 1, table.size - 1)
        ok[tone] = np.minimum(np.abs(d - table[i - 1]), np.abs(d - table[i])) <= t
    rest = ~tone
    if rest.any():
        d, t = dur[rest], tol[rest]
        whole = np.zeros(d.size, bool)
        for u in NBIOT_UNITS_S:  # a loop over three unit lengths
            whole |= _near_multiple(d, u, t) & (d >= u - t)
        ok[rest] = whole
    return ok


def _unit_length_chance(
    dur: NDArray[np.float64], snr: NDArray[np.float64], tone_narrow: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Per burst: the chance that a length drawn at random near its own (within the larger of
    ``UNIT_CHANCE_REACH_S`` and ``UNIT_CHANCE_REACH`` of it) passes :func:`_nbiot_lengths` at its
    SNR: what a signal switching on and off at random lengths scores.  A weak burst's tolerance is
    2 % of its length, so on the 1 ms grid every length from ~25 ms on passes (chance 1: its length
    tells nothing); on the sparser tone-narrow table 20-35 % do."""
    reach = np.maximum(UNIT_CHANCE_REACH_S, UNIT_CHANCE_REACH * dur)
    near = dur[:, None] + reach[:, None] * np.linspace(-1.0, 1.0, UNIT_CHANCE_POINTS)[None, :]
    near = np.maximum(near, 1e-6).ravel()
    s = np.repeat(snr, UNIT_CHANCE_POINTS)
    ok = _nbiot_lengths(near, s, np.repeat(tone_narrow, UNIT_CHANCE_POINTS))
    return np.asarray(ok.reshape(dur.size, UNIT_CHANCE_POINTS).mean(axis=1), np.float64)


def _lengths_beyond_chance(units_ok: NDArray[np.bool_], chance: NDArray[np.float64]) -> bool:
    """Whether more bursts last NB-IoT lengths than chance gives, by ``UNIT_CHANCE_Z`` standard
    deviations of the number chance gives (a sum of independent Bernoulli trials)."""
    excess = float(np.count_nonzero(units_ok)) - float(chance.sum())
    sd = math.sqrt(float((chance * (1.0 - chance)).sum()) + 1e-9)
    return excess >= UNIT_CHANCE_Z * sd


def _narrow_unit_length(duration_s: float) -> bool:
    """Whether a duration is that of a tone-narrow NB-IoT transmission (``NARROW_UNIT_LENGTHS_S``)."""
    return bool(_narrow_unit_lengths(np.array([duration_s]))[0])


def _narrow_unit_lengths(durations_s: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Per duration: whether it is that of a tone-narrow NB-IoT transmission."""
    rel = np.abs(durations_s[:, None] / NARROW_UNIT_LENGTHS_S[None, :] - 1.0)
    return np.asarray((rel <= NARROW_UNIT_TOL).any(axis=1))


def _drift_z(t: NDArray[np.float64]) -> float | None:
    """Stouffer z of the pieces' centroid-drift t statistics when they show one chirp, else None.

    A stationary signal's pieces give t values scattered about 0 (their sum over sqrt(n) is about
    unit-normal); the pieces of a weak chirp each drift a little, the same way.
    """
    v = np.clip(t[t != 0.0], -DRIFT_T_CLIP, DRIFT_T_CLIP)
    clear = v[np.abs(v) >= 1.0]
    if clear.size < DRIFT_MIN_PIECES:
        return None
    one_way = max(float(np.mean(clear > 0)), float(np.mean(clear < 0)))
    z = float(v.sum()) / float(np.sqrt(v.size))
    return z if abs(z) >= DRIFT_Z_MIN and one_way >= DRIFT_ONE_WAY else None


def _clicked_snr(snr: NDArray[np.float64], impulsive: NDArray[np.float64]) -> float:
    """Lower quartile of the SNRs of the bursts clicks were taken out of (all bursts when none)."""
    some = snr[impulsive > 0]
    return float(np.percentile(some if some.size else snr, 25))


def classify(f: EmitterFeatures) -> Classification:
    """Classify one emitter from its features (see module docstring for the rules)."""
    dur = np.asarray(f.durations_s, np.float64)
    bw = np.asarray(f.bandwidths_hz, np.float64)
    n = dur.size
    # (A weak chirp's short pieces are tone-shaped too: the drift test goes by the measured width.)
    med_bw_98 = float(np.median(bw)) if n else 0.0
    shares = np.zeros(n) if f.tone_shares is None or f.tone_shares.size != n else np.asarray(f.tone_shares)
    tone_shaped = shares >= TONE_SHARE  # no GSM burst, RB or PRACH: their energy is spread
    tone_like = n > 0 and float(np.mean(tone_shaped)) >= 0.5
    if f.impulsive is not None and f.impulsive.size == n:
        # A tone whose 98% span a click's leftovers widened is as narrow as a tone.
        widened = tone_shaped & (np.asarray(f.impulsive) >= TONE_IMPULSIVE)
        bw = np.where(widened, np.minimum(bw, CW_MAX_HZ), bw)
    if n == 0:
        return Classification("unknown", 0.0, "no bursts")
    med_bw = float(np.median(bw))
    med_dur = float(np.median(dur))
    continuous = f.occupancy >= 0.9
    # Per-burst shape tests (vectorized).
    slots = np.arange(2, 6) * GSM_SLOT_S - (GSM_SLOT_S - GSM_NORMAL_S)  # multislot uplink: <= 5 slots
    gsm_dur = (
        (np.abs(dur - GSM_ACCESS_S) <= 70e-6)
        | (np.abs(dur - GSM_NORMAL_S) <= 70e-6)
        | (np.abs(dur[:, None] - slots[None, :]) <= 90e-6).any(axis=1)
    )
    # Weak bursts read narrower (skirts under the noise).  An access burst of 3 frames clearly over
    # the noise may keep only the core of its spectrum: nothing else cellular is that short.
    snr = np.full(n, np.inf) if f.snrs_db is None or f.snrs_db.size != n else np.asarray(f.snrs_db)
    access = (np.abs(dur - GSM_ACCESS_S) <= 70e-6) & (snr >= WEAK_SNR_DB)
    gsm_bw = ((bw >= 120e3) | (access & (bw >= GSM_MIN_HZ))) & (bw <= 320e3) & ~tone_shaped
    # LTE transmits whole 0.5 ms slots / 1 ms subframes; a long run of subframes (a repetition train)
    # is measured to within a couple of frames at each edge, so the tolerance grows a little with it.
    lte_dur = _near_multiple(dur, 0.5e-3, np.maximum(80e-6, 0.02 * dur)) & (dur >= 0.42e-3) & (dur <= 10.0)
    # Wider than six RBs an LTE uplink burst is a PUSCH of whole 1 ms subframes (PUCCH is one RB, PRACH
    # 1.05 MHz); clearly over the noise its length reads to well within a frame (0.5 % of a long run of
    # subframes).  (Impulsive noise from switching equipment fills the whole capture for random stretches.)
    wide_strong = (bw >= WIDE_HZ) & (snr >= WEAK_SNR_DB)
    lte_dur &= ~wide_strong | _near_multiple(dur, 1e-3, np.maximum(NBIOT_LENGTH_TOL_S, 0.005 * dur))
    lte_bw = (bw >= 150e3) & ~tone_shaped
    # PRACH format 0: 1.05 MHz x 0.9 ms; the 98% span of its flat spectrum reads 0.85-1.1 MHz (less
    # near a capture edge, where the anti-alias filter rolls it off; its slowly sweeping roots can read
    # shorter when the sweep leaves the band edge under the noise).
    prach = (dur >= 0.6e-3) & (dur <= 1.05e-3) & (bw >= 0.8e6) & (bw <= 1.3e6) & ~tone_shaped
    sweep = np.zeros(n) if f.sweeps is None else np.asarray(f.sweeps, np.float64)
    # A chirp moves its narrow instantaneous line across its band: per-frame centroid steps in one
    # direction (fast chirps) or a centroid spread of ~1/sqrt(12) of the band (any sweep rate).
    chirp = (np.asarray(f.chirp_scores) >= 0.75) | (sweep >= 0.18)
    if f.drift_ts is not None and f.drift_ts.size == n:
        # One RB wide or less, a centroid drifting one way through the burst is a chirp's, even when
        # too noisy for the sweep (a weak LoRa packet read as an NB-IoT unit).
        drifting = np.abs(np.asarray(f.drift_ts, np.float64)) >= DRIFT_T_CHIRP
        chirp |= drifting & (bw >= DRIFT_CHIRP_MIN_HZ) & (bw <= ONE_RB_MAX_HZ)
    f_gsm = float(np.mean(gsm_dur & gsm_bw))
    f_lte = float(np.mean(lte_dur & lte_bw))
    f_prach = float(np.mean(prach))
    f_chirp = float(np.mean(chirp))
    p = f.period_s
    # The pattern of a phone's bursts repeats every TDMA frame; with several slots per frame the
    # shortest repeat can be a whole number of slots (slots 0 and 4: half a frame).
    gsm_period = p is not None and (
        bool(_near_multiple(p, GSM_FRAME_S, 0.02 * GSM_FRAME_S))
        or (p < GSM_FRAME_S and bool(_near_multiple(p, GSM_SLOT_S, 0.03 * GSM_SLOT_S)))
    )
    # LTE periodic transmissions repeat on whole subframes up to 320 ms (SRS, TS 36.213 8.2); past
    # ~0.1 s a relative tolerance would accept any period (every value is within 0.5 ms of a ms).
    lte_period = (
        p is not None
        and p <= LTE_MAX_PERIOD_S
        and bool(_near_multiple(p, 1e-3, min(max(0.02e-3, 0.005 * p), 0.2e-3)))
    )
    at_edge = f.edge_distance_hz <= 3 * f.span_hz / 256  # touches the capture edge
    wide = med_bw >= WIDE_HZ and at_edge

    if continuous and med_bw <= 60e3:
        return Classification(
            "cw", 0.9, f"always on ({f.occupancy:.0%} of the watched time), {med_bw / 1e3:.0f} kHz wide"
        )
    med_snr = None if f.snrs_db is None or f.snrs_db.size == 0 else float(np.median(f.snrs_db))
    if (
        f.impulsive is not None
        and f.impulsive.size == n
        and float(np.mean(f.impulsive)) >= IMPULSIVE_SHARE
        and (med_snr is None or _clicked_snr(snr, np.asarray(f.impulsive)) < IMPULSIVE_TRUST_DB)
    ):
        return Classification(
            "unknown",
            0.2,
            f"{n} burst(s) of {med_dur * 1e3:.2f} ms x {med_bw / 1e3:.0f} kHz made mostly "
            f"({float(np.mean(f.impulsive)):.0%} of their frames) where clicks of impulsive noise (motor "
            "drives, arcing) were taken out: too little over what they leave to tell them from it",
        )
    # One PRACH-shaped burst under SHAPE_SNR_DB: its width and length are measured under the noise
    # (a piece of broadband noise reads as well); from the later rules it stays "unknown".
    if f_prach >= 0.5 and (n >= 2 or med_snr is None or med_snr >= SHAPE_SNR_DB):
        return Classification(
            "lte", 0.8, f"PRACH-shaped bursts ({med_bw / 1e6:.2f} MHz x {med_dur * 1e3:.2f} ms)"
        )
    if f_chirp >= 0.5:
        return Classification(
            "noncellular", 0.8, f"chirped bursts ({f_chirp:.0%} sweep in frequency, LoRa-like)"
        )
    if f.pucch_pair:
        return Classification(
            "lte", 0.8, "0.5 ms slots alternating between two symmetric carrier edges (PUCCH)"
        )
    if f.narrowband_hop:
        return Classification(
            "ltem",
            0.8,
            f"{med_bw / 1e6:.2f} MHz (<= 6 RB) dwells of {med_dur * 1e3:.1f} ms hopping between two "
            "1.08 MHz narrowbands with short retuning gaps (LTE-M frequency hopping)",
        )
    if med_snr is not None and med_snr < WEAK_SNR_DB and med_bw_98 > DRIFT_MIN_HZ and f.drift_ts is not None:
        z = _drift_z(np.asarray(f.drift_ts, np.float64))
        if z is not None:
            return Classification(
                "noncellular",
                0.5,
                f"{n} weak pieces whose power centroid drifts one way in time (drift z {z:+.1f}): "
                "a chirp under the noise (LoRa-like)",
            )
    # In a capture full of clicks, weak short bursts with no period are no better than those made where
    # clicks were taken out: clicks too weak to be found leave them, of random shape (GSM- and
    # LTE-shaped ones at 3-6 dB were named uplinks in 1 h of quiet scenes with clicks).  A PRACH or a
    # chirp (named above), a long train or a periodic session keeps its name.
    if f.in_clicks and med_snr is not None and med_snr < WEAK_SNR_DB and med_dur < 2e-3 and p is None:
        return Classification(
            "unknown",
            0.2,
            f"{n} weak burst(s) (median SNR {med_snr:.1f} dB) of {med_dur * 1e3:.2f} ms x "
            f"{med_bw / 1e3:.0f} kHz in a capture full of clicks of impulsive noise: too weak to tell "
            "from what the clicks leave",
        )
    # A weak burst still tells its shape when it is long (its edges are a small part of it) or when
    # it fits a cellular burst tightly at a few dB over the noise (a chance fit is rare).
    # (Weak and narrow as a CW tone, a long burst is more likely a spur that faded in the dwell.)
    # A long narrow unit of a tone-narrow NB-IoT length (4 * 2**k ms) that fills little of the watched
    # time is measured well enough from NARROW_UNIT_SNR_DB: a single tone's SNR in its 98% span reads
    # several dB under its SNR in 15 kHz.  Otherwise a weak tone-narrow unit may be a spur that faded
    # in the dwell.  Of three or more such units at least half must be of such a length each: the
    # median of many pieces of a spur fading in and out at random lengths falls near one by chance.
    # Of two, both must (their median is their mean: pieces of 26 and 6 ms read as one of 16 ms).
    unit_length = (
        _narrow_unit_length(med_dur)
        and float(np.mean(_narrow_unit_lengths(dur))) >= (1.0 if n <= 2 else 0.5)
        and f.occupancy < 0.2
        and med_bw <= ONE_RB_MAX_HZ
    )
    long_unit = med_dur >= 2e-3 and (
        med_snr is None
        or (med_snr >= LONG_SNR_DB and (med_snr >= WEAK_SNR_DB or med_bw > CW_MAX_HZ))
        or (unit_length and med_snr >= NARROW_UNIT_SNR_DB)
    )
    tight = (
        med_snr is not None
        and med_snr >= SHAPE_SNR_DB
        and not tone_like
        and (
            (
                (120e3 <= med_bw <= 320e3)  # a single weak piece: the full width of a burst
                and min(abs(med_dur - GSM_ACCESS_S), abs(med_dur - GSM_NORMAL_S)) <= 60e-6
            )
            or (med_bw >= 150e3 and abs(med_dur - 1e-3) <= 60e-6)
        )
    )
    if (
        n == 1
        and not continuous
        and med_snr is not None
        and med_snr < WEAK_SNR_DB
        and not (long_unit or tight)
    ):
        # One weak burst: its measured length and width (edges under the noise, possibly one piece of
        # a longer or wider burst) do not tell GSM from LTE or NB-IoT.
        return Classification(
            "unknown",
            0.2,
            f"1 weak burst (SNR {med_snr:.1f} dB) of {med_dur * 1e3:.2f} ms x {med_bw / 1e3:.0f} kHz: "
            "too weak to measure its shape",
        )
    # A WCDMA uplink transmits whole 2 ms (HSUPA) or 10 ms TTIs (TS 25.211 5.2, 5.3).
    umts_ttis = float(
        np.mean(_near_multiple(dur, 2e-3, np.where(snr >= WEAK_SNR_DB, NBIOT_LENGTH_TOL_S, 0.02 * dur)))
    )
    if wide and (continuous or (med_dur >= 10e-3 and umts_ttis >= 0.6)) and f_lte < 0.5:
        return Classification(
            "umts",
            0.5,
            f"wider than the capture ({med_bw / 1e6:.1f} MHz seen, touches the edge) and long: WCDMA-like",
        )
    if f_prach >= 0.5:
        return Classification(
            "lte", 0.8, f"PRACH-shaped bursts ({med_bw / 1e6:.2f} MHz x {med_dur * 1e3:.2f} ms)"
        )
    # A period on the TDMA grid that is not a whole number of ms is GSM timing; it outweighs the noisy
    # per-burst shape of weak bursts (a 0.546 ms burst measured 0.45 ms reads as an LTE slot).
    gsm_shape = (
        GSM_MIN_HZ <= med_bw <= 320e3
        and not tone_like
        and (abs(med_dur - GSM_NORMAL_S) <= 90e-6 or abs(med_dur - GSM_ACCESS_S) <= 90e-6)
    ) or f_gsm >= 0.5
    if gsm_period and not lte_period and gsm_shape and n >= 3:
        return Classification(
            "gsm",
            0.8,
            f"{med_bw / 1e3:.0f} kHz bursts of {med_dur * 1e6:.0f} us repeating every {p * 1e3:.3f} ms "  # type: ignore[operator]
            "on the 577 us GSM slot grid (4.615 ms TDMA frame)",
        )
    # A GSM BCCH carrier's frequency-correction bursts (FCCH, TS 45.002 5.2.4: 148 zero bits of GMSK,
    # a pure tone 67.7 kHz above the carrier for one burst, every 10 or 11 frames): narrow bursts of a
    # normal burst's length repeating on the TDMA frame grid.
    if (
        n >= 3
        and med_bw <= 40e3
        and abs(med_dur - GSM_NORMAL_S) <= 100e-6
        and gsm_period
        and p is not None
        and p >= 2 * GSM_FRAME_S
    ):
        return Classification(
            "gsm",
            0.7,
            f"{med_bw / 1e3:.0f} kHz tone bursts of {med_dur * 1e6:.0f} us every {p * 1e3:.2f} ms: GSM "
            "frequency-correction bursts (FCCH) of a BCCH carrier",
        )
    # A period longer than any LTE pattern and off the TDMA grid (a sweep's revisit, an idle paging
    # cycle) says nothing about the burst shape: the GSM shape decides as without a period.
    informative = p is not None and (p <= LTE_MAX_PERIOD_S or gsm_period)
    if f_gsm >= 0.6 and f_gsm >= f_lte and (not informative or gsm_period):
        conf = 0.9 if gsm_period else 0.6
        why = f"{med_bw / 1e3:.0f} kHz GMSK-width bursts of {med_dur * 1e6:.0f} us (GSM burst lengths)"
        if gsm_period:
            why += f", period {p * 1e3:.3f} ms on the 4.615 ms TDMA frame"  # type: ignore[operator]
        return Classification("gsm", conf, why)
    if not continuous and (f_lte >= 0.6 or (lte_period and f_lte >= 0.3)):
        conf = 0.8 if lte_period else 0.6
        # LTE allocates whole 180 kHz RBs, one subframe at a time; NB-IoT uses 1-12 tones of one RB
        # for resource units of 1-32 ms.  Narrower than an RB, or one RB for several ms: NB-IoT; one
        # RB for single 1 ms subframes: an LTE PUSCH (a 12-tone 1 ms NB-IoT unit looks the same).
        if med_dur >= 0.95e-3 and (med_bw <= 150e3 or (med_bw <= ONE_RB_MAX_HZ and med_dur >= 1.5e-3)):
            why = f"{med_bw / 1e3:.0f} kHz (one RB or less), {med_dur * 1e3:.1f} ms subframes"
            alt: tuple[str, ...] = ()
            if med_bw > 150e3 and med_dur >= TRAIN_MIN_S:
                why += " (a one-RB LTE-M repetition train looks the same)"
                alt = ("ltem",)
            return Classification("nbiot", conf - 0.2, why, alt)
        if med_bw <= 1.2e6 and med_dur >= TRAIN_MIN_S:
            return Classification(
                "ltem", conf - 0.2, f"{med_bw / 1e6:.2f} MHz narrowband, {med_dur * 1e3:.0f} ms repetitions"
            )
        why = f"{med_bw / 1e6:.2f} MHz bursts on the 0.5/1 ms LTE grid"
        alt = ()
        if med_bw <= ONE_RB_MAX_HZ and 0.9e-3 <= med_dur <= 1.5e-3:
            why += " (one RB: a 12-tone NB-IoT unit or LTE-M look the same)"
            alt = ("nbiot", "ltem")
        elif med_bw <= 1.2e6:
            why += " (<= 6 RB: LTE-M also possible)"
            alt = ("ltem",)
        if lte_period:
            why += f", period {p * 1e3:.1f} ms"  # type: ignore[operator]
        return Classification("lte", conf, why, alt)
    if continuous:
        if 150e3 <= med_bw <= 320e3:
            return Classification(
                "gsm", 0.4, f"always-on {med_bw / 1e3:.0f} kHz carrier (GSM-like downlink or beacon)"
            )
        if wide:
            return Classification(
                "umts", 0.4, f"always-on, wider than the capture ({med_bw / 1e6:.1f} MHz seen)"
            )
        if med_bw >= 0.9e6 and bool(_near_multiple(med_bw, RB_HZ, 0.25 * RB_HZ)):
            return Classification("lte", 0.4, f"always-on {med_bw / 1e6:.2f} MHz, a multiple of 180 kHz RBs")
        if at_edge:
            # Cut by the capture edge (a carrier partly outside it): its width says nothing.
            return Classification(
                "unknown", 0.2, f"always-on signal cut by the capture edge ({med_bw / 1e3:.0f} kHz seen)"
            )
        return Classification(
            "noncellular", 0.4, f"always-on {med_bw / 1e3:.0f} kHz signal of no cellular shape"
        )
    # Measured durations and widths of weak bursts (below ~8 dB) are unreliable: their edges are under
    # the noise, and a weak chirp or noise-like signal breaks into pieces of random length.
    weak = med_snr is not None and med_snr < WEAK_SNR_DB
    # NB-IoT resource units: whole ms, narrow.  When weak, only repetitions of one length, or a long
    # unit (>= 2 ms, its length measured to a few frames) still clearly above the noise, count: a
    # single-tone unit's 98% width is several times its 15 kHz tone spacing (pi/2-BPSK sidelobes), so
    # its SNR in that width reads ~7 dB under the SNR in 15 kHz.  Repetitions count from
    # NARROW_UNIT_SNR_DB: two pieces of noise (or of a spur under the noise) of about 1 ms each are
    # within 0.3 ms of each other by chance.
    repeated = (
        n >= 2
        and float(np.ptp(dur)) <= max(0.3e-3, 0.1 * med_dur)
        and (med_snr is None or med_snr >= NARROW_UNIT_SNR_DB)
    )
    # A weak narrow transmission of several ms (a single-tone NB-IoT unit is 8 or 32 ms long) crosses
    # the threshold in pieces: pieces that cover most of a 2-64 ms stretch are one long narrow unit.
    span = f.span_s if f.span_s is not None else 0.0
    pieces = (
        weak
        and n >= 2
        and NARROW_UNIT_S[0] <= span <= NARROW_UNIT_S[1]
        and float(dur.sum()) >= 0.6 * span
        and f.occupancy < 0.5
        and med_bw <= ONE_RB_MAX_HZ
        # as narrow as a CW tone: only when the pieces span a whole unit (a spur fading in and out
        # of a dwell keeps to no such length)
        and (med_bw > CW_MAX_HZ or (_narrow_unit_length(span) and f.occupancy < 0.2))
    )
    if pieces:
        return Classification(
            "nbiot",
            0.3,
            f"{n} weak narrow ({med_bw / 1e3:.0f} kHz) pieces covering {float(dur.sum()) / span:.0%} of "
            f"{span * 1e3:.1f} ms: one long narrow unit (NB-IoT single-tone-like)",
        )
    # Clearly over the noise, most bursts must last NB-IoT lengths (a spur fading in and out, an
    # intermittent narrow interferer, keeps to no such lengths): those of a tone-narrow transmission
    # for a burst as narrow as a tone or tone-shaped, whole units otherwise.  Weak ones from the
    # median; of three or more weak bursts at least half must each last such a length (the median of
    # many pieces of a spur fading in and out at random lengths falls near a whole ms by chance), and
    # of UNIT_CHANCE_MIN_BURSTS or more shaped as a tone, more than chance gives.
    tone_b = tone_shaped | (med_bw <= CW_MAX_HZ)
    units_ok = _nbiot_lengths(dur, snr, tone_b)

    def weak_lengths_ok() -> bool:
        if n < 3:
            return True
        if float(np.mean(units_ok)) < 0.5:
            return False
        if repeated or n < UNIT_CHANCE_MIN_BURSTS or not (tone_like or med_bw <= CW_MAX_HZ):
            return True
        return _lengths_beyond_chance(units_ok, _unit_length_chance(dur, snr, tone_b))

    if (
        med_bw <= ONE_RB_MAX_HZ
        and med_dur >= 0.95e-3
        and (
            (
                weak
                and (bool(_near_multiple(med_dur, 1e-3, max(0.1e-3, 0.02 * med_dur))) or unit_length)
                and (repeated or long_unit)
                and weak_lengths_ok()
            )
            or (not weak and float(np.mean(units_ok)) >= NBIOT_LENGTH_SHARE)
        )
    ):
        return Classification("nbiot", 0.4, f"narrow ({med_bw / 1e3:.0f} kHz) bursts of whole NB-IoT units")
    if not weak and med_bw <= ONE_RB_MAX_HZ and med_dur >= 0.95e-3 and n >= 2:
        return Classification(
            "unknown",
            0.3,
            f"{n} narrow ({med_bw / 1e3:.0f} kHz) bursts of {float(dur.min()) * 1e3:.1f}-"
            f"{float(dur.max()) * 1e3:.1f} ms, only {float(np.mean(units_ok)):.0%} of whole NB-IoT units: "
            "a signal switching on and off at random (a spur, an intermittent interferer)?",
            interferer=True,
        )
    # Strong bursts that fit no cellular duration or period are not evidence of a non-cellular device
    # (that takes a chirp or an always-on shape, above): two phones side by side on adjacent channels
    # merge into one such emitter.  They stay "unknown", so their band's link still applies.
    if n >= 3 and not weak:
        return Classification(
            "unknown",
            0.3,
            f"{n} bursts of {med_dur * 1e3:.2f} ms x {med_bw / 1e3:.0f} kHz fit no single cellular duration "
            "or period (several emitters overlapping?)",
        )
    if weak and med_snr is not None:
        # Several weak bursts about as narrow as a tone: a weak spur fading in and out (an interferer).
        return Classification(
            "unknown",
            0.2,
            f"{n} weak burst(s) (median SNR {med_snr:.1f} dB) of "
            f"{med_dur * 1e3:.2f} ms x {med_bw / 1e3:.0f} kHz: too weak to measure their shape",
            interferer=n >= 3 and (med_bw <= CW_MAX_HZ or (med_bw <= WEAK_TONE_MAX_HZ and tone_like)),
        )
    return Classification(
        "unknown", 0.2, f"{n} burst(s) of {med_dur * 1e3:.2f} ms x {med_bw / 1e3:.0f} kHz: too little to tell"
    )
