#pragma once

// Layer blobs from the registry into LayerSummaries: a cache by blob digest (memory, and
// atomically written 0600 files on disk), and one batch of GETs whose bodies stream into
// LayerReaders on worker threads (the transfer's write callback only queues the bytes).

#include <image_secure/layer/summary.hpp>
#include <image_secure/registry/registry.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace image_secure::audit {

using SummaryPtr = std::shared_ptr<const layer::LayerSummary>;

class LayerCache {
  public:
    /// `dir` "": memory only.
    explicit LayerCache(std::string dir);

    /// The summary of `digest` from memory or disk (a corrupt file is ignored), or nullptr.
    [[nodiscard]] SummaryPtr get(const std::string& digest);
    /// Keeps `summary` (memory, and disk when configured; a failed write is not an error).
    void put(const SummaryPtr& summary);

  private:
    [[nodiscard]] std::string file_of(const std::string& digest) const;

    std::string m_dir;
    std::mutex m_mutex;
    std::map<std::string, SummaryPtr> m_memory;
};

/// One blob to read.
struct LayerJob {
    std::string host;
    std::string repository;
    std::string digest;
    std::string media_type;
    std::int64_t size = 0;
};

/// Reads every job (one request each, concurrently); a summary or the Error per job.
[[nodiscard]] std::vector<Result<SummaryPtr>> fetch_layers(RegistryClient& client,
                                                           const std::vector<LayerJob>& jobs,
                                                           std::int64_t max_uncompressed,
                                                           std::atomic<std::int64_t>& bytes_read);

} // namespace image_secure::audit
