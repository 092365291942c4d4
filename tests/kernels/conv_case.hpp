// What the convolution testers (KxK, depthwise, int8) set alike: the input size, kernel, stride,
// dilation, padding on each side, bias, activation and a split of the work, each a fluent setter
// returning the tester itself (CRTP), so that a walk reads
// `ConvTester().input_size(7, 5).kernel(3).stride(2).padding(p).split(2).test<K>()`.
#pragma once

#include <string>

#include "conv_geometry.hpp"
#include "kernel_tester.hpp"

namespace testers {

template <class Tester>
class ConvCase {
 public:
  Tester& input_size(int height, int width) {
    shape_.height = height;
    shape_.width = width;
    return self();
  }
  Tester& kernel(int k) {
    shape_.kernel = k;
    return self();
  }
  Tester& stride(int s) {
    shape_.stride = s;
    return self();
  }
  Tester& dilation(int d) {
    shape_.dilation = d;
    return self();
  }
  Tester& padding(Padding p) {
    shape_.padding = p;
    return self();
  }
  Tester& bias(bool on) {
    bias_ = on;
    return self();
  }
  Tester& activation(Activation a) {
    activation_ = a;
    return self();
  }
  /// Also run the output rows (pointwise: pixels) [0, cut) and [cut, all) apart.
  Tester& split(int cut) {
    split_ = cut;
    return self();
  }

  /// Output rows and columns of the case (0 when the kernel does not fit).
  int output_height() const { return shape_.geometry().out_height; }
  int output_width() const { return shape_.geometry().out_width; }

 protected:
  /// ", bias, relu6, split at 3": the options of the case, for its description.
  std::string options() const {
    return (bias_ ? ", bias, " : ", ") + std::string(name(activation_)) +
           (split_ >= 0 ? ", split at " + std::to_string(split_) : "");
  }

  ConvShape shape_;
  bool bias_ = true;
  Activation activation_ = Activation::identity;
  int split_ = -1;

 private:
  Tester& self() { return static_cast<Tester&>(*this); }
};

}  // namespace testers
