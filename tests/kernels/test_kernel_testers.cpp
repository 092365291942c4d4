// The kernel testers (tests/kernels/*_tester.hpp) walked over every record of every float op:
// for each record, the shapes its tile makes special (the exact tile, multiples, remainders of
// 1 .. L + 1 channels, every row tile and pixel group, each border), every activation, and split
// points that must give the same bits. Deterministic: the shapes are listed, not drawn. Beside the
// random sweeps of test_simd_kernels.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "conv_tester.hpp"
#include "depthwise_tester.hpp"
#include "elementwise_tester.hpp"
#include "fused_tester.hpp"
#include "int8_tester.hpp"
#include "kernel_tester.hpp"
#include "linear_tester.hpp"
#include "pointwise_tester.hpp"
#include "pool_tester.hpp"

namespace kernels = joule::kernels;
namespace gemm = joule::kernels::gemm;
using joule::kernels::KernelRecord;
using testers::Activation;

namespace {

/// The register tile a walk covers for a matrix-product record: its own, or the widest of any
/// target for the reference.
template <KernelRecord K>
constexpr int tile_rows() {
  return K.tile_rows != 0 ? K.tile_rows : testers::widest_rows;
}
template <KernelRecord K>
constexpr int tile_columns() {
  return K.tile_cols != 0 ? K.tile_cols : testers::widest_columns;
}

}  // namespace

// --- Pointwise -----------------------------------------------------------------------------------

TEST_CASE("pointwise tester: every row tile by every column remainder, every activation",
          "[testers][pointwise]") {
  kernels::for_each_record<kernels::pointwise::records>([]<KernelRecord K>() {
    const std::vector<int> rows = testers::row_counts(tile_rows<K>());
    const std::vector<int> columns = testers::channel_counts(tile_columns<K>());
    testers::Range range;
    for (Activation act : testers::all_activations) {
      for (int pixels : rows) {
        for (int out_c : columns) {
          const testers::Outcome outcome = testers::PointwiseTester()
                                               .pixels(pixels)
                                               .input_channels(3)
                                               .output_channels(out_c)
                                               .residual((pixels + out_c) % 2 == 0)
                                               .bias(pixels % 3 != 0)
                                               .activation(act)
                                               .test<K>();
          if (act == Activation::identity) range.add(outcome.output);
        }
      }
    }
    INFO(K.name().view());
    CHECK(range.crosses_corners());
  });
}

TEST_CASE("pointwise tester: every depth remainder, and weights too large to stay in cache",
          "[testers][pointwise]") {
  kernels::for_each_record<kernels::pointwise::records>([]<KernelRecord K>() {
    const int pixels = tile_rows<K>() + 4 + 1;
    for (int in_c : testers::channel_counts(tile_columns<K>())) {
      testers::PointwiseTester()
          .pixels(pixels)
          .input_channels(in_c)
          .output_channels(tile_columns<K>() + 1)
          .residual(true)
          .template test<K>();
    }
    // Over arch::Facts::cached_panel_bytes the tile walks panel by panel, rows inside.
    for (int out_c : {tile_columns<K>() + 1, 2 * gemm::panel_width + 7}) {
      const std::size_t cached = joule::arch::Facts<joule::arch::Default>::cached_panel_bytes;
      const int in_c = static_cast<int>(cached / (gemm::padded_cols(out_c) * sizeof(float))) + 1;
      INFO(K.name().view() << ": output channels " << out_c << ", input channels " << in_c);
      CHECK(gemm::packed_size(in_c, out_c) * sizeof(float) > cached);
      testers::PointwiseTester()
          .pixels(2 * tile_rows<K>() + 4 + 1)
          .input_channels(in_c)
          .output_channels(out_c)
          .activation(Activation::relu6)
          .pixel_split(tile_rows<K>() + 1)
          .template test<K>();
    }
  });
}

