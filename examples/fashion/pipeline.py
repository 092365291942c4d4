#!/usr/bin/python3
"""The whole Fashion-MNIST compression pipeline, from the dataset to int8 weights and the table.

  pipeline.py --out DIR [--joule PATH] [--quick] [--install] [--seed S] [--trained]

1. trains the teacher (train.py teacher), 2. distills the student from it (train.py student),
3. prunes half of each expansion's channels from the student and fine-tunes it by distillation
   (prune.py structured), and, measured in PyTorch only until joule has a sparse layer type, sets
   70% of its pointwise and linear weights to zero and fine-tunes that (prune.py unstructured), 4. exports the three with tools/to_cpp.py (a C++ header of the network
   type and its safetensors weights) and checks that the types are the ones the joule command's
   zoo holds (examples/fashion/fashion_*.hpp): a changed models.py must regenerate them,
5. writes a calibration set (the first 512 training images) and quantizes both students with
   `joule quantize`, 6. evaluates the five networks with `joule eval` on the test set.
--install copies the weights and training logs into examples/fashion/weights/, where the joule
command takes them from at its next build. --quick trains one epoch on 2,000 images and
evaluates 500 test images: the pipeline's proof in CI, not a trained network. --trained takes
DIR/teacher.pt, DIR/student.pt and DIR/student_pruned.pt (and their logs) from an earlier run and
starts at step 4.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import fashion_data  # noqa: E402
import tool_cli  # noqa: E402

PYTHON = "/usr/bin/python3"
NETWORKS = {"teacher": "FashionTeacher", "student": "FashionStudent",
            "student_pruned": "FashionStudentPruned"}
STUDENTS = ("student", "student_pruned")  # the networks quantized
CALIBRATION_IMAGES = 512


def step(title):
    print(f"== {title} ==", flush=True)


def run(command, cwd=None):
    started = time.time()
    subprocess.run(command, check=True, cwd=cwd)
    return time.time() - started


def export(network, out):
    """to_cpp.py: the header and weights of one trained network; the header must equal the zoo's."""
    header = os.path.abspath(os.path.join(out, f"fashion_{network}.hpp"))
    run([PYTHON, os.path.join(REPO, "tools", "to_cpp.py"), f"examples/fashion/models.py:{network}",
         "--input-shape", "28,28,1", "--header", header,
         "--weights", os.path.abspath(os.path.join(out, f"{network}.safetensors")),
         "--name", NETWORKS[network], "--namespace", "fashion",
         "--state-dict", os.path.abspath(os.path.join(out, f"{network}.pt"))], cwd=REPO)
    with open(header) as written, open(os.path.join(HERE, f"fashion_{network}.hpp")) as zoo:
        if written.read() != zoo.read():
            raise SystemExit(f"pipeline.py: {header} differs from examples/fashion/fashion_{network}.hpp: "
                             f"models.py changed the {network}; copy the header there and rebuild joule")


