// Reference convolution kernels against hand-computed cases and the independent naive oracle
// on random shapes: odd sizes, every stride, padding and dilation, groups, channel counts that
// are not multiples of any SIMD width.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "../support/harness.hpp"
#include "../support/packing.hpp"
#include "joule/kernels/conv/reference.hpp"
#include "joule/kernels/depthwise/reference.hpp"

using joule::kernels::ConvGeometry;

namespace {

template <class Act>
std::vector<float> run_conv(const ConvGeometry& g, const std::vector<float>& in, const std::vector<float>& w,
                            const float* bias, bool depthwise) {
  std::vector<float> out(std::size_t(g.out_height) * g.out_width * g.out_channels, -12345.0f);
  if (depthwise) {
    joule::kernels::depthwise::reference<Act>(g, in.data(), w.data(), bias, out.data());
  } else {
    joule::kernels::conv::reference<Act>(g, in.data(), w.data(), bias, out.data());
  }
  return out;
}

std::vector<float> run_with(const std::string& act, const ConvGeometry& g, const std::vector<float>& in,
                            const std::vector<float>& w, const float* bias, bool depthwise) {
  if (act == "ReLU6") return run_conv<joule::ReLU6>(g, in, w, bias, depthwise);
  if (act == "SiLU") return run_conv<joule::SiLU>(g, in, w, bias, depthwise);
  return run_conv<joule::Identity>(g, in, w, bias, depthwise);
}

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

TEST_CASE("conv_output_size follows PyTorch's formula", "[kernels][conv]") {
  using joule::kernels::conv_output_size;
  CHECK(conv_output_size(224, 3, 2, 1, 1) == 112);
  CHECK(conv_output_size(7, 3, 2, 1, 1) == 4);   // odd input, stride 2
  CHECK(conv_output_size(5, 5, 1, 2, 1) == 5);
  CHECK(conv_output_size(5, 3, 1, 2, 2) == 5);   // dilation 2 with padding 2 keeps the size
  CHECK(conv_output_size(2, 5, 1, 0, 1) == 0);   // kernel larger than the input: does not fit
}

TEST_CASE("conv reference: 3x3 ones with padding 1 counts in-bounds taps", "[kernels][conv]") {
  const ConvGeometry g = geometry(3, 3, 1, 1, 3, 1, 1, 1, 1);
  const std::vector<float> in(9, 1.0f), w = testing::pack_matrix(std::vector<float>(9, 1.0f), 9, 1);
  const std::vector<float> out = run_conv<joule::Identity>(g, in, w, nullptr, false);
  CHECK(out == std::vector<float>{4, 6, 4, 6, 9, 6, 4, 6, 4});
}

TEST_CASE("conv reference: stride 2 on an odd input, bias and ReLU", "[kernels][conv]") {
  // Input 5x5x1 holding 0..24, kernel 1x1 of weight -1, bias 10: out = relu(10 - x) at even pixels.
  const ConvGeometry g = geometry(5, 5, 1, 1, 1, 2, 0, 1, 1);
  std::vector<float> in(25);
  for (int i = 0; i < 25; ++i) in[i] = float(i);
  const std::vector<float> w = testing::pack_matrix({-1.0f}, 1, 1);
  const float bias = 10.0f;
  std::vector<float> out(9);
  joule::kernels::conv::reference<joule::ReLU>(g, in.data(), w.data(), &bias, out.data());
  CHECK(out == std::vector<float>{10, 8, 6, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("conv reference: groups see only their own input channels", "[kernels][conv]") {
  // 1x1 pixel, 4 input channels (1, 2, 3, 4), 2 groups, 2 outputs, 1x1 kernel of ones:
  // output 0 sums channels 0-1, output 1 sums channels 2-3.
  const ConvGeometry g = geometry(1, 1, 4, 2, 1, 1, 0, 1, 2);
  const std::vector<float> in{1, 2, 3, 4}, w = testing::pack_matrix(std::vector<float>(4, 1.0f), 2, 2);
  CHECK(run_conv<joule::Identity>(g, in, w, nullptr, false) == std::vector<float>{3, 7});
}

TEST_CASE("conv reference matches the naive oracle on random shapes", "[kernels][conv]") {
  std::mt19937 engine(20261128);
  auto pick = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(engine); };
  int checked = 0;
  while (checked < 300) {
    const int groups = pick(1, 3), in_pg = pick(1, 5), out_pg = pick(1, 6);
    const int k = pick(1, 7), stride = pick(1, 3), dilation = pick(1, 2), pad = pick(0, 3);
    const int h = pick(1, 13), w = pick(1, 13);
    const ConvGeometry g = geometry(h, w, groups * in_pg, groups * out_pg, k, stride, pad, dilation, groups);
    if (g.out_height < 1 || g.out_width < 1) continue;
    ++checked;
    const auto in = testing::random_vector(std::size_t(h) * w * g.in_channels, engine());
    const auto oihw = testing::random_vector(std::size_t(g.out_channels) * in_pg * k * k, engine());
    const auto bias = testing::random_vector(g.out_channels, engine());
    const bool with_bias = pick(0, 1) == 1;
    const std::string act = std::vector<std::string>{"Identity", "ReLU6", "SiLU"}[pick(0, 2)];

    naive::Tensor expected = naive::conv2d(naive::from_floats(in.data(), h, w, g.in_channels), oihw.data(),
                                           with_bias ? bias.data() : nullptr, g.out_channels, k, stride, pad,
                                           dilation, groups);
    naive::apply(expected, naive::activation(act));
    const auto actual = run_with(act, g, in, testing::conv_weights(oihw, g.out_channels, in_pg, k),
                                 with_bias ? bias.data() : nullptr, false);
    INFO("h=" << h << " w=" << w << " groups=" << groups << " in/g=" << in_pg << " out/g=" << out_pg << " k=" << k
              << " stride=" << stride << " pad=" << pad << " dilation=" << dilation << " act=" << act);
    REQUIRE(expected.height == g.out_height);
    REQUIRE(expected.width == g.out_width);
    CHECK(testing::relative_error(actual, expected) < testing::tolerance);
  }
}

TEST_CASE("depthwise reference: 3x3 ones with padding 1, per channel weights", "[kernels][depthwise]") {
  // 3x3x2 input of ones; channel 0 filter all 1, channel 1 filter all 2.
  const ConvGeometry g = geometry(3, 3, 2, 2, 3, 1, 1, 1, 2);
  const std::vector<float> in(18, 1.0f);
  std::vector<float> w(18);
  for (int i = 0; i < 9; ++i) {
    w[i * 2] = 1.0f;
    w[i * 2 + 1] = 2.0f;
  }
  const auto out = run_conv<joule::Identity>(g, in, w, nullptr, true);
  const std::vector<float> taps{4, 6, 4, 6, 9, 6, 4, 6, 4};
  for (int p = 0; p < 9; ++p) {
    CHECK(out[p * 2] == taps[p]);
    CHECK(out[p * 2 + 1] == 2 * taps[p]);
  }
}

TEST_CASE("depthwise reference matches the naive oracle on random shapes", "[kernels][depthwise]") {
  std::mt19937 engine(7);
  auto pick = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(engine); };
  int checked = 0;
  while (checked < 300) {
    const int k = std::vector<int>{3, 5, 7}[pick(0, 2)], stride = pick(1, 2), dilation = pick(1, 2);
    const int pad = pick(0, 1) ? (k - 1) / 2 * dilation : pick(0, 3);
    const int h = pick(1, 15), w = pick(1, 15), c = pick(1, 37);
    const ConvGeometry g = geometry(h, w, c, c, k, stride, pad, dilation, c);
    if (g.out_height < 1 || g.out_width < 1) continue;
    ++checked;
    const auto in = testing::random_vector(std::size_t(h) * w * c, engine());
    const auto oihw = testing::random_vector(std::size_t(c) * k * k, engine());
    const auto bias = testing::random_vector(c, engine());
    const std::string act = std::vector<std::string>{"Identity", "ReLU6", "SiLU"}[pick(0, 2)];
    naive::Tensor expected =
        naive::conv2d(naive::from_floats(in.data(), h, w, c), oihw.data(), bias.data(), c, k, stride, pad, dilation, c);
    naive::apply(expected, naive::activation(act));
    const auto actual =
        run_with(act, g, in, testing::oihw_to_hwio(oihw, c, 1, k), bias.data(), true);
    INFO("h=" << h << " w=" << w << " c=" << c << " k=" << k << " stride=" << stride << " pad=" << pad
              << " dilation=" << dilation << " act=" << act);
    CHECK(testing::relative_error(actual, expected) < testing::tolerance);
  }
}
