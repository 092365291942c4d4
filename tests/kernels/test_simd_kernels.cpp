// Every kernel record of every op (kernels/<op>/dispatch.hpp: records) against the reference
// kernel, on random shapes the record fits: odd sizes, channel counts that are not multiples of
// any register width, every depthwise kernel and stride. And splitting the work (by rows, pixels,
// panels) changes no bit, which is what makes results identical for every thread count.
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
using joule::kernels::KernelRecord;
namespace kernels = joule::kernels;
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

TEST_CASE("the kernels layers choose are the SIMD ones when the build has SIMD",
          "[kernels][simd]") {
  const ConvGeometry dw = geometry(9, 9, 24, 24, 3, 2, 1, 1, 24);
  const std::string target(joule::arch::name);
  INFO("target " << target);
  // The preprocessor, not `if`: the register tile (gemm::main_rows) does not exist without SIMD.
#if JOULE_SIMD
  CHECK(kernels::pointwise::choose().name().view() ==
        "f32_pointwise_" + std::to_string(gemm::main_rows<joule::arch::Default>()) + "x" +
            std::to_string(2 * joule::arch::lanes) + "__" + target);
  CHECK(kernels::depthwise::choose(dw).name().view() == "f32_dwconv_3x3s2__" + target);
  CHECK(kernels::conv::choose(geometry(9, 9, 3, 8, 3, 2, 1, 1, 1))
            .name()
            .view()
            .ends_with("__" + target));
  CHECK(kernels::linear::choose().name().view() == "f32_linear_8v__" + target);
#else
  CHECK(kernels::pointwise::choose().name().view() == "f32_pointwise__reference");
  CHECK(kernels::depthwise::choose(dw).name().view() == "f32_dwconv__reference");
  CHECK(kernels::linear::choose().name().view() == "f32_linear__reference");
#endif
  // Dilated depthwise and grouped convolutions have no SIMD kernel: the reference runs, and says
  // so.
  CHECK(kernels::depthwise::choose(geometry(9, 9, 24, 24, 3, 1, 2, 2, 24)).name().view() ==
        "f32_dwconv__reference");
  CHECK(kernels::conv::choose(geometry(9, 9, 8, 8, 3, 1, 1, 1, 2)).name().view() ==
        "f32_conv__reference");
  // Every record of an op has its own name.
  const auto distinct = [](const auto& records) {
    for (std::size_t i = 0; i < records.size(); ++i)
      for (std::size_t j = i + 1; j < records.size(); ++j)
        if (records[i].name().view() == records[j].name().view()) return false;
    return true;
  };
  CHECK(distinct(kernels::depthwise::records));
  CHECK(distinct(kernels::pointwise::records));
  CHECK(distinct(kernels::fused::records));
}

/// One random pointwise geometry with kernel K and activation Act: against the reference, then
/// split by pixels and by panels, bit-exactly.
template <KernelRecord K, class Act>
void check_pointwise(int trial) {
  const int pixels = pick(1, 70), in_c = pick(1, 100), out_c = pick(1, 100);
  const auto in = values(std::size_t(pixels) * in_c);
  const auto w = values(gemm::packed_size(in_c, out_c));
  const auto bias = testing::pad_columns(values(out_c));
  const auto residual = values(std::size_t(pixels) * out_c);
  const float* with_residual = trial % 2 == 0 ? residual.data() : nullptr;
  std::vector<float> expected(std::size_t(pixels) * out_c), actual(expected.size(), -7.0f);
  kernels::pointwise::reference<Act>(pixels, in_c, out_c, in.data(), w.data(), bias.data(),
                                     expected.data(), with_residual);
  kernels::pointwise::run<K, Act>(0, pixels, in_c, out_c, in.data(), w.data(), bias.data(),
                                  with_residual, actual.data());
  INFO(K.name().view() << ", " << Act::name << ": pixels " << pixels << " in " << in_c << " out "
                       << out_c);
  CHECK(testing::relative_error(actual, expected) <= 1e-5);

  // Split by pixels and by panels: not a bit changes.
  std::vector<float> split(expected.size());
  const std::size_t cut = std::size_t(pick(0, pixels));
  kernels::pointwise::run<K, Act>(0, cut, in_c, out_c, in.data(), w.data(), bias.data(),
                                  with_residual, split.data());
  kernels::pointwise::run<K, Act>(cut, pixels, in_c, out_c, in.data(), w.data(), bias.data(),
                                  with_residual, split.data());
  CHECK(split == actual);
  std::vector<float> by_panels(expected.size());
  const int panel_cut = std::min(out_c, pick(0, 3) * gemm::panel_width);
  kernels::pointwise::run_block<K, Act>(0, pixels, 0, panel_cut, in_c, out_c, in.data(), w.data(),
                                        bias.data(), with_residual, by_panels.data());
  kernels::pointwise::run_block<K, Act>(0, pixels, panel_cut, out_c, in_c, out_c, in.data(),
                                        w.data(), bias.data(), with_residual, by_panels.data());
  CHECK(by_panels == actual);
}

