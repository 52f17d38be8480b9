"""GIL contention of the image pipeline's map function (issue 15), a check that holds on a
loaded machine: the bench_data image pipeline (read_file -> decode_png -> resize -> random
flip -> convert_image_dtype, batch 64) iterated on one thread over N PNGs, then on two threads
over half each, interleaved rounds. Each thread reads its own ``/proc/thread-self/schedstat``
(Linux): time on a CPU, time waiting for one (the machine's load) and the rest of its wall time,
blocked (the files are in the page cache, so: waiting for the GIL). The gain of two threads
over one is given with the run-queue waits taken out, ``(wall - runq)`` of one thread over the
slower of the two; a thread preempted while it holds the GIL still inflates the other's
blocked time, so a loaded machine understates the gain.

    BENCH_GIL_IMAGES=4000 BENCH_GIL_ROUNDS=5 python benchmarks/bench_data_gil.py
"""

from __future__ import annotations

import os
import tempfile
import threading
import time

import numpy as np

IMAGES = int(os.environ.get("BENCH_GIL_IMAGES", "2000"))
ROUNDS = int(os.environ.get("BENCH_GIL_ROUNDS", "3"))


def _schedstat():
    with open("/proc/thread-self/schedstat") as f:
        cpu, runq, _ = (int(v) for v in f.read().split())
    return cpu / 1e9, runq / 1e9


def _pipeline(tf, folder, shards, index):
    def load(path):
        image = tf.io.decode_png(tf.io.read_file(path), channels=3)
        image = tf.image.resize(image, [48, 48])
        image = tf.image.random_flip_left_right(image, seed=1)
        return tf.image.convert_image_dtype(image / 255.0, tf.float32)

    files = tf.data.Dataset.list_files(os.path.join(folder, "*.png"), shuffle=False)
    return files.shard(shards, index).map(load).batch(64)


def _run(datasets):
    """Iterate each dataset on its own thread: per thread (elements, wall, cpu, runq)."""
    out = [None] * len(datasets)

    def work(i):
        cpu, runq = _schedstat()
        start, n = time.perf_counter(), 0
        for batch in datasets[i]:
            n += int(batch.shape[0])
        cpu2, runq2 = _schedstat()
        out[i] = (n, time.perf_counter() - start, cpu2 - cpu, runq2 - runq)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(datasets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main() -> int:
    import bench_data  # its images

    import tensorhouse as tf

    bench_data.IMAGES = IMAGES
    with tempfile.TemporaryDirectory() as folder:
        bench_data._write_pngs(folder)
        one = [_pipeline(tf, folder, 1, 0)]
        two = [_pipeline(tf, folder, 2, i) for i in range(2)]
        for datasets in (one, two):  # traced once, the files in the page cache
            _run(datasets)
        rows = {1: [], 2: []}
        for _ in range(ROUNDS):
            for k, datasets in ((1, one), (2, two)):
                res = _run(datasets)
                n = sum(r[0] for r in res)
                cpu, runq = sum(r[2] for r in res), sum(r[3] for r in res)
                blocked = sum(r[1] - r[2] - r[3] for r in res)
                busy = max(r[1] - r[3] for r in res)  # the slower thread, run-queue waits out
                rows[k].append((cpu / n * 1e6, runq / n * 1e6, blocked / n * 1e6, busy))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{IMAGES} PNGs, medians of {ROUNDS} rounds (load average {load}); per image:")
    med = {k: np.median(v, axis=0) for k, v in rows.items()}
    for k, (cpu, runq, blocked, _) in med.items():
        print(f"  {k} thread(s): {cpu:6.1f} us CPU, {runq:6.1f} us waiting for a CPU, "
              f"{blocked:6.1f} us blocked (GIL); blocked / CPU {blocked / cpu:.2f}")  # fmt: skip
    print(f"  two threads over one, run-queue waits out: {med[1][3] / med[2][3]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
