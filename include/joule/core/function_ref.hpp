// FunctionRef<R(Args...)>: a non-owning reference to any callable, without the heap. Visiting a
// network takes one, so that each node's visiting code is compiled once, not once per visitor.
// It holds the callable's address only: pass it as a parameter, or keep the callable in a named
// variable that outlives it (a lambda written inside a braced initializer dies at the semicolon).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "joule/core/target.hpp"

namespace joule::inline JOULE_TARGET {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, Args...>)
  FunctionRef(F&& callable)  // NOLINT: converting from any callable is the point
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(callable)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace joule::inline JOULE_TARGET
