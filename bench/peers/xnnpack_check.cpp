// bench.xnnpack_matches_reference: the XNNPACK MobileNetV2 that model/xnnpack/mobilenet_v2 times
// computes the same function as joule's MobileNetV2<>, so the two timings compare like with like.
// Both get the same random torch-layout tensors (joule binds them by torchvision's names, the
// peer folds and packs them itself) and the same NHWC input; the logits must agree to
// max|xnnpack - joule| <= 1e-4 * max|joule|, on one thread and on a two-thread pool.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "joule/graph/bind.hpp"
#include "joule/models/mobilenet_v2.hpp"
#include "xnnpack_mobilenet_v2.hpp"

namespace {

using Net = joule::models::MobileNetV2<>;
using namespace joule::peers;

/// joule's view of the StateDict: a TensorSource that also records what joule asked for.
class Source {
 public:
  explicit Source(const StateDict& dict) {
    for (const auto& [name, tensor] : dict.tensors()) {
      joule::TensorData& data = views_[name];
      data.data = tensor.values.data();
      data.rank = int(tensor.dims.size());
      std::copy(tensor.dims.begin(), tensor.dims.end(), data.dims.begin());
    }
  }
  const joule::TensorData* find(std::string_view name) {
    looked_up_.emplace(name);
    const auto it = views_.find(name);
    return it == views_.end() ? nullptr : &it->second;
  }
  /// Tensors of the StateDict joule never asked for: the peer would use weights joule ignores.
  std::vector<std::string> unused() const {
    std::vector<std::string> names;
    for (const auto& [name, data] : views_)
      if (!looked_up_.contains(name)) names.push_back(name);
    return names;
  }

 private:
  std::map<std::string, joule::TensorData, std::less<>> views_;
  std::set<std::string, std::less<>> looked_up_;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "FAIL: %s\n", message.c_str());
  return 1;
}

/// Runs the XNNPACK network on `threads` threads and compares its logits with joule's.
bool matches(const StateDict& dict, const std::vector<float>& image, const std::vector<float>& expected, int threads) {
  const Threadpool pool = make_threadpool(threads);
  if (threads > 1 && !pool) {
    std::fprintf(stderr, "FAIL: pthreadpool_create(%d)\n", threads);
    return false;
  }
  XnnpackMobileNetV2 peer(dict, pool.get());
  std::copy(image.begin(), image.end(), peer.input());
  const std::string error = peer.run();
  if (!error.empty()) {
    std::fprintf(stderr, "FAIL: %s\n", error.c_str());
    return false;
  }
  double largest = 0.0, difference = 0.0;
  bool finite = true;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    finite = finite && std::isfinite(peer.output()[i]);
    largest = std::max(largest, std::abs(double(expected[i])));
    difference = std::max(difference, std::abs(double(peer.output()[i]) - double(expected[i])));
  }
  const double bound = 1e-4 * largest;
  std::printf("threads %d: %zu XNNPACK operators, max|joule| %.6g, max|xnnpack - joule| %.3g (bound %.3g)\n",
              threads, peer.operators(), largest, difference, bound);
  return finite && difference <= bound;
}

int check() {
  const std::string init = initialize_xnnpack();
  if (!init.empty()) return fail(init);

  // Both sides count the same work: torchvision's structure as written down for the peer, and
  // joule's type.
  if (mobilenet_v2::macs() != double(Net::cost.macs) || Net::cost.macs != 300774272u)
    return fail("MAC counts differ: peer " + std::to_string(mobilenet_v2::macs()) + ", joule " +
                std::to_string(Net::cost.macs) + ", expected 300774272");

  const StateDict dict = mobilenet_v2::random_state_dict(20240601);
  Source source(dict);
  // Static sizes of several MB each: on the heap, not the stack.
  auto weights = std::make_unique<Net::Weights>();
  auto arena = std::make_unique<Net::Arena>();
  const joule::Status bound = joule::bind_weights<Net>(source, *weights);
  if (!bound.ok()) return fail(std::string("joule::bind_weights: ") + bound.c_str());
  if (const auto unused = source.unused(); !unused.empty())
    return fail("joule did not ask for " + std::to_string(unused.size()) + " tensors, e.g. " + unused.front());

  std::vector<float> image(Net::input::size);
  std::mt19937 engine(7);
  std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
  for (float& value : image) value = pixel(engine);
  std::vector<float> expected(Net::output::size);
  Net net(*weights, *arena);
  net.forward(std::span<const float, Net::input::size>(image.data(), image.size()),
              std::span<float, Net::output::size>(expected.data(), expected.size()));

  // Guard against a vacuous pass: logits must be O(1), not collapsed to zero.
  const double largest = std::abs(double(*std::max_element(
      expected.begin(), expected.end(), [](float a, float b) { return std::abs(a) < std::abs(b); })));
  if (!(largest > 0.1 && largest < 1e3)) return fail("joule's logits are not O(1): max " + std::to_string(largest));

  bool ok = true;
  for (int threads : {1, 2}) ok = matches(dict, image, expected, threads) && ok;
  if (!ok) return fail("XNNPACK MobileNetV2 does not match joule's MobileNetV2<>");
  std::printf("PASS\n");
  return 0;
}

}  // namespace

int main() {
  try {
    return check();
  } catch (const std::exception& error) {
    return fail(error.what());
  }
}
