// The element-wise kernel testers, run with a kernel record and checked against the reference
// record (the reference record against the naive oracle), nothing written past the output:
//   AddTester      out[i] = Act(a[i] + b[i]), the output also in place of a or of b
//   AffineTester   out[p][c] = Act(x[p][c] * scale[c] + shift[c]) (BatchNorm), or x * scale[c]
//                  alone (the squeeze-excite rescale), also in place
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "joule/kernels/elementwise/dispatch.hpp"
#include "kernel_tester.hpp"

namespace testers {

/// Which input buffer the output is (none: its own).
enum class InPlace : std::uint8_t { none, first, second };

/// A SIMD element-wise kernel against the reference record: the same bits when the activation
/// is exact in SIMD (the sum is one IEEE addition either way); the affine's FMA rounds once where
/// the reference rounds twice (test_simd_kernels.cpp's 1e-6); the other activations 1e-5.
inline double elementwise_tolerance(Activation a, bool fused_multiply_add) {
  if (!exact_in_simd(a)) return 1e-5;
  return fused_multiply_add ? 1e-6 : 0.0;
}

class AddTester {
 public:
  AddTester& count(int n) {
    count_ = n;
    return *this;
  }
  AddTester& activation(Activation a) {
    activation_ = a;
    return *this;
  }
  AddTester& in_place(InPlace where) {
    in_place_ = where;
    return *this;
  }

  template <KernelRecord K>
  Outcome test() const {
    namespace elementwise = joule::kernels::elementwise;
    const std::size_t n = std::size_t(count_);
    const std::uint32_t seed = seed_of({count_});
    // Sums in [-8, 8]: both sides of every activation's corners.
    const std::vector<float> a = testing::random_vector(n, seed, -4.0f, 4.0f);
    const std::vector<float> b = testing::random_vector(n, seed + 1, -4.0f, 4.0f);
    const auto what = [&] {
      return std::string(K.name().view()) + ": count " + std::to_string(count_) + ", " +
             std::string(name(activation_)) +
             (in_place_ == InPlace::none    ? ""
              : in_place_ == InPlace::first ? ", into a"
                                            : ", into b");
    };
    std::vector<float> expected = output_buffer(n);
    if constexpr (K.simd()) {
      with_activation(activation_, [&]<class A>() {
        elementwise::add<elementwise::add_records.front(), A>(n, a.data(), b.data(),
                                                              expected.data());
      });
    } else {
      naive::Tensor sum = naive::add(naive::from_floats(a.data(), 1, 1, count_),
                                     naive::from_floats(b.data(), 1, 1, count_));
      naive::apply(sum, oracle(activation_));
      expected = expected_buffer(sum, [](std::size_t) { return true; });
    }
    // The output starts as the input it replaces, or as sentinels.
    Outcome outcome;
    outcome.output = output_buffer(n);
    const float* first = a.data();
    const float* second = b.data();
    if (in_place_ != InPlace::none) {
      const std::vector<float>& replaced = in_place_ == InPlace::first ? a : b;
      std::copy(replaced.begin(), replaced.end(), outcome.output.begin());
      (in_place_ == InPlace::first ? first : second) = outcome.output.data();
    }
    with_activation(activation_, [&]<class A>() {
      elementwise::add<K, A>(n, first, second, outcome.output.data());
    });
    const double tolerance =
        K.simd() ? elementwise_tolerance(activation_, false) : testing::tolerance;
    outcome.passed = check(compare(outcome.output, expected), tolerance, what);
    return outcome;
  }

 private:
  int count_ = 1;
  Activation activation_ = Activation::identity;
  InPlace in_place_ = InPlace::none;
};

class AffineTester {
 public:
  AffineTester& pixels(int n) {
    pixels_ = n;
    return *this;
  }
  AffineTester& channels(int n) {
    channels_ = n;
    return *this;
  }
  AffineTester& activation(Activation a) {
    activation_ = a;
    return *this;
  }
  /// x * scale alone (scale_channels; no shift, no activation).
  AffineTester& scale_only(bool on) {
    scale_only_ = on;
    return *this;
  }
  AffineTester& in_place(bool on) {
    in_place_ = on;
    return *this;
  }

  template <KernelRecord K>
  Outcome test() const {
    namespace elementwise = joule::kernels::elementwise;
    const std::size_t size = std::size_t(pixels_) * channels_;
    const std::uint32_t seed = seed_of({pixels_, channels_});
    const std::vector<float> x = inputs(size, seed);
    const std::vector<float> scale = testing::random_vector(channels_, seed + 1, -3.0f, 3.0f);
    const std::vector<float> shift = biases(channels_, seed + 2);
    const Activation act = scale_only_ ? Activation::identity : activation_;
    const auto what = [&] {
      return std::string(K.name().view()) + ": pixels " + std::to_string(pixels_) + ", channels " +
             std::to_string(channels_) + (scale_only_ ? ", scale only" : ", ") +
             (scale_only_ ? "" : std::string(name(act))) + (in_place_ ? ", in place" : "");
    };
    const auto run = [&]<KernelRecord R>(const float* in, float* out) {
      if (scale_only_) {
        elementwise::scale_channels<R>(pixels_, channels_, in, scale.data(), out);
      } else {
        with_activation(act, [&]<class A>() {
          elementwise::affine_channels<R, A>(pixels_, channels_, in, scale.data(), shift.data(),
                                             out);
        });
      }
    };
    std::vector<float> expected = output_buffer(size);
    if constexpr (K.simd()) {
      run.template operator()<elementwise::affine_records.front()>(x.data(), expected.data());
    } else {
      naive::Tensor y = naive::from_floats(x.data(), 1, pixels_, channels_);
      naive::affine(y, scale.data(), scale_only_ ? nullptr : shift.data());
      naive::apply(y, oracle(act));
      expected = expected_buffer(y, [](std::size_t) { return true; });
    }
    Outcome outcome;
    outcome.output = output_buffer(size);
    if (in_place_) std::copy(x.begin(), x.end(), outcome.output.begin());
    run.template operator()<K>(in_place_ ? outcome.output.data() : x.data(), outcome.output.data());
    const double tolerance =
        K.simd() ? elementwise_tolerance(act, !scale_only_) : testing::tolerance;
    outcome.passed = check(compare(outcome.output, expected), tolerance, what);
    return outcome;
  }

 private:
  int pixels_ = 1;
  int channels_ = 1;
  Activation activation_ = Activation::identity;
  bool scale_only_ = false;
  bool in_place_ = false;
};

}  // namespace testers
