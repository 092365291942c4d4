// The int8 kernel testers. They run the int8 kernels over the float testers' shapes (the same
// ConvShape, borders and channel counts) against the independent int8 oracle
// (tests/support/naive_int8.hpp) bit for bit:
//   Int8ConvTester   the int8 convolution kernels (any record of conv::int8_records, any
//                    groups), the int8 depthwise kernels (any record of
//                    depthwise::int8_records) and the int8 pointwise kernels (any record of
//                    pointwise::int8_records, on a block of channels), the int8 linear kernels
//                    (linear::int8_records: a pointwise case of one pixel), each activation as a
//                    clamp (Identity, ReLU, ReLU6) or a 256-entry table; the padding explicit in
//                    the oracle as the input's zero point; the zero points and the output scale
//                    drawn, or set to extremes
//   Int8PoolTester   pool::global_average_int8
// The kernels' output stage (bias, multipliers, clamp, table) is built from the quantization with
// the oracle's formulas (docs/quantization.md), so what is tested is the kernels' sums, indexing,
// requantization and table lookup.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../support/naive_int8.hpp"
#include "conv_case.hpp"
#include "conv_geometry.hpp"
#include "joule/kernels/conv/int8_dispatch.hpp"
#include "joule/kernels/depthwise/int8_dispatch.hpp"
#include "joule/kernels/gemm/packing.hpp"
#include "joule/kernels/linear/int8_dispatch.hpp"
#include "joule/kernels/pointwise/int8_dispatch.hpp"
#include "joule/kernels/pool/int8_reference.hpp"
#include "kernel_tester.hpp"

namespace testers {

/// Int8 values over the whole range (-128 included), deterministic from the seed.
inline std::vector<std::int8_t> int8_values(std::size_t count, std::uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_int_distribution<int> value(-128, 127);
  std::vector<std::int8_t> values(count);
  for (std::int8_t& v : values) v = static_cast<std::int8_t>(value(engine));
  return values;
}

/// The first `count` differences of two int8 buffers, described; empty when they are the same.
inline std::string int8_differences(const std::vector<std::int8_t>& actual,
                                    const std::vector<std::int8_t>& expected) {
  std::string text;
  int shown = 0;
  for (std::size_t i = 0; i < actual.size() && i < expected.size() && shown < 3; ++i) {
    if (actual[i] == expected[i]) continue;
    text += " [" + std::to_string(i) + "] " + std::to_string(actual[i]) + " (oracle " +
            std::to_string(expected[i]) + ")";
    ++shown;
  }
  if (actual.size() != expected.size()) text += " sizes differ";
  return text;
}

enum class Int8Op : std::uint8_t { conv, depthwise, pointwise, linear };

class Int8ConvTester : public ConvCase<Int8ConvTester> {
 public:
  Int8ConvTester& op(Int8Op o) {
    op_ = o;
    return *this;
  }
  /// Depthwise: the channels; otherwise the input's.
  Int8ConvTester& input_channels(int n) {
    shape_.input_channels = n;
    return *this;
  }
  Int8ConvTester& output_channels(int n) {
    shape_.output_channels = n;
    return *this;
  }
  Int8ConvTester& groups(int n) {
    shape_.groups = n;
    return *this;
  }
  /// Pointwise: compute only output channels [first, last).
  Int8ConvTester& channel_block(int first, int last) {
    first_channel_ = first;
    last_channel_ = last;
    return *this;
  }

