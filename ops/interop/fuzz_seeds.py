"""Writes the committed corpus seeds of the format fuzz targets (ops/fuzz/READER/corpus/):
small valid files from independent writers (numpy, scipy.io, h5py + hdf5plugin).

    python ops/interop/fuzz_seeds.py   (from the repository root)
"""
import os
import tempfile

import h5py
import hdf5plugin
import numpy as np
import scipy.io

root = os.path.join(os.path.dirname(__file__), "..", "fuzz")
rng = np.random.default_rng(7)


def path(reader, name):
    os.makedirs(os.path.join(root, reader, "corpus"), exist_ok=True)
    return os.path.join(root, reader, "corpus", name)


v = (rng.normal(size=(3, 4, 5)) + 1j * rng.normal(size=(3, 4, 5))).astype(np.complex64)
np.savez(path("npz", "stored.npz"), obj=v, mask=(v.real > 0))
np.savez_compressed(path("npz", "deflated.npz"), obj=v.astype(np.complex128), llk=np.float64(1.5))
np.savez_compressed(path("npz", "modes.npz"), obj=np.stack([v, v]))

scipy.io.savemat(path("mat", "v5-compressed.mat"), {"obj": v.astype(np.complex128), "note": "text"}, do_compression=True)
scipy.io.savemat(path("mat", "v5-plain.mat"), {"obj": v, "n": np.uint16(3)}, do_compression=False)
scipy.io.savemat(path("mat", "v5-big-endian.mat"), {"a": np.arange(6, dtype=">f8").reshape(2, 3)})

with tempfile.TemporaryDirectory() as tmp:
    for size, dtype, block in [(1, np.uint8, 0), (2, np.uint16, 64), (4, np.uint32, 0)]:
        frames = rng.poisson(2.0, size=(2, 13, 11)).astype(dtype)
        name = os.path.join(tmp, "d.h5")
        with h5py.File(name, "w") as f:
            f.create_dataset("d", data=frames, chunks=(2, 13, 11), **hdf5plugin.Bitshuffle(nelems=block, cname="lz4"))
        with h5py.File(name, "r") as f:
            _, chunk = f["d"].id.read_direct_chunk((0, 0, 0))
        selector = {1: 0, 2: 1, 4: 2, 8: 3}[size]
        with open(path("bitshuffle-lz4", "chunk-u%d.bin" % (8 * size)), "wb") as out:
            out.write(bytes([selector]) + chunk)

frames = rng.normal(10, 3, size=(1, 130, 128)).astype("<f4")
frames.tofile(path("empad", "scan_x1_y1.raw"))
with open(path("empad", "acquisition.xml"), "w") as out:
    out.write('<?xml version="1.0"?><root><raw_file filename="scan_x1_y1.raw"/><pix_x>1</pix_x><pix_y>1</pix_y></root>')
