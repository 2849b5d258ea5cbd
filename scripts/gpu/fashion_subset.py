#!/usr/bin/env python3
"""Writes a Fashion-MNIST subset for the offline GPU kit (docs/gpu.md): the first N training images
and all 10,000 test images, as gzipped IDX files that `--dataset idx:DIR` reads.

    fashion_subset.py N OUT_DIR

The source is the first directory holding the four files among $VIMOE_DATA (and its fashion-mnist
sub-folder), ~/.cache/vimoe/fashion-mnist and /usr/share/datasets/fashion-mnist: the places vimoe
itself looks in."""
import gzip
import os
import struct
import sys

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def source_dir():
    env = os.environ.get("VIMOE_DATA", "")
    candidates = [env, os.path.join(env, "fashion-mnist")] if env else []
    candidates += [os.path.expanduser("~/.cache/vimoe/fashion-mnist"), "/usr/share/datasets/fashion-mnist"]
    for d in candidates:
        if all(os.path.isfile(os.path.join(d, f)) for f in FILES):
            return d
    sys.exit("fashion_subset.py: no Fashion-MNIST found (install Debian's dataset-fashion-mnist, "
             "or run './vimoe train' once with internet access, or set VIMOE_DATA)")


def copy_first(src, dst, limit):
    """Copies an IDX file keeping its first `limit` items (None: all); the header's count follows."""
    with gzip.open(src, "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        dims = magic & 0xFF  # the low byte of the magic number is the number of dimensions
        inner = struct.unpack(">" + "I" * (dims - 1), f.read(4 * (dims - 1)))
        keep = count if limit is None else min(count, limit)
        item = 1
        for d in inner:
            item *= d
        body = f.read(keep * item)
    tmp = dst + ".tmp"
    with gzip.open(tmp, "wb") as f:
        f.write(struct.pack(">II", magic, keep) + struct.pack(">" + "I" * len(inner), *inner) + body)
    os.replace(tmp, dst)
    return keep


def main():
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit("usage: fashion_subset.py N OUT_DIR   (N >= 1 training images)")
    n, out = int(sys.argv[1]), sys.argv[2]
    src = source_dir()
    os.makedirs(out, exist_ok=True)
    for name in FILES:
        kept = copy_first(os.path.join(src, name), os.path.join(out, name), n if name.startswith("train") else None)
    print(f"fashion_subset.py: {min(n, 60000)} training and {kept} test images from {src}", file=sys.stderr)


if __name__ == "__main__":
    main()
