"""The ``tensorhouse`` command: ``tensorhouse info`` and ``tensorhouse demo``."""

from __future__ import annotations

import argparse
import json
import sys

_DISTRIBUTIONS = [
    "tensorhouse",
    "tensorhouse-models",
    "tensorhouse-components",
    "tensorhouse-ops",
    "tensorhouse-kernels",
    "tensorhouse-hw-runtime",
]


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _info(args) -> int:
    import tensorhouse as tf

    if args.xla:  # list every device: loads JAX (seconds), which a plain report leaves alone
        tf.config.list_physical_devices()
    info = tf.system_info()
    # every layer's version, from the installed distributions' metadata
    info["versions"] = {dist: _dist_version(dist) for dist in _DISTRIBUTIONS}
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print("versions:")
    for dist, version in info["versions"].items():
        print(f"  {dist:24s} {version}")
    print("backends:")
    for backend, status in info["backends"].items():
        print(f"  {backend:8s} {status}")
    print("devices:")
    for name in info["devices"]:
        print(f"  {name}")
    for p in info["physical_devices"]:
        d = p["details"]
        extra = ", ".join(d["isa"]) if "isa" in d else d.get("device_name", "")
        print(f"  {p['name']}: {extra}")
    print("kernels:")
    for dev, c in info["kernels"].items():
        print(f"  {dev:8s} {c['kernels']} kernels for {c['op_types']} op types")
    cpu = info["cpu"]
    print(
        f"cpu: {cpu['threads']} threads (OpenMP {'on' if cpu['openmp'] else 'off'}), "
        f"BLAS {cpu['blas']} core {cpu['blas_core']}"
    )
    print(f"  GEMM: {cpu['gemm']}")
    return 0


def _demo(args) -> int:
    from . import demo

    return demo.main(verbose=0 if args.quiet else 1, png=args.png)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tensorhouse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_info = sub.add_parser("info", help="devices, backends and kernel counts per device")
    p_info.add_argument("--json", action="store_true", help="print JSON")
    p_info.add_argument(
        "--xla", action="store_true", help="also load JAX and report its XLA devices"
    )
    p_info.set_defaults(fn=_info)
    p_demo = sub.add_parser(
        "demo", help="a tour: the seed's regression at each API level, then a digits CNN"
    )
    p_demo.add_argument("--quiet", action="store_true", help="no progress bar")
    p_demo.add_argument(
        "--png",
        default="tensorhouse-demo.png",
        help="where to write the curves and confusion matrix (needs matplotlib)",
    )
    p_demo.set_defaults(fn=_demo)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
