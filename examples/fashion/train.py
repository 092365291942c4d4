#!/usr/bin/python3
"""Train the Fashion-MNIST teacher, or distill the student from it (PyTorch, CPU).

  train.py teacher --out DIR [--epochs N] [--seed S] [--subset N] [--threads T]
  train.py student --teacher DIR/teacher.pt --out DIR [--epochs N] [--temperature T] [--alpha A] ...

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


def train(args):
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    train_x, train_y = tensors("train", args.dataset, args.subset)
    test_x, test_y = tensors("test", args.dataset, args.test_subset)
    model = load_network(args.network)
    teacher = None
    if args.network == "student":
        teacher = load_network("teacher", args.teacher).eval()
        print(f"teacher {args.teacher}: {accuracy(teacher, test_x, test_y):.2f}% on the test set",
              flush=True)
    optimizer = torch.optim.SGD(parameter_groups(model, args.weight_decay), lr=args.lr,
                                momentum=0.9, nesterov=True)
    steps = (len(train_x) + args.batch - 1) // args.batch
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                   steps_per_epoch=steps)
    history = []
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss, correct, seen = 0.0, 0, 0
        epoch_start = time.time()
        for start in range(0, len(train_x), args.batch):
            index = order[start:start + args.batch]
            x, y = augment(train_x[index], generator), train_y[index]
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            if teacher is not None:
                with torch.no_grad():
                    soft = F.softmax(teacher(x) / args.temperature, dim=1)
                distill = F.kl_div(F.log_softmax(logits / args.temperature, dim=1), soft,
                                   reduction="batchmean") * args.temperature ** 2
                loss = args.alpha * distill + (1.0 - args.alpha) * loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(index)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(index)
        test = accuracy(model, test_x, test_y)
        seconds = time.time() - epoch_start
        history.append({"epoch": epoch, "loss": total_loss / seen, "train_accuracy": 100.0 * correct / seen,
                        "test_accuracy": test, "seconds": seconds})
        print(f"{args.network} epoch {epoch}/{args.epochs}: loss {total_loss / seen:.4f}, "
              f"train {100.0 * correct / seen:.2f}%, test {test:.2f}%, {seconds:.0f} s", flush=True)
    os.makedirs(args.out, exist_ok=True)
    model = model.to(memory_format=torch.contiguous_format)
    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    torch.save(state, os.path.join(args.out, f"{args.network}.pt"))
    # File names without their directories: the log travels with the weights.
    settings = {key: value for key, value in vars(args).items() if key not in ("out",)}
    if settings["teacher"]:
        settings["teacher"] = os.path.basename(settings["teacher"])
    with open(os.path.join(args.out, f"{args.network}.json"), "w") as stream:
        json.dump({"settings": settings, "history": history, "seconds": time.time() - started,
                   "torch": torch.__version__}, stream, indent=1)
    print(f"{args.network}: {history[-1]['test_accuracy']:.2f}% after {args.epochs} epochs, "
          f"{time.time() - started:.0f} s; wrote {os.path.join(args.out, args.network + '.pt')}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.split("\n")[0])
    parser.add_argument("network", choices=sorted(models.NETWORKS))
    parser.add_argument("--out", required=True, help="directory for NAME.pt and NAME.json")
    parser.add_argument("--teacher", help="the teacher's state dict (student only)")
    parser.add_argument("--dataset", default=fashion_data.DEFAULT_DIR)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=5e-5)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--alpha", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--subset", type=int, help="train on the first N training images only")
    parser.add_argument("--test-subset", type=int, help="test on the first N test images only")
    args = parser.parse_args(argv)
    if args.network == "student" and not args.teacher:
        parser.error("the student is distilled: give --teacher FILE")
    if args.epochs is None:
        args.epochs = 10 if args.network == "teacher" else 8
    train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
