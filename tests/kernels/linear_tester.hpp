// The fully connected kernel tester (a matrix-vector product on packed panels): one case of
//   out[o] = Act(bias[o] + sum over i of in[i] * W[i][o])
// run with a kernel record and checked against the reference record (the reference record
// against the naive oracle), nothing written past the outputs; optionally split by weight panels
// (32 outputs each), which must give the same bits.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "../support/packing.hpp"
#include "joule/kernels/linear/dispatch.hpp"
#include "kernel_tester.hpp"

namespace testers {

class LinearTester {
 public:
  LinearTester& input_features(int n) {
    in_features_ = n;
    return *this;
  }
  LinearTester& output_features(int n) {
    out_features_ = n;
    return *this;
  }
  LinearTester& bias(bool on) {
    bias_ = on;
    return *this;
  }
  LinearTester& activation(Activation a) {
    activation_ = a;
    return *this;
  }
  /// Also run panels [0, cut) and [cut, panels) apart.
  LinearTester& panel_split(int cut) {
    panel_split_ = cut;
    return *this;
  }

  template <KernelRecord K>
  Outcome test() const;

 private:
  std::string describe(const KernelRecord& k) const {
    return std::string(k.name().view()) + ": " + std::to_string(in_features_) + " -> " +
           std::to_string(out_features_) + (bias_ ? ", bias, " : ", ") +
           std::string(name(activation_)) +
           (panel_split_ >= 0 ? ", split at panel " + std::to_string(panel_split_) : "");
  }

  int in_features_ = 1;
  int out_features_ = 1;
  bool bias_ = true;
  Activation activation_ = Activation::identity;
  int panel_split_ = -1;
};

template <KernelRecord K>
Outcome LinearTester::test() const {
  namespace linear = joule::kernels::linear;
  const int in_f = in_features_, out_f = out_features_;
  const std::uint32_t seed = seed_of({in_f, out_f});
  const std::vector<float> in = inputs(in_f, seed);
  const std::vector<float> oi =
      weights(std::size_t(out_f) * in_f, seed + 1);  // PyTorch's [out][in]
  const std::vector<float> packed = testing::conv_weights(oi, out_f, in_f, 1);
  const std::vector<float> bias_values = biases(out_f, seed + 2);
  const std::vector<float> bias = testing::pad_columns(bias_values);
  const float* bias_data = bias_ ? bias.data() : nullptr;

  const auto run = [&]<KernelRecord R>(int first, int last, std::vector<float>& out) {
    with_activation(activation_, [&]<class A>() {
      linear::run_panels<R, A>(first, last, in_f, out_f, in.data(), packed.data(), bias_data,
                               out.data());
    });
  };
  const auto oracle_buffer = [&] {
    naive::Tensor oracle_out = naive::linear(naive::from_floats(in.data(), 1, 1, in_f), oi.data(),
                                             bias_ ? bias_values.data() : nullptr, out_f);
    naive::apply(oracle_out, oracle(activation_));
    return expected_buffer(oracle_out, [](std::size_t) { return true; });
  };
  return check_case<K, linear::reference_kernel>(std::size_t(out_f), linear::panels(out_f),
                                                 panel_split_, run, oracle_buffer,
                                                 [&] { return describe(K); });
}

}  // namespace testers
