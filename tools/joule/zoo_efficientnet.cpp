// EfficientNet B0-B7 at the paper's resolutions and EfficientNetV2-S at 384, as torchvision builds them.
#include "joule/models/registry.hpp"
#include "model.hpp"

namespace joule::cli {

void add_efficientnet(std::vector<ZooEntry>& zoo) {
  JOULE_ZOO_EFFICIENTNET(JOULE_CLI_ZOO_ENTRY)
}

}  // namespace joule::cli