TEST_CASE("pointwise tester: split at every pixel and every panel, blocks of channels",
          "[testers][pointwise]") {
  kernels::for_each_record<kernels::pointwise::records>([]<KernelRecord K>() {
    const int pixels = 2 * tile_rows<K>() + 7;
    const int out_c = 3 * gemm::panel_width + 5;
    for (int cut = 0; cut <= pixels; ++cut) {
      testers::PointwiseTester()
          .pixels(pixels)
          .input_channels(5)
          .output_channels(out_c)
          .residual(cut % 2 == 0)
          .activation(Activation::hard_swish)
          .pixel_split(cut)
          .test<K>();
    }
    for (int cut = 0; cut <= out_c; cut += gemm::panel_width) {
      testers::PointwiseTester()
          .pixels(tile_rows<K>() + 4 + 1)
          .input_channels(5)
          .output_channels(out_c)
          .channel_split(cut)
          .template test<K>();
    }
    // A block of channels leaves every other channel as it was (the tester checks).
    const int lanes = testers::lanes_of<K>();
    for (int first = 0; first < out_c; first += gemm::panel_width) {
      for (int width : {1, lanes, lanes + 1, tile_columns<K>(), gemm::panel_width, out_c}) {
        const int last = first + width < out_c ? first + width : out_c;
        testers::PointwiseTester()
            .pixels(tile_rows<K>() + 4 + 1)
            .input_channels(5)
            .output_channels(out_c)
            .channel_block(first, last)
            .residual(true)
            .activation(Activation::relu)
            .template test<K>();
      }
    }
  });
}

// --- KxK convolution -----------------------------------------------------------------------------

namespace {

/// Row counts that take every mix of the row tiles (main, 4, 1) with fewer cases than
/// row_counts: one, three singles, 4, 4 + 1, 4 + 3, the main tile, main + 1, main + 4,
/// main + 4 + 3, two main tiles + 4 + 1.
std::vector<int> tile_mixes(int rows) {
  std::vector<int> counts{1, 3, 4, 5, 7};
  for (int c : {rows, rows + 1, rows + 4, rows + 7, 2 * rows + 5})
    if (c > counts.back()) counts.push_back(c);
  return counts;
}

}  // namespace

TEST_CASE("conv tester: every row tile by every column remainder, every activation",
          "[testers][conv]") {
  kernels::for_each_record<kernels::conv::records>([]<KernelRecord K>() {
    const std::vector<int> widths = tile_mixes(tile_rows<K>());
    const std::vector<int> columns = testers::channel_counts(tile_columns<K>());
    testers::Range range;
    for (Activation act : testers::all_activations) {
      for (int out_w : widths) {
        for (int out_c : columns) {
          // No padding: every output pixel is interior, one strided product per row.
          const testers::Outcome outcome = testers::ConvTester()
                                               .input_size(4, out_w + 2)
                                               .input_channels(2)
                                               .output_channels(out_c)
                                               .kernel(3)
                                               .bias(out_c % 2 == 1)
                                               .activation(act)
                                               .test<K>();
          if (act == Activation::identity) range.add(outcome.output);
        }
      }
    }
    INFO(K.name().view());
    CHECK(range.crosses_corners());
  });
}

TEST_CASE(
    "conv tester: each border (padding before, after, both, all taps but one) by kernel, "
    "stride and dilation, odd and even sizes",
    "[testers][conv]") {
  kernels::for_each_record<kernels::conv::records>([]<KernelRecord K>() {
    std::size_t cases = 0;
    for (int k : {1, 2, 3, 5, 7}) {
      for (int stride : {1, 2}) {
        for (int dilation : {1, 2}) {
          const int span = dilation * (k - 1) + 1;
          const int half = std::max(1, dilation * (k - 1) / 2);
          std::vector<testers::Padding> paddings{testers::Padding{}, testers::Padding::all(half),
                                                 testers::Padding::sides(half, 0),
                                                 testers::Padding::sides(0, half)};
          if (span - 1 > half) paddings.push_back(testers::Padding::all(span - 1));
          for (const testers::Padding& padding : paddings) {
            for (int h : {std::max(1, span - 1), span, span + 1}) {
              for (int w : {std::max(1, span - 1), span, span + 1, span + tile_rows<K>() + 5}) {
                testers::ConvTester tester;
                tester.input_size(h, w)
                    .input_channels(3)
                    .output_channels(tile_columns<K>() + 1)
                    .kernel(k)
                    .stride(stride)
                    .dilation(dilation)
                    .padding(padding)
                    .bias(cases % 2 == 0)
                    .activation(testers::all_activations[cases % 7]);
                if (tester.output_height() < 1 || tester.output_width() < 1) continue;
                tester.test<K>();
                ++cases;
              }
            }
          }
        }
      }
    }
    INFO(K.name().view());
    CHECK(cases >= 1000);  // of 1128 listed; the rest have no output
  });
}

