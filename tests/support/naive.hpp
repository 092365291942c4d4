// An oracle written independently of the library: double precision, PyTorch's weight layouts
// (OIHW convolutions, [out][in] linear with CHW flattening), explicit bounds checks, no shared
// code with include/joule. Layer and kernel tests compare against it.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace naive {

/// An NHWC tensor of doubles.
struct Tensor {
  int height = 0, width = 0, channels = 0;
  std::vector<double> values;

  Tensor() = default;
  Tensor(int h, int w, int c) : height(h), width(w), channels(c), values(std::size_t(h) * w * c, 0.0) {}
  double& at(int y, int x, int c) { return values[(std::size_t(y) * width + x) * channels + c]; }
  double at(int y, int x, int c) const { return values[(std::size_t(y) * width + x) * channels + c]; }
  std::size_t size() const { return values.size(); }
};

inline Tensor from_floats(const float* data, int h, int w, int c) {
  Tensor t(h, w, c);
  for (std::size_t i = 0; i < t.size(); ++i) t.values[i] = data[i];
  return t;
}

using Function = std::function<double(double)>;

inline Function activation(const std::string& name) {
  if (name == "Identity") return [](double x) { return x; };
  if (name == "ReLU") return [](double x) { return std::max(x, 0.0); };
  if (name == "ReLU6") return [](double x) { return std::min(std::max(x, 0.0), 6.0); };
  if (name == "HardSigmoid") return [](double x) { return std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0; };
  if (name == "HardSwish") return [](double x) { return x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0; };
  if (name == "Sigmoid") return [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  if (name == "SiLU") return [](double x) { return x / (1.0 + std::exp(-x)); };
  throw std::runtime_error("naive: unknown activation " + name);
}

inline void apply(Tensor& t, const Function& f) {
  for (double& v : t.values) v = f(v);
}

/// weight: OIHW [out][in / groups][k][k]; bias may be null.
inline Tensor conv2d(const Tensor& in, const float* weight, const float* bias, int out_channels, int kernel,
                     int stride, int padding, int dilation, int groups) {
  const int out_h = (in.height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
  const int out_w = (in.width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
  const int in_per_group = in.channels / groups;
  const int out_per_group = out_channels / groups;
  Tensor out(out_h, out_w, out_channels);
  for (int o = 0; o < out_channels; ++o) {
    const int group = o / out_per_group;
    for (int y = 0; y < out_h; ++y)
      for (int x = 0; x < out_w; ++x) {
        double sum = bias ? bias[o] : 0.0;
        for (int i = 0; i < in_per_group; ++i)
          for (int ky = 0; ky < kernel; ++ky)
            for (int kx = 0; kx < kernel; ++kx) {
              const int iy = y * stride + ky * dilation - padding;
              const int ix = x * stride + kx * dilation - padding;
              if (iy < 0 || ix < 0 || iy >= in.height || ix >= in.width) continue;
              const double w = weight[((std::size_t(o) * in_per_group + i) * kernel + ky) * kernel + kx];
              sum += w * in.at(iy, ix, group * in_per_group + i);
            }
        out.at(y, x, o) = sum;
      }
  }
  return out;
}

/// `in` surrounded by rows and columns of zeros: what a convolution with padding (top, left,
/// bottom, right) reads, so that one with unequal sides is a convolution of this with padding 0.
inline Tensor zero_padded(const Tensor& in, int top, int left, int bottom, int right) {
  Tensor out(in.height + top + bottom, in.width + left + right, in.channels);
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x)
      for (int c = 0; c < in.channels; ++c) out.at(y + top, x + left, c) = in.at(y, x, c);
  return out;
}

/// x * scale[c] + shift[c] per channel; shift may be null (then 0).
inline void affine(Tensor& t, const float* scale, const float* shift) {
  for (int y = 0; y < t.height; ++y)
    for (int x = 0; x < t.width; ++x)
      for (int c = 0; c < t.channels; ++c)
        t.at(y, x, c) = t.at(y, x, c) * scale[c] + (shift ? shift[c] : 0.0);
}

inline void batch_norm(Tensor& t, const float* gamma, const float* beta, const float* mean, const float* var,
                       double eps) {
  for (int y = 0; y < t.height; ++y)
    for (int x = 0; x < t.width; ++x)
      for (int c = 0; c < t.channels; ++c)
        t.at(y, x, c) = (t.at(y, x, c) - mean[c]) / std::sqrt(double(var[c]) + eps) * gamma[c] + beta[c];
}

/// weight: [out][in] with `in` flattened as PyTorch flattens NCHW: (c * H + y) * W + x.
inline Tensor linear(const Tensor& in, const float* weight, const float* bias, int out_features) {
  Tensor out(1, 1, out_features);
  const std::size_t in_features = in.size();
  for (int o = 0; o < out_features; ++o) {
    double sum = bias ? bias[o] : 0.0;
    for (int c = 0; c < in.channels; ++c)
      for (int y = 0; y < in.height; ++y)
        for (int x = 0; x < in.width; ++x)
          sum += double(weight[o * in_features + (std::size_t(c) * in.height + y) * in.width + x]) * in.at(y, x, c);
    out.values[o] = sum;
  }
  return out;
}

inline Tensor global_average(const Tensor& in) {
  Tensor out(1, 1, in.channels);
  for (int c = 0; c < in.channels; ++c) {
    double sum = 0.0;
    for (int y = 0; y < in.height; ++y)
      for (int x = 0; x < in.width; ++x) sum += in.at(y, x, c);
    out.values[c] = sum / (double(in.height) * in.width);
  }
  return out;
}

/// torchvision's SqueezeExcitation: fc1/fc2 are 1x1 convolutions with bias.
inline Tensor squeeze_excite(const Tensor& in, const float* fc1_w, const float* fc1_b, const float* fc2_w,
                             const float* fc2_b, int squeezed, const Function& act, const Function& gate) {
  Tensor pooled = global_average(in);
  Tensor hidden = conv2d(pooled, fc1_w, fc1_b, squeezed, 1, 1, 0, 1, 1);
  apply(hidden, act);
  Tensor scale = conv2d(hidden, fc2_w, fc2_b, in.channels, 1, 1, 0, 1, 1);
  apply(scale, gate);
  Tensor out = in;
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x)
      for (int c = 0; c < in.channels; ++c) out.at(y, x, c) *= scale.values[c];
  return out;
}

inline Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = a;
  for (std::size_t i = 0; i < out.size(); ++i) out.values[i] += b.values[i];
  return out;
}

}  // namespace naive
