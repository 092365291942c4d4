// The kernels the layers run (SIMD where the target has it) against the reference kernels, on
// random shapes: odd sizes, channel counts that are not multiples of any register width, every
// depthwise kernel and stride. And splitting the work (by rows, pixels, panels) changes no bit,
// which is what makes results identical for every thread count.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "../support/harness.hpp"
#include "../support/packing.hpp"
#include "joule/kernels/conv/dispatch.hpp"
#include "joule/kernels/depthwise/dispatch.hpp"
#include "joule/kernels/elementwise/dispatch.hpp"
#include "joule/kernels/fused/inverted_residual.hpp"
#include "joule/kernels/linear/dispatch.hpp"
#include "joule/kernels/pointwise/dispatch.hpp"
#include "joule/kernels/pool/dispatch.hpp"

using joule::kernels::ConvGeometry;
namespace gemm = joule::kernels::gemm;

namespace {

std::mt19937 engine(424242);
int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(engine); }
std::vector<float> values(std::size_t count) { return testing::random_vector(count, engine()); }

ConvGeometry geometry(int h, int w, int in_c, int out_c, int k, int stride, int pad, int dilation, int groups) {
  ConvGeometry g;
  g.in_height = h;
  g.in_width = w;
  g.in_channels = in_c;
  g.out_channels = out_c;
  g.kernel_height = g.kernel_width = k;
  g.stride_height = g.stride_width = stride;
  g.pad_top = g.pad_left = pad;
  g.dilation_height = g.dilation_width = dilation;
  g.groups = groups;
  g.out_height = joule::kernels::conv_output_size(h, k, stride, pad, dilation);
  g.out_width = joule::kernels::conv_output_size(w, k, stride, pad, dilation);
  return g;
}

}  // namespace

TEST_CASE("dispatched kernels report the SIMD path when the build has SIMD", "[kernels][simd]") {
  const ConvGeometry dw = geometry(9, 9, 24, 24, 3, 2, 1, 1, 24);
  const std::string target(joule::arch::name);
  INFO("target " << target);
  // The preprocessor, not `if`: the register tile (gemm::main_rows) does not exist without SIMD.
#if JOULE_SIMD
  CHECK(joule::kernels::pointwise::name().view() ==
        "f32_pointwise_" + std::to_string(gemm::main_rows<joule::arch::Default>()) + "x" +
            std::to_string(2 * joule::arch::lanes) + "__" + target);
  CHECK(joule::kernels::depthwise::name(dw).view() == "f32_dwconv_3x3s2__" + target);
  CHECK(joule::kernels::conv::name(geometry(9, 9, 3, 8, 3, 2, 1, 1, 1)).view().ends_with("__" + target));
#else
  CHECK(joule::kernels::pointwise::name().view() == "f32_pointwise__reference");
  CHECK(joule::kernels::depthwise::name(dw).view() == "f32_dwconv__reference");
#endif
  // Dilated depthwise has no SIMD kernel: the reference runs, and says so.
  CHECK(joule::kernels::depthwise::name(geometry(9, 9, 24, 24, 3, 1, 2, 2, 24)).view() == "f32_dwconv__reference");
}