TEST_CASE("conv tester: split at every output row", "[testers][conv]") {
  kernels::for_each_record<kernels::conv::records>([]<KernelRecord K>() {
    testers::ConvTester strided;
    strided.input_size(17, tile_rows<K>() + 6)
        .input_channels(3)
        .output_channels(tile_columns<K>() + 3)
        .kernel(3)
        .stride(2)
        .padding(testers::Padding::all(1))
        .activation(Activation::silu);
    testers::ConvTester dilated;
    dilated.input_size(12, 9)
        .input_channels(2)
        .output_channels(5)
        .kernel(5)
        .dilation(2)
        .padding(testers::Padding::sides(4, 1))
        .activation(Activation::relu6);
    for (testers::ConvTester& tester : {std::ref(strided), std::ref(dilated)}) {
      for (int cut = 0; cut <= tester.output_height(); ++cut) tester.split(cut).test<K>();
    }
  });
}

// --- Depthwise -----------------------------------------------------------------------------------

namespace {

/// The kernel sizes and strides a walk covers for depthwise record K: its own, or for the
/// reference every one a SIMD kernel exists for.
template <KernelRecord K>
std::vector<std::pair<int, int>> depthwise_kernels() {
  if constexpr (K.simd()) return {{K.kernel, K.stride}};
  return {{3, 1}, {3, 2}, {5, 1}, {5, 2}, {7, 1}, {7, 2}};
}

/// Input width giving `out` output columns with `padding` on each side, odd and even
/// alternately at stride 2.
int input_width_for(int out, int k, int stride, int padding) {
  const int narrowest = (out - 1) * stride + k - 2 * padding;
  return stride == 2 && out % 2 == 1 ? narrowest + 1 : narrowest;
}

}  // namespace

TEST_CASE(
    "depthwise tester: every pixel group mix by every channel remainder, checked and "
    "unchecked groups, every activation",
    "[testers][depthwise]") {
  kernels::for_each_record<kernels::depthwise::records>([]<KernelRecord K>() {
    const int group = testers::pixel_group<K>();
    const std::vector<int> widths = testers::up_to(2 * group + 7);
    const std::vector<int> channels = testers::channel_counts(testers::lanes_of<K>());
    testers::Range range;
    std::size_t cases = 0;
    // A SIMD record crosses every activation with every shape (each activation instantiates
    // every pixel group anew); the reference, walked for every kernel size and stride, takes
    // the activations in turn.
    const std::size_t crossed = K.simd() ? testers::all_activations.size() : 1;
    for (const auto& [k, stride] : depthwise_kernels<K>()) {
      // Without padding no group is checked; with half the kernel, those at the borders are.
      for (int padding : {0, (k - 1) / 2}) {
        for (std::size_t a = 0; a < crossed; ++a) {
          for (int out_w : widths) {
            for (int c : channels) {
              const Activation act = testers::all_activations[K.simd() ? a : cases % 7];
              const testers::Outcome outcome =
                  testers::DepthwiseTester()
                      .input_size(padding == 0 ? k : 2, input_width_for(out_w, k, stride, padding))
                      .channels(c)
                      .kernel(k)
                      .stride(stride)
                      .padding(testers::Padding::all(padding))
                      .bias(c % 2 == 1)
                      .activation(act)
                      .template test<K>();
              if (act == Activation::identity) range.add(outcome.output);
              ++cases;
            }
          }
        }
      }
    }
    INFO(K.name().view());
    CHECK(range.crosses_corners());
  });
}

