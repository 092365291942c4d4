// The int8 pointwise, depthwise and KxK convolution kernels (every record of
// pointwise::int8_records, depthwise::int8_records and conv::int8_records) against the int8
// oracle bit for bit, through Int8ConvTester. KxK: kernels 1, 3, 5, 7 by strides and dilations
// 1, 2 by each padding, groups 1 and 2, channels off the register width, patches longer than the
// kernel's buffer. Linear: every output count of the channel list by depths, blocks of outputs
// on panel boundaries (the layer's split), extreme zero points and scales.
// Pointwise: every row tile remainder of the record's tile by every column remainder, depths off
// the register width and across the widening chunks, blocks of channels that start and end inside
// a tile. Depthwise: kernels 3, 5, 7 by strides and dilations 1, 2 by each padding, on sizes
// around the kernel's span, by channel counts off the 16-channel block. Both: the extremes of the
// quantization (zero points -128 and 127, output scales that saturate at both ends or send
// everything to the zero point), each activation as a clamp or a table, with and without bias,
// and split runs that must give the same bits as the whole.
#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "int8_tester.hpp"
#include "kernel_tester.hpp"

namespace kernels = joule::kernels;
using joule::kernels::KernelRecord;
using testers::Activation;

namespace {

template <KernelRecord K>
constexpr int tile_rows() {
  return K.tile_rows != 0 ? K.tile_rows : testers::widest_rows;
}
template <KernelRecord K>
constexpr int tile_columns() {
  return K.tile_cols != 0 ? K.tile_cols : testers::widest_columns;
}

testers::Int8ConvTester pointwise(const KernelRecord& k, int pixels, int in_c, int out_c) {
  testers::Int8ConvTester t;
  t.op(testers::Int8Op::pointwise)
      .pointwise_kernel(k)
      .input_size(1, pixels)
      .input_channels(in_c)
      .output_channels(out_c);
  return t;
}

testers::Int8ConvTester conv(const KernelRecord& k, int size, int in_c, int out_c, int kernel) {
  testers::Int8ConvTester t;
  t.op(testers::Int8Op::conv)
      .conv_kernel(k)
      .input_size(size, size + 2)
      .input_channels(in_c)
      .output_channels(out_c)
      .kernel(kernel);
  return t;
}

testers::Int8ConvTester depthwise(const KernelRecord& k, int size, int channels, int kernel) {
  testers::Int8ConvTester t;
  t.op(testers::Int8Op::depthwise)
      .depthwise_kernel(k)
      .input_size(size, size + 3)
      .input_channels(channels)
      .kernel(kernel);
  return t;
}

}  // namespace

TEST_CASE("int8 pointwise kernels: every row and column remainder, every activation",
          "[int8][pointwise]") {
  kernels::for_each_record<kernels::pointwise::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    const std::vector<int> depths{1, 3, 7, 17, 33, 2, 16};
    std::size_t cases = 0;
    for (int pixels : testers::row_counts(tile_rows<K>())) {
      for (int out_c : testers::channel_counts(tile_columns<K>())) {
        CHECK(pointwise(K, pixels, depths[cases % depths.size()], out_c)
                  .bias(cases % 3 != 0)
                  .activation(testers::all_activations[cases % testers::all_activations.size()])
                  .split(pixels / 2)
                  .test());
        ++cases;
      }
    }
    CHECK(cases >= 400);
  });
}

TEST_CASE("int8 pointwise kernels: depths off the vector width and across widening chunks",
          "[int8][pointwise]") {
  kernels::for_each_record<kernels::pointwise::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    std::vector<int> depths = testers::channel_counts(tile_columns<K>());
    for (int d : {95, 96, 97, 1023, 1024, 1025, 2047, 2049, 3000}) depths.push_back(d);
    for (int in_c : depths)
      for (int pixels : {1, tile_rows<K>() + 1})
        CHECK(pointwise(K, pixels, in_c, 2 * tile_columns<K>() + 3)
                  .activation(in_c % 2 ? Activation::relu6 : Activation::hard_swish)
                  .test());
  });
}

