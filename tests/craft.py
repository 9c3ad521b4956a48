#!/usr/bin/env python3
"""craft.py — make hostile .nnc files from valid ones, for the bad-input tests.

  craft.py IN OUT [FIELD=VALUE ...] [--append-stream=S:HEX] [--set-stream=S:HEX]
           [--checkpoints=N] [--keep-checksums]

FIELD is a name of docs/FORMAT.md's byte table (as tests/read_header.py reads
it: model.n_layer, optim.muon_lr, fingerprint.threads, original_size,
checkpoint_segments, ...); VALUE an integer, a float for f64 fields, or text
of the same length for strings. --append-stream adds bytes to the end of stream S, --set-stream
replaces its bytes (the stream sizes follow); --checkpoints=N makes the
checkpoint list N zeros long (header_len follows). Unless --keep-checksums is
given, both checksums (header and payload) are recomputed, so that the field
checks and not the checksums must catch the edit.
"""
import struct
import sys

import read_header

try:
    import xxhash  # type: ignore
except ImportError:
    sys.exit("craft.py needs the xxhash module (pip install xxhash)")


def resize_checkpoints(data, n):
    """The file with a checkpoint list of n zeros (and header_len to match)."""
    h, fields = read_header.parse(data, validate=False)
    at = {name: (off, size) for off, size, name, _ in fields}
    count_off, _ = at["checkpoint count"]
    list_end = count_off + 4 + 4 * h["checkpoint count"]
    out = bytearray(data[:count_off]) + n.to_bytes(4, "little") + bytes(4 * n) + data[list_end:]
    header_len = int.from_bytes(out[10:14], "little") + 4 * (n - h["checkpoint count"])
    out[10:14] = header_len.to_bytes(4, "little")
    return bytes(out)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    src, dst, edits = argv[0], argv[1], argv[2:]
    data = open(src, "rb").read()
    for edit in edits:
        if edit.startswith("--checkpoints="):
            data = resize_checkpoints(data, int(edit.split("=", 1)[1]))
    edits = [e for e in edits if not e.startswith("--checkpoints=")]
    h, fields = read_header.parse(data, validate=False)
    at = {name: (off, size) for off, size, name, _ in fields}
    header = bytearray(data[:h["header_size"]])
    streams = []
    pos = h["header_size"]
    for n in h["stream_sizes"]:
        streams.append(bytearray(data[pos:pos + n]))
        pos += n
    reseal = True
    for edit in edits:
        if edit == "--keep-checksums":
            reseal = False
            continue
        if edit.startswith("--append-stream=") or edit.startswith("--set-stream="):
            kind, spec = edit[2:].split("=", 1)
            s, hexbytes = spec.split(":", 1)
            extra = bytes.fromhex(hexbytes)
            if kind == "append-stream":
                streams[int(s)] += extra
            else:
                streams[int(s)] = bytearray(extra)
            continue
        name, value = edit.split("=", 1)
        off, size = at[name]
        old = h[name]
        if isinstance(old, float):
            header[off:off + 8] = struct.pack("<d", float(value))
        elif isinstance(old, str):
            new = value.encode("utf-8")
            if len(new) != len(old.encode("utf-8")):
                raise SystemExit(f"{name}: only strings of the same length (the layout stays)")
            header[off + 2:off + 2 + len(new)] = new
        else:
            v = int(value, 0)
            header[off:off + size] = (v % (1 << (8 * size))).to_bytes(size, "little")
    # stream sizes and payload checksum follow the streams
    for i, s in enumerate(streams):
        o, _ = at[f"stream_sizes[{i}]"]
        header[o:o + 4] = len(s).to_bytes(4, "little")
    payload = b"".join(bytes(s) for s in streams)
    if reseal:
        o, _ = at["payload_xxh64"]
        header[o:o + 8] = xxhash.xxh64_intdigest(payload).to_bytes(8, "little")
        o, _ = at["header checksum"]
        header[o:o + 8] = xxhash.xxh64_intdigest(bytes(header[:o])).to_bytes(8, "little")
    open(dst, "wb").write(bytes(header) + payload)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