TEST_CASE(
    "depthwise tester: each border (padding before, after, both, up to the kernel) on "
    "odd and even sizes, dilation for the reference",
    "[testers][depthwise]") {
  kernels::for_each_record<kernels::depthwise::records>([]<KernelRecord K>() {
    const int group = testers::pixel_group<K>();
    const int lanes = testers::lanes_of<K>();
    std::size_t cases = 0;
    for (const auto& [k, stride] : depthwise_kernels<K>()) {
      for (int dilation : K.simd() ? std::vector<int>{1} : std::vector<int>{1, 2}) {
        const int span = dilation * (k - 1) + 1;
        const std::vector<int> sides{0, (span - 1) / 2, span - 1};
        for (int before : sides) {
          for (int after : sides) {
            for (int h : {1, 2, span - 1, span, span + 1, 2 * span + 1}) {
              for (int w : {1, 2, span - 1, span, span + 1, 2 * span + 1, 3 * span + 2 * group}) {
                testers::DepthwiseTester tester;
                tester.input_size(h, w)
                    .channels(cases % 2 == 0 ? lanes : lanes + 1)
                    .kernel(k)
                    .stride(stride)
                    .dilation(dilation)
                    .padding(testers::Padding::sides(before, after))
                    .bias(cases % 3 != 0)
                    .activation(testers::all_activations[cases % 7]);
                if (tester.output_height() < 1 || tester.output_width() < 1) continue;
                tester.test<K>();
                ++cases;
              }
            }
          }
        }
      }
    }
    INFO(K.name().view());
    // Of 378 listed per kernel size, stride and dilation; the rest have no output.
    CHECK(cases >= 300 * depthwise_kernels<K>().size() * (K.simd() ? 1 : 2));
  });
}

TEST_CASE("depthwise tester: split at every output row", "[testers][depthwise]") {
  kernels::for_each_record<kernels::depthwise::records>([]<KernelRecord K>() {
    for (const auto& [k, stride] : depthwise_kernels<K>()) {
      testers::DepthwiseTester tester;
      tester.input_size(4 * k + 1, 2 * testers::pixel_group<K>() + 3)
          .channels(testers::lanes_of<K>() + 1)
          .kernel(k)
          .stride(stride)
          .padding(testers::Padding::all((k - 1) / 2))
          .activation(Activation::hard_swish);
      for (int cut = 0; cut <= tester.output_height(); ++cut) tester.split(cut).test<K>();
    }
  });
}

// --- Linear --------------------------------------------------------------------------------------

namespace {

/// Panels of 32 outputs the linear record K computes together (linear/simd.hpp: as many as its
/// accumulator registers hold), or the most of any target (4) for the reference.
template <KernelRecord K>
constexpr int panel_group() {
  const int group = K.simd() ? testers::lanes * K.tile_rows / gemm::panel_width : 4;
  return group > 0 ? group : 1;
}

}  // namespace

TEST_CASE("linear tester: every output remainder, panel groups and their tails, every activation",
          "[testers][linear]") {
  kernels::for_each_record<kernels::linear::records>([]<KernelRecord K>() {
    const int lanes = testers::lanes_of<K>();
    std::vector<int> outputs = testers::up_to(lanes + 1);
    for (int panels = 1; panels <= panel_group<K>() + 1; ++panels)
      for (int rest : {-1, 0, 1, lanes}) outputs.push_back(panels * gemm::panel_width + rest);
    testers::Range range;
    for (Activation act : testers::all_activations) {
      for (int in_f : {1, 2, 17, 67}) {
        for (int out_f : outputs) {
          const testers::Outcome outcome = testers::LinearTester()
                                               .input_features(in_f)
                                               .output_features(out_f)
                                               .bias(out_f % 2 == 1)
                                               .activation(act)
                                               .test<K>();
          if (act == Activation::identity) range.add(outcome.output);
        }
      }
    }
    INFO(K.name().view());
    CHECK(range.crosses_corners());
    // Split at every panel.
    const int out_f = (panel_group<K>() + 1) * gemm::panel_width + 5;
    for (int cut = 0; cut <= kernels::linear::panels(out_f); ++cut) {
      testers::LinearTester()
          .input_features(19)
          .output_features(out_f)
          .activation(Activation::sigmoid)
          .panel_split(cut)
          .test<K>();
    }
  });
}

// --- Pooling and element-wise --------------------------------------------------------------------

TEST_CASE("pool tester: every channel remainder, pixels around the 256-pixel blocks",
          "[testers][pool]") {
  kernels::for_each_record<kernels::pool::records>([]<KernelRecord K>() {
    const std::vector<int> channels = testers::channel_counts(testers::lanes_of<K>());
    for (int pixels : {1, 2, 3, 255, 256, 257, 511, 512, 513}) {
      for (int c : channels) {
        testers::PoolTester().pixels(pixels).channels(c).test<K>();
      }
    }
  });
}