/// One random pointwise geometry with activation Act: SIMD against the reference, then split by
/// pixels and by panels, bit-exactly.
template <class Act>
void check_pointwise(int trial) {
  const int pixels = pick(1, 70), in_c = pick(1, 100), out_c = pick(1, 100);
  const auto in = values(std::size_t(pixels) * in_c);
  const auto w = values(gemm::packed_size(in_c, out_c));
  const auto bias = testing::pad_columns(values(out_c));
  const auto residual = values(std::size_t(pixels) * out_c);
  const float* with_residual = trial % 2 == 0 ? residual.data() : nullptr;
  std::vector<float> expected(std::size_t(pixels) * out_c), actual(expected.size(), -7.0f);
  joule::kernels::pointwise::reference<Act>(pixels, in_c, out_c, in.data(), w.data(), bias.data(),
                                            expected.data(), with_residual);
  joule::kernels::pointwise::run<Act>(0, pixels, in_c, out_c, in.data(), w.data(), bias.data(),
                                      with_residual, actual.data());
  INFO(Act::name << ": pixels " << pixels << " in " << in_c << " out " << out_c);
  CHECK(testing::relative_error(actual, expected) <= 1e-5);

  // Split by pixels and by panels: not a bit changes.
  std::vector<float> split(expected.size());
  const std::size_t cut = std::size_t(pick(0, pixels));
  joule::kernels::pointwise::run<Act>(0, cut, in_c, out_c, in.data(), w.data(), bias.data(),
                                      with_residual, split.data());
  joule::kernels::pointwise::run<Act>(cut, pixels, in_c, out_c, in.data(), w.data(), bias.data(),
                                      with_residual, split.data());
  CHECK(split == actual);
  std::vector<float> by_panels(expected.size());
  const int panel_cut = std::min(out_c, pick(0, 3) * gemm::panel_width);
  joule::kernels::pointwise::run_block<Act>(0, pixels, 0, panel_cut, in_c, out_c, in.data(),
                                            w.data(), bias.data(), with_residual, by_panels.data());
  joule::kernels::pointwise::run_block<Act>(0, pixels, panel_cut, out_c, in_c, out_c, in.data(),
                                            w.data(), bias.data(), with_residual, by_panels.data());
  CHECK(by_panels == actual);
}

template <class... Acts>
struct ActivationList {};
/// Every activation joule has.
using AllActivations = ActivationList<joule::Identity, joule::ReLU, joule::ReLU6, joule::HardSwish,
                                      joule::HardSigmoid, joule::SiLU, joule::Sigmoid>;

TEST_CASE("pointwise: SIMD equals the reference, with bias, residual and every activation",
          "[kernels][simd]") {
  // 22 random geometries per activation, half of them with a residual.
  int trial = 0;
  [&]<class... Acts>(ActivationList<Acts...>) {
    (
        [&] {
          for (int i = 0; i < 22; ++i) check_pointwise<Acts>(trial++);
        }(),
        ...);
  }(AllActivations{});
  CHECK(trial == 7 * 22);
}

TEST_CASE("convolution: SIMD equals the reference on random geometries, split by rows bit-exactly", "[kernels][simd]") {
  int checked = 0;
  while (checked < 120) {
    const int in_c = pick(1, 20), out_c = pick(1, 70), k = pick(1, 7), stride = pick(1, 3), dilation = pick(1, 2);
    const int pad = pick(0, 3), h = pick(1, 14), w = pick(1, 14);
    const ConvGeometry g = geometry(h, w, in_c, out_c, k, stride, pad, dilation, 1);
    if (g.out_height < 1 || g.out_width < 1) continue;
    ++checked;
    const auto in = values(std::size_t(h) * w * in_c);
    const auto weights = values(gemm::packed_size(k * k * in_c, out_c));
    const auto bias = testing::pad_columns(values(out_c));
    std::vector<float> expected(std::size_t(g.out_height) * g.out_width * out_c), actual(expected.size());
    joule::kernels::conv::reference<joule::ReLU6>(g, in.data(), weights.data(), bias.data(), expected.data());
    joule::kernels::conv::run<joule::ReLU6>(g, 0, g.out_height, in.data(), weights.data(), bias.data(), actual.data());
    INFO("h " << h << " w " << w << " in " << in_c << " out " << out_c << " k " << k << " s " << stride << " p " << pad
              << " d " << dilation);
    CHECK(testing::relative_error(actual, expected) < 1e-5);
    std::vector<float> split(expected.size());
    const int cut = pick(0, g.out_height);
    joule::kernels::conv::run<joule::ReLU6>(g, 0, cut, in.data(), weights.data(), bias.data(), split.data());
    joule::kernels::conv::run<joule::ReLU6>(g, cut, g.out_height, in.data(), weights.data(), bias.data(), split.data());
    CHECK(split == actual);
  }
}