template <class... Acts>
struct ActivationList {};
/// Every activation joule has.
using AllActivations = ActivationList<joule::Identity, joule::ReLU, joule::ReLU6, joule::HardSwish,
                                      joule::HardSigmoid, joule::SiLU, joule::Sigmoid>;

TEST_CASE("pointwise: every kernel equals the reference, with bias, residual and every activation",
          "[kernels][simd]") {
  // Per kernel, 22 random geometries per activation, half of them with a residual.
  kernels::for_each_record<kernels::pointwise::records>([]<KernelRecord K>() {
    int trial = 0;
    [&]<class... Acts>(ActivationList<Acts...>) {
      (
          [&] {
            for (int i = 0; i < 22; ++i) check_pointwise<K, Acts>(trial++);
          }(),
          ...);
    }(AllActivations{});
    CHECK(trial == 7 * 22);
  });
}

TEST_CASE(
    "convolution: every kernel equals the reference on random geometries, split by rows "
    "bit-exactly",
    "[kernels][simd]") {
  kernels::for_each_record<kernels::conv::records>([]<KernelRecord K>() {
    INFO("kernel " << K.name().view());
    int checked = 0;
    while (checked < 80) {
      const int in_c = pick(1, 20), out_c = pick(1, 70), k = pick(1, 7), stride = pick(1, 3),
                dilation = pick(1, 2);
      const int pad = pick(0, 3), h = pick(1, 14), w = pick(1, 14);
      const ConvGeometry g = geometry(h, w, in_c, out_c, k, stride, pad, dilation, 1);
      if (g.out_height < 1 || g.out_width < 1) continue;
      REQUIRE(kernels::conv::fits(K, g));
      ++checked;
      const auto in = values(std::size_t(h) * w * in_c);
      const auto weights = values(gemm::packed_size(k * k * in_c, out_c));
      const auto bias = testing::pad_columns(values(out_c));
      std::vector<float> expected(std::size_t(g.out_height) * g.out_width * out_c),
          actual(expected.size());
      kernels::conv::reference<joule::ReLU6>(g, in.data(), weights.data(), bias.data(),
                                             expected.data());
      kernels::conv::run<K, joule::ReLU6>(g, 0, g.out_height, in.data(), weights.data(),
                                          bias.data(), actual.data());
      INFO("h " << h << " w " << w << " in " << in_c << " out " << out_c << " k " << k << " s "
                << stride << " p " << pad << " d " << dilation);
      CHECK(testing::relative_error(actual, expected) < 1e-5);
      std::vector<float> split(expected.size());
      const int cut = pick(0, g.out_height);
      kernels::conv::run<K, joule::ReLU6>(g, 0, cut, in.data(), weights.data(), bias.data(),
                                          split.data());
      kernels::conv::run<K, joule::ReLU6>(g, cut, g.out_height, in.data(), weights.data(),
                                          bias.data(), split.data());
      CHECK(split == actual);
    }
  });
}

TEST_CASE(
    "depthwise: every kernel (3/5/7, strides 1/2) equals the reference, split by rows bit-exactly",
    "[kernels][simd]") {
  kernels::for_each_record<kernels::depthwise::records>([]<KernelRecord K>() {
    INFO("kernel " << K.name().view());
    for (int trial = 0; trial < 60; ++trial) {
      // A SIMD record runs its own kernel size and stride; the reference any.
      const int k = K.simd() ? K.kernel : std::vector<int>{3, 5, 7}[trial % 3];
      const int stride = K.simd() ? K.stride : 1 + (trial / 3) % 2;
      const int c = pick(1, 70), h = pick(1, 20), w = pick(1, 20);
      const ConvGeometry g = geometry(h, w, c, c, k, stride, (k - 1) / 2, 1, c);
      REQUIRE(kernels::depthwise::fits(K, g));
      const auto in = values(std::size_t(h) * w * c);
      const auto weights = values(std::size_t(k) * k * c);
      const auto bias = values(c);
      std::vector<float> expected(std::size_t(g.out_height) * g.out_width * c),
          actual(expected.size());
      kernels::depthwise::reference<joule::SiLU>(g, in.data(), weights.data(), bias.data(),
                                                 expected.data());
      kernels::depthwise::run<K, joule::SiLU>(g, 0, g.out_height, in.data(), weights.data(),
                                              bias.data(), actual.data());
      INFO("h " << h << " w " << w << " c " << c << " k " << k << " s " << stride);
      CHECK(testing::relative_error(actual, expected) < 1e-5);
      std::vector<float> split(expected.size());
      const int cut = pick(0, g.out_height);
      kernels::depthwise::run<K, joule::SiLU>(g, 0, cut, in.data(), weights.data(), bias.data(),
                                              split.data());
      kernels::depthwise::run<K, joule::SiLU>(g, cut, g.out_height, in.data(), weights.data(),
                                              bias.data(), split.data());
      CHECK(split == actual);
    }
  });
}

