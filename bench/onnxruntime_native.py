"""onnxruntime (PyPI, CPU) on the same model and input as `vibe-opsy bench`; prints one JSON line."""

import argparse
import json
import pathlib
import statistics
import time

import numpy as np
import onnxruntime as ort


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tensor", required=True, help="float32 NHWC [1,254,254,3] little-endian")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="print time per op type (onnxruntime's profiler) instead")
    args = ap.parse_args()

    x = np.fromfile(args.tensor, "<f4").reshape(1, 254, 254, 3)
    meta = np.array([[0, 0, 1, 0, 0, 0, 0, 1, 51.9 / 90.0, 1]], np.float32)
    t = time.perf_counter()
    data = pathlib.Path(args.model).read_bytes()
    read_ms = (time.perf_counter() - t) * 1e3
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    if args.profile:
        opts.enable_profiling = True
        opts.profile_file_prefix = "/tmp/ort-profile"
    t = time.perf_counter()
    session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    session_ms = (time.perf_counter() - t) * 1e3
    feed = {"input_layer_2": x, "input_layer_3": meta}
    t = time.perf_counter()
    session.run(["output_0"], feed)
    first_ms = (time.perf_counter() - t) * 1e3
    if args.profile:
        for _ in range(args.runs):
            session.run(["output_0"], feed)
        trace = json.loads(pathlib.Path(session.end_profiling()).read_text())
        by_op = {}
        for e in trace:
            if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
                op = e["args"]["op_name"]
                ms, nodes = by_op.get(op, (0.0, set()))
                nodes.add(e["name"])
                by_op[op] = (ms + e["dur"] / 1e3, nodes)
        # the warm-up run is in the trace too: runs + 1
        ops = [{"op": op, "ms_per_run": ms / (args.runs + 1), "nodes": len(nodes)} for op, (ms, nodes) in by_op.items()]
        print(json.dumps(sorted(ops, key=lambda o: -o["ms_per_run"])))
        return
    runs = []
    for _ in range(args.runs):
        t = time.perf_counter()
        session.run(["output_0"], feed)
        runs.append((time.perf_counter() - t) * 1e3)
    runs.sort()
    print(
        json.dumps(
            {
                "runtime": f"onnxruntime {ort.__version__} ({args.threads} thread)",
                "read_ms": read_ms,
                "session_ms": session_ms,
                "first_inference_ms": first_ms,
                "inference_median_ms": statistics.median(runs),
                "inference_p90_ms": runs[int(round((len(runs) - 1) * 0.9))],
                "inference_min_ms": runs[0],
                "runs": args.runs,
            }
        )
    )


if __name__ == "__main__":
    main()
