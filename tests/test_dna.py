"""DNA basics: encoding, the reference reverse complement, and input validation."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from revcomp.dna import (
    BASES,
    COMPLEMENT,
    decode,
    decode_batch,
    encode,
    encode_batch,
    reverse_complement,
    reverse_complement_codes,
    validate,
)

dna = st.text(alphabet="ATGCatgc", min_size=1, max_size=60)
upper_dna = st.text(alphabet="ATGC", min_size=1, max_size=60)


@pytest.mark.parametrize(
    ("seq", "expected"),
    [
        ("ATGCA", "TGCAT"),  # the original write-up's example
        ("A", "T"),
        ("T", "A"),
        ("G", "C"),
        ("C", "G"),
        ("GATTACA", "TGTAATC"),
        ("AACG", "CGTT"),
        ("GAATTC", "GAATTC"),  # EcoRI site: its own reverse complement
        ("ACCGGT", "ACCGGT"),
        ("atgca", "TGCAT"),  # lowercase in, uppercase out
        ("aTgCa", "TGCAT"),
    ],
)
def test_reverse_complement_known_examples(seq, expected):
    assert reverse_complement(seq) == expected


def test_encoding_order_and_complement_is_xor_one():
    assert BASES == "ATGC"
    assert encode("ATGC").tolist() == [0, 1, 2, 3]
    assert encode("atgc").tolist() == [0, 1, 2, 3]
    for base, partner in COMPLEMENT.items():
        assert int(encode(partner)[0]) == int(encode(base)[0]) ^ 1
    assert encode("ATGC").dtype == torch.long


@given(dna)
def test_reverse_complement_is_an_involution(seq):
    assert reverse_complement(reverse_complement(seq)) == seq.upper()


@given(dna)
def test_encode_decode_round_trip(seq):
    assert decode(encode(seq)) == seq.upper()


@given(upper_dna)
def test_reverse_complement_reverses_and_complements(seq):
    out = reverse_complement(seq)
    assert len(out) == len(seq)
    for i, base in enumerate(out):
        assert base == COMPLEMENT[seq[len(seq) - 1 - i]]


@given(dna)
def test_tensor_version_matches_string_version(seq):
    assert decode(reverse_complement_codes(encode(seq))) == reverse_complement(seq)


@given(st.lists(upper_dna.filter(lambda s: len(s) == 7), min_size=1, max_size=8))
def test_batch_tensor_version_matches_string_version(seqs):
    codes = encode_batch(seqs)
    assert codes.shape == (len(seqs), 7)
    assert decode_batch(reverse_complement_codes(codes)) == [reverse_complement(s) for s in seqs]


def test_reverse_complement_codes_any_batch_shape_and_integer_dtype():
    codes = torch.randint(0, 4, (3, 2, 6), generator=torch.Generator().manual_seed(0))
    out = reverse_complement_codes(codes)
    assert out.shape == codes.shape
    complement_table = torch.tensor([1, 0, 3, 2])  # A<->T, G<->C
    assert torch.equal(out, complement_table[codes.flip(-1)])
    assert torch.equal(reverse_complement_codes(out), codes)
    small = reverse_complement_codes(codes.to(torch.uint8))
    assert small.dtype == torch.uint8 and torch.equal(small.long(), out)


@pytest.mark.parametrize("bad", [torch.tensor([0, 4]), torch.tensor([-1, 0])])
def test_reverse_complement_codes_rejects_out_of_range_codes(bad):
    with pytest.raises(ValueError, match="0..3"):
        reverse_complement_codes(bad)


def test_reverse_complement_codes_rejects_float_tensors():
    with pytest.raises(TypeError, match="integer"):
        reverse_complement_codes(torch.tensor([0.0, 1.0]))


BAD_INPUTS = [
    # (input, the offending character, its 0-based position)
    ("ATNGC", "N", 2),
    ("n", "n", 0),
    ("AUG", "U", 1),
    ("ACGU", "U", 3),
    ("AT3G", "3", 2),
    ("0", "0", 0),
    ("AT G", " ", 2),
    (" ATG", " ", 0),
    ("ATG\n", "\n", 3),
    ("AT\r\nG", "\r", 2),
    ("A\tT", "\t", 1),
    ("GAé", "é", 2),
    ("Äacg", "Ä", 0),
    ("ACG-T", "-", 3),
    ("ACGT.", ".", 4),
    ("A,C", ",", 1),
    ("ACGT*", "*", 4),
    ("AC>G", ">", 2),
    ("ATG\x00", "\x00", 3),
    ("ACGTẗ", "ẗ", 4),  # upper() turns this one character into two ('T' + U+0308)
    ("ẗA", "ẗ", 0),
    ("Aﬅ", "ﬅ", 1),  # upper() gives 'ST'
    ("ACGT" * 20 + "X", "X", 80),  # the message shortens the sequence but keeps the position
]


@pytest.mark.parametrize(("seq", "char", "position"), BAD_INPUTS)
@pytest.mark.parametrize("function", [validate, encode, reverse_complement], ids=lambda f: f.__name__)
def test_bad_input_names_character_and_position(function, seq, char, position):
    with pytest.raises(ValueError) as info:
        function(seq)
    message = str(info.value)
    assert f"invalid base {char!r} at position {position} " in message
    assert "\n" not in message  # one line, even for a newline in the input


@pytest.mark.parametrize("function", [validate, encode, reverse_complement], ids=lambda f: f.__name__)
def test_empty_string_is_refused(function):
    with pytest.raises(ValueError, match="empty sequence"):
        function("")


@pytest.mark.parametrize("not_a_string", [None, 5, b"ATGC", ["A", "T"]])
def test_non_strings_are_a_type_error(not_a_string):
    with pytest.raises(TypeError, match="expected a DNA string"):
        validate(not_a_string)


def test_validate_uppercases_and_keeps_length():
    assert validate("acgtACGT") == "ACGTACGT"


def test_encode_batch_names_the_bad_sequence_length():
    with pytest.raises(ValueError, match="sequence 2 has length 3 but sequence 0 has length 4"):
        encode_batch(["ACGT", "TTTT", "ACG"])
    with pytest.raises(ValueError, match="no sequences"):
        encode_batch([])
    with pytest.raises(ValueError, match="invalid base 'N' at position 1"):
        encode_batch(["ACGT", "ANGT"])


@pytest.mark.parametrize(("codes", "position"), [([0, 1, 4], 2), ([-1], 0), ([0, 2.0], 1)])
def test_decode_refuses_invalid_codes(codes, position):
    with pytest.raises(ValueError, match=f"invalid base code .* at position {position}"):
        decode(codes)