TEST_CASE("add tester: every count remainder, every activation, in place of either input",
          "[testers][elementwise]") {
  kernels::for_each_record<kernels::elementwise::add_records>([]<KernelRecord K>() {
    std::vector<int> counts = testers::channel_counts(testers::lanes_of<K>());
    counts.push_back(257);
    for (Activation act : testers::all_activations) {
      for (testers::InPlace where :
           {testers::InPlace::none, testers::InPlace::first, testers::InPlace::second}) {
        for (int n : counts) {
          testers::AddTester().count(n).activation(act).in_place(where).test<K>();
        }
      }
    }
  });
}

TEST_CASE("affine tester: every channel remainder, every activation, scale alone, in place",
          "[testers][elementwise]") {
  kernels::for_each_record<kernels::elementwise::affine_records>([]<KernelRecord K>() {
    const std::vector<int> channels = testers::channel_counts(testers::lanes_of<K>());
    for (int pixels : {1, 2, 5}) {
      for (int c : channels) {
        for (bool in_place : {false, true}) {
          for (Activation act : testers::all_activations) {
            testers::AffineTester()
                .pixels(pixels)
                .channels(c)
                .activation(act)
                .in_place(in_place)
                .test<K>();
          }
          testers::AffineTester()
              .pixels(pixels)
              .channels(c)
              .scale_only(true)
              .in_place(in_place)
              .test<K>();
        }
      }
    }
  });
}

// --- Fused inverted residual ---------------------------------------------------------------------

namespace {

/// The kernel sizes and strides a walk covers for fused record F: its depthwise kernel's.
template <KernelRecord F>
std::vector<std::pair<int, int>> fused_kernels() {
  return depthwise_kernels<kernels::fused::depthwise_kernel(F)>();
}

}  // namespace

TEST_CASE(
    "fused tester: every depthwise channel remainder, with and without the residual, "
    "every activation",
    "[testers][fused]") {
  kernels::for_each_record<kernels::fused::records>([]<KernelRecord F>() {
    constexpr KernelRecord depthwise_record = kernels::fused::depthwise_kernel(F);
    const int lanes = testers::lanes_of<depthwise_record>();
    std::vector<int> depth = testers::up_to(lanes + 1);
    depth.push_back(2 * lanes + 1);
    testers::Range range;
    for (const auto& [k, stride] : fused_kernels<F>()) {
      for (Activation act : testers::all_activations) {
        for (int c : depth) {
          for (bool residual : {false, true}) {
            if (residual && (!F.project || stride != 1)) continue;
            // Expanding: c hidden channels from 5; otherwise c input channels.
            const int in_c = F.expand ? 5 : c;
            const testers::Outcome outcome =
                testers::FusedTester()
                    .input_size(6, 2 * testers::pixel_group<depthwise_record>() + 3)
                    .input_channels(in_c)
                    .hidden_channels(c)
                    .output_channels(residual ? in_c : lanes + 1)
                    .kernel(k)
                    .stride(stride)
                    .padding(testers::Padding::all((k - 1) / 2))
                    .residual(residual)
                    .activation(act)
                    .template test<F>();
            if (act == Activation::identity) range.add(outcome.output);
          }
        }
      }
    }
    INFO(F.name().view());
    CHECK(range.crosses_corners());
  });
}