  /// Pointwise: the kernel (a record of pointwise::int8_records; the reference by default).
  Int8ConvTester& pointwise_kernel(const KernelRecord& k) {
    pointwise_kernel_ = k;
    return *this;
  }
  /// KxK convolution: the kernel (a record of conv::int8_records; the reference by default).
  Int8ConvTester& conv_kernel(const KernelRecord& k) {
    conv_kernel_ = k;
    return *this;
  }
  /// Linear (input_size(1, 1)): the kernel (a record of linear::int8_records).
  Int8ConvTester& linear_kernel(const KernelRecord& k) {
    linear_kernel_ = k;
    return *this;
  }
  /// Depthwise: the kernel (a record of depthwise::int8_records; the reference by default).
  Int8ConvTester& depthwise_kernel(const KernelRecord& k) {
    depthwise_kernel_ = k;
    return *this;
  }
  /// The input's and the output's zero points instead of drawn ones (e.g. -128 or 127).
  Int8ConvTester& zero_points(int input, int output) {
    input_zero_point_ = input;
    output_zero_point_ = output;
    return *this;
  }
  /// The output's scale instead of one drawn from [0.02, 0.2]: small saturates the sums at both
  /// ends, large sends them all to the zero point.
  Int8ConvTester& output_scale(float scale) {
    output_scale_ = scale;
    return *this;
  }

  int output_height() const { return shape().geometry().out_height; }
  int output_width() const { return shape().geometry().out_width; }

  bool test() const;

 private:
  ConvShape shape() const {
    ConvShape s = shape_;
    if (op_ == Int8Op::depthwise) s.output_channels = s.groups = s.input_channels;
    if (op_ == Int8Op::pointwise || op_ == Int8Op::linear) {
      s.kernel = s.stride = s.dilation = s.groups = 1;
      s.padding = Padding{};
    }
    return s;
  }
  std::string describe() const {
    const KernelRecord& k = op_ == Int8Op::linear      ? linear_kernel_
                            : op_ == Int8Op::pointwise ? pointwise_kernel_
                            : op_ == Int8Op::depthwise ? depthwise_kernel_
                                                       : conv_kernel_;
    const std::string kernel(k.name().view());
    return kernel + ": " + shape().describe() + ", groups " + std::to_string(shape().groups) +
           ", channels [" + std::to_string(first_channel_) + ", " + std::to_string(last_channel_) +
           "), zero points " + std::to_string(input_zero_point_) + " " +
           std::to_string(output_zero_point_) + ", output scale " + std::to_string(output_scale_) +
           options();
  }

  Int8Op op_ = Int8Op::conv;
  int first_channel_ = 0;
  int last_channel_ = -1;
  KernelRecord pointwise_kernel_ = joule::kernels::pointwise::int8_reference_kernel;
  KernelRecord depthwise_kernel_ = joule::kernels::depthwise::int8_reference_kernel;
  KernelRecord conv_kernel_ = joule::kernels::conv::int8_reference_kernel;
  KernelRecord linear_kernel_ = joule::kernels::linear::int8_reference_kernel;
  int input_zero_point_ = no_zero_point;
  int output_zero_point_ = no_zero_point;
  float output_scale_ = 0.0f;  // 0: drawn
  static constexpr int no_zero_point = 1000;
};

inline bool Int8ConvTester::test() const {
  namespace kernels = joule::kernels;
  const ConvShape s = shape();
  const kernels::ConvGeometry g = s.geometry();
  REQUIRE(g.out_height >= 1);
  REQUIRE(g.out_width >= 1);
  const int in_c = s.input_channels, out_c = s.output_channels, k = s.kernel;
  const int in_per_group = in_c / s.groups;
  const std::uint32_t seed =
      seed_of({s.height, s.width, in_c, out_c, k, s.stride, s.dilation, s.groups, s.padding.top,
               s.padding.bottom, static_cast<int>(op_), static_cast<int>(activation_)});
  std::mt19937 engine(seed);
  const auto uniform = [&](float low, float high) {
    return std::uniform_real_distribution<float>(low, high)(engine);
  };
  const auto zero_point = [&] { return std::uniform_int_distribution<int>(-100, 100)(engine); };
  const auto zero_point_or = [&](int set) { return set == no_zero_point ? zero_point() : set; };

  // The quantization: scales that make sums saturate sometimes at both ends.
  naive::QTensor in(s.height, s.width, in_c, uniform(0.01f, 0.05f),
                    zero_point_or(input_zero_point_));
  in.q = int8_values(in.q.size(), seed + 1);
  const std::vector<std::int8_t> oihw =
      int8_values(std::size_t(out_c) * in_per_group * k * k, seed + 2);
  std::vector<float> weight_scale(out_c), bias(out_c);
  for (float& w : weight_scale) w = uniform(0.001f, 0.01f);
  for (float& b : bias) b = uniform(-2.0f, 2.0f);
  naive::OutputSpec out_spec;
  out_spec.scale = uniform(0.02f, 0.2f);
  if (output_scale_ > 0.0f) out_spec.scale = output_scale_;
  out_spec.zero_point = zero_point_or(output_zero_point_);
  out_spec.activation = std::string(name(activation_));
  out_spec.activation_scale = uniform(0.005f, 0.05f);
  out_spec.activation_zero_point = zero_point();

  // The oracle, the padding as the input's zero point (a real zero).
  naive::QTensor padded(s.height + s.padding.top + s.padding.bottom,
                        s.width + s.padding.left + s.padding.right, in_c, in.scale, in.zero_point);
  for (std::int8_t& q : padded.q) q = static_cast<std::int8_t>(in.zero_point);
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x)
      for (int c = 0; c < in_c; ++c)
        padded.at(y + s.padding.top, x + s.padding.left, c) =
            static_cast<std::int8_t>(in.value(y, x, c));
  const naive::QTensor oracle_out =
      naive::conv2d_int8(padded, oihw.data(), weight_scale.data(), bias_ ? bias.data() : nullptr,
                         out_c, k, s.stride, 0, s.dilation, s.groups, out_spec);

