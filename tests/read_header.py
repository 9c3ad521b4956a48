#!/usr/bin/env python3
"""read_header.py — a reader of .nnc headers written from docs/FORMAT.md alone.

It knows nothing of nncomp's code: it follows the byte table, the checksum
rules and the derived counts of FORMAT.md, so that a test can hold the
document against the program.

  read_header.py FILE...                 print each header as JSON
  read_header.py --annotate FILE         an annotated hex dump of the header
  read_header.py --check NNCOMP FILE...  compare every field with
                                         `NNCOMP info --json FILE`; exit 1 on
                                         any difference

Needs the xxhash module for the checksums when it is installed; without it
the checksums are reported as unchecked.
"""
import json
import struct
import subprocess
import sys

MAGIC = bytes([0x89, 0x4E, 0x4E, 0x43, 0x0D, 0x0A, 0x1A, 0x0A])
KINDS = {0: "none", 1: "gpt", 2: "rwkv", 3: "ngpt"}

try:
    import xxhash  # type: ignore

    def xxh64(data):
        return xxhash.xxh64_intdigest(data, seed=0)
except ImportError:  # pragma: no cover - optional
    xxh64 = None


class Reader:
    """Reads little-endian fields in order, remembering where each one was."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.fields = []  # (offset, size, name, value)

    def take(self, name, size, value):
        self.fields.append((self.pos, size, name, value))
        self.pos += size
        return value

    def raw(self, size):
        if self.pos + size > len(self.data):
            raise ValueError(f"file ends inside the field at offset {self.pos}")
        return self.data[self.pos:self.pos + size]

    def u(self, name, size):
        return self.take(name, size, int.from_bytes(self.raw(size), "little"))

    def f64(self, name):
        return self.take(name, 8, struct.unpack("<d", self.raw(8))[0])

    def s(self, name):
        n = int.from_bytes(self.raw(2), "little")
        if n > 256:
            raise ValueError(f"{name}: length {n} exceeds 256")
        text = self.raw(2 + n)[2:].decode("utf-8")
        return self.take(name, 2 + n, text)


def ceil_div(a, b):
    return (a + b - 1) // b


def parse(data, validate=True):
    """The header of a .nnc file as a dict of FORMAT.md's field names.

    With validate=False the counts and checksums are not checked (for tools
    that edit files)."""
    if data[:8] != MAGIC:
        raise ValueError("not an nncomp file (no magic)")
    r = Reader(data)
    h = {}
    r.take("magic", 8, MAGIC.hex())
    h["version"] = r.u("version", 2)
    if h["version"] not in (1, 2):
        raise ValueError(f"format version {h['version']} is not described here")
    header_len = r.u("header_len", 4)
    for name, size in [("model.kind", 1), ("model.n_layer", 4), ("model.d_model", 4),
                       ("model.n_head", 4), ("model.ffn_mult", 4)]:
        h[name] = r.u(name, size)
    h["model.rope_base"] = r.f64("model.rope_base")
    h["model.logit_cap"] = r.f64("model.logit_cap")
    for name in ["engine.n_streams", "engine.seg_len", "engine.ctx_len"]:
        h[name] = r.u(name, 4)
    h["optim.muon_lr"] = r.f64("optim.muon_lr")
    h["optim.muon_momentum"] = r.f64("optim.muon_momentum")
    h["optim.ns_steps"] = r.u("optim.ns_steps", 4)
    for name in ["optim.adam_lr", "optim.adam_beta1", "optim.adam_beta2", "optim.adam_eps",
                 "optim.weight_decay"]:
        h[name] = r.f64(name)
    h["optim.warmup_steps"] = r.u("optim.warmup_steps", 4)
    h["optim.lr_end_frac"] = r.f64("optim.lr_end_frac")
    h["seed"] = r.u("seed", 8)
    h["quant_rule"] = r.u("quant_rule", 1)
    h["freq_bits"] = r.u("freq_bits", 1)
    if h["version"] == 2:  # the mixer block
        for name in ["mode", "rule_version", "neural", "log2_slot_bytes", "log2_match",
                     "log2_private_bytes", "log2_private_total", "match_min", "mixer_lr",
                     "final_lr", "sm_limit"]:
            h["mixer." + name] = r.u("mixer." + name, 1)
        h["mixer.models"] = r.u("mixer.models", 4)
        h["mixer.private_models"] = r.u("mixer.private_models", 4)
        h["neural_bits"] = r.f64("neural_bits")
    for name in ["device_kind", "device_name", "cpu_capability", "torch_version",
                 "cuda_version", "build"]:
        h["fingerprint." + name] = r.s("fingerprint." + name)
    h["fingerprint.threads"] = r.u("fingerprint.threads", 4)
    h["fingerprint.sm_count"] = r.u("fingerprint.sm_count", 4)
    h["original_size"] = r.u("original_size", 8)
    h["original_xxh64"] = r.u("original_xxh64", 8)
    h["checkpoint_segments"] = r.u("checkpoint_segments", 4)
    count = h["checkpoint count"] = r.u("checkpoint count", 4)
    h["checkpoints"] = [r.u(f"checkpoints[{i}]", 4) for i in range(count)]
    h["ideal_bits"] = r.f64("ideal_bits")
    n = r.u("stream count", 4)
    h["stream_sizes"] = [r.u(f"stream_sizes[{i}]", 4) for i in range(n)]
    h["payload_xxh64"] = r.u("payload_xxh64", 8)
    body_end = r.pos
    if body_end != 14 + header_len:
        raise ValueError(f"body ends at {body_end}, header_len says {14 + header_len}")
    checksum = r.u("header checksum", 8)
    payload = data[r.pos:]
    h["model"] = KINDS.get(h["model.kind"], "?")
    h["file_size"] = len(data)
    h["header_size"] = r.pos
    h["payload_size"] = len(payload)
    if not validate:
        return h, r.fields
    if len(payload) != sum(h["stream_sizes"]):
        raise ValueError(f"payload has {len(payload)} bytes, stream_sizes sum to "
                         f"{sum(h['stream_sizes'])}")

    # Derived counts (FORMAT.md, "Layout").
    N, B, S = h["original_size"], h["engine.n_streams"], h["engine.seg_len"]
    L = ceil_div(N, B)
    segments = ceil_div(L, S) if N else 0
    expected = ceil_div(segments, h["checkpoint_segments"]) if segments else 0
    if count != expected:
        raise ValueError(f"checkpoint count {count}, the format implies {expected}")
    if n != B:
        raise ValueError(f"stream count {n} is not n_streams {B}")
    if xxh64 is not None:
        if checksum != xxh64(data[:body_end]):
            raise ValueError("header checksum mismatch")
        if h["payload_xxh64"] != xxh64(payload):
            raise ValueError("payload checksum mismatch")
    return h, r.fields


def annotate(data):
    """Hex dump of the header, one field per line, then the payload's start."""
    h, fields = parse(data)
    lines = []
    for off, size, name, value in fields:
        raw = data[off:off + size]
        hexes = raw.hex(" ") if size <= 12 else raw[:12].hex(" ") + " …"
        if isinstance(value, float):
            shown = repr(value)
        elif isinstance(value, int) and size == 8 and name != "seed" and "size" not in name:
            shown = f"0x{value:016x}"
        elif isinstance(value, str):
            shown = json.dumps(value, ensure_ascii=False)
        else:
            shown = str(value)
        lines.append(f"{off:6d}  {hexes:<38} {name} = {shown}")
    start = h["header_size"]
    lines.append(f"{start:6d}  {data[start:start + 12].hex(' ')} …  payload "
                 f"({h['payload_size']} bytes: stream 0's range-coded bytes)")
    return "\n".join(lines)


