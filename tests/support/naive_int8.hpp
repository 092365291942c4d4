// An int8 oracle written independently of the library: PyTorch's layouts (OIHW int8 weights,
// [out][in] linear weights in CHW order), sums in int64, rounding by std::nearbyint (not the
// library's magic-number addition), the clamp after the rounding. It follows the arithmetic that
// docs/quantization.md specifies, so int8 layers must agree with it bit for bit:
//   bias      q_b = nearbyint(b * (1 / (s_w * s_in)))           in float
//   output    q = clamp(nearbyint(float(sum) * ((s_w * s_in) * (1 / s_out))) + z_out)
//   table     q' = clamp(nearbyint((1 / s') * f(s * (q - z)) + (z' + 128)), 0, 255) - 128
//   sum       QNNPACK's fixed point, to nearest with ties away from zero
//   pooling   nearbyint(float(sum) * (s / (s * pixels))) + z
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace naive {

/// An NHWC int8 tensor with its quantization.
struct QTensor {
  int height = 0, width = 0, channels = 0;
  std::vector<std::int8_t> q;
  float scale = 1.0f;
  int zero_point = 0;

  QTensor() = default;
  QTensor(int h, int w, int c, float s, int z)
      : height(h), width(w), channels(c), q(std::size_t(h) * w * c), scale(s), zero_point(z) {}
  std::int8_t& at(int y, int x, int c) { return q[(std::size_t(y) * width + x) * channels + c]; }
  int value(int y, int x, int c) const { return q[(std::size_t(y) * width + x) * channels + c]; }
};

inline std::int8_t saturate(long long v, int low = -128, int high = 127) {
  return static_cast<std::int8_t>(std::min<long long>(std::max<long long>(v, low), high));
}

inline std::int8_t requantize(long long sum, float multiplier, int zero_point, int low = -128,
                              int high = 127) {
  const float scaled = static_cast<float>(sum) * multiplier;
  return saturate(static_cast<long long>(std::nearbyint(scaled)) + zero_point, low, high);
}

inline std::int8_t quantize(float x, float scale, int zero_point) {
  const float y = x * (1.0f / scale);
  if (std::isnan(y)) return -128;
  return saturate(static_cast<long long>(std::nearbyint(std::min(std::max(y, -1e6f), 1e6f))) +
                  zero_point);
}

/// An activation in float, as the library's tables compute it.
using FloatFunction = std::function<float(float)>;
inline FloatFunction float_activation(const std::string& name) {
  if (name == "HardSwish")
    return [](float x) { return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f; };
  if (name == "HardSigmoid")
    return [](float x) { return std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f; };
  if (name == "Sigmoid") return [](float x) { return 1.0f / (1.0f + std::exp(-x)); };
  if (name == "SiLU") return [](float x) { return x * (1.0f / (1.0f + std::exp(-x))); };
  return nullptr;
}

/// What follows a layer's sum: the output's quantization, the activation, and a table
/// activation's own output quantization.
struct OutputSpec {
  float scale = 1.0f;
  int zero_point = 0;
  std::string activation = "Identity";
  float activation_scale = 1.0f;
  int activation_zero_point = 0;
};

/// The int8 value of one output channel's sum.
/// A table activation's output: the zero point added before the rounding, as uint8 (QNNPACK).
inline std::int8_t table_quantize(float y, float scale, int zero_point) {
  const float v =
      std::min(std::max((1.0f / scale) * y + static_cast<float>(zero_point + 128), 0.0f), 255.0f);
  return static_cast<std::int8_t>(static_cast<int>(std::nearbyint(v)) - 128);
}

inline std::int8_t finish(long long sum, float in_scale, float w_scale, const OutputSpec& out) {
  const float multiplier = (w_scale * in_scale) * (1.0f / out.scale);
  int low = -128, high = 127;
  if (out.activation == "ReLU" || out.activation == "ReLU6") low = out.zero_point;
  if (out.activation == "ReLU6") {
    const float six = std::nearbyint(6.0f / out.scale) + static_cast<float>(out.zero_point);
    if (six < 127.0f) high = static_cast<int>(six);
  }
  const std::int8_t q = requantize(sum, multiplier, out.zero_point, low, high);
  const FloatFunction f = float_activation(out.activation);
  if (!f) return q;
  const float x = out.scale * static_cast<float>(q - out.zero_point);
  return table_quantize(f(x), out.activation_scale, out.activation_zero_point);
}

inline long long quantized_bias(const float* bias, int o, float in_scale, float w_scale) {
  if (bias == nullptr) return 0;
  return static_cast<long long>(std::nearbyint(bias[o] * (1.0f / (w_scale * in_scale))));
}

/// weight: OIHW int8 [out][in / groups][k][k].
inline QTensor conv2d_int8(const QTensor& in, const std::int8_t* weight, const float* w_scale,
                           const float* bias, int out_channels, int kernel, int stride, int padding,
                           int dilation, int groups, const OutputSpec& out) {
  const int out_h = (in.height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
  const int out_w = (in.width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
  const bool table = static_cast<bool>(float_activation(out.activation));
  QTensor result(out_h, out_w, out_channels, table ? out.activation_scale : out.scale,
                 table ? out.activation_zero_point : out.zero_point);
  const int in_per_group = in.channels / groups;
  const int out_per_group = out_channels / groups;
  for (int o = 0; o < out_channels; ++o) {
    const int group = o / out_per_group;
    for (int y = 0; y < out_h; ++y)
      for (int x = 0; x < out_w; ++x) {
        long long sum = quantized_bias(bias, o, in.scale, w_scale[o]);
        for (int i = 0; i < in_per_group; ++i)
          for (int ky = 0; ky < kernel; ++ky)
            for (int kx = 0; kx < kernel; ++kx) {
              const int iy = y * stride - padding + ky * dilation;
              const int ix = x * stride - padding + kx * dilation;
              if (iy < 0 || iy >= in.height || ix < 0 || ix >= in.width) continue;
              const long long w =
                  weight[((std::size_t(o) * in_per_group + i) * kernel + ky) * kernel + kx];
              sum += (in.value(iy, ix, group * in_per_group + i) - in.zero_point) * w;
            }
        result.at(y, x, o) = finish(sum, in.scale, w_scale[o], out);
      }
  }
  return result;
}

/// weight: [out][in], `in` in PyTorch's CHW flattening of the input.
inline QTensor linear_int8(const QTensor& in, const std::int8_t* weight, const float* w_scale,
                           const float* bias, int out_features, const OutputSpec& out) {
  const bool table = static_cast<bool>(float_activation(out.activation));
  QTensor result(1, 1, out_features, table ? out.activation_scale : out.scale,
                 table ? out.activation_zero_point : out.zero_point);
  const std::size_t in_features = std::size_t(in.height) * in.width * in.channels;
  for (int o = 0; o < out_features; ++o) {
    long long sum = quantized_bias(bias, o, in.scale, w_scale[o]);
    for (int c = 0; c < in.channels; ++c)
      for (int y = 0; y < in.height; ++y)
        for (int x = 0; x < in.width; ++x) {
          const std::size_t chw = (std::size_t(c) * in.height + y) * in.width + x;
          sum += (in.value(y, x, c) - in.zero_point) *
                 static_cast<long long>(weight[o * in_features + chw]);
        }
    result.at(0, 0, o) = finish(sum, in.scale, w_scale[o], out);
  }
  return result;
}

/// The mean of each channel, keeping the input's quantization: round(sum * (s / (s * n))) + z.
inline QTensor average_pool_int8(const QTensor& in) {
  QTensor result(1, 1, in.channels, in.scale, in.zero_point);
  const float multiplier = in.scale / (in.scale * static_cast<float>(in.height * in.width));
  for (int c = 0; c < in.channels; ++c) {
    long long sum = 0;
    for (int y = 0; y < in.height; ++y)
      for (int x = 0; x < in.width; ++x) sum += in.value(y, x, c) - in.zero_point;
    result.at(0, 0, c) = requantize(sum, multiplier, in.zero_point);
  }
  return result;
}

/// a + b into the quantization (scale, zero_point), in QNNPACK's fixed point: each operand's
/// scale ratio times 2^shift, 22 bits for the larger (shift = 21 - its binary exponent, in
/// [13, 31]); the sum divided by 2^shift, to nearest, ties away from zero.
inline QTensor add_int8(const QTensor& a, const QTensor& b, float scale, int zero_point) {
  QTensor result(a.height, a.width, a.channels, scale, zero_point);
  const float ra = a.scale / scale, rb = b.scale / scale;
  int exponent = 0;
  std::frexp(std::max(ra, rb), &exponent);  // max = m 2^exponent, m in [0.5, 1)
  const int shift = std::min(std::max(21 - (exponent - 1), 13), 31);
  const double unit = std::ldexp(1.0, shift);
  const long long A = std::min(std::llround(std::nearbyint(double(ra) * unit)), 4194303LL);
  const long long B = std::min(std::llround(std::nearbyint(double(rb) * unit)), 4194303LL);
  for (std::size_t i = 0; i < a.q.size(); ++i) {
    const long long sum = A * (a.q[i] - a.zero_point) + B * (b.q[i] - b.zero_point);
    result.q[i] =
        saturate(static_cast<long long>(std::round(static_cast<double>(sum) / unit)) + zero_point);
  }
  return result;
}

/// x * gate[c] into (scale, zero_point): the squeeze-excite rescale.
inline QTensor scale_channels_int8(const QTensor& x, const QTensor& gate, float scale,
                                   int zero_point) {
  QTensor result(x.height, x.width, x.channels, scale, zero_point);
  const float multiplier = (gate.scale * x.scale) * (1.0f / scale);
  for (int y = 0; y < x.height; ++y)
    for (int xx = 0; xx < x.width; ++xx)
      for (int c = 0; c < x.channels; ++c) {
        const long long product = static_cast<long long>(x.value(y, xx, c) - x.zero_point) *
                                  (gate.value(0, 0, c) - gate.zero_point);
        result.at(y, xx, c) = requantize(product, multiplier, zero_point);
      }
  return result;
}

inline std::vector<float> dequantize(const QTensor& t) {
  std::vector<float> values(t.q.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = t.scale * static_cast<float>(t.q[i] - t.zero_point);
  return values;
}

}  // namespace naive