  // The kernel's weights and output stage.
  std::vector<std::int8_t> packed;
  if (op_ == Int8Op::depthwise) {
    packed.resize(std::size_t(k) * k * in_c);  // [k][k][channels]
    for (int c = 0; c < in_c; ++c)
      for (int t = 0; t < k * k; ++t)
        packed[std::size_t(t) * in_c + c] = oihw[std::size_t(c) * k * k + t];
  } else {
    const int rows = k * k * in_per_group;  // HWIO rows
    packed.assign(kernels::gemm::packed_size(rows, out_c), 0);
    for (int o = 0; o < out_c; ++o)
      for (int i = 0; i < in_per_group; ++i)
        for (int t = 0; t < k * k; ++t)
          packed[kernels::gemm::packed_index(t * in_per_group + i, o, rows)] =
              oihw[(std::size_t(o) * in_per_group + i) * k * k + t];
  }
  std::vector<std::int32_t> stage_bias(out_c);
  std::vector<float> multiplier(out_c);
  for (int o = 0; o < out_c; ++o) {
    stage_bias[o] = static_cast<std::int32_t>(
        naive::quantized_bias(bias_ ? bias.data() : nullptr, o, in.scale, weight_scale[o]));
    multiplier[o] = (weight_scale[o] * in.scale) * (1.0f / out_spec.scale);
  }
  kernels::Int8Output stage;
  stage.bias = stage_bias.data();
  stage.multiplier = multiplier.data();
  stage.zero_point = out_spec.zero_point;
  if (activation_ == Activation::relu || activation_ == Activation::relu6)
    stage.low = out_spec.zero_point;
  if (activation_ == Activation::relu6) {
    const float six = std::nearbyint(6.0f / out_spec.scale) + float(out_spec.zero_point);
    if (six < 127.0f) stage.high = static_cast<std::int32_t>(six);
  }
  std::vector<std::int8_t> table(256);
  const naive::FloatFunction f = naive::float_activation(out_spec.activation);
  if (f) {
    for (int q = -128; q <= 127; ++q)
      table[q + 128] =
          naive::table_quantize(f(out_spec.scale * float(q - out_spec.zero_point)),
                                out_spec.activation_scale, out_spec.activation_zero_point);
    stage.table = table.data();
  }

