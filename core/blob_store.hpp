#pragma once
//! Content-addressed, immutable file store: blobs/sha256/<ab>/<64 hex>. Writers stream into blobs/tmp,
//! fsync, then rename into place, so a blob path either does not exist or holds the complete content;
//! a torn write (crash, error, abandoned Writer) is never visible under its hash. Storing the same
//! content twice keeps one file. Thread- and process-safe: renames are atomic and content-determined.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/sha256.hpp"

namespace curator::core {

struct BlobRef {
  std::string sha256;
  uint64_t size = 0;
  bool existed = false; ///< the content was already stored
  std::filesystem::path path;
};

class BlobStore {
public:
  /// `root` is the store's folder (DataDir::blobs()); created when missing.
  explicit BlobStore(std::filesystem::path root);

  /// Streams content in; commit() publishes it. Destroying an uncommitted Writer discards the temp file.
  class Writer {
  public:
    Writer(Writer&& other) noexcept;
    Writer& operator=(Writer&&) = delete;
    ~Writer();
    void write(const void* data, size_t size);
    void write(std::string_view data) { write(data.data(), data.size()); }
    uint64_t size() const { return size_; }
    BlobRef commit();

  private:
    friend class BlobStore;
    Writer(const BlobStore* store, std::filesystem::path temp, int fd);
    const BlobStore* store_;
    std::filesystem::path temp_;
    int fd_;
    uint64_t size_ = 0;
    Sha256 hash_;
  };

  Writer writer() const;
  BlobRef put_bytes(std::string_view data) const;
  BlobRef put_file(const std::filesystem::path& source) const;

  bool contains(std::string_view sha256) const;
  /// Path of a stored blob. Throws InvalidInput for a malformed hash, NotFound when absent.
  std::filesystem::path path_of(std::string_view sha256) const;

  /// Deletes a blob (content nobody may keep: a refused download). True when it existed. The caller
  /// makes sure nothing refers to it any more.
  bool remove(std::string_view sha256) const;

  /// Seconds since the blob was last committed (a commit of content already there counts); NotFound when
  /// absent. A blob committed moments ago may be about to be referred to.
  int64_t seconds_since_commit(std::string_view sha256) const;

  /// Removes temp files older than `min_age_seconds` left by writers that died; returns how many.
  size_t sweep_temp(int64_t min_age_seconds) const;

  const std::filesystem::path& root() const { return root_; }

private:
  std::filesystem::path final_path(std::string_view sha256) const;
  std::filesystem::path root_;
};

} // namespace curator::core
