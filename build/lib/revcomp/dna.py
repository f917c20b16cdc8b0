"""DNA basics: the alphabet, encoding, and the reference reverse complement.

Bases are encoded as small integers, in the order of the original write-up:

    A=0, T=1, G=2, C=3

With this order the Watson-Crick complement is a single bit flip, ``code ^ 1``
(A<->T, G<->C), which is why the model's task reduces to "read the sequence
backwards and flip the lowest bit".

Case policy: lowercase ``a t g c`` are accepted and treated as their uppercase
bases (soft-masked genome files use lowercase for repeats); outputs are always
uppercase. Every other character -- ``N``, ``U``, digits, whitespace, newlines,
punctuation, non-ASCII -- and the empty string are rejected with a
``ValueError`` that names the character and its 0-based position.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

BASES = "ATGC"
"""The alphabet in code order: ``BASES[code]`` is the base letter."""

BASE_TO_CODE = {base: code for code, base in enumerate(BASES)}
COMPLEMENT = {"A": "T", "T": "A", "G": "C", "C": "G"}
_ACCEPTED = frozenset(BASES + BASES.lower())


def validate(seq: str) -> str:
    """Return ``seq`` uppercased, or raise ``ValueError`` naming the first bad character.

    >>> validate("atgC")
    'ATGC'
    """
    if not isinstance(seq, str):
        raise TypeError(f"expected a DNA string, got {type(seq).__name__}")
    if seq == "":
        raise ValueError("empty sequence: a DNA sequence needs at least one base (A, T, G or C)")
    # Check each original character: str.upper() can change a string's length ('ẗ' -> 'T' + U+0308).
    for position, char in enumerate(seq):
        if char not in _ACCEPTED:
            raise ValueError(
                f"invalid base {char!r} at position {position} of {_shorten(seq)!r}: "
                "only A, T, G, C (any case) are allowed"
            )
    return seq.upper()


def _shorten(seq: str, limit: int = 40) -> str:
    return seq if len(seq) <= limit else seq[:limit] + "..."


def encode(seq: str) -> torch.Tensor:
    """Encode a DNA string as a 1-D ``torch.long`` tensor of codes (A=0, T=1, G=2, C=3)."""
    return torch.tensor([BASE_TO_CODE[b] for b in validate(seq)], dtype=torch.long)


def encode_batch(seqs: Iterable[str]) -> torch.Tensor:
    """Encode equal-length DNA strings as a ``(batch, length)`` long tensor."""
    seqs = list(seqs)
    if not seqs:
        raise ValueError("no sequences given")
    codes = [encode(s) for s in seqs]
    lengths = {len(c) for c in codes}
    if len(lengths) > 1:
        first = len(codes[0])
        for index, c in enumerate(codes):
            if len(c) != first:
                raise ValueError(
                    f"sequence {index} has length {len(c)} but sequence 0 has length {first}: "
                    "a batch needs sequences of one length"
                )
    return torch.stack(codes)


def decode(codes: torch.Tensor | Iterable[int]) -> str:
    """Decode a 1-D sequence of codes back to a DNA string."""
    values = codes.tolist() if isinstance(codes, torch.Tensor) else list(codes)
    out = []
    for position, value in enumerate(values):
        if not isinstance(value, int) or not 0 <= value < 4:
            raise ValueError(f"invalid base code {value!r} at position {position}: codes are 0..3")
        out.append(BASES[value])
    return "".join(out)


def decode_batch(codes: torch.Tensor) -> list[str]:
    """Decode a ``(batch, length)`` tensor of codes to a list of strings."""
    return [decode(row) for row in codes]


def reverse_complement(seq: str) -> str:
    """The reference reverse complement of a DNA string.

    >>> reverse_complement("ATGCA")
    'TGCAT'
    >>> reverse_complement("aacg")
    'CGTT'
    """
    return "".join(COMPLEMENT[b] for b in reversed(validate(seq)))


def complement_codes(codes: torch.Tensor) -> torch.Tensor:
    """Complement encoded bases: with A=0, T=1, G=2, C=3 this is ``codes ^ 1``."""
    return codes ^ 1


def reverse_complement_codes(codes: torch.Tensor) -> torch.Tensor:
    """Reverse complement of encoded sequences along the last dimension (any batch shape)."""
    if codes.dtype not in (torch.long, torch.int, torch.int16, torch.int8, torch.uint8):
        raise TypeError(f"expected an integer tensor of base codes, got {codes.dtype}")
    if codes.numel() and (codes.min() < 0 or codes.max() > 3):
        raise ValueError("base codes must be in 0..3 (A=0, T=1, G=2, C=3)")
    return complement_codes(codes.flip(-1))
