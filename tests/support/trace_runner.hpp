// A runner that executes the arena plan and checks, op by op, that no op writes over a tensor
// that is still live: its own input (unless it runs in place), a stash held by a residual, or
// its scratch; and that everything stays inside the arena and aligned.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "joule/core/alignment.hpp"
#include "joule/core/executor.hpp"
#include "joule/core/leaf.hpp"
#include "joule/graph/arena_plan.hpp"

namespace testing {

class TraceRunner {
 public:
  TraceRunner(const std::byte* arena, std::size_t arena_bytes)
      : begin_(arena), end_(arena + arena_bytes) {}

  template <class Leaf>
  void leaf(const std::byte* weights, const std::byte* in, std::byte* out, std::byte* scratch) {
    ++ops_;
    const Range input{in, in + joule::input_bytes<Leaf>};
    const Range output{out, out + joule::output_bytes<Leaf>};
    const Range work{scratch, scratch + Leaf::scratch_bytes};
    check(inside(input) || is_stash(input), "input outside the arena");
    check(inside(output), "output outside the arena");
    check(Leaf::scratch_bytes == 0 || inside(work), "scratch outside the arena");
    check(joule::is_aligned(out) && joule::is_aligned(in), "unaligned tensor");
    check(Leaf::scratch_bytes == 0 || joule::is_aligned(scratch), "unaligned scratch");
    if (out != in) check(!overlap(input, output), "output overlaps the input");
    if (Leaf::in_place && out == in)
      check(joule::input_bytes<Leaf> == joule::output_bytes<Leaf>, "in place with a new size");
    check(!overlap(work, input) && !overlap(work, output), "scratch overlaps a tensor");
    for (const Range& stash : stashes_) {
      check(!overlap(output, stash), "output overwrites a residual stash");
      check(!overlap(work, stash), "scratch overwrites a residual stash");
    }
    joule::run_leaf<Leaf>(weights, in, out, scratch, joule::RunContext{});
  }
  template <class AddOp>
  void add(const std::byte* weights, const std::byte* a, const std::byte* b, std::byte* out) {
    ++ops_;
    check(out == a || out == b, "residual sum not written in place");
    const std::size_t bytes = joule::input_bytes<AddOp>;
    check(!overlap(Range{a, a + bytes}, Range{b, b + bytes}), "add inputs overlap");
    joule::run_add<AddOp>(weights, a, b, out);
  }
  void stash_begin(const std::byte* data, std::size_t bytes) {
    check(inside(Range{data, data + bytes}), "stash outside the arena");
    stashes_.push_back(Range{data, data + bytes});
  }
  void stash_end() { stashes_.pop_back(); }

  const std::vector<std::string>& problems() const { return problems_; }
  int ops() const { return ops_; }

 private:
  struct Range {
    const std::byte* begin;
    const std::byte* end;
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

  const std::byte* begin_;
  const std::byte* end_;
  std::vector<Range> stashes_;
  std::vector<std::string> problems_;
  int ops_ = 0;
};

}  // namespace testing
