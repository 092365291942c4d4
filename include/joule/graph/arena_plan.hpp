// The static activation-arena plan: where each tensor of a network lives while it runs.
//
// The plan is ping-pong from both ends of a window of the arena. A layer reads its input at one
// end and writes its output at the other; its scratch sits in the gap between them. A layer that
// may work in place (squeeze-excite, BatchNorm) keeps its tensor where it is. A residual keeps its
// input (the stash) at its end of the window while the body runs in the rest, then adds the body's
// output into the stash in place. The body's first layer reads the stash from outside its window.
//
// So a chain needs max over layers of (input + output + scratch) bytes, and a residual adds its
// stash to what its body needs: the smallest arena for which this plan works. Sizes are bytes,
// each tensor's from its shape and dtype, and every tensor is padded to the library's alignment,
// so every tensor starts aligned.
#pragma once

#include <cstddef>

#include "joule/core/alignment.hpp"
#include "joule/core/assert.hpp"
#include "joule/core/executor.hpp"
#include "joule/core/leaf.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// Where a tensor sits relative to the window a node runs in.
enum class Place : unsigned char {
  outside,  // not in the window: a stash held by an enclosing residual
  bottom,   // starts at the window's low end
  top,      // ends at the window's high end
};

/// A part [lo, hi) of the arena, counted in bytes from `base`.
struct Window {
  std::byte* base = nullptr;
  std::size_t lo = 0;
  std::size_t hi = 0;

  constexpr std::size_t size() const { return hi - lo; }
  std::byte* bottom() const { return base + lo; }
  std::byte* top(std::size_t bytes) const { return base + hi - bytes; }
  /// The window without `bytes` at the end where `place` is.
  constexpr Window without(Place place, std::size_t bytes) const {
    return place == Place::bottom ? Window{base, lo + bytes, hi} : Window{base, lo, hi - bytes};
  }
};

struct TensorRef {
  std::byte* data = nullptr;
  Place place = Place::outside;
};

/// Bytes a tensor of `bytes` bytes takes in the arena.
constexpr std::size_t slot_bytes(std::size_t bytes) {
  return aligned_bytes(bytes);
}

template <class Leaf>
constexpr bool leaf_stays_in_place(Place in) {
  return Leaf::in_place && in != Place::outside;
}

template <class Leaf>
constexpr Place leaf_output_place(Place in) {
  if (leaf_stays_in_place<Leaf>(in)) return in;
  return in == Place::bottom ? Place::top : Place::bottom;
}

template <class Leaf>
constexpr std::size_t leaf_window_bytes(Place in) {
  const std::size_t input = in == Place::outside ? 0 : slot_bytes(input_bytes<Leaf>);
  const std::size_t output = leaf_stays_in_place<Leaf>(in) ? 0 : slot_bytes(output_bytes<Leaf>);
  return input + output + slot_bytes(Leaf::scratch_bytes);
}

/// Runs one leaf layer through `runner` with its input `in` inside (or outside) `window`.
template <class Leaf, class Runner>
TensorRef execute_leaf(Runner& runner, const std::byte* weights, Window window, TensorRef in) {
  JOULE_ASSERT(leaf_window_bytes<Leaf>(in.place) <= window.size());
  const Place out_place = leaf_output_place<Leaf>(in.place);
  const std::size_t out_bytes = slot_bytes(output_bytes<Leaf>);
  std::byte* out = out_place == in.place        ? in.data
                   : out_place == Place::bottom ? window.bottom()
                                                : window.top(out_bytes);
  // Scratch goes just above whatever occupies the bottom of the window.
  const std::size_t bottom_used = in.place == Place::bottom    ? slot_bytes(input_bytes<Leaf>)
                                  : out_place == Place::bottom ? out_bytes
                                                               : 0;
  runner.template leaf<Leaf>(weights, in.data, out, window.bottom() + bottom_used);
  return TensorRef{out, out_place};
}

/// Calls Leaf::run with its tensors as arrays of their dtypes.
template <class Leaf>
void run_leaf(const std::byte* weights, const std::byte* in, std::byte* out, std::byte* scratch,
              const RunContext& context) {
  Leaf::run(weights, reinterpret_cast<const value_t<Leaf::input_dtype>*>(in),
            reinterpret_cast<value_t<Leaf::output_dtype>*>(out), scratch, context);
}

/// Calls AddOp::run (a residual's sum) with its tensors as arrays of their dtype.
template <class AddOp>
void run_add(const std::byte* weights, const std::byte* a, const std::byte* b, std::byte* out) {
  using T = value_t<AddOp::output_dtype>;
  AddOp::run(weights, reinterpret_cast<const T*>(a), reinterpret_cast<const T*>(b),
             reinterpret_cast<T*>(out));
}

/// What a runner does when nothing is being observed: run the kernels.
struct KernelRunner {
  RunContext context;

  template <class Leaf>
  void leaf(const std::byte* weights, const std::byte* in, std::byte* out, std::byte* scratch) {
    run_leaf<Leaf>(weights, in, out, scratch, context);
  }
  template <class AddOp>
  void add(const std::byte* weights, const std::byte* a, const std::byte* b, std::byte* out) {
    run_add<AddOp>(weights, a, b, out);
  }
  void stash_begin(const std::byte*, std::size_t) {}
  void stash_end() {}
};

}  // namespace joule::inline JOULE_TARGET
