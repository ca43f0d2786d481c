#pragma once

// Where a streamed response body goes. The transport writes into it as bytes arrive and
// pauses the transfer while it is full; the consumer (a pipe into an upload, an inflater
// feeding a tar reader) drains it at its own pace.

#include <cstddef>
#include <cstdint>
#include <string>

namespace image_secure::http {

class BodySink {
  public:
    virtual ~BodySink() = default;
    BodySink() = default;
    BodySink(const BodySink&) = delete;
    BodySink& operator=(const BodySink&) = delete;

    /// Takes all `n` bytes, or none (false): the transfer pauses until `writable()`, or ends
    /// when the sink `failed()` or its consumer is gone.
    virtual bool write(const char* data, std::size_t n) = 0;
    /// May a paused transfer go on? (There is room again, or nobody reads any more.)
    [[nodiscard]] virtual bool writable() const = 0;
    /// The body is complete (a 2xx answer ended): the sink checks what it got.
    virtual void finish() = 0;
    /// The transfer failed for good; the consumer sees `why`.
    virtual void fail(std::string why) = 0;
    [[nodiscard]] virtual bool failed() const = 0;
    [[nodiscard]] virtual const std::string& error() const = 0;
    /// The consumer stopped reading: the transfer is aborted, not resumed.
    [[nodiscard]] virtual bool consumer_gone() const = 0;
    /// Bytes accepted so far (a resumed download asks for the rest with Range).
    [[nodiscard]] virtual std::int64_t transferred() const = 0;
};

} // namespace image_secure::http
