// The Cortex-M example: joule's headers in a bare-metal application. The weights and the input
// are constants compiled into flash (written on a host by generate.cpp); the network runs from
// them with no copy, in a static arena, without heap, exceptions or RTTI. Built twice: the float32
// network (joule_cortex_m.elf) and, with CORTEX_M_INT8, the same network in int8
// (joule_cortex_m_int8.elf, network_int8.hpp). It prints, through semihosting, what the host's
// expected.txt (expected_int8.txt) holds plus what only the target knows:
//   cpu NAME CPUID / built_for ARCH fpu=... mve=...            (the core it runs on, its flags)
//   precision f32|i8 / arena_bytes N / weight_bytes N / input_bytes N / kernel PATH NAME (per
//   layer) output I NANOS BITS (one per class: round(y x 1e9), the float's bits) / stack_bytes USED
//   RESERVED
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "cortex_m_input.hpp"
#include "semihost.hpp"
#include "startup.hpp"

#if defined(CORTEX_M_INT8)
#include "cortex_m_int8_weights.hpp"
#include "network_int8.hpp"
using Model = cortex_m::Int8Net;
static_assert(cortex_m_int8_weights_bytes == Model::weight_bytes,
              "the weights header was written for another network");
static std::span<const std::byte, Model::weight_bytes> model_weights() {
  return cortex_m_int8_weights_span();
}
#else
#include "cortex_m_weights.hpp"
#include "network.hpp"
using Model = cortex_m::Net;
static_assert(cortex_m_weights_bytes == Model::weight_bytes,
              "the weights header was written for another network");
static std::span<const std::byte, Model::weight_bytes> model_weights() {
  return cortex_m_weights_span();
}
#endif

#if defined(__cpp_exceptions) || defined(__GXX_RTTI)
#error "the firmware is built with -fno-exceptions -fno-rtti"
#endif

static_assert(cortex_m_input_floats == Model::input::size,
              "the input header was written for another network");

namespace {

// The activation arena, in .bss: Model::arena_bytes on the 64-byte boundary the network requires.
// The build's size report reads this symbol's size back from the ELF.
alignas(64) std::byte arena[Model::arena_bytes];

/// string_view is not NUL-terminated; semihosting's WRITE0 needs a terminated string.
void write(std::string_view text) {
  char buffer[128];
  const std::size_t n = text.size() < sizeof buffer - 1 ? text.size() : sizeof buffer - 1;
  for (std::size_t i = 0; i < n; ++i) buffer[i] = text[i];
  buffer[n] = '\0';
  semihost::write(buffer);
}

void print_line(const char* key, long long value) {
  semihost::write(key);
  semihost::write(" ");
  semihost::write(value);
  semihost::write("\n");
}

/// The core that runs the program, from its CPUID register (part number, bits 4-15), so that the
/// test can tell that the board emulated the CPU the image was built for.
void print_cpu() {
  const std::uint32_t cpuid = *reinterpret_cast<const volatile std::uint32_t*>(0xE000ED00u);
  const char* name = "unknown";
  switch ((cpuid >> 4) & 0xFFFu) {
    case 0xC24: name = "cortex-m4"; break;
    case 0xC27: name = "cortex-m7"; break;
    case 0xD21: name = "cortex-m33"; break;
    case 0xD22: name = "cortex-m55"; break;
    default: break;
  }
  semihost::write("cpu ");
  semihost::write(name);
  semihost::write(" ");
  semihost::write_hex(cpuid);
  semihost::write("\n");
}

/// What the compiler was told to generate code for: the architecture, the FPU's precision
/// (__ARM_FP bit 2: single, bit 3: double) and M-profile vector extension (__ARM_FEATURE_MVE bit 0:
/// integer, bit 1: float). The kernels are scalar either way; this shows which floating-point
/// instructions the scalar code may use.
void print_build() {
// GCC 12 defines __ARM_ARCH_8M_MAIN__ for Armv8.1-M as well; MVE exists only from 8.1-M on.
#if defined(__ARM_ARCH_8_1M_MAIN__) || (defined(__ARM_ARCH_8M_MAIN__) && defined(__ARM_FEATURE_MVE))
  semihost::write("built_for armv8.1-m.main");
#elif defined(__ARM_ARCH_8M_MAIN__)
  semihost::write("built_for armv8-m.main");
#elif defined(__ARM_ARCH_7EM__)
  semihost::write("built_for armv7e-m");
#else
  semihost::write("built_for unknown");
#endif
#if defined(__ARM_FP) && (__ARM_FP & 0x8)
  semihost::write(" fpu=single+double");
#elif defined(__ARM_FP) && (__ARM_FP & 0x4)
  semihost::write(" fpu=single");
#else
  semihost::write(" fpu=none");
#endif
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
  semihost::write(" mve=int+float\n");
#elif defined(__ARM_FEATURE_MVE)
  semihost::write(" mve=int\n");
#else
  semihost::write(" mve=none\n");
#endif
}

}  // namespace

int main() {
  print_cpu();
  print_build();

  // Zero copies: the header's array is the weight storage the network reads.
  Model net(model_weights(), std::span<std::byte>(arena), nullptr);

  semihost::write("precision ");
  semihost::write(Model::precision::name);
  semihost::write("\n");
  print_line("arena_bytes", static_cast<long long>(Model::arena_bytes));
  print_line("weight_bytes", static_cast<long long>(Model::weight_bytes));
  print_line("input_bytes", static_cast<long long>(sizeof cortex_m_input));
  Model::visit([](const joule::NodeInfo& node) {
    if (!node.leaf) return;
    semihost::write("kernel ");
    write(node.path);
    semihost::write(" ");
    write(node.kernel);
    semihost::write("\n");
  });

  float output[Model::output::size];
  net.forward(std::span<const float, Model::input::size>(cortex_m_input),
              std::span<float, Model::output::size>(output));

  for (std::size_t i = 0; i < Model::output::size; ++i) {
    semihost::write("output ");
    semihost::write(static_cast<long long>(i));
    semihost::write(" ");
    // Integers, not printf's %f: round(y x 1e9), as the host writes them, and the float's bits.
    semihost::write(std::llround(static_cast<double>(output[i]) * cortex_m::output_scale));
    semihost::write(" ");
    std::uint32_t bits = 0;
    std::memcpy(&bits, &output[i], sizeof bits);
    semihost::write_hex(bits);
    semihost::write("\n");
  }

  const std::size_t stack_used = startup::stack_bytes_used();
  semihost::write("stack_bytes ");
  semihost::write(static_cast<long long>(stack_used));
  semihost::write(" ");
  semihost::write(static_cast<long long>(startup::stack_bytes_reserved()));
  semihost::write("\n");
  // A stack that reached its limit may have overwritten .bss (the arena) below it.
  return stack_used < startup::stack_bytes_reserved() ? 0 : 97;
}
