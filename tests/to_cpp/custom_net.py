"""A small network written the way a user writes one, for tools/to_cpp.py's tests.

Every kind of layer the tool maps appears once at least: a convolution with its BatchNorm under
other names (conv1, bn1), a residual block written as `x + self.body(x)`, a grouped convolution
with a bias, a standalone BatchNorm after the residual add, torchvision's squeeze-excitation and
MobileNetV2 inverted residual, a strided 1x1 convolution, flatten of a 3x4 map into Linear (so the
CHW order of PyTorch's flatten matters), functional activations, dropout, and a Linear without
bias. The input is not square (48 x 64) so that height and width cannot be swapped unnoticed.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.ops import SqueezeExcitation

INPUT_SHAPE = (48, 64, 3)  # H, W, C


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU6(),
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels, eps=1e-3),
        )

    def forward(self, x):
        return x + self.body(x)


class SmallNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.block = Block(16)
        self.norm = nn.BatchNorm2d(16)
        self.grouped = nn.Conv2d(16, 32, 3, stride=2, padding=1, groups=2)
        self.act = nn.Hardswish()
        self.se = SqueezeExcitation(32, 8)
        self.inverted = InvertedResidual(32, 32, 1, 4)
        self.reduce = nn.Conv2d(32, 24, 1, stride=2, bias=False)
        self.reduce_bn = nn.BatchNorm2d(24)
        self.down = nn.Conv2d(24, 24, 5, stride=2, padding=2, groups=24, bias=False)
        self.down_bn = nn.BatchNorm2d(24)
        self.fc = nn.Linear(24 * 3 * 4, 32)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(32, classes, bias=False)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.norm(self.block(x))
        x = self.act(self.grouped(x))
        x = self.inverted(self.se(x))
        x = torch.sigmoid(self.reduce_bn(self.reduce(x)))
        x = self.down_bn(self.down(x))
        x = torch.flatten(x, 1)
        x = F.silu(self.fc(x))
        return self.head(self.dropout(x))


def small_net():
    return SmallNet()