TEST_CASE("linear: every kernel equals the reference, split by panels bit-exactly",
          "[kernels][simd]") {
  kernels::for_each_record<kernels::linear::records>([]<KernelRecord K>() {
    INFO("kernel " << K.name().view());
    for (int trial = 0; trial < 60; ++trial) {
      const int in_f = pick(1, 300), out_f = pick(1, 140);
      const auto in = values(in_f);
      const auto w = values(gemm::packed_size(in_f, out_f));
      const auto bias = testing::pad_columns(values(out_f));
      std::vector<float> expected(out_f), actual(out_f), split(out_f);
      kernels::linear::reference<joule::Sigmoid>(in_f, out_f, in.data(), w.data(), bias.data(),
                                                 expected.data());
      kernels::linear::run<K, joule::Sigmoid>(in_f, out_f, in.data(), w.data(), bias.data(),
                                              actual.data());
      CHECK(testing::relative_error(actual, expected) < 1e-5);
      const int panels = kernels::linear::panels(out_f), cut = pick(0, panels);
      kernels::linear::run_panels<K, joule::Sigmoid>(0, cut, in_f, out_f, in.data(), w.data(),
                                                     bias.data(), split.data());
      kernels::linear::run_panels<K, joule::Sigmoid>(cut, panels, in_f, out_f, in.data(), w.data(),
                                                     bias.data(), split.data());
      CHECK(split == actual);
    }
  });
}

TEST_CASE("pooling and element-wise: every kernel equals the reference", "[kernels][simd]") {
  for (int trial = 0; trial < 40; ++trial) {
    const int pixels = pick(1, 700), channels = pick(1, 70);
    const auto map = values(std::size_t(pixels) * channels);
    const auto other = values(map.size());
    const auto scale = values(channels), shift = values(channels);
    INFO("pixels " << pixels << " channels " << channels);
    kernels::for_each_record<kernels::pool::records>([&]<KernelRecord K>() {
      INFO("kernel " << K.name().view());
      std::vector<float> expected(channels), actual(channels);
      kernels::pool::global_average_reference(pixels, channels, map.data(), expected.data());
      kernels::pool::global_average<K>(pixels, channels, map.data(), actual.data());
      CHECK(testing::relative_error(actual, expected) < 1e-6);
    });
    kernels::for_each_record<kernels::elementwise::add_records>([&]<KernelRecord K>() {
      INFO("kernel " << K.name().view());
      std::vector<float> expected(map.size()), actual(map.size());
      kernels::elementwise::add_reference<joule::ReLU>(map.size(), map.data(), other.data(),
                                                       expected.data());
      kernels::elementwise::add<K, joule::ReLU>(map.size(), map.data(), other.data(),
                                                actual.data());
      CHECK(actual == expected);
    });
    kernels::for_each_record<kernels::elementwise::affine_records>([&]<KernelRecord K>() {
      INFO("kernel " << K.name().view());
      std::vector<float> expected(map.size()), actual(map.size());
      kernels::elementwise::affine_channels_reference<joule::ReLU6>(
          pixels, channels, map.data(), scale.data(), shift.data(), expected.data());
      kernels::elementwise::affine_channels<K, joule::ReLU6>(
          pixels, channels, map.data(), scale.data(), shift.data(), actual.data());
      CHECK(testing::relative_error(actual, expected) < 1e-6);
      std::vector<float> scaled_expected(map.size()), scaled(map.size());
      kernels::elementwise::scale_channels_reference(pixels, channels, map.data(), scale.data(),
                                                     scaled_expected.data());
      kernels::elementwise::scale_channels<K>(pixels, channels, map.data(), scale.data(),
                                              scaled.data());
      CHECK(testing::relative_error(scaled, scaled_expected) < 1e-6);
    });
  }
}

