// The depthwise convolution kernel tester: one case of a depthwise convolution (one filter per
// channel) with any kernel, stride, dilation and padding on each side, run with a kernel record
// and checked against the reference record (the reference record against the naive oracle on the
// explicitly padded input), nothing written past the output; optionally split by output rows,
// which must give the same bits.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "../support/packing.hpp"
#include "conv_case.hpp"
#include "conv_geometry.hpp"
#include "joule/kernels/depthwise/dispatch.hpp"
#include "kernel_tester.hpp"

namespace testers {

/// Output pixels the depthwise record K computes together (depthwise/simd.hpp), or the largest
/// group of any target (8) for the reference.
template <KernelRecord K>
constexpr int pixel_group() {
#if JOULE_SIMD
  if constexpr (K.simd())
    return joule::kernels::depthwise::detail::pixels_per_group<joule::arch::Default, K.kernel,
                                                               K.stride>();
#endif
  return 8;
}

class DepthwiseTester : public ConvCase<DepthwiseTester> {
 public:
  DepthwiseTester& channels(int n) {
    shape_.input_channels = shape_.output_channels = shape_.groups = n;
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
Outcome DepthwiseTester::test() const {
  namespace depthwise = joule::kernels::depthwise;
  const joule::kernels::ConvGeometry g = shape_.geometry();
  const auto what = [&] { return describe(K); };
  REQUIRE(g.out_height >= 1);
  REQUIRE(g.out_width >= 1);
  REQUIRE(depthwise::fits(K, g));
  const int k = shape_.kernel, c = shape_.input_channels;
  const std::size_t out_size = std::size_t(g.out_height) * g.out_width * c;
  const std::uint32_t seed = seed_of({shape_.height, shape_.width, c, k, shape_.stride,
                                      shape_.dilation, shape_.padding.top, shape_.padding.bottom});
  const std::vector<float> in = inputs(std::size_t(shape_.height) * shape_.width * c, seed);
  const std::vector<float> oihw = weights(std::size_t(c) * k * k, seed + 1);
  const std::vector<float> kkc = testing::oihw_to_hwio(oihw, c, 1, k);  // [k][k][channels]
  const std::vector<float> bias = biases(c, seed + 2);
  const float* bias_data = bias_ ? bias.data() : nullptr;

  const auto run = [&]<KernelRecord R>(int first_row, int last_row, std::vector<float>& out) {
    with_activation(activation_, [&]<class A>() {
      depthwise::run<R, A>(g, first_row, last_row, in.data(), kkc.data(), bias_data, out.data());
    });
  };

  const auto oracle_buffer = [&] {
    naive::Tensor oracle_out = shape_.oracle(in.data(), oihw.data(), bias_data);
    naive::apply(oracle_out, oracle(activation_));
    return expected_buffer(oracle_out, [](std::size_t) { return true; });
  };
  return check_case<K, depthwise::reference_kernel>(out_size, g.out_height, split_, run,
                                                    oracle_buffer, what);
}

}  // namespace testers
