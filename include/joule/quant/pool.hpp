// QuantizedGlobalAvgPool: global average pooling in int8. The output keeps the input's scale and
// zero point (as PyTorch's quantized pooling does), so it takes no tensors; its storage holds the
// input's zero point and the multiplier scale / (scale * pixels) (QNNPACK's, in float: not
// exactly 1 / pixels), packed from the input's quantization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "joule/core/leaf.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/kernels/pool/int8_reference.hpp"
#include "joule/layers/global_avg_pool.hpp"
#include "joule/quant/int8.hpp"

namespace joule::inline JOULE_TARGET::quant {

struct PoolStorage {
  std::int32_t zero_point;
  float multiplier;
};

template <ShapeType In>
struct QuantizedGlobalAvgPool : GlobalAvgPoolInfo<In> {
  using typename GlobalAvgPoolInfo<In>::output;
  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::i8;
  static constexpr std::size_t weight_bytes = sizeof(PoolStorage);
  static constexpr Cost cost = {
      .weight_bytes = sizeof(PoolStorage),
      .activation_read_bytes = In::size,
      .activation_write_bytes = output::size,
      // The int32 sums, then each channel's requantization.
      .elementwise = ElementwiseOps{.adds = 1} * In::size + kernels::requantize_ops * output::size,
  };
  static constexpr kernels::KernelRecord kernel_record{.dtype = DType::i8,
                                                       .op = kernels::KernelOp::gavgpool,
                                                       .impl = kernels::KernelImpl::reference};

  static void pack(const PackSources& sources, std::byte* storage) {
    const float scale = sources.input->scale;
    const PoolStorage s{sources.input->zero_point,
                        scale / (scale * static_cast<float>(In::pixels))};
    std::memcpy(storage, &s, sizeof s);
  }

  static void run(const std::byte* storage, const std::int8_t* in, std::int8_t* out, std::byte*,
                  const RunContext&) {
    PoolStorage s;
    std::memcpy(&s, storage, sizeof s);
    kernels::pool::global_average_int8(In::pixels, In::channels, in, s.zero_point, s.multiplier,
                                       s.zero_point, out);
  }
};

}  // namespace joule::inline JOULE_TARGET::quant

namespace joule::inline JOULE_TARGET {
template <>
struct GlobalAvgPoolFor<Int8> {
  template <ShapeType In>
  using type = quant::QuantizedGlobalAvgPool<In>;
};
}  // namespace joule::inline JOULE_TARGET