TEST_CASE(
    "fused inverted residual: every kernel equals its three kernels run apart, at any row split",
    "[kernels][fused]") {
  // The fused code depends on its depthwise kernel only (expansion and projection are flags), so
  // each record runs through the one instantiation for its depthwise kernel.
  for (const KernelRecord& fused_record : kernels::fused::records) {
    INFO("kernel " << fused_record.name().view());
    const bool found = kernels::with_record<kernels::depthwise::records>(
        kernels::fused::depthwise_kernel(fused_record), [&]<KernelRecord D>() {
          constexpr KernelRecord pointwise_kernel = kernels::pointwise::choose();
          for (int trial = 0; trial < 8; ++trial) {
            const int k = D.simd() ? D.kernel : std::vector<int>{3, 5, 7}[trial % 3];
            const int stride = D.simd() ? D.stride : 1 + (trial / 3) % 2;
            const int in_c = pick(1, 40), hidden = pick(1, 90), h = pick(1, 17), w = pick(1, 17);
            const bool expand = fused_record.expand, project = fused_record.project;
            const int out_c = project ? (stride == 1 && trial % 2 ? in_c : pick(1, 40)) : hidden;
            const int depth_c = expand ? hidden : in_c;
            const bool residual = project && stride == 1 && out_c == in_c;
            const ConvGeometry g =
                geometry(h, w, depth_c, depth_c, k, stride, (k - 1) / 2, 1, depth_c);

            const auto in = values(std::size_t(h) * w * in_c);
            const auto expand_w = values(gemm::packed_size(in_c, depth_c));
            const auto expand_b = testing::pad_columns(values(depth_c));
            const auto dw_w = values(std::size_t(k) * k * depth_c), dw_b = values(depth_c);
            const auto project_w = values(gemm::packed_size(depth_c, out_c));
            const auto project_b = testing::pad_columns(values(out_c));

            // Apart: expand, depthwise, project (+ input).
            std::vector<float> expanded(expand ? std::size_t(h) * w * depth_c : 0);
            const float* dw_in = in.data();
            if (expand) {
              kernels::pointwise::run<pointwise_kernel, joule::ReLU6>(
                  0, std::size_t(h) * w, in_c, depth_c, in.data(), expand_w.data(), expand_b.data(),
                  nullptr, expanded.data());
              dw_in = expanded.data();
            }
            std::vector<float> depthwise_out(std::size_t(g.out_height) * g.out_width * depth_c);
            kernels::depthwise::run<D, joule::ReLU6>(g, 0, g.out_height, dw_in, dw_w.data(),
                                                     dw_b.data(), depthwise_out.data());
            std::vector<float> expected = depthwise_out;
            if (project) {
              expected.assign(std::size_t(g.out_height) * g.out_width * out_c, 0.0f);
              kernels::pointwise::run<pointwise_kernel, joule::Identity>(
                  0, std::size_t(g.out_height) * g.out_width, depth_c, out_c, depthwise_out.data(),
                  project_w.data(), project_b.data(), residual ? in.data() : nullptr,
                  expected.data());
            }

            kernels::fused::InvertedResidualParams p;
            p.depthwise = g;
            p.in_channels = in_c;
            p.out_channels = out_c;
            p.expand = expand;
            p.project = project;
            p.residual = residual;
            p.tile_rows = kernels::fused::tile_rows_for(g);
            p.expand_weights = expand_w.data();
            p.expand_bias = expand_b.data();
            p.depthwise_weights = dw_w.data();
            p.depthwise_bias = dw_b.data();
            p.project_weights = project_w.data();
            p.project_bias = project_b.data();
            // A layer with this shape chooses this record (and so prints its name).
            if (D.simd()) CHECK(kernels::fused::choose(p) == fused_record);
            std::vector<float> scratch(kernels::fused::scratch_floats(p) + 16);
            std::vector<float> fused(expected.size(), -3.0f);
            const int cut = pick(0, g.out_height);
            kernels::fused::inverted_residual<D, joule::ReLU6, joule::ReLU6>(
                p, 0, cut, in.data(), fused.data(), scratch.data());
            kernels::fused::inverted_residual<D, joule::ReLU6, joule::ReLU6>(
                p, cut, g.out_height, in.data(), fused.data(), scratch.data());
            INFO("h " << h << " w " << w << " in " << in_c << " hidden " << hidden << " out "
                      << out_c << " k " << k << " s " << stride << " expand " << expand
                      << " project " << project << " cut " << cut);
            CHECK(fused == expected);
          }
        });
    CHECK(found);
  }
}
