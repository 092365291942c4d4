// The KxK convolution kernel tester (groups 1, the GEMM tile with the kernel's taps as outer
// depth): one case of a convolution with any kernel, stride, dilation and padding on each side,
// run with a kernel record and checked against the reference record (the reference record against
// the naive oracle on the explicitly padded input), nothing written past the output; optionally
// split by output rows, which must give the same bits.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "../support/packing.hpp"
#include "conv_case.hpp"
#include "conv_geometry.hpp"
#include "joule/kernels/conv/dispatch.hpp"
#include "kernel_tester.hpp"

namespace testers {

class ConvTester : public ConvCase<ConvTester> {
 public:
  ConvTester& input_channels(int n) {
    shape_.input_channels = n;
    return *this;
  }
  ConvTester& output_channels(int n) {
    shape_.output_channels = n;
    return *this;
  }

  template <KernelRecord K>
  Outcome test() const;

 private:
  std::string describe(const KernelRecord& k) const {
    return std::string(k.name().view()) + ": " + shape_.describe() + options();
  }
};

template <KernelRecord K>
Outcome ConvTester::test() const {
  namespace conv = joule::kernels::conv;
  const joule::kernels::ConvGeometry g = shape_.geometry();
  const auto what = [&] { return describe(K); };
  REQUIRE(g.out_height >= 1);
  REQUIRE(g.out_width >= 1);
  REQUIRE(conv::fits(K, g));
  const int k = shape_.kernel, in_c = shape_.input_channels, out_c = shape_.output_channels;
  const std::size_t out_size = std::size_t(g.out_height) * g.out_width * out_c;
  const std::uint32_t seed = seed_of({shape_.height, shape_.width, in_c, out_c, k, shape_.stride,
                                      shape_.dilation, shape_.padding.top, shape_.padding.bottom});
  const std::vector<float> in = inputs(std::size_t(shape_.height) * shape_.width * in_c, seed);
  const std::vector<float> oihw = weights(std::size_t(out_c) * in_c * k * k, seed + 1);
  const std::vector<float> packed = testing::conv_weights(oihw, out_c, in_c, k);
  const std::vector<float> bias_values = biases(out_c, seed + 2);
  const std::vector<float> bias = testing::pad_columns(bias_values);
  const float* bias_data = bias_ ? bias.data() : nullptr;

  const auto run = [&]<KernelRecord R>(int first_row, int last_row, std::vector<float>& out) {
    with_activation(activation_, [&]<class A>() {
      conv::run<R, A>(g, first_row, last_row, in.data(), packed.data(), bias_data, out.data());
    });
  };

  const auto oracle_buffer = [&] {
    naive::Tensor oracle_out =
        shape_.oracle(in.data(), oihw.data(), bias_ ? bias_values.data() : nullptr);
    naive::apply(oracle_out, oracle(activation_));
    return expected_buffer(oracle_out, [](std::size_t) { return true; });
  };
  return check_case<K, conv::reference_kernel>(out_size, g.out_height, split_, run, oracle_buffer,
                                               what);
}

}  // namespace testers
