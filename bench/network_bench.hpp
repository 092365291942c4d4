// Timing a whole Network in Google Benchmark: joule's deterministic weights (timing does not depend
// on their values), an arena for the thread count, and a thread pool when more than one thread
// runs.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <utility>
#include <vector>

#include "bench_common.hpp"
#include "joule/graph/bind.hpp"
#include "joule/graph/deterministic_weights.hpp"
#include "joule/runtime/thread_pool.hpp"

namespace joule::bench {

template <class Net>
class NetworkUnderTest {
 public:
  explicit NetworkUnderTest(int threads)
      : weights_(std::make_unique<typename Net::Weights>()),
        arena_(new (std::align_val_t(64)) std::byte[Net::arena_bytes_for(threads)]),
        pool_(threads > 1 ? std::make_unique<runtime::ThreadPool>(threads) : nullptr),
        input_(Net::input::size, 0.5f),
        output_(Net::output::size),
        arena_bytes_(Net::arena_bytes_for(threads)) {
    const auto source = std::make_unique<DeterministicWeights<Net::max_source_elements>>(1);
    if (!bind_weights<Net>(*source, *weights_).ok()) std::abort();
  }
  ~NetworkUnderTest() { ::operator delete[](arena_, std::align_val_t(64)); }
  NetworkUnderTest(const NetworkUnderTest&) = delete;
  NetworkUnderTest& operator=(const NetworkUnderTest&) = delete;

  void run() {
    Net net(std::as_const(*weights_).span(), std::span<std::byte>(arena_, arena_bytes_),
            pool_.get());
    net.forward(std::span<const float, Net::input::size>(input_.data(), input_.size()),
                std::span<float, Net::output::size>(output_.data(), output_.size()));
    benchmark::DoNotOptimize(output_.data());
    benchmark::ClobberMemory();
  }

 private:
  std::unique_ptr<typename Net::Weights> weights_;
  std::byte* arena_;
  std::unique_ptr<runtime::ThreadPool> pool_;
  std::vector<float> input_;
  std::vector<float> output_;
  std::size_t arena_bytes_;
};

/// Times one inference per iteration; reports MACs, GFLOP/s, peak%, the bytes the network moves
/// (weights and activations), parameters, arena bytes and the estimated energy of one inference
/// (Net::energy(), the default table) in nJ.
template <class Net>
void time_network(benchmark::State& state, int threads) {
  NetworkUnderTest<Net> network(threads);
  network.run();  // warm-up
  for (auto _ : state) network.run();
  set_counters(state, double(Net::cost.macs),
               double(Net::cost.weight_bytes + Net::cost.activation_read_bytes + Net::cost.activation_write_bytes));
  state.counters["params"] = double(Net::cost.params);
  state.counters["arena_bytes"] = double(Net::arena_bytes_for(threads));
  state.counters["energy_nJ"] = Net::energy().total_pj() * 1e-3;
}

}  // namespace joule::bench
