// The geometry the convolution testers (KxK, depthwise, fused) build a case from: sizes, kernel,
// stride, dilation and padding on each side, which may differ (padding only before, only after).
#pragma once

#include <sstream>
#include <string>

#include "../support/naive.hpp"
#include "joule/kernels/conv/geometry.hpp"

namespace testers {

/// Zero rows and columns around the input: top and left are ConvGeometry's pad_top and pad_left;
/// bottom and right are what the output size implies.
struct Padding {
  int top = 0;
  int left = 0;
  int bottom = 0;
  int right = 0;
  /// The same on every side.
  static Padding all(int p) { return Padding{p, p, p, p}; }
  /// `before` on the top and left, `after` on the bottom and right.
  static Padding sides(int before, int after) { return Padding{before, before, after, after}; }
};

struct ConvShape {
  int height = 1;
  int width = 1;
  int input_channels = 1;
  int output_channels = 1;
  int kernel = 1;
  int stride = 1;
  int dilation = 1;
  int groups = 1;
  Padding padding;

  /// Output length along one axis with padding `before` and `after`: PyTorch's formula with the
  /// two sides apart; below 1 when the kernel does not fit.
  int output_size(int in, int before, int after) const {
    const int room = in + before + after - dilation * (kernel - 1) - 1;
    return room < 0 ? 0 : room / stride + 1;
  }

  joule::kernels::ConvGeometry geometry() const {
    joule::kernels::ConvGeometry g;
    g.in_height = height;
    g.in_width = width;
    g.in_channels = input_channels;
    g.out_channels = output_channels;
    g.kernel_height = g.kernel_width = kernel;
    g.stride_height = g.stride_width = stride;
    g.dilation_height = g.dilation_width = dilation;
    g.pad_top = padding.top;
    g.pad_left = padding.left;
    g.groups = groups;
    g.out_height = output_size(height, padding.top, padding.bottom);
    g.out_width = output_size(width, padding.left, padding.right);
    return g;
  }

  /// The naive oracle's convolution of `in` (NHWC floats, this shape's input) with OIHW weights:
  /// padding made explicit, so that unequal sides need nothing of the oracle.
  naive::Tensor oracle(const naive::Tensor& in, const float* oihw, const float* bias) const {
    const naive::Tensor padded =
        naive::zero_padded(in, padding.top, padding.left, padding.bottom, padding.right);
    return naive::conv2d(padded, oihw, bias, output_channels, kernel, stride, 0, dilation, groups);
  }
  naive::Tensor oracle(const float* in, const float* oihw, const float* bias) const {
    return oracle(naive::from_floats(in, height, width, input_channels), oihw, bias);
  }

  std::string describe() const {
    std::ostringstream text;
    text << height << "x" << width << "x" << input_channels << " -> " << output_channels
         << ", kernel " << kernel << ", stride " << stride << ", dilation " << dilation
         << ", padding " << padding.top << "/" << padding.left << "/" << padding.bottom << "/"
         << padding.right << " (top/left/bottom/right)";
    return text.str();
  }
};

}  // namespace testers
