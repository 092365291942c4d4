// The pointwise (1x1 convolution, GEMM tile) kernel tester: one case of
//   out[p][o] = Act(bias[o] + residual[p][o] + sum over i of in[p][i] * W[i][o])
// for pixels [0, pixels) and output channels [first_channel, last_channel), run with a kernel
// record and checked against the reference record (the reference record against the naive
// oracle), every output outside the block and past the end left untouched; optionally split by
// pixels or by panels, which must give the same bits.
#pragma once

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include "../support/packing.hpp"
#include "joule/kernels/pointwise/dispatch.hpp"
#include "kernel_tester.hpp"

namespace testers {

class PointwiseTester {
 public:
  PointwiseTester& pixels(int n) {
    pixels_ = n;
    return *this;
  }
  PointwiseTester& input_channels(int n) {
    input_channels_ = n;
    return *this;
  }
  PointwiseTester& output_channels(int n) {
    output_channels_ = n;
    return *this;
  }
  /// Compute only output channels [first, last); first on a panel boundary (32 channels).
  PointwiseTester& channel_block(int first, int last) {
    first_channel_ = first;
    last_channel_ = last;
    return *this;
  }
  PointwiseTester& residual(bool on) {
    residual_ = on;
    return *this;
  }
  PointwiseTester& bias(bool on) {
    bias_ = on;
    return *this;
  }
  PointwiseTester& activation(Activation a) {
    activation_ = a;
    return *this;
  }
  /// Also run pixels [0, cut) and [cut, pixels) apart.
  PointwiseTester& pixel_split(int cut) {
    pixel_split_ = cut;
    return *this;
  }
  /// Also run channels [first, cut) and [cut, last) apart (cut on a panel boundary).
  PointwiseTester& channel_split(int cut) {
    channel_split_ = cut;
    return *this;
  }

  template <KernelRecord K>
  Outcome test() const;

 private:
  int last_channel() const { return last_channel_ < 0 ? output_channels_ : last_channel_; }
  std::size_t output_size() const { return std::size_t(pixels_) * output_channels_; }
  std::string describe(const KernelRecord& k) const;

  int pixels_ = 1;
  int input_channels_ = 1;
  int output_channels_ = 1;
  int first_channel_ = 0;
  int last_channel_ = -1;
  bool residual_ = false;
  bool bias_ = true;
  Activation activation_ = Activation::identity;
  int pixel_split_ = -1;
  int channel_split_ = -1;
};

inline std::string PointwiseTester::describe(const KernelRecord& k) const {
  std::ostringstream text;
  text << k.name().view() << ": pixels " << pixels_ << ", input channels " << input_channels_
       << ", output channels " << output_channels_ << " [" << first_channel_ << ", "
       << last_channel() << ")" << (residual_ ? ", residual" : "") << (bias_ ? ", bias" : "")
       << ", " << name(activation_);
  if (pixel_split_ >= 0) text << ", split at pixel " << pixel_split_;
  if (channel_split_ >= 0) text << ", split at channel " << channel_split_;
  return text.str();
}

template <KernelRecord K>
Outcome PointwiseTester::test() const {
  namespace pointwise = joule::kernels::pointwise;
  const int in_c = input_channels_, out_c = output_channels_;
  const std::uint32_t seed = seed_of({pixels_, in_c, out_c});
  const std::vector<float> in = inputs(std::size_t(pixels_) * in_c, seed);
  const std::vector<float> oi =
      weights(std::size_t(out_c) * in_c, seed + 1);  // PyTorch's [out][in]
  const std::vector<float> packed = testing::conv_weights(oi, out_c, in_c, 1);
  const std::vector<float> bias_values = biases(out_c, seed + 2);
  const std::vector<float> bias = testing::pad_columns(bias_values);
  const std::vector<float> residual = inputs(output_size(), seed + 3);
  const float* bias_data = bias_ ? bias.data() : nullptr;
  const float* residual_data = residual_ ? residual.data() : nullptr;

  const auto run = [&]<KernelRecord R>(int first, int last, int first_c, int last_c,
                                       std::vector<float>& out) {
    with_activation(activation_, [&]<class A>() {
      pointwise::run_block<R, A>(std::size_t(first), std::size_t(last), first_c, last_c, in_c,
                                 out_c, in.data(), packed.data(), bias_data, residual_data,
                                 out.data());
    });
  };
  const auto what = [&] { return describe(K); };

  const auto by_pixels = [&]<KernelRecord R>(int first, int last, std::vector<float>& out) {
    run.template operator()<R>(first, last, first_channel_, last_channel(), out);
  };
  const auto oracle_buffer = [&] {
    naive::Tensor oracle_out =
        naive::conv2d(naive::from_floats(in.data(), 1, pixels_, in_c), oi.data(),
                      bias_ ? bias_values.data() : nullptr, out_c, 1, 1, 0, 1, 1);
    if (residual_)
      oracle_out = naive::add(oracle_out, naive::from_floats(residual.data(), 1, pixels_, out_c));
    naive::apply(oracle_out, oracle(activation_));
    return expected_buffer(oracle_out, [&](std::size_t i) {
      const int channel = static_cast<int>(i % out_c);
      return channel >= first_channel_ && channel < last_channel();
    });
  };
  Outcome outcome = check_case<K, pointwise::reference_kernel>(output_size(), pixels_, pixel_split_,
                                                               by_pixels, oracle_buffer, what);
  if (channel_split_ >= 0) {
    std::vector<float> split = output_buffer(output_size());
    run.template operator()<K>(0, pixels_, first_channel_, channel_split_, split);
    run.template operator()<K>(0, pixels_, channel_split_, last_channel(), split);
    outcome.passed &= check_same_bits(split, outcome.output, what);
  }
  return outcome;
}

}  // namespace testers