TEST_CASE("int8 pointwise kernels: blocks of channels starting and ending inside a tile",
          "[int8][pointwise]") {
  kernels::for_each_record<kernels::pointwise::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    for (int first : {0, 3, 16, 21, 32, 47})
      for (int last : {first + 1, first + 13, first + 17, 65, 70})
        CHECK(pointwise(K, tile_rows<K>() + 3, 9, 70)
                  .channel_block(first, last)
                  .activation(first % 2 ? Activation::sigmoid : Activation::relu)
                  .split(4)
                  .test());
  });
}

TEST_CASE("int8 pointwise kernels: extreme zero points and scales, saturation at both ends",
          "[int8][pointwise]") {
  kernels::for_each_record<kernels::pointwise::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    struct ZeroPoints {
      int input, output;
    };
    std::size_t cases = 0;
    for (ZeroPoints z : {ZeroPoints{-128, -128}, ZeroPoints{127, 127}, ZeroPoints{-128, 127},
                         ZeroPoints{127, -128}, ZeroPoints{0, 0}}) {
      // 1e-4: nearly every sum beyond [-128, 127]; 1e3: every sum to the zero point; 0: drawn.
      for (float scale : {1e-4f, 1e3f, 0.0f}) {
        for (Activation act : testers::all_activations) {
          for (bool bias : {false, true}) {
            CHECK(pointwise(K, 2 * tile_rows<K>() + 1, 33, 2 * tile_columns<K>() + 5)
                      .zero_points(z.input, z.output)
                      .output_scale(scale)
                      .bias(bias)
                      .activation(act)
                      .split(3)
                      .test());
            ++cases;
          }
        }
      }
    }
    CHECK(cases == 5 * 3 * 7 * 2);
  });
}

TEST_CASE("int8 depthwise kernels: each kernel, stride, dilation and border by channel counts",
          "[int8][depthwise]") {
  kernels::for_each_record<kernels::depthwise::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    const std::vector<int> channels = testers::channel_counts(16);
    std::size_t cases = 0;
    for (int k : {3, 5, 7}) {
      for (int stride : {1, 2}) {
        for (int dilation : {1, 2}) {
          const int span = dilation * (k - 1) + 1;
          const int half = (span - 1) / 2;
          for (const testers::Padding& padding :
               {testers::Padding{}, testers::Padding::all(half), testers::Padding::sides(half, 0),
                testers::Padding::sides(0, span - 1)}) {
            for (int size : {span, span + 1, 2 * span + 3}) {
              testers::Int8ConvTester t = depthwise(K, size, channels[cases % channels.size()], k);
              t.stride(stride)
                  .dilation(dilation)
                  .padding(padding)
                  .bias(cases % 3 != 0)
                  .activation(testers::all_activations[cases % testers::all_activations.size()]);
              if (t.output_height() < 1 || t.output_width() < 1) continue;
              CHECK(t.split(t.output_height() / 2).test());
              ++cases;
            }
          }
        }
      }
    }
    CHECK(cases >= 130);  // of 144 listed; the rest have no output
    for (int c : channels)
      CHECK(depthwise(K, 9, c, 3)
                .padding(testers::Padding::all(1))
                .activation(Activation::relu6)
                .test());
  });
}

TEST_CASE("int8 depthwise kernels: extreme zero points and scales, saturation at both ends",
          "[int8][depthwise]") {
  kernels::for_each_record<kernels::depthwise::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    std::size_t cases = 0;
    for (int z : {-128, 127, 0}) {
      for (float scale : {1e-4f, 1e3f, 0.0f}) {
        for (Activation act : testers::all_activations) {
          // 45 channels: two blocks of 16, the block of 8 and 5 more; 9 x 9 with 5 x 5 taps
          // and padding 1: interior and border pixels.
          CHECK(depthwise(K, 9, 45, cases % 3 == 0 ? 5 : 3)
                    .padding(testers::Padding::all(1))
                    .zero_points(z, -z - 1)
                    .output_scale(scale)
                    .bias(cases % 2 == 0)
                    .activation(act)
                    .split(3)
                    .test());
          ++cases;
        }
      }
    }
    CHECK(cases == 3 * 3 * 7);
  });
}

