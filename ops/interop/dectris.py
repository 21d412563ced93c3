"""Writes a Dectris-like acquisition with h5py + hdf5plugin (the bitshuffle/LZ4 filter as the
detector writes it): OUT_master.h5 linking OUT_data_00000N.h5 (/entry/data/data, frames x
det_y x det_x), and OUT_expected.npy, the frames as a plain (frames, det_y, det_x) array.

    python dectris.py OUT FRAMES_PER_FILE,... DET_Y DET_X DTYPE CHUNK_FRAMES BLOCK_ELEMENTS SEED
"""
import os
import sys

import h5py
import hdf5plugin
import numpy as np

out, counts, dy, dx, dtype, chunk, block, seed = sys.argv[1:9]
counts = [int(c) for c in counts.split(",")]
dy, dx, chunk, block = int(dy), int(dx), int(chunk), int(block)
rng = np.random.default_rng(int(seed))
total = sum(counts)
info = np.iinfo(dtype)
# Counting data: mostly small Poisson counts, a bright disc, and a few saturated pixels.
frames = rng.poisson(rng.uniform(0.05, 5.0), size=(total, dy, dx)).astype(np.float64)
yy, xx = np.mgrid[0:dy, 0:dx]
disc = (yy - dy / 2) ** 2 + (xx - dx / 2) ** 2 < (min(dy, dx) / 4) ** 2
frames[:, disc] += rng.poisson(200, size=(total, int(disc.sum())))
frames.reshape(-1)[rng.integers(0, frames.size, size=max(1, frames.size // 500))] = info.max
frames = np.clip(frames, 0, info.max).astype(dtype)
np.save(out + "_expected.npy", frames)

with h5py.File(out + "_master.h5", "w") as master:
    entry = master.create_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    det = entry.create_group("instrument/detector")
    det["description"] = "Dectris ARINA Si 192x192 (interop test)"
    det["x_pixel_size"] = 1e-4
    det.create_group("detectorSpecific")["nimages"] = total
    data = entry.create_group("data")
    start = 0
    for i, n in enumerate(counts, start=1):
        name = "%s_data_%06d.h5" % (os.path.basename(out), i)
        with h5py.File(os.path.join(os.path.dirname(out) or ".", name), "w") as f:
            d = f.create_dataset("entry/data/data", data=frames[start:start + n], chunks=(min(chunk, n), dy, dx),
                                 **hdf5plugin.Bitshuffle(nelems=block, cname="lz4"))
            d.attrs["image_nr_low"] = start + 1
            d.attrs["image_nr_high"] = start + n
        data["data_%06d" % i] = h5py.ExternalLink(name, "/entry/data/data")
        start += n
