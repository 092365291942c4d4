// Kernel records: one constexpr value per kernel choice, from which everything else reads. A layer
// holds the record it runs (`kernel`), calls the kernel through it (run<record>), `joule info` and
// the report print record.name(), and the kernel tests and benchmarks walk each op's list of
// records (`records` in its dispatch.hpp). So the name printed for a layer is, by construction, the
// kernel that runs.
//
// Names follow XNNPACK's grammar: dtype, op, tile or shape, then the instruction set
// ("f32_pointwise_12x32__avx512bw", "f32_dwconv_3x3s2__fma3+avx2", "f32_dwconv__reference").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "joule/arch/simd.hpp"
#include "joule/core/dtype.hpp"
#include "joule/core/target.hpp"
#include "joule/core/text.hpp"

namespace joule::inline JOULE_TARGET::kernels {

using KernelName = Text<63>;

enum class KernelOp : std::uint8_t {
  conv,
  dwconv,
  pointwise,
  linear,
  gavgpool,
  add,
  affine,
  se,
  mbconv_fused,
  quantize,
  dequantize,
  copy,
  sparse_pointwise,
};

/// The reference kernels are plain loops (the oracle); SIMD kernels are xsimd code for
/// arch::Default.
enum class KernelImpl : std::uint8_t { reference, simd };

/// A structural type, so that a record can be a template argument: run<record>(...).
struct KernelRecord {
  DType dtype = DType::f32;
  KernelOp op = KernelOp::pointwise;
  KernelImpl impl = KernelImpl::reference;
  /// Depthwise and fused: the kernel size and stride the code is specialized for (0: any).
  std::uint8_t kernel = 0;
  std::uint8_t stride = 0;
  /// Matrix products: the register tile, rows x columns (linear: accumulator registers in rows).
  std::uint8_t tile_rows = 0;
  std::uint8_t tile_cols = 0;
  /// Fused inverted residual: which of its convolutions exist.
  bool expand = true;
  bool project = true;

  constexpr bool simd() const { return impl == KernelImpl::simd; }
  constexpr KernelName name() const;
  friend constexpr bool operator==(const KernelRecord&, const KernelRecord&) = default;
};

constexpr std::string_view op_name(KernelOp op) {
  switch (op) {
    case KernelOp::conv:
      return "conv";
    case KernelOp::dwconv:
      return "dwconv";
    case KernelOp::pointwise:
      return "pointwise";
    case KernelOp::linear:
      return "linear";
    case KernelOp::gavgpool:
      return "gavgpool";
    case KernelOp::add:
      return "add";
    case KernelOp::affine:
      return "affine";
    case KernelOp::se:
      return "se";
    case KernelOp::mbconv_fused:
      return "mbconv_fused";
    case KernelOp::quantize:
      return "quantize";
    case KernelOp::dequantize:
      return "dequantize";
    case KernelOp::copy:
      return "copy";
    case KernelOp::sparse_pointwise:
      return "sppointwise";
  }
  return "?";
}

constexpr KernelName KernelRecord::name() const {
  KernelName text(name_of(dtype));
  text.append('_').append(op_name(op));
  Text<24> shape;
  if (op == KernelOp::mbconv_fused || (op == KernelOp::dwconv && kernel != 0)) {
    shape.append(static_cast<int>(kernel)).append('x').append(static_cast<int>(kernel));
    shape.append('s').append(static_cast<int>(stride));
    if (!expand) shape.append("_noexpand");
    if (!project) shape.append("_noproject");
  } else if (op == KernelOp::linear && tile_rows != 0) {
    shape.append(static_cast<int>(tile_rows)).append('v');
  } else if (tile_rows != 0) {
    shape.append(static_cast<int>(tile_rows)).append('x').append(static_cast<int>(tile_cols));
  }
  if (shape.size() != 0) text.append('_').append(shape.view());
  return text.append("__").append(simd() ? arch::name : std::string_view("reference"));
}

/// The records of an op with one SIMD kernel and no shape: the reference, and SIMD where the
/// target has it.
constexpr auto reference_and_simd(KernelOp op) {
#if JOULE_SIMD
  return std::array<KernelRecord, 2>{KernelRecord{.op = op, .impl = KernelImpl::reference},
                                     KernelRecord{.op = op, .impl = KernelImpl::simd}};
#else
  return std::array<KernelRecord, 1>{KernelRecord{.op = op, .impl = KernelImpl::reference}};
#endif
}

/// `JOULE_IF_SIMD(K, simd call) { reference call }` runs the SIMD call when record K is a SIMD
/// kernel, the block otherwise. Without SIMD the SIMD functions do not exist, and a SIMD record is
/// a compile error rather than a silent fallback.
#if JOULE_SIMD
#define JOULE_IF_SIMD(K, ...) \
  if constexpr ((K).simd()) { \
    __VA_ARGS__;              \
  } else
#else
#define JOULE_IF_SIMD(K, ...)                                                           \
  if constexpr ((K).simd()) {                                                           \
    static_assert(!(K).simd(), "joule: a SIMD kernel record on a target without SIMD"); \
  } else
#endif

/// Calls f.template operator()<Records[i]>() for the record of Records equal to `record` (a
/// kernel chosen at run time, in tests and benchmarks); false when Records holds no such record.
template <const auto& Records, class F>
bool with_record(const KernelRecord& record, F&& f) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return ((Records[I] == record ? (f.template operator()<Records[I]>(), true) : false) || ...);
  }
  (std::make_index_sequence<Records.size()>{});
}

/// Calls f.template operator()<Records[i]>() for every record of Records, in order (the kernel
/// tests walk each op's records this way).
template <const auto& Records, class F>
void for_each_record(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f.template operator()<Records[I]>(), ...);
  }
  (std::make_index_sequence<Records.size()>{});
}

}  // namespace joule::inline JOULE_TARGET::kernels
