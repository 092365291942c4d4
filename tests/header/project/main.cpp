// MobileNetV1 0.25-128 running straight from compiled-in weights: the header's array is the
// network's weight storage, bound with no copy. Reads an input .npy, writes the output .npy.
#include <joule/io/npy.hpp>
#include <joule/models/mobilenet_v1.hpp>

#include <cstdio>
#include <memory>

#include "weights.hpp"

using Net = joule::models::MobileNetV1<joule::models::MobileNetV1Config{.alpha = {1, 4}, .resolution = 128}>;
static_assert(mobilenet_v1_0_25_128_weights_bytes == Net::weight_bytes,
              "the header was written for another network");

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  joule::io::NpyArray input;
  if (const joule::Status s = joule::io::read_npy(argv[1], input); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.c_str());
    return 1;
  }
  if (input.floats.size() != Net::input::size) return 1;
  auto arena = std::make_unique<Net::Arena>();
  Net net(mobilenet_v1_0_25_128_weights_span(),
          std::span<std::byte, Net::arena_bytes>(arena->data, Net::arena_bytes));
  float output[Net::output::size];
  net.forward(std::span<const float, Net::input::size>(input.floats.data(), Net::input::size),
              std::span<float, Net::output::size>(output, Net::output::size));
  const std::int64_t shape[] = {1, static_cast<std::int64_t>(Net::output::size)};
  return joule::io::write_npy(argv[2], output, shape).ok() ? 0 : 1;
}
