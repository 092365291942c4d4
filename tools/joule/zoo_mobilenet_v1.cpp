// MobileNetV1 at every width multiplier and resolution of the paper's Table 6 and 7 grid.
#include "joule/models/registry.hpp"
#include "model.hpp"

namespace joule::cli {

void add_mobilenet_v1(std::vector<ZooEntry>& zoo) {
  JOULE_ZOO_MOBILENET_V1(JOULE_CLI_ZOO_ENTRY)
}

}  // namespace joule::cli
