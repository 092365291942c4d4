// What every XNNPACK peer needs: the library initialized once, status codes as words, and owners
// that delete operators and thread pools, so that an early return on a failed status leaks nothing.
#pragma once

#include <xnnpack.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>

namespace joule::peers {

inline const char* status_name(xnn_status status) {
  switch (status) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

/// "" when `status` is success, else "<what>: <status>": callers report the text and stop.
inline std::string failure(const char* what, xnn_status status) {
  return status == xnn_status_success ? std::string() : std::string(what) + ": " + status_name(status);
}

/// xnn_initialize with the system allocator; XNNPACK makes repeated calls cheap (it runs its
/// hardware detection once), so every benchmark and the check may call this first.
inline std::string initialize_xnnpack() { return failure("xnn_initialize", xnn_initialize(nullptr)); }

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const { xnn_delete_operator(op); }
};
using Operator = std::unique_ptr<xnn_operator, OperatorDeleter>;

struct ThreadpoolDeleter {
  void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
};
/// Empty for one thread: XNNPACK then runs everything on the calling thread.
using Threadpool = std::unique_ptr<pthreadpool, ThreadpoolDeleter>;

/// A float tensor for XNNPACK: 64-byte aligned like joule's arena (so neither side gains from
/// alignment), zero-filled, with the XNN_EXTRA_BYTES XNNPACK's kernels may read past the end.
class Buffer {
 public:
  explicit Buffer(std::size_t floats) : size_(floats) {
    constexpr std::size_t alignment = 64;
    const std::size_t bytes = (floats * sizeof(float) + XNN_EXTRA_BYTES + alignment - 1) / alignment * alignment;
    data_.reset(static_cast<float*>(std::aligned_alloc(alignment, bytes)));
    if (!data_) throw std::bad_alloc();
    std::fill_n(data_.get(), bytes / sizeof(float), 0.0f);
  }
  float* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  std::size_t size_;
};

inline Threadpool make_threadpool(int threads) {
  return threads <= 1 ? Threadpool() : Threadpool(pthreadpool_create(static_cast<std::size_t>(threads)));
}

}  // namespace joule::peers