TEST_CASE("depthwise: SIMD equals the reference for kernels 3/5/7 and strides 1/2", "[kernels][simd]") {
  for (int trial = 0; trial < 240; ++trial) {
    const int k = std::vector<int>{3, 5, 7}[trial % 3], stride = 1 + (trial / 3) % 2;
    const int c = pick(1, 70), h = pick(1, 20), w = pick(1, 20);
    const ConvGeometry g = geometry(h, w, c, c, k, stride, (k - 1) / 2, 1, c);
    const auto in = values(std::size_t(h) * w * c);
    const auto weights = values(std::size_t(k) * k * c);
    const auto bias = values(c);
    std::vector<float> expected(std::size_t(g.out_height) * g.out_width * c), actual(expected.size());
    joule::kernels::depthwise::reference<joule::SiLU>(g, in.data(), weights.data(), bias.data(), expected.data());
    joule::kernels::depthwise::run<joule::SiLU>(g, 0, g.out_height, in.data(), weights.data(), bias.data(),
                                                actual.data());
    INFO("h " << h << " w " << w << " c " << c << " k " << k << " s " << stride);
    REQUIRE(joule::kernels::depthwise::uses_simd(g) == bool(JOULE_SIMD));
    CHECK(testing::relative_error(actual, expected) < 1e-5);
    std::vector<float> split(expected.size());
    const int cut = pick(0, g.out_height);
    joule::kernels::depthwise::run<joule::SiLU>(g, 0, cut, in.data(), weights.data(), bias.data(), split.data());
    joule::kernels::depthwise::run<joule::SiLU>(g, cut, g.out_height, in.data(), weights.data(), bias.data(),
                                                split.data());
    CHECK(split == actual);
  }
}

TEST_CASE("linear, pooling and element-wise: SIMD equals the reference", "[kernels][simd]") {
  for (int trial = 0; trial < 60; ++trial) {
    const int in_f = pick(1, 300), out_f = pick(1, 140);
    const auto in = values(in_f);
    const auto w = values(gemm::packed_size(in_f, out_f));
    const auto bias = testing::pad_columns(values(out_f));
    std::vector<float> expected(out_f), actual(out_f), split(out_f);
    joule::kernels::linear::reference<joule::Sigmoid>(in_f, out_f, in.data(), w.data(), bias.data(), expected.data());
    joule::kernels::linear::run<joule::Sigmoid>(in_f, out_f, in.data(), w.data(), bias.data(), actual.data());
    CHECK(testing::relative_error(actual, expected) < 1e-5);
    const int panels = joule::kernels::linear::panels(out_f), cut = pick(0, panels);
    joule::kernels::linear::run_panels<joule::Sigmoid>(0, cut, in_f, out_f, in.data(), w.data(), bias.data(),
                                                       split.data());
    joule::kernels::linear::run_panels<joule::Sigmoid>(cut, panels, in_f, out_f, in.data(), w.data(), bias.data(),
                                                       split.data());
    CHECK(split == actual);

    const int pixels = pick(1, 700), channels = pick(1, 70);
    const auto map = values(std::size_t(pixels) * channels);
    std::vector<float> pooled_reference(channels), pooled(channels);
    joule::kernels::pool::global_average_reference(pixels, channels, map.data(), pooled_reference.data());
    joule::kernels::pool::global_average(pixels, channels, map.data(), pooled.data());
    CHECK(testing::relative_error(pooled, pooled_reference) < 1e-6);

    const auto other = values(map.size());
    std::vector<float> sum_reference(map.size()), sum(map.size());
    joule::kernels::elementwise::add_reference<joule::ReLU>(map.size(), map.data(), other.data(), sum_reference.data());
    joule::kernels::elementwise::add<joule::ReLU>(map.size(), map.data(), other.data(), sum.data());
    CHECK(sum == sum_reference);
    const auto scale = values(channels), shift = values(channels);
    std::vector<float> affine_reference(map.size()), affine(map.size());
    joule::kernels::elementwise::affine_channels_reference<joule::ReLU6>(pixels, channels, map.data(), scale.data(),
                                                                        shift.data(), affine_reference.data());
    joule::kernels::elementwise::affine_channels<joule::ReLU6>(pixels, channels, map.data(), scale.data(), shift.data(),
                                                               affine.data());
    CHECK(testing::relative_error(affine, affine_reference) < 1e-6);
  }
}

