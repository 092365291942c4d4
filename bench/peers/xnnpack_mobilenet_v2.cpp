// model/xnnpack/mobilenet_v2/threads:N — one whole XNNPACK MobileNetV2 inference per iteration
// (every operator run in order with xnn_run_operator), next to model/joule/mobilenet_v2/threads:N.
// Building the network (BatchNorm folding, XNNPACK's weight packing, operator setup) happens
// before the timed loop.
#include <benchmark/benchmark.h>

#include <exception>
#include <random>
#include <string>

#include "../bench_common.hpp"
#include "xnnpack_mobilenet_v2.hpp"

namespace {

using namespace joule::peers;

void model(benchmark::State& state, int threads) {
  const std::string init = initialize_xnnpack();
  if (!init.empty()) {
    state.SkipWithError(init.c_str());
    return;
  }
  const Threadpool pool = make_threadpool(threads);
  if (threads > 1 && !pool) {
    state.SkipWithError("pthreadpool_create failed");
    return;
  }
  try {
    XnnpackMobileNetV2 net(mobilenet_v2::random_state_dict(1), pool.get());
    std::mt19937 engine(2);
    std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
    for (int i = 0; i < mobilenet_v2::resolution * mobilenet_v2::resolution * mobilenet_v2::input_channels; ++i)
      net.input()[i] = pixel(engine);

    for (auto _ : state) {
      const std::string error = net.run();
      if (!error.empty()) {
        state.SkipWithError(error.c_str());
        break;
      }
      benchmark::DoNotOptimize(net.output());
      benchmark::ClobberMemory();
    }
    // Bytes: input image, folded weights and logits, as for the layers (activations in between
    // are not counted).
    const double image = double(mobilenet_v2::resolution) * mobilenet_v2::resolution * mobilenet_v2::input_channels;
    joule::bench::set_counters(state, mobilenet_v2::macs(),
                               4.0 * (image + mobilenet_v2::folded_weight_floats() + mobilenet_v2::classes));
    state.SetLabel(std::to_string(net.operators()) + " operators, ReLU6 as clamp, BatchNorm folded");
  } catch (const std::exception& error) {
    state.SkipWithError(error.what());
  }
}

const bool registered = [] {
  for (int threads : {1, 2}) {
    benchmark::RegisterBenchmark(("model/xnnpack/mobilenet_v2/threads:" + std::to_string(threads)).c_str(),
                                 [threads](benchmark::State& state) { model(state, threads); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