TEST_CASE("int8 convolution kernels: each kernel, stride, dilation, border and groups",
          "[int8][conv]") {
  kernels::for_each_record<kernels::conv::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    const std::vector<int> in_channels{3, 1, 4, 7, 16, 17};
    const std::vector<int> out_channels{1, 16, 17, 32, 33, 8};
    std::size_t cases = 0;
    for (int k : {1, 3, 5, 7}) {
      for (int stride : {1, 2}) {
        for (int dilation : {1, 2}) {
          const int span = dilation * (k - 1) + 1;
          const int half = (span - 1) / 2;
          for (const testers::Padding& padding :
               {testers::Padding{}, testers::Padding::all(half), testers::Padding::sides(half, 0),
                testers::Padding::sides(0, span - 1)}) {
            for (int size : {span, span + 1, 2 * span + 7}) {
              const int groups = cases % 5 == 0 ? 2 : 1;
              const int in_c = groups * in_channels[cases % in_channels.size()];
              const int out_c = groups * out_channels[cases % out_channels.size()];
              testers::Int8ConvTester t = conv(K, size, in_c, out_c, k);
              t.stride(stride)
                  .dilation(dilation)
                  .padding(padding)
                  .groups(groups)
                  .bias(cases % 3 != 0)
                  .activation(testers::all_activations[cases % testers::all_activations.size()]);
              if (t.output_height() < 1 || t.output_width() < 1) continue;
              CHECK(t.split(t.output_height() / 2).test());
              ++cases;
            }
          }
        }
      }
    }
    CHECK(cases >= 170);  // of 192 listed; the rest have no output
    // Patches of 9 x 200 and 9 x 2000 channels: a few pixels per buffer, one, none (the reference).
    for (int in_c : {200, 2000})
      CHECK(conv(K, 5, in_c, 19, 3).padding(testers::Padding::all(1)).test());
  });
}

TEST_CASE("int8 convolution kernels: extreme zero points and scales, saturation at both ends",
          "[int8][conv]") {
  kernels::for_each_record<kernels::conv::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    std::size_t cases = 0;
    for (int z : {-128, 127, 0}) {
      for (float scale : {1e-4f, 1e3f, 0.0f}) {
        for (Activation act : testers::all_activations) {
          CHECK(conv(K, 9, 3, 21, 3)
                    .stride(2)
                    .padding(testers::Padding::all(1))
                    .zero_points(z, -z - 1)
                    .output_scale(scale)
                    .bias(cases % 2 == 0)
                    .activation(act)
                    .split(2)
                    .test());
          ++cases;
        }
      }
    }
    CHECK(cases == 3 * 3 * 7);
  });
}

TEST_CASE("int8 linear kernels: output counts, depths, blocks of panels, extremes",
          "[int8][linear]") {
  kernels::for_each_record<kernels::linear::int8_records>([]<KernelRecord K>() {
    INFO(K.name().view());
    const auto linear = [&](int in_f, int out_f) {
      testers::Int8ConvTester t;
      t.op(testers::Int8Op::linear)
          .linear_kernel(K)
          .input_size(1, 1)
          .input_channels(in_f)
          .output_channels(out_f);
      return t;
    };
    std::size_t cases = 0;
    for (int out_f : testers::channel_counts(32)) {
      for (int in_f : {1, 7, 64, 1280, 2049}) {
        CHECK(linear(in_f, out_f)
                  .bias(cases % 2 == 0)
                  .activation(testers::all_activations[cases % testers::all_activations.size()])
                  .test());
        ++cases;
      }
    }
    for (int first : {0, 32, 64})
      for (int last : {first + 32, 100})
        if (first < last) CHECK(linear(300, 100).channel_block(first, last).test());
    for (int z : {-128, 127})
      for (float scale : {1e-4f, 1e3f})
        CHECK(linear(1280, 1000).zero_points(z, -z - 1).output_scale(scale).test());
  });
}
