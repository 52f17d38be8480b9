"""Input pipelines (issue 15): tensorhouse's tf.data against TensorFlow's tf.data and PyTorch's
DataLoader, in the same run, interleaved rounds.

1. images: N PNG-encoded 64x64 RGB images on disk (generated here, Pillow), list_files ->
   read_file -> decode_png -> resize to 48x48 -> random flip -> convert_image_dtype -> batch 64
   -> prefetch, with num_parallel_calls 1, 2 and AUTOTUNE (images/s; PyTorch: a Dataset
   decoding with Pillow, num_workers 0 and 2);
2. in memory: from_tensor_slices(x, y) -> shuffle(10000) -> batch(64) -> prefetch over 60,000 x
   784 floats (batches/s; PyTorch: TensorDataset + DataLoader(shuffle=True));
3. TFRecord: read + parse_example of R records with 3 features (records/s).

    BENCH_DATA_IMAGES=20000 BENCH_DATA_RECORDS=100000 python benchmarks/bench_data.py

Defaults are smaller (4,000 images, 20,000 records) so a run takes a minute or two.
``BENCH_DATA_CASES=images`` (a comma list of images, memory, tfrecord) runs only those.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time

import numpy as np

IMAGES = int(os.environ.get("BENCH_DATA_IMAGES", "4000"))
RECORDS = int(os.environ.get("BENCH_DATA_RECORDS", "20000"))
ROUNDS = int(os.environ.get("BENCH_DATA_ROUNDS", "3"))
CASES = set(os.environ.get("BENCH_DATA_CASES", "images,memory,tfrecord").split(","))


def _has(name):
    return importlib.util.find_spec(name) is not None


def _write_pngs(folder):
    from PIL import Image

    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    for i in range(IMAGES):
        shifted = np.roll(base, i % 64, axis=1)
        Image.fromarray(shifted).save(os.path.join(folder, f"{i:06d}.png"))


def _image_pipeline(tf, folder, calls):

    def load(path):
        image = tf.io.decode_png(tf.io.read_file(path), channels=3)
        image = tf.image.resize(image, [48, 48])
        image = tf.image.random_flip_left_right(image, seed=1)
        return tf.image.convert_image_dtype(image / 255.0, tf.float32)

    files = tf.data.Dataset.list_files(os.path.join(folder, "*.png"), shuffle=False)
    return files.map(load, num_parallel_calls=calls).batch(64).prefetch(tf.data.AUTOTUNE)


def _torch_images(folder, workers):
    import torch
    from PIL import Image

    names = sorted(os.listdir(folder))

    class Images(torch.utils.data.Dataset):
        def __len__(self):
            return len(names)

        def __getitem__(self, i):
            with Image.open(os.path.join(folder, names[i])) as img:
                img = img.convert("RGB").resize((48, 48), Image.BILINEAR)
                x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)
            return torch.flip(x, [1]) if torch.rand(()) < 0.5 else x

    return torch.utils.data.DataLoader(Images(), batch_size=64, num_workers=workers)


def _count(iterable):
    n = 0
    for batch in iterable:
        first = batch[0] if isinstance(batch, tuple | list) else batch
        n += int(first.shape[0])
    return n


def _median_rate(fns, unit_count):
    """The median rate of each pipeline over the interleaved rounds, with the median CPU time
    (this process's threads; not PyTorch's worker processes) per unit: on a loaded machine the
    CPU time is the steadier figure."""
    runs = {name: [] for name in fns}
    for _ in range(ROUNDS):
        for name, make in fns.items():
            start, cpu = time.perf_counter(), time.process_time()
            units = unit_count(_count(make()))
            rate = units / (time.perf_counter() - start)
            runs[name].append((rate, (time.process_time() - cpu) / units * 1e6))
    return {name: tuple(np.median(r, axis=0)) for name, r in runs.items()}


def _report(title, medians, unit):
    cpu = {k: c for k, (_, c) in medians.items()}
    rates = {k: r for k, (r, _) in medians.items()}
    th = {k: v for k, v in rates.items() if k.startswith("tensorhouse")}
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{title}, medians of {ROUNDS} rounds (load average {load})")
    for name, rate in rates.items():
        print(f"  {name:<28}{rate:>12,.0f} {unit}{cpu[name]:>10,.1f} us CPU each")
    for name, rate in th.items():
        peers = {k: v for k, v in rates.items() if not k.startswith("tensorhouse")}
        if peers:
            ratios = ", ".join(f"{rate / v:.2f}x {k}" for k, v in peers.items())
            print(f"  {name}: {ratios}")


def _images_case(libs, tmp):
    folder = os.path.join(tmp, "images")
    os.makedirs(folder)
    _write_pngs(folder)
    fns = {}
    for name, lib in libs.items():
        fns[f"{name} parallel=1"] = lambda lib=lib: _image_pipeline(lib, folder, None)
        fns[f"{name} parallel=2"] = lambda lib=lib: _image_pipeline(lib, folder, 2)
        fns[f"{name} AUTOTUNE"] = lambda lib=lib: _image_pipeline(lib, folder, lib.data.AUTOTUNE)
    if _has("torch"):
        fns["torch workers=0"] = lambda: _torch_images(folder, 0)
        fns["torch workers=2"] = lambda: _torch_images(folder, 2)
    medians = _median_rate(fns, lambda n: n)
    _report(f"1. {IMAGES} PNGs -> decode, resize 48x48, flip, batch 64", medians, "images/s")
    for name in libs:  # the gain from a second map thread (target: 1.6x)
        one, two = medians[f"{name} parallel=1"][0], medians[f"{name} parallel=2"][0]
        print(f"  {name} parallel=2 / parallel=1: {two / one:.2f}x")


def _memory_case(libs):
    x = np.random.default_rng(1).random((60000, 784), dtype=np.float32)
    y = np.random.default_rng(2).integers(0, 10, 60000)
    fns = {}
    for name, lib in libs.items():
        fns[name] = lambda lib=lib: (
            lib.data.Dataset.from_tensor_slices((x, y)).shuffle(10000).batch(64)
            .prefetch(lib.data.AUTOTUNE)
        )  # fmt: skip
    if _has("torch"):
        import torch

        tensors = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        fns["torch"] = lambda: torch.utils.data.DataLoader(tensors, 64, shuffle=True)
    _report("2. in memory 60,000 x 784 -> shuffle(10000) -> batch(64)",
            _median_rate(fns, lambda n: n / 64), "batches/s")  # fmt: skip


def _tfrecord_case(libs, th, tmp):
    path = os.path.join(tmp, "records.tfrecord")
    with th.io.TFRecordWriter(path) as writer:
        for i in range(RECORDS):
            example = th.train.Example(features=th.train.Features(feature={
                "id": th.train.Feature(int64_list=th.train.Int64List(value=[i])),
                "x": th.train.Feature(float_list=th.train.FloatList(value=[i * 0.5, 1.0])),
                "name": th.train.Feature(bytes_list=th.train.BytesList(value=[b"row"])),
            }))  # fmt: skip
            writer.write(example.SerializeToString())
    fns = {}
    for name, lib in libs.items():
        spec = {
            "id": lib.io.FixedLenFeature([], lib.int64),
            "x": lib.io.FixedLenFeature([2], lib.float32),
            "name": lib.io.FixedLenFeature([], lib.string),
        }
        fns[name] = lambda lib=lib, spec=spec: (
            lib.data.TFRecordDataset(path).batch(256)
            .map(lambda r, spec=spec: lib.io.parse_example(r, spec)["x"])
        )  # fmt: skip
    _report(f"3. TFRecord {RECORDS} records, parse_example (3 features)",
            _median_rate(fns, lambda n: n), "records/s")  # fmt: skip


def main() -> int:
    import tensorhouse as th

    tf = None
    if _has("tensorflow"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
    libs = {"tensorhouse": th} | ({"tf": tf} if tf is not None else {})
    with tempfile.TemporaryDirectory() as tmp:
        if "images" in CASES:
            _images_case(libs, tmp)
        if "memory" in CASES:
            _memory_case(libs)
        if "tfrecord" in CASES:
            _tfrecord_case(libs, th, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
