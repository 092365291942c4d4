// Something that is not a layer spec in a network must not compile.
// expect: every layer of a Network, Sequential or Residual must be a layer spec
#include <joule/joule.hpp>
using namespace joule;
#ifdef JOULE_COMPILE_FAIL_CONTROL
using Extra = GlobalAvgPool;
#else
using Extra = Shape<1, 1, 8>;
#endif
using Net = Network<Shape<8, 8, 16>, Pointwise<8>, Extra>;
static_assert(Net::cost.params > 0);
