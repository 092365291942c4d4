// Results are bit-identical for every thread count: layers split their work into parts whose
// outputs are computed the same way whichever part (and thread) they fall in. Checked on networks
// that exercise every parallel path: fused blocks split by rows, squeeze-excite, pointwise layers
// split by pixels and by weight panels, linear layers split by panels.
#include <catch2/catch.hpp>

#include <memory>
#include <new>
#include <vector>

#include "../support/harness.hpp"
#include "joule/joule.hpp"
#include "joule/models.hpp"
#include "joule/runtime/thread_pool.hpp"

using namespace joule;
using testing::TensorTable;

namespace {

template <class Net>
std::vector<float> run_with_threads(const typename Net::Weights& weights, const std::vector<float>& input, int threads) {
  const std::size_t bytes = Net::arena_bytes_for(threads);
  std::unique_ptr<std::byte[]> arena(new (std::align_val_t(64)) std::byte[bytes]);
  std::unique_ptr<runtime::ThreadPool> pool = threads > 0 ? std::make_unique<runtime::ThreadPool>(threads) : nullptr;
  Net net(weights.span(), std::span<std::byte>(arena.get(), bytes), pool.get());
  std::vector<float> output(Net::output::size);
  for (int repeat = 0; repeat < 3; ++repeat) {  // the pool is reused across inferences
    net.forward(std::span<const float, Net::input::size>(input.data(), input.size()),
                std::span<float, Net::output::size>(output.data(), output.size()));
  }
  ::operator delete[](arena.release(), std::align_val_t(64));
  return output;
}

template <class Net>
void check_thread_counts(std::uint32_t seed) {
  TensorTable table = TensorTable::deterministic_for<Net>(seed);
  auto weights = std::make_unique<typename Net::Weights>();
  REQUIRE(bind_weights<Net>(table, *weights).ok());
  const auto input = testing::random_vector(Net::input::size, seed + 1);
  const std::vector<float> serial = run_with_threads<Net>(*weights, input, 0);
  for (int threads : {1, 2, 3, 4}) {
    INFO(threads << " threads");
    CHECK(run_with_threads<Net>(*weights, input, threads) == serial);
  }
}

using Mixed = Network<Shape<33, 31, 3>, Conv2d<16, 3, 2, ReLU6>, InvertedResidual<16, 1, 3, 1>,
                      InvertedResidual<24, 6, 3, 2>, InvertedResidual<24, 6, 5, 1, SqueezeExcite<4>, HardSwish>,
                      InvertedResidual<40, 6, 5, 2, SqueezeExcite<4>, SiLU>, FusedMBConv<40, 4, 3, 1>,
                      Pointwise<160, ReLU6>, GlobalAvgPool, Linear<70>>;

}  // namespace

TEST_CASE("every thread count gives the same bits: mixed custom network", "[graph][threads]") {
  check_thread_counts<Mixed>(501);
}

TEST_CASE("every thread count gives the same bits: MobileNetV3-Small", "[graph][threads]") {
  check_thread_counts<models::MobileNetV3<models::mobilenet_v3_small>>(502);
}

TEST_CASE("the arena for N threads adds one scratch block per extra thread", "[graph][threads]") {
  STATIC_REQUIRE(Mixed::worker_scratch_bytes > 0);
  STATIC_REQUIRE(Mixed::arena_bytes_for(1) == Mixed::arena_bytes);
  STATIC_REQUIRE(Mixed::arena_bytes_for(3) == Mixed::arena_bytes + 2 * Mixed::worker_scratch_bytes);
}

TEST_CASE("with a one-thread arena, layers that need per-thread scratch run as one part", "[graph][threads]") {
  // The Weights/Arena overload gets no room for worker scratch: still correct, just fewer parts.
  TensorTable table = TensorTable::deterministic_for<Mixed>(503);
  auto weights = std::make_unique<Mixed::Weights>();
  REQUIRE(bind_weights<Mixed>(table, *weights).ok());
  const auto input = testing::random_vector(Mixed::input::size, 504);
  auto arena = std::make_unique<Mixed::Arena>();
  runtime::ThreadPool pool(3);
  Mixed net(*weights, *arena, &pool);
  std::vector<float> output(Mixed::output::size);
  net.forward(std::span<const float, Mixed::input::size>(input.data(), input.size()),
              std::span<float, Mixed::output::size>(output.data(), output.size()));
  CHECK(output == run_with_threads<Mixed>(*weights, input, 0));
}
