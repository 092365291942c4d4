// A labelled image dataset in the IDX format of MNIST and Fashion-MNIST (gzipped or not), for
// `joule eval`: DIR/<split>-images-idx3-ubyte[.gz] and DIR/<split>-labels-idx1-ubyte[.gz], the test
// split named t10k. IDX: a big-endian magic (0x0803 for 3-dimensional bytes, 0x0801 for
// 1-dimensional), the dimensions as big-endian 32-bit counts, then the bytes in C order.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace joule::cli {

struct IdxDataset {
  std::size_t count = 0;
  std::size_t height = 0;
  std::size_t width = 0;
  std::vector<std::uint8_t> images;  // count x height x width
  std::vector<std::uint8_t> labels;  // count
};

namespace detail {

/// The most a dataset file may hold decompressed: the largest IDX dataset in use (the MNIST-style
/// training images) is under 50 MB, and a small hostile .gz could otherwise ask for any amount.
inline constexpr std::size_t idx_max_bytes = std::size_t{1} << 30;

/// The whole (decompressed) content of `path`, or an error message. zlib reads an uncompressed
/// file as it is.
inline std::string read_gzip(const std::string& path, std::vector<std::uint8_t>& out) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return "cannot open " + path;
  out.clear();
  std::uint8_t buffer[1 << 16];
  int got = 0;
  while ((got = gzread(file, buffer, sizeof buffer)) > 0) {
    out.insert(out.end(), buffer, buffer + got);
    if (out.size() > idx_max_bytes) {
      gzclose(file);
      return path + ": more than 1 GiB decompressed, more than any IDX dataset joule eval reads";
    }
  }
  // A truncated gzip stream ends with 0 bytes read and Z_BUF_ERROR ("unexpected end of file"),
  // not with -1: ask zlib either way.
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  const bool failed = got < 0 || (code != Z_OK && code != Z_STREAM_END);
  // zlib's message names the file already.
  const std::string error = !failed               ? ""
                            : message && *message ? std::string(message)
                                                  : path + ": read error";
  gzclose(file);
  return error;
}

inline std::uint32_t big_endian(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

/// The dimensions of an IDX file of unsigned bytes with `rank` dimensions; its data follow them.
inline std::string idx_dims(const std::string& path, const std::vector<std::uint8_t>& bytes,
                            std::size_t rank, std::vector<std::size_t>& dims) {
  const std::size_t header = 4 * (1 + rank);
  if (bytes.size() < header || big_endian(bytes.data()) != (0x0800u | rank))
    return path + ": not an IDX file of " + std::to_string(rank) + "-dimensional unsigned bytes";
  dims.clear();
  std::size_t size = 1;
  bool too_large = false;
  for (std::size_t d = 0; d < rank; ++d) {
    dims.push_back(big_endian(bytes.data() + 4 * (1 + d)));
    // Checked before multiplying: three 32-bit counts could overflow 64 bits.
    too_large = too_large || (dims.back() != 0 && size > idx_max_bytes / dims.back());
    size *= too_large ? 1 : dims.back();
  }
  if (too_large || bytes.size() - header != size) {
    std::string shape;
    for (std::size_t d = 0; d < rank; ++d) {
      if (d > 0) shape += " x ";
      shape += std::to_string(dims[d]);
    }
    return path + ": holds " + std::to_string(bytes.size() - header) + " bytes of data, its " +
           "dimensions say " + shape;
  }
  return "";
}

/// DIR/NAME.gz if it exists, else DIR/NAME.
inline std::string idx_path(const std::string& directory, const std::string& name) {
  const std::filesystem::path gz = std::filesystem::path(directory) / (name + ".gz");
  std::error_code error;
  return std::filesystem::exists(gz, error) ? gz.string()
                                            : (std::filesystem::path(directory) / name).string();
}

}  // namespace detail

/// Reads split "test" or "train" of the dataset in `directory`; an error message, or "" and `out`.
inline std::string read_idx_dataset(const std::string& directory, const std::string& split,
                                    IdxDataset& out) {
  const std::string prefix = split == "test" ? "t10k" : split;
  const std::string images_path = detail::idx_path(directory, prefix + "-images-idx3-ubyte");
  const std::string labels_path = detail::idx_path(directory, prefix + "-labels-idx1-ubyte");
  std::vector<std::uint8_t> images, labels;
  std::vector<std::size_t> image_dims, label_dims;
  for (const std::string& error :
       {detail::read_gzip(images_path, images), detail::read_gzip(labels_path, labels),
        detail::idx_dims(images_path, images, 3, image_dims),
        detail::idx_dims(labels_path, labels, 1, label_dims)}) {
    if (!error.empty()) return error;
  }
  if (image_dims[0] != label_dims[0]) {
    return directory + ": " + std::to_string(image_dims[0]) + " " + split + " images but " +
           std::to_string(label_dims[0]) + " labels";
  }
  out.count = image_dims[0];
  out.height = image_dims[1];
  out.width = image_dims[2];
  out.images.assign(images.begin() + 16, images.end());
  out.labels.assign(labels.begin() + 8, labels.end());
  return "";
}

}  // namespace joule::cli
