"""The Fashion-MNIST networks, built from joule's block vocabulary so that tools/to_cpp.py maps
every module: torchvision's MobileNetV2 inverted residual, convolution + BatchNorm + ReLU6,
global average pooling and a linear classifier.

Input: (N, 1, 28, 28) in PyTorch, float pixel / 255 (joule takes the same values as (N, 28, 28, 1)).
The first BatchNorm learns whatever normalization the pixels need, so none is applied outside.

  teacher(): MobileNetV2-style, 28x28 -> 14x14 -> 7x7, about 300k parameters.
  student(): a much narrower and shallower MobileNetV2-style network (about a tenth of the
             teacher's multiply-accumulates or less), trained by distillation from the teacher.
  student_pruned(): the student with half of each expansion's channels removed (prune.py).
"""

from torch import nn
from torchvision.models.mobilenetv2 import InvertedResidual

INPUT_SHAPE = (28, 28, 1)  # H, W, C as joule sees it
CLASSES = 10


def _conv_bn_relu6(inputs, outputs, kernel, stride):
    return nn.Sequential(
        nn.Conv2d(inputs, outputs, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(outputs),
        nn.ReLU6(inplace=True),
    )


def _network(stem, blocks, head, dropout, hidden=None):
    """stem channels; blocks as (expand_ratio, out_channels, repeats, first_stride); head channels.
    hidden: each inverted residual's hidden channels instead of input x expand_ratio (a network
    whose expansion layers were pruned)."""
    layers = [_conv_bn_relu6(1, stem, 3, 1)]
    channels = stem
    for expand, out, repeats, stride in blocks:
        for index in range(repeats):
            if hidden is not None:  # torchvision makes round(input x ratio) hidden channels
                expand = hidden[len(layers) - 1] / channels
            layers.append(InvertedResidual(channels, out, stride if index == 0 else 1, expand))
            channels = out
    layers.append(_conv_bn_relu6(channels, head, 1, 1))
    return nn.Sequential(
        nn.Sequential(*layers),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(head, CLASSES),
    )


def teacher():
    return _network(32, [(1, 16, 1, 1), (6, 24, 2, 2), (6, 48, 3, 2), (6, 64, 2, 1)], 384, 0.2)


STUDENT_BLOCKS = [(1, 8, 1, 1), (4, 16, 1, 2), (4, 24, 2, 2)]

# The hidden channels of the student's inverted residuals after structured pruning (prune.py
# structured --keep 0.5: half of each expansion, a multiple of 8; the first block has no expansion).
PRUNED_HIDDEN = (8, 16, 32, 48)


def student(hidden=None):
    return _network(8, STUDENT_BLOCKS, 96, 0.1, hidden)


def student_pruned():
    return student(PRUNED_HIDDEN)


NETWORKS = {"teacher": teacher, "student": student, "student_pruned": student_pruned}
