#!/usr/bin/python3
"""Prune the distilled Fashion-MNIST student and fine-tune it by distillation again (PyTorch, CPU).

  prune.py structured --student S.pt --teacher T.pt --out DIR [--keep 0.5] [--epochs N] ...
  prune.py unstructured --student S.pt --teacher T.pt --out DIR [--sparsity 0.7] [--epochs N] ...

structured: removes the least important hidden channels of each inverted residual that has an
expansion, keeping `keep` of them rounded to a multiple of 8 (the int8 and float kernels' channel
blocks). The result is a smaller network, models.student_pruned() (its widths are checked equal to
models.PRUNED_HIDDEN), written as DIR/student_pruned.pt.
  The criterion scores hidden channel c of a block by how far it can move the block's output:
  |gamma_c| of the depthwise BatchNorm (the spread of the channel after it, ReLU6 aside) times
  the L1 norm of the projection weights that read the channel. It is compared in the log with the
  expansion BatchNorm's |gamma| alone (network slimming, Liu et al., 2017) and with a random
  choice, each by its test accuracy before fine-tuning (BatchNorm statistics measured again on
  5,000 training images first, for all three).

unstructured: sets the smallest-magnitude weights of every pointwise convolution and of the
classifier to zero, `sparsity` of each layer's weights, keeps them zero while fine-tuning, and
writes DIR/student_sparse.pt (dense tensors with zeros) with each layer's count of nonzeros in
DIR/student_sparse.json.

Fine-tuning is train.py's loop (distillation from the teacher, one-cycle learning rate, the same
augmentation) at a lower peak learning rate; each epoch prints one line.
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import train  # noqa: E402

CHANNEL_MULTIPLE = 8
RECALIBRATION_IMAGES = 5000


def expansion_blocks(state):
    """The prefixes ("0.2") of the inverted residuals with an expansion layer, in order: those
    whose depthwise convolution is their second part (conv.1.0), after the expansion (conv.0)."""
    suffix = ".conv.1.0.weight"
    return sorted((key[:-len(suffix)] for key in state if key.endswith(suffix)),
                  key=lambda prefix: [int(part) for part in prefix.split(".")])


def scores(state, prefix, criterion, generator):
    """Importance of each hidden channel of block `prefix`, higher kept."""
    hidden = state[f"{prefix}.conv.0.1.weight"].shape[0]
    if criterion == "random":
        return torch.rand(hidden, generator=generator)
    if criterion == "expansion_gamma":
        return state[f"{prefix}.conv.0.1.weight"].abs()
    project = state[f"{prefix}.conv.2.weight"]  # (out, hidden, 1, 1)
    return state[f"{prefix}.conv.1.1.weight"].abs() * project.abs().sum(dim=(0, 2, 3))


def kept_count(hidden, keep):
    return max(CHANNEL_MULTIPLE, int(round(hidden * keep / CHANNEL_MULTIPLE)) * CHANNEL_MULTIPLE)


def prune_channels(state, keep, criterion, generator):
    """The pruned state dict and each block's hidden width (the first block's included)."""
    pruned = dict(state)
    kept = {}
    for prefix in expansion_blocks(state):
        score = scores(state, prefix, criterion, generator)
        count = kept_count(len(score), keep)
        index = torch.sort(torch.topk(score, count).indices).values  # the channels in their order
        kept[prefix] = count
        for key, tensor in state.items():
            if not key.startswith(prefix + "."):
                continue
            part = key[len(prefix) + 1:]
            if part.startswith(("conv.0.", "conv.1.")) and tensor.dim() >= 1:
                pruned[key] = tensor[index].clone()  # expansion and depthwise: their channels
            elif part == "conv.2.weight":
                pruned[key] = tensor[:, index].clone()  # projection: the inputs it reads
    return pruned, kept


def recalibrate_batch_norm(model, images, batch=500):
    """Every BatchNorm's running statistics measured again on `images` (training mode, no
    gradients, equal weight to each batch): pruning changes the statistics the layers after it
    see, and stale ones would make any pruned network look worse than it is before fine-tuning."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average
    model.train()
    with torch.no_grad():
        for start in range(0, len(images), batch):
            model(images[start:start + batch])
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    model.eval()


