// Whole-file reading and writing: contents round trip, and every failure names the path and the
// operating system's reason.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "io_test_support.hpp"
#include "joule/io/file.hpp"

using joule::ErrorCode;
using joule::Status;
using Catch::Matchers::Contains;

TEST_CASE("write_file then read_file gives the same bytes", "[io][file]") {
  iotest::TempDir dir;
  std::vector<unsigned char> bytes(3 * (1 << 20) + 17);  // several read chunks, not a multiple
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 131 + 7);
  REQUIRE(joule::io::write_file(dir.file("data.bin"), bytes).ok());
  std::vector<unsigned char> read{1, 2, 3};
  REQUIRE(joule::io::read_file(dir.file("data.bin"), read).ok());
  CHECK(read == bytes);
  // Read into one allocation of the file's size: never twice the file while the vector grows.
  CHECK(read.capacity() <= bytes.size() + 1);
  std::vector<unsigned char> whole(1 << 20);
  REQUIRE(joule::io::write_file(dir.file("chunk.bin"), whole).ok());
  std::vector<unsigned char> fresh;
  REQUIRE(joule::io::read_file(dir.file("chunk.bin"), fresh).ok());
  CHECK(fresh == whole);
  CHECK(fresh.capacity() <= whole.size() + 1);

  std::vector<unsigned char> head;
  REQUIRE(joule::io::read_file_head(dir.file("data.bin"), 12, head).ok());
  CHECK(head == std::vector<unsigned char>(bytes.begin(), bytes.begin() + 12));
  REQUIRE(joule::io::read_file_head(dir.file("chunk.bin"), 2 << 20, head).ok());
  CHECK(head.size() == whole.size());  // a shorter file: all of it
  CHECK(joule::io::read_file_head(dir.file("absent.bin"), 8, head).code() == ErrorCode::not_found);
  CHECK(head.empty());

  REQUIRE(joule::io::write_file(dir.file("empty.bin"), {}).ok());
  CHECK(joule::io::read_file(dir.file("empty.bin"), read).ok());
  CHECK(read.empty());
}

TEST_CASE("a missing file is not_found, naming the path and the reason", "[io][file]") {
  iotest::TempDir dir;
  std::vector<unsigned char> bytes{1};
  const Status status = joule::io::read_file(dir.file("absent.safetensors"), bytes);
  CHECK(status.code() == ErrorCode::not_found);
  CHECK_THAT(std::string(status.message()),
             Contains("cannot open '" + dir.file("absent.safetensors") + "': No such file or directory"));
  CHECK(bytes.empty());
}

TEST_CASE("reading a directory is an I/O error naming it", "[io][file]") {
  iotest::TempDir dir;
  std::vector<unsigned char> bytes;
  const Status status = joule::io::read_file(dir.path().string(), bytes);
  CHECK(status.code() == ErrorCode::io_error);
  CHECK_THAT(std::string(status.message()), Contains(dir.path().string()) && Contains("Is a directory"));
}

TEST_CASE("a file above the size limit is refused without reading it", "[io][file]") {
  iotest::TempDir dir;
  REQUIRE(joule::io::write_file(dir.file("big.bin"), std::vector<unsigned char>(1000)).ok());
  std::vector<unsigned char> bytes;
  Status status = joule::io::read_file(dir.file("big.bin"), bytes, 999);
  CHECK(status.code() == ErrorCode::io_error);
  CHECK_THAT(std::string(status.message()), Contains("1000 bytes, above the limit of 999 bytes"));
  CHECK(bytes.empty());
  CHECK(joule::io::read_file(dir.file("big.bin"), bytes, 1000).ok());
  CHECK(bytes.size() == 1000);
}

TEST_CASE("writing where no directory exists names the path and the reason", "[io][file]") {
  iotest::TempDir dir;
  const std::string path = dir.file("no/such/dir/out.npy");
  const Status status = joule::io::write_file(path, std::vector<unsigned char>{1, 2});
  CHECK(status.code() == ErrorCode::not_found);
  CHECK_THAT(std::string(status.message()), Contains("cannot create '" + path + "': No such file or directory"));
}

TEST_CASE("writing to a full device reports the failure", "[io][file]") {
  // /dev/full accepts the open and fails every write with ENOSPC, at fwrite or at fclose.
  const Status status = joule::io::write_file("/dev/full", std::vector<unsigned char>(100, 1));
  CHECK(status.code() == ErrorCode::io_error);
  CHECK_THAT(std::string(status.message()), Contains("cannot write '/dev/full': No space left on device"));
}
