// A kernel larger than the (padded) input leaves no output and must not compile.
// expect: the kernel does not fit the input
// expect: Shape<4, 4, 3>
#include <joule/joule.hpp>
using namespace joule;
#ifdef JOULE_COMPILE_FAIL_CONTROL
constexpr int kernel = 3;
#else
constexpr int kernel = 7;
#endif
using Net = Network<Shape<4, 4, 3>, Conv2d<8, kernel, 1, Identity, ConvOptions{.padding = 0}>>;
static_assert(Net::cost.params > 0);
