"""Writes the .npy fixtures that NPYFixtureTests reads, with real NumPy.

Run from this folder: `python3 make_npy_fixtures.py`. The values are simple formulas that the
Swift tests recompute; keep the two in step.
"""
import numpy as np
from numpy.lib import format as npy_format


def save(name, array, version=None):
    with open(name, "wb") as f:
        npy_format.write_array(f, array, version=version, allow_pickle=False)


# One file per supported dtype, written by np.save (version 1.0).
np.save("float32.npy", (np.arange(24, dtype=np.float32) * 0.25 - 2.5).reshape(2, 3, 4))
np.save("float16.npy", np.arange(5, dtype=np.float16) * np.float16(0.5) - np.float16(1))
np.save("int8.npy", np.array([-128, -1, 0, 1, 127, 5], dtype=np.int8).reshape(2, 3))
np.save("uint8.npy", np.array([0, 1, 128, 255], dtype=np.uint8))
np.save("int32.npy", np.array([-2**31, -1, 0, 1, 2**31 - 1, 123456], dtype=np.int32).reshape(3, 2))
np.save("int64.npy", np.array([-2**62, -1, 0, 1, 2**40 + 3, 2**63 - 1], dtype=np.int64).reshape(1, 2, 3))

# Edge shapes: a 0-d array and an empty one.
np.save("scalar_int32.npy", np.array(-7, dtype=np.int32))
np.save("empty_float32.npy", np.zeros((0, 3), dtype=np.float32))

# Header versions 2.0 and 3.0 (np.save picks them only for huge or non-Latin-1 headers).
save("version2_float32.npy", np.arange(6, dtype=np.float32).reshape(3, 2) - 2, version=(2, 0))
save("version3_int8.npy", np.arange(-3, 3, dtype=np.int8), version=(3, 0))

# Big-endian data, which the reader converts.
np.save("bigendian_float32.npy", (np.arange(24, dtype=np.float32) * 0.25 - 2.5).reshape(2, 3, 4).astype(">f4"))
np.save("bigendian_int64.npy", np.array([-2**62, -1, 0, 1, 2**40 + 3, 2**63 - 1], dtype=">i8").reshape(1, 2, 3))

# Files the reader must refuse with a clear message.
np.save("fortran_float32.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save("float64.npy", np.arange(3, dtype=np.float64))
np.save("bool.npy", np.array([True, False]))
