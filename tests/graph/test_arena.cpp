// The static arena plan: sizes of known chains computed by hand, no op ever overwrites a live
// tensor (checked op by op on many networks), nothing is written outside the arena, and the
// zero-copy path equals forward().
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>

#include "../support/harness.hpp"
#include "../support/trace_runner.hpp"
#include "joule/joule.hpp"

using namespace joule;
using testing::Harness;
using testing::TensorTable;

namespace {

template <class Net>
void check_plan(std::uint32_t seed) {
  TensorTable table = TensorTable::deterministic_for<Net>(seed);
  auto weights = std::make_unique<typename Net::Weights>();
  REQUIRE(bind_weights<Net>(table, *weights).ok());
  auto arena = std::make_unique<typename Net::Arena>();
  testing::TraceRunner runner(arena->data, Net::arena_bytes);
  Net::execute(runner, weights->data, arena->data);
  INFO("network with arena of " << Net::arena_bytes << " bytes");
  for (const std::string& problem : runner.problems()) INFO(problem);
  CHECK(runner.problems().empty());
  CHECK(runner.ops() > 0);
}

}  // namespace

TEST_CASE("arena of a plain chain: the largest input + output pair", "[graph][arena]") {
  // 4x4x16 in (256 floats) -> 4x4x32 (512) -> 4x4x8 (128): max(256 + 512, 512 + 128) = 768 floats.
  using Net = Network<Shape<4, 4, 16>, Pointwise<32>, Pointwise<8>>;
  STATIC_REQUIRE(Net::arena_bytes == 768 * 4);
  STATIC_REQUIRE(Net::output_place == Place::bottom);  // input bottom, then top, then bottom
}

TEST_CASE("arena of a network with a residual: the stash adds to what its body needs", "[graph][arena]") {
  // Input 8x8x3 (192 floats) at the bottom; Conv2d writes 4x4x4 (64) at the top: 256.
  // Residual: stash 64 + body (pointwise 0 + 64, then depthwise 64 + 64) = 192.
  // Pool: 64 + 16; Linear: 16 + 16. Largest: 256.
  using Net = Network<Shape<8, 8, 3>, Conv2d<4, 3, 2, ReLU>, Residual<Pointwise<4>, DepthwiseConv<3, 1, ReLU>>,
                      GlobalAvgPool, Linear<5>>;
  STATIC_REQUIRE(Net::arena_bytes == (256) * 4);
  STATIC_REQUIRE(Net::output_offset == (256 - 16) * 4);
  check_plan<Net>(201);
}

TEST_CASE("arena: squeeze-excite first in a residual body works out of place", "[graph][arena]") {
  // Stash 64; SE reads the stash from outside and writes 64 plus scratch 48 (pooled 16, hidden 16, gate 16);
  // the pointwise then needs 64 + 64. Residual: 64 + max(112, 128) = 192.
  using Net = Network<Shape<2, 2, 16>, Residual<SqueezeExcite<4>, Pointwise<16>>>;
  STATIC_REQUIRE(bind_t<SqueezeExcite<4>, Shape<2, 2, 16>>::scratch_floats == 48);
  STATIC_REQUIRE(Net::arena_bytes == (192) * 4);
  check_plan<Net>(202);
}

TEST_CASE("arena: nested residuals", "[graph][arena]") {
  // Outer stash 64; inner residual reads it from outside: its body needs 64, its sum goes in place
  // into the body's output; then a pointwise needs 64 + 64. Total 64 + 128.
  using Net = Network<Shape<2, 2, 16>, Residual<Residual<Pointwise<16>>, Pointwise<16>>>;
  STATIC_REQUIRE(Net::arena_bytes == (192) * 4);
  check_plan<Net>(203);
}

TEST_CASE("arena: an in-place layer keeps its tensor where it is", "[graph][arena]") {
  // Input 4x4x16 (256) bottom, BatchNorm in place, SE in place with scratch 48: 256 + 48.
  using Net = Network<Shape<4, 4, 16>, BatchNorm<>, SqueezeExcite<4>>;
  STATIC_REQUIRE(Net::arena_bytes == (256 + 48) * 4);
  STATIC_REQUIRE(Net::output_offset == 0);
  check_plan<Net>(204);
}

TEST_CASE("arena plan never overwrites a live tensor on larger networks", "[graph][arena]") {
  check_plan<Network<Shape<33, 31, 3>, Conv2d<16, 3, 2, ReLU6>, InvertedResidual<16, 1, 3, 1>,
                     InvertedResidual<24, 6, 3, 2>, InvertedResidual<24, 6, 5, 1, SqueezeExcite<4>, HardSwish>,
                     FusedMBConv<24, 4, 3, 1>, InvertedResidual<40, 6, 5, 2, SqueezeExcite<4>, SiLU>,
                     DepthwiseSeparable<40, 3, 1>, Residual<Residual<InvertedResidual<40, 3, 3, 1>>, BatchNorm<>>,
                     GlobalAvgPool, Linear<7>>>(205);
  check_plan<Network<Shape<5, 5, 8>, Residual<Pointwise<8>>, Residual<DepthwiseConv<3>>>>(206);  // ends in a residual
}

TEST_CASE("forward writes nothing outside the arena and equals the zero-copy path", "[graph][arena]") {
  using Net = Network<Shape<9, 9, 3>, Conv2d<8, 3, 2, ReLU6>, InvertedResidual<8, 6, 3, 1, SqueezeExcite<4>>,
                      GlobalAvgPool, Linear<4>>;
  TensorTable table = TensorTable::deterministic_for<Net>(207);
  auto weights = std::make_unique<Net::Weights>();
  REQUIRE(bind_weights<Net>(table, *weights).ok());

  // The arena inside a larger buffer whose tail is a canary.
  constexpr std::size_t canary = 4096;
  struct alignas(64) Padded {
    Net::Arena arena;
    float tail[canary];
  };
  auto padded = std::make_unique<Padded>();
  for (float& f : padded->tail) f = 1234.5f;
  Net net(*weights, padded->arena);
  const auto input = testing::random_vector(Net::input::size, 208);
  std::vector<float> out(Net::output::size);
  net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
              std::span<float, Net::output::size>(out.data(), out.size()));
  for (float f : padded->tail) REQUIRE(f == 1234.5f);

  std::copy(input.begin(), input.end(), net.input_tensor().data());
  net.run();
  const auto view = net.output_tensor();
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(view[i] == out[i]);
}
