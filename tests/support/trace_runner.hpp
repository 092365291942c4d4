// A runner that executes the arena plan and checks, op by op, that no op writes over a tensor
// that is still live: its own input (unless it runs in place), a stash held by a residual, or
// its scratch; and that everything stays inside the arena and aligned.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "joule/core/alignment.hpp"
#include "joule/core/executor.hpp"

namespace testing {

class TraceRunner {
 public:
  TraceRunner(const float* arena, std::size_t arena_floats) : begin_(arena), end_(arena + arena_floats) {}

  template <class Leaf>
  void leaf(const float* weights, const float* in, float* out, float* scratch) {
    ++ops_;
    const Range input{in, in + Leaf::input::size};
    const Range output{out, out + Leaf::output::size};
    const Range work{scratch, scratch + Leaf::scratch_floats};
    check(inside(input) || is_stash(input), "input outside the arena");
    check(inside(output), "output outside the arena");
    check(Leaf::scratch_floats == 0 || inside(work), "scratch outside the arena");
    check(joule::is_aligned(out) && joule::is_aligned(in), "unaligned tensor");
    check(Leaf::scratch_floats == 0 || joule::is_aligned(scratch), "unaligned scratch");
    if (out != in) check(!overlap(input, output), "output overlaps the input");
    if (Leaf::in_place && out == in) check(Leaf::input::size == Leaf::output::size, "in place with a new size");
    check(!overlap(work, input) && !overlap(work, output), "scratch overlaps a tensor");
    for (const Range& stash : stashes_) {
      check(!overlap(output, stash), "output overwrites a residual stash");
      check(!overlap(work, stash), "scratch overwrites a residual stash");
    }
    Leaf::run(weights, in, out, scratch, joule::RunContext{});
  }
  template <class AddOp>
  void add(const float* a, const float* b, float* out) {
    ++ops_;
    check(out == a || out == b, "residual sum not written in place");
    check(!overlap(Range{a, a + AddOp::input::size}, Range{b, b + AddOp::input::size}), "add inputs overlap");
    AddOp::run(a, b, out);
  }
  void stash_begin(const float* data, std::size_t floats) {
    check(inside(Range{data, data + floats}), "stash outside the arena");
    stashes_.push_back(Range{data, data + floats});
  }
  void stash_end() { stashes_.pop_back(); }

  const std::vector<std::string>& problems() const { return problems_; }
  int ops() const { return ops_; }

 private:
  struct Range {
    const float* begin;
    const float* end;
  };
  static bool overlap(Range a, Range b) { return a.begin < b.end && b.begin < a.end && a.begin != a.end && b.begin != b.end; }
  bool inside(Range r) const { return r.begin >= begin_ && r.end <= end_; }
  bool is_stash(Range r) const {
    for (const Range& s : stashes_)
      if (r.begin >= s.begin && r.end <= s.end) return true;
    return false;
  }
  void check(bool condition, const char* what) {
    if (!condition) problems_.push_back("op " + std::to_string(ops_) + ": " + what);
  }

  const float* begin_;
  const float* end_;
  std::vector<Range> stashes_;
  std::vector<std::string> problems_;
  int ops_ = 0;
};

}  // namespace testing
