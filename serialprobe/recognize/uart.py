"""Bit-level model of an asynchronous serial line, to predict what a receiver set to the wrong
rate or framing reads.

Used to test the recognisers and the baud search on realistic wrong-rate garbage, and usable by a
line simulator. The model: the transmitter sends each character as a start bit (0), data bits LSB
first, an optional parity bit and stop bits (1), with idle (1) time between bursts. The receiver
waits for a high-to-low edge, samples every bit in its own bit time at mid-bit, rejects a start bit
that is high again at mid-bit (glitch), flags a framing error when the first stop bit samples low,
a break when the whole character including stop is low, and a parity error when parity mismatches;
after sampling the stop bit it hunts for the next edge. Real UARTs oversample 16x and vote; this
mid-bit model is what that converges to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from serialprobe.recognize.capture import Capture, Chunk, bits_per_char

__all__ = ["LineSignal", "Received", "receive", "transmit"]


@dataclass(frozen=True)
class LineSignal:
    """Line levels at the transmitter's bit clock.

    Attributes
    ----------
    levels : numpy.ndarray
        uint8 0/1 per transmitter bit time, idle = 1.
    bit_s : float
        One transmitter bit time in seconds.
    """

    levels: np.ndarray
    bit_s: float

    @property
    def duration_s(self) -> float:
        """Length of the signal."""
        return float(self.levels.size * self.bit_s)


@dataclass(frozen=True)
class Received:
    """What a receiver read.

    Attributes
    ----------
    data : bytes
        Characters as delivered (errored characters kept as sampled, a break as 0x00).
    end_times_s : numpy.ndarray
        Time each character was complete (mid stop bit), seconds from the signal start.
    framing_errors : numpy.ndarray
        bool per character: stop bit sampled low (breaks included).
    parity_errors : numpy.ndarray
        bool per character: parity mismatch (always False for ``N`` framings).
    breaks : numpy.ndarray
        bool per character: all bits low.
    """

    data: bytes
    end_times_s: np.ndarray
    framing_errors: np.ndarray
    parity_errors: np.ndarray
    breaks: np.ndarray

    def to_capture(
        self, *, baud: int, framing: str, read_interval_s: float = 0.0, report_errors: bool = True
    ) -> Capture:
        """Group the characters into reads as a polling reader would and build a :class:`Capture`.

        Parameters
        ----------
        baud, framing : int, str
            The receiver setting (recorded in the capture).
        read_interval_s : float
            Poll period: characters complete within one period come in one read, timestamped at
            the end of the period. 0 gives one read per character, timestamped exactly.
        report_errors : bool
            Fill the capture's error counts (as the PARMRK reader does) or leave them unknown.
        """
        chunks: list[Chunk] = []
        data = self.data
        if read_interval_s <= 0:
            chunks = [(float(t), data[i : i + 1]) for i, t in enumerate(self.end_times_s)]
        elif data:
            slot = np.floor(self.end_times_s / read_interval_s).astype(np.int64)
            edges = np.flatnonzero(np.diff(slot)) + 1
            starts = np.concatenate(([0], edges))
            stops = np.concatenate((edges, [len(data)]))
            for a, b in zip(starts, stops, strict=True):
                chunks.append(((float(slot[a]) + 1.0) * read_interval_s, data[a:b]))
        return Capture(
            chunks=tuple(chunks),
            baud=baud,
            framing=framing,
            framing_errors=int(self.framing_errors.sum()) if report_errors else None,
            parity_errors=int(self.parity_errors.sum()) if report_errors else None,
        )


def _parity_bit(byte: int, parity: str) -> int:
    ones = bin(byte).count("1")
    return ones & 1 if parity == "E" else 1 - (ones & 1)


def _char_bits(byte: int, framing: str) -> list[int]:
    bits = [0] + [(byte >> k) & 1 for k in range(8)]
    if framing[1] != "N":
        bits.append(_parity_bit(byte, framing[1]))
    bits += [1] * int(framing[2])
    return bits


def transmit(
    bursts: Sequence[tuple[float, bytes]], *, baud: int, framing: str = "8N1", tail_s: float = 0.0
) -> LineSignal:
    """Build the line signal of ``bursts`` sent back to back within each burst.

    Parameters
    ----------
    bursts : sequence of (float, bytes)
        (start time in seconds, bytes); a burst starting before the previous one ended is sent
        right after it.
    baud : int
        Transmitter rate.
    framing : str
        Transmitter framing (``"8N1"``, ``"8E1"``, ``"8O1"``, ``"8N2"``).
    tail_s : float
        Idle time appended after the last burst.

    Returns
    -------
    LineSignal
        Levels per transmitter bit.
    """
    bits_per_char(framing)
    bit_s = 1.0 / baud
    table = [np.array(_char_bits(b, framing), dtype=np.uint8) for b in range(256)]
    parts: list[np.ndarray] = []
    pos = 0
    for start_s, payload in bursts:
        start_bit = max(pos, round(start_s / bit_s))
        if start_bit > pos:
            parts.append(np.ones(start_bit - pos, dtype=np.uint8))
        if payload:
            chars = np.concatenate([table[b] for b in payload])
            parts.append(chars)
            pos = start_bit + chars.size
        else:
            pos = start_bit
    parts.append(np.ones(max(1, round(tail_s / bit_s)), dtype=np.uint8))
    return LineSignal(np.concatenate(parts), bit_s)


def receive(signal: LineSignal, *, baud: int, framing: str = "8N1") -> Received:
    """Sample ``signal`` as a UART at ``baud``/``framing`` (see the module docstring).

    Parameters
    ----------
    signal : LineSignal
        Output of :func:`transmit`.
    baud : int
        Receiver rate.
    framing : str
        Receiver framing.

    Returns
    -------
    Received
        Characters, completion times and error flags.
    """
    nbits = bits_per_char(framing)
    parity = framing[1]
    rx_bit_s = 1.0 / baud
    levels = signal.levels
    n = levels.size
    prev = np.concatenate(([1], levels[:-1]))
    edge_idx = np.flatnonzero((levels == 0) & (prev == 1))
    edge_t = edge_idx * signal.bit_s
    offsets = (np.arange(nbits) + 0.5) * rx_bit_s
    weights = (1 << np.arange(8)).astype(np.int64)
    out = bytearray()
    times: list[float] = []
    ferr: list[bool] = []
    perr: list[bool] = []
    brk: list[bool] = []
    ready_t = -1.0
    while True:
        k = int(np.searchsorted(edge_t, ready_t, side="right"))
        if k >= edge_t.size:
            break
        t0 = float(edge_t[k])
        idx = np.floor((t0 + offsets) / signal.bit_s + 1e-9).astype(np.int64)
        samples = np.where(idx < n, levels[np.minimum(idx, n - 1)], 1)
        if samples[0] != 0:  # glitch: the start bit is high again at mid-bit
            ready_t = t0
            continue
        byte = int((samples[1:9].astype(np.int64) * weights).sum())
        stop = int(samples[9 if parity == "N" else 10])
        is_break = bool(not samples.any())
        perr.append(parity != "N" and int(samples[9]) != _parity_bit(byte, parity))
        ferr.append(stop == 0)
        brk.append(is_break)
        out.append(byte)
        end = t0 + float(offsets[-1 if framing[2] == "1" else -2])
        times.append(end)
        ready_t = end
    return Received(
        data=bytes(out),
        end_times_s=np.asarray(times, dtype=np.float64),
        framing_errors=np.asarray(ferr, dtype=bool),
        parity_errors=np.asarray(perr, dtype=bool),
        breaks=np.asarray(brk, dtype=bool),
    )
