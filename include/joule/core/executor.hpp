// Executor: how a layer splits its work across threads. A layer cuts its output into a fixed
// number of contiguous parts (by rows, or by output features) and asks the executor to run them;
// every output element is computed by the same arithmetic whichever thread runs its part, so
// results are bit-identical for every thread count. Without an executor (bare metal, or one
// thread) the parts run in order on the caller.
#pragma once

#include <cstddef>

#include "joule/core/function_ref.hpp"

namespace joule {

class Executor {
 public:
  /// Threads that run parts at once, the caller's included.
  virtual int threads() const = 0;
  /// Calls part(0) ... part(parts - 1), possibly at once, and returns when all are done.
  virtual void run(std::size_t parts, FunctionRef<void(std::size_t)> part) = 0;

 protected:
  ~Executor() = default;
};

/// What a layer's run() receives besides its tensors.
struct RunContext {
  Executor* executor = nullptr;

  int threads() const { return executor ? executor->threads() : 1; }
};

/// Splits [0, count) into as many contiguous ranges as the context has threads (never more than
/// `count / grain`, at least one) and calls body(first, last) for each.
template <class Body>
void parallel_ranges(const RunContext& context, std::size_t count, std::size_t grain, Body&& body) {
  std::size_t parts = static_cast<std::size_t>(context.threads());
  if (grain == 0) grain = 1;
  if (parts > count / grain) parts = count / grain;
  if (parts <= 1 || context.executor == nullptr) {
    body(std::size_t{0}, count);
    return;
  }
  context.executor->run(parts, [&](std::size_t part) {
    body(count * part / parts, count * (part + 1) / parts);
  });
}

}  // namespace joule
