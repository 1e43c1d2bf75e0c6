"""Identifiers and opaque payloads, made in bulk with numpy.

The simulator writes millions of base58 ids, signatures and base64 blobs; making them one by
one in Python would cost more than everything else together. Here they come from random bytes
mapped through a 256-entry alphabet table, as fixed-width byte strings (``S<width>`` arrays).
Voter ``userId`` hashes are *derived* from (contract key, voter index) with splitmix64 instead,
so the voter list never has to be held in memory: the same voter gets the same hash wherever it
appears (voter list, bulletin issuance).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

B58_ALPHABET = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# byte -> character translation tables for bytes.translate (C speed); 256 is a multiple of
# 64 (no bias), base58 is slightly biased towards its first 24 characters, which nobody can
# see in an id.
_B58 = bytes(B58_ALPHABET[i % 58] for i in range(256))
_B64 = bytes(B64_ALPHABET[i % 64] for i in range(256))

ID_WIDTH = 44  # base58 of a 32-byte hash (tx ids, contract ids, public keys)
# base58 signature; a real 64-byte GOST signature takes 88 characters, shortened here because
# random text is what deflate spends its time on (issue 4's 200,000 tx/s)
SIG_WIDTH = 64
BLOB_WIDTH = 44  # base64 of 33 bytes, no padding: any 4k base64 characters decode
SHORT_BLOB_WIDTH = 44  # base64 of 33 bytes (signatures)
HEX_WIDTH = 64  # hex of a 32-byte hash (userId)

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _chars(rng: np.random.Generator, n: int, width: int, table: bytes) -> NDArray[np.bytes_]:
    out: NDArray[np.bytes_] = np.frombuffer(rng.bytes(n * width).translate(table), f"S{width}")
    return out


def base58(rng: np.random.Generator, n: int, width: int = ID_WIDTH) -> NDArray[np.bytes_]:
    """``n`` random base58 strings of ``width`` characters."""
    return _chars(rng, n, width, _B58)


def base64(rng: np.random.Generator, n: int, width: int = BLOB_WIDTH) -> NDArray[np.bytes_]:
    """``n`` random base64 strings of ``width`` characters (a multiple of 4, so no padding)."""
    if width % 4:
        raise ValueError("base64 width must be a multiple of 4")
    return _chars(rng, n, width, _B64)


def random_fields(
    rng: np.random.Generator, n: int, widths: tuple[tuple[str, int], ...], *, base: int = 58
) -> NDArray[np.void]:
    """``n`` records of random base58 (or base64) strings, one draw for all fields."""
    dtype = np.dtype([(name, f"S{width}") for name, width in widths])
    table = _B58 if base == 58 else _B64
    out: NDArray[np.void] = np.frombuffer(rng.bytes(n * dtype.itemsize).translate(table), dtype)
    return out


def one_id(rng: np.random.Generator, width: int = ID_WIDTH) -> str:
    """A single random base58 string."""
    return bytes(base58(rng, 1, width)[0]).decode()


def one_blob(rng: np.random.Generator, width: int = BLOB_WIDTH) -> str:
    """A single random base64 string."""
    return bytes(base64(rng, 1, width)[0]).decode()


def _splitmix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    out: NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return out


def user_ids(contract_key: int, voters: NDArray[np.int64]) -> NDArray[np.bytes_]:
    """The 64-hex ``userId`` hash of each voter index on one contract (``S64`` array)."""
    n = len(voters)
    base = _splitmix(voters.astype(np.uint64) ^ np.uint64(contract_key & 0xFFFF_FFFF_FFFF_FFFF))
    words = np.empty((n, 4), np.uint64)
    for k in range(4):
        words[:, k] = _splitmix(base + np.uint64(k * 0x632BE59BD9B4E019 & 0xFFFF_FFFF_FFFF_FFFF))
    out: NDArray[np.bytes_] = np.frombuffer(words.tobytes().hex().encode(), "S64")
    return out


def user_id_strings(contract_key: int, voters: NDArray[np.int64]) -> list[str]:
    """``user_ids`` as Python strings (voter-list payloads)."""
    return [b.decode() for b in user_ids(contract_key, voters).tolist()]
