// The fused inverted residual kernel tester: one case of expansion (1x1, Act), depthwise KxK
// (Act), projection (1x1, + the input when residual) computed a tile of output rows at a time,
// run with a fused record. Checked three ways: against its three kernels run apart with the same
// depthwise kernel and the target's pointwise kernel (the same bits: fusing changes no
// arithmetic); against the reference record of the same variant (the reference record against
// the naive oracle's three layers); split by output rows (the same bits). The scratch it is given
// is exactly scratch_floats() long, followed by a guard nothing may write.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "../support/packing.hpp"
#include "conv_geometry.hpp"
#include "joule/kernels/fused/inverted_residual.hpp"
#include "kernel_tester.hpp"

namespace testers {

class FusedTester {
 public:
  FusedTester& input_size(int height, int width) {
    height_ = height;
    width_ = width;
    return *this;
  }
  FusedTester& input_channels(int n) {
    in_c_ = n;
    return *this;
  }
  /// Channels of the depthwise convolution when the record expands (otherwise the input's).
  FusedTester& hidden_channels(int n) {
    hidden_ = n;
    return *this;
  }
  /// Channels of the projection's output when the record projects.
  FusedTester& output_channels(int n) {
    out_c_ = n;
    return *this;
  }
  FusedTester& kernel(int k) {
    kernel_ = k;
    return *this;
  }
  FusedTester& stride(int s) {
    stride_ = s;
    return *this;
  }
  FusedTester& padding(Padding p) {
    padding_ = p;
    return *this;
  }
  /// Add the input to the projection (needs stride 1, as many outputs as inputs, same size).
  FusedTester& residual(bool on) {
    residual_ = on;
    return *this;
  }
  /// Output rows per tile (0: what a layer chooses, fused::tile_rows_for).
  FusedTester& tile_rows(int n) {
    tile_rows_ = n;
    return *this;
  }
  FusedTester& activation(Activation a) {
    activation_ = a;
    return *this;
  }
  FusedTester& row_split(int cut) {
    row_split_ = cut;
    return *this;
  }

  /// Output rows and columns of the case (0 when the kernel does not fit).
  int output_height() const { return depthwise_shape(KernelRecord{}).geometry().out_height; }
  int output_width() const { return depthwise_shape(KernelRecord{}).geometry().out_width; }

  template <KernelRecord F>
  Outcome test() const;

 private:
  /// The depthwise convolution's shape for fused record F.
  ConvShape depthwise_shape(const KernelRecord& f) const {
    const int channels = f.expand ? hidden_ : in_c_;
    return ConvShape{height_, width_, channels, channels, kernel_, stride_, 1, channels, padding_};
  }
  std::string describe(const KernelRecord& f, int tile_rows) const {
    return std::string(f.name().view()) + ": depthwise " + depthwise_shape(f).describe() +
           ", input channels " + std::to_string(in_c_) + ", output channels " +
           std::to_string(out_c_) + (residual_ ? ", residual" : "") + ", tiles of " +
           std::to_string(tile_rows) + " rows, " + std::string(name(activation_)) +
           (row_split_ >= 0 ? ", split at row " + std::to_string(row_split_) : "");
  }

