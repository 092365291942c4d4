// The weights files compiled into the joule command, each a safetensors file's bytes as
// cmake/embed_bytes.cmake writes them (tools/joule/CMakeLists.txt lists the files).
#pragma once

#include <cstddef>

namespace joule::cli::shipped {

extern const unsigned char teacher_safetensors[];
extern const std::size_t teacher_safetensors_size;
extern const unsigned char student_safetensors[];
extern const std::size_t student_safetensors_size;
extern const unsigned char student_int8_safetensors[];
extern const std::size_t student_int8_safetensors_size;
extern const unsigned char student_pruned_safetensors[];
extern const std::size_t student_pruned_safetensors_size;
extern const unsigned char student_pruned_int8_safetensors[];
extern const std::size_t student_pruned_int8_safetensors_size;

}  // namespace joule::cli::shipped