def main(argv=None):
    parser = tool_cli.Parser(prog="pipeline.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory for every file the pipeline makes")
    parser.add_argument("--joule", help="the joule command (default: $PATH, then the build tree)")
    parser.add_argument("--dataset", default=fashion_data.DEFAULT_DIR)
    parser.add_argument("--quick", action="store_true", help="one epoch on 2,000 images")
    parser.add_argument("--install", action="store_true",
                        help="copy the weights and logs into examples/fashion/weights/")
    parser.add_argument("--trained", action="store_true",
                        help="DIR holds the trained networks already: start at the export")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.quick and args.install:
        parser.error("--quick trains no network worth shipping: it does not go with --install")
    joule = tool_cli.find_joule(args.joule)
    os.makedirs(args.out, exist_ok=True)
    common = ["--out", args.out, "--dataset", args.dataset, "--seed", str(args.seed),
              "--threads", str(args.threads)]
    if args.quick:
        common += ["--epochs", "1", "--subset", "2000", "--test-subset", "500"]
    seconds = {}

    if args.trained:
        for network in NETWORKS:
            with open(os.path.join(args.out, f"{network}.json")) as stream:
                seconds[network] = json.load(stream)["seconds"]
    else:
        step("1. the teacher")
        seconds["teacher"] = run([PYTHON, os.path.join(HERE, "train.py"), "teacher"] + common)
        step("2. the student, distilled from the teacher")
        teacher = ["--teacher", os.path.join(args.out, "teacher.pt")]
        seconds["student"] = run([PYTHON, os.path.join(HERE, "train.py"), "student"] + teacher + common)
        step("3. the student pruned (half of each expansion) and fine-tuned")
        seconds["student_pruned"] = run([PYTHON, os.path.join(HERE, "prune.py"), "structured",
                                         "--student", os.path.join(args.out, "student.pt")]
                                        + teacher + common)
        # Unstructured pruning is measured in PyTorch only: joule has the sparse kernel
        # (kernels/sparse/) but no sparse layer type yet to export it to.
        step("3b. the student with 70% of its pointwise and linear weights zero (PyTorch only)")
        seconds["student_sparse"] = run([PYTHON, os.path.join(HERE, "prune.py"), "unstructured",
                                         "--student", os.path.join(args.out, "student.pt")]
                                        + teacher + common)
    step("4. all three exported to C++ (tools/to_cpp.py)")
    for network in NETWORKS:
        export(network, args.out)

    step("5. the students in int8 (joule quantize)")
    images, _ = fashion_data.load("train", args.dataset)
    calibration = os.path.join(args.out, "calibration.npy")
    np.save(calibration, (images[:CALIBRATION_IMAGES, :, :, None] / np.float32(255.0)).astype(np.float32))
    for network in STUDENTS:
        # Run where the files are, so that the int8 file's metadata names them without a directory.
        quantized = subprocess.run([joule, "quantize", f"fashion_{network}", "--weights",
                                    f"{network}.safetensors", "--calibration", "calibration.npy",
                                    "--output", f"{network}_int8.safetensors"],
                                   capture_output=True, text=True, cwd=args.out)
        if quantized.returncode != 0:
            raise SystemExit(f"pipeline.py: joule quantize fashion_{network}: "
                             f"{quantized.stderr.strip().splitlines()[-1:]}")
        print(f"  {os.path.join(args.out, network + '_int8.safetensors')}, calibrated on "
              f"{CALIBRATION_IMAGES} training images", flush=True)

    step("6. accuracy on the test set (joule eval, C++)")
    limit = ["--limit", "500"] if args.quick else []
    results = {}
    rows = [(network, f"fashion_{network}", f"{network}.safetensors", "f32") for network in NETWORKS]
    rows += [(f"{network}_int8", f"fashion_{network}", f"{network}_int8.safetensors", "int8")
             for network in STUDENTS]
    for name, model, weights, precision in rows:
        done = subprocess.run([joule, "eval", model, "--dataset", args.dataset, "--weights",
                               os.path.join(args.out, weights), "--precision", precision, "--json"]
                              + limit, check=True, capture_output=True, text=True)
        results[name] = json.loads(done.stdout)
        print(f"  {name}: {results[name]['accuracy']:.2f}% of {results[name]['images']} test images",
              flush=True)
    # The float networks in C++ are PyTorch's: the same accuracy on the same images, but for an
    # image whose two top logits are within rounding of each other.
    for network in NETWORKS:
        with open(os.path.join(args.out, f"{network}.json")) as stream:
            pytorch = json.load(stream)["history"][-1]["test_accuracy"]
        cxx = results[network]
        allowed = 100.0 / cxx["images"]  # one image
        if abs(cxx["accuracy"] - pytorch) > allowed:
            raise SystemExit(f"pipeline.py: the {network} scores {cxx['accuracy']:.2f}% in C++ but "
                             f"{pytorch:.2f}% in PyTorch on the same {cxx['images']} test images")
        print(f"  {network}: C++ {cxx['accuracy']:.2f}% = PyTorch {pytorch:.2f}% (within one image)")
    sparse_log = os.path.join(args.out, "student_sparse.json")
    if os.path.exists(sparse_log):
        with open(sparse_log) as stream:
            sparse = json.load(stream)
        results["student_sparse_pytorch"] = {"accuracy": sparse["history"][-1]["test_accuracy"],
                                             "layers": sparse["layers"]}
        print(f"  student_sparse (PyTorch): {sparse['history'][-1]['test_accuracy']:.2f}%")
    for result in results.values():  # the log travels with the weights: file names only
        if "weights" in result:
            result["weights"] = os.path.basename(result["weights"])
    with open(os.path.join(args.out, "pipeline.json"), "w") as stream:
        json.dump({"seconds": seconds, "eval": results, "quick": args.quick}, stream, indent=1)

    if args.install:
        step("7. installed into examples/fashion/weights/")
        target = os.path.join(HERE, "weights")
        names = [f"{network}{suffix}" for network in NETWORKS for suffix in (".safetensors", ".json")]
        names += [f"{network}_int8.safetensors" for network in STUDENTS] + ["pipeline.json"]
        if os.path.exists(sparse_log):
            names.append("student_sparse.json")  # the PyTorch-only result's log
        for name in names:
            shutil.copy(os.path.join(args.out, name), os.path.join(target, name))
            print(f"  {os.path.join(target, name)}")
    print(f"pipeline: teacher {seconds['teacher']:.0f} s, student {seconds['student']:.0f} s, pruned "
          f"student {seconds['student_pruned']:.0f} s of training on {args.threads} threads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