def check(nncomp, path):
    """Differences between this reader and `nncomp info --json` (empty if none)."""
    with open(path, "rb") as f:
        mine, _ = parse(f.read())
    out = subprocess.run([nncomp, "info", "--json", path], check=True, capture_output=True,
                         text=True).stdout
    theirs = json.loads(out)
    problems = []
    for key, value in theirs.items():
        if key not in mine:
            problems.append(f"{path}: nncomp info shows '{key}', which FORMAT.md does not define")
        elif mine[key] != value:
            problems.append(f"{path}: {key}: FORMAT.md reading {mine[key]!r}, nncomp info {value!r}")
    for key in ("model.kind", "engine.n_streams", "original_size", "ideal_bits", "stream_sizes",
                "fingerprint.threads", "checkpoint_segments"):
        if key not in theirs:
            problems.append(f"{path}: nncomp info --json lacks '{key}'")
    return problems


def main(argv):
    if len(argv) >= 2 and argv[0] == "--annotate":
        with open(argv[1], "rb") as f:
            print(annotate(f.read()))
        return 0
    if len(argv) >= 3 and argv[0] == "--check":
        problems = []
        for path in argv[2:]:
            problems += check(argv[1], path)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"read_header: {len(argv) - 2} files, {len(problems)} differences"
              + ("" if xxh64 else " (checksums not checked: no xxhash module)"))
        return 1 if problems else 0
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for path in argv:
        with open(path, "rb") as f:
            h, _ = parse(f.read())
        print(json.dumps(h, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