def structured(args, data, student_state):
    generator = torch.Generator().manual_seed(args.seed)
    original = train.load_network("student")
    original.load_state_dict(student_state)
    log = {"student_accuracy": train.accuracy(original, data[2], data[3]), "before_fine_tuning": {}}
    print(f"student: {log['student_accuracy']:.2f}% on the test set", flush=True)
    chosen = None
    for criterion in ("random", "expansion_gamma", "depthwise_gamma_x_projection_l1"):
        state, kept = prune_channels(student_state, args.keep, criterion, generator)
        model = models.student_pruned().to(memory_format=torch.channels_last)
        try:
            model.load_state_dict(state)
        except RuntimeError as error:
            raise SystemExit(f"prune.py: --keep {args.keep} gives hidden widths {kept}, not "
                             f"models.PRUNED_HIDDEN {models.PRUNED_HIDDEN}: {error}")
        recalibrate_batch_norm(model, data[0][:RECALIBRATION_IMAGES])
        score = train.accuracy(model, data[2], data[3])
        log["before_fine_tuning"][criterion] = score
        print(f"pruned by {criterion}, before fine-tuning: {score:.2f}%", flush=True)
        chosen = model
    log["hidden"] = kept
    return chosen, "student_pruned", log, None


def unstructured(args, data, student_state):
    model = train.load_network("student")
    model.load_state_dict(student_state)
    masks = {}
    layers = {}
    for name, module in model.named_modules():
        pointwise = isinstance(module, torch.nn.Conv2d) and module.kernel_size == (1, 1) \
            and module.groups == 1
        if pointwise or isinstance(module, torch.nn.Linear):
            weight = module.weight.detach()
            keep = int(round(weight.numel() * (1.0 - args.sparsity)))
            threshold = weight.abs().flatten().sort(descending=True).values[max(keep - 1, 0)]
            mask = (weight.abs() >= threshold) if keep > 0 else torch.zeros_like(weight, dtype=torch.bool)
            masks[name] = mask
            layers[name] = {"weights": weight.numel(), "nonzeros": int(mask.sum())}

    def apply_masks(network):
        with torch.no_grad():
            for name, mask in masks.items():
                network.get_submodule(name).weight.mul_(mask)

    apply_masks(model)
    recalibrate_batch_norm(model, data[0][:RECALIBRATION_IMAGES])
    log = {"before_fine_tuning": train.accuracy(model, data[2], data[3]), "layers": layers}
    print(f"{args.sparsity:.0%} of the pointwise and linear weights zero, before fine-tuning: "
          f"{log['before_fine_tuning']:.2f}%", flush=True)
    return model, "student_sparse", log, apply_masks


def main(argv=None):
    parser = argparse.ArgumentParser(prog="prune.py", description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=("structured", "unstructured"))
    parser.add_argument("--student", required=True, help="the distilled student's state dict")
    parser.add_argument("--teacher", required=True, help="the teacher's state dict")
    parser.add_argument("--out", required=True, help="directory for the pruned state dict and log")
    parser.add_argument("--keep", type=float, default=0.5, help="structured: share of channels kept")
    parser.add_argument("--sparsity", type=float, default=0.7,
                        help="unstructured: share of each layer's weights set to zero")
    train.add_training_arguments(parser, epochs=4, lr=0.02)
    args = parser.parse_args(argv)
    if not 0.0 < args.keep <= 1.0:
        parser.error("--keep is a share of the channels, in (0, 1]")
    if not 0.0 <= args.sparsity < 1.0:
        parser.error("--sparsity is a share of the weights, in [0, 1)")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = train.datasets(args)
    teacher = train.load_network("teacher", args.teacher).eval()
    student_state = torch.load(args.student, map_location="cpu")
    started = time.time()
    prune = structured if args.kind == "structured" else unstructured
    model, name, log, after_step = prune(args, data, student_state)
    history = train.fit(model, teacher, data, args, name, after_step)
    log.update({"history": history, "seconds": time.time() - started})
    train.save(model, name, args, log)
    print(f"{name}: {history[-1]['test_accuracy']:.2f}% after {args.epochs} epochs of fine-tuning, "
          f"{time.time() - started:.0f} s; wrote {os.path.join(args.out, name + '.pt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
