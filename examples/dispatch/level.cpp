// One instruction-set level of the dispatch example. CMake compiles this file once per level
// with that level's -march and DISPATCH_LEVEL set to the function name (level_x86_64_v3, ...).
//
// Everything here stays inside joule's target namespace or this file's anonymous namespace, and
// the storage is static: no standard-library template is instantiated that another level could
// also instantiate, so the linker has no weak symbol to merge across levels (a test checks the
// object files with nm).
#include "levels.hpp"
#include "network.hpp"

#include <cstdio>

#ifndef DISPATCH_LEVEL
#error "compile with -DDISPATCH_LEVEL=level_x86_64_v3 (and the matching -DDISPATCH_MARCH and -march)"
#endif

namespace {

using dispatch::Net;

// The caller's tensors seen as joule's TensorSource.
class Tensors {
 public:
  Tensors(const dispatch::Tensor* tensors, int count) : tensors_(tensors), count_(count) {}

  const joule::TensorData* find(std::string_view name) {
    for (int i = 0; i < count_; ++i) {
      if (name != tensors_[i].name) continue;
      found_.data = tensors_[i].values;
      found_.rank = tensors_[i].rank;
      for (int d = 0; d < tensors_[i].rank; ++d) found_.dims[static_cast<std::size_t>(d)] = tensors_[i].dims[d];
      return &found_;
    }
    return nullptr;
  }

 private:
  const dispatch::Tensor* tensors_;
  int count_;
  joule::TensorData found_;
};

Net::Weights weights;
Net::Arena arena;

int run(const dispatch::Tensor* tensors, int count, const float* input, float* output, dispatch::LineSink sink,
        void* context) {
  char line[512];  // a Status message (up to 400 characters) and its prefix
  Tensors source(tensors, count);
  if (const joule::Status status = joule::bind_weights<Net>(source, weights); !status.ok()) {
    std::snprintf(line, sizeof line, "binding failed: %s", status.c_str());
    sink(line, context);
    return 1;
  }
  joule::write_report<Net>([&](std::string_view text) {
    std::snprintf(line, sizeof line, "%.*s", static_cast<int>(text.size()), text.data());
    sink(line, context);
  });
  Net net(weights, arena);
  net.forward(std::span<const float, Net::input::size>(input, Net::input::size),
              std::span<float, Net::output::size>(output, Net::output::size));
  return 0;
}

}  // namespace

dispatch::Level dispatch::DISPATCH_LEVEL() {
  return {DISPATCH_MARCH, joule::arch::name.data(), &run};
}
