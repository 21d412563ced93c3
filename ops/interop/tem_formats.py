#!/usr/bin/env python3
"""TEM video files from independent writers, for Slipline's interoperability tests.

    tem_formats.py write OUTDIR     TIFF stacks (tifffile), MRC stacks (mrcfile) and a Velox-layout
                                    EMD (h5py) of random
                                    frames, plus OUTDIR/manifest.json: per file the shape, the
                                    calibration and what Slipline must read (per-frame sums and
                                    the first row of frame 0, after Slipline's value convention:
                                    uint8/uint16 divided by 255/65535, everything else as stored)
    tem_formats.py readdm FILE...   DM3/DM4 files read by ncempy, as a JSON list (shape, per-frame
                                    sums, first row, pixel size in nm) to cross-check Slipline's
                                    writer and reader

Requires numpy, tifffile, imagecodecs, mrcfile, h5py (write) and ncempy (readdm). Every random nuisance (sizes,
types, value ranges) is drawn from a seed given by SLIPLINE_INTEROP_SEED (default: random).
"""
import json
import os
import sys

import numpy as np


def expected(frames):
    if frames.dtype == np.uint8:
        scaled = frames.astype(np.float64) / 255
    elif frames.dtype == np.uint16:
        scaled = frames.astype(np.float64) / 65535
    else:
        scaled = frames.astype(np.float32).astype(np.float64)
    return {
        "frames": int(frames.shape[0]), "height": int(frames.shape[1]), "width": int(frames.shape[2]),
        "sums": [float(s) for s in scaled.reshape(frames.shape[0], -1).sum(axis=1)],
        "first_row": [float(v) for v in scaled[0, 0, :]],
    }


def random_frames(rng, dtype, n):
    h, w = int(rng.integers(5, 70)), int(rng.integers(5, 70))
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, int(info.max) + 1, size=(n, h, w), dtype=dtype)
    scale = 10 ** rng.uniform(-3, 4)
    return (rng.standard_normal((n, h, w)) * scale).astype(dtype)


def write(outdir):
    import mrcfile
    import tifffile

    seed = int(os.environ.get("SLIPLINE_INTEROP_SEED", np.random.SeedSequence().entropy % (2**32)))
    rng = np.random.default_rng(seed)
    os.makedirs(outdir, exist_ok=True)
    manifest = {"seed": seed, "files": []}

    def add(name, frames, pixel=None, interval=None):
        entry = {"file": name, "pixel_size_nm": pixel, "frame_interval_s": interval}
        entry.update(expected(frames))
        manifest["files"].append(entry)

    # ImageJ hyperstack, LZW, calibrated in nm with a frame interval.
    frames = random_frames(rng, np.uint16, int(rng.integers(2, 6)))
    pixel, interval = float(rng.uniform(0.05, 5)), float(rng.uniform(0.001, 1))
    tifffile.imwrite(os.path.join(outdir, "imagej.tif"), frames, imagej=True, compression="lzw",
                     resolution=(1 / pixel, 1 / pixel), metadata={"unit": "nm", "finterval": interval, "axes": "TYX"})
    add("imagej.tif", frames, pixel, interval)
    # BigTIFF, Deflate, tiled float32.
    frames = random_frames(rng, np.float32, 3)
    tifffile.imwrite(os.path.join(outdir, "big.tif"), frames, bigtiff=True, compression="zlib", tile=(16, 16), photometric="minisblack")
    add("big.tif", frames)
    # Deflate with horizontal predictor, int16; uncompressed uint8 and uint32; float64.
    frames = random_frames(rng, np.int16, 4)
    tifffile.imwrite(os.path.join(outdir, "predictor.tif"), frames, compression="zlib", predictor=True, photometric="minisblack")
    add("predictor.tif", frames)
    for dtype, name in [(np.uint8, "u8.tif"), (np.uint32, "u32.tif"), (np.float64, "f64.tif")]:
        frames = random_frames(rng, dtype, 2)
        tifffile.imwrite(os.path.join(outdir, name), frames, photometric="minisblack")
        add(name, frames)
    # MRC modes 0, 1, 2, 6, 12 with a voxel size in ångström.
    for dtype, name in [(np.int8, "m0.mrc"), (np.int16, "m1.mrcs"), (np.float32, "m2.mrc"), (np.uint16, "m6.mrc"), (np.float16, "m12.mrc")]:
        frames = random_frames(rng, dtype, int(rng.integers(1, 5)))
        voxel = float(rng.uniform(0.5, 50))
        with mrcfile.new(os.path.join(outdir, name), overwrite=True) as mrc:
            mrc.set_data(frames)
            mrc.voxel_size = voxel
        add(name, frames, float(np.float32(voxel)) / 10)
    # Velox EMD: HDF5 /Data/Image/<id>/Data as (height, width, frames), chunked per frame, and a
    # JSON metadata column per frame (uint8).
    import h5py

    frames = random_frames(rng, np.uint16, int(rng.integers(1, 5)))
    pixel, interval = float(rng.uniform(0.05, 5)), float(rng.uniform(0.001, 1))
    with h5py.File(os.path.join(outdir, "velox.emd"), "w") as f:
        group = f.create_group("Data/Image/0a1b2c3d")
        group.create_dataset("Data", data=np.moveaxis(frames, 0, 2), chunks=(frames.shape[1], frames.shape[2], 1), compression="gzip")
        meta = json.dumps({"BinaryResult": {"PixelSize": {"width": repr(pixel * 1e-9), "height": repr(pixel * 1e-9)}, "PixelUnitX": "m"},
                           "Scan": {"FrameTime": repr(interval)}}).encode() + b"\0" * 7
        column = np.frombuffer(meta, dtype=np.uint8)
        group.create_dataset("Metadata", data=np.repeat(column[:, np.newaxis], frames.shape[0], axis=1))
    add("velox.emd", frames, pixel, interval)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def readdm(paths):
    print(json.dumps([readdm_one(p) for p in paths]))


def readdm_one(path):
    from ncempy.io import dm

    with dm.fileDM(path) as f:
        image = f.getDataset(0)
    data = np.asarray(image["data"])
    if data.ndim == 2:
        data = data[np.newaxis]
    out = expected(data)
    scale, unit = image["pixelSize"][-1], image["pixelUnit"][-1]
    out["pixel_size_nm"] = float(scale) * {"nm": 1.0, "µm": 1000.0, "um": 1000.0, "Å": 0.1}.get(unit, float("nan"))
    return out


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("write", "readdm") or (sys.argv[1] == "write" and len(sys.argv) != 3):
        sys.exit(__doc__)
    write(sys.argv[2]) if sys.argv[1] == "write" else readdm(sys.argv[2:])
