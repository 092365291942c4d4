// MobileNetV2 and MobileNetV3 Large / Small, as torchvision builds them.
#include "joule/models/registry.hpp"
#include "model.hpp"

namespace joule::cli {

void add_mobilenet_v2_v3(std::vector<ZooEntry>& zoo) {
  JOULE_ZOO_MOBILENET_V2_V3(JOULE_CLI_ZOO_ENTRY)
}

}  // namespace joule::cli