  int height_ = 1;
  int width_ = 1;
  int in_c_ = 1;
  int hidden_ = 1;
  int out_c_ = 1;
  int kernel_ = 3;
  int stride_ = 1;
  Padding padding_ = Padding::all(1);
  bool residual_ = false;
  int tile_rows_ = 0;
  Activation activation_ = Activation::identity;
  int row_split_ = -1;
};

template <KernelRecord F>
Outcome FusedTester::test() const {
  namespace fused = joule::kernels::fused;
  namespace pointwise = joule::kernels::pointwise;
  namespace depthwise = joule::kernels::depthwise;
  constexpr KernelRecord reference_variant{.op = joule::kernels::KernelOp::mbconv_fused,
                                           .impl = joule::kernels::KernelImpl::reference,
                                           .kernel = 3,
                                           .stride = 1,
                                           .expand = F.expand,
                                           .project = F.project};
  constexpr KernelRecord pointwise_kernel = pointwise::choose();
  const ConvShape shape = depthwise_shape(F);
  const joule::kernels::ConvGeometry g = shape.geometry();
  const int depth_c = shape.input_channels;
  const int out_c = F.project ? out_c_ : depth_c;
  REQUIRE(g.out_height >= 1);
  REQUIRE(g.out_width >= 1);
  REQUIRE(depthwise::fits(fused::depthwise_kernel(F), g));
  if (residual_) {
    REQUIRE(F.project);
    REQUIRE(out_c == in_c_);
    REQUIRE(g.out_height == height_);
    REQUIRE(g.out_width == width_);
  }

  const std::size_t pixels = std::size_t(height_) * width_;
  const std::size_t out_pixels = std::size_t(g.out_height) * g.out_width;
  const std::uint32_t seed = seed_of(
      {height_, width_, in_c_, hidden_, out_c_, kernel_, stride_, padding_.top, padding_.bottom});
  const std::vector<float> in = inputs(pixels * in_c_, seed);
  const std::vector<float> expand_oi = weights(std::size_t(depth_c) * in_c_, seed + 1);
  const std::vector<float> expand_w = testing::conv_weights(expand_oi, depth_c, in_c_, 1);
  const std::vector<float> expand_b = biases(depth_c, seed + 2);
  const std::vector<float> dw_oihw = weights(std::size_t(depth_c) * kernel_ * kernel_, seed + 3);
  const std::vector<float> dw_w = testing::oihw_to_hwio(dw_oihw, depth_c, 1, kernel_);
  const std::vector<float> dw_b = biases(depth_c, seed + 4);
  const std::vector<float> project_oi = weights(std::size_t(out_c) * depth_c, seed + 5);
  const std::vector<float> project_w = testing::conv_weights(project_oi, out_c, depth_c, 1);
  const std::vector<float> project_b = biases(out_c, seed + 6);
  const std::vector<float> expand_bias = testing::pad_columns(expand_b);
  const std::vector<float> project_bias = testing::pad_columns(project_b);

  fused::InvertedResidualParams p;
  p.depthwise = g;
  p.in_channels = in_c_;
  p.out_channels = out_c;
  p.expand = F.expand;
  p.project = F.project;
  p.residual = residual_;
  p.tile_rows = tile_rows_ > 0 ? tile_rows_ : fused::tile_rows_for(g);
  p.expand_weights = expand_w.data();
  p.expand_bias = expand_bias.data();
  p.depthwise_weights = dw_w.data();
  p.depthwise_bias = dw_b.data();
  p.project_weights = project_w.data();
  p.project_bias = project_bias.data();
  const auto what = [&] { return describe(F, p.tile_rows); };
  // A layer of this shape runs this record (and so prints its name).
  if constexpr (F.simd()) CHECK(fused::choose(p) == F);

  const std::size_t out_size = out_pixels * out_c;
  const std::size_t scratch_size = fused::scratch_floats(p);
  std::vector<float> scratch = output_buffer(scratch_size);
  bool scratch_kept = true;
  const auto run = [&]<KernelRecord R>(int first, int last, std::vector<float>& out) {
    with_activation(activation_, [&]<class A>() {
      fused::inverted_residual<fused::depthwise_kernel(R), A, A>(p, first, last, in.data(),
                                                                 out.data(), scratch.data());
    });
    for (std::size_t i = scratch_size; i < scratch.size(); ++i)
      scratch_kept &= is_sentinel(scratch[i]);
  };

  const auto oracle_buffer = [&] {
    naive::Tensor x = naive::from_floats(in.data(), height_, width_, in_c_);
    if (F.expand) {
      x = naive::conv2d(x, expand_oi.data(), expand_b.data(), depth_c, 1, 1, 0, 1, 1);
      naive::apply(x, oracle(activation_));
    }
    x = shape.oracle(x, dw_oihw.data(), dw_b.data());
    naive::apply(x, oracle(activation_));
    if (F.project) {
      x = naive::conv2d(x, project_oi.data(), project_b.data(), out_c, 1, 1, 0, 1, 1);
      if (residual_) x = naive::add(x, naive::from_floats(in.data(), height_, width_, in_c_));
    }
    return expected_buffer(x, [](std::size_t) { return true; });
  };
  Outcome outcome = check_case<F, reference_variant>(out_size, g.out_height, row_split_, run,
                                                     oracle_buffer, what);
  if (!scratch_kept) FAIL_CHECK(what() << ": wrote past its scratch_floats()");
  outcome.passed &= scratch_kept;

  // The three kernels apart, with the same depthwise kernel: the same bits.
  with_activation(activation_, [&]<class A>() {
    std::vector<float> expanded;
    const float* depthwise_in = in.data();
    if (F.expand) {
      expanded = output_buffer(pixels * depth_c);
      pointwise::run<pointwise_kernel, A>(0, pixels, in_c_, depth_c, in.data(), expand_w.data(),
                                          expand_bias.data(), nullptr, expanded.data());
      depthwise_in = expanded.data();
      for (std::size_t i = pixels * depth_c; i < expanded.size(); ++i)
        if (!is_sentinel(expanded[i])) {
          FAIL_CHECK(what() << ": the expansion run apart wrote past its output");
          outcome.passed = false;
          break;
        }
    }
    std::vector<float> apart = output_buffer(out_pixels * depth_c);
    depthwise::run<fused::depthwise_kernel(F), A>(g, 0, g.out_height, depthwise_in, dw_w.data(),
                                                  dw_b.data(), apart.data());
    if (F.project) {
      const std::vector<float> depthwise_out = apart;
      apart = output_buffer(out_size);
      pointwise::run<pointwise_kernel, joule::Identity>(
          0, out_pixels, depth_c, out_c, depthwise_out.data(), project_w.data(),
          project_bias.data(), residual_ ? in.data() : nullptr, apart.data());
    }
    outcome.passed &= check_same_bits(outcome.output, apart,
                                      [&] { return what() + " (against its kernels run apart)"; });
  });
  return outcome;
}

}  // namespace testers
