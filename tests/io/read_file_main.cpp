// joule_io_read FILE...: reads each file with joule's readers (.npy with read_npy, anything else
// as safetensors with SafetensorsFile::load) and prints what it holds, or the reader's one-line
// message and exit status 1. The hostile-file test (hostile_files.py) runs it under memory and
// time limits; it is also a quick way to ask why joule refuses a file.
#include <cstdio>
#include <string>
#include <string_view>

#include "joule/io/npy.hpp"
#include "joule/io/safetensors.hpp"

namespace {

int refuse(const joule::Status& status) {
  const std::string_view message = status.message();
  std::fprintf(stderr, "joule_io_read: %.*s\n", static_cast<int>(message.size()), message.data());
  return 1;
}

int read_one(const std::string& path) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0) {
    joule::io::NpyArray array;
    if (joule::Status status = joule::io::read_npy(path, array); !status.ok())
      return refuse(status);
    std::printf("%s: %s, %zu elements, rank %zu\n", path.c_str(),
                array.type == joule::io::NpyArray::Type::float32 ? "float32" : "int8",
                array.elements(), array.shape.size());
    return 0;
  }
  joule::io::SafetensorsFile file;
  if (joule::Status status = joule::io::SafetensorsFile::load(path, file); !status.ok())
    return refuse(status);
  std::printf("%s: %zu tensors, %zu metadata strings\n", path.c_str(), file.tensors().size(),
              file.metadata().size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: joule_io_read FILE...\n");
    return 2;
  }
  int result = 0;
  for (int i = 1; i < argc; ++i)
    if (read_one(argv[i]) != 0) result = 1;
  return result;
}