TEST_CASE(
    "fused tester: tiles of 1, 2, 3 and all rows, the ring wrapping, each border, splits "
    "at every row",
    "[testers][fused]") {
  kernels::for_each_record<kernels::fused::records>([]<KernelRecord F>() {
    constexpr KernelRecord depthwise_record = kernels::fused::depthwise_kernel(F);
    const int group = testers::pixel_group<depthwise_record>();
    std::size_t cases = 0;
    for (const auto& [k, stride] : fused_kernels<F>()) {
      const int half = (k - 1) / 2;
      for (const testers::Padding& padding :
           {testers::Padding::all(half), testers::Padding{}, testers::Padding::sides(half, 0),
            testers::Padding::sides(0, half)}) {
        for (int h : {1, k, 2 * k + 3}) {
          for (int w : {1, 5, 2 * group + 3}) {
            for (int tile_rows : {1, 2, 3, 0, h}) {
              testers::FusedTester tester;
              tester.input_size(h, w)
                  .input_channels(4)
                  .hidden_channels(9)
                  .output_channels(4)
                  .kernel(k)
                  .stride(stride)
                  .padding(padding)
                  .tile_rows(tile_rows)
                  .activation(testers::all_activations[cases % 7]);
              const int rows = tester.output_height();
              if (rows < 1 || tester.output_width() < 1) continue;
              const bool same_size = stride == 1 && padding.top == half && padding.bottom == half;
              tester.residual(F.project && same_size);
              // Every cut with tiles of two rows (cuts inside and between tiles); the middle
              // row otherwise.
              if (tile_rows == 2) {
                for (int cut = 0; cut <= rows; ++cut) tester.row_split(cut).test<F>();
              } else {
                tester.row_split(rows / 2).test<F>();
              }
              ++cases;
            }
          }
        }
      }
    }
    INFO(F.name().view());
    CHECK(cases >= 80 * fused_kernels<F>().size());  // of 180 listed per kernel size and stride
  });
}

// --- Int8 ----------------------------------------------------------------------------------------

TEST_CASE(
    "int8 testers: the int8 reference kernels against the int8 oracle bit for bit, each "
    "border, stride, dilation and groups, every activation",
    "[testers][int8]") {
  std::size_t cases = 0;
  for (testers::Int8Op op : {testers::Int8Op::conv, testers::Int8Op::depthwise}) {
    for (int k :
         op == testers::Int8Op::conv ? std::vector<int>{1, 3, 5} : std::vector<int>{3, 5, 7}) {
      for (int stride : {1, 2}) {
        for (int dilation : {1, 2}) {
          const int span = dilation * (k - 1) + 1;
          const int half = std::max(1, (span - 1) / 2);
          for (const testers::Padding& padding :
               {testers::Padding{}, testers::Padding::all(half), testers::Padding::sides(half, 0),
                testers::Padding::sides(0, half)}) {
            for (int h : {span, span + 1}) {
              for (int w : {span, span + 1, span + 8}) {
                const int groups = op == testers::Int8Op::conv && cases % 3 == 0 ? 2 : 1;
                testers::Int8ConvTester tester;
                tester.op(op)
                    .input_size(h, w)
                    .input_channels(op == testers::Int8Op::conv ? 4 : 1 + int(cases % 3) * 8)
                    .output_channels(groups == 2 ? 6 : 1 + int(cases % 3) * 8)
                    .groups(groups)
                    .kernel(k)
                    .stride(stride)
                    .dilation(dilation)
                    .padding(padding)
                    .bias(cases % 4 != 0)
                    .activation(testers::all_activations[cases % 7]);
                if (tester.output_height() < 1 || tester.output_width() < 1) continue;
                tester.split(tester.output_height() / 2).test();
                ++cases;
              }
            }
          }
        }
      }
    }
  }
  CHECK(cases >= 500);  // of 576 listed; the rest have no output
}

TEST_CASE(
    "int8 testers: pointwise over every row tile and column remainder, blocks of channels; "
    "pooling",
    "[testers][int8]") {
  for (Activation act : testers::all_activations) {
    for (int pixels : tile_mixes(testers::widest_rows)) {
      for (int out_c : testers::channel_counts(testers::widest_columns)) {
        testers::Int8ConvTester()
            .op(testers::Int8Op::pointwise)
            .input_size(1, pixels)
            .input_channels(7)
            .output_channels(out_c)
            .bias(out_c % 2 == 1)
            .activation(act)
            .split(pixels / 2)
            .test();
      }
    }
  }
  for (int first : {0, 32}) {
    for (int last : {first + 1, first + 17, 65}) {
      testers::Int8ConvTester()
          .op(testers::Int8Op::pointwise)
          .input_size(1, 9)
          .input_channels(5)
          .output_channels(65)
          .channel_block(first, last)
          .activation(Activation::relu6)
          .test();
    }
  }
  for (int pixels : {1, 2, 3, 255, 256, 257})
    for (int channels : testers::channel_counts(testers::widest_lanes))
      testers::Int8PoolTester().pixels(pixels).channels(channels).test();
}
