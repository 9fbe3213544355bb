"""Shared helpers of bench/scale.sh's Python steps (Debian /usr/bin/python3).

npz_matrix() maps an uncompressed member of an .npz (as bench/synth and
np.savez write them) straight from the file, so a 16 GB vectors array is
read in slices, never loaded whole.
"""
import ast, struct, zipfile
import numpy as np


def npz_member(path, name):
    """np.memmap (or small ndarray) of array `name` in the .npz at path."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name + ".npy")
        if info.compress_type != zipfile.ZIP_STORED:
            with z.open(info) as f:
                return np.lib.format.read_array(f)
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(30)
        if local[:4] != b"PK\x03\x04":
            raise SystemExit(f"{path}: bad zip local header for {name}")
        nlen, xlen = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + nlen + xlen
        f.seek(start)
        magic = f.read(8)
        if magic[:6] != b"\x93NUMPY":
            raise SystemExit(f"{path}: {name} is not a .npy array")
        hlen = struct.unpack("<H" if magic[6] == 1 else "<I", f.read(2 if magic[6] == 1 else 4))[0]
        header = ast.literal_eval(f.read(hlen).decode("latin1"))
        data = f.tell()
    shape, dtype = tuple(header["shape"]), np.dtype(header["descr"])
    if header["fortran_order"]:
        raise SystemExit(f"{path}: {name} is Fortran-ordered")
    return np.memmap(path, dtype=dtype, mode="r", offset=data, shape=shape)


def normalized(X):
    X = np.asarray(X, dtype=np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def rss_mib():
    """This process's peak RSS (VmHWM) in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")
