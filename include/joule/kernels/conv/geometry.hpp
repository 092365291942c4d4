// The sizes a 2-D convolution kernel needs at run time. Kernels take sizes as arguments, so one
// compiled kernel serves every layer shape (the layer types carry the shapes at compile time).
#pragma once

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET::kernels {

struct ConvGeometry {
  int in_height = 0;
  int in_width = 0;
  int in_channels = 0;
  int out_height = 0;
  int out_width = 0;
  int out_channels = 0;
  int kernel_height = 1;
  int kernel_width = 1;
  int stride_height = 1;
  int stride_width = 1;
  int pad_top = 0;
  int pad_left = 0;
  int dilation_height = 1;
  int dilation_width = 1;
  int groups = 1;
};

/// Output length along one axis, as PyTorch computes it: floor((in + 2 pad - dilation (k - 1) - 1)
/// / stride) + 1. A result below 1 means the kernel does not fit.
constexpr int conv_output_size(int in, int kernel, int stride, int padding, int dilation) {
  const int span = dilation * (kernel - 1) + 1;
  const int room = in + 2 * padding - span;
  return room < 0 ? 0 : room / stride + 1;
}

}  // namespace joule::inline JOULE_TARGET::kernels
