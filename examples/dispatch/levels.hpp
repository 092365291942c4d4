// What the baseline part of the program and each instruction-set level share: plain data and
// function pointers only. No joule type crosses this line, because each level compiles joule
// into its own target namespace (core/target.hpp) and their types are distinct.
#pragma once

namespace dispatch {

/// One weight tensor in PyTorch's layout, named as the network's parameter list names it.
struct Tensor {
  const char* name;
  const float* values;
  int rank;
  long long dims[4];
};

/// Receives the report and the kernel lines a level prints.
using LineSink = void (*)(const char* line, void* context);

struct Level {
  const char* march;  // the -march the level was compiled with
  const char* simd;   // the xsimd architecture its kernels use
  /// Binds the weights, runs one inference and writes the per-layer report to sink.
  /// Returns 0, or 1 with the reason written to sink.
  int (*run)(const Tensor* tensors, int count, const float* input, float* output, LineSink sink,
             void* context);
};

// One per level, each defined in level.cpp compiled with that level's -march.
Level level_x86_64();
Level level_x86_64_v2();
Level level_x86_64_v3();
Level level_x86_64_v4();

}  // namespace dispatch
