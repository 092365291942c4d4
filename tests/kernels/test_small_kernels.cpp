// Reference pointwise, linear, pooling and element-wise kernels against hand-computed cases and
// the naive oracle on random sizes.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "../support/harness.hpp"
#include "../support/packing.hpp"
#include "joule/kernels/elementwise/reference.hpp"
#include "joule/kernels/linear/reference.hpp"
#include "joule/kernels/pointwise/reference.hpp"
#include "joule/kernels/pool/reference.hpp"

TEST_CASE("pointwise reference: hand-computed 2x2 product with bias", "[kernels][pointwise]") {
  // One pixel (1, 2); weights [in][out] = [[1, 2, 3], [4, 5, 6]]; bias (1, 0, -100).
  const std::vector<float> in{1, 2}, w = testing::pack_matrix({1, 2, 3, 4, 5, 6}, 2, 3), bias{1, 0, -100};
  std::vector<float> out(3);
  joule::kernels::pointwise::reference<joule::ReLU>(1, 2, 3, in.data(), w.data(), bias.data(), out.data());
  CHECK(out == std::vector<float>{10, 12, 0});
}

TEST_CASE("pointwise reference matches the naive oracle", "[kernels][pointwise]") {
  std::mt19937 engine(11);
  auto pick = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(engine); };
  for (int trial = 0; trial < 200; ++trial) {
    const int h = pick(1, 9), w = pick(1, 9), in_c = pick(1, 41), out_c = pick(1, 41);
    const auto in = testing::random_vector(std::size_t(h) * w * in_c, engine());
    const auto oi = testing::random_vector(std::size_t(out_c) * in_c, engine());
    const auto bias = testing::random_vector(out_c, engine());
    std::vector<float> io(oi.size());
    for (int o = 0; o < out_c; ++o)
      for (int i = 0; i < in_c; ++i) io[std::size_t(i) * out_c + o] = oi[std::size_t(o) * in_c + i];
    std::vector<float> out(std::size_t(h) * w * out_c);
    const auto packed = testing::pack_matrix(io, in_c, out_c);
    joule::kernels::pointwise::reference<joule::HardSwish>(std::size_t(h) * w, in_c, out_c, in.data(), packed.data(),
                                                           bias.data(), out.data());
    naive::Tensor expected = naive::conv2d(naive::from_floats(in.data(), h, w, in_c), oi.data(), bias.data(), out_c,
                                           1, 1, 0, 1, 1);
    naive::apply(expected, naive::activation("HardSwish"));
    INFO("h=" << h << " w=" << w << " in=" << in_c << " out=" << out_c);
    CHECK(testing::relative_error(out, expected) < testing::tolerance);
  }
}

TEST_CASE("linear reference matches the naive oracle, with and without bias", "[kernels][linear]") {
  std::mt19937 engine(12);
  auto pick = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(engine); };
  for (int trial = 0; trial < 100; ++trial) {
    const int in_f = pick(1, 70), out_f = pick(1, 35);
    const bool with_bias = trial % 2 == 0;
    const auto in = testing::random_vector(in_f, engine());
    const auto oi = testing::random_vector(std::size_t(out_f) * in_f, engine());
    const auto bias = testing::random_vector(out_f, engine());
    std::vector<float> io(oi.size());
    for (int o = 0; o < out_f; ++o)
      for (int i = 0; i < in_f; ++i) io[std::size_t(i) * out_f + o] = oi[std::size_t(o) * in_f + i];
    std::vector<float> out(out_f);
    const auto packed = testing::pack_matrix(io, in_f, out_f);
    joule::kernels::linear::reference<joule::Sigmoid>(in_f, out_f, in.data(), packed.data(),
                                                      with_bias ? bias.data() : nullptr, out.data());
    naive::Tensor expected = naive::linear(naive::from_floats(in.data(), 1, 1, in_f), oi.data(),
                                           with_bias ? bias.data() : nullptr, out_f);
    naive::apply(expected, naive::activation("Sigmoid"));
    CHECK(testing::relative_error(out, expected) < testing::tolerance);
  }
}

TEST_CASE("global average pool: hand-computed and random", "[kernels][pool]") {
  const std::vector<float> in{1, 10, 3, 20, 5, 30, 7, 40};  // 4 pixels, 2 channels
  std::vector<float> out(2);
  joule::kernels::pool::global_average_reference(4, 2, in.data(), out.data());
  CHECK(out == std::vector<float>{4, 25});

  std::mt19937 engine(13);
  for (int trial = 0; trial < 50; ++trial) {
    const int h = 1 + int(engine() % 11), w = 1 + int(engine() % 11), c = 1 + int(engine() % 40);
    const auto data = testing::random_vector(std::size_t(h) * w * c, engine());
    std::vector<float> pooled(c);
    joule::kernels::pool::global_average_reference(std::size_t(h) * w, c, data.data(), pooled.data());
    CHECK(testing::relative_error(pooled, naive::global_average(naive::from_floats(data.data(), h, w, c))) <
          testing::tolerance);
  }
}

TEST_CASE("element-wise kernels: add, affine and channel scale, also in place", "[kernels][elementwise]") {
  std::vector<float> a{1, -2, 3, -4}, b{10, 20, 30, 40};
  std::vector<float> sum(4);
  joule::kernels::elementwise::add_reference<joule::Identity>(4, a.data(), b.data(), sum.data());
  CHECK(sum == std::vector<float>{11, 18, 33, 36});
  joule::kernels::elementwise::add_reference<joule::ReLU6>(4, a.data(), a.data(), a.data());  // in place
  CHECK(a == std::vector<float>{2, 0, 6, 0});

  // Two pixels, two channels: x * scale + shift per channel, then ReLU.
  std::vector<float> x{1, 2, 3, 4};
  const std::vector<float> scale{2, -1}, shift{1, 1};
  joule::kernels::elementwise::affine_channels_reference<joule::ReLU>(2, 2, x.data(), scale.data(), shift.data(),
                                                                       x.data());
  CHECK(x == std::vector<float>{3, 0, 7, 0});

  std::vector<float> y{1, 2, 3, 4}, scaled(4);
  joule::kernels::elementwise::scale_channels_reference(2, 2, y.data(), scale.data(), scaled.data());
  CHECK(scaled == std::vector<float>{2, -2, 6, -4});
}

TEST_CASE("activations follow PyTorch's definitions", "[kernels][activation]") {
  for (double x : {-7.0, -3.0, -2.5, -1.0, -0.25, 0.0, 0.5, 2.0, 3.0, 5.5, 6.0, 9.0}) {
    const float f = float(x);
    CHECK(joule::ReLU::apply(f) == Approx(naive::activation("ReLU")(x)));
    CHECK(joule::ReLU6::apply(f) == Approx(naive::activation("ReLU6")(x)));
    CHECK(joule::HardSigmoid::apply(f) == Approx(naive::activation("HardSigmoid")(x)).margin(1e-7));
    CHECK(joule::HardSwish::apply(f) == Approx(naive::activation("HardSwish")(x)).margin(1e-6));
    CHECK(joule::Sigmoid::apply(f) == Approx(naive::activation("Sigmoid")(x)).margin(1e-7));
    CHECK(joule::SiLU::apply(f) == Approx(naive::activation("SiLU")(x)).margin(1e-6));
    CHECK(joule::Identity::apply(f) == f);
  }
  // Far tails stay finite.
  CHECK(joule::Sigmoid::apply(-200.0f) == 0.0f);
  CHECK(joule::Sigmoid::apply(200.0f) == 1.0f);
  CHECK(joule::SiLU::apply(-200.0f) == Approx(0.0).margin(1e-30));
}