TEST_CASE("fused inverted residual kernel equals its three kernels run apart, at any row split", "[kernels][fused]") {
  for (int trial = 0; trial < 60; ++trial) {
    const int k = std::vector<int>{3, 5, 7}[trial % 3], stride = 1 + (trial / 3) % 2;
    const int in_c = pick(1, 40), hidden = pick(1, 90), h = pick(1, 17), w = pick(1, 17);
    const bool expand = trial % 5 != 0, project = trial % 7 != 0;
    const int out_c = project ? (stride == 1 && trial % 2 ? in_c : pick(1, 40)) : hidden;
    const int depth_c = expand ? hidden : in_c;
    const bool residual = project && stride == 1 && out_c == in_c;
    const ConvGeometry g = geometry(h, w, depth_c, depth_c, k, stride, (k - 1) / 2, 1, depth_c);

    const auto in = values(std::size_t(h) * w * in_c);
    const auto expand_w = values(gemm::packed_size(in_c, depth_c)), expand_b = testing::pad_columns(values(depth_c));
    const auto dw_w = values(std::size_t(k) * k * depth_c), dw_b = values(depth_c);
    const auto project_w = values(gemm::packed_size(depth_c, out_c)), project_b = testing::pad_columns(values(out_c));

    // Apart: expand, depthwise, project (+ input).
    std::vector<float> expanded(expand ? std::size_t(h) * w * depth_c : 0);
    const float* dw_in = in.data();
    if (expand) {
      joule::kernels::pointwise::run<joule::ReLU6>(0, std::size_t(h) * w, in_c, depth_c, in.data(), expand_w.data(),
                                                   expand_b.data(), nullptr, expanded.data());
      dw_in = expanded.data();
    }
    std::vector<float> depthwise_out(std::size_t(g.out_height) * g.out_width * depth_c);
    joule::kernels::depthwise::run<joule::ReLU6>(g, 0, g.out_height, dw_in, dw_w.data(), dw_b.data(),
                                                 depthwise_out.data());
    std::vector<float> expected = depthwise_out;
    if (project) {
      expected.assign(std::size_t(g.out_height) * g.out_width * out_c, 0.0f);
      joule::kernels::pointwise::run<joule::Identity>(0, std::size_t(g.out_height) * g.out_width, depth_c, out_c,
                                                      depthwise_out.data(), project_w.data(), project_b.data(),
                                                      residual ? in.data() : nullptr, expected.data());
    }

    joule::kernels::fused::InvertedResidualParams p;
    p.depthwise = g;
    p.in_channels = in_c;
    p.out_channels = out_c;
    p.expand = expand;
    p.project = project;
    p.residual = residual;
    p.tile_rows = joule::kernels::fused::tile_rows_for(g);
    p.expand_weights = expand_w.data();
    p.expand_bias = expand_b.data();
    p.depthwise_weights = dw_w.data();
    p.depthwise_bias = dw_b.data();
    p.project_weights = project_w.data();
    p.project_bias = project_b.data();
    std::vector<float> scratch(joule::kernels::fused::scratch_floats(p) + 16);
    std::vector<float> fused(expected.size(), -3.0f);
    const int cut = pick(0, g.out_height);
    joule::kernels::fused::inverted_residual<joule::ReLU6, joule::ReLU6>(p, 0, cut, in.data(), fused.data(),
                                                                         scratch.data());
    joule::kernels::fused::inverted_residual<joule::ReLU6, joule::ReLU6>(p, cut, g.out_height, in.data(), fused.data(),
                                                                         scratch.data());
    INFO("h " << h << " w " << w << " in " << in_c << " hidden " << hidden << " out " << out_c << " k " << k << " s "
              << stride << " expand " << expand << " project " << project << " cut " << cut);
    CHECK(fused == expected);
  }
}
