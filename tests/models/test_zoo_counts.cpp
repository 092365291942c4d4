// Every zoo model's compile-time parameter and MAC totals against PyTorch's count of the same
// torchvision model (our PyTorch twin for MobileNetV1). Parameters: sum(p.numel() for p in
// model.parameters()); MACs: conv output elements x in/groups x kh x kw plus linear in x out.
// The numbers were produced by:
//   /usr/bin/python3 tools/count.py --cpp
// with torch 1.13.1 and torchvision 0.14.1; the models are the zoo registry's
// (joule/models/registry.hpp).
#include <catch2/catch.hpp>

#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "joule/models/registry.hpp"

namespace {

struct Counted {
  const char* name;
  std::uint64_t params;
  std::uint64_t macs;
};

// tools/count.py --cpp
constexpr Counted torchvision_counts[] = {
    {"mobilenet_v1_1.0_224", 4231976, 568740352},
    {"mobilenet_v1_1.0_192", 4231976, 418121728},
    {"mobilenet_v1_1.0_160", 4231976, 290675200},
    {"mobilenet_v1_1.0_128", 4231976, 186400768},
    {"mobilenet_v1_0.75_224", 2585560, 325400448},
    {"mobilenet_v1_0.75_192", 2585560, 239273472},
    {"mobilenet_v1_0.75_160", 2585560, 166396800},
    {"mobilenet_v1_0.75_128", 2585560, 106770432},
    {"mobilenet_v1_0.5_224", 1331592, 149497088},
    {"mobilenet_v1_0.5_192", 1331592, 109970432},
    {"mobilenet_v1_0.5_160", 1331592, 76524800},
    {"mobilenet_v1_0.5_128", 1331592, 49160192},
    {"mobilenet_v1_0.25_224", 470072, 41030272},
    {"mobilenet_v1_0.25_192", 470072, 30212608},
    {"mobilenet_v1_0.25_160", 470072, 21059200},
    {"mobilenet_v1_0.25_128", 470072, 13570048},
    {"mobilenet_v2", 3504872, 300774272},
    {"mobilenet_v3_large", 5483032, 216589760},
    {"mobilenet_v3_small", 2542856, 56510400},
    {"efficientnet_b0", 5288548, 385814752},
    {"efficientnet_b1", 7794184, 686802832},
    {"efficientnet_b2", 9109994, 993561872},
    {"efficientnet_b3", 12233232, 1827141392},
    {"efficientnet_b4", 19341616, 4393771024},
    {"efficientnet_b5", 30389784, 10266384752},
    {"efficientnet_b6", 43040704, 19067593536},
    {"efficientnet_b7", 66347960, 37745884192},
    {"efficientnet_v2_s", 21458488, 8365617152},
};

constexpr Counted counted(std::string_view name) {
  for (const Counted& c : torchvision_counts)
    if (std::string_view(c.name) == name) return c;
  return Counted{"", 0, 0};
}

template <class Net>
void check(const char* name) {
  const Counted expected = counted(name);
  INFO(name);
  REQUIRE(expected.params != 0);
  CHECK(Net::cost.params == expected.params);
  CHECK(Net::cost.macs == expected.macs);
}

#define JOULE_COUNT_ENTRY(name, resolution, pytorch, ...) check<__VA_ARGS__>(name);
#define JOULE_REGISTRY_NAME(name, resolution, pytorch, ...) name,
constexpr const char* registry_names[] = {JOULE_ZOO_MODELS(JOULE_REGISTRY_NAME)};

}  // namespace

TEST_CASE("MobileNetV1 counts equal the PyTorch twin's at every width and resolution",
          "[models][counts]"){JOULE_ZOO_MOBILENET_V1(JOULE_COUNT_ENTRY)}

TEST_CASE("MobileNetV2 and V3 counts equal torchvision's",
          "[models][counts]"){JOULE_ZOO_MOBILENET_V2_V3(JOULE_COUNT_ENTRY)}

TEST_CASE("EfficientNet B0-B7 and V2-S counts equal torchvision's",
          "[models][counts]"){JOULE_ZOO_EFFICIENTNET(JOULE_COUNT_ENTRY)}

TEST_CASE("the counted models are the registry's models, in its order", "[models][counts]") {
  REQUIRE(std::size(registry_names) == std::size(torchvision_counts));
  for (std::size_t i = 0; i < std::size(registry_names); ++i)
    CHECK(std::string(registry_names[i]) == torchvision_counts[i].name);
}
