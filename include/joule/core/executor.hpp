// Executor: how a layer splits its work across threads. A layer cuts its output into a fixed
// number of contiguous parts (by rows, or by output features) and asks the executor to run them;
// every output element is computed by the same arithmetic whichever thread runs its part, so
// results are bit-identical for every thread count. Without an executor (bare metal, or one
// thread) the parts run in order on the caller.
#pragma once

#include <cstddef>

#include "joule/core/function_ref.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

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
  /// Scratch for workers 1, 2, ... (worker 0 uses the layer's own scratch in the arena plan):
  /// `worker_scratch_parts` blocks of `worker_scratch_bytes` bytes each, after the plan's arena.
  std::byte* worker_scratch = nullptr;
  std::size_t worker_scratch_bytes = 0;
  int worker_scratch_parts = 0;

  int threads() const { return executor ? executor->threads() : 1; }
  /// How many parts a layer that needs scratch per part may split into.
  int scratch_threads() const {
    const int most = 1 + worker_scratch_parts;
    return threads() < most ? threads() : most;
  }
  /// The scratch of part `part`: the layer's own for part 0, a worker block otherwise.
  std::byte* scratch_of(std::size_t part, std::byte* own) const {
    return part == 0 ? own : worker_scratch + (part - 1) * worker_scratch_bytes;
  }
};

namespace detail {
template <class Body>
void run_parts(const RunContext& context, int threads, std::size_t count, std::size_t grain, Body&& body) {
  std::size_t parts = threads > 0 ? static_cast<std::size_t>(threads) : 1;
  if (grain == 0) grain = 1;
  if (parts > count / grain) parts = count / grain;
  if (parts <= 1 || context.executor == nullptr) {
    body(std::size_t{0}, std::size_t{0}, count);
    return;
  }
  context.executor->run(parts, [&](std::size_t part) {
    body(part, count * part / parts, count * (part + 1) / parts);
  });
}
}  // namespace detail

/// Splits [0, count) into as many contiguous ranges as the context has threads (never more than
/// `count / grain`, at least one) and calls body(first, last) for each.
template <class Body>
void parallel_ranges(const RunContext& context, std::size_t count, std::size_t grain, Body&& body) {
  detail::run_parts(context, context.threads(), count, grain,
                    [&](std::size_t, std::size_t first, std::size_t last) { body(first, last); });
}

/// The same for layers that need scratch per part: body(part, first, last), with part usable in
/// RunContext::scratch_of; as many parts as there is scratch for.
template <class Body>
void parallel_parts(const RunContext& context, std::size_t count, std::size_t grain, Body&& body) {
  detail::run_parts(context, context.scratch_threads(), count, grain, body);
}

}  // namespace joule::inline JOULE_TARGET
