"""IQ recordings: read SigMF and raw files block by block, write SigMF with annotations.

Public API::

    from rfscan.iq import open_recording, write_sigmf, SigMFWriter, Annotation, Capture

    with open_recording("scan.sigmf-meta") as rec:          # or .sigmf, .cu8, gqrx _fc.raw ...
        for block in rec.blocks(262144):                      # complex64, one capture at a time
            ...  # block.samples, block.sample_start, block.center_hz, block.time_s

Samples are memory-mapped and converted per block, so memory stays flat for any file size.
"""

from __future__ import annotations

from rfscan.iq.formats import (
    DATATYPE_ALIASES,
    DATATYPES,
    bytes_per_sample,
    from_complex64,
    normalize_datatype,
    to_complex64,
)
from rfscan.iq.model import Annotation, Block, Capture
from rfscan.iq.raw import RawParams, infer_raw_params
from rfscan.iq.reader import DEFAULT_BLOCK_SIZE, Recording, open_recording
from rfscan.iq.writer import SigMFWriter, add_annotations, annotation_to_sigmf, write_sigmf

__all__ = [
    "DATATYPES",
    "DATATYPE_ALIASES",
    "DEFAULT_BLOCK_SIZE",
    "Annotation",
    "Block",
    "Capture",
    "RawParams",
    "Recording",
    "SigMFWriter",
    "add_annotations",
    "annotation_to_sigmf",
    "bytes_per_sample",
    "from_complex64",
    "infer_raw_params",
    "normalize_datatype",
    "open_recording",
    "to_complex64",
    "write_sigmf",
]