  const int last_channel = last_channel_ < 0 ? out_c : last_channel_;
  const int parts =
      op_ == Int8Op::pointwise || op_ == Int8Op::linear ? g.out_height * g.out_width : g.out_height;
  const auto run = [&](int first, int last, std::vector<std::int8_t>& out) {
    if (op_ == Int8Op::linear) {
      REQUIRE(parts == 1);
      if (first == last) return;
      const bool known = kernels::with_record<kernels::linear::int8_records>(
          linear_kernel_, [&]<KernelRecord K>() {
            kernels::linear::run_int8<K>(first_channel_, last_channel, in_c, out_c, in.q.data(),
                                         in.zero_point, packed.data(), stage, out.data());
          });
      REQUIRE(known);
    } else if (op_ == Int8Op::pointwise) {
      const bool known = kernels::with_record<kernels::pointwise::int8_records>(
          pointwise_kernel_, [&]<KernelRecord K>() {
            kernels::pointwise::run_int8<K>(first, last, first_channel_, last_channel, in_c, out_c,
                                            in.q.data(), in.zero_point, packed.data(), stage,
                                            out.data());
          });
      REQUIRE(known);
    } else if (op_ == Int8Op::depthwise) {
      const bool known = kernels::with_record<kernels::depthwise::int8_records>(
          depthwise_kernel_, [&]<KernelRecord K>() {
            kernels::depthwise::run_int8<K>(g, in.q.data(), in.zero_point, packed.data(), stage,
                                            out.data(), first, last);
          });
      REQUIRE(known);
    } else {
      const bool known =
          kernels::with_record<kernels::conv::int8_records>(conv_kernel_, [&]<KernelRecord K>() {
            kernels::conv::run_int8<K>(g, in.q.data(), in.zero_point, packed.data(), stage,
                                       out.data(), first, last);
          });
      REQUIRE(known);
    }
  };
  // Outside a block of channels and past the end the kernel leaves the fill (a value the
  // oracle's outputs there are set to as well).
  constexpr std::int8_t fill = 77;
  std::vector<std::int8_t> expected(oracle_out.q.size() + guard_floats, fill);
  for (std::size_t i = 0; i < oracle_out.q.size(); ++i) {
    const int channel = static_cast<int>(i % out_c);
    if (channel >= first_channel_ && channel < last_channel) expected[i] = oracle_out.q[i];
  }
  std::vector<std::int8_t> actual(expected.size(), fill);
  run(0, parts, actual);
  bool passed = true;
  if (actual != expected) {
    FAIL_CHECK(describe() << ": differs from the int8 oracle:"
                          << int8_differences(actual, expected));
    passed = false;
  }
  if (split_ >= 0) {
    std::vector<std::int8_t> apart(expected.size(), fill);
    run(0, split_, apart);
    run(split_, parts, apart);
    if (apart != actual) {
      FAIL_CHECK(describe() << ": the two runs differ");
      passed = false;
    }
  }
  return passed;
}

class Int8PoolTester {
 public:
  Int8PoolTester& pixels(int n) {
    pixels_ = n;
    return *this;
  }
  Int8PoolTester& channels(int n) {
    channels_ = n;
    return *this;
  }

  bool test() const {
    const std::uint32_t seed = seed_of({pixels_, channels_});
    std::mt19937 engine(seed);
    naive::QTensor in(1, pixels_, channels_,
                      std::uniform_real_distribution<float>(0.01f, 0.1f)(engine),
                      std::uniform_int_distribution<int>(-100, 100)(engine));
    in.q = int8_values(in.q.size(), seed + 1);
    const naive::QTensor oracle_out = naive::average_pool_int8(in);
    std::vector<std::int8_t> actual(channels_ + guard_floats, 77);
    std::vector<std::int8_t> expected = actual;
    std::copy(oracle_out.q.begin(), oracle_out.q.end(), expected.begin());
    const float multiplier = in.scale / (in.scale * static_cast<float>(pixels_));
    joule::kernels::pool::global_average_int8(pixels_, channels_, in.q.data(), in.zero_point,
                                              multiplier, in.zero_point, actual.data());
    if (actual == expected) return true;
    FAIL_CHECK("i8_gavgpool__reference: pixels "
               << pixels_ << ", channels " << channels_
               << ": differs from the int8 oracle:" << int8_differences(actual, expected));
    return false;
  }

 private:
  int pixels_ = 1;
  int channels_ = 1;
};

}  // namespace testers
