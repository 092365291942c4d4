// QuantizedAdd: the sum that closes a residual, in int8. It takes R.skip_add.scale and
// R.skip_add.zero_point (torchvision's name for the block's FloatFunctional), R being the
// residual's path; binding gives it the quantization of both operands: the residual's input and
// its body's output.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "joule/core/leaf.hpp"
#include "joule/core/target.hpp"
#include "joule/kernels/elementwise/int8_reference.hpp"
#include "joule/kernels/kernel_record.hpp"
#include "joule/layers/add.hpp"
#include "joule/quant/int8.hpp"
#include "joule/quant/output_stage.hpp"

namespace joule::inline JOULE_TARGET::quant {

/// The add's fixed-point parameters from its operands' quantization and its own, as QNNPACK makes
/// them: r = scale / output scale per operand (float), shift = 21 - the binary exponent of the
/// larger r (so that its multiplier has 22 bits), multipliers rint(r * 2^shift). The shift is kept
/// in [13, 31], QNNPACK's range (ratios from 2^-10 to 2^8); outside it the multipliers are
/// clamped to 2^22 - 1, and such a sum saturates anyway.
inline kernels::elementwise::Int8AddParams add_params(QuantParams a, QuantParams b,
                                                      QuantParams out) {
  const float ra = a.scale / out.scale;
  const float rb = b.scale / out.scale;
  const float larger = ra > rb ? ra : rb;
  std::uint32_t bits = 0;
  std::memcpy(&bits, &larger, sizeof bits);
  const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127;
  int shift = 21 - exponent;
  shift = shift < 13 ? 13 : (shift > 31 ? 31 : shift);
  const auto multiplier = [&](float r) {
    const double scaled =
        std::nearbyint(static_cast<double>(r) * static_cast<double>(std::int64_t{1} << shift));
    return static_cast<std::int32_t>(scaled > 4194303.0 ? 4194303.0 : scaled);
  };
  kernels::elementwise::Int8AddParams p;
  p.a_zero_point = a.zero_point;
  p.a_multiplier = multiplier(ra);
  p.b_zero_point = b.zero_point;
  p.b_multiplier = multiplier(rb);
  p.shift = shift;
  p.output_zero_point = out.zero_point;
  return p;
}

template <ShapeType S>
struct QuantizedAdd : LeafBase {
  using input = S;
  using output = S;
  static constexpr DType input_dtype = DType::i8;
  static constexpr DType output_dtype = DType::i8;
  static constexpr std::string_view kind = "Add";
  static constexpr std::array<std::string_view, 1> part_names{"skip_add"};
  static constexpr std::array<TensorSpec, 2> tensors{
      TensorSpec{"scale", 0, 0, {}, DType::f32}, TensorSpec{"zero_point", 0, 0, {}, DType::i32}};
  static constexpr int output_quantization = 0;
  static constexpr bool closes_residual = true;
  static constexpr std::size_t weight_bytes = sizeof(kernels::elementwise::Int8AddParams);
  static constexpr Cost cost = {
      .weight_bytes = weight_bytes,
      .activation_read_bytes = 2 * S::size,
      .activation_write_bytes = S::size,
      .elementwise = kernels::elementwise::add_int8_ops * S::size,
  };
  static constexpr auto description = Text<48>(Identity::name);
  static constexpr kernels::KernelRecord kernel_record{
      .dtype = DType::i8, .op = kernels::KernelOp::add, .impl = kernels::KernelImpl::reference};

  /// a: the residual's input (PackSources::residual), b: the body's output (PackSources::input).
  static void pack(const PackSources& sources, std::byte* storage) {
    const auto p = add_params(*sources.residual, *sources.input, params_at(sources, 0));
    std::memcpy(storage, &p, sizeof p);
  }

  static void run(const std::byte* storage, const std::int8_t* a, const std::int8_t* b,
                  std::int8_t* out) {
    kernels::elementwise::Int8AddParams p;
    std::memcpy(&p, storage, sizeof p);
    kernels::elementwise::add_int8(S::size, a, b, p, out);
  }
};

}  // namespace joule::inline JOULE_TARGET::quant

namespace joule::inline JOULE_TARGET {
template <>
struct AddFor<Int8> {
  template <ShapeType S>
  using type = quant::QuantizedAdd<S>;
};
}  // namespace joule::inline JOULE_TARGET
