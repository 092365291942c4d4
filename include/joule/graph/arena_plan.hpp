// The static activation-arena plan: where each tensor of a network lives while it runs.
//
// The plan is ping-pong from both ends of a window of the arena. A layer reads its input at one
// end and writes its output at the other; its scratch sits in the gap between them. A layer that
// may work in place (squeeze-excite, BatchNorm) keeps its tensor where it is. A residual keeps its
// input (the stash) at its end of the window while the body runs in the rest, then adds the body's
// output into the stash in place. The body's first layer reads the stash from outside its window.
//
// So a chain needs max over layers of (input + output + scratch) floats, and a residual adds its
// stash to what its body needs: the smallest arena for which this plan works. Every tensor is
// padded to the library's alignment, so every tensor starts aligned.
#pragma once

#include <cstddef>

#include "joule/core/alignment.hpp"
#include "joule/core/assert.hpp"
#include "joule/core/executor.hpp"
#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

/// Where a tensor sits relative to the window a node runs in.
enum class Place : unsigned char {
  outside,  // not in the window: a stash held by an enclosing residual
  bottom,   // starts at the window's low end
  top,      // ends at the window's high end
};

/// A part [lo, hi) of the arena, counted in floats from `base`.
struct Window {
  float* base = nullptr;
  std::size_t lo = 0;
  std::size_t hi = 0;

  constexpr std::size_t size() const { return hi - lo; }
  float* bottom() const { return base + lo; }
  float* top(std::size_t floats) const { return base + hi - floats; }
  /// The window without `floats` at the end where `place` is.
  constexpr Window without(Place place, std::size_t floats) const {
    return place == Place::bottom ? Window{base, lo + floats, hi} : Window{base, lo, hi - floats};
  }
};

struct TensorRef {
  float* data = nullptr;
  Place place = Place::outside;
};

/// Floats a tensor of `count` elements takes in the arena.
constexpr std::size_t slot_floats(std::size_t count) { return aligned_floats(count); }

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
constexpr std::size_t leaf_window_floats(Place in) {
  const std::size_t input = in == Place::outside ? 0 : slot_floats(Leaf::input::size);
  const std::size_t output = leaf_stays_in_place<Leaf>(in) ? 0 : slot_floats(Leaf::output::size);
  return input + output + slot_floats(Leaf::scratch_floats);
}

/// Runs one leaf layer through `runner` with its input `in` inside (or outside) `window`.
template <class Leaf, class Runner>
TensorRef execute_leaf(Runner& runner, const float* weights, Window window, TensorRef in) {
  JOULE_ASSERT(leaf_window_floats<Leaf>(in.place) <= window.size());
  const Place out_place = leaf_output_place<Leaf>(in.place);
  const std::size_t out_floats = slot_floats(Leaf::output::size);
  float* out = out_place == in.place ? in.data
               : out_place == Place::bottom ? window.bottom()
                                            : window.top(out_floats);
  // Scratch goes just above whatever occupies the bottom of the window.
  const std::size_t bottom_used = in.place == Place::bottom    ? slot_floats(Leaf::input::size)
                                  : out_place == Place::bottom ? out_floats
                                                               : 0;
  runner.template leaf<Leaf>(weights, in.data, out, window.bottom() + bottom_used);
  return TensorRef{out, out_place};
}

/// What a runner does when nothing is being observed: run the kernels.
struct KernelRunner {
  RunContext context;

  template <class Leaf>
  void leaf(const float* weights, const float* in, float* out, float* scratch) {
    Leaf::run(weights, in, out, scratch, context);
  }
  template <class AddOp>
  void add(const float* a, const float* b, float* out) {
    AddOp::run(a, b, out);
  }
  void stash_begin(const float*, std::size_t) {}
  void stash_end() {}
};

}  // namespace joule::inline JOULE_TARGET
