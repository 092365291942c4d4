#!/usr/bin/python3
"""Train the Fashion-MNIST teacher, or distill the student from it (PyTorch, CPU).

  train.py teacher --out DIR [--epochs N] [--seed S] [--subset N] [--threads T]
  train.py student --teacher DIR/teacher.pt --out DIR [--epochs N] [--temperature T] [--alpha A] ...
  train.py student --no-teacher --out DIR ...   (labels only: what distillation is measured against)

Writes DIR/NAME.pt (the state dict, for tools/to_cpp.py --state-dict) and DIR/NAME.json (the
settings, each epoch's loss and accuracies, the seconds taken). Each epoch prints one line.
The seed fixes the initialization, the batch order and the augmentation (PyTorch does not promise
bit-identical CPU training across runs, so a rerun may differ slightly).

Training: SGD with Nesterov momentum under a one-cycle learning rate, weight decay on the weights
of convolutions and linear layers only; each batch is augmented by a random horizontal flip and a
random shift of up to 2 pixels (zero padding). The student's loss is distillation (Hinton et al.,
2015): alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * cross
entropy with the labels, the teacher run on the same augmented batch.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_data  # noqa: E402
import models  # noqa: E402


def tensors(split, directory, subset=None):
    images, labels = fashion_data.load(split, directory)
    if subset is not None:
        images, labels = images[:subset], labels[:subset]
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x.contiguous(memory_format=torch.channels_last), torch.from_numpy(labels.astype(np.int64))


def augment(x, generator):
    """A random horizontal flip and a random shift of up to 2 pixels, per image."""
    n = x.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (n,), generator=generator)
    dx = torch.randint(0, 5, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(28)[None, :])[:, None, :, None].expand(n, 1, 28, 32)
    shifted = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(28)[None, :])[:, None, None, :].expand(n, 1, 28, 28)
    return shifted.gather(3, cols).contiguous(memory_format=torch.channels_last)


def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(x), batch):
            correct += (model(x[start:start + batch]).argmax(1) == y[start:start + batch]).sum().item()
    return 100.0 * correct / len(x)


def parameter_groups(model, weight_decay):
    decayed = [p for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
               for name, p in m.named_parameters(recurse=False) if name == "weight"]
    ids = {id(p) for p in decayed}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return [{"params": decayed, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def load_network(name, path=None):
    model = models.NETWORKS[name]()
    if path is not None:
        model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.to(memory_format=torch.channels_last)


def distillation_loss(logits, labels, teacher_logits, temperature, alpha):
    """alpha * T^2 * KL(teacher || student at temperature T) + (1 - alpha) * cross entropy."""
    hard = F.cross_entropy(logits, labels)
    if teacher_logits is None:
        return hard
    soft = F.softmax(teacher_logits / temperature, dim=1)
    distill = F.kl_div(F.log_softmax(logits / temperature, dim=1), soft,
                       reduction="batchmean") * temperature ** 2
    return alpha * distill + (1.0 - alpha) * hard


def fit(model, teacher, data, args, name, after_step=None):
    """args.epochs of SGD under a one-cycle schedule peaking at args.lr, distilled from `teacher`
    when there is one; after_step(model) runs after every optimizer step (a pruning mask). Returns
    one record per epoch."""
    train_x, train_y, test_x, test_y = data
    generator = torch.Generator().manual_seed(args.seed)
    optimizer = torch.optim.SGD(parameter_groups(model, args.weight_decay), lr=args.lr,
                                momentum=0.9, nesterov=True)
    steps = (len(train_x) + args.batch - 1) // args.batch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                   steps_per_epoch=steps)
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss, correct, seen = 0.0, 0, 0
        epoch_start = time.time()
        for start in range(0, len(train_x), args.batch):
            index = order[start:start + args.batch]
            x, y = augment(train_x[index], generator), train_y[index]
            logits = model(x)
            teacher_logits = None
            if teacher is not None:
                with torch.no_grad():
                    teacher_logits = teacher(x)
            loss = distillation_loss(logits, y, teacher_logits, args.temperature, args.alpha)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if after_step is not None:
                after_step(model)
            total_loss += loss.item() * len(index)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(index)
        test = accuracy(model, test_x, test_y)
        seconds = time.time() - epoch_start
        history.append({"epoch": epoch, "loss": total_loss / seen, "train_accuracy": 100.0 * correct / seen,
                        "test_accuracy": test, "seconds": seconds})
        print(f"{name} epoch {epoch}/{args.epochs}: loss {total_loss / seen:.4f}, "
              f"train {100.0 * correct / seen:.2f}%, test {test:.2f}%, {seconds:.0f} s", flush=True)
    return history


def save(model, name, args, log):
    """DIR/NAME.pt (the state dict, contiguous) and DIR/NAME.json (settings and `log`), file names
    in the log without their directories: the log travels with the weights."""
    os.makedirs(args.out, exist_ok=True)
    model = model.to(memory_format=torch.contiguous_format)
    state = {key: tensor.contiguous() for key, tensor in model.state_dict().items()}
    torch.save(state, os.path.join(args.out, f"{name}.pt"))
    settings = {key: value for key, value in vars(args).items() if key not in ("out",)}
    for key in ("teacher", "student"):
        if settings.get(key):
            settings[key] = os.path.basename(settings[key])
    with open(os.path.join(args.out, f"{name}.json"), "w") as stream:
        json.dump({"settings": settings, **log, "torch": torch.__version__}, stream, indent=1)


def datasets(args):
    """(train_x, train_y, test_x, test_y) as args.dataset, args.subset and args.test_subset say."""
    return (*tensors("train", args.dataset, args.subset),
            *tensors("test", args.dataset, args.test_subset))


def train(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = datasets(args)
    model = load_network(args.network)
    teacher = None
    if args.network == "student" and not args.no_teacher:
        teacher = load_network("teacher", args.teacher).eval()
        print(f"teacher {args.teacher}: {accuracy(teacher, data[2], data[3]):.2f}% on the test set",
              flush=True)
    started = time.time()
    name = args.network + ("_no_teacher" if args.no_teacher else "")
    history = fit(model, teacher, data, args, name)
    save(model, name, args, {"history": history, "seconds": time.time() - started})
    print(f"{name}: {history[-1]['test_accuracy']:.2f}% after {args.epochs} epochs, "
          f"{time.time() - started:.0f} s; wrote {os.path.join(args.out, name + '.pt')}")


def add_training_arguments(parser, epochs, lr):
    """The options of fit() and datasets(), shared by train.py and prune.py."""
    parser.add_argument("--dataset", default=fashion_data.DEFAULT_DIR)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=lr, help="the one-cycle schedule's peak")
    parser.add_argument("--weight-decay", type=float, default=5e-5)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--alpha", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--subset", type=int, help="train on the first N training images only")
    parser.add_argument("--test-subset", type=int, help="test on the first N test images only")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n")[0])
    parser.add_argument("network", choices=sorted(models.NETWORKS))
    parser.add_argument("--out", required=True, help="directory for NAME.pt and NAME.json")
    parser.add_argument("--teacher", help="the teacher's state dict (student only)")
    parser.add_argument("--no-teacher", action="store_true",
                        help="student: train on the labels alone, as NAME_no_teacher.pt")
    add_training_arguments(parser, epochs=None, lr=0.1)
    args = parser.parse_args(argv)
    if args.network == "student" and not args.teacher and not args.no_teacher:
        parser.error("the student is distilled: give --teacher FILE (or --no-teacher)")
    if args.no_teacher and (args.teacher or args.network != "student"):
        parser.error("--no-teacher trains the student alone: no --teacher")
    if args.epochs is None:
        args.epochs = 10 if args.network == "teacher" else 8
    train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
